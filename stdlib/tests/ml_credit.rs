#![allow(clippy::unwrap_used, clippy::panic)] // a failed expectation is a failed test
//! Sluice's logistic regression, standardizer and binary metrics against
//! scikit-learn's on the real credit data: the same rows, split, features and
//! regularization as `tests/sklearn/credit_reference.py`, whose output
//! (`tests/sklearn/credit_reference.json`) holds scikit-learn's figures. Skips with a
//! notice when `../shared/data` is absent.

use sluice_stdlib::ml::Dataset;
use sluice_stdlib::ml::binary_metrics::evaluate;
use sluice_stdlib::ml::logistic_regression::{LogisticOptions, fit};
use sluice_stdlib::ml::standardize::Standardizer;
use std::path::Path;

const FEATURES: [&str; 8] = [
    "RevolvingUtilizationOfUnsecuredLines",
    "age",
    "NumberOfTime30-59DaysPastDueNotWorse",
    "DebtRatio",
    "NumberOfOpenCreditLinesAndLoans",
    "NumberOfTimes90DaysLate",
    "NumberRealEstateLoansOrLines",
    "NumberOfTime60-89DaysPastDueNotWorse",
];

#[test]
fn credit_logistic_regression_agrees_with_scikit_learn() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/credit/cs-training.csv");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sklearn/credit_reference.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let index = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let columns: Vec<usize> = FEATURES.iter().map(|f| index(f)).collect();
    let label = index("SeriousDlqin2yrs");
    let (mut train_x, mut train_y, mut test_x, mut test_y) = (vec![], vec![], vec![], vec![]);
    for (row, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let (x, y) = if row % 5 == 4 {
            (&mut test_x, &mut test_y)
        } else {
            (&mut train_x, &mut train_y)
        };
        x.extend(columns.iter().map(|&c| record[c].parse::<f64>().unwrap()));
        y.push(record[label].parse::<f64>().unwrap());
    }
    let mut train = Dataset::new(FEATURES.len(), train_x, train_y).unwrap();
    let mut test = Dataset::new(FEATURES.len(), test_x, test_y).unwrap();
    assert_eq!(train.rows as u64, reference["train_rows"].as_u64().unwrap());
    let scaler = Standardizer::fit(&train);
    scaler.apply_all(&mut train);
    scaler.apply_all(&mut test);
    let options = LogisticOptions {
        l2: reference["l2"].as_f64().unwrap(),
        max_iter: 200,
        tolerance: 1e-8,
    };
    let model = fit(&train, &options).unwrap();
    let scores: Vec<f64> = (0..test.rows)
        .map(|i| model.probability(test.row(i)))
        .collect();
    let m = evaluate(&test.labels, &scores, 0.5);
    let want = |k: &str| reference[k].as_f64().unwrap();
    eprintln!(
        "Sluice: ROC-AUC {:.6}, PR-AUC {:.6}, log loss {:.6}, accuracy {:.6} after {} L-BFGS iterations\n\
         scikit-learn: ROC-AUC {:.6}, PR-AUC {:.6}, log loss {:.6}, accuracy {:.6}",
        m.roc_auc,
        m.pr_auc,
        m.log_loss,
        m.accuracy,
        model.iterations,
        want("roc_auc"),
        want("pr_auc"),
        want("log_loss"),
        want("accuracy")
    );
    // The tolerance is 0.01 on ROC-AUC; the same objective should do far better.
    assert!(
        (m.roc_auc - want("roc_auc")).abs() < 0.001,
        "ROC-AUC {}",
        m.roc_auc
    );
    assert!(
        (m.pr_auc - want("pr_auc")).abs() < 0.002,
        "PR-AUC {}",
        m.pr_auc
    );
    assert!(
        (m.log_loss - want("log_loss")).abs() < 0.001,
        "log loss {}",
        m.log_loss
    );
    assert!(
        (m.accuracy - want("accuracy")).abs() < 0.001,
        "accuracy {}",
        m.accuracy
    );
    let weights = reference["weights"].as_array().unwrap();
    for (j, w) in weights.iter().enumerate() {
        let w = w.as_f64().unwrap();
        assert!(
            (model.weights[j] - w).abs() < 0.01 * w.abs().max(1.0),
            "weight {j} ({}): {} vs scikit-learn's {w}",
            FEATURES[j],
            model.weights[j]
        );
    }
}
