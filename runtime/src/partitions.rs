//! [`Partitions`]: a relation's rows as ordered partitions of Arrow record batches.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

/// A relation's rows: partitions in order, each a list of batches in order. Reading
/// them in that order gives the relation's row order.
#[derive(Clone, Debug)]
pub struct Partitions {
    pub schema: SchemaRef,
    pub parts: Vec<Vec<RecordBatch>>,
}

impl Partitions {
    pub fn new(schema: SchemaRef, parts: Vec<Vec<RecordBatch>>) -> Partitions {
        Partitions { schema, parts }
    }

    pub fn num_rows(&self) -> usize {
        self.parts.iter().flatten().map(RecordBatch::num_rows).sum()
    }

    /// Every batch, in row order.
    pub fn batches(&self) -> impl Iterator<Item = &RecordBatch> {
        self.parts.iter().flatten()
    }

    /// All rows as one batch.
    pub fn concat(&self) -> crate::RunResult<RecordBatch> {
        Ok(arrow::compute::concat_batches(
            &self.schema,
            self.batches(),
        )?)
    }
}
