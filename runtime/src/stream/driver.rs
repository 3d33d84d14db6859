//! The micro-batch driver: plans once, then runs batch after batch until the stream is
//! stopped (Ctrl-C finishes the batch in flight and commits it), runs out of input
//! (`--until idle`, or a stream with `available_now = true`), or has run N batches.

use super::BatchContext;
use super::checkpoint::Checkpoint;
use super::group_state::GroupState;
use super::source::StreamSource;
use super::watermark::WatermarkClock;
use crate::error::{RunError, RunResult};
use crate::executor::{Executor, RunOptions};
use crate::io::commit::Outputs;
use crate::operators::aggregate::Aggregation;
use crate::operators::distinct::DistinctAsGroup;
use crate::partitions::Partitions;
use crate::relation::Relation;
use crate::summary::{RunSummary, SinkReport};
use arrow::array::{Float64Array, Int64Array, RecordBatch, TimestampMicrosecondArray};
use petgraph::stable_graph::NodeIndex;
use serde_json::{Value, json};
use sluice_compiler::plan::{ConstValue, LogicalPlan, OutputMode, PlanOp, StreamKind};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set (by the CLI's Ctrl-C handler) to stop after the batch in flight.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Set while a stream runs, so that Ctrl-C stops it between batches.
pub static STREAMING: AtomicBool = AtomicBool::new(false);

/// When a stream run ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Until {
    /// When stopped (Ctrl-C), or when every source is `available_now` and read.
    #[default]
    Stopped,
    /// When a batch finds nothing new.
    Idle,
    /// After this many batches in this run (waiting for input between them).
    Batches(u64),
}

#[derive(Clone, Debug, Default)]
pub struct StreamOptions {
    pub checkpoint: PathBuf,
    pub until: Until,
}

/// One batch's figures: a progress line, and a row of the `progress` relation.
#[derive(Clone, Debug)]
pub struct BatchProgress {
    pub batch: u64,
    pub started_us: i64,
    pub rows_in: u64,
    pub latency: Duration,
    pub watermark: Option<i64>,
    pub state_rows: u64,
    pub state_bytes: u64,
    pub late_rows: u64,
}

impl BatchProgress {
    pub fn rows_per_second(&self) -> f64 {
        self.rows_in as f64 / self.latency.as_secs_f64().max(1e-9)
    }

    pub fn line(&self) -> String {
        let watermark = self.watermark.map_or_else(
            || "none".to_string(),
            |w| {
                chrono::DateTime::from_timestamp_micros(w).map_or_else(
                    || w.to_string(),
                    |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
                )
            },
        );
        format!(
            "batch {}: {} rows in, {:.0} rows/s, {:.1} ms, watermark {watermark}, {} state rows ({:.1} MiB), {} late",
            self.batch,
            self.rows_in,
            self.rows_per_second(),
            self.latency.as_secs_f64() * 1e3,
            self.state_rows,
            self.state_bytes as f64 / (1024.0 * 1024.0),
            self.late_rows
        )
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Runs a streaming plan; `report` gets each batch's figures as it commits.
pub fn run(
    plan: &LogicalPlan,
    options: &RunOptions,
    stream: &StreamOptions,
    report: &mut (dyn FnMut(&BatchProgress) + Send),
) -> RunResult<RunSummary> {
    let (pool, threads) = crate::executor::worker_pool(options)?;
    let started = Instant::now();
    STREAMING.store(true, Ordering::SeqCst);
    let result = pool.install(|| Driver::new(plan, options, stream)?.run(report));
    STREAMING.store(false, Ordering::SeqCst);
    let mut summary = result?;
    summary.wall_time = started.elapsed();
    summary.threads = threads;
    Ok(summary)
}

struct Driver<'p> {
    plan: &'p LogicalPlan,
    options: &'p RunOptions,
    until: Until,
    checkpoint: Checkpoint,
    sources: Vec<(NodeIndex, StreamSource)>,
    executor: Executor<'p>,
    /// How often a batch starts (the smallest `every` of the streams).
    every: Duration,
    available_now: bool,
    next_batch: u64,
}

impl<'p> Driver<'p> {
    fn new(
        plan: &'p LogicalPlan,
        options: &'p RunOptions,
        stream: &StreamOptions,
    ) -> RunResult<Self> {
        let text = sluice_compiler::plan::text::render(plan, true);
        let checkpoint = Checkpoint::open(stream.checkpoint.clone(), &text)?;
        let base = options.base_dir.as_deref();
        let mut sources = Vec::new();
        let mut context = BatchContext::default();
        let mut every = None::<Duration>;
        let mut available_now = true;
        for node in plan.graph.node_indices() {
            let op = &plan.graph[node].op;
            match op {
                PlanOp::StreamScan {
                    kind,
                    options: opts,
                    ..
                } => {
                    let schema = Arc::new(crate::arrow_schema(&plan.graph[node].schema));
                    let spool = checkpoint.dir.join("spool");
                    sources.push((node, StreamSource::of(op, schema, base, spool)?));
                    if *kind != StreamKind::Progress {
                        for (k, v) in opts {
                            if let ("every", ConstValue::Duration(us)) = (k.as_str(), v) {
                                let d = Duration::from_micros(*us as u64);
                                every = Some(every.map_or(d, |e: Duration| e.min(d)));
                            }
                        }
                        available_now &= opts
                            .iter()
                            .any(|(k, v)| k == "available_now" && *v == ConstValue::Bool(true));
                    }
                }
                PlanOp::Watermark { delay, .. } => {
                    let keeps = plan
                        .graph
                        .neighbors_directed(node, petgraph::Direction::Outgoing)
                        .any(|n| matches!(plan.graph[n].op, PlanOp::LateRows));
                    let clock = if keeps {
                        WatermarkClock::keeping_late(*delay)
                    } else {
                        WatermarkClock::new(*delay)
                    };
                    context.clocks.insert(node, Arc::new(clock));
                }
                _ => {}
            }
        }
        for &sink in &plan.sinks {
            let mode = output_mode(plan, sink);
            if let (Some(mode), Some(group)) = (mode, stateful_above(plan, sink)) {
                context.modes.insert(group, mode);
            }
        }
        let mut driver = Driver {
            plan,
            options,
            until: stream.until,
            checkpoint,
            sources,
            executor: Executor::for_stream(plan, options, context),
            every: every.unwrap_or(Duration::from_millis(500)),
            available_now,
            next_batch: 0,
        };
        driver.restore()?;
        Ok(driver)
    }

