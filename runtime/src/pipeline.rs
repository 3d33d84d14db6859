//! Pipelines: a source (a scan's morsels, or materialized partitions) followed by narrow
//! operators, run partition by partition in parallel. Pipeline breakers consume them with
//! [`Pipeline::fold`], so a scan streams through filters into, say, a partial
//! aggregation without the whole file ever being in memory.

use crate::error::{RunError, RunResult};
use crate::io::csv::{BadRow, CsvScan, Morsel, ScanStats};
use crate::operators::narrow::NarrowOp;
use crate::partitions::Partitions;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// Where a pipeline's batches come from.
pub enum Source {
    Csv {
        scan: Arc<CsvScan>,
        morsels: Vec<Morsel>,
        stats: Arc<ScanStats>,
        bad_rows: Arc<Mutex<Vec<BadRow>>>,
        /// Bytes read so far, shown when the scan is long.
        progress: Option<indicatif::ProgressBar>,
    },
    /// A Parquet file: a partition per row group, decoded as it runs.
    Parquet(Arc<crate::io::parquet_scan::ParquetScan>),
    Rows(Arc<Partitions>),
    /// Spilled partitions, each read from its file as it runs.
    Spilled(Arc<crate::spill::SpilledRelation>),
    /// Many files (a folder, a glob), each opened as one of the sources above.
    Files(Arc<crate::io::many_files::ManyFiles>),
}

impl Source {
    pub fn partition_count(&self) -> usize {
        match self {
            Source::Csv { morsels, .. } => morsels.len(),
            Source::Parquet(scan) => scan.partitions(),
            Source::Rows(p) => p.parts.len(),
            Source::Spilled(s) => s.parts.len(),
            Source::Files(f) => f.partitions(),
        }
    }

    /// Reads partition `i`, handing each batch to `apply`.
    pub fn read(
        &self,
        i: usize,
        apply: &mut dyn FnMut(RecordBatch) -> RunResult<()>,
    ) -> RunResult<()> {
        match self {
            Source::Csv {
                scan,
                morsels,
                stats,
                bad_rows,
                progress,
            } => {
                let out = scan.read(&morsels[i], stats)?;
                if let Some(p) = progress {
                    p.inc(morsels[i].end - morsels[i].start);
                }
                if !out.bad_rows.is_empty()
                    && let Ok(mut all) = bad_rows.lock()
                {
                    all.extend(out.bad_rows);
                }
                apply(out.batch)
            }
            Source::Parquet(scan) => scan.read(i, apply),
            Source::Rows(p) => {
                for b in &p.parts[i] {
                    apply(b.clone())?;
                }
                Ok(())
            }
            Source::Spilled(s) => {
                for b in s.read(i)? {
                    apply(b?)?;
                }
                Ok(())
            }
            Source::Files(f) => f.read(i, apply),
        }
    }
}

impl From<crate::relation::Relation> for Source {
    fn from(r: crate::relation::Relation) -> Source {
        match r {
            crate::relation::Relation::Memory(p) => Source::Rows(p),
            crate::relation::Relation::Spilled(s) => Source::Spilled(s),
        }
    }
}

pub struct Pipeline<'p> {
    pub source: Source,
    pub ops: Vec<NarrowOp<'p>>,
    /// The schema after the last operator.
    pub schema: SchemaRef,
    /// Counts the rows the pipeline outputs (for `explain --analyze`).
    pub counter: Option<Arc<std::sync::atomic::AtomicU64>>,
}

impl<'p> Pipeline<'p> {
    pub fn partition_count(&self) -> usize {
        self.source.partition_count()
    }

    pub fn push(&mut self, op: NarrowOp<'p>, schema: SchemaRef) {
        self.ops.push(op);
        self.schema = schema;
    }

    /// Runs partition `i` and hands each output batch to `each`.
    fn run_partition(
        &self,
        i: usize,
        each: &mut dyn FnMut(RecordBatch) -> RunResult<()>,
    ) -> RunResult<()> {
        let mut row = 0u64;
        let mut apply = |batch: RecordBatch| -> RunResult<()> {
            let first_row = row;
            row += batch.num_rows() as u64;
            let mut b = batch;
            for op in &self.ops {
                b = op.apply(b, i, first_row)?;
            }
            if let Some(c) = &self.counter {
                c.fetch_add(b.num_rows() as u64, std::sync::atomic::Ordering::Relaxed);
            }
            each(b)
        };
        self.source.read(i, &mut apply)
    }

