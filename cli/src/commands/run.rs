//! `sluice run FILE`: compile the pipeline, execute it, print a summary.

use super::{
    DiagnosticFormat, ERRORS, FAILED, OK, OptimizeArgs, ParamArgs, err, errln, print_diagnostics,
    read, render_firings,
};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The pipeline file.
    file: PathBuf,
    #[command(flatten)]
    params: ParamArgs,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    memory: super::MemoryArgs,
    /// Where `@cache(disk)` relations are written (default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Keep the cache folder after the run.
    #[arg(long)]
    keep_cache: bool,
    #[command(flatten)]
    optimize: OptimizeArgs,
    /// Run fused stages as compiled kernels: on, off, or auto (when the data is large
    /// enough to repay compiling).
    #[arg(long, value_enum, default_value_t)]
    jit: super::JitFlag,
    /// Also list each optimizer rule that changed the plan.
    #[arg(long, short)]
    verbose: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> u8 {
    let file = match read(&args.file) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let compiled = match sluice_compiler::compile(&file, &args.params.options()) {
        Ok(c) => c,
        Err(diagnostics) => {
            print_diagnostics(&file, &diagnostics, DiagnosticFormat::Rich);
            return ERRORS;
        }
    };
    if !args.quiet {
        print_diagnostics(&file, &compiled.warnings, DiagnosticFormat::Rich);
    }
    let optimized = match args.optimize.apply(&compiled.plan) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if args.verbose && !args.quiet {
        err!("{}", render_firings(&optimized));
    }
    let options = sluice_runtime::RunOptions {
        threads: args.threads,
        memory_limit: args.memory.memory_limit,
        spill_dir: args.memory.spill_dir.clone(),
        jit: args.jit.mode(),
        cache_dir: args.cache_dir.clone(),
        keep_cache: args.keep_cache,
        progress: !args.quiet,
        ..Default::default()
    };
    match sluice_runtime::run(&optimized.plan, &options) {
        Ok(summary) => {
            if !args.quiet {
                err!("{}", summary.render());
            }
            OK
        }
        Err(e) => {
            errln!("error: {e}");
            FAILED
        }
    }
}