    fn context(&mut self) -> RunResult<&mut BatchContext> {
        self.executor
            .stream
            .as_mut()
            .ok_or_else(|| RunError::new("internal error: no stream context"))
    }

    /// A stream `group`'s or `distinct`'s state saved by the checkpoint.
    fn saved_state(&self, node: NodeIndex, saved: &RecordBatch) -> RunResult<GroupState> {
        let plan = self.plan;
        let input = &plan.graph[plan.inputs(node)[0]].schema;
        let tuning = &self.options.tuning;
        match &plan.graph[node].op {
            PlanOp::Aggregate {
                keys, aggregates, ..
            } => {
                let out = Arc::new(crate::arrow_schema(&plan.graph[node].schema));
                let aggregation = Aggregation::new(keys, aggregates, input, out, tuning)?;
                GroupState::from_batch(&aggregation, saved)
            }
            PlanOp::Distinct { columns } => {
                let schema = Arc::new(crate::arrow_schema(input));
                let shape = DistinctAsGroup::new(columns, input, &schema)?;
                GroupState::from_batch(&shape.aggregation(input, tuning)?, saved)
            }
            _ => Err(RunError::new(
                "internal error: a saved state of a stateless step",
            )),
        }
    }

    /// Resumes from the last committed batch.
    fn restore(&mut self) -> RunResult<()> {
        let Some((batch, record)) = self.checkpoint.last_commit()? else {
            return Ok(());
        };
        self.next_batch = batch + 1;
        for (_, source) in &mut self.sources {
            source.restore(&record["positions"][source.name.as_str()]);
        }
        let plan = self.plan;
        let stateful: Vec<NodeIndex> = plan
            .graph
            .node_indices()
            .filter(|&n| {
                matches!(
                    plan.graph[n].op,
                    PlanOp::Aggregate { .. } | PlanOp::Distinct { .. }
                ) && plan.is_stream(n)
            })
            .collect();
        for node in stateful {
            if let Some(saved) = self
                .checkpoint
                .load_state(batch, &format!("group-{}", node.index()))?
            {
                let state = self.saved_state(node, &saved)?;
                self.context()?.groups.insert(node, state);
            }
        }
        let watermark = record["watermark"].as_i64();
        let context = self.context()?;
        context.watermark = watermark;
        for (node, clock) in &context.clocks {
            if let Some(max) = record["clocks"][node.index().to_string()].as_i64() {
                clock.max_seen.store(max, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    fn run(mut self, report: &mut (dyn FnMut(&BatchProgress) + Send)) -> RunResult<RunSummary> {
        let mut sinks: Vec<SinkReport> = Vec::new();
        let mut ran = 0u64;
        loop {
            if STOP.load(Ordering::SeqCst) {
                break;
            }
            if let Until::Batches(n) = self.until
                && ran >= n
            {
                break;
            }
            let batch = self.next_batch;
            let started = Instant::now();
            let offsets = match self.checkpoint.offsets(batch)? {
                Some(logged) => logged,
                None => match self.plan_batch(batch)? {
                    Some(o) => o,
                    None => {
                        if self.available_now || self.until == Until::Idle {
                            break;
                        }
                        std::thread::sleep(self.every);
                        continue;
                    }
                },
            };
            let progress = self.run_batch(batch, &offsets, started, &mut sinks)?;
            report(&progress);
            self.next_batch += 1;
            ran += 1;
            let spent = started.elapsed();
            if !self.available_now && self.until != Until::Idle && spent < self.every {
                std::thread::sleep(self.every - spent);
            }
        }
        Ok(RunSummary {
            sinks,
            sources: self.executor.scan_reports(),
            ..Default::default()
        })
    }

    /// What the next batch reads, logged before it runs; `None` when nothing is new.
    fn plan_batch(&mut self, batch: u64) -> RunResult<Option<Value>> {
        let now = now_us();
        let mut ranges = serde_json::Map::new();
        for (_, source) in &mut self.sources {
            if let Some(range) = source.next(batch, now)? {
                ranges.insert(source.name.clone(), range);
            }
        }
        if ranges.is_empty() {
            return Ok(None);
        }
        let offsets = json!({ "batch": batch, "sources": ranges, "started": now });
        self.checkpoint.log_offsets(batch, &offsets)?;
        Ok(Some(offsets))
    }

    fn run_batch(
        &mut self,
        batch: u64,
        offsets: &Value,
        started: Instant,
        reports: &mut Vec<SinkReport>,
    ) -> RunResult<BatchProgress> {
        let base = self.options.base_dir.clone();
        let mut inputs = HashMap::new();
        let mut rows_in = 0u64;
        for (node, source) in &mut self.sources {
            let range = &offsets["sources"][source.name.as_str()];
            if range.is_null() {
                continue;
            }
            let rows = source.read(range, base.as_deref())?;
            rows_in += rows.num_rows() as u64;
            inputs.insert(*node, Arc::new(rows));
        }
        let context = self.context()?;
        context.inputs = inputs;
        let before = context.watermark;
        for clock in context.clocks.values() {
            clock.start(before);
        }
        self.executor.start_batch();
        let mut outputs = Outputs::new();
        let mut after_sinks = Vec::new();
        let plan = self.plan;
        for (id, sink) in self.executor.sinks() {
            let input = plan.inputs(sink)[0];
            if after_the_batch(plan, input) {
                after_sinks.push((id, sink));
                continue;
            }
            if !plan.is_stream(input) && batch > 0 {
                continue;
            }
            let data = self.executor.sink_input(id)?;
            let rows = self.write(batch, sink, &data, &mut outputs)?;
            add_report(reports, plan, sink, rows);
        }
        let context = self.context()?;
        let watermark = context.closing_watermark();
        let late_rows = context
            .clocks
            .values()
            .map(|c| c.late.load(Ordering::SeqCst))
            .sum();
        let state_rows = context.state_rows();
        let state_bytes = context.state_bytes();
        let figures = BatchProgress {
            batch,
            started_us: offsets["started"].as_i64().unwrap_or_else(now_us),
            rows_in,
            latency: started.elapsed(),
            watermark,
            state_rows,
            state_bytes,
            late_rows,
        };
        if !after_sinks.is_empty() {
            let nodes: Vec<NodeIndex> = self
                .sources
                .iter()
                .filter(|(_, s)| s.is_progress())
                .map(|(n, _)| *n)
                .collect();
            for n in nodes {
                let row = progress_row(plan, n, &figures)?;
                self.context()?.inputs.insert(n, row);
            }
            self.executor.start_batch();
            for (id, sink) in after_sinks {
                let data = self.executor.sink_input(id)?;
                let rows = self.write(batch, sink, &data, &mut outputs)?;
                add_report(reports, plan, sink, rows);
            }
        }
        // The states after the batch, then the outputs, then the commit record.
        let states: Vec<(NodeIndex, RecordBatch)> = self
            .context()?
            .groups
            .iter()
            .map(|(n, g)| Ok((*n, g.to_batch()?)))
            .collect::<RunResult<_>>()?;
        for (node, state) in &states {
            self.checkpoint
                .save_state(batch, &format!("group-{}", node.index()), state)?;
        }
        outputs.commit()?;
        let mut positions = serde_json::Map::new();
        for (_, s) in &self.sources {
            positions.insert(s.name.clone(), s.position());
        }
        let context = self.context()?;
        let clocks: serde_json::Map<String, Value> = context
            .clocks
            .iter()
            .map(|(n, c)| {
                (
                    n.index().to_string(),
                    json!(c.max_seen.load(Ordering::SeqCst)),
                )
            })
            .collect();
        context.watermark = watermark;
        self.checkpoint.commit(
            batch,
            &json!({ "positions": positions, "clocks": clocks, "watermark": watermark }),
        )?;
        Ok(BatchProgress {
            latency: started.elapsed(),
            ..figures
        })
    }

    /// Writes a sink's rows of one batch: a part file per batch (append, update), the
    /// whole file again (complete, and batch sinks), or the console.
    fn write(
        &self,
        batch: u64,
        sink: NodeIndex,
        data: &Relation,
        outputs: &mut Outputs,
    ) -> RunResult<u64> {
        let PlanOp::Sink {
            format,
            path,
            options,
        } = &self.plan.graph[sink].op
        else {
            return Ok(0);
        };
        let mode = output_mode(self.plan, sink);
        let options: Vec<(String, ConstValue)> = options
            .iter()
            .filter(|(k, _)| k != "output")
            .cloned()
            .collect();
        let relation = self.plan.graph[self.plan.inputs(sink)[0]]
            .relation
            .clone()
            .unwrap_or_else(|| "the result".into());
        let full = path.as_ref().map(|p| match &self.options.base_dir {
            Some(b) => b.join(p),
            None => PathBuf::from(p),
        });
        if let (Some(OutputMode::Append | OutputMode::Update), Some(dir)) = (mode, &full) {
            return super::part_files::write(*format, dir, batch, &options, data, outputs);
        }
        let label = if mode.is_some() {
            format!("{relation}, batch {batch}")
        } else {
            relation
        };
        let target = full.map(|t| t.display().to_string());
        crate::io::sinks::write(*format, target.as_deref(), &options, data, &label, outputs)
    }
}

fn add_report(reports: &mut Vec<SinkReport>, plan: &LogicalPlan, sink: NodeIndex, rows: u64) {
    let PlanOp::Sink { format, path, .. } = &plan.graph[sink].op else {
        return;
    };
    let description = format!("{format} {}", path.as_deref().unwrap_or(""))
        .trim()
        .to_string();
    match reports.iter_mut().find(|r| r.description == description) {
        Some(r) => r.rows += rows,
        None => reports.push(SinkReport { description, rows }),
    }
}

/// Whether a sink's rows are known only once the batch has run: they read the
/// `progress` relation or a watermark's late rows.
fn after_the_batch(plan: &LogicalPlan, node: NodeIndex) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match plan.graph[n].op {
            PlanOp::StreamScan {
                kind: StreamKind::Progress,
                ..
            }
            | PlanOp::LateRows => return true,
            _ => stack.extend(plan.inputs(n)),
        }
    }
    false
}

/// A stream sink's output mode (`None` for a batch sink).
fn output_mode(plan: &LogicalPlan, sink: NodeIndex) -> Option<OutputMode> {
    let PlanOp::Sink { options, .. } = &plan.graph[sink].op else {
        return None;
    };
    options.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("output", ConstValue::String(m)) => OutputMode::from_name(m),
        _ => None,
    })
}

/// The stream `group` a sink's rows come from, if any.
fn stateful_above(plan: &LogicalPlan, sink: NodeIndex) -> Option<NodeIndex> {
    let mut at = plan.inputs(sink).first().copied();
    while let Some(n) = at {
        if matches!(plan.graph[n].op, PlanOp::Aggregate { .. }) && plan.is_stream(n) {
            return Some(n);
        }
        at = plan.inputs(n).into_iter().find(|&i| plan.is_stream(i));
    }
    None
}

/// The row of the `progress` relation (node `node`) for a batch.
fn progress_row(
    plan: &LogicalPlan,
    node: NodeIndex,
    f: &BatchProgress,
) -> RunResult<Arc<Partitions>> {
    let schema = Arc::new(crate::arrow_schema(&plan.graph[node].schema));
    let ts = |v: Option<i64>| {
        Arc::new(TimestampMicrosecondArray::from(vec![v]).with_timezone("UTC"))
            as arrow::array::ArrayRef
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![f.batch as i64])),
            ts(Some(f.started_us)),
            Arc::new(Int64Array::from(vec![f.rows_in as i64])),
            Arc::new(Float64Array::from(vec![f.rows_per_second()])),
            Arc::new(Float64Array::from(vec![f.latency.as_secs_f64() * 1e3])),
            ts(f.watermark),
            Arc::new(Int64Array::from(vec![f.state_rows as i64])),
            Arc::new(Int64Array::from(vec![f.state_bytes as i64])),
            Arc::new(Int64Array::from(vec![f.late_rows as i64])),
        ],
    )?;
    Ok(Arc::new(Partitions::new(schema, vec![vec![batch]])))
}
