//! `group`: two-phase parallel hash aggregation.
//!
//! Phase one: the input's partitions are folded in a fixed number of runs of consecutive
//! partitions ([`Pipeline::fold_in_runs`]); each run builds one partial table: its keys
//! are converted to Arrow's row format a batch at a time, given dense group ids
//! ([`GroupKeys`]), and every aggregate's state is a column indexed by group id
//! ([`GroupStates`]), updated by one tight loop per batch.
//!
//! Phase two: the partials are merged in run order, so `first`/`last`/`collect` follow
//! input order and the result is the same on every thread count. With many groups the
//! merge runs in parallel over [`PARTITIONS`] hash partitions of the keys; groups then
//! come out as one batch per run, each run's new groups in its order, so the order is
//! still that of first appearance.
//!
//! A `group` without keys gives exactly one row, even over no input (`count()` is 0).

use crate::error::{RunError, RunResult};
use crate::expr::evaluate;
use crate::memory::{MemoryPool, Reservation};
use crate::operators::aggregate_spill::RunSpills;
use crate::operators::group_keys::GroupKeys;
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::spill::SpillDir;
use crate::tuning::Tuning;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use rayon::prelude::*;
use sluice_compiler::plan::{AggregateExpr, TypedExprKind};
use sluice_stdlib::aggregates::AggregateKernel;
use sluice_stdlib::aggregates::states::GroupStates;
use std::sync::Arc;

/// How many runs phase one folds the input in, at most: enough to keep many cores busy,
/// few enough that the partial tables' copies of the same groups stay few.
pub const MAX_RUNS: usize = 16;

/// How many hash partitions phase two merges in parallel.
pub const PARTITIONS: usize = 64;

/// One run's partial aggregation: groups in order of first appearance.
pub struct Partial {
    pub(crate) keys: GroupKeys,
    pub(crate) states: Vec<GroupStates>,
    /// Scratch: the batch's group ids.
    group_of: Vec<u32>,
}

impl Partial {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes held, about.
    pub fn memory_size(&self) -> usize {
        self.keys.memory_size()
            + self
                .states
                .iter()
                .map(GroupStates::memory_size)
                .sum::<usize>()
    }

    /// Folds `other`'s groups `ids` into this table (`other` comes later in input order);
    /// `new(g, id)` is told of each group `g` of `other` that is new here, as `id`.
    pub(crate) fn absorb(&mut self, other: &Partial, ids: &[u32], mut new: impl FnMut(u32, u32)) {
        let mut into = Vec::with_capacity(ids.len());
        for &g in ids {
            let before = self.keys.len();
            let id = self
                .keys
                .intern(other.keys.key(g as usize), other.keys.hash(g as usize));
            if id as usize == before {
                new(g, id);
            }
            into.push(id);
        }
        let groups = self.keys.len();
        for (mine, theirs) in self.states.iter_mut().zip(&other.states) {
            mine.resize(groups);
            mine.merge_from(theirs, ids, &into);
        }
    }

    /// Folds every group of `other` into this table; returns each one's id here.
    pub(crate) fn absorb_all(&mut self, other: &Partial) -> Vec<u32> {
        let ids: Vec<u32> = (0..other.len() as u32).collect();
        let mut into = Vec::with_capacity(ids.len());
        for &g in &ids {
            into.push(
                self.keys
                    .intern(other.keys.key(g as usize), other.keys.hash(g as usize)),
            );
        }
        let groups = self.keys.len();
        for (mine, theirs) in self.states.iter_mut().zip(&other.states) {
            mine.resize(groups);
            mine.merge_from(theirs, &ids, &into);
        }
        into
    }

    /// The ids of this table's groups in each of `parts` hash partitions.
    pub(crate) fn members(&self, parts: usize) -> Vec<Vec<u32>> {
        let shift = 64 - parts.trailing_zeros();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); parts];
        for g in 0..self.len() {
            members[(self.keys.hash(g) >> shift) as usize].push(g as u32);
        }
        members
    }
}

