#![allow(clippy::panic)] // a failed expectation is a failed test
//! Sluice's estimators against scikit-learn on the data sets scikit-learn ships (iris,
//! wine, breast cancer, diabetes, digits), which the project never used while building
//! them. `stdlib/tests/sklearn/bundled_reference.py` exports them to CSV (committed in
//! `stdlib/tests/sklearn/bundled/`) and computes scikit-learn 1.9.1's figures
//! (`bundled_reference.json`); this test fits the same models on all rows, in all five
//! run configurations, and compares the training metrics each model file records.

mod common;
use common::{Configuration, root, run_text};
use serde_json::Value;

fn reference() -> Value {
    let path = root().join("stdlib/tests/sklearn/bundled_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference")).expect("json")
}

fn features(reference: &Value, key: &str) -> Vec<String> {
    reference[key]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f.as_str().expect("name").to_string())
        .collect()
}

/// Runs `body` over `source data = csv(<data set>)` in every configuration and returns
/// each model's training metrics (the same in every configuration: model files are
/// deterministic), by model name.
fn fit(data_set: &str, body: &str, models: &[&str]) -> Vec<serde_json::Map<String, Value>> {
    let data = root().join(format!("stdlib/tests/sklearn/bundled/{data_set}.csv"));
    let text = format!(
        "source data = csv(\"{}\")\n{body}\n{}",
        data.display(),
        models
            .iter()
            .map(|m| format!("sink {m} -> model(\"{m}.model\")\n"))
            .collect::<String>()
    );
    let mut first: Option<Vec<serde_json::Map<String, Value>>> = None;
    for config in Configuration::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Err(e) = run_text(dir.path(), &text, config) {
            panic!("{config:?}: {e}\n{text}");
        }
        let metrics: Vec<serde_json::Map<String, Value>> = models
            .iter()
            .map(|m| {
                let model: Value = serde_json::from_str(
                    &std::fs::read_to_string(dir.path().join(format!("{m}.model")))
                        .expect("model file"),
                )
                .expect("model json");
                model["training"]["metrics"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        match &first {
            None => first = Some(metrics),
            Some(f) => assert_eq!(f, &metrics, "{config:?} trained differently"),
        }
    }
    first.unwrap_or_default()
}

fn close(what: &str, ours: &Value, theirs: &Value, tolerance: f64) {
    let (a, b) = (
        ours.as_f64().unwrap_or(f64::NAN),
        theirs.as_f64().unwrap_or(f64::NAN),
    );
    eprintln!("{what}: Sluice {a}, scikit-learn {b}");
    assert!(
        (a - b).abs() <= tolerance * b.abs().max(1e-12),
        "{what}: Sluice {a}, scikit-learn {b} (relative tolerance {tolerance})"
    );
}

fn classifiers(name: &str, classes: usize) {
    let reference = reference();
    let want = &reference[name];
    let names = features(want, "features");
    let list = names.join(", ");
    let l2 = reference["l2"].as_f64().expect("l2");
    let body = format!(
        "model logistic = data | standardize {list} | fit logistic_regression(label = target, features = [{list}], l2 = {l2}, max_iter = 5000, tolerance = 1e-10)\n\
         model bayes = data | fit naive_bayes(label = target, features = [{list}], kind = gaussian)\n\
         model tree = data | fit decision_tree(label = target, features = [{list}], max_depth = 3)\n\
         model clusters = data | standardize {list} | fit kmeans(features = [{list}], k = {classes}, n_init = 10)"
    );
    let got = fit(name, &body, &["logistic", "bayes", "tree", "clusters"]);
    let n = want["rows"].as_f64().expect("rows");
    // Accuracies within one row; the log loss and AUC of one optimum; k-means within 1%.
    let one_row = 1.0 / n;
    close(
        &format!("{name} logistic accuracy"),
        &got[0]["accuracy"],
        &want["logistic_accuracy"],
        one_row,
    );
    close(
        &format!("{name} logistic log loss"),
        &got[0]["log_loss"],
        &want["logistic_log_loss"],
        1e-4,
    );
    if classes == 2 {
        close(
            &format!("{name} logistic ROC-AUC"),
            &got[0]["roc_auc"],
            &want["logistic_roc_auc"],
            1e-4,
        );
    }
    close(
        &format!("{name} gaussian naive Bayes accuracy"),
        &got[1]["accuracy"],
        &want["gaussian_nb_accuracy"],
        one_row,
    );
    close(
        &format!("{name} decision tree accuracy"),
        &got[2]["accuracy"],
        &want["tree_accuracy"],
        one_row,
    );
    close(
        &format!("{name} k-means WCSS"),
        &got[3]["wcss"],
        &want["kmeans_wcss"],
        0.01,
    );
}

#[test]
fn iris_agrees_with_scikit_learn() {
    classifiers("iris", 3);
    // A large offset on one feature changes nothing (the variances are centred sums).
    let reference = reference();
    let names = features(&reference["iris"], "features");
    let list = names.join(", ");
    let body = format!(
        "let shifted = data | derive sepal_length_cm = sepal_length_cm + 1e8\n\
         model bayes = shifted | fit naive_bayes(label = target, features = [{list}], kind = gaussian)"
    );
    let got = fit("iris", &body, &["bayes"]);
    close(
        "iris gaussian naive Bayes accuracy, sepal length + 1e8",
        &got[0]["accuracy"],
        &reference["iris"]["gaussian_nb_offset_accuracy"],
        1.0 / 150.0,
    );
}

#[test]
fn wine_agrees_with_scikit_learn() {
    classifiers("wine", 3);
}

#[test]
fn breast_cancer_agrees_with_scikit_learn() {
    classifiers("breast_cancer", 2);
}

#[test]
fn diabetes_regression_agrees_with_scikit_learn() {
    let reference = reference();
    let want = &reference["diabetes"];
    let l2 = reference["ridge_l2"].as_f64().expect("l2");
    let plain = features(want, "features").join(", ");
    let offset = features(want, "offset_features").join(", ");
    let body = format!(
        "model ridge = data | fit linear_regression(label = target, features = [{plain}], l2 = {l2})\n\
         model ridge_offset = data | fit linear_regression(label = target, features = [{offset}], l2 = {l2})"
    );
    let got = fit("diabetes", &body, &["ridge", "ridge_offset"]);
    for (i, key) in ["ridge", "ridge_offset"].iter().enumerate() {
        close(
            &format!("diabetes {key} R²"),
            &got[i]["r2"],
            &want[*key]["r2"],
            1e-6,
        );
        close(
            &format!("diabetes {key} MSE"),
            &got[i]["mse"],
            &want[*key]["mse"],
            1e-6,
        );
    }
}

#[test]
fn digits_agree_with_scikit_learn() {
    let reference = reference();
    let want = &reference["digits"];
    let list = features(want, "features").join(", ");
    let body = format!(
        "model counts = data | fit naive_bayes(label = target, features = [{list}], kind = multinomial, smoothing = 1.0)\n\
         model bayes = data | fit naive_bayes(label = target, features = [{list}], kind = gaussian)"
    );
    let got = fit("digits", &body, &["counts", "bayes"]);
    let one_row = 1.0 / want["rows"].as_f64().expect("rows");
    close(
        "digits multinomial naive Bayes accuracy",
        &got[0]["accuracy"],
        &want["multinomial_nb_accuracy"],
        one_row,
    );
    close(
        "digits gaussian naive Bayes accuracy",
        &got[1]["accuracy"],
        &want["gaussian_nb_accuracy"],
        one_row,
    );
}

/// Airline tweet sentiment (three classes, from `../shared/data`): tf-idf, multinomial
/// logistic regression and naive Bayes against `tweets_reference.py`'s figures.
#[test]
fn airline_tweets_agree_with_scikit_learn() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let path = root().join("stdlib/tests/sklearn/tweets_reference.json");
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reference")).expect("json");
    let l2 = want["l2"].as_f64().expect("l2");
    let text = format!(
        "source tweets = csv(\"{}\")\n\
         let train = tweets | filter tweet_id % 5 != 0\n\
         let test = tweets | filter tweet_id % 5 == 0\n\
         model logistic = train | tokenize text | tf_idf text | fit logistic_regression(label = airline_sentiment, features = [text], l2 = {l2}, max_iter = 300)\n\
         model bayes = train | tokenize text | tf_idf text | fit naive_bayes(label = airline_sentiment, features = [text])\n\
         let logistic_metrics = test | predict logistic | evaluate multiclass(label = airline_sentiment)\n\
         let bayes_metrics = test | predict bayes | evaluate multiclass(label = airline_sentiment)\n\
         sink logistic_metrics -> jsonl(\"logistic.jsonl\")\nsink bayes_metrics -> jsonl(\"bayes.jsonl\")\n",
        data.join("tweets/Tweets.csv").display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    run_text(dir.path(), &text, Configuration::Default).unwrap_or_else(|e| panic!("{e}"));
    for name in ["logistic", "bayes"] {
        let got: Value = serde_json::from_str(
            std::fs::read_to_string(dir.path().join(format!("{name}.jsonl")))
                .expect("metrics")
                .trim(),
        )
        .expect("json");
        assert_eq!(got["rows"], want["test_rows"], "{name}: test rows");
        close(
            &format!("tweets {name} accuracy"),
            &got["accuracy"],
            &want[name]["accuracy"],
            0.01,
        );
        close(
            &format!("tweets {name} macro F1"),
            &got["macro_f1"],
            &want[name]["macro_f1"],
            0.02,
        );
    }
}
