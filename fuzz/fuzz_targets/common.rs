//! Shared by the fuzz targets that run a whole pipeline over a fuzzed file: the file is
//! written to a temporary folder, the pipeline compiled against it and run; any error
//! is fine, a panic is a finding.
#![allow(dead_code)]

use sluice_compiler::{ResolveOptions, SourceFile};
use sluice_runtime::RunOptions;

/// Runs `pipeline` (which reads `data.bin` and writes `out.csv`) over `bytes`; returns
/// the output and the bad-row count, or the error's message.
pub fn run(pipeline: &str, bytes: &[u8], options: RunOptions) -> Result<(Vec<u8>, u64), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("data.bin"), bytes).map_err(|e| e.to_string())?;
    let file = SourceFile::new("fuzz.sluice", pipeline.to_string());
    let resolve = ResolveOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let compiled = sluice_compiler::compile(&file, &resolve).map_err(|d| {
        d.first()
            .map(|d| d.message.replace(&dir.path().display().to_string(), "<dir>"))
            .unwrap_or_default()
    })?;
    let optimized = sluice_runtime::optimize(&compiled.plan, &[]);
    let options = RunOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..options
    };
    // Errors name the file; its folder differs from run to run.
    let folder = dir.path().display().to_string();
    let summary = sluice_runtime::run(&optimized.plan, &options)
        .map_err(|e| e.to_string().replace(&folder, "<dir>"))?;
    let out = std::fs::read(dir.path().join("out.csv")).map_err(|e| e.to_string())?;
    let bad = summary.sources.iter().map(|s| s.bad_rows).sum();
    Ok((out, bad))
}
