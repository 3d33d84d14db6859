//! The DSL front end: a pest grammar (`sluice.pest`) and the walk from its parse tree to
//! the [`ast`](super::ast). Expressions use precedence climbing with the precedences
//! the AST defines, so the formatter and the parser agree on where parentheses go.

use super::ast::*;
use super::nesting;
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use sluice_stdlib::DataType;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "syntax/sluice.pest"]
pub struct SluiceParser;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        .op(Op::postfix(Rule::in_list))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::as_type))
        .op(Op::postfix(Rule::index))
});

/// Parses a DSL file. Syntax errors stop at the first broken declaration, but the rest
/// of the file is still parsed declaration by declaration so every broken one is
/// reported.
pub fn parse(text: &str) -> (Option<Pipeline>, Vec<Diagnostic>) {
    if let Err(d) = nesting::check_nesting(text, 0) {
        return (None, vec![d]);
    }
    match SluiceParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let mut builder = Builder {
                offset: 0,
                diagnostics: Vec::new(),
                nested: false,
            };
            let file = pairs.next().expect("the file rule always yields one pair");
            let pipeline = builder.file(file);
            (Some(pipeline), builder.diagnostics)
        }
        Err(first) => {
            let mut diagnostics = vec![syntax_error(first, text, 0)];
            diagnostics.extend(recover_errors(text, &diagnostics[0]));
            (None, diagnostics)
        }
    }
}

/// After a syntax error, parse each later declaration on its own to report the errors
/// of other declarations too.
fn recover_errors(text: &str, first: &Diagnostic) -> Vec<Diagnostic> {
    let starts: Vec<usize> = statement_starts(text);
    let mut out = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        if end <= first.primary.span.start {
            continue;
        }
        // A declaration starting before the error holds it; one starting exactly at
        // the error is where the broken one was cut off, so it is checked again.
        if start < first.primary.span.start {
            continue;
        }
        let chunk = &text[start..end];
        if let Err(e) = SluiceParser::parse(Rule::file, chunk) {
            let d = syntax_error(e, chunk, start);
            if d.primary.span.start != first.primary.span.start {
                out.push(d);
            }
        }
    }
    out
}

fn statement_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let first_word: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if matches!(
            first_word.as_str(),
            "param" | "source" | "stream" | "let" | "sink" | "pipeline"
        ) && line.len() == trimmed.len()
        {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts
}

fn syntax_error(e: pest::error::Error<Rule>, text: &str, offset: usize) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match e.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let rest = text.get(start..).unwrap_or("");
    let found = match rest.chars().next() {
        None => "the end of the input".to_string(),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            format!(
                "`{}`",
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("")
            )
        }
        Some('\n') | Some('\r') => "the end of the line".to_string(),
        Some('`') if rest.starts_with("``") => "an empty quoted name ``".to_string(),
        Some('`') => "a backtick".to_string(),
        Some(c) => format!("`{c}`"),
    };
    let word = found.trim_matches('`');
    if expected.contains("a name") && RESERVED_WORDS.contains(&word) {
        return Diagnostic::error(
            Code::SyntaxError,
            format!("`{word}` is a reserved word, so it cannot be a bare name"),
            Span::new(offset + start, offset + start + word.len()),
            "reserved word",
        )
        .with_help(format!(
            "quote it with backticks to use it as a name: `` `{word}` ``"
        ));
    }
    Diagnostic::error(
        Code::SyntaxError,
        format!("syntax error: expected {expected}, found {found}"),
        Span::new(offset + start, offset + end.max(start)),
        format!("expected {expected} here"),
    )
    .with_help(
        "each declaration starts with `param`, `source`, `let`, `model` or `sink`; \
         see docs/language.md for the grammar",
    )
}

/// The words the grammar's `reserved` rule keeps from being bare names.
const RESERVED_WORDS: &[&str] = &[
    "and", "or", "not", "true", "false", "null", "case", "when", "then", "else", "end", "as", "in",
];

fn describe_expected(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = rules.iter().map(|r| rule_name(*r)).collect();
    names.sort_unstable();
    names.dedup();
    // "an expression" covers names, numbers and strings; "another token" says nothing.
    if names.contains(&"an expression") {
        names.retain(|n| !matches!(*n, "a name" | "a number" | "a string"));
    }
    if names.len() > 1 {
        names.retain(|n| *n != "another token");
    }
    match names.len() {
        0 => "something else".into(),
        1 => names[0].into(),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {last}", names.join(", "))
        }
    }
}

fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::expr
        | Rule::prefix
        | Rule::primary
        | Rule::literal
        | Rule::name
        | Rule::neg
        | Rule::not_op
        | Rule::paren
        | Rule::call
        | Rule::list
        | Rule::case_expr => "an expression",
        Rule::int | Rule::float | Rule::duration => "a number",
        Rule::string => "a string",
        Rule::ident | Rule::bare_ident | Rule::quoted_ident => "a name",
        Rule::step => "`|` and an operator",
        Rule::hint => "a hint such as `@cache(memory)`",
        Rule::param_decl
        | Rule::source_decl
        | Rule::let_decl
        | Rule::sink_decl
        | Rule::model_decl
        | Rule::bad_item => "a declaration (`param`, `source`, `stream`, `let`, `model` or `sink`)",
        Rule::kw_pipeline | Rule::header => "`pipeline NAME`",
        Rule::infix
        | Rule::or_op
        | Rule::and_op
        | Rule::eq
        | Rule::ne
        | Rule::lt
        | Rule::le
        | Rule::gt
        | Rule::ge
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem => "an operator",
        Rule::postfix | Rule::as_type | Rule::in_list | Rule::kw_as | Rule::kw_in => "`as` or `in`",
        Rule::type_ref | Rule::type_name => "a type such as `int64` or `string`",
        Rule::schema_block => "a schema block `{ column: type, ... }`",
        Rule::args | Rule::arg => "an argument",
        Rule::assign_block | Rule::assign_list | Rule::assignment => "`name = expression`",
        Rule::rename_pair => "`old -> new`",
        Rule::cast_pair | Rule::schema_field => "`column: type`",
        Rule::fill_value | Rule::fill_strategy | Rule::fill_block | Rule::fill_pair => {
            "`mean`, `median`, `mode` or a constant"
        }
        Rule::sort_key => "a sort key",
        Rule::sort_dir => "`asc` or `desc`",
        Rule::sort_nulls | Rule::kw_nulls => "`nulls first` or `nulls last`",
        Rule::join_kind => "a join kind (inner, left, right, full, semi, anti)",
        Rule::join_item => "a join key or condition",
        Rule::kw_on => "`on`",
        Rule::kw_seed => "`seed`",
        Rule::kw_stratify => "`stratify`",
        Rule::kw_else | Rule::kw_end | Rule::case_branch | Rule::kw_when => {
            "`when`, `else` or `end`"
        }
        Rule::kw_then => "`then`",
        Rule::kw_delay => "`delay` and a duration such as `10s`",
        Rule::event_window | Rule::window_kind => {
            "a window such as `tumbling(ts, 1m)`, or column names"
        }
        Rule::ident_list | Rule::opt_ident_list => "column names",
        _ => "another token",
    }
}

