//! The executor: walks the plan from its sinks, running narrow chains as pipelines and
//! wide operators as breakers, computing each shared relation once.

use crate::cache::CacheStore;
use crate::error::{RunError, RunResult};
use crate::io::csv::{BadRow, MORSEL_BYTES, ScanStats};
use crate::jit_cost::{SourceRows, op_cost, worth_compiling};
use crate::memory;
use crate::operators::narrow::NarrowOp;
use crate::operators::{
    aggregate, asof_join, distinct, evaluate, fill_null, fit, join, limit, predict, repartition,
    sort, split, topk, union, window,
};
use crate::partitions::Partitions;
use crate::physical::{self, PhysicalId, PhysicalOp, PhysicalPlan, StageSource};
use crate::pipeline::{Pipeline, Source};
use crate::relation::Relation;
use crate::summary::{RunSummary, SinkReport, SourceReport};
use petgraph::stable_graph::NodeIndex;
use sluice_compiler::plan::{ConstValue, LogicalPlan, PlanOp};
use sluice_stdlib::io::Format;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    /// Where relative data paths start; the working directory when `None`.
    pub base_dir: Option<PathBuf>,
    /// Morsel size in bytes (tests use small ones to exercise parallelism).
    pub morsel_bytes: Option<u64>,
    /// Where `@cache(disk)` relations go; a fresh folder under the system's temporary
    /// directory when `None`.
    pub cache_dir: Option<PathBuf>,
    /// Keep the cache directory after the run.
    pub keep_cache: bool,
    /// Show progress bars (on a terminal) for scans of large files.
    pub progress: bool,
    /// Record rows and time per physical node (`explain --analyze`).
    pub profile: bool,
    /// Whether fused stages run as compiled kernels.
    pub jit: JitMode,
    /// The memory budget in bytes (`--memory-limit`; default 80 % of the machine's).
    pub memory_limit: Option<u64>,
    /// The operators' size thresholds (tests make them tiny).
    pub tuning: crate::tuning::Tuning,
    /// Where operators spill; the system's temporary directory when `None`.
    pub spill_dir: Option<PathBuf>,
}

/// `--jit on|off|auto`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JitMode {
    /// Compile every stage that can be compiled.
    On,
    /// Run every stage with the reference implementation.
    Off,
    /// Compile a stage when the rows it will see pay for the compile time.
    #[default]
    Auto,
}

/// Files at least this large get a progress bar.
const PROGRESS_BYTES: u64 = 64 * 1024 * 1024;

/// The run's worker threads (`options.threads`, else one per core), and how many.
pub(crate) fn worker_pool(options: &RunOptions) -> RunResult<(rayon::ThreadPool, usize)> {
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(sluice_compiler::limits::WORKER_STACK)
        .build()
        .map_err(|e| RunError::new(format!("cannot start {threads} threads: {e}")))?;
    Ok((pool, threads))
}

/// Runs every sink of the plan (a batch plan: a streaming one runs with
/// [`crate::stream::run`]).
pub fn run(plan: &LogicalPlan, options: &RunOptions) -> RunResult<RunSummary> {
    if plan.is_streaming() {
        return Err(RunError::new(
            "this pipeline reads a stream, which runs batch after batch rather than once",
        )
        .with_help("run it with `sluice run` (it runs until stopped, `--until idle` or `--until N`); `explain` without `--analyze` shows its plan"));
    }
    let (pool, threads) = worker_pool(options)?;
    let started = Instant::now();
    let mut summary = pool.install(|| Executor::new(plan, options).run())?;
    summary.wall_time = started.elapsed();
    summary.threads = threads;
    Ok(summary)
}

struct ScanRecord {
    name: String,
    stats: Arc<ScanStats>,
    bad_rows: Arc<Mutex<Vec<BadRow>>>,
    bad_rows_path: Option<String>,
    progress: Option<indicatif::ProgressBar>,
}

