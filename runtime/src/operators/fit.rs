//! `model NAME = REL | ... | fit ...`: trains on every row of the input (a pipeline
//! breaker) and produces the model as one row whose `model` column holds the artifact.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use crate::summary::ModelReport;
use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use sluice_stdlib::ml::artifact::Model;
use sluice_stdlib::ml::spec::FitSpec;
use std::sync::Arc;

/// The one-row relation holding a model.
pub fn model_relation(model: &Model, out: SchemaRef) -> RunResult<Partitions> {
    let text = model.to_json().map_err(RunError::new)?;
    let batch = RecordBatch::try_new(out.clone(), vec![Arc::new(StringArray::from(vec![text]))])?;
    Ok(Partitions::new(out, vec![vec![batch]]))
}

/// Trains the model; returns its one-row relation and what the run reports about it.
pub fn run(
    name: &str,
    input: &Partitions,
    spec: &FitSpec,
    out: SchemaRef,
) -> RunResult<(Partitions, ModelReport)> {
    let batches: Vec<RecordBatch> = input.batches().cloned().collect();
    let model = sluice_stdlib::ml::train::train(spec, &batches)
        .map_err(|e| RunError::new(format!("cannot train model `{name}`: {e}")))?;
    let cv = model.training.cross_validation.as_ref();
    let report = ModelReport {
        name: name.to_string(),
        estimator: spec.estimator.name().to_string(),
        rows: model.training.rows,
        metrics: model
            .training
            .metrics
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        cross_validation: cv.map(|c| {
            (
                c.metric.name().to_string(),
                c.candidates[c.chosen].mean,
                c.candidates.len(),
                c.candidates[c.chosen].estimator.to_string(),
            )
        }),
        warnings: model.training.warnings.clone(),
    };
    Ok((model_relation(&model, out)?, report))
}

/// A saved model, read when the pipeline runs.
pub fn load(path: &std::path::Path, out: SchemaRef) -> RunResult<Partitions> {
    let text = sluice_stdlib::io::read_bounded_text(path, sluice_stdlib::io::MAX_MODEL_BYTES)
        .map_err(|e| RunError::new(format!("cannot read model `{}`: {e}", path.display())))?;
    let model = Model::from_json(&text)
        .map_err(|e| RunError::new(format!("cannot read model `{}`: {e}", path.display())))?;
    model_relation(&model, out)
}
