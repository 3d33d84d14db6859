//! The executor: walks the plan from its sinks, running narrow chains as pipelines and
//! wide operators as breakers, computing each shared relation once.

use crate::cache::CacheStore;
use crate::error::{RunError, RunResult};
use crate::io::csv::{BadRow, CsvScan, MORSEL_BYTES, ParseMode, ScanStats};
use crate::operators::narrow::NarrowOp;
use crate::operators::{
    aggregate, distinct, fill_null, join, limit, repartition, sort, split, topk, union,
};
use crate::partitions::Partitions;
use crate::pipeline::{Pipeline, Source};
use crate::summary::{RunSummary, SinkReport, SourceReport};
use petgraph::stable_graph::NodeIndex;
use sluice_compiler::plan::{CacheLevel, ConstValue, LogicalPlan, PlanOp};
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
}

/// Files at least this large get a progress bar.
const PROGRESS_BYTES: u64 = 64 * 1024 * 1024;

/// Runs every sink of the plan.
pub fn run(plan: &LogicalPlan, options: &RunOptions) -> RunResult<RunSummary> {
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| RunError::new(format!("cannot start {threads} threads: {e}")))?;
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

struct Executor<'p> {
    plan: &'p LogicalPlan,
    options: &'p RunOptions,
    cache: CacheStore,
    /// Results computed ahead by a fan-out, taken by their node's first read.
    precomputed: HashMap<NodeIndex, Partitions>,
    scans: Vec<ScanRecord>,
    cache_hits: u64,
}

