//! `repartition` and `@partition`: spreads rows over N partitions, round robin (in row
//! order), by a hash of key columns, or by key ranges (sorted, cut into N equal parts).
//! An `@partition` hint keeps the row order instead (hints never change results): the
//! rows are cut into N contiguous partitions.

use crate::error::RunResult;
use crate::partitions::Partitions;
use arrow::array::{ArrayRef, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::row::{RowConverter, SortField};
use sluice_compiler::plan::Partitioning;

pub fn run(
    input: &Partitions,
    partitioning: &Partitioning,
    keep_order: bool,
) -> RunResult<Partitions> {
    let all = input.concat()?;
    let n = all.num_rows();
    let (columns, count) = match partitioning {
        Partitioning::RoundRobin { partitions } => (Vec::new(), *partitions as usize),
        Partitioning::Hash {
            columns,
            partitions,
        }
        | Partitioning::Range {
            columns,
            partitions,
        } => (columns.clone(), *partitions as usize),
    };
    let count = count.max(1);
    let mut assignment: Vec<Vec<u32>> = vec![Vec::new(); count];
    match partitioning {
        _ if keep_order => (0..n).for_each(|i| assignment[i * count / n].push(i as u32)),
        Partitioning::RoundRobin { .. } => {
            (0..n).for_each(|i| assignment[i % count].push(i as u32))
        }
        _ => {
            let keys: Vec<ArrayRef> = columns
                .iter()
                .filter_map(|c| all.column_by_name(c).cloned())
                .collect();
            let converter = RowConverter::new(
                keys.iter()
                    .map(|k| SortField::new(k.data_type().clone()))
                    .collect(),
            )?;
            let rows = converter.convert_columns(&keys)?;
            if matches!(partitioning, Partitioning::Hash { .. }) {
                // A fixed hasher, so the layout is the same on every run.
                let state = ahash::RandomState::with_seeds(1, 2, 3, 4);
                for i in 0..n {
                    let h = state.hash_one(rows.row(i).as_ref());
                    assignment[(h % count as u64) as usize].push(i as u32);
                }
            } else {
                let mut order: Vec<u32> = (0..n as u32).collect();
                order.sort_by(|a, b| {
                    rows.row(*a as usize)
                        .cmp(&rows.row(*b as usize))
                        .then(a.cmp(b))
                });
                for (rank, i) in order.into_iter().enumerate() {
                    assignment[rank * count / n.max(1)].push(i);
                }
            }
        }
    }
    let parts = assignment
        .into_iter()
        .map(|idx| Ok(vec![take_record_batch(&all, &UInt32Array::from(idx))?]))
        .collect::<RunResult<Vec<_>>>()?;
    Ok(Partitions::new(input.schema.clone(), parts))
}
