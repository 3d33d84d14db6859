//! The logical plan: a petgraph DAG of typed operator nodes.
//!
//! Each node holds one operator and its output [`Schema`]; an edge goes from an input
//! to its consumer and is weighted by the input's position (0 = left of a join). A
//! relation used by two consumers is one node with two out-edges. Sinks are nodes too,
//! and the plan lists them in declaration order: printing walks from them
//! ([`text`], [`dot`], [`json`]) and never shows raw node indices.

pub mod dot;
pub mod edit;
pub mod expr;
pub mod json;
pub mod schema;
pub mod text;

pub use expr::{ConstValue, TypedExpr, TypedExprKind};

use crate::syntax::ast::{JoinKind, Span};
use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use serde::Serialize;
use sluice_stdlib::io::Format;
use sluice_stdlib::ml::spec::{EstimatorSpec, EvaluateSpec, FitSpec, ModelColumn, TransformerSpec};
use sluice_stdlib::{DataType, Schema};
use std::fmt;

/// How `fill_null` fills one column.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    Mean,
    Median,
    Mode,
    Constant(ConstValue),
}

/// One aggregate of a `group`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AggregateExpr {
    pub name: String,
    pub function: String,
    pub args: Vec<TypedExpr>,
}

/// How `join asof` picks, among the right rows whose keys match a left row's, the one
/// nearest in time: looking back (`left_time >= right_time`, the latest right row at or
/// before the left row's time) or forward, strictly or not, and at most `within` away.
/// Among right rows at the same time the last in right order wins.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AsOfSpec {
    pub left_time: String,
    pub right_time: String,
    pub backward: bool,
    pub strict: bool,
    /// A duration for times, a number for numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<ConstValue>,
}

/// One column a `window` computes: a window function or an aggregate over a frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowExpr {
    pub name: String,
    pub function: String,
    /// Typed arguments; constant ones (`lag`'s offset and default, `ntile`'s buckets,
    /// `quantile`'s q) are literals.
    pub args: Vec<TypedExpr>,
    pub frame: WindowFrame,
    /// The column's type (as the resolver typed the call).
    pub data_type: DataType,
}

/// Which rows of its partition a row's aggregate sees.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowFrame {
    /// Offsets count rows (`rows`), or are distances in the order column (`range`, where
    /// a row's peers are always in its frame together).
    pub rows: bool,
    pub start: FrameEdge,
    pub end: FrameEdge,
}

impl WindowFrame {
    /// The frame a window without one has: up to the row and its peers when the window
    /// has an order, else the whole partition (SQL's default).
    pub fn default_for(ordered: bool) -> WindowFrame {
        WindowFrame {
            rows: false,
            start: FrameEdge::UnboundedPreceding,
            end: if ordered {
                FrameEdge::CurrentRow
            } else {
                FrameEdge::UnboundedFollowing
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameEdge {
    UnboundedPreceding,
    /// Rows, or a distance in the order column's unit (days for a date, microseconds
    /// for a timestamp).
    Preceding(f64),
    CurrentRow,
    Following(f64),
    UnboundedFollowing,
}

impl fmt::Display for WindowFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let edge = |e: &FrameEdge| match e {
            FrameEdge::UnboundedPreceding => "unbounded preceding".to_string(),
            FrameEdge::Preceding(n) => format!("{n} preceding"),
            FrameEdge::CurrentRow => "current row".to_string(),
            FrameEdge::Following(n) => format!("{n} following"),
            FrameEdge::UnboundedFollowing => "unbounded following".to_string(),
        };
        write!(
            f,
            "{} between {} and {}",
            if self.rows { "rows" } else { "range" },
            edge(&self.start),
            edge(&self.end)
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SortKey {
    pub column: String,
    pub descending: bool,
    pub nulls_first: bool,
}

/// How rows are spread over partitions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "scheme")]
pub enum Partitioning {
    RoundRobin {
        partitions: u64,
    },
    Hash {
        columns: Vec<String>,
        partitions: u64,
    },
    Range {
        columns: Vec<String>,
        partitions: u64,
    },
}

/// Where a cached relation is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheLevel {
    Memory,
    Disk,
    MemoryAndDisk,
}

impl CacheLevel {
    pub const NAMES: &'static [&'static str] = &["memory", "disk", "memory_and_disk"];
    pub fn from_name(name: &str) -> Option<CacheLevel> {
        Some(match name {
            "memory" => CacheLevel::Memory,
            "disk" => CacheLevel::Disk,
            "memory_and_disk" => CacheLevel::MemoryAndDisk,
            _ => return None,
        })
    }
}

/// One operator of a fused [`PlanOp::Stage`], with its output schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FusedStep {
    pub op: PlanOp,
    #[serde(skip)]
    pub schema: Schema,
}

/// How the optimizer shares a node read by several consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// Computed once and kept at this level.
    Cache(CacheLevel),
    /// Streamed once into every consumer (all of them aggregates or top-ks), never kept.
    FanOut,
}

/// Hints on a node: they steer the runtime and never change results.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Hints {
    pub cache: Option<CacheLevel>,
    pub partition: Option<Partitioning>,
    pub materialize: bool,
}

