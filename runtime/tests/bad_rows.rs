//! A CSV with broken rows under each parse mode: counted, dropped or stopped at
//! file:line:column, and never a half-written output.

mod common;

use common::*;
use sluice_compiler::SourceFile;
use sluice_runtime::RunOptions;

const DATA: &str = "id,name,score\n1,a,1.5\n2,b,not-a-number\n3,c\n4,d,4.5\n";

fn pipeline(dir: &std::path::Path, mode: &str) -> SourceFile {
    let text = format!(
        "source s = csv(\"{input}\", mode = \"{mode}\", bad_rows = \"{bad}\") {{ id: int64, name: string, score: float64? }}\n\
         let t = s | filter id > 0\n\
         sink t -> csv(\"{out}\")\n",
        input = dir.join("in.csv").display(),
        bad = dir.join("bad.csv").display(),
        out = dir.join("out.csv").display(),
    );
    SourceFile::new("bad_rows.sluice", text)
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.csv"), DATA).expect("write");
    std::fs::write(dir.path().join("out.csv"), "previous output\n").expect("write");
    dir
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn permissive_keeps_and_counts() {
    let dir = setup();
    let summary = run_source(
        &pipeline(dir.path(), "permissive"),
        &[],
        &RunOptions::default(),
    )
    .expect("runs");
    assert_eq!(summary.sources[0].bad_rows, 2);
    let out = read_csv(&dir.path().join("out.csv"));
    assert_eq!(out.len(), 5, "header and all four rows");
    assert_eq!(out[2], ["2", "b", ""], "the bad field is null");
    let bad = std::fs::read_to_string(dir.path().join("bad.csv")).expect("bad rows file");
    assert!(
        bad.contains("2,b,not-a-number") && bad.contains("3,c"),
        "{bad}"
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn drop_malformed_drops_and_counts() {
    let dir = setup();
    let summary = run_source(
        &pipeline(dir.path(), "drop_malformed"),
        &[],
        &RunOptions::default(),
    )
    .expect("runs");
    assert_eq!(summary.sources[0].bad_rows, 2);
    let out = read_csv(&dir.path().join("out.csv"));
    let ids: Vec<&str> = out[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["1", "4"]);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn fail_fast_stops_at_the_line_and_column_and_keeps_the_old_output() {
    let dir = setup();
    let err = run_source(
        &pipeline(dir.path(), "fail_fast"),
        &[],
        &RunOptions::default(),
    )
    .expect_err("fails");
    let at = err.location.clone().expect("a location");
    assert!(at.file.ends_with("in.csv"));
    // `not-a-number` starts at the fifth character of line 3.
    assert_eq!((at.line, at.column), (3, Some(5)), "{err}");
    assert!(
        err.to_string()
            .contains("\"not-a-number\" is not a valid float64"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).expect("kept"),
        "previous output\n"
    );
    assert!(leftovers(dir.path()).is_empty());
}