impl<'p> Executor<'p> {
    fn new(plan: &'p LogicalPlan, options: &'p RunOptions) -> Self {
        let dir = options.cache_dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("sluice-cache-{}", std::process::id()))
        });
        Executor {
            plan,
            options,
            cache: CacheStore::new(dir, options.keep_cache),
            precomputed: HashMap::new(),
            scans: Vec::new(),
            cache_hits: 0,
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        match &self.options.base_dir {
            Some(base) => base.join(p),
            None => PathBuf::from(p),
        }
    }

    fn run(mut self) -> RunResult<RunSummary> {
        let mut sinks = Vec::new();
        for &sink in &self.plan.sinks {
            let PlanOp::Sink {
                format,
                path,
                options,
            } = &self.plan.graph[sink].op
            else {
                continue;
            };
            let input = self.plan.inputs(sink)[0];
            let data = self.relation(input)?;
            let full = path.as_ref().map(|p| self.path(p).display().to_string());
            let rows = crate::io::sinks::write(*format, full.as_deref(), options, &data)?;
            sinks.push(SinkReport {
                description: format!("{format} {}", path.as_deref().unwrap_or(""))
                    .trim()
                    .to_string(),
                rows,
            });
        }
        let mut sources = Vec::new();
        for scan in &self.scans {
            if let Some(p) = &scan.progress {
                p.finish_and_clear();
            }
            let bad = scan.bad_rows.lock().map(|b| b.clone()).unwrap_or_default();
            if let Some(p) = &scan.bad_rows_path {
                write_bad_rows(&self.path(p), &bad)?;
            }
            sources.push(SourceReport {
                name: scan.name.clone(),
                rows: scan.stats.rows.load(std::sync::atomic::Ordering::Relaxed),
                bad_rows: scan
                    .stats
                    .bad_rows
                    .load(std::sync::atomic::Ordering::Relaxed),
            });
        }
        Ok(RunSummary {
            sinks,
            sources,
            cache_hits: self.cache_hits,
            ..Default::default()
        })
    }

    fn arrow_schema(&self, node: NodeIndex) -> arrow::datatypes::SchemaRef {
        Arc::new(crate::arrow_schema(&self.plan.graph[node].schema))
    }

    fn input(&self, node: NodeIndex) -> NodeIndex {
        self.plan.inputs(node)[0]
    }

    /// The rows of a node, computed (once, when shared).
    fn relation(&mut self, node: NodeIndex) -> RunResult<Arc<Partitions>> {
        if let Some(p) = self.cache.get(node.index())? {
            self.cache_hits += 1;
            return Ok(p);
        }
        let plan = self.plan;
        let out = self.arrow_schema(node);
        if let Some(shared) = self.fan_out_source(node) {
            self.fan_out(shared)?;
        }
        let result = match &plan.graph[node].op {
            _ if self.precomputed.contains_key(&node) => self
                .precomputed
                .remove(&node)
                .unwrap_or_else(|| Partitions::new(out.clone(), Vec::new())),
            PlanOp::Aggregate { keys, aggregates } => {
                let input = self.input(node);
                let pipeline = self.pipeline(input)?;
                aggregate::run(&pipeline, keys, aggregates, &plan.graph[input].schema, out)?
            }
            PlanOp::Sort { keys } => sort::run(&*self.relation(self.input(node))?, keys)?,
            PlanOp::Limit { count } => {
                let input = self.input(node);
                // A sort read only by this take is a top-k.
                if let PlanOp::Sort { keys } = &plan.graph[input].op
                    && plan.consumer_count(input) == 1
                    && !self.cache.contains(input.index())
                {
                    let pipeline = self.pipeline(self.input(input))?;
                    topk::run(&pipeline, keys, *count as usize)?
                } else {
                    limit::run(&*self.relation(input)?, *count as usize)?
                }
            }
            PlanOp::Distinct { columns } => {
                distinct::run(&*self.relation(self.input(node))?, columns)?
            }
            PlanOp::FillNull { fills } => fill_null::run(
                &*self.relation(self.input(node))?,
                fills,
                &plan.graph[node].schema,
                out,
            )?,
            PlanOp::Join { kind, on } => {
                let inputs = plan.inputs(node);
                let (l, r) = (self.relation(inputs[0])?, self.relation(inputs[1])?);
                join::run(&l, &r, *kind, on, out)?
            }
            PlanOp::Union => {
                let inputs: Vec<Arc<Partitions>> = plan
                    .inputs(node)
                    .into_iter()
                    .map(|i| self.relation(i))
                    .collect::<RunResult<_>>()?;
                let refs: Vec<&Partitions> = inputs.iter().map(|p| p.as_ref()).collect();
                union::run(&refs, out)?
            }
            PlanOp::SplitPart {
                fractions,
                index,
                seed,
                stratify: Some(column),
            } => split::run(
                &*self.relation(self.input(node))?,
                fractions,
                *index,
                *seed,
                column,
            )?,
            PlanOp::Repartition { partitioning } => {
                repartition::run(&*self.relation(self.input(node))?, partitioning)?
            }
            PlanOp::Sink { .. } => {
                return Err(RunError::new("internal error: a sink read as a relation"));
            }
            _ => self.narrow_pipeline(node)?.collect()?,
        };
        let result = match &plan.graph[node].hints.partition {
            Some(p) => repartition::run(&result, p)?,
            None => result,
        };
        let result = Arc::new(result);
        // A relation read twice is computed once: kept in memory unless a hint says where.
        match plan.graph[node].hints.cache {
            Some(level) => self.cache.put(node.index(), level, result),
            None if plan.consumer_count(node) > 1 => {
                self.cache.put(node.index(), CacheLevel::Memory, result)
            }
            None => Ok(result),
        }
    }

    /// A node as a pipeline: streamed when it is a scan or a narrow operator read once,
    /// materialized otherwise.
    fn pipeline(&mut self, node: NodeIndex) -> RunResult<Pipeline<'p>> {
        let n = &self.plan.graph[node];
        let streamable = self.plan.consumer_count(node) <= 1
            && n.hints.cache.is_none()
            && n.hints.partition.is_none()
            && !self.cache.contains(node.index());
        if streamable && (matches!(n.op, PlanOp::Scan { .. }) || narrow_op(&n.op)) {
            return self.narrow_pipeline(node);
        }
        let rows = self.relation(node)?;
        Ok(Pipeline {
            source: Source::Rows(rows),
            ops: Vec::new(),
            schema: self.arrow_schema(node),
        })
    }

    /// The pipeline of a scan or of a narrow operator over its input's pipeline.
    fn narrow_pipeline(&mut self, node: NodeIndex) -> RunResult<Pipeline<'p>> {
        let plan = self.plan;
        let n = &plan.graph[node];
        let out = self.arrow_schema(node);
        if let PlanOp::Scan {
            source,
            format,
            path,
            options,
            ..
        } = &n.op
        {
            return self.scan(source, *format, path, options, node);
        }
        let input = self.input(node);
        let mut p = self.pipeline(input)?;
        let in_schema = &plan.graph[input].schema;
        let index = |name: &str| {
            in_schema
                .index_of(name)
                .ok_or_else(|| RunError::new(format!("internal error: no column `{name}`")))
        };
        let op = match &n.op {
            PlanOp::Filter { predicate } => NarrowOp::Filter(predicate),
            PlanOp::Project { columns } => NarrowOp::Project(
                columns.iter().map(|c| index(c)).collect::<RunResult<_>>()?,
                out.clone(),
            ),
            PlanOp::Derive { columns } => NarrowOp::Derive(columns, out.clone()),
            PlanOp::Rename { .. } => NarrowOp::Rename(out.clone()),
            PlanOp::Cast { columns } => NarrowOp::Cast(
                columns
                    .iter()
                    .map(|(c, t)| {
                        Ok((
                            index(c)?,
                            in_schema.fields[index(c)?].data_type.clone(),
                            t.clone(),
                        ))
                    })
                    .collect::<RunResult<_>>()?,
                out.clone(),
            ),
            PlanOp::DropNull { columns } => {
                NarrowOp::DropNull(columns.iter().map(|c| index(c)).collect::<RunResult<_>>()?)
            }
            PlanOp::Sample { fraction, seed } => NarrowOp::Sample {
                low: 0.0,
                high: *fraction,
                seed: *seed,
            },
            PlanOp::SplitPart {
                fractions,
                index: part,
                seed,
                stratify: None,
            } => {
                let low: f64 = fractions[..*part].iter().sum();
                let high = if part + 1 == fractions.len() {
                    f64::INFINITY
                } else {
                    low + fractions[*part]
                };
                NarrowOp::Sample {
                    low,
                    high,
                    seed: *seed,
                }
            }
            PlanOp::Explode { column } => NarrowOp::Explode(index(column)?, out.clone()),
            other => {
                return Err(RunError::new(format!(
                    "internal error: {} is not narrow",
                    other.name()
                )));
            }
        };
        p.push(op, out);
        Ok(p)
    }

    fn scan(
        &mut self,
        source: &str,
        format: Format,
        path: &str,
        options: &[(String, ConstValue)],
        node: NodeIndex,
    ) -> RunResult<Pipeline<'p>> {
        let schema = self.arrow_schema(node);
        let full = self.path(path);
        if !matches!(format, Format::Csv | Format::Tsv) {
            let rows = crate::io::readers::read(format, &full, schema.clone())?;
            return Ok(Pipeline {
                source: Source::Rows(Arc::new(rows)),
                ops: Vec::new(),
                schema,
            });
        }
        let get = |name: &str| options.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let header = !matches!(get("header"), Some(ConstValue::Bool(false)));
        let delimiter = match get("delimiter") {
            Some(ConstValue::String(d)) => d.as_bytes().first().copied().unwrap_or(b','),
            _ if format == Format::Tsv => b'\t',
            _ => b',',
        };
        let quote = match get("quote") {
            Some(ConstValue::String(q)) if q == "none" || q.is_empty() => None,
            Some(ConstValue::Null) => None,
            Some(ConstValue::String(q)) => q.as_bytes().first().copied(),
            _ => Some(b'"'),
        };
        let nulls = match get("nulls") {
            Some(ConstValue::List(items)) => items
                .iter()
                .filter_map(|i| {
                    if let ConstValue::String(s) = i {
                        Some(s.as_bytes().to_vec())
                    } else {
                        None
                    }
                })
                .collect(),
            _ => vec![Vec::new()],
        };
        let mode = match get("mode") {
            Some(ConstValue::String(m)) => ParseMode::from_name(m).unwrap_or(ParseMode::Permissive),
            _ => ParseMode::Permissive,
        };
        let bad_rows_path = match get("bad_rows") {
            Some(ConstValue::String(p)) => Some(p.clone()),
            _ => None,
        };
        let scan = CsvScan {
            path: full,
            header,
            delimiter,
            quote,
            nulls,
            mode,
            schema: self.plan.graph[node].schema.clone(),
        };
        let morsels = scan.morsels(self.options.morsel_bytes.unwrap_or(MORSEL_BYTES))?;
        let stats = Arc::new(ScanStats::default());
        let bad_rows = Arc::new(Mutex::new(Vec::new()));
        let size = morsels.last().map_or(0, |m| m.end);
        let progress = (self.options.progress && size >= PROGRESS_BYTES).then(|| {
            let bar = indicatif::ProgressBar::new(size);
            let template = "{msg:<16} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {eta}";
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(format!("source {source}"));
            bar
        });
        self.scans.push(ScanRecord {
            name: source.to_string(),
            stats: stats.clone(),
            bad_rows: bad_rows.clone(),
            bad_rows_path,
            progress: progress.clone(),
        });
        Ok(Pipeline {
            source: Source::Csv {
                scan: Arc::new(scan),
                morsels,
                stats,
                bad_rows,
                progress,
            },
            ops: Vec::new(),
            schema,
        })
    }
}

