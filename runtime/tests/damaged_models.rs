//! A damaged or hand-edited model file is refused when it is read (at `check`), with the
//! field at fault, and never panics or scores wrongly in `run`. Models with every kind of
//! fitted part are trained on a small table, then each file is damaged one way at a time:
//! every array one element short, every number made non-finite or negative, classes that
//! are not values of the label, outputs of another type.

#![allow(clippy::panic)] // a failed check is a failed test

mod common;

use common::{Configuration, run_text};
use serde_json::Value;
use sluice_compiler::{ResolveOptions, SourceFile};

const TRAIN: &str = r#"
pipeline train
source t = csv("t.csv", header = true)
model linear = t
  | impute x, y (strategy = median)
  | standardize x
  | min_max_scale y
  | pca x, y (k = 2, into = v)
  | fit logistic_regression(label = label, features = [v, x], max_iter = 20)
model words = t
  | tokenize text
  | tf_idf text
  | fit naive_bayes(label = label, features = [text])
model gauss = t | impute x, y | fit naive_bayes(label = label, features = [x, y], kind = gaussian)
model clusters = t | impute x, y | fit kmeans(k = 2, features = [x, y], seed = 1)
model tree = t | impute x, y | fit decision_tree(label = label, features = [x, y])
sink linear -> model("linear.model")
sink words -> model("words.model")
sink gauss -> model("gauss.model")
sink clusters -> model("clusters.model")
sink tree -> model("tree.model")
"#;

fn table(dir: &std::path::Path) {
    let mut csv = String::from("x,y,text,label\n");
    for i in 0..60 {
        let label = i % 2;
        let y = if i % 7 == 0 {
            String::new()
        } else {
            format!("{}", i * 3 % 11)
        };
        let word = if label == 1 {
            "good great"
        } else {
            "bad awful"
        };
        csv.push_str(&format!(
            "{},{y},{word} w{},{label}\n",
            i as f64 / 3.0,
            i % 5
        ));
    }
    std::fs::write(dir.join("t.csv"), csv).expect("write");
}

fn score(name: &str) -> String {
    format!(
        "pipeline score\nsource t = csv(\"t.csv\", header = true)\nsource m = model(\"{name}.model\")\nlet s = t | predict m\nsink s -> csv(\"scored.csv\")\n"
    )
}

/// Every way of damaging one place of the document: each array shortened by one
/// element, each number made infinite-by-proxy (a huge exponent is not JSON, so `null`),
/// negative or zero, each type name changed to `string`, each class text changed.
fn mutants(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut paths = Vec::new();
    collect(doc, &mut Vec::new(), &mut paths);
    for path in paths {
        let target = get(doc, &path);
        let mut edits: Vec<Value> = Vec::new();
        match target {
            Value::Array(items) if !items.is_empty() => {
                let mut shorter = items.clone();
                shorter.pop();
                edits.push(Value::Array(shorter));
            }
            Value::Number(_) => {
                edits.push(Value::Null);
                edits.push(serde_json::json!(-1.0));
                edits.push(serde_json::json!(0));
            }
            Value::String(s) if path.last().map(String::as_str) == Some("type") => {
                let other = if s == "string" { "int64" } else { "string" };
                edits.push(Value::String(other.into()));
            }
            Value::String(_) if path.iter().any(|p| p == "classes") => {
                edits.push(Value::String("not-a-class".into()));
            }
            _ => {}
        }
        for edit in edits {
            let mut mutant = doc.clone();
            *get_mut(&mut mutant, &path) = edit.clone();
            out.push((format!("{} = {edit}", path.join(".")), mutant));
        }
    }
    out
}

fn collect(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(i.to_string());
                collect(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                at.push(k.clone());
                collect(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn get<'a>(v: &'a Value, path: &[String]) -> &'a Value {
    path.iter().fold(v, |v, p| match v {
        Value::Array(items) => &items[p.parse::<usize>().expect("index")],
        _ => &v[p.as_str()],
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, p| match v {
        Value::Array(items) => &mut items[p.parse::<usize>().expect("index")],
        _ => &mut v[p.as_str()],
    })
}

/// Whether a sound reader must refuse this damage: a missing element, a number that is
/// not one, a changed type or class, or a scale, variance or size that is not positive.
/// Another finite value is a hand edit a reader cannot tell from a real fit, and
/// what training reports (and the optimizer's bookkeeping) is never read by scoring.
fn must_refuse(what: &str) -> bool {
    let (path, edit) = what.split_once(" = ").unwrap_or((what, ""));
    let bookkeeping = [
        "training",
        "sluice_version",
        "iterations",
        "objective",
        "wcss",
    ]
    .iter()
    .any(|p| path.starts_with(p) || path.contains(&format!(".{p}")));
    let segments: Vec<&str> = path.split('.').collect();
    let must_be_positive = segments
        .iter()
        .any(|s| ["scales", "variances", "num_features", "n"].contains(s));
    // A model with one transformer or one cluster fewer is still a sound model.
    let optional_part = path == "transformers" || path == "estimator.centers";
    !bookkeeping
        && ((edit.starts_with('[') && !optional_part)
            || edit == "null"
            || path.ends_with(".type")
            || path.starts_with("classes")
            || (must_be_positive && (edit == "-1.0" || edit == "0")))
}

#[test]
fn damaged_model_files_are_refused_when_read_and_never_crash_a_run() {
    let dir = tempfile::tempdir().expect("dir");
    table(dir.path());
    run_text(dir.path(), TRAIN, Configuration::JitOffOneThread).expect("training");
    let resolve = ResolveOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let mut refused = 0;
    let mut accepted = Vec::new();
    for name in ["linear", "words", "gauss", "clusters", "tree"] {
        let path = dir.path().join(format!("{name}.model"));
        let original = std::fs::read_to_string(&path).expect("model");
        let doc: Value = serde_json::from_str(&original).expect("json");
        run_text(dir.path(), &score(name), Configuration::JitOffOneThread)
            .unwrap_or_else(|e| panic!("{name} intact: {e}"));
        for (what, mutant) in mutants(&doc) {
            std::fs::write(&path, serde_json::to_string(&mutant).expect("json")).expect("write");
            let file = SourceFile::new("score.sluice", score(name));
            match sluice_compiler::compile(&file, &resolve) {
                Err(d) => {
                    refused += 1;
                    assert!(
                        d[0].message.contains("model") || d[0].message.contains(name),
                        "{name}: {what}: {}",
                        d[0].message
                    );
                }
                Ok(_) => {
                    // Accepted: then it must score without a crash, to a clean error at worst.
                    let run = std::panic::catch_unwind(|| {
                        run_text(dir.path(), &score(name), Configuration::JitOffOneThread)
                    });
                    assert!(run.is_ok(), "{name}: {what}: scoring panicked");
                    if must_refuse(&what) {
                        accepted.push(format!("{name}: {what}"));
                    }
                }
            }
        }
        std::fs::write(&path, original).expect("restore");
    }
    assert!(refused > 100, "only {refused} damaged files refused");
    assert!(
        accepted.is_empty(),
        "accepted damaged files:\n{}",
        accepted.join("\n")
    );
}
