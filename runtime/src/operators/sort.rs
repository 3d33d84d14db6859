//! `sort`: an external merge sort inside the memory budget. Each input partition streams
//! into a buffer that reserves its bytes from the memory pool; when a reservation is
//! refused, the buffer is sorted and written to a spill file as a *run*, and the buffer
//! starts again. What is left at the end of a partition is an in-memory run. The runs
//! are then merged: smallest key first, equal keys from the earlier run (runs are ordered
//! by partition, then by when they were cut), so the sort is stable (ties keep input
//! order). Keys are compared in Arrow's row format, which encodes each key's direction
//! and null order, so comparing rows as bytes is comparing by the keys; NaN sorts above
//! every number. Without spills the merged rows stay in memory; after a spill they are
//! written to spill files as they are merged and read back by whatever consumes them.
//! (`sort | take k` runs as a top-k instead: see `topk.rs`.)

use crate::error::{RunError, RunResult};
use crate::memory::{MemoryPool, Reservation};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::spill::{SpillDir, SpillFile, SpilledRelation};
use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::{SortOptions, concat_batches, interleave_record_batch, take_record_batch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};
use sluice_compiler::plan::SortKey;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Rows per batch written to and read from spill files, and per merged output batch.
const BATCH_ROWS: usize = 1 << 14;

/// Merged rows per output partition.
const PART_ROWS: usize = crate::partitions::PIECE_ROWS;

/// A sorted run.
enum Run {
    Memory(SortedBatch),
    Spilled(SpillFile),
}

/// Sorted rows with their key rows.
struct SortedBatch {
    batch: RecordBatch,
    keys: Rows,
}

/// A sort ready to run: its key encoding.
struct Sorter<'a> {
    keys: &'a [SortKey],
    converter: RowConverter,
    schema: SchemaRef,
}

impl<'a> Sorter<'a> {
    fn new(keys: &'a [SortKey], schema: SchemaRef) -> RunResult<Self> {
        let fields = keys
            .iter()
            .map(|k| {
                let field = schema.field_with_name(&k.column).map_err(|_| {
                    RunError::new(format!("internal error: no sort key `{}`", k.column))
                })?;
                let options = SortOptions {
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                };
                Ok(SortField::new_with_options(
                    field.data_type().clone(),
                    options,
                ))
            })
            .collect::<RunResult<Vec<_>>>()?;
        Ok(Sorter {
            keys,
            converter: RowConverter::new(fields)?,
            schema,
        })
    }

    fn key_rows(&self, batch: &RecordBatch) -> RunResult<Rows> {
        let columns = self
            .keys
            .iter()
            .map(|k| {
                batch.column_by_name(&k.column).cloned().ok_or_else(|| {
                    RunError::new(format!("internal error: no sort key `{}`", k.column))
                })
            })
            .collect::<RunResult<Vec<ArrayRef>>>()?;
        Ok(self.converter.convert_columns(&columns)?)
    }

    /// Sorts batches (in input order) stably into one.
    fn sort(&self, batches: &[RecordBatch]) -> RunResult<SortedBatch> {
        let batch = concat_batches(&self.schema, batches)?;
        let rows = self.key_rows(&batch)?;
        let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
        order.sort_by(|a, b| rows.row(*a as usize).cmp(&rows.row(*b as usize)));
        let batch = take_record_batch(&batch, &arrow::array::UInt32Array::from(order))?;
        let keys = self.key_rows(&batch)?;
        Ok(SortedBatch { batch, keys })
    }
}

/// One partition's runs so far and its unsorted buffer.
struct Runs<'p> {
    runs: Vec<Run>,
    buffer: Vec<RecordBatch>,
    reservation: Reservation<'p>,
    /// A reservation was refused: what is left at the end is spilled too.
    refused: bool,
}

/// Sorts the rows a pipeline produces by `keys`.
pub fn run(
    input: &Pipeline<'_>,
    keys: &[SortKey],
    pool: &MemoryPool,
    spill: &SpillDir,
    operator_memory: Option<u64>,
) -> RunResult<Relation> {
    let schema = input.schema.clone();
    let sorter = Sorter::new(keys, schema.clone())?;
    // The buffer, and the key rows and sorted copy made from it.
    let cost = |b: &RecordBatch| b.get_array_memory_size() as u64 * 2;
    let cap = operator_memory.unwrap_or(u64::MAX);
    let partitions = input.fold_with_end(
        || Runs {
            runs: Vec::new(),
            buffer: Vec::new(),
            reservation: pool.reservation("sort"),
            refused: false,
        },
        |state, batch| {
            if batch.num_rows() == 0 {
                return Ok(());
            }
            let need = cost(&batch);
            pool.check_address("sort", need)?;
            let fits = state.reservation.size() + need <= cap && state.reservation.try_grow(need);
            if !fits {
                state.refused = true;
                if !state.buffer.is_empty() {
                    spill_buffer(state, &sorter, spill)?;
                }
                // The batch itself is held whatever the budget says.
                state.reservation.grow(need);
            }
            state.buffer.push(batch);
            Ok(())
        },
        |state| {
            // What a partition leaves stays in memory only while the pool is less than
            // half full: the partitions after it need room too.
            let crowded = pool.reserved() > pool.limit() / 2;
            if (state.refused || crowded) && !state.buffer.is_empty() {
                spill_buffer(state, &sorter, spill)?;
            }
            Ok(())
        },
    )?;
    let mut runs = Vec::new();
    let mut reservations = Vec::new();
    for mut p in partitions {
        if !p.buffer.is_empty() {
            p.runs.push(Run::Memory(sorter.sort(&p.buffer)?));
        }
        runs.extend(p.runs);
        reservations.push(p.reservation);
    }
    if runs.iter().all(|r| matches!(r, Run::Memory(_))) {
        let sorted: Vec<SortedBatch> = runs
            .into_iter()
            .filter_map(|r| match r {
                Run::Memory(s) => Some(s),
                Run::Spilled(_) => None,
            })
            .collect();
        return Ok(merge_in_memory(&schema, &sorted)?.into());
    }
    merge_spilled(&sorter, runs, spill, schema.fields().len())
}

