//! The resolver: from an AST to a typed, checked [`LogicalPlan`].
//!
//! It binds every name (params, sources, relations, columns, functions), infers each
//! source's schema from its file (declared schemas win), types every expression against
//! the stdlib catalogue, and builds the plan DAG. It reports every problem it finds in
//! the file, not just the first: an unknown name stands for a value of unknown type
//! (reported once, raising nothing more), and the steps after a step with an error are
//! checked against a stand-in for its output (see [`recovery`]).

mod consts;
mod expr;
mod group_expressions;
mod grouping_sets;
mod hints;
mod join_conditions;
mod models;
mod params;
mod path_clashes;
mod pivot;
mod plan_depth;
mod recovery;
mod sources;
pub use sources::csv_options;
mod event_windows;
mod output_modes;
mod set_operations;
mod sort_expressions;
mod steps;
mod stream_steps;
pub mod streams;
mod window;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::plan::{ConstValue, LogicalPlan, PlanNode, PlanOp};
use crate::syntax::ast::{Item, LetDecl, Pipeline, SinkDecl, Span};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::io::Format;
use sluice_stdlib::{DataType, Schema};
use std::cell::Cell;
use std::collections::HashMap;
use std::path::PathBuf;

/// What the caller adds to the file: `--param name=value` overrides.
#[derive(Clone, Debug, Default)]
pub struct ResolveOptions {
    pub params: Vec<(String, String)>,
    /// Where relative paths start; the working directory when `None`.
    pub base_dir: Option<PathBuf>,
}

/// A param once its value is known.
#[derive(Clone, Debug)]
pub(crate) struct ParamInfo {
    pub value: ConstValue,
    pub used: Cell<bool>,
}

/// A named relation (source or `let`).
#[derive(Clone, Debug)]
pub(crate) struct RelationInfo {
    /// `None` when the relation had an error: its users are not checked against it.
    pub node: Option<NodeIndex>,
    pub span: Span,
    pub used: Cell<bool>,
    pub is_source: bool,
    /// Set for models: their signature, `None` when the model had errors.
    pub model: Option<Option<models::ModelSignature>>,
}

pub(crate) struct Resolver<'o> {
    pub diags: Diagnostics,
    pub params: indexmap::IndexMap<String, ParamInfo>,
    /// Params whose declaration had an error: their uses are not reported again.
    pub failed_params: std::collections::HashSet<String>,
    pub relations: HashMap<String, RelationInfo>,
    /// Names in declaration order, for suggestions.
    pub relation_order: Vec<String>,
    pub plan: LogicalPlan,
    pub options: &'o ResolveOptions,
    /// Every name the file declares anywhere, with where: to tell "used before declared"
    /// from "unknown".
    pub declared_later: HashMap<String, Span>,
    /// The aggregate whose arguments are being typed, if any (an aggregate inside
    /// another is reported as such).
    pub inside_aggregate: Option<String>,
}

/// Every column the resolver derives for itself (hidden keys, hidden aggregates, packed
/// lists) has a name starting with this, so it never takes a user's name and messages
/// can leave it out.
pub(crate) const HIDDEN_PREFIX: &str = "__sluice_";

/// Whether `name` is one of the resolver's hidden columns.
pub(crate) fn is_hidden(name: &str) -> bool {
    name.starts_with(HIDDEN_PREFIX)
}

