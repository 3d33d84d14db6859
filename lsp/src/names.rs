//! Where each relation, model, source and param is declared and used: the index
//! behind go to definition, find references and document symbols.

use sluice_compiler::syntax::ast::{Expr, ExprKind, Item, Operator, Pipeline, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Param,
    Source,
    Relation,
    Model,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub kind: NameKind,
    /// The name in its declaration.
    pub declared: Span,
    /// The whole declaration.
    pub item: Span,
    pub uses: Vec<Span>,
}

/// Every declared name with its uses, in declaration order.
pub fn index(ast: &Pipeline) -> Vec<Symbol> {
    let mut symbols: Vec<Symbol> = Vec::new();
    let declare = |symbols: &mut Vec<Symbol>, name: &str, kind, declared, item| {
        symbols.push(Symbol {
            name: name.to_string(),
            kind,
            declared,
            item,
            uses: Vec::new(),
        })
    };
    for item in &ast.items {
        match item {
            Item::Param(p) => declare(
                &mut symbols,
                &p.name.name,
                NameKind::Param,
                p.name.span,
                p.span,
            ),
            Item::Source(s) => {
                let kind = if s.format.name == "model" {
                    NameKind::Model
                } else {
                    NameKind::Source
                };
                declare(&mut symbols, &s.name.name, kind, s.name.span, s.span)
            }
            Item::Let(l) => {
                for n in &l.names {
                    declare(&mut symbols, &n.name, NameKind::Relation, n.span, l.span);
                }
                // A watermark's late rows are a relation of their own.
                for step in &l.steps {
                    if let Operator::Watermark { late: Some(n), .. } = &step.op {
                        declare(&mut symbols, &n.name, NameKind::Relation, n.span, step.span);
                    }
                }
            }
            Item::Model(m) => declare(
                &mut symbols,
                &m.name.name,
                NameKind::Model,
                m.name.span,
                m.span,
            ),
            Item::Sink(_) => {}
        }
    }
    let mut uses: Vec<(String, Span)> = Vec::new();
    let mut expr_names: Vec<(String, Span)> = Vec::new();
    for item in &ast.items {
        let mut exprs: Vec<&Expr> = Vec::new();
        match item {
            Item::Param(p) => exprs.extend(&p.default),
            Item::Source(s) => exprs.extend(s.args.iter().map(|a| &a.value)),
            Item::Sink(s) => {
                uses.push((s.input.name.clone(), s.input.span));
                exprs.extend(s.args.iter().map(|a| &a.value));
            }
            Item::Let(l) => {
                uses.push((l.input.name.clone(), l.input.span));
                for step in &l.steps {
                    step_uses(&step.op, &mut uses, &mut exprs);
                }
            }
            Item::Model(m) => {
                uses.push((m.input.name.clone(), m.input.span));
                for step in &m.steps {
                    step_uses(&step.op, &mut uses, &mut exprs);
                }
            }
        }
        for e in exprs {
            names_in(e, &mut expr_names);
        }
    }
    for (name, span) in uses {
        if let Some(s) = symbols
            .iter_mut()
            .find(|s| s.name == name && s.kind != NameKind::Param)
        {
            s.uses.push(span);
        }
    }
    // A bare name in an expression can only be a param (or a column, which is not
    // declared here).
    for (name, span) in expr_names {
        if let Some(s) = symbols
            .iter_mut()
            .find(|s| s.name == name && s.kind == NameKind::Param)
        {
            s.uses.push(span);
        }
    }
    symbols
}

fn step_uses<'a>(op: &'a Operator, uses: &mut Vec<(String, Span)>, exprs: &mut Vec<&'a Expr>) {
    match op {
        Operator::Join { right, .. } => uses.push((right.name.clone(), right.span)),
        Operator::Union { others, .. } => {
            uses.extend(others.iter().map(|o| (o.name.clone(), o.span)))
        }
        Operator::Intersect { other: r }
        | Operator::Except { other: r }
        | Operator::CrossJoin { right: r } => uses.push((r.name.clone(), r.span)),
        Operator::Window { columns, .. } => exprs.extend(columns.iter().map(|c| &c.value)),
        Operator::Predict { model } => uses.push((model.name.clone(), model.span)),
        Operator::Filter { predicate } => exprs.push(predicate),
        Operator::Watermark { delay, .. } => exprs.push(delay),
        Operator::Derive { columns } => exprs.extend(columns.iter().map(|a| &a.value)),
        Operator::Group { aggregates, .. } => exprs.extend(aggregates.iter().map(|a| &a.value)),
        Operator::Take { count, offset } => {
            exprs.push(count);
            exprs.extend(offset);
        }
        Operator::Sample { fraction, seed } => {
            exprs.push(fraction);
            exprs.extend(seed);
        }
        Operator::Split {
            fractions, seed, ..
        } => {
            exprs.extend(fractions);
            exprs.extend(seed);
        }
        Operator::Fit { args, .. }
        | Operator::Evaluate { args, .. }
        | Operator::Transform { args, .. } => exprs.extend(args.iter().map(|a| &a.value)),
        Operator::CrossValidate { args, options, .. } => {
            exprs.extend(args.iter().chain(options).map(|a| &a.value))
        }
        _ => {}
    }
}

/// The bare names (`ExprKind::Name`) in an expression, with their spans.
pub fn names_in(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Name(n) => out.push((n.clone(), e.span)),
        ExprKind::Literal(_) => {}
        ExprKind::Unary { operand, .. } | ExprKind::Cast { operand, .. } => names_in(operand, out),
        ExprKind::Binary { left, right, .. } => {
            names_in(left, out);
            names_in(right, out);
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                names_in(&a.value, out);
            }
        }
        ExprKind::List(items) => {
            for i in items {
                names_in(i, out);
            }
        }
        ExprKind::Case {
            branches,
            otherwise,
        } => {
            for (c, v) in branches {
                names_in(c, out);
                names_in(v, out);
            }
            if let Some(o) = otherwise {
                names_in(o, out);
            }
        }
        ExprKind::InList { operand, list, .. } => {
            names_in(operand, out);
            for i in list {
                names_in(i, out);
            }
        }
    }
}

/// The symbol whose declaration or one of whose uses covers `offset`.
pub fn at(symbols: &[Symbol], offset: usize) -> Option<&Symbol> {
    let covers = |s: &Span| s.start <= offset && offset <= s.end;
    symbols
        .iter()
        .find(|s| covers(&s.declared) || s.uses.iter().any(covers))
}
