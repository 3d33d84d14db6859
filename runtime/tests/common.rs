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

/// The six ways a pipeline is run to check that none changes a result: as `sluice run`
/// does by default, unoptimized, every stage compiled, one thread without the JIT, eight
/// threads, and eight threads with every operator threshold tiny (parallel merges and
/// the paths for large data run on small inputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Configuration {
    Default,
    NoOptimize,
    JitOn,
    JitOffOneThread,
    EightThreads,
    TinyThresholds,
}

impl Configuration {
    pub const ALL: [Configuration; 6] = [
        Configuration::Default,
        Configuration::NoOptimize,
        Configuration::JitOn,
        Configuration::JitOffOneThread,
        Configuration::EightThreads,
        Configuration::TinyThresholds,
    ];

    pub fn options(self) -> RunOptions {
        let mut o = RunOptions {
            morsel_bytes: Some(64),
            ..Default::default()
        };
        match self {
            Configuration::Default | Configuration::NoOptimize => {}
            Configuration::JitOn => o.jit = sluice_runtime::JitMode::On,
            Configuration::JitOffOneThread => {
                o.jit = sluice_runtime::JitMode::Off;
                o.threads = Some(1);
            }
            Configuration::EightThreads => o.threads = Some(8),
            Configuration::TinyThresholds => {
                o.threads = Some(8);
                o.tuning = sluice_runtime::Tuning::tiny();
            }
        }
        o
    }
}

/// Compiles pipeline text (paths relative to `dir`) and runs it in one configuration.
pub fn run_text(
    dir: &Path,
    text: &str,
    config: Configuration,
) -> Result<RunSummary, sluice_runtime::RunError> {
    run_text_in_morsels(dir, text, config, config.options().morsel_bytes)
}

/// [`run_text`] with CSV morsels of `morsel_bytes` (tiny by default, to exercise
/// parallel parsing on tiny files; larger files want larger ones).
pub fn run_text_in_morsels(
    dir: &Path,
    text: &str,
    config: Configuration,
    morsel_bytes: Option<u64>,
) -> Result<RunSummary, sluice_runtime::RunError> {
    let file = SourceFile::new("test.sluice", text.to_string());
    let resolve = ResolveOptions {
        params: Default::default(),
        base_dir: Some(dir.to_path_buf()),
    };
    let compiled =
        sluice_compiler::compile(&file, &resolve).unwrap_or_else(|d| panic!("{text}\n{d:#?}"));
    let plan = if config == Configuration::NoOptimize {
        compiled.plan
    } else {
        let optimized = sluice_runtime::optimize(&compiled.plan, &[]);
        assert!(
            optimized.rolled_back.is_empty(),
            "{:?}",
            optimized.rolled_back
        );
        optimized.plan
    };
    let options = RunOptions {
        base_dir: Some(dir.to_path_buf()),
        morsel_bytes,
        ..config.options()
    };
    sluice_runtime::run(&plan, &options)
}

/// Writes `files` into a fresh folder, runs `text` there in every configuration, checks
/// all give the same bytes in each of `outputs`, and returns those files' text.
pub fn run_everywhere(files: &[(&str, &[u8])], text: &str, outputs: &[&str]) -> Vec<String> {
    let mut first: Option<Vec<String>> = None;
    for config in Configuration::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("input folder");
            }
            std::fs::write(path, bytes).expect("write input");
        }
        if let Err(e) = run_text(dir.path(), text, config) {
            panic!("{config:?}: {e}\n{text}");
        }
        let got: Vec<String> = outputs
            .iter()
            .map(|o| {
                std::fs::read_to_string(dir.path().join(o))
                    .unwrap_or_else(|e| panic!("{config:?}: {o}: {e}"))
            })
            .collect();
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "{config:?} differs from Default for\n{text}"),
        }
    }
    first.unwrap_or_default()
}
