#![allow(clippy::panic)] // a failed expectation is a failed test
//! `approx_count_distinct` past its exact range, end to end: groups of thousands
//! of distinct values read as many CSV morsels, so partial sketches turn dense in
//! different partitions and are merged. The estimate is within the documented error of
//! the exact count, and the same bytes in every run configuration (threads, JIT,
//! optimizer), because merged sketches do not depend on how rows were split.

mod common;
use common::run_everywhere;

#[test]
fn estimates_are_close_and_the_same_in_every_configuration() {
    let mut csv = String::from("g,v\n");
    // Group a: 12,000 distinct values, each twice; group b: 300 values (exact range).
    for i in 0..24_000u64 {
        csv.push_str(&format!("a,{}\n", (i % 12_000) * 7919 + 13));
    }
    for i in 0..3_000u64 {
        csv.push_str(&format!("b,v{}\n", i % 300));
    }
    let text = "source t = csv(\"t.csv\") { g: string, v: string }\n\
                let s = t | group g { approx = approx_count_distinct(v), exact = count_distinct(v) } | sort g\n\
                sink s -> csv(\"s.csv\")\n";
    let out = run_everywhere(&[("t.csv", csv.as_bytes())], text, &["s.csv"]);
    let lines: Vec<&str> = out[0].lines().collect();
    assert_eq!(lines[0], "g,approx,exact");
    let a: Vec<f64> = lines[1]
        .split(',')
        .skip(1)
        .map(|x| x.parse().expect("number"))
        .collect();
    let error = (a[0] - a[1]).abs() / a[1];
    assert_eq!(a[1], 12_000.0);
    assert!(error < 0.05, "estimated {} of {} ({error:.3})", a[0], a[1]);
    assert_eq!(lines[2], "b,300,300", "small groups are exact");
}
