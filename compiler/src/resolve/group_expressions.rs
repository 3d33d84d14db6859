//! Expressions over aggregates in a `group` (`range = max(v1) - min(v2)`,
//! `share = count() / sum(n) * 100`): every aggregate call inside such an item becomes a
//! hidden aggregate of the group, the item an expression over those (and the keys)
//! computed after it, and a projection keeps the keys and the items in order. Items that
//! are one aggregate call go straight into the group, as before; an item may also be an
//! expression over the keys alone.

use super::Resolver;
use super::expr::Context;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{AggregateExpr, PlanOp, TypedExprKind};
use crate::syntax::ast::{Arg, Assignment, Expr, ExprKind, Ident, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::functions;
use sluice_stdlib::{Field, Schema};

/// The prefix of the hidden aggregates' columns.
const HIDDEN: &str = "__sluice_agg_";

/// Whether an item is one aggregate call (which the group computes directly).
pub(crate) fn is_single_aggregate(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { function, .. } if functions::aggregate(&function.name).is_some())
}

/// Calls `f` on `e` and every subexpression of it, from the top down.
pub(crate) fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Unary { operand, .. } | ExprKind::Cast { operand, .. } => visit(operand, f),
        ExprKind::Binary { left, right, .. } => {
            visit(left, f);
            visit(right, f);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| visit(&a.value, f)),
        ExprKind::List(items) => items.iter().for_each(|i| visit(i, f)),
        ExprKind::Case {
            branches,
            otherwise,
        } => {
            for (c, v) in branches {
                visit(c, f);
                visit(v, f);
            }
            if let Some(o) = otherwise {
                visit(o, f);
            }
        }
        ExprKind::InList { operand, list, .. } => {
            visit(operand, f);
            list.iter().for_each(|i| visit(i, f));
        }
        ExprKind::Literal(_) | ExprKind::Name(_) => {}
    }
}

/// `e` with each aggregate call replaced by the name of a hidden column, the calls
/// collected in `hidden`.
fn lift(e: &Expr, hidden: &mut Vec<Assignment>) -> Expr {
    rewrite(e, &mut |e| {
        if !is_single_aggregate(e) {
            return None;
        }
        let name = format!("{HIDDEN}{}", hidden.len());
        hidden.push(Assignment {
            name: Ident::new(name.clone(), e.span),
            value: e.clone(),
        });
        Some(Expr {
            kind: ExprKind::Name(name),
            span: e.span,
        })
    })
}

