//! `distinct [cols]`: keeps the first row (in input order) of each distinct combination
//! of the columns (all of them when none are named). Rows are compared in Arrow's row
//! format, where null equals null, as in SQL's DISTINCT.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::{ArrayRef, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::row::{RowConverter, SortField};
use hashbrown::HashSet;

pub fn run(input: &Partitions, columns: &[String]) -> RunResult<Partitions> {
    let names: Vec<String> = if columns.is_empty() {
        input
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    } else {
        columns.to_vec()
    };
    let fields = names
        .iter()
        .map(|n| {
            input
                .schema
                .field_with_name(n)
                .map(|f| SortField::new(f.data_type().clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let converter = RowConverter::new(fields)?;
    let mut seen: HashSet<Box<[u8]>> = HashSet::new();
    let mut parts = Vec::with_capacity(input.parts.len());
    for part in &input.parts {
        let mut out = Vec::new();
        for batch in part {
            let cols: Vec<ArrayRef> = names
                .iter()
                .map(|n| {
                    batch
                        .column_by_name(n)
                        .cloned()
                        .ok_or_else(|| RunError::new(format!("internal error: no column `{n}`")))
                })
                .collect::<RunResult<_>>()?;
            let rows = converter.convert_columns(&cols)?;
            let keep: BooleanArray = (0..batch.num_rows())
                .map(|i| Some(seen.insert(rows.row(i).as_ref().into())))
                .collect();
            let kept = filter_record_batch(batch, &keep)?;
            if kept.num_rows() > 0 {
                out.push(kept);
            }
        }
        parts.push(out);
    }
    Ok(Partitions::new(input.schema.clone(), parts))
}
