//! The formatter: one canonical DSL layout for any AST (from the DSL or from YAML).
//!
//! Layout: the `pipeline` header, then declarations separated by a blank line (runs of
//! params and of sinks stay together); each pipe step on its own line indented by two
//! spaces; blocks (`{ ... }`) on one line when it fits in [`WIDTH`] columns, else one
//! item per line with a trailing comma. Expressions get the fewest parentheses that
//! keep their meaning. Every `#` comment of the source is kept: a comment on its own
//! line goes before the declaration or step that follows it, a comment after code stays
//! at the end of that line. Formatting is idempotent and keeps the AST unchanged.

mod expr;

pub use expr::expr as format_expr;

use crate::syntax::ast::*;
use crate::syntax::comments::{self, Comment};
use sluice_stdlib::types::display_name;
use std::collections::VecDeque;

/// Lines longer than this are broken up.
pub const WIDTH: usize = 100;

/// Formats a pipeline; `source` (the DSL text it was parsed from) supplies comments.
pub fn format(pipeline: &Pipeline, source: Option<&str>) -> String {
    let comments: VecDeque<Comment> = source.map(comments::extract).unwrap_or_default().into();
    let mut f = Formatter {
        out: String::new(),
        comments,
        last_end: None,
    };
    f.pipeline(pipeline);
    f.finish()
}

struct Formatter {
    out: String,
    comments: VecDeque<Comment>,
    /// The source offset where the last emitted unit ended.
    last_end: Option<usize>,
}

impl Formatter {
    /// Emits the comments before a unit starting at `start`, then notes where it ends.
    fn comments_before(&mut self, start: usize, indent: &str) {
        while let Some(c) = self.comments.front() {
            if c.start >= start {
                break;
            }
            let c = self.comments.pop_front().expect("front exists");
            // Code precedes a trailing comment on its line: the last unit emitted (pest
            // spans run on over trailing comments, so their ends cannot tell).
            if c.trailing && self.last_end.is_some() && !self.out.is_empty() {
                if self.out.ends_with('\n') {
                    self.out.pop();
                }
                self.out.push_str("  ");
                self.out.push_str(&c.text);
                self.out.push('\n');
            } else {
                self.out.push_str(indent);
                self.out.push_str(&c.text);
                self.out.push('\n');
            }
        }
    }

    /// Emits the trailing comments (code before them on their line) that come before
    /// `start`, so a blank line is not put between them and their code.
    fn trailing_comments(&mut self, start: usize) {
        while self
            .comments
            .front()
            .is_some_and(|c| c.trailing && c.start < start)
        {
            self.comments_before(self.comments.front().map_or(start, |c| c.start + 1), "");
        }
    }

    fn unit(&mut self, span: Span, indent: &str, text: &str) {
        self.comments_before(span.start, indent);
        for line in text.lines() {
            if line.is_empty() {
                self.out.push('\n');
            } else {
                self.out.push_str(indent);
                self.out.push_str(line);
                self.out.push('\n');
            }
        }
        self.last_end = Some(span.end);
    }

