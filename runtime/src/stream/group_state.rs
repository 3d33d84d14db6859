//! The state of a `group` on a stream: every group's aggregate states, kept from batch
//! to batch, with each group's window end when the group is windowed.
//!
//! A batch is aggregated as in a batch run (partial tables per run of partitions) and
//! folded into the state; what the sink gets depends on its output mode: `complete`,
//! every group; `update`, the groups this batch changed; `append`, the windows the
//! watermark has closed. Closed windows can change no more, so `append` and `update`
//! drop them from the state (a window's row is written once); `complete` keeps all.
//! A stream `distinct` is a group too (its other columns' `first`): a batch gives the
//! rows of the groups it made, and a row's key leaves the state once the watermark has
//! passed its time (later copies would be late).
//! The state is saved with each batch's checkpoint as one Arrow IPC file (the layout of
//! an aggregation spill file: key rows, hashes, window ends, state columns); the keys
//! are hashed again when read, since each process seeds its own hasher.

use crate::error::{RunError, RunResult};
use crate::operators::aggregate::{Aggregation, Partial};
use crate::partitions::Partitions;
use arrow::array::{
    Array, ArrayRef, BinaryArray, RecordBatch, TimestampMicrosecondArray, UInt64Array,
};
use std::sync::Arc;

/// The window end of a group that has none.
const NO_END: i64 = i64::MAX;

/// When a group's state is final: once the watermark reaches its key `key` (a
/// timestamp) plus `after` microseconds. A window's end closes it (`after` 0); a
/// distinct row's time does once the watermark passes it (`after` 1).
#[derive(Clone, Copy, Debug)]
pub struct Closing {
    pub key: usize,
    pub after: i64,
}

/// What a batch did to the state.
pub struct Absorbed {
    /// The groups it touched, in order of first appearance.
    pub touched: Vec<u32>,
    /// The first group it made (those after it are new).
    pub first_new: u32,
}

/// Which groups a batch's output holds.
pub enum Emit<'a> {
    /// Every group (`complete`); nothing is dropped.
    All,
    /// These (`update`: the touched ones).
    These(&'a [u32]),
    /// The groups made by this batch (`distinct`: each new row once).
    New(u32),
    /// The closed ones (`append`).
    Closed,
}

pub struct GroupState {
    table: Partial,
    /// Per group id: its window's end in microseconds ([`NO_END`] when not windowed).
    ends: Vec<i64>,
}

impl GroupState {
    pub fn new(aggregation: &Aggregation<'_>) -> GroupState {
        GroupState {
            table: aggregation.partial(),
            ends: Vec::new(),
        }
    }

    /// Groups held.
    pub fn rows(&self) -> usize {
        self.table.len()
    }

    /// Bytes held, about.
    pub fn memory_size(&self) -> usize {
        self.table.memory_size() + self.ends.len() * 8
    }

    /// Folds a batch's partial tables in (in input order); returns the ids of the groups
    /// they touched, in order of first appearance, and the first id made by this batch.
    pub fn absorb(
        &mut self,
        aggregation: &Aggregation<'_>,
        partials: Vec<Partial>,
        closing: Option<Closing>,
    ) -> RunResult<Absorbed> {
        let first_new = self.table.len() as u32;
        let mut touched = Vec::new();
        let mut seen = vec![false; self.table.len()];
        for p in &partials {
            let before = self.table.len();
            for id in self.table.absorb_all(p) {
                let i = id as usize;
                if i >= seen.len() {
                    seen.resize(i + 1, false);
                }
                if !seen[i] {
                    seen[i] = true;
                    touched.push(id);
                }
            }
            let made: Vec<u32> = (before as u32..self.table.len() as u32).collect();
            self.ends
                .extend(self.window_ends(aggregation, &made, closing)?);
        }
        Ok(Absorbed { touched, first_new })
    }

    fn window_ends(
        &self,
        aggregation: &Aggregation<'_>,
        ids: &[u32],
        closing: Option<Closing>,
    ) -> RunResult<Vec<i64>> {
        let Some(Closing { key: at, after }) = closing else {
            return Ok(vec![NO_END; ids.len()]);
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys = aggregation.key_columns(&self.table, ids)?;
        let ends = keys
            .get(at)
            .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
            .ok_or_else(|| RunError::new("internal error: a closing key is not a timestamp"))?;
        Ok((0..ends.len())
            .map(|i| {
                if ends.is_null(i) {
                    NO_END
                } else {
                    ends.value(i).saturating_add(after)
                }
            })
            .collect())
    }

    /// The rows of the groups `emit` picks, with the watermark now at `watermark`;
    /// closed groups then leave the state, except for [`Emit::All`].
    pub fn emit(
        &mut self,
        aggregation: &Aggregation<'_>,
        emit: Emit<'_>,
        watermark: Option<i64>,
    ) -> RunResult<Partitions> {
        let closed = |end: i64| end != NO_END && watermark.is_some_and(|w| end <= w);
        let all = 0..self.table.len() as u32;
        let ids: Vec<u32> = match emit {
            Emit::All => all.collect(),
            Emit::These(ids) => ids.to_vec(),
            Emit::New(first) => (first..self.table.len() as u32).collect(),
            Emit::Closed => all.filter(|&g| closed(self.ends[g as usize])).collect(),
        };
        let rows = self.rows_of(aggregation, &ids)?;
        if !matches!(emit, Emit::All) {
            let keep: Vec<u32> = (0..self.table.len() as u32)
                .filter(|&g| !closed(self.ends[g as usize]))
                .collect();
            if keep.len() < self.table.len() {
                let mut kept = aggregation.partial();
                kept.absorb(&self.table, &keep, |_, _| {});
                self.ends = keep.iter().map(|&g| self.ends[g as usize]).collect();
                self.table = kept;
            }
        }
        Ok(Partitions::in_pieces(
            rows.schema(),
            vec![rows],
            crate::partitions::PIECE_ROWS,
        ))
    }

    fn rows_of(&self, aggregation: &Aggregation<'_>, ids: &[u32]) -> RunResult<RecordBatch> {
        let mut out = aggregation.partial();
        out.absorb(&self.table, ids, |_, _| {});
        aggregation.output(&mut out)
    }

    /// The state as one batch, for the checkpoint.
    pub fn to_batch(&self) -> RunResult<RecordBatch> {
        let n = self.table.len();
        let ids: Vec<u32> = (0..n as u32).collect();
        let keys =
            BinaryArray::from_iter_values(ids.iter().map(|&g| self.table.keys.key(g as usize)));
        let hashes =
            UInt64Array::from_iter_values(ids.iter().map(|&g| self.table.keys.hash(g as usize)));
        let ends = UInt64Array::from_iter_values(self.ends.iter().map(|&e| e as u64));
        let mut columns: Vec<ArrayRef> = vec![Arc::new(keys), Arc::new(hashes), Arc::new(ends)];
        for states in &self.table.states {
            let mut s = states.take(&ids);
            s.resize(n);
            columns.extend(s.to_columns()?);
        }
        crate::operators::aggregate_spill::batch_of(columns)
    }

    /// A state saved by [`GroupState::to_batch`].
    pub fn from_batch(aggregation: &Aggregation<'_>, batch: &RecordBatch) -> RunResult<GroupState> {
        let (mut table, ends) = aggregation.read_table(batch)?;
        // The saved hashes are the saving process's (its hasher is seeded per process).
        table.keys = table.keys.rehashed();
        Ok(GroupState {
            ends: ends.into_iter().map(|e| e as i64).collect(),
            table,
        })
    }
}
