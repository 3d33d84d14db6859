//! [`Partitions`]: a relation's rows as ordered partitions of Arrow record batches.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

/// Rows per partition of what a wide operator (group, sort, join) outputs, in memory or
/// spilled alike, so that row positions (which `sample` and `split` draw from) do not
/// depend on the path the operator took.
pub const PIECE_ROWS: usize = 1 << 16;

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

    /// `batches` (rows in order) cut into partitions of exactly `rows` rows (the last
    /// may hold fewer), without copying. Row positions (which `sample` and `split` draw
    /// from) then depend only on the rows, not on how an operator happened to build them.
    pub fn in_pieces(schema: SchemaRef, batches: Vec<RecordBatch>, rows: usize) -> Partitions {
        let rows = rows.max(1);
        let mut parts: Vec<Vec<RecordBatch>> = Vec::new();
        let mut room = 0;
        for batch in batches {
            let mut start = 0;
            while start < batch.num_rows() {
                if room == 0 {
                    parts.push(Vec::new());
                    room = rows;
                }
                let take = room.min(batch.num_rows() - start);
                if let Some(last) = parts.last_mut() {
                    last.push(batch.slice(start, take));
                }
                start += take;
                room -= take;
            }
        }
        if parts.is_empty() {
            parts.push(vec![RecordBatch::new_empty(schema.clone())]);
        }
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
