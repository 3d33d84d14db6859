//! Top-k: `sort KEYS | take k` without sorting everything. Each partition keeps its best
//! `k` rows as batches stream in; the partitions' candidates are then sorted once. Ties
//! keep input order, as in a full stable sort followed by `take`.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use arrow::array::{RecordBatch, UInt64Array};
use arrow::compute::{
    SortColumn, SortOptions, concat_batches, lexsort_to_indices, take_record_batch,
};
use arrow::datatypes::SchemaRef;
use sluice_compiler::plan::SortKey;
use std::sync::Arc;

/// A top-k over batches of one schema.
pub struct TopK<'a> {
    keys: &'a [SortKey],
    k: usize,
    schema: SchemaRef,
}

/// One partition's best rows so far, with each row's position in the input (partition,
/// row) for the tie-break.
pub struct Candidates {
    rows: Option<RecordBatch>,
    order: Vec<u64>,
    seen: u64,
    partition: u64,
}

impl<'a> TopK<'a> {
    pub fn new(keys: &'a [SortKey], k: usize, schema: SchemaRef) -> Self {
        TopK { keys, k, schema }
    }

    pub fn candidates(&self, partition: usize) -> Candidates {
        Candidates {
            rows: None,
            order: Vec::new(),
            seen: 0,
            partition: partition as u64,
        }
    }

    /// Keeps the best `k` of the candidates and the batch.
    pub fn update(&self, c: &mut Candidates, batch: &RecordBatch) -> RunResult<()> {
        let n = batch.num_rows() as u64;
        let positions = (c.seen..c.seen + n).map(|r| (c.partition << 40) | r);
        c.seen += n;
        let (rows, order) = match c.rows.take() {
            None => (batch.clone(), positions.collect::<Vec<_>>()),
            Some(prev) => {
                let mut order = std::mem::take(&mut c.order);
                order.extend(positions);
                (concat_batches(&self.schema, [&prev, batch])?, order)
            }
        };
        let (rows, order) = self.best(&rows, &order)?;
        c.rows = Some(rows);
        c.order = order;
        Ok(())
    }

    fn best(&self, rows: &RecordBatch, order: &[u64]) -> RunResult<(RecordBatch, Vec<u64>)> {
        if rows.num_rows() == 0 {
            return Ok((rows.clone(), Vec::new()));
        }
        let mut columns: Vec<SortColumn> = self
            .keys
            .iter()
            .map(|k| {
                let values = rows.column_by_name(&k.column).cloned().ok_or_else(|| {
                    RunError::new(format!("internal error: no sort key `{}`", k.column))
                })?;
                Ok(SortColumn {
                    values,
                    options: Some(SortOptions {
                        descending: k.descending,
                        nulls_first: k.nulls_first,
                    }),
                })
            })
            .collect::<RunResult<_>>()?;
        columns.push(SortColumn {
            values: Arc::new(UInt64Array::from(order.to_vec())),
            options: None,
        });
        let indices = lexsort_to_indices(&columns, Some(self.k))?;
        let kept = take_record_batch(rows, &indices)?;
        let order = indices
            .values()
            .iter()
            .map(|&i| order[i as usize])
            .collect();
        Ok((kept, order))
    }

    /// The best `k` rows over every partition, in order.
    pub fn finish(&self, candidates: Vec<Candidates>) -> RunResult<Partitions> {
        let mut batches = Vec::new();
        let mut order = Vec::new();
        for c in candidates {
            if let Some(rows) = c.rows {
                batches.push(rows);
                order.extend(c.order);
            }
        }
        let all = concat_batches(&self.schema, &batches)?;
        let (best, _) = self.best(&all, &order)?;
        Ok(Partitions::new(self.schema.clone(), vec![vec![best]]))
    }
}

/// Runs a top-k over a pipeline.
pub fn run(pipeline: &Pipeline<'_>, keys: &[SortKey], k: usize) -> RunResult<Partitions> {
    let topk = TopK::new(keys, k, pipeline.schema.clone());
    let parts = pipeline.fold_indexed(|i| topk.candidates(i), |c, batch| topk.update(c, &batch))?;
    topk.finish(parts)
}
