//! Streams: `stream NAME = watch(...)`, `socket(...)`, `rate(...)`; which relations are
//! streams (those that read one); what cannot run on an unbounded input, each refused
//! with why and what to write instead; `watermark`; and the built-in `progress`
//! relation of a streaming pipeline.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::{ConstValue, OutputMode, PlanNode, PlanOp, StreamKind};
use crate::syntax::ast::{Arg, Expr, Ident, JoinKind, Operator, SourceDecl, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::io::Format;
use sluice_stdlib::{DataType, Field, Schema};

/// Options every stream takes: how its micro-batches are triggered and bounded.
pub const TRIGGER_OPTIONS: &[(&str, &str)] = &[
    (
        "every",
        "duration: start a batch this often (default 500ms); with `available_now` unset the stream runs until stopped",
    ),
    (
        "available_now",
        "bool: read what is there now, in batches, then stop (backfills and tests)",
    ),
    (
        "max_files_per_batch",
        "int: at most this many new files per batch (watch)",
    ),
    (
        "max_rows_per_batch",
        "int: at most this many rows per batch (rate, socket)",
    ),
];

/// The kinds of stream, with what each reads (for completion and docs).
pub const STREAM_KINDS: &[(&str, &str)] = &[
    (
        "watch",
        "watch(\"in/folder/\", format = csv|tsv|jsonl|parquet): each new file of a folder or glob, once",
    ),
    (
        "socket",
        "socket(\"127.0.0.1:9999\", format = lines|jsonl|csv): the lines a TCP server sends",
    ),
    (
        "rate",
        "rate(rows_per_second = N): `timestamp` and a counter `value`, for tests and benchmarks",
    ),
];

/// The options of a stream kind besides the triggers.
pub fn stream_options(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "watch" => &[(
            "format",
            "csv | tsv | jsonl | parquet; the batch reader's options of that format apply too",
        )],
        "socket" => &[("format", "lines (one `value` column) | jsonl | csv")],
        "rate" => &[(
            "rows_per_second",
            "int: rows generated per second (default 1)",
        )],
        _ => &[],
    }
}

/// Event-time windows as group keys, with their forms.
pub const EVENT_WINDOWS: &[(&str, &str)] = &[
    (
        "tumbling",
        "tumbling(TIME, 1m): back-to-back windows of one size",
    ),
    (
        "sliding",
        "sliding(TIME, 1m, 10s): windows of a size starting every slide; a row is in each that holds it",
    ),
];

/// The sink option of stream sinks.
pub const OUTPUT_OPTION: (&str, &str) = (
    "output",
    "append | update | complete: how a stream's sink writes each batch",
);

/// The columns of the built-in `progress` relation: one row per micro-batch.
pub fn progress_schema() -> Schema {
    let f = |n: &str, t: DataType, nullable: bool| Field::new(n, t, nullable);
    Schema::new(vec![
        f("batch", DataType::Int64, false),
        f("started", DataType::Timestamp, false),
        f("rows_in", DataType::Int64, false),
        f("rows_per_second", DataType::Float64, false),
        f("latency_ms", DataType::Float64, false),
        f("watermark", DataType::Timestamp, true),
        f("state_rows", DataType::Int64, false),
        f("state_bytes", DataType::Int64, false),
        f("late_rows", DataType::Int64, false),
    ])
}

