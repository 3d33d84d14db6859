//! `| evaluate KIND(...)`: one row of metrics over every input row (binary,
//! multiclass, regression or clustering; see `sluice_stdlib::ml` for how each is
//! computed).

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use sluice_stdlib::ml::frame::{Frame, text_of};
use sluice_stdlib::ml::spec::EvaluateSpec;
use sluice_stdlib::ml::{
    binary_metrics, clustering_metrics, multiclass_metrics, regression_metrics,
};
use std::sync::Arc;

/// A metric value as the column type `EvaluateSpec::outputs` gives it.
enum Metric {
    Int(u64),
    Float(f64),
}

pub fn run(input: &Partitions, spec: &EvaluateSpec, out: SchemaRef) -> RunResult<Partitions> {
    let batches: Vec<RecordBatch> = input.batches().cloned().collect();
    let frame = |names: &[String]| Frame::from_batches(&batches, names).map_err(RunError::new);
    use Metric::{Float, Int};
    let values: Vec<Metric> = match spec {
        EvaluateSpec::Binary {
            label,
            score,
            threshold,
        } => {
            let f = frame(&[label.clone(), score.clone()])?;
            let labels = f.column(label).map_err(RunError::new)?;
            if let Some(bad) = labels
                .iter()
                .find(|y| !y.is_nan() && **y != 0.0 && **y != 1.0)
            {
                return Err(RunError::new(format!(
                    "evaluate binary: label `{label}` has the value {bad}; a binary label is 0 or 1 (false or true)"
                )));
            }
            let m = binary_metrics::evaluate(
                labels,
                f.column(score).map_err(RunError::new)?,
                *threshold,
            );
            vec![
                Int(m.rows),
                Float(m.accuracy),
                Float(m.precision),
                Float(m.recall),
                Float(m.f1),
                Float(m.roc_auc),
                Float(m.pr_auc),
                Float(m.log_loss),
                Int(m.true_negatives),
                Int(m.false_positives),
                Int(m.false_negatives),
                Int(m.true_positives),
            ]
        }
        EvaluateSpec::Multiclass { label, prediction } => {
            let text = |c: &str| text_of(&batches, c).map_err(RunError::new);
            let m = multiclass_metrics::evaluate(&text(label)?, &text(prediction)?);
            vec![
                Int(m.rows),
                Int(m.classes),
                Float(m.accuracy),
                Float(m.macro_f1),
                Float(m.weighted_f1),
            ]
        }
        EvaluateSpec::Regression { label, prediction } => {
            let f = frame(&[label.clone(), prediction.clone()])?;
            let m = regression_metrics::evaluate(
                f.column(label).map_err(RunError::new)?,
                f.column(prediction).map_err(RunError::new)?,
            );
            vec![
                Int(m.rows),
                Float(m.mse),
                Float(m.rmse),
                Float(m.mae),
                Float(m.r2),
            ]
        }
        EvaluateSpec::Clustering {
            features,
            prediction,
            sample,
            seed,
        } => {
            let mut names = features.clone();
            names.push(prediction.clone());
            let f = frame(&names)?;
            let matrix = f.matrix(features).map_err(RunError::new)?;
            let clusters = f.column(prediction).map_err(RunError::new)?;
            // Rows with a missing feature or cluster are not counted.
            let d = features.len();
            let mut rows = Vec::new();
            let mut assigned = Vec::new();
            for (i, c) in clusters.iter().enumerate() {
                let row = &matrix[i * d..(i + 1) * d];
                if c.is_nan() || *c < 0.0 || row.iter().any(|x| x.is_nan()) {
                    continue;
                }
                rows.extend_from_slice(row);
                assigned.push(*c as usize);
            }
            let m = clustering_metrics::evaluate(&rows, d, &assigned, *sample as usize, *seed);
            vec![
                Int(m.rows),
                Int(m.clusters),
                Float(m.wcss),
                Float(m.silhouette),
            ]
        }
    };
    let columns: Vec<ArrayRef> = values
        .into_iter()
        .map(|v| -> ArrayRef {
            match v {
                Int(i) => Arc::new(Int64Array::from(vec![i as i64])),
                Float(x) => Arc::new(Float64Array::from(vec![sluice_stdlib::nan::canonical(x)])),
            }
        })
        .collect();
    let batch = RecordBatch::try_new(out.clone(), columns)?;
    Ok(Partitions::new(out, vec![vec![batch]]))
}