/// Parses one expression (a YAML value), with spans shifted by `offset`.
pub fn parse_expr(text: &str, offset: usize) -> Result<Expr, Diagnostic> {
    nesting::check_nesting(text, offset)?;
    let mut pairs =
        SluiceParser::parse(Rule::expr_only, text).map_err(|e| syntax_error(e, text, offset))?;
    let mut b = Builder {
        offset,
        diagnostics: Vec::new(),
        nested: false,
    };
    let inner = pairs.next().and_then(|p| p.into_inner().next());
    let expr = match inner {
        Some(p) => b.expr(p),
        None => {
            return Err(Diagnostic::error(
                Code::SyntaxError,
                "empty expression",
                Span::new(offset, offset),
                "",
            ));
        }
    };
    match b.diagnostics.into_iter().next() {
        Some(d) => Err(d),
        None => Ok(expr),
    }
}

/// Parses a fragment with one of the `*_only` entry rules (YAML sort and join keys).
fn parse_fragment<T>(
    rule: Rule,
    text: &str,
    offset: usize,
    build: impl FnOnce(&mut Builder, Pair<'_, Rule>) -> T,
) -> Result<T, Diagnostic> {
    nesting::check_nesting(text, offset)?;
    let mut pairs = SluiceParser::parse(rule, text).map_err(|e| syntax_error(e, text, offset))?;
    let mut b = Builder {
        offset,
        diagnostics: Vec::new(),
        nested: false,
    };
    let pair = pairs.next().and_then(|p| p.into_inner().next());
    let Some(pair) = pair else {
        return Err(Diagnostic::error(
            Code::SyntaxError,
            "empty text",
            Span::new(offset, offset),
            "",
        ));
    };
    let value = build(&mut b, pair);
    match b.diagnostics.into_iter().next() {
        Some(d) => Err(d),
        None => Ok(value),
    }
}

pub fn parse_sort_key(text: &str, offset: usize) -> Result<SortKey, Diagnostic> {
    parse_fragment(Rule::sort_key_only, text, offset, |b, p| b.sort_key(p))
}

/// A window column's value as YAML writes it: `sum(x) rows between 1 preceding and current row`.
pub fn parse_window_call(text: &str, offset: usize) -> Result<(Expr, Option<Frame>), Diagnostic> {
    parse_fragment(Rule::window_call_only, text, offset, |b, p| {
        b.window_call(p)
    })
}

/// One item of a join's `on` list (a key, `a <=> b`, or a condition).
pub fn parse_join_item(text: &str, offset: usize) -> Result<JoinItem, Diagnostic> {
    parse_fragment(Rule::join_key_only, text, offset, |b, p| b.join_item(p))
}

pub fn parse_type(text: &str, offset: usize) -> Result<TypeRef, Diagnostic> {
    parse_fragment(Rule::type_only, text, offset, |b, p| b.type_ref(p))
}

struct Builder {
    offset: usize,
    diagnostics: Vec<Diagnostic>,
    /// Inside an expression: only the outermost one is measured against the limits.
    nested: bool,
}

impl Builder {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.offset + s.start(), self.offset + s.end())
    }

    fn file(&mut self, pair: Pair<'_, Rule>) -> Pipeline {
        let mut name = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::header => name = p.into_inner().nth(1).map(|i| self.ident(i)),
                Rule::param_decl => items.push(Item::Param(self.param(p))),
                Rule::source_decl => items.push(Item::Source(self.source(p))),
                Rule::let_decl => items.push(Item::Let(self.let_decl(p))),
                Rule::model_decl => items.push(Item::Model(self.model_decl(p))),
                Rule::sink_decl => items.push(Item::Sink(self.sink(p))),
                Rule::bad_item => self.bad_item(p),
                _ => {}
            }
        }
        Pipeline { name, items }
    }

    fn bad_item(&mut self, p: Pair<'_, Rule>) {
        let span = self.span(&p);
        let word = p
            .into_inner()
            .next()
            .map(|w| w.as_str().to_string())
            .unwrap_or_default();
        let keywords = ["param", "source", "let", "sink", "pipeline"];
        let word_span = Span::new(span.start, span.start + word.len());
        let mut d = Diagnostic::error(
            Code::UnknownDeclaration,
            format!("`{word}` does not start a declaration"),
            word_span,
            "expected `param`, `source`, `let` or `sink`",
        );
        d.help = did_you_mean(&word, keywords).or_else(|| {
            Some(
                "a pipe step must follow `|` on a `let` chain; a new relation starts with `let`"
                    .into(),
            )
        });
        self.diagnostics.push(d);
    }

    fn ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        let span = self.span(&pair);
        let inner = pair.into_inner().next();
        let name = match inner {
            Some(q) if q.as_rule() == Rule::quoted_ident => {
                let s = q.as_str();
                s[1..s.len() - 1].replace("``", "`")
            }
            Some(b) => b.as_str().to_string(),
            None => String::new(),
        };
        Ident::new(name, span)
    }

    fn idents(&mut self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(p))
            .collect()
    }

    fn param(&mut self, pair: Pair<'_, Rule>) -> ParamDecl {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        let mut default = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::type_ref => ty = Some(self.type_ref(p)),
                Rule::expr => default = Some(self.expr(p)),
                _ => {}
            }
        }
        ParamDecl {
            name: name.unwrap_or_else(|| Ident::new("", span)),
            ty,
            default,
            span,
        }
    }

    fn type_ref(&mut self, pair: Pair<'_, Rule>) -> TypeRef {
        let span = self.span(&pair);
        let mut nullable = false;
        let mut data_type = DataType::String;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::nullable => nullable = true,
                Rule::type_name => {
                    let text = p.as_str();
                    match DataType::parse_name(text) {
                        Some(t) => data_type = t,
                        None => {
                            let mut d = Diagnostic::error(
                                Code::UnknownType,
                                format!("unknown type `{text}`"),
                                self.span(&p),
                                "not a type",
                            );
                            d.help = did_you_mean(text, DataType::NAMES.iter().copied()).or_else(|| {
                                Some("types are bool, int64, float64, string, date, timestamp, duration and list<T>".into())
                            });
                            self.diagnostics.push(d);
                        }
                    }
                }
                _ => {}
            }
        }
        TypeRef {
            data_type,
            nullable,
            span,
        }
    }

    fn args(&mut self, pair: Pair<'_, Rule>) -> Vec<Arg> {
        pair.into_inner()
            .map(|arg| {
                let mut name = None;
                let mut value = None;
                for p in arg.into_inner() {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::expr => value = Some(self.expr(p)),
                        _ => {}
                    }
                }
                Arg {
                    name,
                    value: value.unwrap_or_else(null_expr),
                }
            })
            .collect()
    }

    fn source(&mut self, pair: Pair<'_, Rule>) -> SourceDecl {
        let span = self.span(&pair);
        let mut idents = Vec::new();
        let mut args = Vec::new();
        let mut schema = None;
        let mut hints = Vec::new();
        let mut stream = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_stream => stream = true,
                Rule::ident => idents.push(self.ident(p)),
                Rule::args => args = self.args(p),
                Rule::schema_block => {
                    schema = Some(
                        p.into_inner()
                            .map(|f| {
                                let mut inner = f.into_inner();
                                let name = inner.next().map(|n| self.ident(n));
                                let ty = inner.next().map(|t| self.type_ref(t));
                                SchemaField {
                                    name: name.unwrap_or_else(|| Ident::new("", span)),
                                    ty: ty.unwrap_or(TypeRef {
                                        data_type: DataType::String,
                                        nullable: true,
                                        span,
                                    }),
                                }
                            })
                            .collect(),
                    )
                }
                Rule::hint => hints.push(self.hint(p)),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let name = idents.next().unwrap_or_else(|| Ident::new("", span));
        let format = idents.next().unwrap_or_else(|| Ident::new("", span));
        SourceDecl {
            stream,
            name,
            format,
            args,
            schema,
            hints,
            span,
        }
    }

    /// `tumbling(ts, 1m)` as a group key.
    fn event_window(&mut self, pair: Pair<'_, Rule>) -> EventWindow {
        let span = self.span(&pair);
        let mut kind = Ident::new("", span);
        let mut args = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::window_kind => kind = Ident::new(p.as_str(), self.span(&p)),
                Rule::args => args = self.args(p),
                _ => {}
            }
        }
        EventWindow { kind, args, span }
    }

    fn hint(&mut self, pair: Pair<'_, Rule>) -> Hint {
        let span = self.span(&pair);
        let mut name = Ident::new("", span);
        let mut args = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = self.ident(p),
                Rule::args => args = self.args(p),
                _ => {}
            }
        }
        Hint { name, args, span }
    }

    fn let_decl(&mut self, pair: Pair<'_, Rule>) -> LetDecl {
        let span = self.span(&pair);
        let mut idents = Vec::new();
        let mut steps = Vec::new();
        let mut hints = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                Rule::step => {
                    if let Some(step) = self.step(p) {
                        steps.push(step);
                    }
                }
                Rule::hint => hints.push(self.hint(p)),
                _ => {}
            }
        }
        let input = idents.pop().unwrap_or_else(|| Ident::new("", span));
        LetDecl {
            names: idents,
            input,
            steps,
            hints,
            span,
        }
    }

    fn model_decl(&mut self, pair: Pair<'_, Rule>) -> ModelDecl {
        let span = self.span(&pair);
        let mut idents = Vec::new();
        let mut steps = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                Rule::step => steps.extend(self.step(p)),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let name = idents.next().unwrap_or_else(|| Ident::new("", span));
        let input = idents.next().unwrap_or_else(|| Ident::new("", span));
        ModelDecl {
            name,
            input,
            steps,
            span,
        }
    }

    /// `name(args)` of `fit` and `evaluate`.
    fn call_parts(&mut self, pairs: Vec<Pair<'_, Rule>>, span: Span) -> (Ident, Vec<Arg>) {
        let mut name = Ident::new("", span);
        let mut args = Vec::new();
        for call in pairs {
            for p in call.into_inner() {
                match p.as_rule() {
                    Rule::ident => name = self.ident(p),
                    Rule::args => args = self.args(p),
                    _ => {}
                }
            }
        }
        (name, args)
    }

    fn sink(&mut self, pair: Pair<'_, Rule>) -> SinkDecl {
        let span = self.span(&pair);
        let mut idents = Vec::new();
        let mut args = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => idents.push(self.ident(p)),
                Rule::args => args = self.args(p),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let input = idents.next().unwrap_or_else(|| Ident::new("", span));
        let format = idents.next().unwrap_or_else(|| Ident::new("", span));
        SinkDecl {
            input,
            format,
            args,
            span,
        }
    }

    fn step(&mut self, pair: Pair<'_, Rule>) -> Option<Step> {
        let span = self.span(&pair);
        let op_pair = pair.into_inner().next()?;
        let rule = op_pair.as_rule();
        let mut inner = op_pair.clone().into_inner().peekable();
        if rule == Rule::op_unknown {
            let word = inner
                .next()
                .map(|w| w.as_str().to_string())
                .unwrap_or_default();
            let start = self.span(&op_pair).start;
            self.diagnostics.push(unknown_operator(
                &word,
                Span::new(start, start + word.len()),
            ));
            return None;
        }
        let keyword = inner.next().map(|k| self.span(&k)).unwrap_or(span);
        let rest: Vec<Pair<'_, Rule>> = inner.collect();
        let op = match rule {
            Rule::op_filter => Operator::Filter {
                predicate: self.first_expr(rest),
            },
            Rule::op_select => Operator::Select {
                columns: self.ident_list(rest),
            },
            Rule::op_drop => Operator::Drop {
                columns: self.ident_list(rest),
            },
            Rule::op_distinct => Operator::Distinct {
                columns: self.ident_list(rest),
            },
            Rule::op_drop_null => Operator::DropNull {
                columns: self.ident_list(rest),
            },
            Rule::op_union => Operator::Union {
                distinct: rest.iter().any(|p| p.as_rule() == Rule::union_distinct),
                by_name: rest.iter().any(|p| p.as_rule() == Rule::union_by_name),
                others: self.ident_list(rest),
            },
            Rule::op_intersect | Rule::op_except | Rule::op_cross_join => {
                let name = rest
                    .into_iter()
                    .find(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.ident(p))
                    .unwrap_or_else(|| Ident::new("", span));
                match rule {
                    Rule::op_intersect => Operator::Intersect { other: name },
                    Rule::op_except => Operator::Except { other: name },
                    _ => Operator::CrossJoin { right: name },
                }
            }
            Rule::op_derive => Operator::Derive {
                columns: self.assignments(rest),
            },
            Rule::op_rename => Operator::Rename {
                pairs: rest
                    .into_iter()
                    .map(|p| {
                        let mut i = p.into_inner();
                        let from = i
                            .next()
                            .map(|x| self.ident(x))
                            .unwrap_or_else(|| Ident::new("", span));
                        let to = i
                            .next()
                            .map(|x| self.ident(x))
                            .unwrap_or_else(|| Ident::new("", span));
                        RenamePair { from, to }
                    })
                    .collect(),
            },
            Rule::op_cast => Operator::Cast {
                pairs: rest
                    .into_iter()
                    .map(|p| {
                        let mut i = p.into_inner();
                        let column = i
                            .next()
                            .map(|x| self.ident(x))
                            .unwrap_or_else(|| Ident::new("", span));
                        let ty = i.next().map(|x| self.type_ref(x)).unwrap_or(TypeRef {
                            data_type: DataType::String,
                            nullable: true,
                            span,
                        });
                        CastPair { column, ty }
                    })
                    .collect(),
            },
            Rule::op_fill_null => {
                let p = rest.into_iter().next();
                let spec = match p {
                    Some(p) if p.as_rule() == Rule::fill_block => FillSpec::Columns(
                        p.into_inner()
                            .map(|pair| {
                                let mut i = pair.into_inner();
                                let col = i
                                    .next()
                                    .map(|x| self.ident(x))
                                    .unwrap_or_else(|| Ident::new("", span));
                                let value = i
                                    .next()
                                    .map(|v| self.fill_value(v))
                                    .unwrap_or(FillValue::Constant(null_expr()));
                                (col, value)
                            })
                            .collect(),
                    ),
                    Some(p) => FillSpec::All(self.fill_value(p)),
                    None => FillSpec::All(FillValue::Constant(null_expr())),
                };
                Operator::FillNull { spec }
            }
            Rule::op_group => {
                let mut keys = Vec::new();
                let mut aggregates = Vec::new();
                let mut grouping = None;
                let mut window = None;
                for p in rest {
                    match p.as_rule() {
                        Rule::ident_list => keys = self.idents(p),
                        Rule::event_window => window = Some(self.event_window(p)),
                        Rule::assign_block => aggregates = self.assignments(vec![p]),
                        Rule::grouping_sets => {
                            let sets = self.grouping_sets(p);
                            keys = sets.columns();
                            grouping = Some(sets);
                        }
                        _ => {}
                    }
                }
                Operator::Group {
                    keys,
                    aggregates,
                    grouping,
                    window,
                }
            }
            Rule::op_watermark => {
                let mut column = Ident::new("", span);
                let mut delay = None;
                let mut late = None;
                for p in rest {
                    match p.as_rule() {
                        Rule::ident => column = self.ident(p),
                        Rule::expr => delay = Some(self.expr(p)),
                        Rule::watermark_late => {
                            late = p
                                .into_inner()
                                .find(|x| x.as_rule() == Rule::ident)
                                .map(|x| self.ident(x));
                        }
                        _ => {}
                    }
                }
                Operator::Watermark {
                    column,
                    delay: delay.unwrap_or_else(null_expr),
                    late,
                }
            }
            Rule::op_window => {
                let mut partition_by = Vec::new();
                let mut order_by = Vec::new();
                let mut columns = Vec::new();
                for p in rest {
                    match p.as_rule() {
                        Rule::window_by => {
                            partition_by = p
                                .into_inner()
                                .filter(|x| x.as_rule() == Rule::ident_list)
                                .flat_map(|x| self.idents(x))
                                .collect()
                        }
                        Rule::window_order => {
                            order_by = p
                                .into_inner()
                                .filter(|x| x.as_rule() == Rule::sort_key)
                                .map(|x| self.sort_key(x))
                                .collect()
                        }
                        Rule::window_block => {
                            for item in p.into_inner() {
                                let item_span = self.span(&item);
                                let mut i = item.into_inner();
                                let name = i
                                    .next()
                                    .map(|x| self.ident(x))
                                    .unwrap_or_else(|| Ident::new("", item_span));
                                let (value, frame) = match i.next() {
                                    Some(call) => self.window_call(call),
                                    None => (null_expr(), None),
                                };
                                columns.push(WindowColumn { name, value, frame });
                            }
                        }
                        _ => {}
                    }
                }
                Operator::Window {
                    partition_by,
                    order_by,
                    columns,
                }
            }
            Rule::op_sort => Operator::Sort {
                keys: rest.into_iter().map(|p| self.sort_key(p)).collect(),
            },
            Rule::op_take => {
                let mut exprs = rest.into_iter().filter(|p| p.as_rule() == Rule::expr);
                let count = exprs.next().map(|e| self.expr(e)).unwrap_or_else(null_expr);
                let offset = exprs.next().map(|e| self.expr(e));
                Operator::Take { count, offset }
            }
            Rule::op_join => {
                let mut kind = JoinKind::Inner;
                let mut right = Ident::new("", span);
                let mut on = Vec::new();
                let mut conditions = Vec::new();
                let mut asof = None;
                for p in rest {
                    match p.as_rule() {
                        Rule::kw_asof => asof = Some(AsOf { within: None }),
                        Rule::join_kind => {
                            kind = JoinKind::from_name(p.as_str()).unwrap_or(JoinKind::Inner)
                        }
                        Rule::ident => right = self.ident(p),
                        Rule::join_item => match self.join_item(p) {
                            JoinItem::Key(k) => on.push(k),
                            JoinItem::Condition(c) => conditions.push(c),
                        },
                        Rule::join_within => {
                            let within = p
                                .into_inner()
                                .find(|x| x.as_rule() == Rule::expr)
                                .map(|x| self.expr(x));
                            asof = Some(AsOf { within });
                        }
                        _ => {}
                    }
                }
                Operator::Join {
                    kind,
                    right,
                    on,
                    conditions,
                    asof,
                }
            }
            Rule::op_sample => {
                let mut exprs = rest.into_iter().filter(|p| p.as_rule() == Rule::expr);
                let fraction = exprs.next().map(|e| self.expr(e)).unwrap_or_else(null_expr);
                let seed = exprs.next().map(|e| self.expr(e));
                Operator::Sample { fraction, seed }
            }
            Rule::op_split => {
                let mut fractions = Vec::new();
                let mut seed = None;
                let mut stratify = None;
                let mut after_seed = false;
                for p in rest {
                    match p.as_rule() {
                        Rule::kw_seed => after_seed = true,
                        Rule::expr if after_seed => seed = Some(self.expr(p)),
                        Rule::expr => fractions.push(self.expr(p)),
                        Rule::ident => stratify = Some(self.ident(p)),
                        _ => {}
                    }
                }
                Operator::Split {
                    fractions,
                    seed,
                    stratify,
                }
            }
            Rule::op_pivot => {
                let mut column = Ident::new("", span);
                let mut values = Vec::new();
                let mut keys = Vec::new();
                let mut aggregates = Vec::new();
                for p in rest {
                    match p.as_rule() {
                        Rule::ident => column = self.ident(p),
                        Rule::expr => values.push(self.expr(p)),
                        Rule::window_by => {
                            keys = p
                                .into_inner()
                                .filter(|x| x.as_rule() == Rule::ident_list)
                                .flat_map(|x| self.idents(x))
                                .collect()
                        }
                        Rule::assign_block => aggregates = self.assignments(vec![p]),
                        _ => {}
                    }
                }
                Operator::Pivot {
                    column,
                    values,
                    keys,
                    aggregates,
                }
            }
            Rule::op_unpivot => {
                let mut columns = Vec::new();
                let mut names = Vec::new();
                for p in rest {
                    match p.as_rule() {
                        Rule::ident_list => columns = self.idents(p),
                        Rule::ident => names.push(self.ident(p)),
                        _ => {}
                    }
                }
                let mut names = names.into_iter();
                let name = names.next().unwrap_or_else(|| Ident::new("", span));
                let value = names.next().unwrap_or_else(|| Ident::new("", span));
                Operator::Unpivot {
                    columns,
                    name,
                    value,
                }
            }
            Rule::op_explode => {
                let mut column = Ident::new("", span);
                let mut position = None;
                for p in rest {
                    match p.as_rule() {
                        Rule::ident => column = self.ident(p),
                        Rule::explode_position => {
                            position = p
                                .into_inner()
                                .find(|x| x.as_rule() == Rule::ident)
                                .map(|x| self.ident(x));
                        }
                        _ => {}
                    }
                }
                Operator::Explode { column, position }
            }
            Rule::op_repartition => Operator::Repartition {
                scheme: self.first_expr(rest),
            },
            Rule::op_fit => {
                let (estimator, args) = self.call_parts(rest, span);
                Operator::Fit { estimator, args }
            }
            Rule::op_cross_validate => {
                let mut calls = Vec::new();
                let mut options = Vec::new();
                for p in rest {
                    match p.as_rule() {
                        Rule::call => calls.push(p),
                        Rule::args => options = self.args(p),
                        _ => {}
                    }
                }
                let (estimator, args) = self.call_parts(calls, span);
                Operator::CrossValidate {
                    estimator,
                    args,
                    options,
                }
            }
            Rule::op_evaluate => {
                let (kind, args) = self.call_parts(rest, span);
                Operator::Evaluate { kind, args }
            }
            Rule::op_predict => Operator::Predict {
                model: rest
                    .into_iter()
                    .next()
                    .map(|p| self.ident(p))
                    .unwrap_or_else(|| Ident::new("", span)),
            },
            Rule::op_transform => {
                let word: String = op_pair
                    .as_str()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let transformer = Ident::new(word, keyword);
                let mut columns = Vec::new();
                let mut args = Vec::new();
                for p in rest {
                    match p.as_rule() {
                        Rule::ident_list => columns = self.idents(p),
                        Rule::args => args = self.args(p),
                        _ => {}
                    }
                }
                Operator::Transform {
                    transformer,
                    columns,
                    args,
                }
            }
            _ => return None,
        };
        Some(Step { op, keyword, span })
    }

    fn first_expr(&mut self, pairs: Vec<Pair<'_, Rule>>) -> Expr {
        pairs
            .into_iter()
            .find(|p| p.as_rule() == Rule::expr)
            .map(|p| self.expr(p))
            .unwrap_or_else(null_expr)
    }

    fn ident_list(&mut self, pairs: Vec<Pair<'_, Rule>>) -> Vec<Ident> {
        let mut out = Vec::new();
        for p in pairs {
            match p.as_rule() {
                Rule::ident_list => out.extend(self.idents(p)),
                Rule::opt_ident_list => {
                    for inner in p.into_inner() {
                        out.extend(self.idents(inner));
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn assignments(&mut self, pairs: Vec<Pair<'_, Rule>>) -> Vec<Assignment> {
        let mut out = Vec::new();
        for p in pairs {
            for a in p.into_inner().filter(|a| a.as_rule() == Rule::assignment) {
                let span = self.span(&a);
                let mut i = a.into_inner();
                let name = i
                    .next()
                    .map(|x| self.ident(x))
                    .unwrap_or_else(|| Ident::new("", span));
                let value = i.next().map(|x| self.expr(x)).unwrap_or_else(null_expr);
                out.push(Assignment { name, value });
            }
        }
        out
    }

    fn fill_value(&mut self, pair: Pair<'_, Rule>) -> FillValue {
        match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::fill_strategy => {
                let span = self.span(&p);
                FillValue::Strategy(Ident::new(p.as_str(), span))
            }
            Some(p) => FillValue::Constant(self.expr(p)),
            None => FillValue::Constant(null_expr()),
        }
    }

    /// `rollup(..)`, `cube(..)` or `grouping sets ((..), ..)`.
    fn grouping_sets(&mut self, pair: Pair<'_, Rule>) -> GroupingSets {
        let Some(inner) = pair.into_inner().next() else {
            return GroupingSets::Sets(Vec::new());
        };
        let rule = inner.as_rule();
        let mut lists = Vec::new();
        for p in inner.into_inner() {
            match p.as_rule() {
                Rule::ident_list => lists.push(self.idents(p)),
                Rule::grouping_set => lists.push(
                    p.into_inner()
                        .filter(|x| x.as_rule() == Rule::ident_list)
                        .flat_map(|x| self.idents(x))
                        .collect(),
                ),
                _ => {}
            }
        }
        match rule {
            Rule::grouping_rollup => GroupingSets::Rollup(lists.pop().unwrap_or_default()),
            Rule::grouping_cube => GroupingSets::Cube(lists.pop().unwrap_or_default()),
            _ => GroupingSets::Sets(lists),
        }
    }

    fn sort_key(&mut self, pair: Pair<'_, Rule>) -> SortKey {
        let span = self.span(&pair);
        let mut key = SortKey {
            column: Ident::new("", span),
            expression: None,
            descending: false,
            nulls_first: None,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::expr => {
                    let text = p.as_str().trim().to_string();
                    let e = self.expr(p);
                    match &e.kind {
                        ExprKind::Name(name) => key.column = Ident::new(name, e.span),
                        _ => {
                            key.column = Ident::new(&text, e.span);
                            key.expression = Some(e);
                        }
                    }
                }
                Rule::sort_dir => key.descending = p.as_str() == "desc",
                Rule::sort_nulls => {
                    key.nulls_first = p
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::nulls_pos)
                        .map(|x| x.as_str() == "first")
                }
                _ => {}
            }
        }
        key
    }

    /// `f(args) [rows|range between START and END]`.
    fn window_call(&mut self, pair: Pair<'_, Rule>) -> (Expr, Option<Frame>) {
        let mut value = null_expr();
        let mut frame = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::call => value = self.primary(p),
                Rule::frame => {
                    let span = self.span(&p);
                    let mut unit = FrameUnit::Range;
                    let mut bounds = Vec::new();
                    for f in p.into_inner() {
                        match f.as_rule() {
                            Rule::frame_unit => {
                                unit = if f.as_str() == "rows" {
                                    FrameUnit::Rows
                                } else {
                                    FrameUnit::Range
                                }
                            }
                            Rule::frame_bound => bounds.push(self.frame_bound(f)),
                            _ => {}
                        }
                    }
                    let mut bounds = bounds.into_iter();
                    frame = Some(Frame {
                        unit,
                        start: bounds.next().unwrap_or(FrameBound::UnboundedPreceding),
                        end: bounds.next().unwrap_or(FrameBound::CurrentRow),
                        span,
                    });
                }
                _ => {}
            }
        }
        (value, frame)
    }

    fn frame_bound(&mut self, pair: Pair<'_, Rule>) -> FrameBound {
        let parts: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        let following = parts
            .iter()
            .any(|p| p.as_rule() == Rule::frame_dir && p.as_str() == "following");
        let unbounded = parts.iter().any(|p| p.as_rule() == Rule::kw_unbounded);
        if parts.iter().any(|p| p.as_rule() == Rule::kw_current) {
            return FrameBound::CurrentRow;
        }
        match (unbounded, following) {
            (true, false) => FrameBound::UnboundedPreceding,
            (true, true) => FrameBound::UnboundedFollowing,
            (false, _) => {
                let offset = parts
                    .into_iter()
                    .find(|p| p.as_rule() == Rule::expr)
                    .map(|e| self.expr(e))
                    .unwrap_or_else(null_expr);
                if following {
                    FrameBound::Following(offset)
                } else {
                    FrameBound::Preceding(offset)
                }
            }
        }
    }

    /// `a` and `a == b` are keys (a left and a right column), `a <=> b` a key where
    /// nulls match; any other expression is a condition.
    fn join_item(&mut self, pair: Pair<'_, Rule>) -> JoinItem {
        let Some(inner) = pair.into_inner().next() else {
            return JoinItem::Condition(null_expr());
        };
        if inner.as_rule() == Rule::null_safe_key {
            let names = self.idents(inner);
            let left = names
                .first()
                .cloned()
                .unwrap_or_else(|| Ident::new("", Span::default()));
            let right = names.get(1).cloned().unwrap_or_else(|| left.clone());
            return JoinItem::Key(JoinKey {
                left,
                right,
                null_safe: true,
            });
        }
        let e = self.expr(inner);
        let key = |l: &Expr, r: &Expr| match (&l.kind, &r.kind) {
            (ExprKind::Name(a), ExprKind::Name(b)) => Some(JoinKey {
                left: Ident::new(a, l.span),
                right: Ident::new(b, r.span),
                null_safe: false,
            }),
            _ => None,
        };
        match &e.kind {
            ExprKind::Name(_) => key(&e, &e).map_or(JoinItem::Condition(e), JoinItem::Key),
            ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                right,
            } => match key(left, right) {
                Some(k) => JoinItem::Key(k),
                None => JoinItem::Condition(e),
            },
            _ => JoinItem::Condition(e),
        }
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let outermost = !self.nested;
        self.nested = true;
        let mut expr = self.pratt(pair.into_inner());
        self.nested = !outermost;
        if outermost && let Some(d) = nesting::check_size(&mut expr) {
            self.diagnostics.push(d);
        }
        expr
    }

    fn pratt(&mut self, pairs: Pairs<'_, Rule>) -> Expr {
        // PrattParser holds all four closures at once, so they cannot each borrow `self`
        // mutably: each builds with its own Builder and hands its diagnostics to a shared
        // RefCell, which is emptied into `self` at the end.
        let offset = self.offset;
        let diags = std::cell::RefCell::new(Vec::new());
        let expr = PRATT
            .map_primary(|p| {
                let mut b = Builder {
                    offset,
                    diagnostics: Vec::new(),
                    nested: true,
                };
                let e = b.primary(p);
                diags.borrow_mut().extend(b.diagnostics);
                e
            })
            .map_prefix(|op, operand| {
                let span = Span::new(offset + op.as_span().start(), operand.span.end);
                let op = if op.as_rule() == Rule::neg {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                // Fold `-` into a number literal so `-5` is the constant -5.
                if op == UnaryOp::Neg
                    && let ExprKind::Literal(lit) = &operand.kind
                {
                    match lit {
                        Literal::Int(i) if *i != i64::MIN => {
                            return Expr {
                                kind: ExprKind::Literal(Literal::Int(-i)),
                                span,
                            };
                        }
                        Literal::Float(f) => {
                            return Expr {
                                kind: ExprKind::Literal(Literal::Float(-f)),
                                span,
                            };
                        }
                        _ => {}
                    }
                }
                Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                }
            })
            .map_postfix(|operand, op| {
                let span = Span::new(operand.span.start, offset + op.as_span().end());
                match op.as_rule() {
                    // `l[i]` is `list_get(l, i)`.
                    Rule::index => {
                        let mut b = Builder {
                            offset,
                            diagnostics: Vec::new(),
                            nested: true,
                        };
                        let at = op
                            .into_inner()
                            .next()
                            .map(|e| b.expr(e))
                            .unwrap_or_else(null_expr);
                        diags.borrow_mut().extend(b.diagnostics);
                        let function = Ident::new("list_get", Span::new(span.end - 1, span.end));
                        Expr {
                            kind: ExprKind::Call {
                                function,
                                args: vec![
                                    Arg {
                                        name: None,
                                        value: operand,
                                    },
                                    Arg {
                                        name: None,
                                        value: at,
                                    },
                                ],
                            },
                            span,
                        }
                    }
                    Rule::as_type => {
                        let mut b = Builder {
                            offset,
                            diagnostics: Vec::new(),
                            nested: true,
                        };
                        let ty = op
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::type_ref)
                            .map(|t| b.type_ref(t));
                        diags.borrow_mut().extend(b.diagnostics);
                        let ty = ty.unwrap_or(TypeRef {
                            data_type: DataType::String,
                            nullable: false,
                            span,
                        });
                        Expr {
                            kind: ExprKind::Cast {
                                operand: Box::new(operand),
                                ty,
                            },
                            span,
                        }
                    }
                    _ => {
                        let mut negated = false;
                        let mut list = Vec::new();
                        for p in op.into_inner() {
                            match p.as_rule() {
                                Rule::not_in_kw => negated = true,
                                Rule::list => {
                                    let mut b = Builder {
                                        offset,
                                        diagnostics: Vec::new(),
                                        nested: true,
                                    };
                                    list = p.into_inner().map(|e| b.expr(e)).collect();
                                    diags.borrow_mut().extend(b.diagnostics);
                                }
                                _ => {}
                            }
                        }
                        Expr {
                            kind: ExprKind::InList {
                                operand: Box::new(operand),
                                list,
                                negated,
                            },
                            span,
                        }
                    }
                }
            })
            .map_infix(|left, op, right| {
                let op = match op.as_rule() {
                    Rule::or_op => BinaryOp::Or,
                    Rule::and_op => BinaryOp::And,
                    Rule::eq => BinaryOp::Eq,
                    Rule::ne => BinaryOp::NotEq,
                    Rule::lt => BinaryOp::Lt,
                    Rule::le => BinaryOp::LtEq,
                    Rule::gt => BinaryOp::Gt,
                    Rule::ge => BinaryOp::GtEq,
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                let span = left.span.to(right.span);
                Expr {
                    kind: ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    },
                    span,
                }
            })
            .parse(pairs);
        self.diagnostics.extend(diags.into_inner());
        expr
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => {
                return pair
                    .into_inner()
                    .next()
                    .map(|e| self.expr(e))
                    .unwrap_or_else(null_expr);
            }
            Rule::name => ExprKind::Name(
                pair.into_inner()
                    .next()
                    .map(|i| self.ident(i).name)
                    .unwrap_or_default(),
            ),
            Rule::call => {
                let mut inner = pair.into_inner();
                let function = inner
                    .next()
                    .map(|i| self.ident(i))
                    .unwrap_or_else(|| Ident::new("", span));
                let args = inner.next().map(|a| self.args(a)).unwrap_or_default();
                ExprKind::Call { function, args }
            }
            Rule::list => ExprKind::List(pair.into_inner().map(|e| self.expr(e)).collect()),
            Rule::case_expr => {
                let mut branches = Vec::new();
                let mut otherwise = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::case_branch => {
                            let mut exprs = p.into_inner().filter(|x| x.as_rule() == Rule::expr);
                            let cond = exprs.next().map(|e| self.expr(e)).unwrap_or_else(null_expr);
                            let value =
                                exprs.next().map(|e| self.expr(e)).unwrap_or_else(null_expr);
                            branches.push((cond, value));
                        }
                        Rule::expr => otherwise = Some(Box::new(self.expr(p))),
                        _ => {}
                    }
                }
                ExprKind::Case {
                    branches,
                    otherwise,
                }
            }
            Rule::int => match pair.as_str().parse::<i64>() {
                Ok(i) => ExprKind::Literal(Literal::Int(i)),
                Err(_) => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::InvalidLiteral,
                            format!("integer `{}` does not fit in int64", pair.as_str()),
                            span,
                            "too large",
                        )
                        .with_help("write it as a float (`1e20`) or a string"),
                    );
                    ExprKind::Literal(Literal::Null)
                }
            },
            Rule::float => {
                ExprKind::Literal(Literal::Float(pair.as_str().parse().unwrap_or(f64::NAN)))
            }
            Rule::duration => {
                let text = pair.as_str();
                let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let unit = DurationUnit::from_suffix(&text[digits.len()..])
                    .unwrap_or(DurationUnit::Seconds);
                match digits
                    .parse::<i64>()
                    .ok()
                    .filter(|a| a.checked_mul(unit.micros()).is_some())
                {
                    Some(amount) => ExprKind::Literal(Literal::Duration { amount, unit }),
                    None => {
                        self.diagnostics.push(Diagnostic::error(
                            Code::InvalidLiteral,
                            format!("duration `{text}` is too long"),
                            span,
                            "out of range",
                        ));
                        ExprKind::Literal(Literal::Null)
                    }
                }
            }
            Rule::boolean => ExprKind::Literal(Literal::Bool(pair.as_str() == "true")),
            Rule::null => ExprKind::Literal(Literal::Null),
            Rule::string => {
                let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
                match unescape(raw) {
                    Ok(s) => ExprKind::Literal(Literal::String(s)),
                    Err((at, message)) => {
                        let start = span.start + 1 + at;
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::InvalidLiteral,
                                message,
                                Span::new(start, start + 2),
                                "here",
                            )
                            .with_help("escapes are \\n \\t \\r \\0 \\\\ \\\" \\' and \\u{XXXX}"),
                        );
                        ExprKind::Literal(Literal::String(String::new()))
                    }
                }
            }
            _ => ExprKind::Literal(Literal::Null),
        };
        Expr { kind, span }
    }
}

