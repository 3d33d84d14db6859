//! The YAML front end. A YAML pipeline has the sections `pipeline`, `params`,
//! `sources`, `relations` and `sinks` (see docs/language.md); it is read into a tree of
//! spanned nodes with serde-saphyr, then walked into the same [`ast`](super::ast) the
//! DSL produces. Expressions inside YAML strings are parsed by the DSL's expression
//! grammar with their spans shifted to the string's place in the YAML file, so an error
//! inside an expression points at its own line and column.
//!
//! Booleans follow YAML 1.2's core schema (only `true`/`false`), so keys and names such
//! as `on`, `y`, `no` are read as written. Values (options, params, constants) are YAML
//! scalars; `${expr}` inside a string
//! embeds an expression (`"${out}/yearly.csv"` is `out + "/yearly.csv"`).

use super::ast::*;
use super::dsl;
use super::yaml_positions::{decoded_positions, place_diagnostic, place_expr};
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A YAML value with where it was written.
#[derive(Clone, Debug)]
struct Node {
    value: Value,
    span: Span,
}

#[derive(Clone, Debug)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Value>::deserialize(d)?;
        let span = spanned.referenced.span();
        let start = span.byte_offset().unwrap_or(0) as usize;
        let len = span.byte_len().unwrap_or(0) as usize;
        Ok(Node {
            value: spanned.value,
            span: Span::new(start, start + len),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = seq.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = map.next_key::<Node>()? {
                    let v = map.next_value::<Node>()?;
                    entries.push((k, v));
                }
                Ok(Value::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a YAML pipeline.
pub fn parse(text: &str) -> (Option<Pipeline>, Vec<Diagnostic>) {
    // YAML 1.2's core schema for booleans: only `true`/`false` (any case) are booleans,
    // so `on:`, `y`, `no` and `off` stay the names they were written as.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    let root: Node = match serde_saphyr::from_str_with_options(text, options) {
        Ok(n) => n,
        Err(e) => {
            let offset = e
                .location()
                .map(|l| offset_of(text, l.line() as usize, l.column() as usize))
                .unwrap_or(0);
            let message = e.without_snippet().to_string();
            let first_line = message.lines().next().unwrap_or("invalid YAML").to_string();
            return (
                None,
                vec![
                    Diagnostic::error(
                        Code::YamlSyntax,
                        format!("invalid YAML: {first_line}"),
                        Span::new(offset, offset),
                        "here",
                    )
                    .with_help("check the indentation and quoting around this place"),
                ],
            );
        }
    };
    let mut r = Reader {
        text,
        diagnostics: Vec::new(),
    };
    let pipeline = r.pipeline(&root);
    (Some(pipeline), r.diagnostics)
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    crate::source::SourceFile::new("", text).offset(line, col)
}

struct Reader<'t> {
    text: &'t str,
    diagnostics: Vec<Diagnostic>,
}

const TOP_KEYS: &[&str] = &[
    "pipeline",
    "params",
    "sources",
    "streams",
    "relations",
    "sinks",
];
/// The formats of `streams`.
const STREAM_FORMATS: &[&str] = &["watch", "socket", "rate", "kafka"];
/// Stream options whose values are durations, written as in the DSL (`every: 1s`).
const DURATION_OPTIONS: &[&str] = &["every"];
const HINT_KEYS: &[&str] = &["cache", "partition", "materialize"];
/// The options of `cross_validate` besides its estimator.
const CV_OPTIONS: &[&str] = &["folds", "metric", "seed"];
/// ML arguments that name columns or choices, written as names in the DSL.
const NAME_ARGS: &[&str] = &[
    "label",
    "features",
    "score",
    "prediction",
    "class_weight",
    "quantize",
    "strategy",
    "kind",
    "criterion",
    "into",
];

impl Reader<'_> {
    fn shape(&mut self, node: &Node, expected: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                Code::YamlShape,
                format!("expected {expected}"),
                node.span,
                format!("expected {expected}"),
            )
            .with_help("see docs/language.md for the YAML form of each declaration"),
        );
    }

    fn unknown_key(&mut self, key: &Node, name: &str, allowed: &[&str], context: &str) {
        let mut d = Diagnostic::error(
            Code::YamlUnknownKey,
            format!("unknown key `{name}` in {context}"),
            key.span,
            "unknown key",
        );
        d.help = did_you_mean(name, allowed.iter().copied())
            .or_else(|| Some(format!("expected one of: {}", allowed.join(", "))));
        self.diagnostics.push(d);
    }

    fn entries<'n>(&mut self, node: &'n Node, what: &str) -> &'n [(Node, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.shape(node, what);
                &[]
            }
        }
    }

    fn key_name(&mut self, key: &Node) -> String {
        match &key.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                self.shape(key, "a name as the key");
                String::new()
            }
        }
    }

    fn ident_of(&mut self, node: &Node) -> Ident {
        let name = self.key_name(node);
        Ident::new(name, self.inner_span(node))
    }

    /// The span of a scalar's text without its quotes.
    fn inner_span(&self, node: &Node) -> Span {
        let s = node.span;
        match self.text.as_bytes().get(s.start) {
            Some(b'"' | b'\'') if s.len() >= 2 => Span::new(s.start + 1, s.end - 1),
            _ => s,
        }
    }

    /// Where each byte of a string scalar's value is in the file, relative to the
    /// scalar's start (see [`decoded_positions`]).
    fn positions(&self, node: &Node, value: &str) -> Vec<usize> {
        let raw = self.text.get(node.span.start..node.span.end).unwrap_or("");
        decoded_positions(raw, value)
    }

    /// The byte offset in the file of byte `i` of a string scalar's value.
    fn value_offset(&self, node: &Node, value: &str, i: usize) -> usize {
        let positions = self.positions(node, value);
        node.span.start + positions[i.min(positions.len() - 1)]
    }

    /// Parses `value[shift..shift + text.len()]` (that is, `text`) of a scalar as an
    /// expression, with spans and diagnostics at their places in the file.
    fn parse_value_expr(
        &mut self,
        node: &Node,
        value: &str,
        text: &str,
        shift: usize,
    ) -> Option<Expr> {
        let positions = self.positions(node, value);
        match dsl::parse_expr(text, 0) {
            Ok(mut e) => {
                place_expr(&mut e, &positions, node.span.start, shift);
                Some(e)
            }
            Err(mut d) => {
                place_diagnostic(&mut d, &positions, node.span.start, shift);
                self.diagnostics.push(d);
                None
            }
        }
    }

    fn pipeline(&mut self, root: &Node) -> Pipeline {
        let mut pipeline = Pipeline {
            name: None,
            items: Vec::new(),
        };
        if !matches!(root.value, Value::Map(_)) {
            self.shape(
                root,
                "a mapping with the keys pipeline, params, sources, relations, sinks",
            );
            return pipeline;
        }
        let entries = self.entries(root, "a mapping");
        for (key, value) in entries {
            let name = self.key_name(key);
            match name.as_str() {
                "pipeline" => pipeline.name = Some(self.ident_of(value)),
                "params" => {
                    for (k, v) in self.entries(value, "a mapping of params") {
                        let item = self.param(k, v);
                        pipeline.items.push(Item::Param(item));
                    }
                }
                "sources" | "streams" => {
                    let stream = name == "streams";
                    for (k, v) in self.entries(value, "a mapping of sources") {
                        if let Some(s) = self.source(k, v, stream) {
                            pipeline.items.push(Item::Source(s));
                        }
                    }
                }
                "relations" => {
                    for (k, v) in self.entries(value, "a mapping of relations") {
                        if let Some(item) = self.relation(k, v) {
                            pipeline.items.push(item);
                        }
                    }
                }
                "sinks" => match &value.value {
                    Value::Seq(items) => {
                        for item in items {
                            if let Some(s) = self.sink(item) {
                                pipeline.items.push(Item::Sink(s));
                            }
                        }
                    }
                    _ => self.shape(value, "a list of sinks"),
                },
                _ => self.unknown_key(key, &name, TOP_KEYS, "the pipeline"),
            }
        }
        pipeline
    }

    fn param(&mut self, key: &Node, value: &Node) -> ParamDecl {
        let name = self.ident_of(key);
        let span = key.span.to(value.span);
        if let Value::Map(entries) = &value.value {
            let mut ty = None;
            let mut default = None;
            for (k, v) in entries {
                match self.key_name(k).as_str() {
                    "type" => ty = self.type_ref(v),
                    "default" => default = Some(self.value_expr(v)),
                    other => self.unknown_key(k, other, &["type", "default"], "a param"),
                }
            }
            return ParamDecl {
                name,
                ty,
                default,
                span,
            };
        }
        ParamDecl {
            name,
            ty: None,
            default: Some(self.value_expr(value)),
            span,
        }
    }

    fn type_ref(&mut self, node: &Node) -> Option<TypeRef> {
        let Value::Str(s) = &node.value else {
            self.shape(node, "a type name such as int64 or string?");
            return None;
        };
        let offset = self.value_offset(node, s, 0);
        match dsl::parse_type(s, offset) {
            Ok(t) => Some(t),
            Err(d) => {
                self.diagnostics.push(d);
                None
            }
        }
    }

    /// A YAML value as an expression: scalars are literals, lists are lists, and
    /// `${...}` in a string embeds an expression.
    fn value_expr(&mut self, node: &Node) -> Expr {
        let span = self.inner_span(node);
        let kind = match &node.value {
            Value::Null => ExprKind::Literal(Literal::Null),
            Value::Bool(b) => ExprKind::Literal(Literal::Bool(*b)),
            Value::Int(i) => ExprKind::Literal(Literal::Int(*i)),
            Value::Float(f) => ExprKind::Literal(Literal::Float(*f)),
            Value::Str(s) => return self.interpolated(node, s),
            Value::Seq(items) => ExprKind::List(items.iter().map(|n| self.value_expr(n)).collect()),
            Value::Map(_) => {
                self.shape(node, "a value (a string, number, bool or list)");
                ExprKind::Literal(Literal::Null)
            }
        };
        Expr { kind, span }
    }

    fn interpolated(&mut self, node: &Node, s: &str) -> Expr {
        let mut parts: Vec<Expr> = Vec::new();
        let mut literal = String::new();
        let mut literal_start = 0;
        let mut i = 0;
        let bytes = s.as_bytes();
        while i < bytes.len() {
            if s[i..].starts_with("$${") {
                literal.push_str("${");
                i += 3;
                continue;
            }
            if s[i..].starts_with("${") {
                let Some(close) = s[i..].find('}') else {
                    let at = self.value_offset(node, s, i);
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::SyntaxError,
                            "`${` is not closed",
                            Span::new(at, at + 2),
                            "opened here",
                        )
                        .with_help("write `${expression}`, or `$${` for a literal `${`"),
                    );
                    break;
                };
                if !literal.is_empty() {
                    let start = self.value_offset(node, s, literal_start);
                    let end = self.value_offset(node, s, i);
                    parts.push(Expr {
                        kind: ExprKind::Literal(Literal::String(std::mem::take(&mut literal))),
                        span: Span::new(start, end),
                    });
                }
                let inner = &s[i + 2..i + close];
                if let Some(e) = self.parse_value_expr(node, s, inner, i + 2) {
                    parts.push(e);
                }
                i += close + 1;
                literal_start = i;
                continue;
            }
            let ch = s[i..].chars().next().unwrap_or(' ');
            literal.push(ch);
            i += ch.len_utf8();
        }
        if !literal.is_empty() || parts.is_empty() {
            let start = self.value_offset(node, s, literal_start);
            let end = self.value_offset(node, s, s.len());
            parts.push(Expr {
                kind: ExprKind::Literal(Literal::String(literal)),
                span: Span::new(start, end),
            });
        }
        let mut iter = parts.into_iter();
        let first = iter.next().unwrap_or(Expr {
            kind: ExprKind::Literal(Literal::Null),
            span: node.span,
        });
        iter.fold(first, |left, right| {
            let span = left.span.to(right.span);
            Expr {
                kind: ExprKind::Binary {
                    op: BinaryOp::Add,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            }
        })
    }

    /// A YAML string holding an expression in the DSL's syntax.
    fn expr(&mut self, node: &Node) -> Option<Expr> {
        match &node.value {
            Value::Str(s) => self.parse_value_expr(node, s, s, 0),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => {
                Some(self.value_expr(node))
            }
            _ => {
                self.shape(node, "an expression written as a string");
                None
            }
        }
    }

    fn hint(&mut self, key: &Node, name: &str, value: &Node) -> Option<Hint> {
        let span = key.span.to(value.span);
        let name_ident = Ident::new(name, key.span);
        let args = match (name, &value.value) {
            ("materialize", Value::Bool(true) | Value::Null) => Vec::new(),
            ("materialize", _) => {
                self.shape(value, "`true`");
                return None;
            }
            _ => vec![Arg {
                name: None,
                value: self.expr(value)?,
            }],
        };
        Some(Hint {
            name: name_ident,
            args,
            span,
        })
    }

    fn source(&mut self, key: &Node, value: &Node, stream: bool) -> Option<SourceDecl> {
        let name = self.ident_of(key);
        let span = key.span.to(value.span);
        let mut format = None;
        let mut args = Vec::new();
        let mut schema = None;
        let mut hints = Vec::new();
        let formats: &[&str] = if stream {
            STREAM_FORMATS
        } else {
            &["csv", "tsv", "jsonl", "parquet", "arrow", "libsvm", "model"]
        };
        for (k, v) in self.entries(value, "a mapping such as {csv: path, header: true}") {
            let key_name = self.key_name(k);
            if formats.contains(&key_name.as_str()) && format.is_none() {
                format = Some(Ident::new(key_name.clone(), k.span));
                // `rate: {rows_per_second: 10}` or a bare `rate:` has no positional part.
                if let Value::Map(entries) = &v.value {
                    for (ok, ov) in entries {
                        let option = self.key_name(ok);
                        let value = self.value_expr(ov);
                        args.push(Arg {
                            name: Some(Ident::new(option, ok.span)),
                            value,
                        });
                    }
                    continue;
                }
                if matches!(v.value, Value::Null) {
                    continue;
                }
                args.insert(
                    0,
                    Arg {
                        name: None,
                        value: self.value_expr(v),
                    },
                );
            } else if key_name == "schema" {
                let mut fields = Vec::new();
                for (fk, fv) in self.entries(v, "a mapping of column: type") {
                    let column = self.ident_of(fk);
                    if let Some(ty) = self.type_ref(fv) {
                        fields.push(SchemaField { name: column, ty });
                    }
                }
                schema = Some(fields);
            } else if HINT_KEYS.contains(&key_name.as_str()) {
                hints.extend(self.hint(k, &key_name, v));
            } else {
                let value = if DURATION_OPTIONS.contains(&key_name.as_str()) {
                    self.expr(v).unwrap_or_else(|| self.value_expr(v))
                } else {
                    self.value_expr(v)
                };
                let arg_name = Ident::new(key_name, k.span);
                args.push(Arg {
                    name: Some(arg_name),
                    value,
                });
            }
        }
        if stream && format.is_none() {
            self.diagnostics.push(
                Diagnostic::error(Code::UnknownFormat, format!("stream `{}` names no format", name.name), key.span, "no format key")
                    .with_help("give the stream's kind as a key: `watch: in/events/` with `format: jsonl`, `socket: 127.0.0.1:9999`, `rate: {rows_per_second: 100}` or `kafka: {brokers: ..., topic: ...}`"),
            );
            return None;
        }
        let Some(format) = format else {
            self.diagnostics.push(
                Diagnostic::error(Code::UnknownFormat, format!("source `{}` names no format", name.name), key.span, "no format key")
                    .with_help("give the format as a key with the path: `csv: data/file.csv` (csv, tsv, jsonl, parquet or arrow)"),
            );
            return None;
        };
        Some(SourceDecl {
            stream,
            name,
            format,
            args,
            schema,
            hints,
            span,
        })
    }

    /// `window: tumbling(ts, 1m)` of a `group`: the call, as in the DSL.
    fn event_window(&mut self, node: &Node) -> Option<EventWindow> {
        let e = self.expr(node)?;
        match e.kind {
            ExprKind::Call { function, args }
                if ["tumbling", "sliding", "session"].contains(&function.name.as_str()) =>
            {
                Some(EventWindow {
                    kind: function,
                    args,
                    span: e.span,
                })
            }
            _ => {
                self.shape(
                    node,
                    "a window such as `tumbling(ts, 1m)`, `sliding(ts, 1m, 10s)` or `session(ts, gap = 5m)`",
                );
                None
            }
        }
    }

    fn names_of(&mut self, node: &Node) -> Vec<Ident> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|n| self.ident_of(n)).collect(),
            Value::Str(_) => vec![self.ident_of(node)],
            _ => {
                self.shape(node, "a column name or a list of them");
                Vec::new()
            }
        }
    }

    /// A relation, or a model when its steps end in `fit`.
    fn relation(&mut self, key: &Node, value: &Node) -> Option<Item> {
        let key_text = self.key_name(key);
        let inner = self.inner_span(key);
        let mut names = Vec::new();
        let mut offset = 0;
        for part in key_text.split(',') {
            let trimmed = part.trim();
            let lead = part.len() - part.trim_start().len();
            let start = inner.start + offset + lead;
            names.push(Ident::new(trimmed, Span::new(start, start + trimmed.len())));
            offset += part.len() + 1;
        }
        let span = key.span.to(value.span);
        let mut input = None;
        let mut steps = Vec::new();
        let mut hints = Vec::new();
        for (k, v) in self.entries(value, "a mapping with `from` and `steps`") {
            let key_name = self.key_name(k);
            match key_name.as_str() {
                "from" => input = Some(self.ident_of(v)),
                "steps" => match &v.value {
                    Value::Seq(items) => {
                        for item in items {
                            if let Some(step) = self.step(item) {
                                steps.push(step);
                            }
                        }
                    }
                    _ => self.shape(v, "a list of steps"),
                },
                name if HINT_KEYS.contains(&name) => hints.extend(self.hint(k, name, v)),
                other => {
                    let mut allowed = vec!["from", "steps"];
                    allowed.extend(HINT_KEYS);
                    self.unknown_key(k, other, &allowed, "a relation");
                }
            }
        }
        let Some(input) = input else {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::YamlShape,
                    format!("relation `{key_text}` has no `from`"),
                    key.span,
                    "missing `from`",
                )
                .with_help("name the input relation: `from: quakes`"),
            );
            return None;
        };
        if matches!(
            steps.last(),
            Some(Step {
                op: Operator::Fit { .. } | Operator::CrossValidate { .. },
                ..
            })
        ) {
            if names.len() != 1 || !hints.is_empty() {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::YamlShape,
                        format!("model `{key_text}` must have one name and no hints"),
                        key.span,
                        "a model (its steps end in `fit`)",
                    )
                    .with_help("name the model once: `risk: {from: train, steps: [...]}`"),
                );
                return None;
            }
            return Some(Item::Model(ModelDecl {
                name: names.remove(0),
                input,
                steps,
                span,
            }));
        }
        Some(Item::Let(LetDecl {
            names,
            input,
            steps,
            hints,
            span,
        }))
    }

    /// The arguments of `fit` and `evaluate` (`{label: y, features: [a, b], l2: 0.1}`):
    /// columns and word options become names, as the DSL writes them.
    fn ml_args(&mut self, node: &Node) -> Vec<Arg> {
        if matches!(node.value, Value::Null) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (k, v) in self.entries(node, "a mapping of argument: value") {
            let name = Ident::new(self.key_name(k), k.span);
            let value = if NAME_ARGS.contains(&name.name.as_str()) {
                self.name_expr(v)
            } else {
                self.value_expr(v)
            };
            out.push(Arg {
                name: Some(name),
                value,
            });
        }
        out
    }

    /// A column or word as a name expression, or a list of them.
    fn name_expr(&mut self, node: &Node) -> Expr {
        match &node.value {
            Value::Str(_) => {
                let id = self.ident_of(node);
                Expr {
                    kind: ExprKind::Name(id.name),
                    span: id.span,
                }
            }
            Value::Seq(items) => Expr {
                kind: ExprKind::List(items.iter().map(|n| self.name_expr(n)).collect()),
                span: self.inner_span(node),
            },
            _ => self.value_expr(node),
        }
    }

    /// `{KIND: {args}}` or `KIND` (no arguments).
    fn named_call(&mut self, node: &Node, what: &str) -> Option<(Ident, Vec<Arg>)> {
        match &node.value {
            Value::Str(_) => Some((self.ident_of(node), Vec::new())),
            Value::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                let name = Ident::new(self.key_name(k), k.span);
                Some((name, self.ml_args(v)))
            }
            _ => {
                self.shape(node, what);
                None
            }
        }
    }

    fn step(&mut self, node: &Node) -> Option<Step> {
        let (op_name, key_span, arg) = match &node.value {
            Value::Str(s) => (s.clone(), node.span, None),
            Value::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                (self.key_name(k), k.span, Some(v))
            }
            _ => {
                self.shape(node, "a step such as `filter: EXPR` or `distinct`");
                return None;
            }
        };
        let span = node.span;
        let no_arg = Node {
            value: Value::Null,
            span: key_span,
        };
        let arg = arg.unwrap_or(&no_arg);
        let op = match op_name.as_str() {
            "filter" => Operator::Filter {
                predicate: self.expr(arg)?,
            },
            "select" => Operator::Select {
                columns: self.names_of(arg),
            },
            "drop" => Operator::Drop {
                columns: self.names_of(arg),
            },
            "distinct" => Operator::Distinct {
                columns: self.optional_names(arg),
            },
            "drop_null" => Operator::DropNull {
                columns: self.optional_names(arg),
            },
            // `union: [a, b]`, or `union: {with: [a, b], distinct: true, by_name: true}`.
            "union" => match &arg.value {
                Value::Map(_) => {
                    let (mut others, mut distinct, mut by_name) = (Vec::new(), false, false);
                    for (k, v) in
                        self.entries(arg, "a mapping with `with`, `distinct` and `by_name`")
                    {
                        match self.key_name(k).as_str() {
                            "with" => others = self.names_of(v),
                            "distinct" => distinct = matches!(v.value, Value::Bool(true)),
                            "by_name" => by_name = matches!(v.value, Value::Bool(true)),
                            other => self.unknown_key(
                                k,
                                other,
                                &["with", "distinct", "by_name"],
                                "union",
                            ),
                        }
                    }
                    Operator::Union {
                        others,
                        distinct,
                        by_name,
                    }
                }
                _ => Operator::Union {
                    others: self.names_of(arg),
                    distinct: false,
                    by_name: false,
                },
            },
            "intersect" => Operator::Intersect {
                other: self.ident_of(arg),
            },
            "except" => Operator::Except {
                other: self.ident_of(arg),
            },
            "explode" => self.explode(arg),
            "pivot" => {
                let mut column = Ident::new("", arg.span);
                let mut values = Vec::new();
                let mut keys = Vec::new();
                let mut aggregates = Vec::new();
                for (k, v) in self.entries(arg, "a mapping with `column`, `values`, `by` and `agg`")
                {
                    match self.key_name(k).as_str() {
                        "column" => column = self.ident_of(v),
                        "values" => match &v.value {
                            Value::Seq(items) => {
                                values = items.iter().map(|i| self.value_expr(i)).collect()
                            }
                            _ => values = vec![self.value_expr(v)],
                        },
                        "by" => keys = self.names_of(v),
                        "agg" => aggregates = self.assignments(v),
                        other => {
                            self.unknown_key(k, other, &["column", "values", "by", "agg"], "pivot")
                        }
                    }
                }
                Operator::Pivot {
                    column,
                    values,
                    keys,
                    aggregates,
                }
            }
            "unpivot" => {
                let mut columns = Vec::new();
                let mut name = Ident::new("", arg.span);
                let mut value = Ident::new("", arg.span);
                for (k, v) in self.entries(arg, "a mapping with `columns`, `name` and `value`") {
                    match self.key_name(k).as_str() {
                        "columns" => columns = self.names_of(v),
                        "name" => name = self.ident_of(v),
                        "value" => value = self.ident_of(v),
                        other => {
                            self.unknown_key(k, other, &["columns", "name", "value"], "unpivot")
                        }
                    }
                }
                Operator::Unpivot {
                    columns,
                    name,
                    value,
                }
            }
            "derive" => Operator::Derive {
                columns: self.assignments(arg),
            },
            "rename" => Operator::Rename {
                pairs: self
                    .entries(arg, "a mapping of old: new")
                    .iter()
                    .map(|(k, v)| RenamePair {
                        from: self.ident_of(k),
                        to: self.ident_of(v),
                    })
                    .collect(),
            },
            "cast" => Operator::Cast {
                pairs: self
                    .entries(arg, "a mapping of column: type")
                    .iter()
                    .filter_map(|(k, v)| {
                        Some(CastPair {
                            column: self.ident_of(k),
                            ty: self.type_ref(v)?,
                        })
                    })
                    .collect(),
            },
            "fill_null" => Operator::FillNull {
                spec: match &arg.value {
                    Value::Map(entries) => FillSpec::Columns(
                        entries
                            .iter()
                            .map(|(k, v)| (self.ident_of(k), self.fill_value(v)))
                            .collect(),
                    ),
                    _ => FillSpec::All(self.fill_value(arg)),
                },
            },
            "group" => {
                let mut keys = Vec::new();
                let mut aggregates = Vec::new();
                let mut grouping = None;
                let mut window = None;
                for (k, v) in self.entries(arg, "a mapping with `by` and `agg`") {
                    match self.key_name(k).as_str() {
                        "by" => keys = self.names_of(v),
                        "rollup" => grouping = Some(GroupingSets::Rollup(self.names_of(v))),
                        "cube" => grouping = Some(GroupingSets::Cube(self.names_of(v))),
                        "grouping_sets" => {
                            let sets = match &v.value {
                                Value::Seq(items) => {
                                    items.iter().map(|s| self.names_of(s)).collect()
                                }
                                _ => {
                                    self.shape(v, "a list of key lists, e.g. `[[a, b], [a], []]`");
                                    Vec::new()
                                }
                            };
                            grouping = Some(GroupingSets::Sets(sets));
                        }
                        "agg" => aggregates = self.assignments(v),
                        "window" => window = self.event_window(v),
                        other => self.unknown_key(
                            k,
                            other,
                            &["by", "window", "rollup", "cube", "grouping_sets", "agg"],
                            "group",
                        ),
                    }
                }
                if let Some(sets) = &grouping {
                    keys = sets.columns();
                }
                Operator::Group {
                    keys,
                    aggregates,
                    grouping,
                    window,
                }
            }
            "watermark" => {
                let (mut column, mut delay, mut late) = (None, None, None);
                for (k, v) in self.entries(arg, "a mapping with `column` and `delay`") {
                    match self.key_name(k).as_str() {
                        "column" => column = Some(self.ident_of(v)),
                        "delay" => delay = self.expr(v),
                        "late" => late = Some(self.ident_of(v)),
                        other => {
                            self.unknown_key(k, other, &["column", "delay", "late"], "watermark")
                        }
                    }
                }
                let Some(column) = column else {
                    self.shape(arg, "a mapping with `column` (the event time) and `delay`");
                    return None;
                };
                let Some(delay) = delay else {
                    self.shape(
                        arg,
                        "a mapping with `column` and `delay` (a duration such as `10s`)",
                    );
                    return None;
                };
                Operator::Watermark {
                    column,
                    delay,
                    late,
                }
            }
            "window" => {
                let mut partition_by = Vec::new();
                let mut order_by = Vec::new();
                let mut columns = Vec::new();
                for (k, v) in self.entries(arg, "a mapping with `by`, `order` and `columns`") {
                    match self.key_name(k).as_str() {
                        "by" => partition_by = self.names_of(v),
                        "order" => order_by = self.sort_keys(v),
                        "columns" => {
                            for (name, value) in
                                self.entries(v, "a mapping of name: window function")
                            {
                                let name = self.ident_of(name);
                                let Value::Str(text) = &value.value else {
                                    self.shape(value, "a call such as `row_number()` or `sum(x) rows between 1 preceding and current row`");
                                    continue;
                                };
                                let offset = self.value_offset(value, text, 0);
                                match dsl::parse_window_call(text, offset) {
                                    Ok((value, frame)) => {
                                        columns.push(WindowColumn { name, value, frame })
                                    }
                                    Err(d) => self.diagnostics.push(d),
                                }
                            }
                        }
                        other => self.unknown_key(k, other, &["by", "order", "columns"], "window"),
                    }
                }
                Operator::Window {
                    partition_by,
                    order_by,
                    columns,
                }
            }
            "sort" => Operator::Sort {
                keys: self.sort_keys(arg),
            },
            // `take: 10`, or `take: {count: 10, offset: 20}`.
            "take" => match &arg.value {
                Value::Map(_) => {
                    let (mut count, mut offset) = (None, None);
                    for (k, v) in self.entries(arg, "a mapping with `count` and `offset`") {
                        match self.key_name(k).as_str() {
                            "count" => count = Some(self.value_expr(v)),
                            "offset" => offset = Some(self.value_expr(v)),
                            other => self.unknown_key(k, other, &["count", "offset"], "take"),
                        }
                    }
                    Operator::Take {
                        count: count?,
                        offset,
                    }
                }
                _ => Operator::Take {
                    count: self.value_expr(arg),
                    offset: None,
                },
            },
            "join" => {
                let mut kind = JoinKind::Inner;
                let mut right = None;
                let mut on = Vec::new();
                let mut conditions = Vec::new();
                let mut asof = None;
                let mut cross = false;
                for (k, v) in self.entries(arg, "a mapping with `with`, `kind` and `on`") {
                    match self.key_name(k).as_str() {
                        "with" => right = Some(self.ident_of(v)),
                        "kind" => {
                            let name = self.key_name(v);
                            match JoinKind::from_name(&name) {
                                _ if name == "cross" => cross = true,
                                Some(k) => kind = k,
                                None => self.diagnostics.push(
                                    Diagnostic::error(
                                        Code::SyntaxError,
                                        format!("unknown join kind `{name}`"),
                                        v.span,
                                        "not a join kind",
                                    )
                                    .with_help(
                                        "join kinds are inner, left, right, full, semi, anti and cross",
                                    ),
                                ),
                            }
                        }
                        "on" => {
                            let items: Vec<Node> = match &v.value {
                                Value::Seq(items) => items.clone(),
                                _ => vec![v.clone()],
                            };
                            for item in &items {
                                let Value::Str(s) = &item.value else {
                                    self.shape(item, "a join key such as `id` or `a == b`");
                                    continue;
                                };
                                let offset = self.value_offset(item, s, 0);
                                match dsl::parse_join_item(s, offset) {
                                    Ok(JoinItem::Key(key)) => on.push(key),
                                    Ok(JoinItem::Condition(c)) => conditions.push(c),
                                    Err(d) => self.diagnostics.push(d),
                                }
                            }
                        }
                        "asof" => match &v.value {
                            Value::Bool(true) => asof = asof.or(Some(AsOf { within: None })),
                            Value::Bool(false) => {}
                            _ => self.shape(v, "`true` or `false`"),
                        },
                        "within" => {
                            asof = Some(AsOf {
                                within: Some(self.value_expr(v)),
                            })
                        }
                        other => self.unknown_key(
                            k,
                            other,
                            &["with", "kind", "on", "asof", "within"],
                            "join",
                        ),
                    }
                }
                let Some(right) = right else {
                    self.shape(arg, "a `with: RELATION` entry");
                    return None;
                };
                if cross {
                    Operator::CrossJoin { right }
                } else {
                    Operator::Join {
                        kind,
                        right,
                        on,
                        conditions,
                        asof,
                    }
                }
            }
            "sample" => match &arg.value {
                Value::Map(entries) => {
                    let mut fraction = None;
                    let mut seed = None;
                    for (k, v) in entries {
                        match self.key_name(k).as_str() {
                            "fraction" => fraction = Some(self.value_expr(v)),
                            "seed" => seed = Some(self.value_expr(v)),
                            other => self.unknown_key(k, other, &["fraction", "seed"], "sample"),
                        }
                    }
                    Operator::Sample {
                        fraction: fraction?,
                        seed,
                    }
                }
                _ => Operator::Sample {
                    fraction: self.value_expr(arg),
                    seed: None,
                },
            },
            "split" => {
                let mut fractions = Vec::new();
                let mut seed = None;
                let mut stratify = None;
                for (k, v) in self.entries(arg, "a mapping with `fractions`, `seed` and `stratify`")
                {
                    match self.key_name(k).as_str() {
                        "fractions" => match &v.value {
                            Value::Seq(items) => {
                                fractions = items.iter().map(|n| self.value_expr(n)).collect()
                            }
                            _ => self.shape(v, "a list of fractions"),
                        },
                        "seed" => seed = Some(self.value_expr(v)),
                        "stratify" => stratify = Some(self.ident_of(v)),
                        other => {
                            self.unknown_key(k, other, &["fractions", "seed", "stratify"], "split")
                        }
                    }
                }
                Operator::Split {
                    fractions,
                    seed,
                    stratify,
                }
            }
            "repartition" => Operator::Repartition {
                scheme: self.expr(arg)?,
            },
            "fit" => {
                let (estimator, args) = self.named_call(
                    arg,
                    "an estimator with its arguments: `{logistic_regression: {label: y, features: [a, b]}}`",
                )?;
                Operator::Fit { estimator, args }
            }
            "cross_validate" => {
                let mut estimator = None;
                let mut options = Vec::new();
                for (k, v) in self.entries(
                    arg,
                    "an estimator with its arguments, and folds, metric, seed",
                ) {
                    let key_name = self.key_name(k);
                    if estimator.is_none() && !CV_OPTIONS.contains(&key_name.as_str()) {
                        estimator = Some((Ident::new(key_name, k.span), self.ml_args(v)));
                    } else {
                        let value = if key_name == "metric" {
                            self.name_expr(v)
                        } else {
                            self.value_expr(v)
                        };
                        options.push(Arg {
                            name: Some(Ident::new(key_name, k.span)),
                            value,
                        });
                    }
                }
                let Some((estimator, args)) = estimator else {
                    self.shape(
                        arg,
                        "`{logistic_regression: {...}, folds: 5, metric: roc_auc}`",
                    );
                    return None;
                };
                Operator::CrossValidate {
                    estimator,
                    args,
                    options,
                }
            }
            "evaluate" => {
                let (kind, args) =
                    self.named_call(arg, "an evaluation: `binary` or `{binary: {label: y}}`")?;
                Operator::Evaluate { kind, args }
            }
            "predict" => Operator::Predict {
                model: self.ident_of(arg),
            },
            t if sluice_stdlib::ml::spec::TransformerSpec::KEYWORDS.contains(&t) => {
                let transformer = Ident::new(t, key_span);
                match &arg.value {
                    Value::Map(entries) => {
                        let mut columns = Vec::new();
                        let mut args = Vec::new();
                        for (k, v) in entries {
                            let key_name = self.key_name(k);
                            if key_name == "columns" {
                                columns = self.names_of(v);
                            } else {
                                let value = if NAME_ARGS.contains(&key_name.as_str()) {
                                    self.name_expr(v)
                                } else {
                                    self.value_expr(v)
                                };
                                args.push(Arg {
                                    name: Some(Ident::new(key_name, k.span)),
                                    value,
                                });
                            }
                        }
                        Operator::Transform {
                            transformer,
                            columns,
                            args,
                        }
                    }
                    _ => Operator::Transform {
                        transformer,
                        columns: self.names_of(arg),
                        args: Vec::new(),
                    },
                }
            }
            other => {
                self.diagnostics
                    .push(dsl::unknown_operator(other, key_span));
                return None;
            }
        };
        Some(Step {
            op,
            keyword: key_span,
            span,
        })
    }

    fn optional_names(&mut self, node: &Node) -> Vec<Ident> {
        match &node.value {
            Value::Null | Value::Bool(true) => Vec::new(),
            _ => self.names_of(node),
        }
    }

    /// `[Magnitude desc, ID]` (or one key).
    fn sort_keys(&mut self, arg: &Node) -> Vec<SortKey> {
        let items: Vec<Node> = match &arg.value {
            Value::Seq(items) => items.clone(),
            _ => vec![arg.clone()],
        };
        let mut keys = Vec::new();
        for item in &items {
            let Value::Str(s) = &item.value else {
                self.shape(item, "a sort key such as `Magnitude desc`");
                continue;
            };
            let offset = self.value_offset(item, s, 0);
            match dsl::parse_sort_key(s, offset) {
                Ok(k) => keys.push(k),
                Err(d) => self.diagnostics.push(d),
            }
        }
        keys
    }

    /// `explode: tags`, or `explode: { column: tags, position: i }`.
    fn explode(&mut self, arg: &Node) -> Operator {
        if !matches!(arg.value, Value::Map(_)) {
            return Operator::Explode {
                column: self.ident_of(arg),
                position: None,
            };
        }
        let mut column = Ident::new("", arg.span);
        let mut position = None;
        for (k, v) in self.entries(arg, "a column, or a mapping with `column` and `position`") {
            match self.key_name(k).as_str() {
                "column" => column = self.ident_of(v),
                "position" => position = Some(self.ident_of(v)),
                other => self.unknown_key(k, other, &["column", "position"], "explode"),
            }
        }
        Operator::Explode { column, position }
    }

    fn assignments(&mut self, node: &Node) -> Vec<Assignment> {
        let entries = self.entries(node, "a mapping of name: expression");
        let mut out = Vec::new();
        for (k, v) in entries {
            let name = self.ident_of(k);
            if let Some(value) = self.expr(v) {
                out.push(Assignment { name, value });
            }
        }
        out
    }

    fn fill_value(&mut self, node: &Node) -> FillValue {
        if let Value::Str(s) = &node.value
            && matches!(s.as_str(), "mean" | "median" | "mode")
        {
            return FillValue::Strategy(Ident::new(s.clone(), self.inner_span(node)));
        }
        FillValue::Constant(self.value_expr(node))
    }

    fn sink(&mut self, node: &Node) -> Option<SinkDecl> {
        let mut input = None;
        let mut format = None;
        let mut args = Vec::new();
        let formats = [
            "csv", "tsv", "jsonl", "parquet", "arrow", "json", "console", "model",
        ];
        for (k, v) in self.entries(node, "a mapping such as {from: rel, csv: path}") {
            let key_name = self.key_name(k);
            if key_name == "from" {
                input = Some(self.ident_of(v));
            } else if formats.contains(&key_name.as_str()) && format.is_none() {
                format = Some(Ident::new(key_name, k.span));
                if !matches!(v.value, Value::Null) {
                    args.insert(
                        0,
                        Arg {
                            name: None,
                            value: self.value_expr(v),
                        },
                    );
                }
            } else {
                args.push(Arg {
                    name: Some(Ident::new(key_name, k.span)),
                    value: self.value_expr(v),
                });
            }
        }
        let (Some(input), Some(format)) = (input, format) else {
            self.shape(node, "a sink with `from` and a format key (csv, tsv, jsonl, parquet, arrow, json, console)");
            return None;
        };
        Some(SinkDecl {
            input,
            format,
            args,
            span: node.span,
        })
    }
}