impl Hints {
    pub fn is_empty(&self) -> bool {
        self.cache.is_none() && self.partition.is_none() && !self.materialize
    }
}

/// What kind of unbounded source a [`PlanOp::StreamScan`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// New files in a folder (or matching a glob), each read once.
    Watch,
    /// Lines from a TCP connection.
    Socket,
    /// A generator of `timestamp` and `value` rows at a fixed rate.
    Rate,
    /// Records of a Kafka topic.
    Kafka,
    /// The pipeline's own `progress` relation: one row per micro-batch.
    Progress,
}

impl StreamKind {
    pub const NAMES: &'static [&'static str] = &["watch", "socket", "rate", "kafka"];
    pub fn from_name(name: &str) -> Option<StreamKind> {
        Some(match name {
            "watch" => StreamKind::Watch,
            "socket" => StreamKind::Socket,
            "rate" => StreamKind::Rate,
            "kafka" => StreamKind::Kafka,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Watch => "watch",
            StreamKind::Socket => "socket",
            StreamKind::Rate => "rate",
            StreamKind::Kafka => "kafka",
            StreamKind::Progress => "progress",
        }
    }
}

/// How a stream's sink writes each micro-batch (Spark's output modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputMode {
    /// Each row once: a window's row when the watermark closes it.
    Append,
    /// The rows of the groups that changed in the batch.
    Update,
    /// The whole result table, every batch.
    Complete,
}

impl OutputMode {
    pub const NAMES: &'static [&'static str] = &["append", "update", "complete"];
    pub fn from_name(name: &str) -> Option<OutputMode> {
        Some(match name {
            "append" => OutputMode::Append,
            "update" => OutputMode::Update,
            "complete" => OutputMode::Complete,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            OutputMode::Append => "append",
            OutputMode::Update => "update",
            OutputMode::Complete => "complete",
        }
    }
}

