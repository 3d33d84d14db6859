#![allow(clippy::unwrap_used, clippy::panic)] // a failed expectation is a failed test
//! Models end to end: the credit-risk example trains, evaluates and saves a model from
//! one file and a second file scores new rows with it; the shipped model is what
//! training produces today; and on the real credit data a Sluice pipeline's metrics
//! agree with scikit-learn's (stdlib/tests/sklearn/credit_reference.py).

mod common;

use common::*;
use sluice_compiler::SourceFile;
use sluice_runtime::RunOptions;
use sluice_stdlib::ml::artifact::Model;
use std::path::Path;

fn read_model(path: &Path) -> Model {
    Model::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs an inline pipeline that writes `metrics.json` and `model_file` under `out`, and
/// reads both back.
fn run_inline(text: String, out: &Path, model_file: &str) -> (serde_json::Value, Model) {
    run_source(
        &SourceFile::new("inline.sluice", text),
        &[],
        &RunOptions::default(),
    )
    .unwrap();
    (
        metrics(&out.join("metrics.json")),
        read_model(&out.join(model_file)),
    )
}

fn metrics(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    rows[0].clone()
}

#[test]
fn credit_risk_trains_saves_and_scores() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let train = root().join("examples/credit_risk/train.sluice");
    run_file(&train, &[("out", dir.clone())], &RunOptions::default()).unwrap();
    let m = metrics(&out.path().join("metrics.json"));
    let auc = m["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.6 && auc < 1.0, "{m}");
    assert_eq!(
        m["rows"].as_i64().unwrap(),
        603,
        "a fifth of 3,012 rows, per class"
    );

    // The saved artifact loads and says what it reads and adds.
    let model_path = out.path().join("risk.model");
    let model = read_model(&model_path);
    assert_eq!(model.input.len(), 10);
    assert_eq!(model.classes, ["0", "1"]);
    let outputs: Vec<&str> = model.outputs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(outputs, ["prediction", "probability"]);
    assert_eq!(model.training.rows, 2409);

    // The shipped model is what training writes, byte for byte.
    let shipped = std::fs::read_to_string(root().join("examples/credit_risk/risk.model")).unwrap();
    let shipped = Model::from_json(&shipped).unwrap();
    let fresh = model.clone();
    assert_eq!(
        shipped, fresh,
        "examples/credit_risk/risk.model is stale: run `sluice run examples/credit_risk/train.sluice --param out=examples/credit_risk` and remove the metrics.json it writes there"
    );

    // The second pipeline scores new loans with the saved model.
    let score = root().join("examples/credit_risk/score.sluice");
    run_file(
        &score,
        &[
            ("out", dir.clone()),
            ("model_path", model_path.display().to_string()),
        ],
        &RunOptions::default(),
    )
    .unwrap();
    let rows = read_csv(&out.path().join("scores.csv"));
    assert_eq!(rows[0], ["Id", "Probability", "prediction"]);
    assert_eq!(rows.len(), 1 + 212);
    for r in &rows[1..] {
        let p: f64 = r[1].parse().unwrap();
        assert!(p > 0.0 && p < 1.0, "{r:?}");
        assert_eq!(r[2], if p >= 0.5 { "1" } else { "0" });
    }
}

#[test]
fn yaml_and_dsl_train_the_same_model() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for (file, dir) in [("train.sluice", &a), ("train.yaml", &b)] {
        let path = root().join("examples/credit_risk").join(file);
        run_file(
            &path,
            &[("out", dir.path().display().to_string())],
            &RunOptions::default(),
        )
        .unwrap();
    }
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("risk.model")).unwrap();
    assert_eq!(read(&a), read(&b), "byte-identical model files");
}

