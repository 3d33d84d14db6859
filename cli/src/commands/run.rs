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
    /// A stream's checkpoint folder (default: `NAME.checkpoint` beside the stream's
    /// outputs).
    #[arg(long, value_name = "DIR")]
    checkpoint: Option<PathBuf>,
    /// When a stream run ends: `idle` (a batch finds nothing new) or a number of batches
    /// (default: when stopped with Ctrl-C).
    #[arg(long, value_name = "idle|N", value_parser = parse_until)]
    until: Option<sluice_runtime::stream::Until>,
}

/// `NAME.checkpoint` beside the stream's outputs (the folder holding its first sink's
/// files), or beside the pipeline file when its sinks write no file.
fn default_checkpoint(
    file: &std::path::Path,
    plan: &sluice_compiler::plan::LogicalPlan,
) -> PathBuf {
    let stem = file.file_stem().map_or_else(
        || "pipeline".to_string(),
        |s| s.to_string_lossy().to_string(),
    );
    let outputs = plan
        .sinks
        .iter()
        .find_map(|&sink| match &plan.graph[sink].op {
            sluice_compiler::plan::PlanOp::Sink { path: Some(p), .. }
                if plan.is_stream(plan.inputs(sink)[0]) =>
            {
                std::path::Path::new(p.trim_end_matches('/'))
                    .parent()
                    .map(std::path::Path::to_path_buf)
            }
            _ => None,
        });
    outputs
        .or_else(|| file.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
        .join(format!("{stem}.checkpoint"))
}

fn parse_until(text: &str) -> Result<sluice_runtime::stream::Until, String> {
    match text {
        "idle" => Ok(sluice_runtime::stream::Until::Idle),
        n => n
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(sluice_runtime::stream::Until::Batches)
            .ok_or_else(|| format!("expected `idle` or a number of batches, found `{n}`")),
    }
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
    if optimized.plan.is_streaming() {
        let checkpoint = args
            .checkpoint
            .clone()
            .unwrap_or_else(|| default_checkpoint(&args.file, &optimized.plan));
        let stream = sluice_runtime::stream::StreamOptions {
            checkpoint,
            until: args.until.unwrap_or_default(),
        };
        let quiet = args.quiet;
        let mut report = |p: &sluice_runtime::stream::driver::BatchProgress| {
            if !quiet {
                err!("{}\n", p.line());
            }
        };
        return match sluice_runtime::stream::run(&optimized.plan, &options, &stream, &mut report) {
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
        };
    }
    if !args.quiet && (args.until.is_some() || args.checkpoint.is_some()) {
        errln!(
            "note: `--until` and `--checkpoint` are for pipelines with a stream; this one runs once"
        );
    }
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
