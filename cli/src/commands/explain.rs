//! `sluice explain FILE`: print the typed logical plan as text, Graphviz dot or JSON.

use super::{DiagnosticFormat, ERRORS, OK, ParamArgs, print_diagnostics, read};
use sluice_compiler::plan::{dot, json, text};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
enum Format {
    /// Indented text, sinks first, each operator with its output schema.
    #[default]
    Text,
    /// A Graphviz digraph (render with `dot -Tsvg`).
    Dot,
    /// Nodes, schemas and edges as JSON.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The pipeline file.
    file: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Show the physical plan (stages, breakers, exchanges) instead of the logical one.
    #[arg(long)]
    physical: bool,
    #[command(flatten)]
    params: ParamArgs,
}

pub fn run(args: Args) -> u8 {
    let file = match read(&args.file) {
        Ok(f) => f,
        Err(c) => return c,
    };
    match sluice_compiler::compile(&file, &args.params.options()) {
        Ok(compiled) => {
            print_diagnostics(&file, &compiled.warnings, DiagnosticFormat::Rich);
            match args.format {
                Format::Text if args.physical => {
                    let physical = sluice_runtime::physical::lower(&compiled.plan);
                    print!(
                        "{}",
                        sluice_runtime::physical::render(&physical, &compiled.plan)
                    );
                }
                Format::Text => print!("{}", text::render(&compiled.plan, true)),
                Format::Dot => print!("{}", dot::render(&compiled.plan)),
                Format::Json => println!("{:#}", json::render(&compiled.plan)),
            }
            OK
        }
        Err(diagnostics) => {
            print_diagnostics(&file, &diagnostics, DiagnosticFormat::Rich);
            ERRORS
        }
    }
}
