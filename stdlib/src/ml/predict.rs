//! Scoring rows with a fitted [`Model`]: the fitted transformers applied exactly as in
//! training, then the estimator. A row with a missing feature gets null outputs.

use super::artifact::{FittedEstimator, Model};
use super::frame::Frame;
use super::train::apply_transformer;
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use std::sync::Arc;

/// The output columns (`model.outputs`, in order) for one batch.
pub fn predict(model: &Model, batch: &RecordBatch) -> Result<Vec<ArrayRef>, String> {
    let names: Vec<String> = model.input.iter().map(|c| c.name.clone()).collect();
    let mut frame = Frame::from_batches(std::slice::from_ref(batch), &names)?;
    for t in &model.transformers {
        apply_transformer(t, &mut frame)?;
    }
    let d = model.features.len();
    let x = frame.matrix(&model.features)?;
    let rows = (0..frame.rows).map(|i| {
        let row = &x[i * d..(i + 1) * d];
        (!row.iter().any(|v| v.is_nan())).then_some(row)
    });
    Ok(match &model.estimator {
        FittedEstimator::LogisticRegression { model: m, .. } => {
            let p: Vec<Option<f64>> = rows.map(|r| r.map(|r| m.probability(r))).collect();
            let class: Vec<Option<&str>> = p
                .iter()
                .map(|p| p.map(|p| model.classes[usize::from(p >= 0.5)].as_str()))
                .collect();
            let text: ArrayRef = Arc::new(StringArray::from(class));
            let label_type = model.outputs[0].data_type.to_arrow();
            let prediction = arrow::compute::cast(&text, &label_type).map_err(|e| e.to_string())?;
            vec![prediction, Arc::new(Float64Array::from(p))]
        }
        FittedEstimator::LinearRegression { model: m, .. } => {
            let p: Vec<Option<f64>> = rows.map(|r| r.map(|r| m.predict(r))).collect();
            vec![Arc::new(Float64Array::from(p))]
        }
        FittedEstimator::Kmeans { model: m } => {
            let c: Vec<Option<i64>> = rows.map(|r| r.map(|r| m.nearest(r).0 as i64)).collect();
            vec![Arc::new(Int64Array::from(c))]
        }
    })
}