/// A `group` ready to run.
pub struct Aggregation<'a> {
    keys: &'a [String],
    aggregates: &'a [AggregateExpr],
    kernels: Vec<Arc<AggregateKernel>>,
    key_converter: Option<RowConverter>,
    out: SchemaRef,
    tuning: Tuning,
}

impl<'a> Aggregation<'a> {
    pub fn new(
        keys: &'a [String],
        aggregates: &'a [AggregateExpr],
        input_schema: &sluice_stdlib::Schema,
        out: SchemaRef,
        tuning: &Tuning,
    ) -> RunResult<Self> {
        let key_fields: Vec<SortField> = keys
            .iter()
            .map(|k| {
                input_schema
                    .field(k)
                    .map(|f| SortField::new(f.data_type.to_arrow()))
                    .ok_or_else(|| RunError::new(format!("internal error: no key `{k}`")))
            })
            .collect::<RunResult<_>>()?;
        let kernels = aggregates
            .iter()
            .map(|a| Ok(Arc::new(kernel_of(&a.function, &a.args)?)))
            .collect::<RunResult<_>>()?;
        let key_converter = if keys.is_empty() {
            None
        } else {
            Some(RowConverter::new(key_fields)?)
        };
        Ok(Aggregation {
            keys,
            aggregates,
            kernels,
            key_converter,
            out,
            tuning: *tuning,
        })
    }

    /// An empty partial table.
    pub fn partial(&self) -> Partial {
        Partial {
            keys: GroupKeys::default(),
            states: self
                .kernels
                .iter()
                .map(|k| GroupStates::new(k.clone()))
                .collect(),
            group_of: Vec::new(),
        }
    }

    /// Folds a batch of the input into a partial table.
    pub fn update(&self, partial: &mut Partial, batch: &RecordBatch) -> RunResult<()> {
        let n = batch.num_rows();
        let mut group_of = std::mem::take(&mut partial.group_of);
        match &self.key_converter {
            Some(conv) => {
                let columns: Vec<ArrayRef> =
                    self.keys
                        .iter()
                        .map(|k| {
                            batch.column_by_name(k).cloned().ok_or_else(|| {
                                RunError::new(format!("internal error: no key `{k}`"))
                            })
                        })
                        .collect::<RunResult<_>>()?;
                let rows = conv.convert_columns(&columns)?;
                partial.keys.intern_rows(&rows, &mut group_of);
            }
            None => {
                if partial.keys.is_empty() {
                    partial.keys.push_new(&[], 0);
                }
                group_of.clear();
                group_of.resize(n, 0);
            }
        }
        let groups = partial.keys.len();
        for (aggregate, states) in self.aggregates.iter().zip(&mut partial.states) {
            let values = argument_column(states.kernel(), &aggregate.args, |e| evaluate(e, batch))?;
            states.resize(groups);
            states.update(&group_of, values.as_ref())?;
        }
        partial.group_of = group_of;
        Ok(())
    }

    /// Merges the partials (in input order) and produces the groups.
    pub fn finish(&self, partials: Vec<Partial>) -> RunResult<Partitions> {
        let groups: usize = partials.iter().map(Partial::len).sum();
        let parts = if groups < self.tuning.serial_merge_groups
            || partials.len() < 2
            || self.keys.is_empty()
        {
            let mut total = self.partial();
            if self.keys.is_empty() {
                total.keys.push_new(&[], 0);
            }
            for part in &partials {
                let ids: Vec<u32> = (0..part.len() as u32).collect();
                total.absorb(part, &ids, |_, _| {});
            }
            vec![self.output(&mut total)?]
        } else {
            self.merge_in_parallel(&partials)?
        };
        Ok(Partitions::in_pieces(
            self.out.clone(),
            parts,
            crate::partitions::PIECE_ROWS,
        ))
    }