    fn finish(mut self) -> String {
        self.comments_before(usize::MAX, "");
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.out
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn pipeline(&mut self, p: &Pipeline) {
        if let Some(name) = &p.name {
            self.unit(
                name.span,
                "",
                &format!("pipeline {}", display_name(&name.name)),
            );
        }
        let mut previous: Option<&Item> = None;
        for item in &p.items {
            let together = matches!(
                (previous, item),
                (Some(Item::Param(_)), Item::Param(_)) | (Some(Item::Sink(_)), Item::Sink(_))
            );
            if !together {
                self.trailing_comments(item.span().start);
                self.blank();
            }
            match item {
                Item::Param(d) => self.unit(d.span, "", &param(d)),
                Item::Source(d) => self.unit(d.span, "", &source(d)),
                Item::Sink(d) => self.unit(d.span, "", &sink(d)),
                Item::Let(d) => self.let_decl(d),
                Item::Model(d) => self.model_decl(d),
            }
            previous = Some(item);
        }
    }

    fn model_decl(&mut self, d: &ModelDecl) {
        let head_end = d.steps.first().map_or(d.span.end, |s| s.span.start);
        self.unit(
            Span::new(d.span.start, head_end),
            "",
            &format!(
                "model {} = {}",
                display_name(&d.name.name),
                display_name(&d.input.name)
            ),
        );
        for s in &d.steps {
            self.unit(s.span, "  ", &format!("| {}", step(&s.op)));
        }
    }

    fn let_decl(&mut self, d: &LetDecl) {
        let names: Vec<String> = d.names.iter().map(|n| display_name(&n.name)).collect();
        let head_end = d.steps.first().map_or(d.span.end, |s| s.span.start);
        self.unit(
            Span::new(d.span.start, head_end),
            "",
            &format!("let {} = {}", names.join(", "), display_name(&d.input.name)),
        );
        for s in &d.steps {
            self.unit(s.span, "  ", &format!("| {}", step(&s.op)));
        }
        if !d.hints.is_empty() {
            let start = d.hints[0].span.start;
            let end = d.hints.last().map_or(start, |h| h.span.end);
            self.unit(Span::new(start, end), "  ", &hints(&d.hints));
        }
    }
}

fn param(d: &ParamDecl) -> String {
    let mut s = format!("param {}", display_name(&d.name.name));
    if let Some(t) = &d.ty {
        s.push_str(&format!(": {}", type_ref(t)));
    }
    if let Some(e) = &d.default {
        s.push_str(&format!(" = {}", format_expr(e)));
    }
    s
}

pub(crate) fn type_ref(t: &TypeRef) -> String {
    format!("{}{}", t.data_type, if t.nullable { "?" } else { "" })
}

fn args(args: &[Arg]) -> String {
    args.iter()
        .map(|a| match &a.name {
            Some(n) => format!("{} = {}", display_name(&n.name), format_expr(&a.value)),
            None => format_expr(&a.value),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn hints(hs: &[Hint]) -> String {
    hs.iter()
        .map(|h| {
            if h.args.is_empty() {
                format!("@{}", h.name.name)
            } else {
                format!("@{}({})", h.name.name, args(&h.args))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `head(a, b = c)`, or one argument per line when that is wider than [`WIDTH`].
fn call_block(head: &str, arguments: &[Arg]) -> String {
    let inline = format!("{head}({})", args(arguments));
    if inline.len() <= WIDTH {
        return inline;
    }
    let mut s = format!("{head}(\n");
    for a in arguments {
        let line = args(std::slice::from_ref(a));
        match (&a.name, &a.value.kind) {
            // A long list (`features = [...]`) gets one item per line.
            (Some(name), ExprKind::List(items)) if line.len() + 2 > WIDTH => {
                s.push_str(&format!("  {} = [\n", display_name(&name.name)));
                for item in items {
                    s.push_str(&format!("    {},\n", format_expr(item)));
                }
                s.push_str("  ],\n");
            }
            _ => s.push_str(&format!("  {line},\n")),
        }
    }
    s.push(')');
    s
}

fn source(d: &SourceDecl) -> String {
    let mut s = call_block(
        &format!(
            "{} {} = {}",
            if d.stream { "stream" } else { "source" },
            display_name(&d.name.name),
            d.format.name
        ),
        &d.args,
    );
    if let Some(fields) = &d.schema {
        let items: Vec<String> = fields
            .iter()
            .map(|f| format!("{}: {}", display_name(&f.name.name), type_ref(&f.ty)))
            .collect();
        s.push_str(" {\n");
        for i in items {
            s.push_str(&format!("  {i},\n"));
        }
        s.push('}');
    }
    if !d.hints.is_empty() {
        s.push(' ');
        s.push_str(&hints(&d.hints));
    }
    s
}

fn sink(d: &SinkDecl) -> String {
    let head = format!("sink {} -> {}", display_name(&d.input.name), d.format.name);
    if d.args.is_empty() {
        head
    } else {
        call_block(&head, &d.args)
    }
}

fn names(ns: &[Ident]) -> String {
    ns.iter()
        .map(|n| display_name(&n.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `{ a, b }` on one line when it fits, else one item per line (continuation lines are
/// indented relative to the step's `| `).
fn block(head: &str, items: &[String], bare_single: bool) -> String {
    if bare_single && items.len() == 1 {
        return format!("{head} {}", items[0]);
    }
    let inline = format!("{head} {{ {} }}", items.join(", "));
    if inline.len() + 4 <= WIDTH && !inline.contains('\n') {
        return inline;
    }
    let mut s = format!("{head} {{\n");
    for i in items {
        s.push_str(&format!("    {i},\n"));
    }
    s.push_str("  }");
    s
}

/// `head { name = expr, ... }` (`head {}` when there is none), as `group` and `pivot`
/// write their items.
fn assignment_block(head: &str, items: &[Assignment]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|a| format!("{} = {}", display_name(&a.name.name), format_expr(&a.value)))
        .collect();
    if items.is_empty() {
        format!("{head} {{}}")
    } else {
        block(head, &items, false)
    }
}

fn fill_value(v: &FillValue) -> String {
    match v {
        FillValue::Strategy(s) => s.name.clone(),
        FillValue::Constant(e) => format_expr(e),
    }
}

fn sort_keys(keys: &[SortKey]) -> String {
    let ks: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut s = match &k.expression {
                Some(e) => expr::expr(e),
                None => display_name(&k.column.name),
            };
            if k.descending {
                s.push_str(" desc");
            }
            if let Some(first) = k.nulls_first {
                s.push_str(if first { " nulls first" } else { " nulls last" });
            }
            s
        })
        .collect();
    ks.join(", ")
}

/// `rows between 2 preceding and current row`.
pub fn frame(f: &Frame) -> String {
    let bound = |b: &FrameBound| match b {
        FrameBound::UnboundedPreceding => "unbounded preceding".to_string(),
        FrameBound::Preceding(e) => format!("{} preceding", format_expr(e)),
        FrameBound::CurrentRow => "current row".to_string(),
        FrameBound::Following(e) => format!("{} following", format_expr(e)),
        FrameBound::UnboundedFollowing => "unbounded following".to_string(),
    };
    let unit = match f.unit {
        FrameUnit::Rows => "rows",
        FrameUnit::Range => "range",
    };
    format!("{unit} between {} and {}", bound(&f.start), bound(&f.end))
}

fn step(op: &Operator) -> String {
    match op {
        Operator::Filter { predicate } => format!("filter {}", format_expr(predicate)),
        Operator::Select { columns } => format!("select {}", names(columns)),
        Operator::Drop { columns } => format!("drop {}", names(columns)),
        Operator::Distinct { columns } if columns.is_empty() => "distinct".into(),
        Operator::Distinct { columns } => format!("distinct {}", names(columns)),
        Operator::DropNull { columns } if columns.is_empty() => "drop_null".into(),
        Operator::DropNull { columns } => format!("drop_null {}", names(columns)),
        Operator::Derive { columns } => {
            let items: Vec<String> = columns
                .iter()
                .map(|a| format!("{} = {}", display_name(&a.name.name), format_expr(&a.value)))
                .collect();
            block("derive", &items, true)
        }
        Operator::Rename { pairs } => {
            let items: Vec<String> = pairs
                .iter()
                .map(|p| {
                    format!(
                        "{} -> {}",
                        display_name(&p.from.name),
                        display_name(&p.to.name)
                    )
                })
                .collect();
            block("rename", &items, true)
        }
        Operator::Cast { pairs } => {
            let items: Vec<String> = pairs
                .iter()
                .map(|p| format!("{}: {}", display_name(&p.column.name), type_ref(&p.ty)))
                .collect();
            block("cast", &items, true)
        }
        Operator::FillNull {
            spec: FillSpec::All(v),
        } => format!("fill_null {}", fill_value(v)),
        Operator::FillNull {
            spec: FillSpec::Columns(cols),
        } => {
            let items: Vec<String> = cols
                .iter()
                .map(|(c, v)| format!("{} = {}", display_name(&c.name), fill_value(v)))
                .collect();
            block("fill_null", &items, false)
        }
        Operator::Group {
            keys,
            aggregates,
            grouping,
            window,
        } => {
            let head = match grouping {
                Some(GroupingSets::Rollup(k)) => format!("group rollup({})", names(k)),
                Some(GroupingSets::Cube(k)) => format!("group cube({})", names(k)),
                Some(GroupingSets::Sets(sets)) => {
                    let sets: Vec<String> =
                        sets.iter().map(|s| format!("({})", names(s))).collect();
                    format!("group grouping sets ({})", sets.join(", "))
                }
                None => {
                    let mut items: Vec<String> = window
                        .iter()
                        .map(|w| format!("{}({})", w.kind.name, args(&w.args)))
                        .collect();
                    if !keys.is_empty() {
                        items.push(names(keys));
                    }
                    if items.is_empty() {
                        "group".to_string()
                    } else {
                        format!("group {}", items.join(", "))
                    }
                }
            };
            assignment_block(&head, aggregates)
        }
        Operator::Window {
            partition_by,
            order_by,
            columns,
        } => {
            let mut head = "window".to_string();
            if !partition_by.is_empty() {
                head.push_str(&format!(" by {}", names(partition_by)));
            }
            if !order_by.is_empty() {
                head.push_str(&format!(" order by {}", sort_keys(order_by)));
            }
            let items: Vec<String> = columns
                .iter()
                .map(|c| {
                    let mut s =
                        format!("{} = {}", display_name(&c.name.name), format_expr(&c.value));
                    if let Some(f) = &c.frame {
                        s.push(' ');
                        s.push_str(&frame(f));
                    }
                    s
                })
                .collect();
            if items.is_empty() {
                format!("{head} {{}}")
            } else {
                block(&head, &items, false)
            }
        }
        Operator::Sort { keys } => format!("sort {}", sort_keys(keys)),
        Operator::Watermark {
            column,
            delay,
            late,
        } => {
            let mut s = format!(
                "watermark {} delay {}",
                display_name(&column.name),
                format_expr(delay)
            );
            if let Some(l) = late {
                s.push_str(&format!(" (late = {})", display_name(&l.name)));
            }
            s
        }
        Operator::Take { count, offset } => match offset {
            Some(o) => format!("take {} offset {}", format_expr(count), format_expr(o)),
            None => format!("take {}", format_expr(count)),
        },
        Operator::Join {
            kind,
            right,
            on,
            conditions,
            asof,
        } => {
            let kind = if *kind == JoinKind::Inner {
                String::new()
            } else {
                format!("{} ", kind.name())
            };
            let items: Vec<String> = on
                .iter()
                .map(|k| {
                    if k.null_safe {
                        format!(
                            "{} <=> {}",
                            display_name(&k.left.name),
                            display_name(&k.right.name)
                        )
                    } else if k.left.name == k.right.name {
                        display_name(&k.left.name)
                    } else {
                        format!(
                            "{} == {}",
                            display_name(&k.left.name),
                            display_name(&k.right.name)
                        )
                    }
                })
                .chain(conditions.iter().map(format_expr))
                .collect();
            let asof_word = if asof.is_some() { "asof " } else { "" };
            let within = match asof.as_ref().and_then(|a| a.within.as_ref()) {
                Some(w) => format!(" within {}", format_expr(w)),
                None => String::new(),
            };
            format!(
                "join {asof_word}{kind}{} on {}{within}",
                display_name(&right.name),
                items.join(", ")
            )
        }
        Operator::Union {
            others,
            distinct,
            by_name,
        } => format!(
            "union {}{}{}",
            if *distinct { "distinct " } else { "" },
            if *by_name { "by name " } else { "" },
            names(others)
        ),
        Operator::Intersect { other } => format!("intersect {}", display_name(&other.name)),
        Operator::Except { other } => format!("except {}", display_name(&other.name)),
        Operator::CrossJoin { right } => format!("join cross {}", display_name(&right.name)),
        Operator::Sample { fraction, seed } => {
            let mut s = format!("sample {}", format_expr(fraction));
            if let Some(seed) = seed {
                s.push_str(&format!(" seed {}", format_expr(seed)));
            }
            s
        }
        Operator::Split {
            fractions,
            seed,
            stratify,
        } => {
            let mut s = format!(
                "split {}",
                fractions
                    .iter()
                    .map(format_expr)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if let Some(seed) = seed {
                s.push_str(&format!(" seed {}", format_expr(seed)));
            }
            if let Some(c) = stratify {
                s.push_str(&format!(" stratify {}", display_name(&c.name)));
            }
            s
        }
        Operator::Explode { column, position } => match position {
            Some(p) => format!(
                "explode {} with position {}",
                display_name(&column.name),
                display_name(&p.name)
            ),
            None => format!("explode {}", display_name(&column.name)),
        },
        Operator::Pivot {
            column,
            values,
            keys,
            aggregates,
        } => {
            let values: Vec<String> = values.iter().map(format_expr).collect();
            let mut head = format!(
                "pivot {} in [{}]",
                display_name(&column.name),
                values.join(", ")
            );
            if !keys.is_empty() {
                head.push_str(&format!(" by {}", names(keys)));
            }
            assignment_block(&head, aggregates)
        }
        Operator::Unpivot {
            columns,
            name,
            value,
        } => format!(
            "unpivot {} into {}, {}",
            names(columns),
            display_name(&name.name),
            display_name(&value.name)
        ),
        Operator::Repartition { scheme } => format!("repartition {}", format_expr(scheme)),
        Operator::Fit { estimator, args } => {
            call_block(&format!("fit {}", display_name(&estimator.name)), args)
        }
        Operator::CrossValidate {
            estimator,
            args: arguments,
            options,
        } => {
            let mut s = call_block(
                &format!("cross_validate {}", display_name(&estimator.name)),
                arguments,
            );
            if !options.is_empty() {
                s.push_str(&format!(" ({})", args(options)));
            }
            s
        }
        Operator::Evaluate { kind, args } => {
            call_block(&format!("evaluate {}", display_name(&kind.name)), args)
        }
        Operator::Predict { model } => format!("predict {}", display_name(&model.name)),
        Operator::Transform {
            transformer,
            columns,
            args: options,
        } => {
            let mut s = format!("{} {}", transformer.name, names(columns));
            if !options.is_empty() {
                s.push_str(&format!(" ({})", args(options)));
            }
            s
        }
    }
}
