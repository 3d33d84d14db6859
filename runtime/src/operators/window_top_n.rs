//! The first `n` rows of each window partition, found without sorting the input: for a
//! window read only through `row_number() <= n` (see the optimizer's `window_top_n`).
//!
//! Each input partition streams through a table of bounded heaps, one per partition key,
//! keeping the `n` rows that come first by the window's order (ties by input position,
//! as the window breaks them); rows are held in Arrow's row format, so the table is
//! about groups × n rows whatever the input's size. The tables of the input's
//! partitions are merged the same way, and the kept rows go on to the window, which
//! sorts only them and numbers them exactly as it would have numbered them among all
//! rows.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::row::{RowConverter, SortField};
use hashbrown::HashMap;
use sluice_compiler::plan::SortKey;
use std::collections::BinaryHeap;

/// A candidate row: its order key (row format, compares as the window orders), its
/// place in the input, and all its columns (row format).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    order: Box<[u8]>,
    position: u64,
    row: Box<[u8]>,
}

/// Per partition key, the best rows so far (a max-heap: the worst kept row on top).
type Table = HashMap<Box<[u8]>, BinaryHeap<Candidate>>;

fn keep(table: &mut Table, key: &[u8], candidate: Candidate, n: usize) {
    let heap = table.entry(key.into()).or_default();
    if heap.len() < n {
        heap.push(candidate);
    } else if heap.peek().is_some_and(|worst| candidate < *worst) {
        heap.pop();
        heap.push(candidate);
    }
}

fn column(batch: &RecordBatch, name: &str) -> RunResult<ArrayRef> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| RunError::new(format!("internal error: no column `{name}`")))
}

/// The rows of `input` that are among the first `n` of their partition by `order_by`.
pub fn first_rows(
    input: &Pipeline<'_>,
    partition_by: &[String],
    order_by: &[SortKey],
    n: usize,
) -> RunResult<Partitions> {
    let schema = input.schema.clone();
    let field = |name: &str| -> RunResult<arrow::datatypes::DataType> {
        Ok(schema
            .field_with_name(name)
            .map_err(|_| RunError::new(format!("internal error: no column `{name}`")))?
            .data_type()
            .clone())
    };
    let keys = RowConverter::new(
        partition_by
            .iter()
            .map(|k| Ok(SortField::new(field(k)?)))
            .collect::<RunResult<_>>()?,
    )?;
    let order = RowConverter::new(
        order_by
            .iter()
            .map(|k| {
                Ok(SortField::new_with_options(
                    field(&k.column)?,
                    arrow::compute::SortOptions {
                        descending: k.descending,
                        nulls_first: k.nulls_first,
                    },
                ))
            })
            .collect::<RunResult<_>>()?,
    )?;
    let whole = RowConverter::new(
        schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    let tables = input.fold_indexed(
        |part| (Table::new(), (part as u64) << 40),
        |(table, next), batch| {
            let n_rows = batch.num_rows();
            if n_rows == 0 {
                return Ok(());
            }
            let key_columns = partition_by
                .iter()
                .map(|k| column(&batch, k))
                .collect::<RunResult<Vec<_>>>()?;
            let key_rows = if key_columns.is_empty() {
                None
            } else {
                Some(keys.convert_columns(&key_columns)?)
            };
            let order_columns = order_by
                .iter()
                .map(|k| column(&batch, &k.column))
                .collect::<RunResult<Vec<_>>>()?;
            let order_rows = if order_columns.is_empty() {
                None
            } else {
                Some(order.convert_columns(&order_columns)?)
            };
            let all = whole.convert_columns(batch.columns())?;
            for r in 0..n_rows {
                let key: &[u8] = key_rows.as_ref().map_or(&[], |k| k.row(r).data());
                let candidate = Candidate {
                    order: order_rows
                        .as_ref()
                        .map_or(Box::from([]), |o| o.row(r).data().into()),
                    position: *next + r as u64,
                    row: all.row(r).data().into(),
                };
                keep(table, key, candidate, n);
            }
            *next += n_rows as u64;
            Ok(())
        },
    )?;
    let mut merged = Table::new();
    for (table, _) in tables {
        for (key, heap) in table {
            for candidate in heap {
                keep(&mut merged, &key, candidate, n);
            }
        }
    }
    // In input order, so that the window breaks ties as it would among all rows.
    let mut kept: Vec<Candidate> = merged
        .into_values()
        .flat_map(BinaryHeap::into_vec)
        .collect();
    kept.sort_unstable_by_key(|c| c.position);
    let parser = whole.parser();
    let rows: Vec<Box<[u8]>> = kept.into_iter().map(|c| c.row).collect();
    let columns = whole.convert_rows(rows.iter().map(|r| parser.parse(r)))?;
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(Partitions::new(schema, vec![vec![batch]]))
}