#[test]
fn models_are_the_same_on_any_thread_count() {
    let text = r#"
source s = csv("examples/credit_risk/data/cs-training.csv", header = true, nulls = ["NA", ""])
let clean = s | drop_null MonthlyIncome
model m = clean
  | min_max_scale age, MonthlyIncome
  | fit linear_regression(label = DebtRatio, features = [age, MonthlyIncome], l2 = 0.1)
model k = clean
  | standardize age, MonthlyIncome
  | fit kmeans(k = 3, features = [age, MonthlyIncome], seed = 7)
sink m -> model(out + "/m.model")
sink k -> model(out + "/k.model")
"#;
    let mut models = Vec::new();
    for threads in [1, 2, 4] {
        let out = tempfile::tempdir().unwrap();
        let file = SourceFile::new(
            "inline.sluice",
            format!("param out: string = \"{}\"\n{text}", out.path().display()),
        );
        run_source(
            &file,
            &[],
            &RunOptions {
                threads: Some(threads),
                ..Default::default()
            },
        )
        .unwrap();
        let read = |name: &str| read_model(&out.path().join(name));
        models.push((read("m.model"), read("k.model")));
    }
    assert_eq!(models[0], models[1]);
    // Sums in a different order may differ in the last bits; k-means assignments not.
    let (l1, k1) = &models[0];
    let (l4, k4) = &models[2];
    assert!((l1.training.metrics["mse"] - l4.training.metrics["mse"]).abs() < 1e-9);
    assert!((k1.training.metrics["wcss"] - k4.training.metrics["wcss"]).abs() < 1e-6);
}

#[test]
fn credit_pipeline_agrees_with_scikit_learn() {
    let Some(data) = shared_data() else { return };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("stdlib/tests/sklearn/credit_reference.json"))
            .unwrap(),
    )
    .unwrap();
    let want = &reference["pipeline"];
    let out = tempfile::tempdir().unwrap();
    // The reference's split: row i (0-based) is a test row when i % 5 == 4, and the
    // unnamed first column numbers rows from 1.
    let text = format!(
        r#"
source loans = csv("{}", header = true, nulls = ["NA", ""])
let train = loans | filter _c0 % 5 != 0
let test = loans | filter _c0 % 5 == 0
model risk = train
  | impute MonthlyIncome, NumberOfDependents (strategy = median)
  | standardize {features}
  | fit logistic_regression(label = SeriousDlqin2yrs, features = [{features}], l2 = {l2}, max_iter = 300, tolerance = 1e-9)
let metrics = test | predict risk | evaluate binary(label = SeriousDlqin2yrs)
sink metrics -> json("{}/metrics.json")
"#,
        data.join("credit/cs-training.csv").display(),
        out.path().display(),
        features = want["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("`{}`", f.as_str().unwrap()))
            .collect::<Vec<_>>()
            .join(", "),
        l2 = reference["l2"].as_f64().unwrap(),
    );
    run_source(
        &SourceFile::new("credit.sluice", &text),
        &[],
        &RunOptions::default(),
    )
    .unwrap();
    let got = metrics(&out.path().join("metrics.json"));
    eprintln!("Sluice: {got}\nscikit-learn: {want}");
    let close = |k: &str, tolerance: f64| {
        let (a, b) = (got[k].as_f64().unwrap(), want[k].as_f64().unwrap());
        assert!(
            (a - b).abs() <= tolerance,
            "{k}: Sluice {a}, scikit-learn {b}"
        );
    };
    close("roc_auc", 0.01); // the issue's tolerance; they agree far closer
    close("roc_auc", 1e-4);
    close("pr_auc", 1e-3);
    close("log_loss", 1e-4);
    close("accuracy", 1e-3);
    assert_eq!(got["rows"].as_i64().unwrap(), 30_000);
}

#[test]
fn earthquake_kmeans_agrees_with_scikit_learn() {
    let Some(data) = shared_data() else { return };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("stdlib/tests/sklearn/kmeans_reference.json"))
            .unwrap(),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    run_file(
        &root().join("examples/quake_clusters/pipeline.sluice"),
        &[
            (
                "input",
                data.join("earthquakes/database.csv").display().to_string(),
            ),
            ("out", out.path().display().to_string()),
        ],
        &RunOptions::default(),
    )
    .unwrap();
    let model = read_model(&out.path().join("regions.model"));
    let (ours, theirs) = (
        model.training.metrics["wcss"],
        reference["wcss"].as_f64().unwrap(),
    );
    eprintln!("WCSS: Sluice {ours}, scikit-learn {theirs}");
    assert_eq!(model.training.rows, reference["rows"].as_u64().unwrap());
    assert!(
        (ours - theirs).abs() <= 0.01 * theirs,
        "WCSS: Sluice {ours}, scikit-learn {theirs}"
    );
    let rows = read_csv(&out.path().join("clusters.csv"));
    let mut sizes: Vec<u64> = rows[1..].iter().map(|r| r[1].parse().unwrap()).collect();
    sizes.sort();
    let want: Vec<u64> = reference["cluster_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // The same partition up to a few boundary rows.
    for (a, b) in sizes.iter().zip(&want) {
        assert!(
            a.abs_diff(*b) <= want.iter().sum::<u64>() / 200,
            "{sizes:?} vs {want:?}"
        );
    }
}

