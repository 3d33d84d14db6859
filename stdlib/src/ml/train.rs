//! Fitting a [`FitSpec`] on a relation's rows: the transformers in order (each fitted on
//! the output of the one before), then the estimator on the transformed features, then
//! the training metrics. The result is the [`Model`] artifact.

use super::artifact::{FittedEstimator, Int8Weights, Model, TrainingReport};
use super::cross_validation;
use super::frame::{Frame, text_of};
use super::spec::{ClassWeight, EstimatorSpec, FitSpec, Quantization};
use super::transform::fit_transformer;
use super::{
    Dataset, binary_metrics, decision_tree, kmeans, linear_regression, logistic_regression,
    naive_bayes, regression_metrics, softmax_regression,
};
use arrow::array::RecordBatch;
use indexmap::IndexMap;

/// The distinct label values in order: numerically for numeric labels.
fn classes_of(labels: &[Option<String>]) -> Vec<String> {
    let mut classes: Vec<String> = labels.iter().flatten().cloned().collect();
    classes.sort();
    classes.dedup();
    if classes.iter().all(|c| c.parse::<f64>().is_ok()) {
        classes.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y)
        });
    }
    classes
}

/// The rows' features, refusing missing values with the column and the count.
fn dataset(frame: &Frame, features: &[String], labels: Vec<f64>) -> Result<Dataset, String> {
    let design = frame.design(features)?;
    // Numbers first, then vectors: the order the design lays them out in.
    let first_missing = design.missing.contains(&true).then(|| {
        features
            .iter()
            .filter(|f| frame.columns.contains_key(*f))
            .chain(features.iter().filter(|f| frame.vectors.contains_key(*f)))
            .map(|f| (f, frame.missing_count(f)))
            .find(|(_, n)| *n > 0)
    });
    if let Some(Some((f, missing))) = first_missing {
        return Err(format!(
            "feature `{f}` is missing (null or NaN) in {missing} of {} training rows; add `| impute {f}` to the model or `| drop_null {f}` before it",
            frame.rows
        ));
    }
    if let Some((f, count)) = frame.first_infinite(features) {
        return Err(format!(
            "feature `{f}` is infinite after the model's transformers in {count} of {} training rows; a transformer overflowed, so scale the column down before the model",
            frame.rows
        ));
    }
    let mut data = Dataset::new(design.cols, design.dense, labels)
        .ok_or_else(|| "the features and labels have different lengths".to_string())?;
    data.sparse = design.sparse;
    Ok(data)
}

/// Training metrics of a classifier scoring `scores` (probability of class 1).
fn binary_report(labels: &[f64], scores: &[f64]) -> IndexMap<String, f64> {
    let m = binary_metrics::evaluate(labels, scores, 0.5);
    IndexMap::from([
        ("accuracy".to_string(), m.accuracy),
        ("roc_auc".to_string(), m.roc_auc),
        ("pr_auc".to_string(), m.pr_auc),
        ("log_loss".to_string(), m.log_loss),
    ])
}

fn regression_report(labels: &[f64], predictions: &[f64]) -> IndexMap<String, f64> {
    let m = regression_metrics::evaluate(labels, predictions);
    IndexMap::from([
        ("mse".to_string(), m.mse),
        ("rmse".to_string(), m.rmse),
        ("mae".to_string(), m.mae),
        ("r2".to_string(), m.r2),
    ])
}

/// The training metrics of the fitted `weights`; when asked, the weights are
/// quantized, and the metrics are those of the quantized model, with the ones before
/// quantization and both sizes recorded beside them.
fn score_and_quantize(
    how: Quantization,
    weights: &mut Vec<f64>,
    score: impl Fn(&[f64]) -> IndexMap<String, f64>,
) -> (IndexMap<String, f64>, Option<Int8Weights>) {
    let before = score(weights);
    if how != Quantization::Int8 {
        return (before, None);
    }
    let q = Int8Weights::quantize(weights);
    let mut metrics = IndexMap::new();
    metrics.insert("weights_bytes_float64".into(), (weights.len() * 8) as f64);
    metrics.insert("weights_bytes_int8".into(), (q.values.len() + 8) as f64);
    *weights = q.dequantize();
    let after = score(weights);
    for (k, b) in before {
        if let Some(a) = after.get(&k) {
            metrics.insert(k.clone(), *a);
            metrics.insert(format!("{k}_before_quantization"), b);
        }
    }
    (metrics, Some(q))
}

