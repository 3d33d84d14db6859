//! Operators on data several times `--memory-limit` spill to disk and give the rows the
//! unlimited run gives; the spill folder is empty afterwards.
#![allow(clippy::panic)]

mod common;

use common::sluice_in;
use std::path::Path;

/// A table of `rows` rows (about 45 bytes each in CSV, twice that in memory) with
/// repeated sort keys, so that stability matters.
fn table(dir: &Path, rows: u64) {
    let mut csv = String::from("k,v,s\n");
    let mut x: u64 = 7;
    for i in 0..rows {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        csv.push_str(&format!("{},{i},text-{}\n", (x >> 40) % 5000, x >> 50));
    }
    std::fs::write(dir.join("t.csv"), csv).expect("write");
}

/// Runs the pipeline; returns its output and the run's summary.
fn run(dir: &Path, pipeline: &str, limit: Option<&str>) -> (String, String) {
    std::fs::write(dir.join("p.sluice"), pipeline).expect("write");
    let spill = dir.join("spill");
    std::fs::create_dir_all(&spill).expect("spill dir");
    let mut args = vec!["run", "p.sluice", "--spill-dir", "spill"];
    if let Some(l) = limit {
        args.extend(["--memory-limit", l]);
    }
    let out = sluice_in(dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&spill).expect("read").collect();
    assert!(left.is_empty(), "spill files left: {left:?}");
    (
        std::fs::read_to_string(dir.join("out.csv")).expect("output"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_sort_of_eight_times_the_memory_limit_gives_the_unlimited_result() {
    let dir = tempfile::tempdir().expect("dir");
    // 1 M rows: about 26 MB of CSV and over 32 MiB in memory; the limit is 4 MiB.
    table(dir.path(), 1_000_000);
    let pipeline = "pipeline p\nsource t = csv(\"t.csv\", header = true)\nlet s = t | sort k desc, s\nsink s -> csv(\"out.csv\")\n";
    let (unlimited, summary) = run(dir.path(), pipeline, None);
    assert!(!summary.contains("spilled"), "{summary}");
    let (limited, summary) = run(dir.path(), pipeline, Some("4MiB"));
    assert!(summary.contains("spilled to disk"), "{summary}");
    assert_eq!(unlimited.lines().count(), 1_000_001);
    assert!(unlimited == limited, "the spilled sort differs");
}

#[test]
fn a_group_and_a_join_of_eight_times_the_memory_limit_give_the_unlimited_result() {
    let dir = tempfile::tempdir().expect("dir");
    table(dir.path(), 1_000_000);
    // A million groups, and a join of a million rows with a million rows.
    let pipeline = "pipeline p\nsource t = csv(\"t.csv\", header = true)\n\
        let g = t | group v { n = count(), total = sum(k), longest = max(s) }\n\
        let j = t | join left g on v | select v, k, n, total\n\
        sink j -> csv(\"out.csv\")\n";
    let (unlimited, summary) = run(dir.path(), pipeline, None);
    assert!(!summary.contains("spilled"), "{summary}");
    let (limited, summary) = run(dir.path(), pipeline, Some("4MiB"));
    assert!(
        summary.contains("operator group") && summary.contains("operator join"),
        "{summary}"
    );
    assert!(summary.contains("spilled to disk"), "{summary}");
    assert_eq!(unlimited.lines().count(), 1_000_001);
    assert!(unlimited == limited, "the spilled group and join differ");
}