/// Resolves a parsed pipeline to its logical plan. Warnings come back with the plan;
/// errors (with any warnings) come back instead of it.
pub fn resolve(
    pipeline: &Pipeline,
    options: &ResolveOptions,
) -> (Option<LogicalPlan>, Vec<Diagnostic>) {
    let mut r = Resolver {
        diags: Diagnostics::default(),
        params: indexmap::IndexMap::new(),
        failed_params: Default::default(),
        relations: HashMap::new(),
        relation_order: Vec::new(),
        plan: LogicalPlan::default(),
        options,
        declared_later: HashMap::new(),
        inside_aggregate: None,
    };
    for item in &pipeline.items {
        match item {
            Item::Source(s) => {
                r.declared_later
                    .entry(s.name.name.clone())
                    .or_insert(s.name.span);
            }
            Item::Let(l) => {
                for n in &l.names {
                    r.declared_later.entry(n.name.clone()).or_insert(n.span);
                }
                for step in &l.steps {
                    if let crate::syntax::ast::Operator::Watermark { late: Some(n), .. } = &step.op
                    {
                        r.declared_later.entry(n.name.clone()).or_insert(n.span);
                    }
                }
            }
            Item::Model(m) => {
                r.declared_later
                    .entry(m.name.name.clone())
                    .or_insert(m.name.span);
            }
            _ => {}
        }
    }
    r.params(pipeline);
    for item in &pipeline.items {
        match item {
            Item::Param(_) => {}
            Item::Source(s) if s.stream => r.stream_source(s),
            Item::Source(s) => r.source(s),
            Item::Let(l) => r.let_decl(l),
            Item::Model(m) => r.model_decl(m),
            Item::Sink(s) => r.sink(s),
        }
    }
    r.check_plan_depth();
    r.check_path_clashes();
    // "Never used" is noise while errors stand: the use may be the misspelt name.
    if !r.diags.has_errors() {
        r.unused();
    }
    let has_errors = r.diags.has_errors();
    let diagnostics = r.diags.sorted();
    if has_errors {
        (None, diagnostics)
    } else {
        (Some(r.plan), diagnostics)
    }
}