/// A plan operator with its resolved arguments.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum PlanOp {
    Scan {
        source: String,
        format: Format,
        path: String,
        options: Vec<(String, ConstValue)>,
        schema_declared: bool,
        /// The file's columns (declared or inferred), in file order.
        #[serde(skip)]
        file_schema: Schema,
        /// The columns read and converted, in file order; all when `None`. Set by
        /// projection pushdown.
        projection: Option<Vec<String>>,
        /// Predicates on the file's columns, applied while reading (rows failing them
        /// are rejected before their other fields are converted). Set by predicate
        /// pushdown.
        filters: Vec<TypedExpr>,
        /// The columns of `file_schema` that come from each file's path rather than
        /// its contents, last: hive partition keys (`year=2015/`), then `filename`.
        /// A filter on only these skips whole files.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        path_columns: Vec<String>,
    },
    Filter {
        predicate: TypedExpr,
    },
    /// Keeps these columns, in this order (`select`, and `drop` of the others).
    Project {
        columns: Vec<String>,
    },
    /// Adds or replaces columns, each seeing the ones before it.
    Derive {
        columns: Vec<(String, TypedExpr)>,
    },
    Rename {
        pairs: Vec<(String, String)>,
    },
    Cast {
        columns: Vec<(String, DataType)>,
    },
    /// Keeps the first row of each distinct combination of `columns` (all when empty).
    Distinct {
        columns: Vec<String>,
    },
    FillNull {
        fills: Vec<(String, Fill)>,
    },
    /// Drops rows with a null in any of `columns`.
    DropNull {
        columns: Vec<String>,
    },
    Aggregate {
        keys: Vec<String>,
        aggregates: Vec<AggregateExpr>,
        /// On a stream, the key holding each group's event-time window end
        /// (`window_end` of `group tumbling(...)`): a group is final once the watermark
        /// passes it, and its state is then dropped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_end: Option<String>,
    },
    /// An unbounded source, read in micro-batches.
    StreamScan {
        source: String,
        kind: StreamKind,
        /// The folder or glob (watch), `host:port` (socket), the topic (kafka); empty
        /// for rate.
        path: String,
        /// How records are parsed (csv, jsonl, parquet; `None`: one string per line
        /// or record).
        format: Option<Format>,
        options: Vec<(String, ConstValue)>,
        /// The records' columns (declared or inferred), before any derived ones.
        #[serde(skip)]
        file_schema: Schema,
    },
    /// The rows its input (a `Watermark`) dropped as late in a micro-batch.
    LateRows,
    /// `watermark COLUMN delay D`: passes rows through; on a stream, rows whose time is
    /// behind the watermark (the latest time seen, less the delay, as of the batch
    /// before) are late and dropped (counted, and kept for a `late` sink).
    Watermark {
        column: String,
        /// Microseconds.
        delay: i64,
    },
    /// A column per window expression, computed over each row's partition (the rows
    /// with its `partition_by` values) in `order_by` order. Rows come out sorted by the
    /// partition keys, then the order keys (stable).
    Window {
        partition_by: Vec<String>,
        order_by: Vec<SortKey>,
        functions: Vec<WindowExpr>,
        /// Only the first this many rows of each partition are read (the optimizer's
        /// `window_top_n`, under a filter on `row_number()`): the others are dropped
        /// before the sort.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first: Option<u64>,
    },
    Sort {
        keys: Vec<SortKey>,
    },
    Limit {
        count: u64,
    },
    /// The rows after the first `count` (`take N offset M` is a limit of N + M, then this).
    Offset {
        count: u64,
    },
    /// The first `count` rows in `keys` order (a sort followed by a take, fused).
    TopK {
        keys: Vec<SortKey>,
        count: u64,
    },
    /// A chain of narrow operators fused into one stage (the unit the JIT compiles);
    /// each step sees the output of the one before.
    Stage {
        steps: Vec<FusedStep>,
    },
    /// Inputs: 0 = left, 1 = right.
    Join {
        kind: JoinKind,
        on: Vec<(String, String)>,
        /// Per key of `on`: whether null matches null (`a <=> b`); empty when none does.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        null_safe: Vec<bool>,
        /// A condition on each pair of rows whose keys match, over the columns as an
        /// inner join names them (a right column the left also has is `x_right`): only
        /// pairs where it is true are joined.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        condition: Option<TypedExpr>,
        /// `join asof`: each left row takes the nearest right row by time instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asof: Option<AsOfSpec>,
    },
    /// Rows of every input, by column name; inputs in order.
    Union,
    Sample {
        fraction: f64,
        seed: u64,
    },
    /// Part `index` of a seeded split of the input by `fractions`.
    SplitPart {
        fractions: Vec<f64>,
        index: usize,
        seed: u64,
        stratify: Option<String>,
    },
    Explode {
        column: String,
        /// The column of each item's 1-based position in its list, appended.
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<String>,
    },
    Repartition {
        partitioning: Partitioning,
    },
    Sink {
        format: Format,
        path: Option<String>,
        options: Vec<(String, ConstValue)>,
    },
    /// Fits a model on the input's rows; the result is one row whose `model` column
    /// holds the artifact (JSON).
    Fit {
        spec: FitSpec,
    },
    /// A saved model, read when the pipeline runs (its signature was read at compile
    /// time); one row like [`PlanOp::Fit`]'s.
    LoadModel {
        path: String,
    },
    /// Inputs: 0 = rows, 1 = a model (`Fit` or `LoadModel`). Adds `outputs`.
    Predict {
        model: String,
        /// The columns the model reads.
        reads: Vec<String>,
        outputs: Vec<ModelColumn>,
    },
    /// One row of metrics over the input's rows.
    Evaluate {
        spec: EvaluateSpec,
    },
}