/// Merges spill files each sorted by `keys` into one relation (stable: equal keys in
/// file order), keeping the first `keep` columns.
pub fn merge_files(
    files: Vec<SpillFile>,
    keys: &[SortKey],
    schema: SchemaRef,
    keep: usize,
    spill: &SpillDir,
) -> RunResult<Relation> {
    let sorter = Sorter::new(keys, schema)?;
    let runs = files.into_iter().map(Run::Spilled).collect();
    merge_spilled(&sorter, runs, spill, keep)
}

/// Sorts a partition's buffer into a run on disk and gives back its memory.
fn spill_buffer(state: &mut Runs<'_>, sorter: &Sorter<'_>, spill: &SpillDir) -> RunResult<()> {
    let sorted = sorter.sort(&std::mem::take(&mut state.buffer))?;
    let file = spill.write(&sorter.schema, pieces(&sorted.batch))?;
    state.reservation.spilled(file.bytes);
    state.runs.push(Run::Spilled(file));
    state.reservation.free();
    Ok(())
}

/// A sorted batch as spill-file batches.
fn pieces(batch: &RecordBatch) -> impl Iterator<Item = RunResult<RecordBatch>> + '_ {
    (0..batch.num_rows())
        .step_by(BATCH_ROWS)
        .map(|start| Ok(batch.slice(start, BATCH_ROWS.min(batch.num_rows() - start))))
}

/// Merges in-memory runs into one batch: the smallest head row first, equal keys in run
/// order.
fn merge_in_memory(schema: &SchemaRef, runs: &[SortedBatch]) -> RunResult<Partitions> {
    let mut heap = BinaryHeap::new();
    for (p, run) in runs.iter().enumerate() {
        if run.batch.num_rows() > 0 {
            heap.push(Reverse((run.keys.row(0), p, 0usize)));
        }
    }
    let total = runs.iter().map(|r| r.batch.num_rows()).sum();
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(total);
    while let Some(Reverse((_, p, i))) = heap.pop() {
        picks.push((p, i));
        if i + 1 < runs[p].batch.num_rows() {
            heap.push(Reverse((runs[p].keys.row(i + 1), p, i + 1)));
        }
    }
    let batches: Vec<&RecordBatch> = runs.iter().map(|p| &p.batch).collect();
    let merged = if batches.is_empty() {
        RecordBatch::new_empty(schema.clone())
    } else {
        interleave_record_batch(&batches, &picks)?
    };
    Ok(Partitions::in_pieces(
        schema.clone(),
        vec![merged],
        PART_ROWS,
    ))
}

/// Where a run's merge stands: its current batch and row.
struct Cursor {
    source: Box<dyn Iterator<Item = RunResult<RecordBatch>>>,
    current: Option<SortedBatch>,
    row: usize,
}

impl Cursor {
    fn new(run: Run, sorter: &Sorter<'_>) -> RunResult<Cursor> {
        let mut cursor = match run {
            Run::Memory(sorted) => Cursor {
                source: Box::new(std::iter::empty()),
                current: Some(sorted),
                row: 0,
            },
            Run::Spilled(file) => {
                let batches = file.read()?;
                // The file is removed when the cursor is done with it.
                let owned = batches.chain(std::iter::from_fn(move || {
                    let _keep = &file;
                    None
                }));
                Cursor {
                    source: Box::new(owned),
                    current: None,
                    row: 0,
                }
            }
        };
        if cursor.current.is_none() {
            cursor.load(sorter)?;
        }
        Ok(cursor)
    }

    /// Moves to the next non-empty batch of the run (none when it is done).
    fn load(&mut self, sorter: &Sorter<'_>) -> RunResult<()> {
        self.current = None;
        self.row = 0;
        for b in self.source.by_ref() {
            let batch = b?;
            if batch.num_rows() > 0 {
                let keys = sorter.key_rows(&batch)?;
                self.current = Some(SortedBatch { batch, keys });
                break;
            }
        }
        Ok(())
    }
}

