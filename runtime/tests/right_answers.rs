#![allow(clippy::panic)] // a failed expectation is a failed test
//! Regression tests for wrong answers found on data the project never saw (issue 12),
//! each run in all five configurations (see `common::Configuration`). Items 1, 3 and 4
//! have their own tests: `type_sink_round_trip.rs` and the unit tests of
//! `stdlib/src/kernels/dates.rs`.

mod common;
use common::{Configuration, run_everywhere, run_text, run_text_in_morsels};

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// Item 2: A CSV file with CR-only line endings reads every row (inference already split on
/// CR); a UTF-8 byte-order mark never stays in the first field.
#[test]
fn cr_only_files_and_byte_order_marks() {
    let cr = b"id,name\r1,ann\r2,bob\r3,cid\r";
    let out = run_everywhere(
        &[("cr.csv", cr)],
        "source s = csv(\"cr.csv\")\nlet t = s | derive n = id * 10\nsink t -> csv(\"out.csv\")\n",
        &["out.csv"],
    );
    assert_eq!(
        lines(&out[0]),
        ["id,name,n", "1,ann,10", "2,bob,20", "3,cid,30"]
    );

    let bom = b"\xEF\xBB\xBFa,b\n1,2\n";
    let out = run_everywhere(
        &[("bom.csv", bom)],
        "source s = csv(\"bom.csv\", header = false) { x: string, y: string }\nsink s -> csv(\"out.csv\")\n",
        &["out.csv"],
    );
    assert_eq!(lines(&out[0]), ["x,y", "a,b", "1,2"]);
    let out = run_everywhere(
        &[("bom.csv", bom)],
        "source s = csv(\"bom.csv\")\nlet t = s | derive c = a + b\nsink t -> csv(\"out.csv\")\n",
        &["out.csv"],
    );
    assert_eq!(lines(&out[0]), ["a,b,c", "1,2,3"]);
}

/// Item 5: `median`, `quantile` and `fill_null median` return an infinite value as itself.
#[test]
fn medians_of_infinite_values() {
    let data = b"g,x\na,inf\na,inf\na,1\nb,-inf\nb,-inf\nb,\nb,2\n";
    let out = run_everywhere(
        &[("d.csv", data)],
        "source s = csv(\"d.csv\")\nlet m = s | group g { med = median(x), q = quantile(x, 0.9) }\nlet f = s | fill_null median\nsink m -> csv(\"m.csv\")\nsink f -> csv(\"f.csv\")\n",
        &["m.csv", "f.csv"],
    );
    assert_eq!(lines(&out[0]), ["g,med,q", "a,inf,inf", "b,-inf,-inf"]);
    assert!(out[1].contains("b,-inf\n"), "{}", out[1]);
    assert!(!out[1].contains("NaN"), "{}", out[1]);
}

/// Item 6: NaN with the sign bit set (`sqrt(-1.1)`, `0 * inf`, `-NaN`) is the one NaN: it
/// sorts last, `max` returns it, `min` ignores it, `> 20` keeps it, it forms one group,
/// counts once in `count_distinct` and joins.
#[test]
fn every_nan_is_the_same_nan() {
    let data = b"k,x\na,-1.1\nb,4\nc,nan\nd,-nan\ne,25\n";
    let body = "source s = csv(\"d.csv\")\n\
        let v = s | derive y = if(x < 0, sqrt(x), if(k == \"b\", 0 * (x * 1e308 * 10), x))\n\
        let sorted = v | sort y | select k, y\n\
        let big = v | filter y > 20 | select k\n\
        let stats = v | group { hi = max(y), lo = min(y), kinds = count_distinct(y) }\n\
        let groups = v | group y { n = count() } | sort y\n\
        let keys = v | rename { k -> k2 } | select k2, y\n\
        let joined = v | join keys on y == y | select k, k2 | sort k, k2\n\
        let distinct_y = v | distinct y | select y\n\
        sink sorted -> csv(\"sorted.csv\")\nsink big -> csv(\"big.csv\")\nsink stats -> csv(\"stats.csv\")\n\
        sink groups -> csv(\"groups.csv\")\nsink joined -> csv(\"joined.csv\")\nsink distinct_y -> csv(\"distinct.csv\")\n";
    let out = run_everywhere(
        &[("d.csv", data)],
        body,
        &[
            "sorted.csv",
            "big.csv",
            "stats.csv",
            "groups.csv",
            "joined.csv",
            "distinct.csv",
        ],
    );
    // a: sqrt(-1.1) = -NaN; b: 0 * inf = -NaN; c: nan; d: -nan; e: 25.
    let sorted = lines(&out[0]);
    assert_eq!(sorted[1], "e,25.0", "{sorted:?}");
    assert_eq!(sorted.len(), 6);
    assert!(
        sorted[2..].iter().all(|l| l.ends_with(",NaN")),
        "{sorted:?}"
    );
    assert_eq!(lines(&out[1]), ["k", "a", "b", "c", "d", "e"]);
    assert_eq!(lines(&out[2]), ["hi,lo,kinds", "NaN,25.0,2"]);
    assert_eq!(lines(&out[3]), ["y,n", "25.0,1", "NaN,4"]);
    assert_eq!(lines(&out[4]).len(), 1 + 4 * 4 + 1, "{}", out[4]);
    assert_eq!(lines(&out[5]), ["y", "NaN", "25.0"]);
}