#[test]
fn review_sentiment_agrees_with_scikit_learn() {
    let Some(data) = shared_data() else { return };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("stdlib/tests/sklearn/text_reference.json")).unwrap(),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let sources: String = ["amazon_cells", "imdb", "yelp"]
        .iter()
        .map(|site| {
            format!(
                "source {site} = tsv(\"{}\", header = false, quote = \"none\") {{ sentence: string, label: int64 }}\n",
                data.join(format!("reviews/{site}_labelled.txt")).display()
            )
        })
        .collect();
    let text = format!(
        r#"{sources}
let reviews = amazon_cells | union imdb, yelp
let train = reviews | filter length(sentence) % 5 != 0
let test = reviews | filter length(sentence) % 5 == 0
model logistic = train
  | tokenize sentence
  | tf_idf sentence
  | fit logistic_regression(label = label, features = [sentence], l2 = {l2}, max_iter = 300)
model bayes = train
  | tokenize sentence
  | tf_idf sentence
  | fit naive_bayes(label = label, features = [sentence])
let logistic_metrics = test | predict logistic | evaluate binary(label = label)
let bayes_metrics = test | predict bayes | evaluate binary(label = label)
sink logistic_metrics -> json("{out}/logistic.json")
sink bayes_metrics -> json("{out}/bayes.json")
sink logistic -> model("{out}/logistic.model")
"#,
        l2 = reference["l2"].as_f64().unwrap(),
        out = out.path().display(),
    );
    run_source(
        &SourceFile::new("reviews.sluice", text),
        &[],
        &RunOptions::default(),
    )
    .unwrap();
    let model = read_model(&out.path().join("logistic.model"));
    assert_eq!(
        model.training.rows,
        reference["train_rows"].as_u64().unwrap()
    );
    let vocabulary = match &model.transformers[1] {
        sluice_stdlib::ml::artifact::FittedTransformer::TfIdf { fitted, .. } => {
            fitted[0].vocabulary.len()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        vocabulary as u64,
        reference["vocabulary"].as_u64().unwrap(),
        "the same tokens as scikit-learn's TfidfVectorizer"
    );
    for name in ["logistic", "bayes"] {
        let got = metrics(&out.path().join(format!("{name}.json")));
        let want = &reference[name];
        eprintln!("{name}: Sluice {got}\nscikit-learn {want}");
        assert_eq!(
            got["rows"].as_u64().unwrap(),
            reference["test_rows"].as_u64().unwrap()
        );
        for (k, tolerance) in [("accuracy", 0.02), ("roc_auc", 0.01)] {
            let (a, b) = (got[k].as_f64().unwrap(), want[k].as_f64().unwrap());
            assert!(
                (a - b).abs() <= tolerance,
                "{name} {k}: Sluice {a}, scikit-learn {b}"
            );
        }
    }
}

#[test]
fn multinomial_logistic_regression_agrees_with_scikit_learn() {
    let Some(data) = shared_data() else { return };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("stdlib/tests/sklearn/multiclass_reference.json"))
            .unwrap(),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
source quakes = csv("{}", header = true)
let typed = quakes | drop_null `Magnitude Type`
let train = typed | filter floor(Latitude * 1000) as int64 % 5 != 0
let test = typed | filter floor(Latitude * 1000) as int64 % 5 == 0
model kind = train
  | standardize Latitude, Longitude, Depth, Magnitude
  | fit logistic_regression(label = `Magnitude Type`, features = [Latitude, Longitude, Depth, Magnitude], l2 = {l2}, max_iter = 500, tolerance = 1e-9)
