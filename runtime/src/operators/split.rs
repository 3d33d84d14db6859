//! Stratified `split`: within each value of the stratify column, rows are ordered by a
//! seeded hash of their position and cut by the fractions, so every part gets its share
//! of every stratum (rounded down, the last part taking the rest). Unstratified splits
//! are narrow (each row draws a seeded number); see `narrow::NarrowOp::Sample`.

use super::row_fraction;
use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::row::{RowConverter, SortField};
use std::collections::HashMap;

pub fn run(
    input: &Partitions,
    fractions: &[f64],
    index: usize,
    seed: u64,
    stratify: &str,
) -> RunResult<Partitions> {
    let all: RecordBatch = input.concat()?;
    let column = all
        .column_by_name(stratify)
        .cloned()
        .ok_or_else(|| RunError::new(format!("internal error: no column `{stratify}`")))?;
    let converter = RowConverter::new(vec![SortField::new(column.data_type().clone())])?;
    let rows = converter.convert_columns(&[column])?;
    let mut strata: HashMap<Vec<u8>, Vec<(f64, usize)>> = HashMap::new();
    for i in 0..all.num_rows() {
        strata
            .entry(rows.row(i).as_ref().to_vec())
            .or_default()
            .push((row_fraction(seed, 0, i as u64), i));
    }
    let mut keep = vec![false; all.num_rows()];
    let cumulative: Vec<f64> = fractions
        .iter()
        .scan(0.0, |acc, f| {
            *acc += f;
            Some(*acc)
        })
        .collect();
    for members in strata.values_mut() {
        members.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let n = members.len() as f64;
        let start = if index == 0 {
            0
        } else {
            (cumulative[index - 1] * n).floor() as usize
        };
        let end = if index + 1 == fractions.len() {
            members.len()
        } else {
            (cumulative[index] * n).floor() as usize
        };
        for (_, row) in &members[start.min(members.len())..end.min(members.len())] {
            keep[*row] = true;
        }
    }
    let mask = BooleanArray::from(keep);
    Ok(Partitions::new(
        input.schema.clone(),
        vec![vec![filter_record_batch(&all, &mask)?]],
    ))
}