pub(crate) struct Executor<'p> {
    plan: &'p LogicalPlan,
    options: &'p RunOptions,
    budget: memory::Budget,
    /// What operators reserve their memory from (the budget's size).
    pool: memory::MemoryPool,
    spill: crate::spill::SpillDir,
    physical: PhysicalPlan,
    cache: CacheStore,
    /// Results of fan-out branches, by (fan-out, branch), taken by their first read.
    fan_out_results: HashMap<(PhysicalId, usize), Partitions>,
    scans: Vec<ScanRecord>,
    cache_hits: u64,
    /// The models fitted, for the summary.
    model_reports: Vec<crate::summary::ModelReport>,
    /// Per physical node: rows out and time (inclusive of its inputs), when profiling.
    profile: Vec<NodeProfile>,
    /// What the JIT did with each fused stage, by logical node.
    jit_notes: Vec<(NodeIndex, String)>,
    /// About how many rows each source holds (for `--jit auto`).
    source_rows: SourceRows,
    /// Set while the executor runs a stream's micro-batches.
    pub(crate) stream: Option<crate::stream::BatchContext>,
    /// Per physical node, when running a stream: whether its rows are the stream's
    /// (kept for one micro-batch only).
    streamed: Vec<bool>,
}

impl<'p> Executor<'p> {
    fn new(plan: &'p LogicalPlan, options: &'p RunOptions) -> Self {
        let dir = options.cache_dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("sluice-cache-{}", std::process::id()))
        });
        Executor {
            plan,
            physical: physical::lower(plan),
            options,
            budget: memory::Budget::for_run(options.memory_limit),
            pool: memory::MemoryPool::new(&memory::Budget::for_run(options.memory_limit)),
            spill: crate::spill::SpillDir::new(options.spill_dir.as_deref()),
            cache: CacheStore::new(dir, options.keep_cache),
            fan_out_results: HashMap::new(),
            scans: Vec::new(),
            cache_hits: 0,
            model_reports: Vec::new(),
            profile: Vec::new(),
            jit_notes: Vec::new(),
            // Only `--jit auto` asks; do not open the sources' footers otherwise.
            source_rows: if options.jit == JitMode::Auto {
                SourceRows::of(plan, options.base_dir.as_deref())
            } else {
                SourceRows::default()
            },
            stream: None,
            streamed: Vec::new(),
        }
    }

    /// An executor for a stream's micro-batches: static relations that streams read are
    /// kept from batch to batch (read once); a stream's rows are kept for one batch.
    pub(crate) fn for_stream(
        plan: &'p LogicalPlan,
        options: &'p RunOptions,
        context: crate::stream::BatchContext,
    ) -> Self {
        let mut e = Executor::new(plan, options);
        let streams: Vec<bool> = e
            .physical
            .nodes
            .iter()
            .map(|n| plan.is_stream(n.output_of))
            .collect();
        let nodes = e.physical.nodes.clone();
        for (i, n) in nodes.iter().enumerate() {
            if !streams[i] {
                continue;
            }
            for &input in &n.inputs {
                let is_result = !matches!(
                    e.physical.nodes[input].op,
                    PhysicalOp::FanOut { .. } | PhysicalOp::Sink { .. }
                );
                if !streams[input] && is_result {
                    e.physical.nodes[input]
                        .cache
                        .get_or_insert(sluice_compiler::plan::CacheLevel::Memory);
                }
            }
        }
        e.stream = Some(context);
        e.streamed = streams;
        e
    }

    /// The physical sinks, with the logical sink node of each.
    pub(crate) fn sinks(&self) -> Vec<(PhysicalId, NodeIndex)> {
        self.physical
            .sinks
            .iter()
            .filter_map(|&id| match self.physical.nodes[id].op {
                PhysicalOp::Sink { node } => Some((id, node)),
                _ => None,
            })
            .collect()
    }

    /// The rows a sink writes (one micro-batch's, on a stream).
    pub(crate) fn sink_input(&mut self, sink: PhysicalId) -> RunResult<Relation> {
        let input = self.physical.nodes[sink].inputs[0];
        self.output_relation(input)
    }

    /// Starts a micro-batch: the stream rows kept for the last one are dropped.
    pub(crate) fn start_batch(&mut self) {
        for (i, &streamed) in self.streamed.iter().enumerate() {
            if streamed {
                self.cache.forget(i);
            }
        }
    }

    /// The sources read so far, with their figures.
    pub(crate) fn scan_reports(&self) -> Vec<SourceReport> {
        self.scans
            .iter()
            .map(|scan| SourceReport {
                name: scan.name.clone(),
                rows: scan.stats.rows.load(std::sync::atomic::Ordering::Relaxed),
                bad_rows: scan
                    .stats
                    .bad_rows
                    .load(std::sync::atomic::Ordering::Relaxed),
                bytes_read: scan.stats.bytes.load(std::sync::atomic::Ordering::Relaxed),
                bytes_converted: scan
                    .stats
                    .converted_bytes
                    .load(std::sync::atomic::Ordering::Relaxed),
            })
            .collect()
    }

    fn path(&self, p: &str) -> PathBuf {
        match &self.options.base_dir {
            Some(base) => base.join(p),
            None => PathBuf::from(p),
        }
    }

    fn run(mut self) -> RunResult<RunSummary> {
        if self.options.profile {
            self.profile = vec![NodeProfile::default(); self.physical.nodes.len()];
        }
        let mut sinks = Vec::new();
        let mut outputs = crate::io::commit::Outputs::new();
        for id in self.physical.sinks.clone() {
            let node = &self.physical.nodes[id];
            let PhysicalOp::Sink { node: sink } = node.op else {
                continue;
            };
            let PlanOp::Sink {
                format,
                path,
                options,
            } = &self.plan.graph[sink].op
            else {
                continue;
            };
            let started = Instant::now();
            let data = self.output_relation(node.inputs[0])?;
            let full = path.as_ref().map(|p| self.path(p).display().to_string());
            let relation = self
                .plan
                .inputs(sink)
                .first()
                .and_then(|i| self.plan.graph[*i].relation.clone())
                .unwrap_or_else(|| "the result".to_string());
            let rows = crate::io::sinks::write(
                *format,
                full.as_deref(),
                options,
                &data,
                &relation,
                &mut outputs,
            )?;
            if let Some(p) = self.profile.get_mut(id) {
                p.rows = Some(rows as u64);
                p.time += started.elapsed();
            }
            sinks.push(SinkReport {
                description: format!("{format} {}", path.as_deref().unwrap_or(""))
                    .trim()
                    .to_string(),
                rows,
            });
        }
        for scan in &self.scans {
            if let Some(p) = &scan.progress {
                p.finish_and_clear();
            }
            let bad = scan.bad_rows.lock().map(|b| b.clone()).unwrap_or_default();
            if let Some(p) = &scan.bad_rows_path {
                write_bad_rows(&self.path(p), &bad, &mut outputs)?;
            }
        }
        let sources = self.scan_reports();
        // Every output is written: all of them replace the old ones together.
        outputs.commit()?;
        let profile = self.options.profile.then(|| {
            let counted = &self.profile;
            let annotate = |id: PhysicalId| {
                counted.get(id).map(|p| {
                    let rows = p
                        .streamed_rows
                        .as_ref()
                        .map(|r| r.load(std::sync::atomic::Ordering::Relaxed))
                        .or(p.rows);
                    let ms = p.time.as_secs_f64() * 1e3;
                    match (rows, p.time.is_zero()) {
                        (Some(r), false) => format!("{r} rows, {ms:.1} ms"),
                        (Some(r), true) => format!("{r} rows, streamed into its consumer"),
                        (None, false) => format!("{ms:.1} ms"),
                        (None, true) => "not run".to_string(),
                    }
                })
            };
            let mut text = physical::render_annotated(&self.physical, self.plan, &annotate);
            if !self.jit_notes.is_empty() {
                text.push_str("\nJIT:\n");
                for (node, note) in &self.jit_notes {
                    let n = &self.plan.graph[*node];
                    let name = n
                        .relation
                        .clone()
                        .unwrap_or_else(|| n.op.name().to_string());
                    text.push_str(&format!("  stage `{name}`: {note}\n"));
                }
            }
            text
        });
        Ok(RunSummary {
            sinks,
            sources,
            cache_hits: self.cache_hits,
            models: std::mem::take(&mut self.model_reports),
            profile,
            memory: self.pool.operators(),
            ..Default::default()
        })
    }

    fn arrow_schema(&self, node: NodeIndex) -> arrow::datatypes::SchemaRef {
        Arc::new(crate::arrow_schema(&self.plan.graph[node].schema))
    }

    /// The rows a physical node produces, in memory.
    fn output(&mut self, id: PhysicalId) -> RunResult<Arc<Partitions>> {
        self.output_relation(id)?.load()
    }

    /// The rows a physical node produces, in memory or spilled (computed once when it
    /// is kept).
    fn output_relation(&mut self, id: PhysicalId) -> RunResult<Relation> {
        if let Some(p) = self.cache.get(id)? {
            self.cache_hits += 1;
            return Ok(Relation::Memory(p));
        }
        let started = Instant::now();
        let result = self.compute(id)?;
        if let Some(p) = self.profile.get_mut(id) {
            p.rows = Some(p.rows.unwrap_or(0) + result.num_rows() as u64);
            p.time += started.elapsed();
        }
        let n = &self.physical.nodes[id];
        match n.cache {
            Some(level) => Ok(Relation::Memory(self.cache.put(
                id,
                level,
                result.load()?,
            )?)),
            None => Ok(result),
        }
    }

    /// Computes a physical node's rows.
    fn compute(&mut self, id: PhysicalId) -> RunResult<Relation> {
        let plan = self.plan;
        let n = self.physical.nodes[id].clone();
        let out = self.arrow_schema(n.output_of);
        let result = match &n.op {
            PhysicalOp::Stage { .. } => self.stage_pipeline(id)?.collect()?,
            PhysicalOp::Aggregate { node } if self.stream.is_some() && plan.is_stream(*node) => {
                let input = self.stage(n.inputs[0])?;
                let input_schema = &plan.graph[plan.inputs(*node)[0]].schema;
                let tuning = self.options.tuning;
                let context = self.stream.as_mut().ok_or_else(|| internal("stream"))?;
                return context.group(plan, *node, &input, input_schema, out, &tuning);
            }
            PhysicalOp::Aggregate { node } => {
                let PlanOp::Aggregate {
                    keys, aggregates, ..
                } = &plan.graph[*node].op
                else {
                    return Err(internal("aggregate"));
                };
                let input = self.stage(n.inputs[0])?;
                let input_schema = &plan.graph[plan.inputs(*node)[0]].schema;
                return aggregate::run(
                    &input,
                    keys,
                    aggregates,
                    input_schema,
                    out,
                    &self.pool,
                    &self.spill,
                    &self.options.tuning,
                );
            }
            PhysicalOp::TopK { node } => {
                let PlanOp::TopK { keys, count } = &plan.graph[*node].op else {
                    return Err(internal("top-k"));
                };
                let input = self.stage(n.inputs[0])?;
                topk::run(&input, keys, *count as usize)?
            }
            PhysicalOp::FanOutResult { index } => {
                let fan_out = n.inputs[0];
                if !self.fan_out_results.contains_key(&(fan_out, *index)) {
                    self.fan_out(fan_out)?;
                }
                self.fan_out_results
                    .remove(&(fan_out, *index))
                    .ok_or_else(|| internal("fan-out result"))?
            }
            PhysicalOp::Gathered { node, .. } => return self.gathered(*node, &n.inputs, out),
            PhysicalOp::Repartition {
                partitioning,
                keep_order,
                ..
            } => {
                let input = self.output(n.inputs[0])?;
                self.budget.check("repartition", memory::size_of(&input))?;
                repartition::run(&input, partitioning, *keep_order)?
            }
            PhysicalOp::FanOut { .. } | PhysicalOp::Sink { .. } => {
                return Err(internal("a node without rows"));
            }
        };
        Ok(result.into())
    }

    /// Operators behind a gather exchange.
    fn gathered(
        &mut self,
        node: NodeIndex,
        inputs: &[PhysicalId],
        out: arrow::datatypes::SchemaRef,
    ) -> RunResult<Relation> {
        let plan = self.plan;
        if let PlanOp::LoadModel { path } = &plan.graph[node].op {
            return Ok(fit::load(&self.path(path), out)?.into());
        }
        if let PlanOp::Sort { keys } = &plan.graph[node].op {
            let input = self.stage(inputs[0])?;
            return sort::run(
                &input,
                keys,
                &self.pool,
                &self.spill,
                self.options.tuning.operator_memory,
            );
        }
        if let PlanOp::Window {
            partition_by,
            order_by,
            functions,
            first,
        } = &plan.graph[node].op
        {
            let input = self.stage(inputs[0])?;
            return window::run(
                &input,
                partition_by,
                order_by,
                functions,
                *first,
                out,
                &self.pool,
                &self.spill,
                self.options.tuning.operator_memory,
            );
        }
        if let PlanOp::Distinct { .. } = &plan.graph[node].op
            && self.stream.is_some()
            && plan.is_stream(node)
        {
            let input = self.stage(inputs[0])?;
            let input_schema = &plan.graph[plan.inputs(node)[0]].schema;
            let tuning = self.options.tuning;
            let context = self.stream.as_mut().ok_or_else(|| internal("stream"))?;
            return context.distinct(plan, node, &input, input_schema, &tuning);
        }
        if let PlanOp::Distinct { columns } = &plan.graph[node].op {
            let input = self.stage(inputs[0])?;
            let input_schema = &plan.graph[plan.inputs(node)[0]].schema;
            return distinct::run(
                &input,
                columns,
                input_schema,
                &self.pool,
                &self.spill,
                &self.options.tuning,
            );
        }
        if let PlanOp::Join {
            kind,
            on,
            null_safe,
            condition,
            asof,
        } = &plan.graph[node].op
        {
            // The right side is built (or partitioned to disk); the left streams.
            let right = self.stage(inputs[1])?;
            let left = self.stage(inputs[0])?;
            let spec = join::JoinSpec {
                kind: *kind,
                on,
                null_safe,
                condition: condition.as_ref(),
            };
            if let Some(asof) = asof {
                return asof_join::run(&left, &right, &spec, asof, out, &self.pool);
            }
            return join::run(
                &left,
                &right,
                &spec,
                out,
                &self.pool,
                &self.spill,
                self.options.tuning.operator_memory,
            );
        }
        let first = self.output(inputs[0])?;
        let relation = || plan.graph[node].relation.clone().unwrap_or_default();
        Ok(match &plan.graph[node].op {
            PlanOp::Fit { spec } => {
                let (model, report) = fit::run(&relation(), &first, spec, out)?;
                self.model_reports.push(report);
                model
            }
            PlanOp::Predict { model, .. } => {
                let m = self.output(inputs[1])?;
                predict::run(model, &first, &m, out)?
            }
            PlanOp::Evaluate { spec } => evaluate::run(&first, spec, out)?,
            PlanOp::Limit { count } => limit::run(&first, *count as usize)?,
            PlanOp::Offset { count } => limit::skip(&first, *count as usize)?,
            PlanOp::FillNull { fills } => {
                fill_null::run(&first, fills, &plan.graph[node].schema, out)?
            }
            PlanOp::Union => {
                let mut all = vec![first];
                for &i in &inputs[1..] {
                    all.push(self.output(i)?);
                }
                let refs: Vec<&Partitions> = all.iter().map(|p| p.as_ref()).collect();
                union::run(&refs, out)?
            }
            PlanOp::SplitPart {
                fractions,
                index,
                seed,
                stratify: Some(column),
            } => split::run(&first, fractions, *index, *seed, column)?,
            other => return Err(internal(other.name())),
        }
        .into())
    }

    /// A stage as a pipeline, not yet run. A kept stage is read from its kept rows.
    fn stage(&mut self, id: PhysicalId) -> RunResult<Pipeline<'p>> {
        let n = self.physical.nodes[id].clone();
        let schema = self.arrow_schema(n.output_of);
        if !matches!(n.op, PhysicalOp::Stage { .. }) || n.cache.is_some() {
            let rows = self.output_relation(id)?;
            return Ok(Pipeline {
                source: Source::from(rows),
                ops: Vec::new(),
                schema,
                counter: None,
            });
        }
        let mut pipeline = self.stage_pipeline(id)?;
        if let Some(p) = self.profile.get_mut(id) {
            let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
            p.streamed_rows = Some(counter.clone());
            pipeline.counter = Some(counter);
        }
        Ok(pipeline)
    }

    /// The pipeline of a stage node: its source and its fused narrow operators.
    fn stage_pipeline(&mut self, id: PhysicalId) -> RunResult<Pipeline<'p>> {
        let n = self.physical.nodes[id].clone();
        let PhysicalOp::Stage { source, narrow } = &n.op else {
            return Err(internal("stage"));
        };
        let mut p = match source {
            StageSource::Scan(scan) => self.scan(*scan)?,
            StageSource::Input => {
                let input = n.inputs[0];
                let rows = self.output_relation(input)?;
                let schema = self.arrow_schema(self.physical.nodes[input].output_of);
                Pipeline {
                    source: Source::from(rows),
                    ops: Vec::new(),
                    schema,
                    counter: None,
                }
            }
        };
        for &node in narrow {
            for (op, schema) in self.narrow_ops(node)? {
                p.push(op, schema);
            }
        }
        Ok(p)
    }

    /// The batch operators of a narrow logical node (several for a fused stage), each
    /// with its output schema.
    fn narrow_ops(
        &mut self,
        node: NodeIndex,
    ) -> RunResult<Vec<(NarrowOp<'p>, arrow::datatypes::SchemaRef)>> {
        let plan = self.plan;
        let input = &plan.graph[plan.inputs(node)[0]].schema;
        // A lone filter or derive compiles like a stage of one step.
        let single;
        let stage_steps: Option<&[sluice_compiler::plan::FusedStep]> = match &plan.graph[node].op {
            PlanOp::Stage { steps } => Some(steps),
            op if op.is_fusable()
                && !matches!(op, PlanOp::Project { .. } | PlanOp::Rename { .. }) =>
            {
                single = [sluice_compiler::plan::FusedStep {
                    op: op.clone(),
                    schema: plan.graph[node].schema.clone(),
                }];
                Some(&single)
            }
            _ => None,
        };
        match (&plan.graph[node].op, stage_steps) {
            (_, Some(steps)) if self.options.jit != JitMode::Off => {
                let cost = steps.iter().map(|s| op_cost(&s.op)).sum::<u64>();
                let rows = self.source_rows.upstream(self.plan, node);
                let schema = self.arrow_schema(node);
                if self.options.jit == JitMode::Auto && !worth_compiling(rows, cost) {
                    self.jit_notes.push((
                        node,
                        format!(
                            "not compiled: at most about {rows} rows × {cost} operations do not repay compiling"
                        ),
                    ));
                } else {
                    match sluice_compiler::codegen::compile_stage(steps, input) {
                        Ok(stage) => {
                            let mut note = if stage.fresh {
                                format!(
                                    "compiled in {:.2} ms",
                                    stage.kernel.compile_time.as_secs_f64() * 1e3
                                )
                            } else {
                                "compiled (kernel reused from the cache)".to_string()
                            };
                            if stage.kernel.two_lanes {
                                note.push_str(", two rows at a time (f64x2)");
                            }
                            for r in &stage.program.hybrid_reasons {
                                note.push_str(&format!("; reference for {r}"));
                            }
                            self.jit_notes.push((node, note));
                            let op = NarrowOp::Compiled(Arc::new(stage), schema.clone());
                            return Ok(vec![(op, schema)]);
                        }
                        Err(reason) => self
                            .jit_notes
                            .push((node, format!("not compiled: {reason}"))),
                    }
                }
                self.reference_ops(node, input)
            }
            _ => self.reference_ops(node, input),
        }
    }

    /// A narrow node run with the reference implementation, operator by operator.
    fn reference_ops(
        &self,
        node: NodeIndex,
        input: &'p sluice_stdlib::Schema,
    ) -> RunResult<Vec<(NarrowOp<'p>, arrow::datatypes::SchemaRef)>> {
        match &self.plan.graph[node].op {
            PlanOp::Stage { steps } => self.reference_stage(steps, input),
            op => {
                let arrow = self.arrow_schema(node);
                let mut narrow = NarrowOp::from_plan(op, input, arrow.clone())?;
                if let NarrowOp::Watermark(_, clock) = &mut narrow {
                    *clock = self
                        .stream
                        .as_ref()
                        .and_then(|c| c.clocks.get(&node).cloned());
                }
                Ok(vec![(narrow, arrow)])
            }
        }
    }

    /// A fused stage run operator by operator with the reference implementation.
    fn reference_stage(
        &self,
        steps: &'p [sluice_compiler::plan::FusedStep],
        input: &'p sluice_stdlib::Schema,
    ) -> RunResult<Vec<(NarrowOp<'p>, arrow::datatypes::SchemaRef)>> {
        let mut out = Vec::new();
        let mut schema = input;
        for step in steps {
            let arrow = Arc::new(crate::arrow_schema(&step.schema));
            out.push((NarrowOp::from_plan(&step.op, schema, arrow.clone())?, arrow));
            schema = &step.schema;
        }
        Ok(out)
    }

    /// Runs a fan-out: one pass over its stage, every branch's state updated per batch.
    fn fan_out(&mut self, id: PhysicalId) -> RunResult<()> {
        let started = Instant::now();
        self.fan_out_branches(id)?;
        if let Some(p) = self.profile.get_mut(id) {
            p.time += started.elapsed();
        }
        Ok(())
    }

    fn fan_out_branches(&mut self, id: PhysicalId) -> RunResult<()> {
        let plan = self.plan;
        let n = self.physical.nodes[id].clone();
        let PhysicalOp::FanOut { branches } = &n.op else {
            return Err(internal("fan-out"));
        };
        let pipeline = self.stage(n.inputs[0])?;
        let input_schema = &plan.graph[n.output_of].schema;
        let runners: Vec<Branch<'p>> = branches
            .iter()
            .map(|node| match &plan.graph[*node].op {
                PlanOp::Aggregate {
                    keys, aggregates, ..
                } => Ok(Branch::Aggregate(aggregate::Aggregation::new(
                    keys,
                    aggregates,
                    input_schema,
                    self.arrow_schema(*node),
                    &self.options.tuning,
                )?)),
                PlanOp::TopK { keys, count } => Ok(Branch::TopK(topk::TopK::new(
                    keys,
                    *count as usize,
                    self.arrow_schema(*node),
                ))),
                _ => Err(internal("fan-out branch")),
            })
            .collect::<RunResult<_>>()?;
        let states = pipeline.fold_indexed(
            |i| {
                runners
                    .iter()
                    .map(|b| match b {
                        Branch::Aggregate(a) => BranchState::Aggregate(a.partial()),
                        Branch::TopK(t) => BranchState::TopK(t.candidates(i)),
                    })
                    .collect::<Vec<_>>()
            },
            |states, batch| {
                for (b, s) in runners.iter().zip(states.iter_mut()) {
                    match (b, s) {
                        (Branch::Aggregate(a), BranchState::Aggregate(p)) => a.update(p, &batch)?,
                        (Branch::TopK(t), BranchState::TopK(c)) => t.update(c, &batch)?,
                        _ => {}
                    }
                }
                Ok(())
            },
        )?;
        let mut per_branch: Vec<Vec<BranchState>> = runners.iter().map(|_| Vec::new()).collect();
        for partition in states {
            for (i, s) in partition.into_iter().enumerate() {
                per_branch[i].push(s);
            }
        }
        for (index, (runner, states)) in runners.iter().zip(per_branch).enumerate() {
            let result = match runner {
                Branch::Aggregate(a) => a.finish(
                    states
                        .into_iter()
                        .filter_map(|s| {
                            if let BranchState::Aggregate(p) = s {
                                Some(p)
                            } else {
                                None
                            }
                        })
                        .collect(),
                )?,
                Branch::TopK(t) => t.finish(
                    states
                        .into_iter()
                        .filter_map(|s| {
                            if let BranchState::TopK(c) = s {
                                Some(c)
                            } else {
                                None
                            }
                        })
                        .collect(),
                )?,
            };
            self.fan_out_results.insert((id, index), result);
        }
        Ok(())
    }

    fn scan(&mut self, node: NodeIndex) -> RunResult<Pipeline<'p>> {
        let plan = self.plan;
        if let PlanOp::StreamScan { .. } | PlanOp::LateRows = &plan.graph[node].op {
            let schema = self.arrow_schema(node);
            let rows = self
                .stream
                .as_ref()
                .and_then(|c| c.rows_of(plan, node, &schema))
                .unwrap_or_else(|| Arc::new(Partitions::new(schema.clone(), vec![])));
            return Ok(Pipeline {
                source: Source::Rows(rows),
                ops: Vec::new(),
                schema,
                counter: None,
            });
        }
        let PlanOp::Scan {
            source,
            format,
            path,
            options,
            file_schema,
            filters,
            path_columns,
            ..
        } = &plan.graph[node].op
        else {
            return Err(internal("scan"));
        };
        let format = *format;
        let schema = self.arrow_schema(node);
        let full = sluice_stdlib::io::stdin::resolve(path, self.options.base_dir.as_deref())
            .map_err(|e| RunError::new(e.message))?;
        let output: Vec<String> = plan.graph[node].schema.names().map(String::from).collect();
        let bad_rows_path = options.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("bad_rows", ConstValue::String(p)) => Some(p.clone()),
            _ => None,
        });
        let stats = Arc::new(ScanStats::default());
        let bad_rows = Arc::new(Mutex::new(Vec::new()));
        let morsel_bytes = self.options.morsel_bytes.unwrap_or(MORSEL_BYTES);
        let mut record = ScanRecord {
            name: source.to_string(),
            stats: stats.clone(),
            bad_rows: bad_rows.clone(),
            bad_rows_path,
            progress: None,
        };
        if !path_columns.is_empty() || sluice_stdlib::io::file_set::is_many(&full) {
            let hive = !options
                .iter()
                .any(|(k, v)| k == "hive_partitioning" && *v == ConstValue::Bool(false));
            let set = sluice_stdlib::io::file_set::FileSet::expand(&full, hive).map_err(|e| {
                let mut err = RunError::new(e.message);
                if let Some(h) = e.help {
                    err = err.with_help(h);
                }
                err
            })?;
            let files = crate::io::many_files::ManyFiles::open(
                &set,
                &crate::io::many_files::ManyRead {
                    format,
                    options,
                    file_schema,
                    path_columns,
                    columns: &output,
                    filters,
                    stats,
                    bad_rows,
                    morsel_bytes,
                    base_dir: self.options.base_dir.as_deref(),
                },
            )?;
            self.scans.push(record);
            return Ok(Pipeline {
                source: Source::Files(Arc::new(files)),
                ops: Vec::new(),
                schema,
                counter: None,
            });
        }
        let read = crate::io::file_scan::FileRead {
            format,
            options,
            file_schema,
            columns: &output,
            filter: sluice_compiler::optimize::conjunction(filters.clone()),
            stats,
            bad_rows,
            morsel_bytes,
        };
        let mut opened = read.open(&full)?;
        if let Source::Csv {
            morsels, progress, ..
        } = &mut opened
        {
            let size = morsels.last().map_or(0, |m| m.end);
            *progress = (self.options.progress && size >= PROGRESS_BYTES).then(|| {
                let bar = indicatif::ProgressBar::new(size);
                let template = "{msg:<16} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {eta}";
                if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(format!("source {source}"));
                bar
            });
            record.progress = progress.clone();
        }
        self.scans.push(record);
        Ok(Pipeline {
            source: opened,
            ops: Vec::new(),
            schema,
            counter: None,
        })
    }
}

