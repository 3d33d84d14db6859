#![allow(clippy::panic)] // a failed expectation is a failed test
//! The optimizer end to end: the optimized plan of every example (snapshotted), outputs
//! byte-identical with and without it (shipped and real data), and what pushdown saves
//! at the scans: CSV fields not converted, Parquet columns and row groups not read.

mod common;

use common::*;
use sluice_compiler::SourceFile;
use sluice_compiler::plan::{PlanOp, text};
use sluice_runtime::RunOptions;
use std::path::{Path, PathBuf};

fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .flatten()
        .map(|d| d.path())
        .filter(|p| p.join("pipeline.sluice").exists())
        .collect();
    out.sort();
    out
}

/// The optimized plan as text, with the rules that fired.
fn optimized_text(path: &Path, params: &[(&str, String)]) -> String {
    let (_, optimized) = plans(path, params);
    let mut out = text::render(&optimized.plan, true);
    out.push_str("\nrules that fired:\n");
    for f in &optimized.fired {
        out.push_str(&format!("  {}: {}\n", f.rule, f.effect));
    }
    out
}

#[test]
fn every_example_has_a_snapshotted_optimized_plan_the_same_in_both_forms() {
    for dir in examples() {
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        let dsl = optimized_text(&dir.join("pipeline.sluice"), &[]);
        let yaml = optimized_text(&dir.join("pipeline.yaml"), &[]);
        assert_eq!(
            dsl, yaml,
            "{name}: the DSL and YAML forms optimize differently"
        );
        insta::with_settings!({ snapshot_path => "../../snapshots/optimized", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, dsl);
        });
    }
}

/// Runs a pipeline into a fresh folder, optimized or not; returns the folder and summary.
fn run_into(
    path: &Path,
    params: &[(&str, String)],
    optimize: bool,
) -> (tempfile::TempDir, sluice_runtime::RunSummary) {
    run_with(path, params, optimize, sluice_runtime::JitMode::Off)
}

fn run_with(
    path: &Path,
    params: &[(&str, String)],
    optimize: bool,
    jit: sluice_runtime::JitMode,
) -> (tempfile::TempDir, sluice_runtime::RunSummary) {
    let out = tempfile::tempdir().expect("tempdir");
    let mut all: Vec<(&str, String)> = params.to_vec();
    all.push(("out", out.path().display().to_string()));
    let (written, optimized) = plans(path, &all);
    let plan = if optimize { optimized.plan } else { written };
    let options = RunOptions {
        base_dir: Some(root()),
        morsel_bytes: Some(256 * 1024),
        jit,
        ..Default::default()
    };
    let summary = if plan.is_streaming() {
        // A stream runs its files to the end; its checkpoint stays out of the outputs.
        let checkpoint = tempfile::tempdir().expect("tempdir");
        let stream = sluice_runtime::stream::StreamOptions {
            checkpoint: checkpoint.path().join("ck"),
            until: sluice_runtime::stream::Until::Idle,
        };
        sluice_runtime::stream::run(&plan, &options, &stream, &mut |_| {}).expect("runs")
    } else {
        sluice_runtime::run(&plan, &options).expect("runs")
    };
    (out, summary)
}

/// Every output file under `dir` (a stream's folders of part files too), by path; a
/// stream's `progress` folder is left out (it holds timings).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("output dir").flatten() {
            let path = e.path();
            let name = path
                .strip_prefix(dir)
                .expect("inside")
                .display()
                .to_string();
            if path.is_dir() {
                if name != "progress" {
                    todo.push(path);
                }
                continue;
            }
            out.push((name, std::fs::read(&path).expect("read")));
        }
    }
    out.sort();
    out
}

fn assert_identical(path: &Path, params: &[(&str, String)]) {
    let (a, _) = run_into(path, params, false);
    let (b, _) = run_into(path, params, true);
    let (c, _) = run_with(path, params, true, sluice_runtime::JitMode::On);
    assert_eq!(
        files(b.path()),
        files(c.path()),
        "{}: --jit on differs",
        path.display()
    );
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert!(!fa.is_empty());
    assert_eq!(
        fa.iter().map(|f| &f.0).collect::<Vec<_>>(),
        fb.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{}: {name} differs with the optimizer",
            path.display()
        );
    }
}

#[test]
fn every_example_gives_byte_identical_output_with_and_without_optimization_and_jit() {
    for dir in examples() {
        assert_identical(&dir.join("pipeline.sluice"), &[]);
        assert_identical(&dir.join("pipeline.yaml"), &[]);
    }
}

#[test]
fn on_the_real_data_too() {
    let Some(data) = shared_data() else { return };
    assert_identical(
        &root().join("examples/earthquakes/pipeline.sluice"),
        &[(
            "input",
            data.join("earthquakes/database.csv").display().to_string(),
        )],
    );
    assert_identical(
        &root().join("examples/credit/pipeline.sluice"),
        &[(
            "input",
            data.join("credit/cs-training.csv").display().to_string(),
        )],
    );
}