impl Resolver<'_> {
    /// `stream NAME = KIND(...)`.
    pub(crate) fn stream_source(&mut self, decl: &SourceDecl) {
        let kind_name = decl.format.name.as_str();
        let Some(kind) = StreamKind::from_name(kind_name).filter(|k| *k != StreamKind::Kafka)
        else {
            let kinds = ["watch", "socket", "rate"];
            let mut d = Diagnostic::error(
                Code::InvalidStream,
                format!("unknown stream kind `{kind_name}`"),
                decl.format.span,
                "not a stream kind",
            );
            d.help = if Format::from_name(kind_name).is_some() {
                Some(format!(
                    "to read new `{kind_name}` files as they land in a folder, write `stream {} = watch(\"in/folder/\", format = {kind_name})`",
                    decl.name.name
                ))
            } else if kind_name == "kafka" {
                Some("this build does not read Kafka yet; use `watch` on a folder the producer writes to, or `socket`".into())
            } else {
                did_you_mean(kind_name, kinds.iter().copied())
                    .or_else(|| Some(format!("streams are {}", kinds.join(", "))))
            };
            self.diags.push(d);
            self.declare(&decl.name, None, true);
            return;
        };
        let (triggers, rest) = self.trigger_options(kind, &decl.args);
        if kind == StreamKind::Watch {
            // Declared by the batch reader it builds on.
            self.watch_source(decl, rest, triggers);
            return;
        }
        let node = match kind {
            StreamKind::Socket => self.socket_source(decl, rest, triggers),
            StreamKind::Rate => self.rate_source(decl, rest, triggers),
            StreamKind::Watch | StreamKind::Kafka | StreamKind::Progress => None,
        };
        self.declare(&decl.name, node, true);
    }

    /// Splits the trigger options off (checked), leaving the kind's own arguments.
    fn trigger_options(
        &mut self,
        kind: StreamKind,
        args: &[Arg],
    ) -> (Vec<(String, ConstValue)>, Vec<Arg>) {
        let mut triggers = Vec::new();
        let mut rest = Vec::new();
        for arg in args {
            let Some(name) = arg
                .name
                .as_ref()
                .filter(|n| TRIGGER_OPTIONS.iter().any(|(o, _)| *o == n.name))
            else {
                rest.push(arg.clone());
                continue;
            };
            let Some(value) = self.constant(&arg.value, "a trigger option") else {
                continue;
            };
            let (ok, expected) = match name.name.as_str() {
                "every" => (
                    matches!(value, ConstValue::Duration(us) if us > 0),
                    "a positive duration such as `1s`",
                ),
                "available_now" => (matches!(value, ConstValue::Bool(_)), "true or false"),
                "max_files_per_batch" if kind != StreamKind::Watch => (false, "a watch stream"),
                "max_rows_per_batch" if kind == StreamKind::Watch => (
                    false,
                    "a rate or socket stream (a watch batch takes whole files)",
                ),
                _ => (
                    matches!(value, ConstValue::Int(n) if n > 0),
                    "a positive integer",
                ),
            };
            if !ok {
                self.diags.push(Diagnostic::error(
                    Code::InvalidConstant,
                    format!("option `{}` expects {expected}, found {value}", name.name),
                    arg.value.span,
                    format!("expected {expected}"),
                ));
                continue;
            }
            triggers.push((name.name.clone(), value));
        }
        (triggers, rest)
    }

    /// `watch(DIR_OR_GLOB, format = csv|jsonl|parquet, ...)`: the options and schema of
    /// the batch reader of that format; the schema is declared or inferred from the
    /// files there now. Declares the stream.
    fn watch_source(
        &mut self,
        decl: &SourceDecl,
        mut args: Vec<Arg>,
        triggers: Vec<(String, ConstValue)>,
    ) {
        if self.watch_node(decl, &mut args, triggers).is_none()
            && !self.relations.contains_key(&decl.name.name)
        {
            self.declare(&decl.name, None, true);
        }
    }

    fn watch_node(
        &mut self,
        decl: &SourceDecl,
        args: &mut Vec<Arg>,
        triggers: Vec<(String, ConstValue)>,
    ) -> Option<NodeIndex> {
        let at = args
            .iter()
            .position(|a| a.name.as_ref().is_some_and(|n| n.name == "format"));
        let Some(at) = at else {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidStream,
                    "a `watch` stream needs the files' format",
                    decl.format.span,
                    "no format",
                )
                .with_help(format!(
                    "write `stream {} = watch(\"in/events/\", format = jsonl)` (csv, tsv, jsonl or parquet)",
                    decl.name.name
                )),
            );
            return None;
        };
        let format_arg = args.remove(at);
        let format_name = self.bare_word(&format_arg.value).or_else(|| {
            match self.constant(&format_arg.value, "the format") {
                Some(ConstValue::String(s)) => Some(s),
                _ => None,
            }
        })?;
        let watched = [Format::Csv, Format::Tsv, Format::Jsonl, Format::Parquet];
        let Some(format) = watched.iter().copied().find(|f| f.name() == format_name) else {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownFormat,
                    format!("`watch` cannot read `{format_name}` files"),
                    format_arg.value.span,
                    "not a watched format",
                )
                .with_help("watched formats are csv, tsv, jsonl and parquet"),
            );
            return None;
        };
        if args.first().is_none_or(|a| a.name.is_some()) {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    "a `watch` stream needs the folder it watches",
                    decl.format.span,
                    "no folder",
                )
                .with_help(format!(
                    "write `stream {} = watch(\"in/events/\", format = {format_name})`",
                    decl.name.name
                )),
            );
            return None;
        }
        // The folder's files are read with the batch reader: same options, same schema
        // rules (a file's schema is inferred now, or declared).
        let batch = SourceDecl {
            stream: false,
            name: decl.name.clone(),
            format: Ident::new(format.name(), decl.format.span),
            args: std::mem::take(args),
            schema: decl.schema.clone(),
            hints: decl.hints.clone(),
            span: decl.span,
        };
        self.source(&batch);
        let node = self.relations.get(&decl.name.name)?.node?;
        let n = &mut self.plan.graph[node];
        let PlanOp::Scan {
            path,
            options,
            file_schema,
            path_columns,
            ..
        } = &n.op
        else {
            return None;
        };
        if !path_columns.is_empty() {
            let d = Diagnostic::error(
                Code::InvalidStream,
                "a watched folder's files cannot add path columns (hive keys or `filename`)",
                decl.format.span,
                "path columns",
            )
            .with_help("watch a folder of plain files, or derive the column from the rows");
            self.diags.push(d);
            self.relations.get_mut(&decl.name.name)?.node = None;
            return None;
        }
        let mut options = options.clone();
        options.extend(triggers);
        n.op = PlanOp::StreamScan {
            source: decl.name.name.clone(),
            kind: StreamKind::Watch,
            path: path.clone(),
            format: Some(format),
            options,
            file_schema: file_schema.clone(),
        };
        Some(node)
    }

    /// `socket("host:port", format = lines|jsonl|csv)`: lines read as one string column
    /// `value`, or parsed by the declared schema.
    fn socket_source(
        &mut self,
        decl: &SourceDecl,
        args: Vec<Arg>,
        mut triggers: Vec<(String, ConstValue)>,
    ) -> Option<NodeIndex> {
        let mut address = None;
        let mut format = None;
        for arg in &args {
            match arg.name.as_ref().map(|n| n.name.as_str()) {
                None => match self.constant(&arg.value, "the address")? {
                    ConstValue::String(s) if s.contains(':') => address = Some(s),
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::InvalidStream,
                                format!("a socket address is `host:port`, found {other}"),
                                arg.value.span,
                                "not host:port",
                            )
                            .with_help("write `socket(\"127.0.0.1:9999\")`"),
                        );
                        return None;
                    }
                },
                Some("format") => {
                    let word = self.bare_word(&arg.value).or_else(|| {
                        match self.constant(&arg.value, "the format") {
                            Some(ConstValue::String(s)) => Some(s),
                            _ => None,
                        }
                    })?;
                    match word.as_str() {
                        "lines" => {}
                        "jsonl" => format = Some(Format::Jsonl),
                        "csv" => format = Some(Format::Csv),
                        _ => {
                            self.diags.push(
                                Diagnostic::error(
                                    Code::UnknownFormat,
                                    format!("a socket cannot read `{word}` records"),
                                    arg.value.span,
                                    "not a socket format",
                                )
                                .with_help("socket formats are lines, jsonl and csv"),
                            );
                            return None;
                        }
                    }
                }
                Some(other) => {
                    self.unknown_stream_option(arg, other, &["format"], "socket");
                    return None;
                }
            }
        }
        let Some(address) = address else {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    "a `socket` stream needs the address it reads",
                    decl.format.span,
                    "no address",
                )
                .with_help(format!(
                    "write `stream {} = socket(\"127.0.0.1:9999\")`",
                    decl.name.name
                )),
            );
            return None;
        };
        let schema = match (format, &decl.schema) {
            (None, None) => Schema::new(vec![Field::new("value", DataType::String, false)]),
            (None, Some(_)) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidStream,
                        "a socket of lines has one column, `value`",
                        decl.format.span,
                        "schema given",
                    )
                    .with_help("to parse each line, add `format = jsonl` or `format = csv` and keep the schema"),
                );
                return None;
            }
            (Some(f), None) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidStream,
                        format!("a socket of {f} records needs a declared schema"),
                        decl.format.span,
                        "no schema",
                    )
                    .with_help(format!(
                        "a socket cannot be read before it runs: declare the columns, `stream {} = socket(\"{address}\", format = {f}) {{ ts: timestamp, value: float64 }}`",
                        decl.name.name
                    )),
                );
                return None;
            }
            (Some(_), Some(fields)) => Schema::new(
                fields
                    .iter()
                    .map(|f| Field::new(f.name.name.clone(), f.ty.data_type.clone(), f.ty.nullable))
                    .collect(),
            ),
        };
        if format == Some(Format::Csv) {
            triggers.push(("header".into(), ConstValue::Bool(false)));
        }
        Some(self.add_stream_node(decl, StreamKind::Socket, address, format, triggers, schema))
    }

    /// `rate(rows_per_second = N [, rows_per_batch = M])`: rows of `timestamp` and a
    /// counter `value`.
    fn rate_source(
        &mut self,
        decl: &SourceDecl,
        args: Vec<Arg>,
        mut triggers: Vec<(String, ConstValue)>,
    ) -> Option<NodeIndex> {
        let mut rate = 1;
        let mut per_batch = None;
        for arg in &args {
            let name = arg.name.as_ref().map(|n| n.name.as_str());
            match name {
                Some(option @ ("rows_per_second" | "rows_per_batch")) => {
                    match self.constant(&arg.value, "the rate")? {
                        ConstValue::Int(n) if n > 0 && option == "rows_per_second" => rate = n,
                        ConstValue::Int(n) if n > 0 => per_batch = Some(n),
                        other => {
                            self.diags.push(Diagnostic::error(
                                Code::InvalidConstant,
                                format!(
                                    "option `{option}` expects a positive integer, found {other}"
                                ),
                                arg.value.span,
                                "expected a positive integer",
                            ));
                            return None;
                        }
                    }
                }
                Some(other) => {
                    self.unknown_stream_option(
                        arg,
                        other,
                        &["rows_per_second", "rows_per_batch"],
                        "rate",
                    );
                    return None;
                }
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::ArgumentCount,
                            "`rate` takes only named options",
                            arg.value.span,
                            "positional",
                        )
                        .with_help("write `rate(rows_per_second = 100)`"),
                    );
                    return None;
                }
            }
        }
        if let Some(n) = per_batch {
            triggers.push(("rows_per_batch".into(), ConstValue::Int(n)));
        }
        if decl.schema.is_some() {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidStream,
                    "a `rate` stream's columns are fixed: `timestamp` and `value`",
                    decl.format.span,
                    "schema given",
                )
                .with_help("drop the schema block; derive other columns with `| derive`"),
            );
            return None;
        }
        triggers.push(("rows_per_second".into(), ConstValue::Int(rate)));
        let schema = Schema::new(vec![
            Field::new("timestamp", DataType::Timestamp, false),
            Field::new("value", DataType::Int64, false),
        ]);
        Some(self.add_stream_node(
            decl,
            StreamKind::Rate,
            String::new(),
            None,
            triggers,
            schema,
        ))
    }

    fn unknown_stream_option(&mut self, arg: &Arg, name: &str, known: &[&str], kind: &str) {
        let mut all: Vec<&str> = known.to_vec();
        all.extend(TRIGGER_OPTIONS.iter().map(|(o, _)| *o));
        let span = arg.name.as_ref().map_or(arg.value.span, |n| n.span);
        let mut d = Diagnostic::error(
            Code::UnknownOption,
            format!("`{kind}` has no option `{name}`"),
            span,
            "unknown option",
        );
        d.help = did_you_mean(name, all.iter().copied())
            .or_else(|| Some(format!("options: {}", all.join(", "))));
        self.diags.push(d);
    }

    fn add_stream_node(
        &mut self,
        decl: &SourceDecl,
        kind: StreamKind,
        path: String,
        format: Option<Format>,
        options: Vec<(String, ConstValue)>,
        schema: Schema,
    ) -> NodeIndex {
        self.plan.add(
            PlanNode {
                op: PlanOp::StreamScan {
                    source: decl.name.name.clone(),
                    kind,
                    path,
                    format,
                    options,
                    file_schema: schema.clone(),
                },
                schema,
                relation: Some(decl.name.name.clone()),
                hints: Default::default(),
                sharing: None,
                span: decl.span,
            },
            &[],
        )
    }

    /// `progress` in a pipeline with a stream: one row per micro-batch, made once.
    pub(crate) fn progress_relation(&mut self, name: &Ident) -> Option<NodeIndex> {
        if name.name != "progress"
            || self.relations.contains_key("progress")
            || !self.plan.is_streaming()
        {
            return None;
        }
        let existing = self.plan.graph.node_indices().find(|&n| {
            matches!(
                self.plan.graph[n].op,
                PlanOp::StreamScan {
                    kind: StreamKind::Progress,
                    ..
                }
            )
        });
        if existing.is_some() {
            return existing;
        }
        let schema = progress_schema();
        Some(self.plan.add(
            PlanNode {
                op: PlanOp::StreamScan {
                    source: "progress".into(),
                    kind: StreamKind::Progress,
                    path: String::new(),
                    format: None,
                    options: Vec::new(),
                    file_schema: schema.clone(),
                },
                schema,
                relation: Some("progress".into()),
                hints: Default::default(),
                sharing: None,
                span: name.span,
            },
            &[],
        ))
    }

    /// Refuses a step a stream cannot run (reported); `true` when it may run.
    pub(crate) fn allowed_on_stream(&mut self, input: NodeIndex, step: &Step) -> bool {
        if !self.plan.is_stream(input) {
            return self.static_step_reads_no_stream(step);
        }
        let stateful_before = self.stateful_upstream(input);
        let refusal: Option<(String, String)> = match &step.op {
            Operator::Sort { .. } => Some((
                "a global `sort` needs every row, and a stream never ends".into(),
                "sort each window's rows after a windowed `group`, in the sink's reader, or sort a batch relation".into(),
            )),
            Operator::Take { .. } => Some((
                "`take` without a window would stop the stream after its first rows".into(),
                "summarize each window instead (`group tumbling(ts, 1m) { n = count(), first = first(x) }`), or `take` from a batch read of the stream's output".into(),
            )),
            Operator::Window { .. } => Some((
                "window functions need each partition's rows in full, and a stream's partitions never end".into(),
                "use an event-time window as a group key: `group tumbling(ts, 1m), k { ... }`".into(),
            )),
            Operator::Split { .. } => Some((
                "`split` divides a finite relation in fractions; a stream has no size".into(),
                "use `sample` for a fraction of the events, or `filter hash(id) % 10 < 8`".into(),
            )),
            Operator::Fit { .. } | Operator::CrossValidate { .. } => Some((
                "a model is fitted on a finite relation".into(),
                "fit the model on a batch source and `predict` with it on the stream".into(),
            )),
            Operator::Evaluate { .. } => Some((
                "`evaluate` reduces every row to one row of metrics; a stream never ends".into(),
                "evaluate a batch relation of the stream's output".into(),
            )),
            Operator::Intersect { .. } | Operator::Except { .. } => Some((
                format!("`{}` compares every row of both sides", step.op.keyword()),
                "filter the stream with a `join semi` or `join anti` on a batch relation".into(),
            )),
            Operator::FillNull { spec } if fill_needs_all_rows(spec) => Some((
                "`fill_null` with mean, median or mode needs every row first".into(),
                "fill with constants on a stream: `fill_null x = 0`".into(),
            )),
            Operator::Pivot { .. } => Some((
                "`pivot` on a stream is not supported".into(),
                "group by the pivot column on the stream and pivot a batch read of the output".into(),
            )),
            Operator::Group {
                grouping: Some(_), ..
            } => Some((
                "grouping sets on a stream are not supported".into(),
                "write one `group` per grouping as its own relation".into(),
            )),
            Operator::Group { .. } | Operator::Distinct { .. } if stateful_before => Some((
                format!(
                    "a second stateful step (`{}`) after a `group` or `distinct` of the same stream",
                    step.op.keyword()
                ),
                "each stream relation may hold one `group` or `distinct`: sink the first and read it again as a batch".into(),
            )),
            Operator::Join { kind, right, asof, .. } => {
                let right_is_stream = self
                    .relations
                    .get(&right.name)
                    .and_then(|r| r.node)
                    .is_some_and(|n| self.plan.is_stream(n));
                if right_is_stream {
                    Some((
                        "a join of two streams is not supported yet".into(),
                        "join the stream with a batch relation (a `source`), which is read once".into(),
                    ))
                } else if asof.is_some() {
                    Some((
                        "`join asof` on a stream is not supported".into(),
                        "join on keys with a batch relation".into(),
                    ))
                } else if matches!(kind, JoinKind::Right | JoinKind::Full) {
                    Some((
                        format!(
                            "a {} join keeps batch rows no event matched, and a stream never says none will",
                            if *kind == JoinKind::Right { "right" } else { "full" }
                        ),
                        "use an inner or left join, the stream on the left".into(),
                    ))
                } else {
                    None
                }
            }
            Operator::CrossJoin { .. } => None,
            Operator::Union { others, .. } => {
                let mixed = others.iter().any(|o| {
                    !self
                        .relations
                        .get(&o.name)
                        .and_then(|r| r.node)
                        .is_some_and(|n| self.plan.is_stream(n))
                });
                mixed.then(|| {
                    (
                        "a union of a stream and a batch relation".into(),
                        "union streams with streams; enrich a stream from a batch relation with a `join`".into(),
                    )
                })
            }
            Operator::Watermark { .. } if stateful_before => Some((
                "a `watermark` after a `group` or `distinct`".into(),
                "put the watermark on the events, before they are grouped".into(),
            )),
            _ => None,
        };
        match refusal {
            None => true,
            Some((why, help)) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::StreamUnsupported,
                        format!("`{}` cannot run on a stream: {why}", step.op.keyword()),
                        step.keyword,
                        "on a stream",
                    )
                    .with_help(help),
                );
                false
            }
        }
    }

    /// A batch relation's step may not take a stream as its other input (that would
    /// make it a stream on the right of a join or a union).
    fn static_step_reads_no_stream(&mut self, step: &Step) -> bool {
        let other = match &step.op {
            Operator::Join { right, .. } | Operator::CrossJoin { right } => Some(right),
            Operator::Union { others, .. } => others.first(),
            _ => None,
        };
        let Some(other) = other else { return true };
        let is_stream = self
            .relations
            .get(&other.name)
            .and_then(|r| r.node)
            .is_some_and(|n| self.plan.is_stream(n));
        if is_stream {
            self.diags.push(
                Diagnostic::error(
                    Code::StreamUnsupported,
                    format!(
                        "`{}` of a batch relation with the stream `{}`",
                        step.op.keyword(),
                        other.name
                    ),
                    other.span,
                    "a stream",
                )
                .with_help(format!(
                    "start the chain from the stream: `let x = {} | {} ...` with the batch relation second",
                    other.name,
                    step.op.keyword()
                )),
            );
            return false;
        }
        true
    }

    /// Whether a `group` or `distinct` is upstream of `node` on its stream side.
    pub(crate) fn stateful_upstream(&self, node: NodeIndex) -> bool {
        self.stateful_node(node).is_some()
    }

    /// `watermark COLUMN delay D`.
    pub(crate) fn watermark(
        &mut self,
        column: &Ident,
        delay: &Expr,
        schema: &Schema,
    ) -> Option<(PlanOp, Schema, Vec<NodeIndex>)> {
        let field = self.column(column, schema)?;
        if field.data_type != DataType::Timestamp {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidWatermark,
                    format!(
                        "a watermark is on an event time, and `{}` is {}",
                        column.name, field.data_type
                    ),
                    column.span,
                    "not a timestamp",
                )
                .with_help(format!(
                    "parse it first: `| derive {0} = parse_timestamp({0}, \"%Y-%m-%d %H:%M:%S\")`, or declare it `timestamp` in the schema",
                    column.name
                )),
            );
            return None;
        }
        let delay_us = match self.constant(delay, "the delay")? {
            ConstValue::Duration(us) if us >= 0 => us,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidWatermark,
                        format!("the delay is a duration, found {other}"),
                        delay.span,
                        "not a duration",
                    )
                    .with_help("write `watermark ts delay 10s`"),
                );
                return None;
            }
        };
        Some((
            PlanOp::Watermark {
                column: column.name.clone(),
                delay: delay_us,
            },
            schema.clone(),
            vec![],
        ))
    }

    /// Whether a watermark is upstream of `node`.
    pub(crate) fn has_watermark(&self, node: NodeIndex) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if matches!(self.plan.graph[n].op, PlanOp::Watermark { .. }) {
                return true;
            }
            stack.extend(self.plan.inputs(n));
        }
        false
    }
}

