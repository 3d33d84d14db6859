//! Stream sources: `stream NAME = watch(...)`, `socket(...)`, `rate(...)`, their trigger
//! options, the built-in `progress` relation of a streaming pipeline, and the `late`
//! relation a watermark declares. What a stream cannot run is in `stream_steps`, output
//! modes in `output_modes`.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::{ConstValue, PlanNode, PlanOp, StreamKind};
use crate::syntax::ast::{Arg, Ident, SourceDecl};
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
