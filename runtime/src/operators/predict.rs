//! `| predict m`: scores every batch with the model, in parallel over partitions, and
//! appends the model's output columns. The model's fitted transformers run first, as
//! in training.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use rayon::prelude::*;
use sluice_stdlib::ml::artifact::Model;

pub fn run(
    name: &str,
    input: &Partitions,
    model: &Partitions,
    out: SchemaRef,
) -> RunResult<Partitions> {
    let text = crate::io::sinks::model_text(model)?;
    let model =
        Model::from_json(&text).map_err(|e| RunError::new(format!("model `{name}`: {e}")))?;
    let parts = input
        .parts
        .par_iter()
        .map(|part| {
            part.iter()
                .map(|batch| {
                    let outputs = sluice_stdlib::ml::predict::predict(&model, batch)
                        .map_err(|e| RunError::new(format!("model `{name}`: {e}")))?;
                    let mut columns = batch.columns().to_vec();
                    columns.extend(outputs);
                    Ok(RecordBatch::try_new(out.clone(), columns)?)
                })
                .collect::<RunResult<Vec<_>>>()
        })
        .collect::<RunResult<Vec<_>>>()?;
    Ok(Partitions::new(out, parts))
}
