//! The grace hash join: a join whose right side does not fit the memory budget. Both
//! sides are split by key hash into [`PARTS`] partitions on disk (each input partition
//! writes its own file per hash partition, with every row's position, so reading a
//! hash partition's files in order reads its rows in input order); then each hash
//! partition's right rows are built and its left rows probed. Each partition's output
//! is in left order (matches in right order), and the partitions' outputs are merged by
//! the left rows' positions, so the rows and their order are those of the in-memory
//! join; a right or full join's unmatched right rows follow, in right order.

use super::join::{HashJoin, JoinSpec, KeyEncoding};
use crate::error::RunResult;
use crate::memory::Reservation;
use crate::operators::group_keys::hash_key;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::spill::{SpillDir, SpillFile, SpillWriter};
use arrow::array::{ArrayRef, AsArray, RecordBatch, UInt32Array, UInt64Array};
use arrow::compute::{concat_batches, take, take_record_batch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt64Type};
use rayon::prelude::*;
use sluice_compiler::plan::SortKey;
use std::sync::Arc;

/// Hash partitions of a grace join.
const PARTS: usize = 32;

const POSITION: &str = "__position";

/// Set in the positions of unmatched right rows, so that merging by position puts them
/// after every joined row, in right order (a position's input number is below 2^23).
const TAIL: u64 = 1 << 63;

/// `schema` with a position column after its columns.
fn with_position(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(POSITION, DataType::UInt64, false));
    Arc::new(Schema::new(fields))
}

/// One input partition of a side being written to disk by key hash: a file per hash
/// partition, each row with its position.
pub struct SidePartition<'s> {
    input: usize,
    seen: u64,
    writers: Vec<Option<SpillWriter<'s>>>,
}

impl<'s> SidePartition<'s> {
    pub fn new(input: usize) -> Self {
        SidePartition {
            input,
            seen: 0,
            writers: (0..PARTS).map(|_| None).collect(),
        }
    }

    /// Writes a batch of the side (`left` or right) to its hash partitions' files.
    pub fn write(
        &mut self,
        batch: &RecordBatch,
        keys: &KeyEncoding,
        left: bool,
        spill: &'s SpillDir,
    ) -> RunResult<()> {
        let schema = with_position(&batch.schema());
        let (rows, nulls) = keys.rows(batch, left)?;
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); PARTS];
        for r in 0..batch.num_rows() {
            // A null key never matches: such rows go to partition 0.
            let part = if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                (hash_key(rows.row(r).data()) % PARTS as u64) as usize
            } else {
                0
            };
            members[part].push(r as u32);
        }
        let (input, seen) = (self.input as u64, self.seen);
        let positions = UInt64Array::from_iter_values(
            (0..batch.num_rows() as u64).map(|r| (input << 40) | (seen + r)),
        );
        self.seen += batch.num_rows() as u64;
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(positions));
        let full = RecordBatch::try_new(schema.clone(), columns)?;
        for (part, ids) in members.into_iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            let picked = take_record_batch(&full, &UInt32Array::from(ids))?;
            if self.writers[part].is_none() {
                self.writers[part] = Some(spill.writer(&schema)?);
            }
            if let Some(w) = self.writers[part].as_mut() {
                w.write(&picked)?;
            }
        }
        Ok(())
    }

    /// The files, by hash partition.
    pub fn finish(self) -> RunResult<Vec<Option<SpillFile>>> {
        self.writers
            .into_iter()
            .map(|w| w.map(SpillWriter::finish).transpose())
            .collect()
    }
}

/// Writes a whole side to disk by key hash: `files[input][part]`.
fn partition_side(
    side: &Pipeline<'_>,
    keys: &KeyEncoding,
    left: bool,
    spill: &SpillDir,
) -> RunResult<Vec<Vec<Option<SpillFile>>>> {
    side.fold_indexed(SidePartition::new, |p, batch| {
        p.write(&batch, keys, left, spill)
    })?
    .into_iter()
    .map(SidePartition::finish)
    .collect()
}