    /// Phase two with many groups: each hash partition of the keys merged on its own
    /// thread; then, run by run, the groups first seen in that run, in its order.
    fn merge_in_parallel(&self, partials: &[Partial]) -> RunResult<Vec<RecordBatch>> {
        let members: Vec<Vec<Vec<u32>>> =
            partials.par_iter().map(|p| p.members(PARTITIONS)).collect();
        // Per hash partition: its merged table and, for every group, (run, id there).
        let merged: Vec<(Partial, Vec<(u32, u32)>)> = (0..PARTITIONS)
            .into_par_iter()
            .map(|part| {
                let groups: usize = members.iter().map(|m| m[part].len()).sum();
                let bytes: usize = partials
                    .iter()
                    .map(|p| p.keys.key_bytes() / PARTITIONS + 1)
                    .sum();
                let mut total = Partial {
                    keys: GroupKeys::with_capacity(groups, bytes),
                    ..self.partial()
                };
                let mut first_seen = Vec::new();
                for (run, p) in partials.iter().enumerate() {
                    total.absorb(p, &members[run][part], |g, _| {
                        first_seen.push((run as u32, g))
                    });
                }
                (total, first_seen)
            })
            .collect();
        // Where each run's new groups ended up: (partition, id) in the run's order.
        let mut found: Vec<Vec<(u32, u32, u32)>> = partials.iter().map(|_| Vec::new()).collect();
        for (part, (_, first_seen)) in merged.iter().enumerate() {
            for (id, &(run, g)) in first_seen.iter().enumerate() {
                found[run as usize].push((g, part as u32, id as u32));
            }
        }
        let mut tables: Vec<Partial> = merged.into_iter().map(|(t, _)| t).collect();
        let finished: Vec<Vec<ArrayRef>> = tables
            .par_iter_mut()
            .map(|t| self.finish_states(t))
            .collect::<RunResult<_>>()?;
        found
            .into_par_iter()
            .zip(partials.par_iter())
            .map(|(mut found, p)| {
                found.sort_unstable();
                let mut columns: Vec<ArrayRef> = Vec::new();
                if let Some(conv) = &self.key_converter {
                    let parser = conv.parser();
                    let rows = found
                        .iter()
                        .map(|&(g, _, _)| parser.parse(p.keys.key(g as usize)));
                    columns.extend(conv.convert_rows(rows)?);
                }
                let at: Vec<(usize, usize)> = found
                    .iter()
                    .map(|&(_, part, id)| (part as usize, id as usize))
                    .collect();
                for i in 0..self.kernels.len() {
                    let arrays: Vec<&dyn arrow::array::Array> =
                        finished.iter().map(|f| f[i].as_ref()).collect();
                    columns.push(arrow::compute::interleave(&arrays, &at)?);
                }
                Ok(RecordBatch::try_new(self.out.clone(), columns)?)
            })
            .collect()
    }

    /// A merged table's aggregate columns, in table order.
    fn finish_states(&self, total: &mut Partial) -> RunResult<Vec<ArrayRef>> {
        let groups = total.len();
        total
            .states
            .iter_mut()
            .enumerate()
            .map(|(i, states)| {
                let out_type = self.out.field(self.keys.len() + i).data_type().clone();
                // A table that saw no batch has no states yet.
                states.resize(groups);
                Ok(states.finish(&out_type)?)
            })
            .collect()
    }

    /// The key columns of groups `ids` of a table.
    pub(crate) fn key_columns(&self, table: &Partial, ids: &[u32]) -> RunResult<Vec<ArrayRef>> {
        let Some(conv) = &self.key_converter else {
            return Ok(Vec::new());
        };
        let parser = conv.parser();
        let rows = ids
            .iter()
            .map(|&g| parser.parse(table.keys.key(g as usize)));
        Ok(conv.convert_rows(rows)?)
    }

    /// A merged table's groups as a batch, in table order.
    pub(crate) fn output(&self, total: &mut Partial) -> RunResult<RecordBatch> {
        let mut columns: Vec<ArrayRef> = Vec::new();
        if let Some(conv) = &self.key_converter {
            let parser = conv.parser();
            let rows = (0..total.len()).map(|g| parser.parse(total.keys.key(g)));
            columns.extend(conv.convert_rows(rows)?);
        }
        columns.extend(self.finish_states(total)?);
        Ok(RecordBatch::try_new(self.out.clone(), columns)?)
    }
}

