#![allow(clippy::panic)] // a failed expectation is a failed test
//! Every type through every sink and back, and every cast between every pair of types:
//! whatever `sluice check` accepts must run, and what a sink writes must read back as
//! the same values (timestamps once failed in every text sink with "Invalid timezone").

mod common;
use arrow::array::RecordBatch;
use common::{Configuration, run_text};
use std::path::Path;

/// Nulls, extremes, signed zeros, NaN, infinities, text that needs quoting, dates and
/// instants on both sides of the epoch, and durations of both signs.
const DATA: &str = "b,i,f,s,d,t,u\n\
true,1,1.5,ab,2001-01-05,2001-01-05T10:00:00Z,PT36000S\n\
false,-9223372036854775808,-0.0,\"x,\"\"y\",1969-12-31,1969-12-31T23:59:59.999999Z,-PT0.000001S\n\
,9223372036854775807,NaN,\"two\nlines\",0001-01-01,1900-01-01T00:00:00Z,P1DT2H3M4.5S\n\
true,0,inf,ünï ☃,9999-12-31,2262-04-11T23:47:16Z,\n\
false,,-inf,\" lead\",+12000-06-07,,PT0S\n\
,,,,,,\n";

const SCHEMA: &str =
    "{ b: bool?, i: int64?, f: float64?, s: string?, d: date?, t: timestamp?, u: duration? }";

/// The formats a sink writes and a source reads back.
const READABLE: &[&str] = &["csv", "tsv", "jsonl", "parquet", "arrow"];

fn read_arrow(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    arrow::ipc::reader::FileReader::try_new(file, None)
        .expect("arrow file")
        .map(|b| b.expect("batch"))
        .collect()
}

fn pretty(batches: &[RecordBatch]) -> String {
    arrow::util::pretty::pretty_format_batches(batches)
        .expect("format")
        .to_string()
}

#[test]
fn every_type_through_every_sink_reads_back_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("data.csv"), DATA).expect("write");
    let mut write = format!("source data = csv(\"data.csv\") {SCHEMA}\n");
    write.push_str("let listed = data | derive l = split(s, \",\") | select i, l\n");
    for f in READABLE.iter().chain(&["json"]) {
        write.push_str(&format!("sink data -> {f}(\"out/data.{f}\")\n"));
    }
    for f in ["jsonl", "parquet", "arrow", "json"] {
        write.push_str(&format!("sink listed -> {f}(\"out/listed.{f}\")\n"));
    }
    write.push_str("sink data -> console()\nsink listed -> console()\n");
    for config in Configuration::ALL {
        if let Err(e) = run_text(dir.path(), &write, config) {
            panic!("{config:?}: {e}");
        }
        let reference = pretty(&read_arrow(&dir.path().join("out/data.arrow")));
        assert!(reference.contains("2001-01-05T10:00:00Z"), "{reference}");
        let listed = pretty(&read_arrow(&dir.path().join("out/listed.arrow")));
        for f in READABLE {
            // Text formats need the schema declared (inference would read `u` as text).
            let declared = if matches!(*f, "parquet" | "arrow") {
                ""
            } else {
                SCHEMA
            };
            let back = format!(
                "source back = {f}(\"out/data.{f}\") {declared}\nsink back -> arrow(\"back/{f}.arrow\")\n"
            );
            if let Err(e) = run_text(dir.path(), &back, config) {
                panic!("{config:?}: reading back {f}: {e}");
            }
            let got = pretty(&read_arrow(&dir.path().join(format!("back/{f}.arrow"))));
            assert_eq!(got, reference, "{config:?}: {f} changed values");
        }
        for f in ["jsonl", "parquet", "arrow"] {
            let declared = if f == "jsonl" {
                "{ i: int64?, l: list<string>? }"
            } else {
                ""
            };
            let back = format!(
                "source back = {f}(\"out/listed.{f}\") {declared}\nsink back -> arrow(\"back/listed_{f}.arrow\")\n"
            );
            if let Err(e) = run_text(dir.path(), &back, config) {
                panic!("{config:?}: reading back lists from {f}: {e}");
            }
            let got = pretty(&read_arrow(
                &dir.path().join(format!("back/listed_{f}.arrow")),
            ));
            assert_eq!(got, listed, "{config:?}: {f} changed list values");
        }
        for name in ["data", "listed"] {
            let text = std::fs::read_to_string(dir.path().join(format!("out/{name}.json")))
                .expect("json output");
            let rows: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(rows.as_array().map(Vec::len), Some(6), "{name}.json");
        }
    }
}

/// Every type a column can have, with an expression of that type over `data`.
const TYPES: &[(&str, &str)] = &[
    ("bool", "b"),
    ("int64", "i"),
    ("float64", "f"),
    ("string", "s"),
    ("date", "d"),
    ("timestamp", "t"),
    ("duration", "u"),
    ("list<string>", "split(s, \",\")"),
];

#[test]
fn every_cast_that_checks_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("data.csv"), DATA).expect("write");
    let mut checked = 0;
    for (from, value) in TYPES {
        for (to, _) in TYPES {
            let text = format!(
                "source data = csv(\"data.csv\") {SCHEMA}\nlet cast = data | derive x = {value} | derive y = x as {to} | select x, y\nsink cast -> jsonl(\"cast.jsonl\")\n"
            );
            let file = sluice_compiler::SourceFile::new("cast.sluice", text.clone());
            let options = sluice_compiler::ResolveOptions {
                params: Default::default(),
                base_dir: Some(dir.path().to_path_buf()),
            };
            if sluice_compiler::compile(&file, &options).is_err() {
                continue; // the resolver refuses this cast: nothing to run
            }
            checked += 1;
            for config in Configuration::ALL {
                if let Err(e) = run_text(dir.path(), &text, config) {
                    panic!("{config:?}: `{from} as {to}` checks but fails: {e}");
                }
            }
        }
    }
    assert!(checked >= 25, "only {checked} casts check");
}

/// Text is the universal carrier: `(x as string) as T` gives `x` back for every scalar
/// type, so a value written as text by one pipeline is read back by the next.
#[test]
fn every_scalar_type_survives_a_trip_through_text() {
    for (name, column) in &TYPES[..7] {
        let body = format!(
            "source data = csv(\"data.csv\") {SCHEMA}\nlet trip = data | derive back = ({column} as string) as {name} | filter not (back == {column}) or (is_null(back) != is_null({column})) | select {column}\nsink trip -> csv(\"trip.csv\")\n"
        );
        let out = common::run_everywhere(&[("data.csv", DATA.as_bytes())], &body, &["trip.csv"]);
        assert_eq!(
            out[0].lines().count(),
            1,
            "{name} changed through text:\n{}",
            out[0]
        );
    }
}