/// A hash partition's rows of one side, in input order, without and with positions.
fn read_part(
    files: &[Vec<Option<SpillFile>>],
    part: usize,
    schema: &SchemaRef,
) -> RunResult<(RecordBatch, Vec<u64>)> {
    let mut batches = Vec::new();
    for input in files {
        if let Some(Some(f)) = input.get(part) {
            for b in f.read()? {
                batches.push(b?);
            }
        }
    }
    let full = concat_batches(&with_position(schema), &batches)?;
    let n = full.num_columns() - 1;
    let positions = full
        .column(n)
        .as_primitive::<UInt64Type>()
        .values()
        .to_vec();
    let columns: Vec<usize> = (0..n).collect();
    Ok((full.project(&columns)?, positions))
}

/// `batch` with the positions `positions[rows[i]]` as a last column.
fn positioned(batch: &RecordBatch, positions: &[u64], rows: &[u32]) -> RunResult<RecordBatch> {
    let values = UInt64Array::from(positions.to_vec());
    let picked: ArrayRef = take(&values, &UInt32Array::from(rows.to_vec()), None)?;
    let mut columns = batch.columns().to_vec();
    columns.push(picked);
    Ok(RecordBatch::try_new(
        with_position(&batch.schema()),
        columns,
    )?)
}

/// Joins `left` and `right` partition by partition on disk.
#[allow(clippy::too_many_arguments)]
pub fn grace_join(
    left: &Pipeline<'_>,
    right: &Pipeline<'_>,
    right_files: Vec<Vec<Option<SpillFile>>>,
    keys: &KeyEncoding,
    spec: &JoinSpec<'_>,
    out: SchemaRef,
    spill: &SpillDir,
    reservation: &mut Reservation<'_>,
) -> RunResult<Relation> {
    let left_files = partition_side(left, keys, true, spill)?;
    let spilled: u64 = right_files
        .iter()
        .chain(&left_files)
        .flatten()
        .flatten()
        .map(|f| f.bytes)
        .sum();
    reservation.spilled(spilled);
    // Per hash partition: its output sorted by left position, and its unmatched right
    // rows sorted by right position.
    let results: Vec<(Option<SpillFile>, Option<SpillFile>)> = (0..PARTS)
        .into_par_iter()
        .map(|part| {
            let (r, right_positions) = read_part(&right_files, part, &right.schema)?;
            let join = HashJoin::new(r, keys, left.schema.clone(), spec, out.clone())?;
            let mut writer: Option<SpillWriter<'_>> = None;
            for input in &left_files {
                let Some(Some(f)) = input.get(part) else {
                    continue;
                };
                for b in f.read()? {
                    let b = b?;
                    let n = b.num_columns() - 1;
                    let positions = b.column(n).as_primitive::<UInt64Type>().values().to_vec();
                    let columns: Vec<usize> = (0..n).collect();
                    let (joined, rows) = join.probe(&b.project(&columns)?)?;
                    if joined.num_rows() == 0 {
                        continue;
                    }
                    let batch = positioned(&joined, &positions, &rows)?;
                    if writer.is_none() {
                        writer = Some(spill.writer(&batch.schema())?);
                    }
                    if let Some(w) = writer.as_mut() {
                        w.write(&batch)?;
                    }
                }
            }
            let tail = match join.unmatched()? {
                Some((batch, rows)) if batch.num_rows() > 0 => {
                    let after: Vec<u64> = right_positions.iter().map(|p| p | TAIL).collect();
                    let batch = positioned(&batch, &after, &rows)?;
                    Some(spill.write(&batch.schema(), [Ok(batch)])?)
                }
                _ => None,
            };
            Ok((writer.map(SpillWriter::finish).transpose()?, tail))
        })
        .collect::<RunResult<_>>()?;
    drop(right_files);
    drop(left_files);
    let files: Vec<SpillFile> = results
        .into_iter()
        .flat_map(|(joined, tail)| [joined, tail])
        .flatten()
        .collect();
    let by_position = [SortKey {
        column: POSITION.to_string(),
        descending: false,
        nulls_first: false,
    }];
    let keep = out.fields().len();
    super::sort::merge_files(files, &by_position, with_position(&out), keep, spill)
}
