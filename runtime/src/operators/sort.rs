//! `sort`: every partition is sorted in parallel, then the sorted partitions are merged.
//! Keys are compared in Arrow's row format, which encodes each key's direction and null
//! order, so comparing rows as bytes is comparing by the keys. The merge takes equal keys
//! in partition order and each partition's sort is stable, so the whole sort is stable
//! (ties keep input order). NaN sorts above every number. (`sort | take k` runs as a
//! top-k instead: see `topk.rs`.)

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::{SortOptions, concat_batches, interleave_record_batch, take_record_batch};
use arrow::row::{RowConverter, Rows, SortField};
use rayon::prelude::*;
use sluice_compiler::plan::SortKey;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

struct SortedPart {
    batch: RecordBatch,
    keys: Rows,
}

pub fn run(input: &Partitions, keys: &[SortKey]) -> RunResult<Partitions> {
    let schema = input.schema.clone();
    let fields = keys
        .iter()
        .map(|k| {
            let field = schema.field_with_name(&k.column).map_err(|_| {
                RunError::new(format!("internal error: no sort key `{}`", k.column))
            })?;
            let options = SortOptions {
                descending: k.descending,
                nulls_first: k.nulls_first,
            };
            Ok(SortField::new_with_options(
                field.data_type().clone(),
                options,
            ))
        })
        .collect::<RunResult<Vec<_>>>()?;
    let converter = RowConverter::new(fields)?;
    let key_columns = |batch: &RecordBatch| -> RunResult<Vec<ArrayRef>> {
        keys.iter()
            .map(|k| {
                batch.column_by_name(&k.column).cloned().ok_or_else(|| {
                    RunError::new(format!("internal error: no sort key `{}`", k.column))
                })
            })
            .collect()
    };
    // Sort each partition (stable: ties by position).
    let parts: Vec<SortedPart> = input
        .parts
        .par_iter()
        .map(|part| {
            let batch = concat_batches(&schema, part)?;
            let rows = converter.convert_columns(&key_columns(&batch)?)?;
            let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
            order.sort_by(|a, b| rows.row(*a as usize).cmp(&rows.row(*b as usize)));
            let indices = arrow::array::UInt32Array::from(order);
            let batch = take_record_batch(&batch, &indices)?;
            let keys = converter.convert_columns(&key_columns(&batch)?)?;
            Ok(SortedPart { batch, keys })
        })
        .collect::<RunResult<_>>()?;
    // Merge: the smallest head row first; equal keys in partition order.
    let mut heap = BinaryHeap::new();
    for (p, part) in parts.iter().enumerate() {
        if part.batch.num_rows() > 0 {
            heap.push(Reverse((part.keys.row(0), p, 0usize)));
        }
    }
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(input.num_rows());
    while let Some(Reverse((_, p, i))) = heap.pop() {
        picks.push((p, i));
        if i + 1 < parts[p].batch.num_rows() {
            heap.push(Reverse((parts[p].keys.row(i + 1), p, i + 1)));
        }
    }
    let batches: Vec<&RecordBatch> = parts.iter().map(|p| &p.batch).collect();
    let merged = if batches.is_empty() {
        RecordBatch::new_empty(schema.clone())
    } else {
        interleave_record_batch(&batches, &picks)?
    };
    Ok(Partitions::new(schema, vec![vec![merged]]))
}