impl PlanOp {
    /// Operators that map each row to at most one row with no state, and so can be fused
    /// into one stage: filter, select, derive, rename, cast, drop_null.
    pub fn is_fusable(&self) -> bool {
        matches!(
            self,
            PlanOp::Filter { .. }
                | PlanOp::Project { .. }
                | PlanOp::Derive { .. }
                | PlanOp::Rename { .. }
                | PlanOp::Cast { .. }
                | PlanOp::DropNull { .. }
        )
    }

    /// The operator's name as `explain` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            PlanOp::Scan { .. } => "Scan",
            PlanOp::Filter { .. } => "Filter",
            PlanOp::Project { .. } => "Project",
            PlanOp::Derive { .. } => "Derive",
            PlanOp::Rename { .. } => "Rename",
            PlanOp::Cast { .. } => "Cast",
            PlanOp::Distinct { .. } => "Distinct",
            PlanOp::FillNull { .. } => "FillNull",
            PlanOp::DropNull { .. } => "DropNull",
            PlanOp::Aggregate { .. } => "Aggregate",
            PlanOp::Window { .. } => "Window",
            PlanOp::Sort { .. } => "Sort",
            PlanOp::Limit { .. } => "Limit",
            PlanOp::Offset { .. } => "Offset",
            PlanOp::TopK { .. } => "TopK",
            PlanOp::Stage { .. } => "Stage",
            PlanOp::Join { .. } => "Join",
            PlanOp::Union => "Union",
            PlanOp::Sample { .. } => "Sample",
            PlanOp::SplitPart { .. } => "SplitPart",
            PlanOp::Explode { .. } => "Explode",
            PlanOp::Repartition { .. } => "Repartition",
            PlanOp::Sink { .. } => "Sink",
            PlanOp::Fit { .. } => "Fit",
            PlanOp::LoadModel { .. } => "LoadModel",
            PlanOp::Predict { .. } => "Predict",
            PlanOp::Evaluate { .. } => "Evaluate",
            PlanOp::StreamScan { .. } => "StreamScan",
            PlanOp::Watermark { .. } => "Watermark",
            PlanOp::LateRows => "LateRows",
        }
    }
}

fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn name(n: &str) -> String {
    sluice_stdlib::types::display_name(n)
}

fn sort_keys(keys: &[SortKey]) -> String {
    list(keys.iter().map(|k| {
        format!(
            "{} {} nulls {}",
            name(&k.column),
            if k.descending { "desc" } else { "asc" },
            if k.nulls_first { "first" } else { "last" }
        )
    }))
}

fn options(opts: &[(String, ConstValue)]) -> String {
    opts.iter().map(|(k, v)| format!(", {k} = {v}")).collect()
}

impl fmt::Display for Partitioning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partitioning::RoundRobin { partitions } => write!(f, "round_robin({partitions})"),
            Partitioning::Hash {
                columns,
                partitions,
            } => write!(
                f,
                "hash({}, {partitions})",
                list(columns.iter().map(|c| name(c)))
            ),
            Partitioning::Range {
                columns,
                partitions,
            } => write!(
                f,
                "range({}, {partitions})",
                list(columns.iter().map(|c| name(c)))
            ),
        }
    }
}

