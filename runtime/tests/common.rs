//! Helpers for the runtime's integration tests.
#![allow(dead_code, clippy::panic)] // test support: a failure here is a failed test

use sluice_compiler::{ResolveOptions, SourceFile};
use sluice_runtime::{RunOptions, RunSummary};
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("root")
        .to_path_buf()
}

/// `../shared/data`, or `None` (with a printed notice) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let data = root().join("../shared/data");
    if data.exists() {
        Some(data)
    } else {
        eprintln!("notice: skipping, {} is absent", data.display());
        None
    }
}

/// Compiles a pipeline file (or text), optimizes it (as `sluice run` does) and runs it.
pub fn run_file(
    path: &Path,
    params: &[(&str, String)],
    options: &RunOptions,
) -> Result<RunSummary, sluice_runtime::RunError> {
    let file = SourceFile::read(path).expect("pipeline readable");
    run_source(&file, params, options)
}

pub fn run_source(
    file: &SourceFile,
    params: &[(&str, String)],
    options: &RunOptions,
) -> Result<RunSummary, sluice_runtime::RunError> {
    let (_, optimized) = compile_and_optimize(file, params);
    let options = RunOptions {
        base_dir: Some(root()),
        ..options.clone()
    };
    sluice_runtime::run(&optimized.plan, &options)
}

/// Compiles a pipeline and returns its plan as written and optimized.
pub fn plans(
    path: &Path,
    params: &[(&str, String)],
) -> (
    sluice_compiler::plan::LogicalPlan,
    sluice_compiler::optimize::Optimized,
) {
    compile_and_optimize(&SourceFile::read(path).expect("pipeline readable"), params)
}

/// Compiles (paths from the root) and optimizes, checking no rule was rolled back.
fn compile_and_optimize(
    file: &SourceFile,
    params: &[(&str, String)],
) -> (
    sluice_compiler::plan::LogicalPlan,
    sluice_compiler::optimize::Optimized,
) {
    let resolve = ResolveOptions {
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        base_dir: Some(root()),
    };
    let compiled = sluice_compiler::compile(file, &resolve)
        .unwrap_or_else(|d| panic!("{}: {d:#?}", file.name));
    let optimized = sluice_runtime::optimize(&compiled.plan, &[]);
    assert!(
        optimized.rolled_back.is_empty(),
        "{:?}",
        optimized.rolled_back
    );
    (compiled.plan, optimized)
}

/// A CSV file as rows of strings (header first); enough for the simple outputs here.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A small deterministic generator (SplitMix64), so a case is reproducible from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