/// "unknown operator `fliter`" with the closest operator as a suggestion (both front ends).
pub fn unknown_operator(word: &str, span: Span) -> Diagnostic {
    let mut d = Diagnostic::error(
        Code::UnknownOperator,
        format!("unknown operator `{word}`"),
        span,
        "not an operator",
    );
    d.help = did_you_mean(word, OPERATOR_KEYWORDS.iter().copied())
        .or_else(|| Some(format!("operators are {}", OPERATOR_KEYWORDS.join(", "))));
    d
}

fn null_expr() -> Expr {
    Expr {
        kind: ExprKind::Literal(Literal::Null),
        span: Span::default(),
    }
}

/// Resolves backslash escapes; the error gives the byte offset of the bad escape.
pub fn unescape(raw: &str) -> Result<String, (usize, String)> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '0')) => out.push('\0'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, '"')) => out.push('"'),
            Some((_, '\'')) => out.push('\''),
            Some((_, 'u')) => {
                let rest = &raw[i + 2..];
                let close = rest.find('}');
                let code = match (rest.starts_with('{'), close) {
                    (true, Some(end)) => u32::from_str_radix(&rest[1..end], 16)
                        .ok()
                        .and_then(char::from_u32),
                    _ => None,
                };
                match (code, close) {
                    (Some(ch), Some(end)) => {
                        out.push(ch);
                        for _ in 0..=end {
                            chars.next();
                        }
                    }
                    _ => return Err((i, "invalid unicode escape: expected \\u{XXXX}".into())),
                }
            }
            Some((_, other)) => return Err((i, format!("unknown escape `\\{other}`"))),
            None => return Err((i, "a string cannot end with a lone backslash".into())),
        }
    }
    Ok(out)
}

/// Escapes a string for a double-quoted literal (the inverse of [`unescape`]).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