/// Item 7: `sum(int64)` does not depend on row order: it adds in 128 bits and is null only
/// when the total does not fit.
#[test]
fn int64_sums_do_not_depend_on_row_order() {
    let data = b"g,x\na,9223372036854775807\na,1\na,-5\nb,9223372036854775807\nb,1\n";
    let out = run_everywhere(
        &[("d.csv", data)],
        "source s = csv(\"d.csv\")\nlet f = s | group g { t = sum(x) }\nlet r = s | sort x | group g { t = sum(x) }\nsink f -> csv(\"f.csv\")\nsink r -> csv(\"r.csv\")\n",
        &["f.csv", "r.csv"],
    );
    assert_eq!(lines(&out[0]), ["g,t", "a,9223372036854775803", "b,"]);
    assert_eq!(lines(&out[1]), ["g,t", "a,9223372036854775803", "b,"]);
}

/// Item 8: `explode` of a null or empty list emits no row (Spark's `explode`, DuckDB's
/// `unnest`).
#[test]
fn explode_skips_null_and_empty_lists() {
    let data = b"id,tags\n1,a;b\n2,\n3,c\n";
    let out = run_everywhere(
        &[("d.csv", data)],
        "source s = csv(\"d.csv\")\nlet e = s | derive t = split(tags, \";\") | explode t | select id, t\nlet empty = s | filter id == 3 | derive t = split(tags, \"c\") | derive u = t | explode u | select id, u\nsink e -> csv(\"e.csv\")\nsink empty -> csv(\"empty.csv\")\n",
        &["e.csv", "empty.csv"],
    );
    assert_eq!(lines(&out[0]), ["id,t", "1,a", "1,b", "3,c"]);
    // split("c", "c") is ["", ""]: two empty strings, which are items.
    assert_eq!(lines(&out[1]).len(), 3, "{}", out[1]);
}

/// Item 9: YAML keys and names are read as written: `on`, `y`, `n`, `yes`, `no`, `off`.
#[test]
fn yaml_reads_on_and_no_as_names() {
    let yaml = r#"
pipeline: names
sources:
  l: {csv: "l.csv"}
  r: {csv: "r.csv"}
relations:
  j:
    from: l
    steps:
      - join: {with: r, kind: left, on: [k]}
      - group: {by: [k], agg: {n: count(), y: sum(v), off: max(v)}}
sinks:
  - {from: j, csv: "out.csv"}
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("l.csv"), "k,v\n1,10\n2,20\n1,5\n").expect("write");
    std::fs::write(dir.path().join("r.csv"), "k,w\n1,x\n").expect("write");
    std::fs::write(dir.path().join("p.yaml"), yaml).expect("write");
    let file = sluice_compiler::SourceFile::read(&dir.path().join("p.yaml")).expect("read");
    let options = sluice_compiler::ResolveOptions {
        params: Default::default(),
        base_dir: Some(dir.path().to_path_buf()),
    };
    let compiled = sluice_compiler::compile(&file, &options).unwrap_or_else(|d| panic!("{d:#?}"));
    let run = sluice_runtime::RunOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    sluice_runtime::run(&compiled.plan, &run).expect("runs");
    let out = std::fs::read_to_string(dir.path().join("out.csv")).expect("output");
    assert_eq!(lines(&out), ["k,n,y,off", "1,2,15,10", "2,1,20,20"]);
}

