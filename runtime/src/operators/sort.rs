//! `sort`: a stable lexicographic sort of all rows by the keys, each ascending or
//! descending with nulls first or last. NaN sorts above every number. (`sort | take k`
//! runs as a top-k instead: see `topk.rs`.)

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::compute::{SortColumn, SortOptions, lexsort_to_indices, take_record_batch};
use sluice_compiler::plan::SortKey;

pub fn run(input: &Partitions, keys: &[SortKey]) -> RunResult<Partitions> {
    let all = input.concat()?;
    let columns: Vec<SortColumn> = keys
        .iter()
        .map(|k| {
            let values = all.column_by_name(&k.column).cloned().ok_or_else(|| {
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
    let sorted = if all.num_rows() == 0 {
        all
    } else {
        // Ties keep input order: sort by the keys and then by position.
        let position = arrow::array::UInt64Array::from_iter_values(0..all.num_rows() as u64);
        let mut columns = columns;
        columns.push(SortColumn {
            values: std::sync::Arc::new(position),
            options: None,
        });
        let indices = lexsort_to_indices(&columns, None)?;
        take_record_batch(&all, &indices)?
    };
    Ok(Partitions::new(input.schema.clone(), vec![vec![sorted]]))
}