let metrics = test | predict kind | evaluate multiclass(label = `Magnitude Type`)
sink metrics -> json("{out}/metrics.json")
sink kind -> model("{out}/kind.model")
"#,
        data.join("earthquakes/database.csv").display(),
        l2 = reference["l2"].as_f64().unwrap(),
        out = out.path().display(),
    );
    let (got, model) = run_inline(text, out.path(), "kind.model");
    eprintln!("Sluice {got}\nscikit-learn {reference}");
    assert_eq!(
        model.classes.len() as u64,
        reference["classes"].as_u64().unwrap()
    );
    assert_eq!(
        model.training.rows,
        reference["train_rows"].as_u64().unwrap()
    );
    assert_eq!(
        got["rows"].as_u64().unwrap(),
        reference["test_rows"].as_u64().unwrap()
    );
    for (k, tolerance) in [
        ("accuracy", 0.005),
        ("macro_f1", 0.01),
        ("weighted_f1", 0.01),
    ] {
        let (a, b) = (got[k].as_f64().unwrap(), reference[k].as_f64().unwrap());
        assert!(
            (a - b).abs() <= tolerance,
            "{k}: Sluice {a}, scikit-learn {b}"
        );
    }
}

#[test]
fn cross_validation_chooses_by_the_mean_fold_score_and_refits() {
    let out = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
source loans = csv("examples/credit_risk/data/cs-training.csv", header = true, nulls = ["NA", ""])
model risk = loans
  | impute MonthlyIncome (strategy = median)
  | standardize age, MonthlyIncome, RevolvingUtilizationOfUnsecuredLines
  | cross_validate logistic_regression(
      label = SeriousDlqin2yrs,
      features = [age, MonthlyIncome, RevolvingUtilizationOfUnsecuredLines, `NumberOfTime30-59DaysPastDueNotWorse`],
      l2 = [0.001, 1000.0],
      max_iter = [50, 200],
    ) (folds = 4, metric = log_loss, seed = 3)
sink risk -> model("{}/risk.model")
"#,
        out.path().display()
    );
    let summary = run_source(
        &SourceFile::new("cv.sluice", text),
        &[],
        &RunOptions::default(),
    )
    .unwrap();
    // The run says which candidate won, as written.
    let rendered = summary.render();
    assert!(
        rendered.contains("chosen logistic_regression(l2 = 0.001, max_iter = ")
            && rendered.contains("among 4 by cross-validated log_loss"),
        "{rendered}"
    );
    let model = read_model(&out.path().join("risk.model"));
    let cv = model.training.cross_validation.as_ref().unwrap();
    assert_eq!(cv.candidates.len(), 4, "2 × 2 combinations");
    assert!(cv.candidates.iter().all(|c| c.per_fold.len() == 4));
    // Log loss: lower is better, and a huge penalty predicts the base rate only.
    let best = cv
        .candidates
        .iter()
        .map(|c| c.mean)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(cv.candidates[cv.chosen].mean, best);
    match &cv.candidates[cv.chosen].estimator {
        sluice_stdlib::ml::spec::EstimatorSpec::LogisticRegression { l2, .. } => {
            assert_eq!(*l2, 0.001)
        }
        other => panic!("{other:?}"),
    }
    // The chosen candidate is refitted on every row.
    assert_eq!(model.training.rows, 3012);
}

