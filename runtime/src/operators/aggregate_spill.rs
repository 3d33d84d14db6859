//! Hash aggregation past the memory budget. When a run's partial table cannot reserve
//! more memory, it is split by key hash into [`PARTITIONS`] parts, each written to a
//! spill file (key rows, hashes, where each group was first seen, and every aggregate's
//! state columns), and the run starts an empty table. At the end each hash partition is
//! merged on its own — its spilled parts and the runs' last tables, in input order — so
//! only one partition's groups are in memory per thread; its groups are written out
//! sorted by where they were first seen, and those files are merged by that position,
//! so the groups come out in order of first appearance, as without spilling.

use super::aggregate::{Aggregation, PARTITIONS, Partial};
use crate::error::{RunError, RunResult};
use crate::operators::group_keys::GroupKeys;
use crate::relation::Relation;
use crate::spill::{SpillDir, SpillFile};
use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, RecordBatch, UInt64Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt64Type};
use rayon::prelude::*;
use sluice_compiler::plan::SortKey;
use sluice_stdlib::aggregates::states::GroupStates;
use std::sync::Arc;

/// Where a group was first seen: its run, then the order in which the run made it.
pub fn position(run: usize, made: u64) -> u64 {
    ((run as u64) << 40) | made
}

/// What one run spilled: per hash partition, its files in input order.
#[derive(Default)]
pub struct RunSpills {
    pub files: Vec<Vec<SpillFile>>,
    /// Groups the run made in the tables it spilled.
    pub made: u64,
}

const POSITION: &str = "__position";

impl Aggregation<'_> {
    /// Writes a run's table to spill files by hash partition; the table is left empty.
    pub(crate) fn spill_partial(
        &self,
        partial: &mut Partial,
        run: usize,
        spills: &mut RunSpills,
        spill: &SpillDir,
    ) -> RunResult<u64> {
        let table = std::mem::replace(partial, self.partial());
        if spills.files.is_empty() {
            spills.files = (0..PARTITIONS).map(|_| Vec::new()).collect();
        }
        let mut bytes = 0;
        for (p, ids) in table.members(PARTITIONS).into_iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            let keys =
                BinaryArray::from_iter_values(ids.iter().map(|&g| table.keys.key(g as usize)));
            let hashes =
                UInt64Array::from_iter_values(ids.iter().map(|&g| table.keys.hash(g as usize)));
            let made = UInt64Array::from_iter_values(
                ids.iter()
                    .map(|&g| position(run, spills.made + u64::from(g))),
            );
            let mut columns: Vec<ArrayRef> = vec![Arc::new(keys), Arc::new(hashes), Arc::new(made)];
            for states in &table.states {
                columns.extend(states.take(&ids).to_columns()?);
            }
            let batch = batch_of(columns)?;
            let file = spill.write(&batch.schema(), [Ok(batch)])?;
            bytes += file.bytes;
            spills.files[p].push(file);
        }
        spills.made += table.len() as u64;
        Ok(bytes)
    }

    /// Merges every run's spilled parts and last table, partition by partition, into the
    /// groups in order of first appearance.
    pub(crate) fn finish_spilled(
        &self,
        partials: Vec<(Partial, RunSpills)>,
        spill: &SpillDir,
    ) -> RunResult<Relation> {
        let members: Vec<Vec<Vec<u32>>> = partials
            .par_iter()
            .map(|(p, _)| p.members(PARTITIONS))
            .collect();
        let sorted: Vec<Option<SpillFile>> = (0..PARTITIONS)
            .into_par_iter()
            .map(|part| {
                let mut total = self.partial();
                let mut first_seen: Vec<u64> = Vec::new();
                for (run, (p, spills)) in partials.iter().enumerate() {
                    for file in spills.files.get(part).into_iter().flatten() {
                        for batch in file.read()? {
                            let (table, seen) = self.read_table(&batch?)?;
                            let ids: Vec<u32> = (0..table.len() as u32).collect();
                            total.absorb(&table, &ids, |g, _| first_seen.push(seen[g as usize]));
                        }
                    }
                    total.absorb(p, &members[run][part], |g, _| {
                        first_seen.push(position(run, spills.made + u64::from(g)))
                    });
                }
                if total.is_empty() {
                    return Ok(None);
                }
                let mut batch = self.output(&mut total)?;
                let mut columns = batch.columns().to_vec();
                columns.push(Arc::new(UInt64Array::from(first_seen)));
                let mut fields: Vec<Field> = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.as_ref().clone())
                    .collect();
                fields.push(Field::new(POSITION, DataType::UInt64, false));
                batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
                let order = arrow::compute::sort_to_indices(
                    batch.column(batch.num_columns() - 1),
                    None,
                    None,
                )?;
                let batch = take_record_batch(&batch, &order)?;
                Ok(Some(spill.write(&batch.schema(), [Ok(batch)])?))
            })
            .collect::<RunResult<_>>()?;
        let files: Vec<SpillFile> = sorted.into_iter().flatten().collect();
        let Some(first) = files.first() else {
            let empty = self.output(&mut self.partial())?;
            return Ok(
                crate::partitions::Partitions::new(empty.schema(), vec![vec![empty]]).into(),
            );
        };
        let schema: SchemaRef = first.schema().clone();
        let keep = schema.fields().len() - 1;
        let by_position = [SortKey {
            column: POSITION.to_string(),
            descending: false,
            nulls_first: false,
        }];
        super::sort::merge_files(files, &by_position, schema, keep, spill)
    }

    /// A spilled table read back, with where each of its groups was first seen.
    pub(crate) fn read_table(&self, batch: &RecordBatch) -> RunResult<(Partial, Vec<u64>)> {
        let bad = || RunError::new("internal error: a damaged aggregation spill file");
        let keys = batch
            .column(0)
            .as_any()
            .downcast_ref::<BinaryArray>()
            .ok_or_else(bad)?;
        let hashes = batch
            .column(1)
            .as_primitive_opt::<UInt64Type>()
            .ok_or_else(bad)?;
        let seen = batch
            .column(2)
            .as_primitive_opt::<UInt64Type>()
            .ok_or_else(bad)?;
        let mut table = self.partial();
        table.keys = GroupKeys::with_capacity(keys.len(), keys.value_data().len());
        for (k, &h) in keys.iter().zip(hashes.values()) {
            table.keys.push_new(k.ok_or_else(bad)?, h);
        }
        let mut at = 3;
        for states in &mut table.states {
            let width = states.empty_like().to_columns()?.len();
            let columns = batch.columns().get(at..at + width).ok_or_else(bad)?;
            *states = GroupStates::from_columns(states.kernel().clone(), columns)?;
            at += width;
        }
        Ok((table, seen.values().to_vec()))
    }
}

/// Columns as a batch of generic names (`c0`, `c1`, ...), as spill and state files hold.
pub(crate) fn batch_of(columns: Vec<ArrayRef>) -> RunResult<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field::new(format!("c{i}"), c.data_type().clone(), true))
        .collect();
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