fn fill_needs_all_rows(spec: &crate::syntax::ast::FillSpec) -> bool {
    use crate::syntax::ast::{FillSpec, FillValue};
    let strategy = |v: &FillValue| matches!(v, FillValue::Strategy(_));
    match spec {
        FillSpec::All(v) => strategy(v),
        FillSpec::Columns(cols) => cols.iter().any(|(_, v)| strategy(v)),
    }
}

impl Resolver<'_> {
    /// A sink's `output = append|update|complete`: taken off its arguments, checked
    /// against what the relation can give (a stream's sinks default to `append`).
    pub(crate) fn output_mode(
        &mut self,
        decl: &crate::syntax::ast::SinkDecl,
        format: Format,
        input: Option<NodeIndex>,
    ) -> Option<(Vec<Arg>, Option<OutputMode>)> {
        let is_stream = input.is_some_and(|n| self.plan.is_stream(n));
        let mut args = Vec::new();
        let mut written = None;
        for arg in &decl.args {
            match arg.name.as_ref().map(|n| n.name.as_str()) {
                Some("output") => written = Some(arg),
                Some("mode") if is_stream => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidOutputMode,
                            "a stream's sink adds a part file per batch; it has no save `mode`",
                            arg.value.span,
                            "a save mode",
                        )
                        .with_help("say how each batch is written with `output = append`, `update` or `complete`"),
                    );
                    return None;
                }
                _ => args.push(arg.clone()),
            }
        }
        let Some(input) = input.filter(|_| is_stream) else {
            // A relation with errors of its own is not checked further.
            if let (Some(arg), Some(_)) = (written, input) {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidOutputMode,
                        format!("`{}` is not a stream: output modes are for stream sinks", decl.input.name),
                        arg.value.span,
                        "a batch relation",
                    )
                    .with_help("drop `output`; a batch sink writes its relation once (`mode` says what happens to an existing file)"),
                );
                return None;
            }
            return Some((args, None));
        };
        let mode = match written {
            None => OutputMode::Append,
            Some(arg) => {
                let word = self.bare_word(&arg.value).or_else(|| {
                    match self.constant(&arg.value, "the output mode") {
                        Some(ConstValue::String(s)) => Some(s),
                        _ => None,
                    }
                })?;
                let Some(mode) = OutputMode::from_name(&word) else {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidOutputMode,
                            format!("unknown output mode `{word}`"),
                            arg.value.span,
                            "not an output mode",
                        )
                        .with_help("output modes are append, update and complete"),
                    );
                    return None;
                };
                mode
            }
        };
        let stream_formats = [
            Format::Csv,
            Format::Tsv,
            Format::Jsonl,
            Format::Parquet,
            Format::Console,
        ];
        if !stream_formats.contains(&format) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidOutputMode,
                    format!("a stream cannot be written as {format}"),
                    decl.format.span,
                    "not a stream sink",
                )
                .with_help("a stream's sinks are csv, tsv, jsonl and parquet folders of part files, and console"),
            );
            return None;
        }
        let at = written.map_or(decl.format.span, |a| a.value.span);
        let aggregate = self.stateful_node(input);
        let refusal = match (mode, aggregate) {
            (OutputMode::Append, Some(node)) => match &self.plan.graph[node].op {
                PlanOp::Aggregate { window_end: None, .. } => Some((
                    "`append` writes each row once, when it is final, and a `group` without an event-time window is never final".to_string(),
                    "write `output = update` (the groups that changed, each batch) or `output = complete` (the whole table, each batch), or group by `tumbling(ts, 1m)` under a `watermark`".to_string(),
                )),
                PlanOp::Aggregate { .. } if !self.has_watermark(node) => Some((
                    "`append` writes a window's row when the watermark passes its end, and this stream has no watermark".to_string(),
                    "add `| watermark ts delay 10s` before the `group` (how late an event may be)".to_string(),
                )),
                _ => None,
            },
            (OutputMode::Complete, None) => Some((
                "`complete` rewrites the whole result each batch, and without a `group` that is every row ever seen".to_string(),
                "write `output = append` for rows, or group the stream first".to_string(),
            )),
            (OutputMode::Complete, Some(node))
                if matches!(self.plan.graph[node].op, PlanOp::Distinct { .. }) =>
            {
                Some((
                    "`complete` of a `distinct` would rewrite every row ever seen, each batch".to_string(),
                    "write `output = append`: each distinct row is written once".to_string(),
                ))
            }
            _ => None,
        };
        if let Some((why, help)) = refusal {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidOutputMode,
                    format!(
                        "output `{}` cannot hold for `{}`: {why}",
                        mode.name(),
                        decl.input.name
                    ),
                    at,
                    "this output mode",
                )
                .with_help(help),
            );
            return None;
        }
        Some((args, Some(mode)))
    }

    /// The `group` or `distinct` on the stream side upstream of `node`, if any.
    fn stateful_node(&self, node: NodeIndex) -> Option<NodeIndex> {
        let mut at = Some(node);
        while let Some(n) = at {
            match &self.plan.graph[n].op {
                PlanOp::Aggregate { .. } | PlanOp::Distinct { .. } => return Some(n),
                PlanOp::StreamScan { .. } => return None,
                _ => {}
            }
            at = self
                .plan
                .inputs(n)
                .into_iter()
                .find(|&i| self.plan.is_stream(i));
        }
        None
    }
}

impl Resolver<'_> {
    /// `(late = NAME)` of a `watermark`: declares NAME, the rows the watermark drops as
    /// late (the watermark's columns), for a sink to write.
    pub(crate) fn late_relation(&mut self, watermark: NodeIndex, name: &Ident) {
        let schema = self.schema(watermark).clone();
        let node = self.plan.add(
            PlanNode {
                op: PlanOp::LateRows,
                schema,
                relation: Some(name.name.clone()),
                hints: Default::default(),
                sharing: None,
                span: name.span,
            },
            &[watermark],
        );
        self.declare(name, Some(node), false);
    }
}