/// The operator and its arguments on one line, as `explain` prints them.
impl fmt::Display for PlanOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        match self {
            PlanOp::Scan {
                source,
                format,
                path,
                options: opts,
                schema_declared,
                projection,
                filters,
                ..
            } => {
                write!(
                    f,
                    " {source}: {format}(\"{}\"{})",
                    crate::syntax::dsl::escape(path),
                    options(opts)
                )?;
                if *schema_declared {
                    f.write_str(" [declared schema]")?;
                }
                if let Some(columns) = projection {
                    write!(f, " columns [{}]", list(columns.iter().map(|c| name(c))))?;
                }
                if !filters.is_empty() {
                    let all: Vec<String> = filters.iter().map(|e| e.to_string()).collect();
                    write!(f, " where {}", all.join(" and "))?;
                }
                Ok(())
            }
            PlanOp::Filter { predicate } => write!(f, " {predicate}"),
            PlanOp::Project { columns } => write!(f, " {}", list(columns.iter().map(|c| name(c)))),
            PlanOp::Derive { columns } => write!(
                f,
                " {}",
                list(columns.iter().map(|(n, e)| format!("{} = {e}", name(n))))
            ),
            PlanOp::Rename { pairs } => write!(
                f,
                " {}",
                list(
                    pairs
                        .iter()
                        .map(|(a, b)| format!("{} -> {}", name(a), name(b)))
                )
            ),
            PlanOp::Cast { columns } => write!(
                f,
                " {}",
                list(columns.iter().map(|(n, t)| format!("{}: {t}", name(n))))
            ),
            PlanOp::Distinct { columns } if columns.is_empty() => f.write_str(" (all columns)"),
            PlanOp::Distinct { columns } | PlanOp::DropNull { columns } => {
                write!(f, " {}", list(columns.iter().map(|c| name(c))))
            }
            PlanOp::FillNull { fills } => write!(
                f,
                " {}",
                list(fills.iter().map(|(c, fill)| match fill {
                    Fill::Mean => format!("{} = mean", name(c)),
                    Fill::Median => format!("{} = median", name(c)),
                    Fill::Mode => format!("{} = mode", name(c)),
                    Fill::Constant(v) => format!("{} = {v}", name(c)),
                }))
            ),
            PlanOp::StreamScan {
                source,
                kind,
                path,
                format,
                options: opts,
                ..
            } => {
                write!(
                    f,
                    " {source}: {}(\"{}\"",
                    kind.name(),
                    crate::syntax::dsl::escape(path)
                )?;
                if let Some(format) = format {
                    write!(f, ", format = {format}")?;
                }
                write!(f, "{})", options(opts))
            }
            PlanOp::Watermark { column, delay } => write!(
                f,
                " {} delay {}",
                name(column),
                ConstValue::Duration(*delay)
            ),
            PlanOp::Aggregate {
                keys,
                aggregates,
                window_end,
            } => {
                if let Some(end) = window_end {
                    write!(f, " [closes on {} by the watermark]", name(end))?;
                }
                if !keys.is_empty() {
                    write!(f, " by {}", list(keys.iter().map(|c| name(c))))?;
                }
                write!(
                    f,
                    " {{ {} }}",
                    list(aggregates.iter().map(|a| format!(
                        "{} = {}({})",
                        name(&a.name),
                        a.function,
                        list(&a.args)
                    )))
                )
            }
            PlanOp::Window {
                partition_by,
                order_by,
                functions,
                first,
            } => {
                if !partition_by.is_empty() {
                    write!(f, " by {}", list(partition_by.iter().map(|c| name(c))))?;
                }
                if !order_by.is_empty() {
                    write!(f, " order by {}", sort_keys(order_by))?;
                }
                write!(
                    f,
                    " {{ {} }}",
                    list(functions.iter().map(|w| {
                        let call = format!("{} = {}({})", name(&w.name), w.function, list(&w.args));
                        // Ranking functions and lag/lead see the whole partition.
                        let framed = !matches!(
                            w.function.as_str(),
                            "row_number"
                                | "rank"
                                | "dense_rank"
                                | "percent_rank"
                                | "cume_dist"
                                | "ntile"
                                | "lag"
                                | "lead"
                        );
                        if framed {
                            format!("{call} {}", w.frame)
                        } else {
                            call
                        }
                    }))
                )?;
                match first {
                    Some(n) => write!(f, " first {n} per partition"),
                    None => Ok(()),
                }
            }
            PlanOp::Sort { keys } => write!(f, " {}", sort_keys(keys)),
            PlanOp::Limit { count } | PlanOp::Offset { count } => write!(f, " {count}"),
            PlanOp::TopK { keys, count } => write!(f, " {count} by {}", sort_keys(keys)),
            PlanOp::Stage { steps } => write!(
                f,
                " [{}]",
                steps
                    .iter()
                    .map(|s| s.op.to_string())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
            PlanOp::Join {
                kind,
                on,
                null_safe,
                condition,
                asof,
            } => {
                if asof.is_some() {
                    write!(f, " asof")?;
                }
                write!(
                    f,
                    " {} on {}",
                    kind.name(),
                    list(on.iter().enumerate().map(|(i, (l, r))| {
                        let op = if null_safe.get(i) == Some(&true) {
                            "<=>"
                        } else {
                            "=="
                        };
                        format!("{} {op} {}", name(l), name(r))
                    }))
                )?;
                if let Some(c) = condition {
                    write!(f, " where {c}")?;
                }
                if let Some(a) = asof {
                    let op = match (a.backward, a.strict) {
                        (true, false) => ">=",
                        (true, true) => ">",
                        (false, false) => "<=",
                        (false, true) => "<",
                    };
                    write!(
                        f,
                        " time {} {op} {}",
                        name(&a.left_time),
                        name(&a.right_time)
                    )?;
                    if let Some(w) = &a.within {
                        write!(f, " within {w:?}")?;
                    }
                }
                Ok(())
            }
            PlanOp::Union | PlanOp::LateRows => Ok(()),
            PlanOp::Sample { fraction, seed } => write!(f, " {fraction:?} seed {seed}"),
            PlanOp::SplitPart {
                fractions,
                index,
                seed,
                stratify,
            } => {
                write!(
                    f,
                    " {index} of [{}] seed {seed}",
                    list(fractions.iter().map(|x| format!("{x:?}")))
                )?;
                if let Some(s) = stratify {
                    write!(f, " stratify {}", name(s))?;
                }
                Ok(())
            }
            PlanOp::Explode { column, position } => {
                write!(f, " {}", name(column))?;
                match position {
                    Some(p) => write!(f, " with position {}", name(p)),
                    None => Ok(()),
                }
            }
            PlanOp::Repartition { partitioning } => write!(f, " {partitioning}"),
            PlanOp::Sink {
                format,
                path,
                options: opts,
            } => match path {
                Some(p) => write!(
                    f,
                    " {format}(\"{}\"{})",
                    crate::syntax::dsl::escape(p),
                    options(opts)
                ),
                None => write!(f, " {format}({})", options(opts).trim_start_matches(", ")),
            },
            PlanOp::Fit { spec } => {
                for t in &spec.transformers {
                    let how = match t {
                        TransformerSpec::Impute { strategy, .. } => {
                            format!("; strategy {}", strategy.name())
                        }
                        TransformerSpec::Tokenize {
                            lowercase: false, ..
                        } => "; keeping case".to_string(),
                        TransformerSpec::Ngrams { n, .. } => format!("; n {n}"),
                        TransformerSpec::Assemble { into, .. } => format!("; into {}", name(into)),
                        TransformerSpec::Pca { k, into, .. } => {
                            format!("; k {k}, into {}", name(into))
                        }
                        TransformerSpec::HashingTf { num_features, .. } => {
                            format!("; num_features {num_features}")
                        }
                        TransformerSpec::TfIdf {
                            max_features,
                            min_df,
                            ..
                        } => format!(
                            "; min_df {min_df}{}",
                            max_features.map_or(String::new(), |m| format!(", max_features {m}"))
                        ),
                        _ => String::new(),
                    };
                    write!(
                        f,
                        " {}({}{how}) →",
                        t.keyword(),
                        list(t.columns().iter().map(|c| name(c)))
                    )?;
                }
                match &spec.search {
                    None => write!(f, " {}", spec.estimator)?,
                    Some(search) => write!(
                        f,
                        " cross_validate {} folds by {} seed {} over [{}]",
                        search.folds,
                        search.metric.name(),
                        search.seed,
                        search
                            .candidates
                            .iter()
                            .map(EstimatorSpec::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )?,
                }
                if let Some(label) = &spec.label {
                    write!(f, " label {}", name(&label.name))?;
                }
                write!(
                    f,
                    " features [{}]",
                    list(spec.features.iter().map(|c| name(c)))
                )
            }
            PlanOp::LoadModel { path } => {
                write!(f, " \"{}\"", crate::syntax::dsl::escape(path))
            }
            PlanOp::Predict { model, outputs, .. } => write!(
                f,
                " {} adds {}",
                name(model),
                list(
                    outputs
                        .iter()
                        .map(|c| format!("{}: {}", name(&c.name), c.data_type))
                )
            ),
            PlanOp::Evaluate { spec } => write!(f, " {}", evaluation(spec)),
        }
    }
}