/// Fits the model a `model` declaration describes on these rows: directly, or, with
/// `cross_validate`, by choosing the best candidate over folds and refitting it on all
/// the rows.
pub fn train(spec: &FitSpec, batches: &[RecordBatch]) -> Result<Model, String> {
    let names: Vec<String> = spec.input.iter().map(|c| c.name.clone()).collect();
    let frame = Frame::from_batches(batches, &names)?;
    if frame.rows == 0 {
        return Err("there are no rows to train on".into());
    }
    // An infinity (`1e400` in a CSV) cannot be fitted: it makes every weight, centre or
    // mean infinite or NaN, and iterative fits never converge.
    if let Some((f, count)) = frame.first_infinite(&names) {
        return Err(format!(
            "column `{f}` is infinite in {count} of {} training rows (a value beyond float64, such as 1e400); remove those rows before the model: `| filter abs({f}) < 1e308`",
            frame.rows
        ));
    }
    let mut classes = Vec::new();
    let labels: Vec<f64> = match &spec.label {
        None => vec![0.0; frame.rows],
        Some(label) => {
            let text = text_of(batches, &label.name)?;
            let missing = text.iter().filter(|v| v.is_none()).count();
            if missing > 0 {
                return Err(format!(
                    "label `{}` is null in {missing} of {} training rows; add `| drop_null {}` before the model",
                    label.name, frame.rows, label.name
                ));
            }
            if spec.estimator.is_classifier() {
                classes = classes_of(&text);
                if classes.len() < 2 {
                    return Err(format!(
                        "{}: label `{}` has {} distinct value(s) in training ({}); a classifier needs at least 2",
                        spec.estimator.name(),
                        label.name,
                        classes.len(),
                        classes.join(", ")
                    ));
                }
                let index: std::collections::HashMap<&str, usize> = classes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i))
                    .collect();
                text.iter()
                    .map(|v| {
                        v.as_deref()
                            .and_then(|v| index.get(v))
                            .map_or(f64::NAN, |i| *i as f64)
                    })
                    .collect()
            } else {
                let values: Vec<f64> = text
                    .iter()
                    .map(|v| {
                        v.as_deref()
                            .and_then(|s| s.parse::<f64>().ok())
                            .unwrap_or(f64::NAN)
                    })
                    .collect();
                let infinite = values.iter().filter(|v| v.is_infinite()).count();
                if infinite > 0 {
                    return Err(format!(
                        "label `{}` is infinite in {infinite} of {} training rows; remove those rows before the model: `| filter abs({}) < 1e308`",
                        label.name, frame.rows, label.name
                    ));
                }
                values
            }
        }
    };
    let model = match &spec.search {
        None => fit_one(spec, &spec.estimator, frame, labels, &classes)?,
        Some(search) => cross_validation::choose(spec, search, frame, labels, &classes)?,
    };
    // No artifact with a non-finite number is ever written: it would not read back.
    super::artifact_check::check(&model).map_err(|e| {
        format!("the fit did not give a usable model ({e}); check the features' scales and the estimator's options")
    })?;
    Ok(model)
}