#[test]
fn the_earthquake_type_filter_runs_at_the_scan_which_reads_only_used_columns() {
    let path = root().join("examples/earthquakes/pipeline.sluice");
    let (_, optimized) = plans(&path, &[]);
    let scan = optimized
        .plan
        .graph
        .node_weights()
        .find(|n| matches!(n.op, PlanOp::Scan { .. }))
        .expect("a scan");
    let PlanOp::Scan {
        filters,
        projection,
        file_schema,
        ..
    } = &scan.op
    else {
        unreachable!()
    };
    assert_eq!(
        filters.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        ["Type == \"Earthquake\""]
    );
    let read = projection.as_ref().expect("a projection");
    assert_eq!(file_schema.len(), 21);
    assert_eq!(
        read,
        &[
            "Date",
            "Time",
            "Latitude",
            "Longitude",
            "Depth",
            "Magnitude",
            "Magnitude Type",
            "ID"
        ]
    );
    // The scan converts less: 8 of 21 columns (the other 13 are short or empty here).
    let (_, plain) = run_into(&path, &[], false);
    let (_, pushed) = run_into(&path, &[], true);
    let (p, q) = (&plain.sources[0], &pushed.sources[0]);
    assert_eq!(p.rows, q.rows);
    assert!(
        q.bytes_converted * 4 < p.bytes_converted * 3,
        "converted {} bytes with pushdown, {} without",
        q.bytes_converted,
        p.bytes_converted
    );
}

/// Writes `n` rows sorted by `k` to a Parquet file of many row groups, with Sluice.
fn sorted_parquet(dir: &Path, n: usize) -> PathBuf {
    let mut csv = String::from("k,label,payload\n");
    for i in 0..n {
        csv.push_str(&format!("{i},l{},{}\n", i % 7, "x".repeat(20 + i % 13)));
    }
    std::fs::write(dir.join("in.csv"), csv).expect("write");
    let d = dir.display();
    let file = SourceFile::new(
        "write.sluice",
        format!(
            "source s = csv(\"{d}/in.csv\")\nsink s -> parquet(\"{d}/sorted.parquet\", row_group_rows = 1000)\n"
        ),
    );
    let compiled = sluice_compiler::compile(&file, &Default::default()).expect("compiles");
    sluice_runtime::run(&compiled.plan, &RunOptions::default()).expect("writes");
    dir.join("sorted.parquet")
}

#[test]
fn parquet_reads_only_needed_columns_and_skips_row_groups_by_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    sorted_parquet(dir.path(), 20_000);
    let d = dir.path().display();
    let file = SourceFile::new(
        "read.sluice",
        format!(
            "source p = parquet(\"{d}/sorted.parquet\")\n\
             let r = p | filter k >= 18500 and label != \"l3\" | select k\n\
             sink r -> csv(\"{d}/out.csv\")\n"
        ),
    );
    let compiled = sluice_compiler::compile(&file, &Default::default()).expect("compiles");
    let plain = sluice_runtime::run(&compiled.plan, &RunOptions::default()).expect("runs");
    let expected = std::fs::read(dir.path().join("out.csv")).expect("out");
    let optimized = sluice_runtime::optimize(&compiled.plan, &[]);
    let pushed = sluice_runtime::run(&optimized.plan, &RunOptions::default()).expect("runs");
    assert_eq!(
        std::fs::read(dir.path().join("out.csv")).expect("out"),
        expected
    );
    let (p, q) = (&plain.sources[0], &pushed.sources[0]);
    // 2 of 20 row groups hold k >= 18500; the payload column is never read.
    assert_eq!(p.rows, 20_000);
    assert_eq!(q.rows, 2_000);
    assert!(
        q.bytes_read * 10 < p.bytes_read,
        "read {} bytes with pushdown, {} without",
        q.bytes_read,
        p.bytes_read
    );
}

#[test]
fn a_disabled_rule_does_not_fire_and_no_rule_breaks_a_plan() {
    let path = root().join("examples/earthquakes/pipeline.sluice");
    let file = SourceFile::read(&path).expect("read");
    let compiled = sluice_compiler::compile(
        &file,
        &sluice_compiler::ResolveOptions {
            params: vec![],
            base_dir: Some(root()),
        },
    )
    .expect("compiles");
    for (rule, _) in sluice_compiler::optimize::rules() {
        let o = sluice_runtime::optimize(&compiled.plan, &[rule.to_string()]);
        assert!(o.fired.iter().all(|f| f.rule != rule), "{rule} fired");
        assert!(o.rolled_back.is_empty(), "{:?}", o.rolled_back);
    }
}