    /// Folds every partition (in parallel) into a state; states come back in partition order.
    pub fn fold<S: Send>(
        &self,
        init: impl Fn() -> S + Sync,
        consume: impl Fn(&mut S, RecordBatch) -> RunResult<()> + Sync,
    ) -> RunResult<Vec<S>> {
        self.fold_indexed(|_| init(), consume)
    }

    /// [`Pipeline::fold`] with each partition's state made from its index.
    pub fn fold_indexed<S: Send>(
        &self,
        init: impl Fn(usize) -> S + Sync,
        consume: impl Fn(&mut S, RecordBatch) -> RunResult<()> + Sync,
    ) -> RunResult<Vec<S>> {
        let runs = (0..self.partition_count()).map(|i| i..i + 1).collect();
        self.fold_runs(runs, init, consume, |_| Ok(()))
    }

    /// [`Pipeline::fold`] with `end` called on each partition's state when the
    /// partition is done (while other partitions still run).
    pub fn fold_with_end<S: Send>(
        &self,
        init: impl Fn() -> S + Sync,
        consume: impl Fn(&mut S, RecordBatch) -> RunResult<()> + Sync,
        end: impl Fn(&mut S) -> RunResult<()> + Sync,
    ) -> RunResult<Vec<S>> {
        let runs = (0..self.partition_count()).map(|i| i..i + 1).collect();
        self.fold_runs(runs, |_| init(), consume, end)
    }

    /// Folds runs of consecutive partitions: each run's partitions go in order, on one
    /// thread, into one state; runs go in parallel; states come back in run order. The
    /// runs are at most `max_runs`, as even as the partitions allow, and depend only on
    /// the number of partitions (not on the threads), so results built by merging the
    /// states in order are the same on every thread count.
    /// Each run's state is made from its number.
    pub fn fold_in_runs<S: Send>(
        &self,
        max_runs: usize,
        init: impl Fn(usize) -> S + Sync,
        consume: impl Fn(&mut S, RecordBatch) -> RunResult<()> + Sync,
    ) -> RunResult<Vec<S>> {
        let n = self.partition_count();
        let count = n.min(max_runs.max(1));
        let runs = (0..count)
            .map(|r| r * n / count..(r + 1) * n / count)
            .collect();
        self.fold_runs(runs, init, consume, |_| Ok(()))
    }

    fn fold_runs<S: Send>(
        &self,
        runs: Vec<std::ops::Range<usize>>,
        init: impl Fn(usize) -> S + Sync,
        consume: impl Fn(&mut S, RecordBatch) -> RunResult<()> + Sync,
        end: impl Fn(&mut S) -> RunResult<()> + Sync,
    ) -> RunResult<Vec<S>> {
        // The error reported is the first partition's that failed, as one thread reading
        // in order would report it: a partition after a failed one stops at once, one
        // before it still runs, and the results are searched in partition order.
        let failed = std::sync::atomic::AtomicUsize::new(usize::MAX);
        let results: Vec<RunResult<S>> = runs
            .into_par_iter()
            .enumerate()
            .map(|(number, run)| {
                let mut state = init(number);
                for i in run {
                    if i > failed.load(std::sync::atomic::Ordering::Relaxed) {
                        return Err(RunError::new("stopped after an earlier partition failed"));
                    }
                    let done = self.run_partition(i, &mut |b| consume(&mut state, b));
                    if done.is_err() {
                        failed.fetch_min(i, std::sync::atomic::Ordering::Relaxed);
                        return done.map(|()| state);
                    }
                }
                end(&mut state)?;
                Ok(state)
            })
            .collect();
        results.into_iter().collect()
    }

    /// Runs the pipeline and keeps its output.
    pub fn collect(&self) -> RunResult<Partitions> {
        let parts = self.fold(Vec::new, |acc: &mut Vec<RecordBatch>, b| {
            if b.num_rows() > 0 {
                acc.push(b);
            }
            Ok(())
        })?;
        Ok(Partitions::new(self.schema.clone(), parts))
    }
}