/// Merges runs some of which are on disk, a batch at a time, into spill files, keeping
/// the first `keep` columns.
fn merge_spilled(
    sorter: &Sorter<'_>,
    runs: Vec<Run>,
    spill: &SpillDir,
    keep: usize,
) -> RunResult<Relation> {
    let columns: Vec<usize> = (0..keep).collect();
    let schema = Arc::new(sorter.schema.project(&columns)?);
    let full = sorter.schema.clone();
    let mut cursors = runs
        .into_iter()
        .map(|r| Cursor::new(r, sorter))
        .collect::<RunResult<Vec<_>>>()?;
    // A heap of run numbers ordered by their current rows, then by run order.
    let less = |cursors: &[Cursor], a: usize, b: usize| -> bool {
        let (ca, cb) = (&cursors[a], &cursors[b]);
        match (&ca.current, &cb.current) {
            (Some(x), Some(y)) => {
                let order = x.keys.row(ca.row).cmp(&y.keys.row(cb.row));
                order.is_lt() || (order.is_eq() && a < b)
            }
            (Some(_), None) => true,
            _ => false,
        }
    };
    let mut heap: Vec<usize> = (0..cursors.len())
        .filter(|&c| cursors[c].current.is_some())
        .collect();
    for i in (0..heap.len()).rev() {
        sift_down(&mut heap, i, |a, b| less(&cursors, a, b));
    }
    let part = spill.writer(&schema)?;
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(BATCH_ROWS);
    // Rows picked refer to the cursors' current batches: flush them before one moves on.
    let mut out = Output {
        spill,
        schema: schema.clone(),
        full: full.clone(),
        columns,
        part,
        parts: Vec::new(),
    };
    while let Some(&top) = heap.first() {
        picks.push((top, cursors[top].row));
        cursors[top].row += 1;
        let exhausted = cursors[top]
            .current
            .as_ref()
            .is_none_or(|s| cursors[top].row >= s.batch.num_rows());
        if exhausted || picks.len() >= BATCH_ROWS {
            out.flush(&cursors, &mut picks)?;
        }
        if exhausted {
            cursors[top].load(sorter)?;
            if cursors[top].current.is_none() {
                let last = heap.len() - 1;
                heap.swap(0, last);
                heap.pop();
            }
        }
        if !heap.is_empty() {
            sift_down(&mut heap, 0, |a, b| less(&cursors, a, b));
        }
    }
    out.flush(&cursors, &mut picks)?;
    let Output {
        part, mut parts, ..
    } = out;
    // No rows is one empty part, as in memory (`Partitions::in_pieces`).
    if part.rows > 0 || parts.is_empty() {
        parts.push(Arc::new(part.finish()?));
    }
    Ok(Relation::Spilled(Arc::new(SpilledRelation::new(
        schema, parts,
    ))))
}

/// The merge's output: spill files of exactly [`PART_ROWS`] rows (the last may hold
/// fewer), as the in-memory sort's partitions.
struct Output<'s> {
    spill: &'s SpillDir,
    schema: SchemaRef,
    full: SchemaRef,
    columns: Vec<usize>,
    part: crate::spill::SpillWriter<'s>,
    parts: Vec<Arc<SpillFile>>,
}

impl Output<'_> {
    /// Writes the rows picked from the cursors' current batches.
    fn flush(&mut self, cursors: &[Cursor], picks: &mut Vec<(usize, usize)>) -> RunResult<()> {
        if picks.is_empty() {
            return Ok(());
        }
        let empty = RecordBatch::new_empty(self.full.clone());
        let batches: Vec<&RecordBatch> = cursors
            .iter()
            .map(|c| c.current.as_ref().map_or(&empty, |s| &s.batch))
            .collect();
        let mut merged = interleave_record_batch(&batches, picks)?.project(&self.columns)?;
        picks.clear();
        while merged.num_rows() > 0 {
            let room = PART_ROWS - self.part.rows;
            let n = room.min(merged.num_rows());
            self.part.write(&merged.slice(0, n))?;
            merged = merged.slice(n, merged.num_rows() - n);
            if self.part.rows == PART_ROWS {
                let full = std::mem::replace(&mut self.part, self.spill.writer(&self.schema)?);
                self.parts.push(Arc::new(full.finish()?));
            }
        }
        Ok(())
    }
}

/// Restores the heap order below `i` (a min-heap by `less`).
fn sift_down(heap: &mut [usize], mut i: usize, less: impl Fn(usize, usize) -> bool) {
    loop {
        let (l, r) = (2 * i + 1, 2 * i + 2);
        let mut smallest = i;
        if l < heap.len() && less(heap[l], heap[smallest]) {
            smallest = l;
        }
        if r < heap.len() && less(heap[r], heap[smallest]) {
            smallest = r;
        }
        if smallest == i {
            return;
        }
        heap.swap(i, smallest);
        i = smallest;
    }
}