fn evaluation(e: &EvaluateSpec) -> String {
    match e {
        EvaluateSpec::Binary {
            label,
            score,
            threshold,
        } => format!(
            "binary(label = {}, score = {}, threshold = {threshold:?})",
            name(label),
            name(score)
        ),
        EvaluateSpec::Multiclass { label, prediction } => format!(
            "multiclass(label = {}, prediction = {})",
            name(label),
            name(prediction)
        ),
        EvaluateSpec::Regression { label, prediction } => format!(
            "regression(label = {}, prediction = {})",
            name(label),
            name(prediction)
        ),
        EvaluateSpec::Clustering {
            features,
            prediction,
            sample,
            seed,
        } => format!(
            "clustering(features = [{}], prediction = {}, sample = {sample}, seed = {seed})",
            list(features.iter().map(|c| name(c))),
            name(prediction)
        ),
    }
}

/// One node of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanNode {
    pub op: PlanOp,
    pub schema: Schema,
    /// The relation (or source) this node is the result of, if it is one.
    pub relation: Option<String>,
    pub hints: Hints,
    /// Set by the optimizer's cache placement on nodes read by several consumers.
    pub sharing: Option<Sharing>,
    #[serde(skip)]
    pub span: Span,
}

/// A typed, checked logical plan.
#[derive(Clone, Debug, Default)]
pub struct LogicalPlan {
    pub graph: StableDiGraph<PlanNode, usize>,
    /// Sink nodes, in declaration order.
    pub sinks: Vec<NodeIndex>,
}

