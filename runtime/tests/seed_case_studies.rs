//! The seed case studies on the real files in ../shared/data, checked against facts
//! computed independently with DuckDB (tools/reference/seed_facts.py → seed_facts.json).

mod common;

use common::*;
use sluice_runtime::RunOptions;

fn facts() -> serde_json::Value {
    let text =
        std::fs::read_to_string(root().join("tools/reference/seed_facts.json")).expect("facts");
    serde_json::from_str(&text).expect("json")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn earthquakes_match_the_independent_computation() {
    let Some(data) = shared_data() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let params = [
        (
            "input",
            data.join("earthquakes/database.csv").display().to_string(),
        ),
        ("out", out.path().display().to_string()),
    ];
    let summary = run_file(
        &root().join("examples/earthquakes/pipeline.sluice"),
        &params,
        &RunOptions::default(),
    )
    .expect("runs");
    assert_eq!(summary.sources[0].rows, 23_412);
    assert_eq!(summary.sources[0].bad_rows, 0);
    let f = &facts()["earthquakes"];

    let yearly = read_csv(&out.path().join("yearly.csv"));
    assert_eq!(yearly[0], ["Year", "earthquakes", "mean_magnitude"]);
    let rows = &yearly[1..];
    assert_eq!(rows.len() as u64, f["years"].as_u64().unwrap());
    let total: u64 = rows.iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    assert_eq!(
        total,
        f["earthquakes"].as_u64().unwrap(),
        "no earthquake lost, ISO-dated rows included"
    );
    for (row, expected) in rows.iter().zip(f["yearly"].as_array().unwrap()) {
        assert_eq!(
            row[0].parse::<i64>().unwrap(),
            expected["year"].as_i64().unwrap()
        );
        assert_eq!(
            row[1].parse::<u64>().unwrap(),
            expected["count"].as_u64().unwrap(),
            "year {}",
            row[0]
        );
        assert!(
            close(
                row[2].parse().unwrap(),
                expected["mean_magnitude"].as_f64().unwrap()
            ),
            "year {}",
            row[0]
        );
    }

    let top = read_csv(&out.path().join("top500.csv"));
    let id = top[0].iter().position(|c| c == "ID").expect("ID column");
    let mut ids: Vec<String> = top[1..].iter().map(|r| r[id].clone()).collect();
    ids.sort();
    let expected: Vec<String> = f["top500_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn credit_matches_the_independent_computation() {
    let Some(data) = shared_data() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let params = [
        (
            "input",
            data.join("credit/cs-training.csv").display().to_string(),
        ),
        ("out", out.path().display().to_string()),
    ];
    let summary = run_file(
        &root().join("examples/credit/pipeline.sluice"),
        &params,
        &RunOptions::default(),
    )
    .expect("runs");
    let f = &facts()["credit"];
    assert_eq!(summary.sources[0].rows, 150_000);
    let clean_rows = summary
        .sinks
        .iter()
        .find(|s| s.description.contains("clean.parquet"))
        .expect("clean sink")
        .rows;
    assert_eq!(clean_rows, f["rows_after_distinct"].as_u64().unwrap());

    // The filled columns: no null left, and their mean is the mean they were filled with.
    let file = std::fs::File::open(out.path().join("clean.parquet")).expect("clean.parquet");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let (mut income, mut dependents, mut rows) = (0.0, 0.0, 0usize);
    for batch in reader {
        let batch = batch.expect("batch");
        for (name, total) in [
            ("MonthlyIncome", &mut income),
            ("NumberOfDependents", &mut dependents),
        ] {
            let column = batch.column_by_name(name).expect("column");
            assert_eq!(column.null_count(), 0, "{name} still has nulls");
            let values = column
                .as_any()
                .downcast_ref::<arrow::array::Float64Array>()
                .expect("float64 after a mean fill");
            *total += values.values().iter().sum::<f64>();
        }
        rows += batch.num_rows();
    }
    assert!(close(
        income / rows as f64,
        f["filled_mean_monthly_income"].as_f64().unwrap()
    ));
    assert!(close(
        dependents / rows as f64,
        f["filled_mean_number_of_dependents"].as_f64().unwrap()
    ));

    let bands = read_csv(&out.path().join("overdue_by_age.csv"));
    for (row, expected) in bands[1..].iter().zip(f["by_age"].as_array().unwrap()) {
        assert_eq!(row[0], expected["band"].as_str().unwrap());
        assert_eq!(
            row[1].parse::<u64>().unwrap(),
            expected["borrowers"].as_u64().unwrap()
        );
        assert!(
            close(
                row[2].parse().unwrap(),
                expected["overdue_rate"].as_f64().unwrap()
            ),
            "{row:?}"
        );
        assert!(
            close(
                row[3].parse().unwrap(),
                expected["mean_income"].as_f64().unwrap()
            ),
            "{row:?}"
        );
    }
}

#[test]
fn one_thread_and_two_threads_write_identical_files() {
    let data = shared_data();
    for example in ["earthquakes", "credit"] {
        let mut outputs = Vec::new();
        for threads in [1, 2] {
            let out = tempfile::tempdir().expect("tempdir");
            let mut params = vec![("out", out.path().display().to_string())];
            if let Some(d) = &data {
                let input = if example == "credit" {
                    "credit/cs-training.csv"
                } else {
                    "earthquakes/database.csv"
                };
                params.push(("input", d.join(input).display().to_string()));
            }
            // Small morsels: many partitions, so the two runs really split work differently.
            let options = RunOptions {
                threads: Some(threads),
                morsel_bytes: Some(64 * 1024),
                ..Default::default()
            };
            run_file(
                &root().join(format!("examples/{example}/pipeline.sluice")),
                &params,
                &options,
            )
            .expect("runs");
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out.path())
                .expect("out")
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("read"),
                    )
                })
                .collect();
            files.sort();
            outputs.push(files);
        }
        assert_eq!(
            outputs[0], outputs[1],
            "{example}: --threads 1 and --threads 2 differ"
        );
    }
}
