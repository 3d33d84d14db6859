//! Scoring rows with a fitted [`Model`]: the fitted transformers applied exactly as in
//! training, then the estimator. A row with a missing feature gets null outputs.

use super::artifact::{FittedEstimator, Model};
use super::decision_tree::Criterion;
use super::frame::Frame;
use super::transform::apply_transformer;
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use std::sync::Arc;

/// What a model says about each row (`None` where a feature is missing).
pub enum Scores {
    /// Per row, each class's probability.
    Classes(Vec<Option<Vec<f64>>>),
    /// Per row, a predicted value.
    Values(Vec<Option<f64>>),
    /// Per row, the nearest cluster.
    Clusters(Vec<Option<i64>>),
}

/// Scores a frame holding the model's input columns.
pub fn score_frame(model: &Model, mut frame: Frame) -> Result<Scores, String> {
    for t in &model.transformers {
        apply_transformer(t, &mut frame)?;
    }
    let design = frame.design(&model.features)?;
    let width = design.cols + design.sparse.as_ref().map_or(0, |s| s.dim);
    if width != model.estimator_width() {
        return Err(format!(
            "the model reads {} features but these rows give {width}: their vectors are not as wide as in training (a LIBSVM source needs the same `num_features`), or the model file is inconsistent",
            model.estimator_width()
        ));
    }
    let rows = (0..frame.rows).map(|i| (!design.missing[i]).then(|| design.row(i)));
    Ok(match &model.estimator {
        FittedEstimator::LogisticRegression { model: m, .. } => Scores::Classes(
            rows.map(|r| {
                r.map(|r| {
                    let p = m.probability_of(r);
                    vec![1.0 - p, p]
                })
            })
            .collect(),
        ),
        FittedEstimator::MultinomialLogisticRegression { model: m } => {
            Scores::Classes(rows.map(|r| r.map(|r| m.probabilities(r))).collect())
        }
        FittedEstimator::NaiveBayes { model: m } => {
            Scores::Classes(rows.map(|r| r.map(|r| m.probabilities(r))).collect())
        }
        FittedEstimator::DecisionTree { model: m } if m.criterion == Criterion::Variance => {
            Scores::Values(
                rows.map(|r| r.map(|r| m.leaf(&r.to_dense(m.features))[0]))
                    .collect(),
            )
        }
        FittedEstimator::DecisionTree { model: m } => Scores::Classes(
            rows.map(|r| r.map(|r| m.leaf(&r.to_dense(m.features)).to_vec()))
                .collect(),
        ),
        FittedEstimator::LinearRegression { model: m, .. } => Scores::Values(
            rows.map(|r| r.map(|r| r.dot(&m.weights) + m.intercept))
                .collect(),
        ),
        FittedEstimator::Kmeans { model: m } => Scores::Clusters(
            rows.map(|r| {
                r.map(|r| {
                    let width = m.centers.first().map_or(0, Vec::len);
                    m.nearest(&r.to_dense(width)).0 as i64
                })
            })
            .collect(),
        ),
    })
}

/// The output columns (`model.outputs`, in order) for one batch.
pub fn predict(model: &Model, batch: &RecordBatch) -> Result<Vec<ArrayRef>, String> {
    let names: Vec<String> = model.input.iter().map(|c| c.name.clone()).collect();
    let frame = Frame::from_batches(std::slice::from_ref(batch), &names)?;
    Ok(match score_frame(model, frame)? {
        Scores::Classes(p) => classified(model, &p)?,
        Scores::Values(v) => vec![crate::nan::canonical_nans(Arc::new(Float64Array::from(v)))],
        Scores::Clusters(c) => vec![Arc::new(Int64Array::from(c))],
    })
}

/// A classifier's `prediction` (the most probable class, in the label's type) and
/// `probability` (of the second class when there are two, else of the predicted one).
fn classified(model: &Model, probabilities: &[Option<Vec<f64>>]) -> Result<Vec<ArrayRef>, String> {
    let two = model.classes.len() == 2;
    let mut class = Vec::with_capacity(probabilities.len());
    let mut probability = Vec::with_capacity(probabilities.len());
    for p in probabilities {
        match p {
            Some(p) => {
                let best = (0..p.len())
                    .max_by(|a, b| p[*a].total_cmp(&p[*b]).then(b.cmp(a)))
                    .unwrap_or(0);
                class.push(model.classes.get(best).map(String::as_str));
                probability.push(Some(if two { p[1] } else { p[best] }));
            }
            None => {
                class.push(None);
                probability.push(None);
            }
        }
    }
    let text: ArrayRef = Arc::new(StringArray::from(class));
    let label_type = model.outputs[0].data_type.to_arrow();
    let prediction = arrow::compute::cast(&text, &label_type).map_err(|e| e.to_string())?;
    Ok(vec![
        prediction,
        crate::nan::canonical_nans(Arc::new(Float64Array::from(probability))),
    ])
}
