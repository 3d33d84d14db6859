//! Streams: a pipeline with `stream` sources runs as micro-batches through the same
//! optimized plan (and the same compiled kernels), batch after batch.
//!
//! Each batch: the sources are asked for their new rows ([`source`]); those become the
//! rows of their `StreamScan` nodes; the executor runs every stream sink's plan (static
//! relations a stream joins with are read once and kept); a `group` folds the batch into
//! its state ([`group_state`]) and gives its sink what the output mode asks; a
//! `watermark` drops late rows ([`watermark`]). Then the batch is committed exactly
//! once ([`checkpoint`]): the source offsets are logged before the batch runs, its
//! outputs (one part file per sink and batch, named by the batch) and the operators'
//! state are written, and a commit marker ends it. A run restarted after `kill -9`
//! replays the logged, uncommitted batch from the same offsets and state, rewriting
//! the same part files, so every output row is there once.

pub mod checkpoint;
pub mod driver;
pub mod group_state;
pub mod part_files;
pub mod source;
pub mod watermark;

use crate::error::RunResult;
use crate::operators::aggregate::{Aggregation, MAX_RUNS};
use crate::operators::distinct::DistinctAsGroup;
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::tuning::Tuning;
use arrow::datatypes::SchemaRef;
use group_state::{Closing, Emit, GroupState};
use petgraph::stable_graph::NodeIndex;
use sluice_compiler::plan::{LogicalPlan, OutputMode, PlanOp};
use std::collections::HashMap;
use std::sync::Arc;
use watermark::WatermarkClock;

pub use driver::{StreamOptions, Until, run};

/// What the executor needs to run one micro-batch of a stream.
#[derive(Default)]
pub struct BatchContext {
    /// This batch's rows of each `StreamScan` node.
    pub inputs: HashMap<NodeIndex, Arc<Partitions>>,
    /// Each `watermark` node's clock.
    pub clocks: HashMap<NodeIndex, Arc<WatermarkClock>>,
    /// Each stream `group`'s and `distinct`'s state, kept from batch to batch.
    pub groups: HashMap<NodeIndex, GroupState>,
    /// How each stream `group`'s sink writes.
    pub modes: HashMap<NodeIndex, OutputMode>,
    /// The watermark the batch started with (rows behind it were late).
    pub watermark: Option<i64>,
}

impl BatchContext {
    /// Runs a stream `group` on this batch's rows: folds them into its state, and gives
    /// the rows its output mode writes.
    pub fn group(
        &mut self,
        plan: &LogicalPlan,
        node: NodeIndex,
        input: &Pipeline<'_>,
        input_schema: &sluice_stdlib::Schema,
        out: SchemaRef,
        tuning: &Tuning,
    ) -> RunResult<Relation> {
        let PlanOp::Aggregate {
            keys,
            aggregates,
            window_end,
        } = &plan.graph[node].op
        else {
            return Err(crate::error::RunError::new(
                "internal error: a stream group that is not an aggregate",
            ));
        };
        let aggregation = Aggregation::new(keys, aggregates, input_schema, out, tuning)?;
        let partials = input.fold_in_runs(
            MAX_RUNS,
            |_| aggregation.partial(),
            |p, batch| aggregation.update(p, &batch),
        )?;
        let closing = window_end
            .as_ref()
            .and_then(|e| keys.iter().position(|k| k == e))
            .map(|key| Closing { key, after: 0 });
        let watermark = self.closing_watermark();
        let state = self
            .groups
            .entry(node)
            .or_insert_with(|| GroupState::new(&aggregation));
        let absorbed = state.absorb(&aggregation, partials, closing)?;
        let emit = match self.modes.get(&node).copied().unwrap_or(OutputMode::Update) {
            OutputMode::Complete => Emit::All,
            OutputMode::Update => Emit::These(&absorbed.touched),
            OutputMode::Append => Emit::Closed,
        };
        Ok(state.emit(&aggregation, emit, watermark)?.into())
    }

    /// Runs a stream `distinct` on this batch's rows: the first row of each key not seen
    /// before. With a watermark on one of its columns, a key is forgotten once the
    /// watermark passes its time.
    pub fn distinct(
        &mut self,
        plan: &LogicalPlan,
        node: NodeIndex,
        input: &Pipeline<'_>,
        input_schema: &sluice_stdlib::Schema,
        tuning: &Tuning,
    ) -> RunResult<Relation> {
        let PlanOp::Distinct { columns } = &plan.graph[node].op else {
            return Err(crate::error::RunError::new(
                "internal error: a stream distinct that is not one",
            ));
        };
        let shape = DistinctAsGroup::new(columns, input_schema, &input.schema)?;
        let aggregation = shape.aggregation(input_schema, tuning)?;
        let partials = input.fold_in_runs(
            MAX_RUNS,
            |_| aggregation.partial(),
            |p, batch| aggregation.update(p, &batch),
        )?;
        let closing = watermark_column(plan, node)
            .and_then(|c| shape.keys.iter().position(|k| *k == c))
            .map(|key| Closing { key, after: 1 });
        let watermark = self.closing_watermark();
        let state = self
            .groups
            .entry(node)
            .or_insert_with(|| GroupState::new(&aggregation));
        let absorbed = state.absorb(&aggregation, partials, closing)?;
        let rows: Relation = state
            .emit(&aggregation, Emit::New(absorbed.first_new), watermark)?
            .into();
        shape.in_input_order(&rows)
    }

    /// The watermark once this batch's rows are counted: the slowest clock's, never
    /// behind the one the batch started with. Windows ending by it are closed.
    pub fn closing_watermark(&self) -> Option<i64> {
        let mut slowest: Option<i64> = None;
        for clock in self.clocks.values() {
            let next = clock.next()?;
            slowest = Some(slowest.map_or(next, |s| s.min(next)));
        }
        match (slowest, self.watermark) {
            (Some(s), Some(w)) => Some(s.max(w)),
            (s, w) => s.or(w),
        }
    }

    /// This batch's rows of a source node: a `StreamScan`'s input, or the late rows of
    /// the `watermark` a `LateRows` reads.
    pub fn rows_of(
        &self,
        plan: &LogicalPlan,
        node: NodeIndex,
        schema: &SchemaRef,
    ) -> Option<Arc<Partitions>> {
        match plan.graph[node].op {
            PlanOp::LateRows => {
                let watermark = *plan.inputs(node).first()?;
                let rows = self.clocks.get(&watermark)?.late_rows();
                Some(Arc::new(Partitions::new(schema.clone(), vec![rows])))
            }
            _ => self.inputs.get(&node).cloned(),
        }
    }

    /// Bytes the stream `group`s and `distinct`s hold, about.
    pub fn state_bytes(&self) -> u64 {
        self.groups.values().map(|g| g.memory_size() as u64).sum()
    }

    /// Groups held by every stream `group` and `distinct`.
    pub fn state_rows(&self) -> u64 {
        self.groups.values().map(|g| g.rows() as u64).sum()
    }
}

/// The column of the `watermark` on the stream side upstream of `node`, if any.
pub fn watermark_column(plan: &LogicalPlan, node: NodeIndex) -> Option<String> {
    let mut at = plan.inputs(node).into_iter().find(|&i| plan.is_stream(i));
    while let Some(n) = at {
        if let PlanOp::Watermark { column, .. } = &plan.graph[n].op {
            return Some(column.clone());
        }
        at = plan.inputs(n).into_iter().find(|&i| plan.is_stream(i));
    }
    None
}