/// One consumer of a fanned-out relation, and the node its result belongs to.
enum Branch<'p> {
    Aggregate(NodeIndex, aggregate::Aggregation<'p>),
    TopK(NodeIndex, topk::TopK<'p>),
}

enum BranchState {
    Aggregate(aggregate::Partial),
    TopK(topk::Candidates),
}

impl<'p> Executor<'p> {
    /// The shared relation an aggregate or a top-k reads, when every reader of that
    /// relation is an aggregate or a top-k and it can stream: then one pass over it feeds
    /// them all and it is never materialized.
    fn fan_out_source(&self, node: NodeIndex) -> Option<NodeIndex> {
        let plan = self.plan;
        let input = match &plan.graph[node].op {
            PlanOp::Aggregate { .. } => self.input(node),
            PlanOp::Limit { .. } => {
                let sort = self.input(node);
                if !matches!(plan.graph[sort].op, PlanOp::Sort { .. })
                    || plan.consumer_count(sort) != 1
                {
                    return None;
                }
                self.input(sort)
            }
            _ => return None,
        };
        let n = &plan.graph[input];
        let streamable = matches!(n.op, PlanOp::Scan { .. }) || narrow_op(&n.op);
        if plan.consumer_count(input) < 2
            || !streamable
            || !n.hints.is_empty()
            || self.cache.contains(input.index())
        {
            return None;
        }
        self.branches_of(input).map(|_| input)
    }

    /// The consumers of `shared` as fan-out branches, or `None` if one cannot stream.
    fn branches_of(&self, shared: NodeIndex) -> Option<Vec<(NodeIndex, NodeIndex)>> {
        let plan = self.plan;
        let mut consumers: Vec<NodeIndex> = plan
            .graph
            .neighbors_directed(shared, petgraph::Direction::Outgoing)
            .collect();
        consumers.sort();
        consumers.dedup();
        consumers
            .into_iter()
            .map(|c| match &plan.graph[c].op {
                PlanOp::Aggregate { .. } if plan.inputs(c).len() == 1 => Some((c, c)),
                PlanOp::Sort { .. } if plan.consumer_count(c) == 1 => {
                    let limit = plan
                        .graph
                        .neighbors_directed(c, petgraph::Direction::Outgoing)
                        .next()?;
                    matches!(plan.graph[limit].op, PlanOp::Limit { .. }).then_some((c, limit))
                }
                _ => None,
            })
            .collect()
    }

    fn fan_out(&mut self, shared: NodeIndex) -> RunResult<()> {
        let plan = self.plan;
        let Some(targets) = self.branches_of(shared) else {
            return Ok(());
        };
        let pipeline = self.narrow_pipeline(shared)?;
        let input_schema = &plan.graph[shared].schema;
        let branches: Vec<Branch<'p>> = targets
            .iter()
            .map(
                |&(consumer, result)| match (&plan.graph[consumer].op, &plan.graph[result].op) {
                    (PlanOp::Aggregate { keys, aggregates }, _) => Ok(Branch::Aggregate(
                        result,
                        aggregate::Aggregation::new(
                            keys,
                            aggregates,
                            input_schema,
                            self.arrow_schema(result),
                        )?,
                    )),
                    (PlanOp::Sort { keys }, PlanOp::Limit { count }) => Ok(Branch::TopK(
                        result,
                        topk::TopK::new(keys, *count as usize, self.arrow_schema(consumer)),
                    )),
                    _ => Err(RunError::new("internal error: not a fan-out branch")),
                },
            )
            .collect::<RunResult<_>>()?;
        let states = pipeline.fold_indexed(
            |i| {
                branches
                    .iter()
                    .map(|b| match b {
                        Branch::Aggregate(_, a) => BranchState::Aggregate(a.partial()),
                        Branch::TopK(_, t) => BranchState::TopK(t.candidates(i)),
                    })
                    .collect::<Vec<_>>()
            },
            |states, batch| {
                for (b, s) in branches.iter().zip(states.iter_mut()) {
                    match (b, s) {
                        (Branch::Aggregate(_, a), BranchState::Aggregate(p)) => {
                            a.update(p, &batch)?
                        }
                        (Branch::TopK(_, t), BranchState::TopK(c)) => t.update(c, &batch)?,
                        _ => {}
                    }
                }
                Ok(())
            },
        )?;
        let mut per_branch: Vec<Vec<BranchState>> = branches.iter().map(|_| Vec::new()).collect();
        for partition in states {
            for (i, s) in partition.into_iter().enumerate() {
                per_branch[i].push(s);
            }
        }
        for (branch, states) in branches.iter().zip(per_branch) {
            let (node, result) = match branch {
                Branch::Aggregate(node, a) => (
                    *node,
                    a.finish(
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
                ),
                Branch::TopK(node, t) => (
                    *node,
                    t.finish(
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
                ),
            };
            self.precomputed.insert(node, result);
        }
        Ok(())
    }
}

fn narrow_op(op: &PlanOp) -> bool {
    matches!(
        op,
        PlanOp::Filter { .. }
            | PlanOp::Project { .. }
            | PlanOp::Derive { .. }
            | PlanOp::Rename { .. }
            | PlanOp::Cast { .. }
            | PlanOp::DropNull { .. }
            | PlanOp::Sample { .. }
            | PlanOp::SplitPart { stratify: None, .. }
            | PlanOp::Explode { .. }
    )
}

/// Bad rows as CSV: line, reason, raw text (written atomically like any sink).
fn write_bad_rows(path: &std::path::Path, rows: &[BadRow]) -> RunResult<()> {
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
    let data = Partitions::new(schema, vec![vec![batch]]);
    crate::io::sinks::write(Format::Csv, Some(&path.display().to_string()), &[], &data)?;
    Ok(())
}