#[test]
fn credit_decision_tree_agrees_with_scikit_learn() {
    let Some(data) = shared_data() else { return };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("stdlib/tests/sklearn/credit_reference.json"))
            .unwrap(),
    )
    .unwrap();
    let want = &reference["tree"];
    let out = tempfile::tempdir().unwrap();
    let features = reference["pipeline"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("`{}`", f.as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"
source loans = csv("{}", header = true, nulls = ["NA", ""])
let train = loans | filter _c0 % 5 != 0
let test = loans | filter _c0 % 5 == 0
model tree = train
  | impute MonthlyIncome, NumberOfDependents (strategy = median)
  | fit decision_tree(label = SeriousDlqin2yrs, features = [{features}], max_depth = 5)
let metrics = test | predict tree | evaluate binary(label = SeriousDlqin2yrs)
sink metrics -> json("{out}/metrics.json")
sink tree -> model("{out}/tree.model")
"#,
        data.join("credit/cs-training.csv").display(),
        out = out.path().display(),
    );
    let (got, model) = run_inline(text, out.path(), "tree.model");
    eprintln!("Sluice {got}\nscikit-learn {want}");
    match &model.estimator {
        sluice_stdlib::ml::artifact::FittedEstimator::DecisionTree { model } => {
            assert_eq!(model.nodes.len() as u64, want["nodes"].as_u64().unwrap())
        }
        other => panic!("{other:?}"),
    }
    for (k, tolerance) in [("roc_auc", 0.01), ("accuracy", 0.005), ("log_loss", 0.01)] {
        let (a, b) = (got[k].as_f64().unwrap(), want[k].as_f64().unwrap());
        assert!(
            (a - b).abs() <= tolerance,
            "{k}: Sluice {a}, scikit-learn {b}"
        );
    }
}

#[test]
fn int8_quantization_reports_its_size_and_metric_change() {
    let out = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
source loans = csv("examples/credit_risk/data/cs-training.csv", header = true, nulls = ["NA", ""])
let clean = loans | drop_null MonthlyIncome
model full = clean
  | standardize age, MonthlyIncome, DebtRatio
  | fit logistic_regression(label = SeriousDlqin2yrs, features = [age, MonthlyIncome, DebtRatio, NumberOfTimes90DaysLate])
model small = clean
  | standardize age, MonthlyIncome, DebtRatio
  | fit logistic_regression(label = SeriousDlqin2yrs, features = [age, MonthlyIncome, DebtRatio, NumberOfTimes90DaysLate], quantize = int8)
let both = clean | predict full | rename {{ prediction -> p_full, probability -> q_full }} | predict small
sink both -> csv("{out}/both.csv")
sink small -> model("{out}/small.model")
"#,
        out = out.path().display()
    );
    let summary = run_source(
        &SourceFile::new("q.sluice", text),
        &[],
        &RunOptions::default(),
    )
    .unwrap();
    let report = summary.models.iter().find(|m| m.name == "small").unwrap();
    let get = |k: &str| report.metrics.iter().find(|m| m.0 == k).unwrap().1;
    assert_eq!(get("weights_bytes_float64"), 32.0);
    assert_eq!(get("weights_bytes_int8"), 12.0);
    assert!((get("roc_auc") - get("roc_auc_before_quantization")).abs() < 0.01);
    assert!(
        summary
            .render()
            .contains("int8 weights 12 bytes instead of 32")
    );
    // The file holds bytes, not floats, and scores close to the full model.
    let text = std::fs::read_to_string(out.path().join("small.model")).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(raw["estimator"]["weights"].as_array().unwrap().len(), 0);
    assert_eq!(
        raw["estimator"]["int8"]["values"].as_array().unwrap().len(),
        4
    );
    let rows = read_csv(&out.path().join("both.csv"));
    let header = &rows[0];
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    for r in &rows[1..] {
        let (a, b): (f64, f64) = (
            r[col("q_full")].parse().unwrap(),
            r[col("probability")].parse().unwrap(),
        );
        assert!((a - b).abs() < 0.02, "{a} vs {b}");
    }
}

#[test]
fn a_missing_feature_in_training_is_an_error_naming_the_column_and_the_fix() {
    // Training fails before the sink is written: the path is never created.
    let text = r#"
source loans = csv("examples/credit_risk/data/cs-training.csv", header = true, nulls = ["NA", ""])
model m = loans | fit logistic_regression(label = SeriousDlqin2yrs, features = [age, NumberOfDependents])
sink m -> model("/nonexistent-dir-for-sluice/m.model")
"#;
    let err = run_source(
        &SourceFile::new("missing.sluice", text),
        &[],
        &RunOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.message.contains(
            "feature `NumberOfDependents` is missing (null or NaN) in 90 of 3012 training rows"
        ) && err.message.contains("| impute NumberOfDependents"),
        "{}",
        err.message
    );
}