/// Item 10: `@partition` never changes a result: row order for `take`, group order.
#[test]
fn partition_hints_do_not_change_results() {
    let mut data = String::from("k,v\n");
    for i in 0..200 {
        data.push_str(&format!("{},{}\n", (i * 7) % 13, i));
    }
    let body = |hint: &str| {
        format!(
            "source s = csv(\"d.csv\")\nlet p = s | derive w = v * 2 {hint}\nlet first = p | take 15\nlet g = p | group k {{ n = count(), f = first(v) }}\nsink first -> csv(\"first.csv\")\nsink g -> csv(\"g.csv\")\n"
        )
    };
    let files = [("d.csv", data.as_bytes())];
    let plain = run_everywhere(&files, &body(""), &["first.csv", "g.csv"]);
    for hint in ["@partition(hash(k, 4))", "@partition(range(v, 3))"] {
        let hinted = run_everywhere(&files, &body(hint), &["first.csv", "g.csv"]);
        assert_eq!(plain, hinted, "{hint} changed a result");
    }
}

/// Item 11: A list column cannot go to a CSV or TSV sink: `check` says so, with the fix.
#[test]
fn list_columns_in_text_sinks_are_refused_at_compile_time() {
    let text = "source s = csv(\"d.csv\") { tags: string }\nlet t = s | derive l = split(tags, \";\")\nsink t -> csv(\"out.csv\")\n";
    let file = sluice_compiler::SourceFile::new("t.sluice", text.to_string());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("d.csv"), "tags\na;b\n").expect("write");
    let options = sluice_compiler::ResolveOptions {
        params: Default::default(),
        base_dir: Some(dir.path().to_path_buf()),
    };
    let Err(diagnostics) = sluice_compiler::compile(&file, &options) else {
        panic!("a list column in a csv sink compiled");
    };
    let d = &diagnostics[0];
    assert_eq!(d.code.as_str(), "E0315");
    assert!(d.message.contains("`l` is list<string>"), "{}", d.message);
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("concat_ws")),
        "{d:?}"
    );
    // The fix it suggests runs.
    let fixed = text.replace(
        "sink t",
        "let u = t | derive l = concat_ws(\",\", l)\nsink u",
    );
    let out = run_everywhere(&[("d.csv", b"tags\na;b\n")], &fixed, &["out.csv"]);
    assert_eq!(lines(&out[0]), ["tags,l", "a;b,\"a,b\""]);
}

/// Item 12: JSON lines: an empty list takes the item type of the other rows.
#[test]
fn jsonl_empty_lists_infer_the_other_rows_item_type() {
    let data = b"{\"l\":[1,2]}\n{\"l\":[]}\n{\"l\":null}\n";
    let out = run_everywhere(
        &[("d.jsonl", data)],
        "source s = jsonl(\"d.jsonl\")\nlet t = s | derive n = length(l) | explode l | derive m = l * 10 | select m, n\nsink t -> csv(\"out.csv\")\n",
        &["out.csv"],
    );
    assert_eq!(lines(&out[0]), ["m,n", "10,2", "20,2"]);
}

fn run_model(data: &[(&str, &[u8])], body: &str, outputs: &[&str]) -> Vec<String> {
    run_everywhere(data, body, outputs)
}

/// Item 13: `evaluate` skips rows with a null label (binary too); multiclass compares
/// classes by value (`1` is `1.0`).
#[test]
fn evaluations_skip_null_labels_and_compare_classes_by_value() {
    let data = b"y,p,c\n1,0.9,1.0\n0,0.2,0.0\n,0.95,1.0\n1,0.4,1.0\n";
    let out = run_model(
        &[("d.csv", data)],
        "source s = csv(\"d.csv\")\nlet b = s | evaluate binary(label = y, score = p) | select rows, true_positives, false_positives\nlet m = s | evaluate multiclass(label = y, prediction = c) | select rows, accuracy\nsink b -> csv(\"b.csv\")\nsink m -> csv(\"m.csv\")\n",
        &["b.csv", "m.csv"],
    );
    assert_eq!(
        lines(&out[0]),
        ["rows,true_positives,false_positives", "3,1,0"]
    );
    assert_eq!(lines(&out[1]), ["rows,accuracy", "3,1.0"]);
}