impl Resolver<'_> {
    pub(crate) fn schema(&self, node: NodeIndex) -> &Schema {
        &self.plan.graph[node].schema
    }

    /// Declares a relation name, reporting a duplicate.
    pub(crate) fn declare(
        &mut self,
        name: &crate::syntax::ast::Ident,
        node: Option<NodeIndex>,
        is_source: bool,
    ) {
        if let Some(prev) = self.relations.get(&name.name) {
            let prev_span = prev.span;
            self.diags.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("`{}` is declared twice", name.name),
                    name.span,
                    "declared again here",
                )
                .with_label(prev_span, "first declared here")
                .with_help("give the second one another name"),
            );
            return;
        }
        self.relation_order.push(name.name.clone());
        self.relations.insert(
            name.name.clone(),
            RelationInfo {
                node,
                span: name.span,
                used: Cell::new(false),
                is_source,
                model: None,
            },
        );
    }

    /// Looks a relation (not a model) up for use. `Err(())` means an error was
    /// reported; `Ok(None)` means the relation exists but had errors of its own.
    pub(crate) fn lookup(
        &mut self,
        name: &crate::syntax::ast::Ident,
    ) -> Result<Option<NodeIndex>, ()> {
        if self
            .relations
            .get(&name.name)
            .is_some_and(|i| i.model.is_some())
        {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidModel,
                    format!("`{}` is a model, not a relation", name.name),
                    name.span,
                    "a model",
                )
                .with_help(format!(
                    "apply it to a relation with `| predict {}`",
                    name.name
                )),
            );
            return Err(());
        }
        self.lookup_any(name)
    }

    /// Looks a relation or a model up for use.
    pub(crate) fn lookup_any(
        &mut self,
        name: &crate::syntax::ast::Ident,
    ) -> Result<Option<NodeIndex>, ()> {
        if let Some(info) = self.relations.get(&name.name) {
            info.used.set(true);
            return Ok(info.node);
        }
        if let Some(progress) = self.progress_relation(name) {
            return Ok(Some(progress));
        }
        if let Some(later) = self.declared_later.get(&name.name).copied() {
            self.diags.push(
                Diagnostic::error(
                    Code::UsedBeforeDeclared,
                    format!("relation `{}` is used before it is declared", name.name),
                    name.span,
                    "used here",
                )
                .with_label(later, "declared here")
                .with_help("move its declaration above this line"),
            );
            return Err(());
        }
        let mut d = Diagnostic::error(
            Code::UnknownRelation,
            format!("unknown relation `{}`", name.name),
            name.span,
            "not declared",
        );
        d.help = did_you_mean(&name.name, self.relation_order.iter().map(String::as_str)).or_else(
            || Some("declare it with `source NAME = ...` or `let NAME = ...` first".into()),
        );
        self.diags.push(d);
        Err(())
    }

    fn let_decl(&mut self, decl: &LetDecl) {
        let input = self.lookup(&decl.input);
        let mut current = match input {
            Ok(Some(n)) => Some(n),
            _ => None,
        };
        let split_at = decl
            .steps
            .iter()
            .position(|s| matches!(s.op, crate::syntax::ast::Operator::Split { .. }));
        if let Some(i) = split_at
            && i + 1 != decl.steps.len()
        {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidSplit,
                    "`split` must be the last step of its chain",
                    decl.steps[i].keyword,
                    "not last",
                )
                .with_help(
                    "split into named relations first, then continue each one with its own `let`",
                ),
            );
            current = None;
        }
        if split_at.is_none() && decl.names.len() > 1 {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidSplit,
                    format!("{} names are declared but the chain does not end in `split`", decl.names.len()),
                    decl.names[1].span,
                    "extra name",
                )
                .with_help("only `split` produces several relations: `let train, test = data | split 0.8, 0.2`"),
            );
            current = None;
        }
        let mut parts = None;
        for step in &decl.steps {
            let Some(node) = current else { break };
            if let crate::syntax::ast::Operator::Split {
                fractions,
                seed,
                stratify,
            } = &step.op
            {
                if !self.allowed_on_stream(node, step) {
                    current = None;
                    break;
                }
                parts = self.split(
                    node,
                    step,
                    fractions,
                    seed.as_ref(),
                    stratify.as_ref(),
                    &decl.names,
                );
                current = None;
                break;
            }
            current = self.step(node, step).or_else(|| self.recover(node, step));
        }
        let hints = self.hints(
            &decl.hints,
            current.or(parts.as_ref().and_then(|p| p.first().copied())),
        );
        match parts {
            Some(nodes) => {
                for (name, node) in decl.names.iter().zip(nodes) {
                    self.plan.graph[node].relation = Some(name.name.clone());
                    self.plan.graph[node].hints = hints.clone();
                    self.declare(name, Some(node), false);
                }
            }
            None => {
                if let Some(node) = current {
                    // A `let` without steps names the same node as its input.
                    let n = &mut self.plan.graph[node];
                    if n.relation.is_none() || !decl.steps.is_empty() {
                        n.relation = Some(decl.names[0].name.clone());
                    }
                    n.hints = hints;
                }
                for name in &decl.names {
                    self.declare(name, current, false);
                }
            }
        }
    }

    fn sink(&mut self, decl: &SinkDecl) {
        let Ok(input) = self.lookup_any(&decl.input) else {
            return;
        };
        let format_name = decl.format.name.as_str();
        let is_model = self
            .relations
            .get(&decl.input.name)
            .is_some_and(|i| i.model.is_some());
        if is_model != (format_name == "model") {
            let (message, help) = if is_model {
                (
                    format!(
                        "`{}` is a model; it can only be written as one",
                        decl.input.name
                    ),
                    format!(
                        "write `sink {} -> model(\"out/{}.model\")`",
                        decl.input.name, decl.input.name
                    ),
                )
            } else {
                (
                    format!("`{}` is a relation, not a model", decl.input.name),
                    "write a relation to csv, parquet, json, ...; `model(...)` takes a model"
                        .to_string(),
                )
            };
            self.diags.push(
                Diagnostic::error(Code::InvalidModel, message, decl.format.span, "wrong sink")
                    .with_help(help),
            );
            return;
        }
        let Some(format) = Format::from_name(format_name).filter(|f| Format::SINKS.contains(f))
        else {
            let names: Vec<&str> = Format::SINKS.iter().map(|f| f.name()).collect();
            let mut d = Diagnostic::error(
                Code::UnknownFormat,
                format!("unknown sink format `{format_name}`"),
                decl.format.span,
                "not a format",
            );
            d.help = did_you_mean(format_name, names.iter().copied())
                .or_else(|| Some(format!("sink formats are {}", names.join(", "))));
            self.diags.push(d);
            return;
        };
        let Some((args, output)) = self.output_mode(decl, format, input) else {
            return;
        };
        let (path, mut options) = self.io_args(format, true, &args);
        if let Some(mode) = output {
            options.push(("output".into(), ConstValue::String(mode.name().into())));
        }
        if format != Format::Console && path.is_none() && !has_positional(&decl.args) {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    format!("a `{format}` sink needs a path"),
                    decl.format.span,
                    "no path",
                )
                .with_help(format!(
                    "write `sink {} -> {format}(\"out/file.{format}\")`",
                    decl.input.name
                )),
            );
            return;
        }
        let Some(input) = input else { return };
        let schema = self.schema(input).clone();
        if matches!(format, Format::Csv | Format::Tsv) {
            for field in &schema.fields {
                if let DataType::List(_) = field.data_type {
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnwritableColumn,
                            format!(
                                "`{}` is {}, and a `{format}` file holds one value per field",
                                field.name, field.data_type
                            ),
                            decl.format.span,
                            "cannot write a list",
                        )
                        .with_help(format!(
                            "add `| explode {0}` (a row per item) or `| derive {0} = concat_ws(\",\", {0})` before the sink, or write jsonl, json, parquet or arrow",
                            sluice_stdlib::types::display_name(&field.name)
                        )),
                    );
                }
            }
        }
        self.check_partition_by(&decl.args, &options, &schema);
        let node = PlanNode {
            op: PlanOp::Sink {
                format,
                path,
                options,
            },
            schema,
            relation: None,
            hints: Default::default(),
            sharing: None,
            span: decl.span,
        };
        let id = self.plan.add(node, &[input]);
        self.plan.sinks.push(id);
    }

    /// A sink's `partition_by` names columns it has, leaves some for the files, and
    /// holds no list (a folder name is one value).
    fn check_partition_by(
        &mut self,
        args: &[crate::syntax::ast::Arg],
        options: &[(String, ConstValue)],
        schema: &Schema,
    ) {
        let Some((_, ConstValue::List(columns))) =
            options.iter().find(|(k, _)| k == "partition_by")
        else {
            return;
        };
        let Some(arg) = args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == "partition_by"))
        else {
            return;
        };
        let span = arg.value.span;
        // Each column's own span when they are written as a list.
        let item_spans: Vec<Span> = match &arg.value.kind {
            crate::syntax::ast::ExprKind::List(items) => items.iter().map(|i| i.span).collect(),
            _ => Vec::new(),
        };
        let mut known = std::collections::HashSet::new();
        for (i, c) in columns.iter().enumerate() {
            let ConstValue::String(c) = c else { continue };
            let span = item_spans.get(i).copied().unwrap_or(span);
            if schema.field(c).is_some() {
                known.insert(c.as_str());
            }
            match schema.field(c) {
                None => {
                    let mut d = Diagnostic::error(
                        Code::UnknownColumn,
                        format!("no column `{c}` to partition by"),
                        span,
                        "not a column of the relation",
                    );
                    d.help = did_you_mean(c, schema.names()).or_else(|| {
                        Some(format!(
                            "columns: {}",
                            schema.names().collect::<Vec<_>>().join(", ")
                        ))
                    });
                    self.diags.push(d);
                }
                Some(f) if matches!(f.data_type, DataType::List(_)) => self.diags.push(
                    Diagnostic::error(
                        Code::UnwritableColumn,
                        format!(
                            "`{c}` is {}; a partition folder holds one value",
                            f.data_type
                        ),
                        span,
                        "a list",
                    )
                    .with_help("partition by a scalar column"),
                ),
                Some(_) => {}
            }
        }
        if known.len() >= schema.len() {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidConstant,
                    "`partition_by` takes every column, so the part files would hold none",
                    span,
                    "every column",
                )
                .with_help("leave at least one column out of partition_by"),
            );
        }
    }

    fn unused(&mut self) {
        let mut unused: Vec<(Span, String, bool)> = self
            .relations
            .iter()
            .filter(|(_, info)| !info.used.get())
            .map(|(name, info)| (info.span, name.clone(), info.is_source))
            .collect();
        unused.sort();
        for (span, name, is_source) in unused {
            let kind = match self.relations.get(&name).map(|i| i.model.is_some()) {
                Some(true) => "model",
                _ if is_source => "source",
                _ => "relation",
            };
            self.diags.push(
                Diagnostic::error(
                    Code::UnusedRelation,
                    format!("{kind} `{name}` is never used"),
                    span,
                    "declared here",
                )
                .with_help("send it to a sink, use it in another relation, or remove it"),
            );
        }
    }
}

/// Whether a path was written (its own errors are reported where it is checked).
pub(crate) fn has_positional(args: &[crate::syntax::ast::Arg]) -> bool {
    args.first().is_some_and(|a| a.name.is_none())
}

/// A type name for messages: `int64?` for nullable.
pub(crate) fn type_name(t: &DataType, nullable: bool) -> String {
    if nullable {
        format!("{t}?")
    } else {
        t.to_string()
    }
}
