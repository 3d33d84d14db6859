//! `sluice`: check, explain, run and format pipeline files, and serve editors (`lsp`).
//!
//! Exit codes: 0 success; 1 the pipeline has errors (or `fmt --check` found a file to
//! reformat); 2 the command itself failed (a missing file, a bad flag, a failed run).

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sluice",
    version,
    about = "Sluice: declarative data and ML pipelines, checked and compiled"
)]
#[command(
    after_help = "Exit codes: 0 success; 1 the pipeline has errors (or fmt --check would change a file); 2 the command failed (including a run that failed on bad data)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check pipeline files: parse, resolve names, infer schemas, type-check.
    Check(commands::check::Args),
    /// Show the typed logical plan of a pipeline.
    Explain(commands::explain::Args),
    /// Run a pipeline: read its sources, compute its relations, write its sinks.
    Run(commands::run::Args),
    /// Format a pipeline in the canonical DSL layout (YAML input is converted to DSL).
    Fmt(commands::fmt::Args),
    /// Run the language server (LSP over standard input and output) for editors.
    Lsp(commands::lsp::Args),
    /// Print the function reference (docs/functions.md) from the catalogue.
    Functions(commands::functions::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Interrupted (Ctrl-C, SIGTERM): the run's temporaries go, its old outputs stay.
    // (A signal during the final moves lets them finish.)
    let _ = ctrlc::set_handler(|| {
        // A stream finishes the batch in flight, commits it and exits 0; a second
        // Ctrl-C stops it at once like a batch run.
        if sluice_runtime::stream::driver::STREAMING.load(std::sync::atomic::Ordering::SeqCst)
            && !sluice_runtime::stream::driver::STOP.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            eprintln!("\nstopping after the batch in flight (Ctrl-C again to stop now)");
            return;
        }
        if sluice_runtime::io::commit::remove_live_temporaries() {
            eprintln!("\ninterrupted: the outputs were left as they were");
            std::process::exit(130);
        }
    });
    // Compiling, formatting and serving recurse over expression trees as deep as the
    // parser allows; they run on a thread whose stack is sized for that.
    match sluice_compiler::limits::with_deep_stack(|| dispatch(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: cannot start the compiler's thread: {e}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(a) => commands::check::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Fmt(a) => commands::fmt::run(a),
        Command::Run(a) => commands::run::run(a),
        Command::Lsp(a) => commands::lsp::run(a),
        Command::Functions(a) => commands::functions::run(a),
    }
}