/// Item 13: `linear_regression` and gaussian `naive_bayes` keep a feature's variance when it
/// has a large offset; an iterative fit that hits `max_iter` says so.
#[test]
fn fits_survive_large_offsets_and_warn_at_max_iter() {
    let mut data = String::from("x,y,c\n");
    for i in 0..400 {
        let x = i as f64 * 0.01;
        let c = i64::from(x > 2.0);
        data.push_str(&format!("{},{},{c}\n", 1e9 + x, 3.0 * x + 1.0));
    }
    let body = "source s = csv(\"d.csv\")\n\
        model lin = s | fit linear_regression(label = y, features = [x])\n\
        model nb = s | fit naive_bayes(label = c, features = [x], kind = gaussian)\n\
        let l = s | predict lin | evaluate regression(label = y) | select r2\n\
        let n = s | predict nb | evaluate multiclass(label = c) | select accuracy\n\
        sink l -> csv(\"l.csv\")\nsink n -> csv(\"n.csv\")\n";
    let out = run_model(&[("d.csv", data.as_bytes())], body, &["l.csv", "n.csv"]);
    let r2: f64 = lines(&out[0])[1].parse().expect("r2");
    assert!(r2 > 0.999_999, "R² {r2}");
    let accuracy: f64 = lines(&out[1])[1].parse().expect("accuracy");
    assert!(accuracy > 0.95, "accuracy {accuracy}");

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("d.csv"), &data).expect("write");
    let capped = "source s = csv(\"d.csv\")\nmodel m = s | fit logistic_regression(label = c, features = [x], max_iter = 2)\nsink m -> model(\"m.model\")\n";
    let summary = run_text(dir.path(), capped, Configuration::Default).expect("runs");
    let rendered = summary.render();
    assert!(
        rendered.contains("warning: model m: logistic_regression stopped at max_iter = 2"),
        "{rendered}"
    );
}

/// Item 14: Training is deterministic: the same data and flags give the same model
/// file, run after run, with every thread count. The data spans many 8,192-row chunks,
/// so per-chunk sums must be combined in a fixed order (rayon's `reduce` combines them
/// in a tree that depends on work stealing, which changed the last bits).
#[test]
fn model_files_are_the_same_on_every_run() {
    let mut rng = common::Rng(14);
    let mut data = String::from("a,b,c,d,y,z\n");
    for _ in 0..60_000 {
        let (a, b) = (
            rng.below(10_000) as f64 / 77.0,
            rng.below(1000) as f64 * 0.37,
        );
        let (c, d) = (rng.below(500) as f64 - 250.0, (rng.below(3) as f64).sqrt());
        let y = i64::from(a * 0.02 - b * 0.003 + c * 0.004 + rng.below(100) as f64 / 40.0 > 2.0);
        let z = 3.0 * a - b + 0.5 * c + rng.below(1000) as f64 / 1000.0;
        data.push_str(&format!("{a},{b},{c},{d},{y},{z}\n"));
    }
    let body = "source s = csv(\"d.csv\")\n\
        model logistic = s | standardize a, b, c, d | fit logistic_regression(label = y, features = [a, b, c, d], l2 = 0.001, max_iter = 15)\n\
        model linear = s | fit linear_regression(label = z, features = [a, b, c, d])\n\
        model bayes = s | fit naive_bayes(label = y, features = [a, b, c, d], kind = gaussian)\n\
        sink logistic -> model(\"logistic.model\")\nsink linear -> model(\"linear.model\")\nsink bayes -> model(\"bayes.model\")\n";
    let mut files = std::collections::BTreeSet::new();
    for config in Configuration::ALL {
        for _ in 0..4 {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("d.csv"), &data).expect("write");
            run_text_in_morsels(dir.path(), body, config, Some(64 * 1024))
                .unwrap_or_else(|e| panic!("{config:?}: {e}"));
            let bytes: Vec<Vec<u8>> = ["logistic", "linear", "bayes"]
                .iter()
                .map(|m| std::fs::read(dir.path().join(format!("{m}.model"))).expect("model"))
                .collect();
            files.insert(bytes);
        }
    }
    assert_eq!(
        files.len(),
        1,
        "{} different sets of model files",
        files.len()
    );
}