/// `e` with every subexpression for which `replace` gives a replacement replaced (from
/// the top down: a replaced subexpression is not looked into).
pub(crate) fn rewrite(e: &Expr, replace: &mut impl FnMut(&Expr) -> Option<Expr>) -> Expr {
    if let Some(new) = replace(e) {
        return new;
    }
    let kind = match &e.kind {
        ExprKind::Unary { op, operand } => ExprKind::Unary {
            op: *op,
            operand: Box::new(rewrite(operand, replace)),
        },
        ExprKind::Cast { operand, ty } => ExprKind::Cast {
            operand: Box::new(rewrite(operand, replace)),
            ty: ty.clone(),
        },
        ExprKind::Binary { op, left, right } => ExprKind::Binary {
            op: *op,
            left: Box::new(rewrite(left, replace)),
            right: Box::new(rewrite(right, replace)),
        },
        ExprKind::Call { function, args } => ExprKind::Call {
            function: function.clone(),
            args: args
                .iter()
                .map(|a| Arg {
                    name: a.name.clone(),
                    value: rewrite(&a.value, replace),
                })
                .collect(),
        },
        ExprKind::List(items) => {
            ExprKind::List(items.iter().map(|i| rewrite(i, replace)).collect())
        }
        ExprKind::Case {
            branches,
            otherwise,
        } => ExprKind::Case {
            branches: branches
                .iter()
                .map(|(c, v)| (rewrite(c, replace), rewrite(v, replace)))
                .collect(),
            otherwise: otherwise.as_ref().map(|o| Box::new(rewrite(o, replace))),
        },
        ExprKind::InList {
            operand,
            list,
            negated,
        } => ExprKind::InList {
            operand: Box::new(rewrite(operand, replace)),
            list: list.iter().map(|i| rewrite(i, replace)).collect(),
            negated: *negated,
        },
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

impl Resolver<'_> {
    /// A `group` whose items are not all single aggregate calls: the group with hidden
    /// aggregates, a derive of the items, a projection. `None` when something is wrong
    /// (reported).
    pub(crate) fn group_with_expressions(
        &mut self,
        input: NodeIndex,
        keys: &[Ident],
        items: &[Assignment],
        step: &Step,
    ) -> Option<NodeIndex> {
        let schema = self.schema(input).clone();
        let mut hidden: Vec<Assignment> = Vec::new();
        let mut computed: Vec<(Ident, Expr)> = Vec::new();
        for item in items {
            if is_single_aggregate(&item.value) {
                hidden.push(item.clone());
                continue;
            }
            let lifted = lift(&item.value, &mut hidden);
            computed.push((item.name.clone(), lifted));
        }
        // The group itself.
        let mut out = Schema::new(
            keys.iter()
                .filter_map(|k| schema.field(&k.name).cloned())
                .collect(),
        );
        let mut aggregates = Vec::new();
        for a in &hidden {
            let t = self.type_expr(&a.value, &schema, Context::Aggregate)?;
            if out.field(&a.name.name).is_some()
                || computed.iter().any(|(n, _)| n.name == a.name.name)
            {
                self.diags.push(Diagnostic::error(
                    Code::DuplicateColumn,
                    format!("column `{}` is named twice", a.name.name),
                    a.name.span,
                    "name taken",
                ));
                return None;
            }
            out.fields.push(Field::new(
                a.name.name.clone(),
                t.data_type.clone(),
                t.nullable,
            ));
            let TypedExprKind::Call { function, args } = t.kind else {
                return None;
            };
            aggregates.push(AggregateExpr {
                name: a.name.name.clone(),
                function,
                args,
            });
        }
        let group = self.add_step(
            input,
            PlanOp::Aggregate {
                keys: keys.iter().map(|k| k.name.clone()).collect(),
                aggregates,
                window_end: None,
            },
            out.clone(),
            step,
            &[],
        );
        // An item's name is new: not a key, not another item's.
        for (i, item) in items.iter().enumerate() {
            let taken = keys.iter().any(|k| k.name == item.name.name)
                || items[..i].iter().any(|o| o.name.name == item.name.name);
            if taken {
                self.diags.push(Diagnostic::error(
                    Code::DuplicateColumn,
                    format!("column `{}` is named twice", item.name.name),
                    item.name.span,
                    "name taken",
                ));
                return None;
            }
        }
        // Outside its aggregates, an item may read the keys only.
        for (name, e) in &computed {
            let mut stray = None;
            visit(e, &mut |x| {
                if let ExprKind::Name(n) = &x.kind
                    && !n.starts_with(HIDDEN)
                    && !keys.iter().any(|k| &k.name == n)
                    && schema.field(n).is_some()
                    && stray.is_none()
                {
                    stray = Some((n.clone(), x.span));
                }
            });
            if let Some((column, span)) = stray {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!("`{}` reads `{column}` outside an aggregate, and `{column}` is not a key of the group", name.name),
                        span,
                        "neither a key nor aggregated",
                    )
                    .with_help(format!("aggregate it (`max({column})`), or add it to the group's keys")),
                );
                return None;
            }
        }
        // The items over the aggregates, each seeing the group's columns.
        let mut derived = out.clone();
        let mut columns = Vec::new();
        for (name, e) in &computed {
            let t = self.type_expr(e, &out, Context::Row)?;
            derived.upsert(Field::new(
                name.name.clone(),
                t.data_type.clone(),
                t.nullable,
            ));
            columns.push((name.name.clone(), t));
        }
        let derive = self.add_step(
            group,
            PlanOp::Derive { columns },
            derived.clone(),
            step,
            &[],
        );
        let keep: Vec<String> = keys
            .iter()
            .map(|k| k.name.clone())
            .chain(items.iter().map(|i| i.name.name.clone()))
            .collect();
        let projected = Schema::new(
            keep.iter()
                .filter_map(|c| derived.field(c).cloned())
                .collect(),
        );
        Some(self.add_step(
            derive,
            PlanOp::Project { columns: keep },
            projected,
            step,
            &[],
        ))
    }
}
