//! `sluice explain FILE`: print the plan as written and as optimized (text, Graphviz dot
//! or JSON), the rules that fired (`--verbose`), the physical plan (`--physical`), or
//! run it and show rows and time per physical node (`--analyze`).

use super::{
    DiagnosticFormat, ERRORS, FAILED, OK, OptimizeArgs, ParamArgs, errln, out, outln,
    print_diagnostics, read, render_firings,
};
use sluice_compiler::plan::{dot, json, text};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
enum Format {
    /// Indented text, sinks first, each operator with its output schema.
    #[default]
    Text,
    /// A Graphviz digraph of the optimized plan (render with `dot -Tsvg`).
    Dot,
    /// Nodes, schemas and edges of the optimized plan as JSON.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The pipeline file.
    file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Show the physical plan (stages, breakers, exchanges) instead of the logical one.
    #[arg(long)]
    physical: bool,
    /// Run the pipeline and show the physical plan with rows and time per node.
    #[arg(long)]
    analyze: bool,
    /// List each optimizer rule that changed the plan, with its effect.
    #[arg(long, short)]
    verbose: bool,
    /// List the optimizer's rules and exit.
    #[arg(long)]
    rules: bool,
    /// Worker threads for `--analyze` (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    memory: super::MemoryArgs,
    #[command(flatten)]
    optimize: OptimizeArgs,
    /// Run fused stages as compiled kernels: on, off, or auto (when the data is large
    /// enough to repay compiling).
    #[arg(long, value_enum, default_value_t)]
    jit: super::JitFlag,
    #[command(flatten)]
    params: ParamArgs,
}

pub fn run(args: Args) -> u8 {
    if args.rules {
        for (name, summary) in sluice_compiler::optimize::rules() {
            outln!("{name:<22} {summary}");
        }
        return OK;
    }
    let Some(path) = &args.file else {
        errln!("error: explain needs a pipeline file (or --rules)");
        return FAILED;
    };
    let file = match read(path) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let compiled = match sluice_compiler::compile(&file, &args.params.options()) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            print_diagnostics(&file, &diagnostics, DiagnosticFormat::Rich);
            return ERRORS;
        }
    };
    print_diagnostics(&file, &compiled.warnings, DiagnosticFormat::Rich);
    let optimized = match args.optimize.apply(&compiled.plan) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let plan = &optimized.plan;
    if args.analyze {
        let options = sluice_runtime::RunOptions {
            threads: args.threads,
            memory_limit: args.memory.memory_limit,
            spill_dir: args.memory.spill_dir.clone(),
            profile: true,
            jit: args.jit.mode(),
            ..Default::default()
        };
        return match sluice_runtime::run(plan, &options) {
            Ok(summary) => {
                out!("{}", summary.profile.as_deref().unwrap_or_default());
                out!("{}", summary.render());
                OK
            }
            Err(e) => {
                errln!("error: {e}");
                FAILED
            }
        };
    }
    match args.format {
        Format::Text if args.physical => {
            let physical = sluice_runtime::physical::lower(plan);
            out!("{}", sluice_runtime::physical::render(&physical, plan));
        }
        Format::Text if args.optimize.no_optimize => out!("{}", text::render(plan, true)),
        Format::Text => {
            outln!("== plan as written ==");
            out!("{}", text::render(&compiled.plan, true));
            outln!("\n== optimized plan ==");
            out!("{}", text::render(plan, true));
        }
        Format::Dot => out!("{}", dot::render(plan)),
        Format::Json => outln!("{:#}", json::render(plan)),
    }
    if args.verbose {
        outln!("\n== optimizer rules that fired ==");
        out!("{}", render_firings(&optimized));
    }
    OK
}