/// What `explain --analyze` shows for one physical node.
#[derive(Clone, Debug, Default)]
struct NodeProfile {
    rows: Option<u64>,
    /// Rows of a stage streamed into its consumer (not materialized).
    streamed_rows: Option<Arc<std::sync::atomic::AtomicU64>>,
    time: std::time::Duration,
}

/// One consumer of a fan-out, ready to run.
enum Branch<'p> {
    Aggregate(aggregate::Aggregation<'p>),
    TopK(topk::TopK<'p>),
}

enum BranchState {
    Aggregate(aggregate::Partial),
    TopK(topk::Candidates),
}

fn internal(what: &str) -> RunError {
    RunError::new(format!(
        "internal error: unexpected {what} in the physical plan"
    ))
}

/// Bad rows as CSV: line, reason, raw text (written atomically like any sink).
fn write_bad_rows(
    path: &std::path::Path,
    rows: &[BadRow],
    outputs: &mut crate::io::commit::Outputs,
) -> RunResult<()> {
    use arrow::array::{StringArray, UInt64Array};
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| r.line);
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("line", arrow::datatypes::DataType::UInt64, false),
        arrow::datatypes::Field::new("reason", arrow::datatypes::DataType::Utf8, false),
        arrow::datatypes::Field::new("text", arrow::datatypes::DataType::Utf8, false),
    ]));
    let batch = arrow::array::RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(UInt64Array::from_iter_values(sorted.iter().map(|r| r.line))),
            Arc::new(StringArray::from_iter_values(
                sorted.iter().map(|r| r.reason.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                sorted.iter().map(|r| r.text.as_str()),
            )),
        ],
    )?;
    let data = Relation::from(Partitions::new(schema, vec![vec![batch]]));
    crate::io::sinks::write(
        Format::Csv,
        Some(&path.display().to_string()),
        &[],
        &data,
        "bad rows",
        outputs,
    )?;
    Ok(())
}