/// Fits the transformers and one estimator on `frame`, with labels encoded (class
/// indices for a classifier).
pub(crate) fn fit_one(
    spec: &FitSpec,
    estimator: &EstimatorSpec,
    mut frame: Frame,
    labels: Vec<f64>,
    classes: &[String],
) -> Result<Model, String> {
    let mut transformers = Vec::new();
    for t in &spec.transformers {
        transformers.push(fit_transformer(t, &mut frame)?);
    }
    let mut data = dataset(&frame, &spec.features, labels)?;
    if matches!(
        estimator,
        EstimatorSpec::LinearRegression { .. }
            | EstimatorSpec::Kmeans { .. }
            | EstimatorSpec::DecisionTree { .. }
    ) {
        data.densify()?;
    }
    let metrics;
    let fitted = match estimator {
        EstimatorSpec::LogisticRegression {
            l2,
            max_iter,
            tolerance,
            class_weight,
            quantize: how,
        } => {
            if *class_weight == ClassWeight::Balanced {
                let k = classes.len() as f64;
                let mut counts = vec![0.0; classes.len()];
                for y in &data.labels {
                    counts[*y as usize] += 1.0;
                }
                let n = data.rows as f64;
                data.weights = Some(
                    data.labels
                        .iter()
                        .map(|y| n / (k * counts[*y as usize]))
                        .collect(),
                );
            }
            if classes.len() > 2 {
                if *how != Quantization::None {
                    return Err(
                        "quantize = int8 is for binary logistic and linear regression; this label has more than two classes".into(),
                    );
                }
                let model =
                    softmax_regression::fit(&data, classes.len(), *l2, *max_iter, *tolerance)?;
                let (mut right, mut loss) = (0usize, 0.0);
                for i in 0..data.rows {
                    let p = model.probabilities(data.features_of(i));
                    let y = data.labels[i] as usize;
                    let best = (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b]));
                    right += usize::from(best == Some(y));
                    loss -= p[y].clamp(f64::EPSILON, 1.0).ln();
                }
                metrics = IndexMap::from([
                    ("accuracy".to_string(), right as f64 / data.rows as f64),
                    ("log_loss".to_string(), loss / data.rows as f64),
                ]);
                FittedEstimator::MultinomialLogisticRegression { model }
            } else {
                let options = logistic_regression::LogisticOptions {
                    l2: *l2,
                    max_iter: *max_iter,
                    tolerance: *tolerance,
                };
                let mut model = logistic_regression::fit(&data, &options)?;
                let fitted = model.clone();
                let score = |weights: &[f64]| {
                    let m = logistic_regression::LogisticModel {
                        weights: weights.to_vec(),
                        ..fitted.clone()
                    };
                    let scores: Vec<f64> = (0..data.rows)
                        .map(|i| m.probability_of(data.features_of(i)))
                        .collect();
                    binary_report(&data.labels, &scores)
                };
                let int8;
                (metrics, int8) = score_and_quantize(*how, &mut model.weights, score);
                FittedEstimator::LogisticRegression { model, int8 }
            }
        }
        EstimatorSpec::LinearRegression { l2, quantize: how } => {
            let mut model = linear_regression::fit(&data, *l2)?;
            let intercept = model.intercept;
            let score = |weights: &[f64]| {
                let m = linear_regression::LinearModel {
                    weights: weights.to_vec(),
                    intercept,
                };
                let p: Vec<f64> = (0..data.rows).map(|i| m.predict(data.row(i))).collect();
                regression_report(&data.labels, &p)
            };
            let int8;
            (metrics, int8) = score_and_quantize(*how, &mut model.weights, score);
            FittedEstimator::LinearRegression { model, int8 }
        }
        EstimatorSpec::DecisionTree {
            criterion,
            max_depth,
            min_samples_split,
            min_samples_leaf,
        } => {
            let model = decision_tree::fit(
                &data,
                classes.len(),
                &decision_tree::TreeOptions {
                    criterion: *criterion,
                    max_depth: *max_depth,
                    min_samples_split: *min_samples_split,
                    min_samples_leaf: *min_samples_leaf,
                },
            )?;
            let leaves: Vec<&[f64]> = (0..data.rows).map(|i| model.leaf(data.row(i))).collect();
            metrics = if *criterion == decision_tree::Criterion::Variance {
                let p: Vec<f64> = leaves.iter().map(|v| v[0]).collect();
                regression_report(&data.labels, &p)
            } else if classes.len() == 2 {
                let p: Vec<f64> = leaves.iter().map(|v| v[1]).collect();
                binary_report(&data.labels, &p)
            } else {
                let right = leaves
                    .iter()
                    .zip(&data.labels)
                    .filter(|(v, y)| {
                        (0..v.len()).max_by(|a, b| v[*a].total_cmp(&v[*b])) == Some(**y as usize)
                    })
                    .count();
                IndexMap::from([("accuracy".to_string(), right as f64 / data.rows as f64)])
            };
            FittedEstimator::DecisionTree { model }
        }
        EstimatorSpec::NaiveBayes { kind, smoothing } => {
            let model = naive_bayes::fit(&data, classes.len(), *kind, *smoothing)?;
            let scores: Vec<f64> = (0..data.rows)
                .map(|i| {
                    let p = model.probabilities(data.features_of(i));
                    if classes.len() == 2 { p[1] } else { f64::NAN }
                })
                .collect();
            metrics = if classes.len() == 2 {
                binary_report(&data.labels, &scores)
            } else {
                let right = (0..data.rows)
                    .filter(|&i| {
                        let p = model.probabilities(data.features_of(i));
                        let best = (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b]));
                        best == Some(data.labels[i] as usize)
                    })
                    .count();
                IndexMap::from([("accuracy".to_string(), right as f64 / data.rows as f64)])
            };
            FittedEstimator::NaiveBayes { model }
        }
        EstimatorSpec::Kmeans {
            k,
            max_iter,
            tolerance,
            seed,
            n_init,
        } => {
            let model = kmeans::fit(
                &data,
                &kmeans::KMeansOptions {
                    k: *k as usize,
                    max_iter: *max_iter,
                    tolerance: *tolerance,
                    seed: *seed,
                    n_init: *n_init,
                },
            )?;
            metrics = IndexMap::from([("wcss".to_string(), model.wcss)]);
            FittedEstimator::Kmeans { model }
        }
    };
    let warnings = stopped_early(estimator, &fitted).into_iter().collect();
    Ok(Model {
        format: super::artifact::FORMAT.into(),
        format_version: super::artifact::FORMAT_VERSION,
        sluice_version: env!("CARGO_PKG_VERSION").into(),
        input: spec.input.clone(),
        label: spec.label.clone(),
        classes: classes.to_vec(),
        transformers,
        features: spec.features.clone(),
        outputs: estimator.outputs(spec.label.as_ref().map(|l| &l.data_type)),
        estimator: fitted,
        training: TrainingReport {
            cross_validation: None,
            rows: data.rows as u64,
            metrics,
            warnings,
        },
    })
}

/// A warning when an iterative fit ran all of its `max_iter` iterations: it stopped
/// because of the limit, not because it converged.
fn stopped_early(estimator: &EstimatorSpec, fitted: &FittedEstimator) -> Option<String> {
    let ran = match fitted {
        FittedEstimator::LogisticRegression { model, .. } => model.iterations,
        FittedEstimator::MultinomialLogisticRegression { model } => model.iterations,
        FittedEstimator::Kmeans { model } => model.iterations,
        _ => return None,
    };
    let (max_iter, tolerance, what) = match estimator {
        EstimatorSpec::LogisticRegression {
            max_iter,
            tolerance,
            ..
        } => (*max_iter, *tolerance, "the gradient's norm"),
        EstimatorSpec::Kmeans {
            max_iter,
            tolerance,
            ..
        } => (*max_iter, *tolerance, "the centres' shift"),
        _ => return None,
    };
    (ran >= max_iter).then(|| {
        format!(
            "{} stopped at max_iter = {max_iter} before {what} fell below tolerance = {tolerance:e}; raise max_iter (or tolerance), or standardize the features",
            estimator.name()
        )
    })
}