impl LogicalPlan {
    pub fn add(&mut self, node: PlanNode, inputs: &[NodeIndex]) -> NodeIndex {
        let id = self.graph.add_node(node);
        for (slot, input) in inputs.iter().enumerate() {
            self.graph.add_edge(*input, id, slot);
        }
        id
    }

    /// A node's inputs in slot order.
    pub fn inputs(&self, node: NodeIndex) -> Vec<NodeIndex> {
        let mut edges: Vec<(usize, NodeIndex)> = self
            .graph
            .edges_directed(node, Direction::Incoming)
            .map(|e| (*e.weight(), petgraph::visit::EdgeRef::source(&e)))
            .collect();
        edges.sort_by_key(|(slot, _)| *slot);
        edges.into_iter().map(|(_, n)| n).collect()
    }

    /// Whether a node's rows are a stream: it reads a [`PlanOp::StreamScan`], directly or
    /// through its inputs.
    pub fn is_stream(&self, node: NodeIndex) -> bool {
        let mut stack = vec![node];
        let mut seen = std::collections::HashSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if let PlanOp::StreamScan { .. } = &self.graph[n].op {
                return true;
            }
            stack.extend(self.inputs(n));
        }
        false
    }

    /// Whether any sink writes a stream.
    pub fn is_streaming(&self) -> bool {
        self.graph
            .node_weights()
            .any(|n| matches!(n.op, PlanOp::StreamScan { .. }))
    }

    /// How many nodes read this one.
    pub fn consumer_count(&self, node: NodeIndex) -> usize {
        self.graph.edges_directed(node, Direction::Outgoing).count()
    }

    /// Every node reachable from the sinks, inputs before consumers, in a deterministic
    /// order (depth first from each sink in declaration order, inputs in slot order).
    pub fn topological(&self) -> Vec<NodeIndex> {
        // Depth-first from each sink, by an explicit stack: a node is emitted when it is
        // met the second time, after all its inputs.
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<(NodeIndex, bool)> = Vec::new();
        for s in &self.sinks {
            stack.push((*s, false));
            while let Some((n, inputs_done)) = stack.pop() {
                if inputs_done {
                    out.push(n);
                    continue;
                }
                if !seen.insert(n) {
                    continue;
                }
                stack.push((n, true));
                for i in self.inputs(n).into_iter().rev() {
                    if !seen.contains(&i) {
                        stack.push((i, false));
                    }
                }
            }
        }
        out
    }
}