/// One run's table, what it spilled, and the memory it holds.
struct RunState<'p> {
    partial: Partial,
    spills: RunSpills,
    reservation: Reservation<'p>,
    run: usize,
}

/// Runs a `group` over a pipeline: partial tables per run of partitions as it streams
/// (spilled by hash partition when the memory pool refuses them more), then merged.
#[allow(clippy::too_many_arguments)]
pub fn run(
    pipeline: &Pipeline<'_>,
    keys: &[String],
    aggregates: &[AggregateExpr],
    input_schema: &sluice_stdlib::Schema,
    out: SchemaRef,
    pool: &MemoryPool,
    spill: &SpillDir,
    tuning: &Tuning,
) -> RunResult<Relation> {
    let aggregation = Aggregation::new(keys, aggregates, input_schema, out, tuning)?;
    let cap = tuning.operator_memory.unwrap_or(u64::MAX);
    let runs = pipeline.fold_in_runs(
        MAX_RUNS,
        |run| RunState {
            partial: aggregation.partial(),
            spills: RunSpills::default(),
            reservation: pool.reservation("group"),
            run,
        },
        |state, batch| {
            pool.check_address("group", 0)?;
            aggregation.update(&mut state.partial, &batch)?;
            let size = state.partial.memory_size() as u64;
            let held = state.reservation.size();
            if size > held
                && !(size <= cap && state.reservation.try_grow(size - held))
                && !keys.is_empty()
            {
                let bytes = aggregation.spill_partial(
                    &mut state.partial,
                    state.run,
                    &mut state.spills,
                    spill,
                )?;
                state.reservation.spilled(bytes);
                state.reservation.free();
            }
            Ok(())
        },
    )?;
    if runs.iter().all(|r| r.spills.files.is_empty()) {
        let partials = runs.into_iter().map(|r| r.partial).collect();
        return Ok(aggregation.finish(partials)?.into());
    }
    let (parts, reservations): (Vec<_>, Vec<_>) = runs
        .into_iter()
        .map(|r| ((r.partial, r.spills), r.reservation))
        .unzip();
    let result = aggregation.finish_spilled(parts, spill);
    drop(reservations);
    result
}

/// The kernel of an aggregate call: the function over its first argument's type, with
/// its constant second argument (`quantile`'s q, `string_agg`'s separator) or, for a
/// two-column aggregate, its second column's type.
pub fn kernel_of(
    function: &str,
    args: &[sluice_compiler::plan::TypedExpr],
) -> RunResult<AggregateKernel> {
    let second = match args.get(1).map(|e| &e.kind) {
        Some(TypedExprKind::Literal(v)) => Some(v),
        _ => None,
    };
    let kernel = AggregateKernel::new(
        function,
        args.first().map(|e| &e.data_type),
        second.and_then(|v| v.as_f64()),
    )?;
    Ok(match (second, args.get(1)) {
        (_, Some(column)) if kernel.takes_two_columns() => {
            kernel.with_second_column(&column.data_type)?
        }
        (Some(sluice_compiler::plan::ConstValue::String(separator)), _) => {
            kernel.with_separator(separator)
        }
        _ => kernel,
    })
}

/// The one column an aggregate's kernel reads: its first argument, or for a two-column
/// aggregate (`corr`, `arg_max`, ...) both arguments packed; `None` for `count()`.
/// `column` evaluates an argument.
pub fn argument_column(
    kernel: &AggregateKernel,
    args: &[sluice_compiler::plan::TypedExpr],
    mut column: impl FnMut(&sluice_compiler::plan::TypedExpr) -> RunResult<ArrayRef>,
) -> RunResult<Option<ArrayRef>> {
    let Some(first) = args.first() else {
        return Ok(None);
    };
    let x = column(first)?;
    match args.get(1) {
        Some(second) if kernel.takes_two_columns() => {
            let y = column(second)?;
            Ok(Some(sluice_stdlib::aggregates::pairs::pack(x, y)?))
        }
        _ => Ok(Some(x)),
    }
}
