//! Constant folding and expression simplification.
//!
//! Params are substituted by the resolver, so `filter Magnitude >= min_mag * 2` reaches
//! the optimizer as `Magnitude >= 2.5 * 2`. This rule computes every subexpression that
//! reads no column once, at compile time, with the runtime's own reference kernels
//! (through [`ConstantEvaluator`](super::ConstantEvaluator), so a folded value is
//! exactly what the row-by-row evaluation would give, overflow and division by zero
//! included), and simplifies boolean logic with three-valued-logic-safe identities:
//! `x and true → x`, `x and false → false`, `x or true → true`, `x or false → x`,
//! `not true → false`. A `case` loses branches whose condition is constantly false
//! and stops at one constantly true. A filter whose predicate folds to `true` is removed.
//!
//! ```text
//! before: Filter Magnitude >= 2.5 * 2 and true      after: Filter Magnitude >= 5.0
//! ```

use super::{OptimizerRule, RuleContext};
use crate::plan::{ConstValue, LogicalPlan, PlanOp, TypedExpr, TypedExprKind};
use crate::syntax::ast::{BinaryOp, UnaryOp};

pub struct ConstantFolding;

impl OptimizerRule for ConstantFolding {
    fn name(&self) -> &'static str {
        "constant_folding"
    }

    fn summary(&self) -> &'static str {
        "computes column-free subexpressions once and simplifies boolean logic"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, context: RuleContext<'_>) -> Vec<String> {
        let mut effects = Vec::new();
        for node in plan.topological() {
            let label = plan.graph[node].op.name();
            let mut fold_one = |e: &mut TypedExpr| {
                let folded = fold(e, context);
                if folded != *e {
                    effects.push(format!("{label}: `{e}` → `{folded}`"));
                    *e = folded;
                }
            };
            match &mut plan.graph[node].op {
                PlanOp::Filter { predicate } => fold_one(predicate),
                PlanOp::Derive { columns } => columns.iter_mut().for_each(|(_, e)| fold_one(e)),
                PlanOp::Aggregate { aggregates, .. } => aggregates
                    .iter_mut()
                    .for_each(|a| a.args.iter_mut().for_each(&mut fold_one)),
                PlanOp::Scan { filters, .. } => filters.iter_mut().for_each(fold_one),
                _ => {}
            }
            if let PlanOp::Filter { predicate } = &plan.graph[node].op
                && is_bool(predicate, true)
                && plan.graph[node].hints.is_empty()
            {
                effects.push("Filter true: removed".into());
                plan.bypass(node);
            }
        }
        effects
    }
}

fn is_bool(e: &TypedExpr, value: bool) -> bool {
    matches!(e.kind, TypedExprKind::Literal(ConstValue::Bool(b)) if b == value)
}

fn is_literal(e: &TypedExpr) -> bool {
    matches!(e.kind, TypedExprKind::Literal(_))
}

/// A literal of the expression's own type (a folded `null` keeps the type it had).
fn literal_like(e: &TypedExpr, value: ConstValue) -> TypedExpr {
    TypedExpr {
        nullable: value == ConstValue::Null,
        kind: TypedExprKind::Literal(value),
        data_type: e.data_type.clone(),
    }
}

/// Folds an expression, children first. The result keeps the expression's type and
/// nullability (a derived column's schema must not change, even to become non-null).
pub(crate) fn fold(e: &TypedExpr, context: RuleContext<'_>) -> TypedExpr {
    let mut folded = fold_inner(e, context);
    folded.nullable |= e.nullable;
    folded
}

fn fold_inner(e: &TypedExpr, context: RuleContext<'_>) -> TypedExpr {
    let mut out = e.clone();
    if matches!(
        out.kind,
        TypedExprKind::Column(_) | TypedExprKind::Literal(_)
    ) {
        return out;
    }
    for child in out.children_mut() {
        *child = fold(child, context);
    }
    let simplified = simplify(out);
    if is_literal(&simplified) || !super::columns_of(&simplified).is_empty() {
        return simplified;
    }
    if matches!(simplified.kind, TypedExprKind::List(_)) {
        return simplified;
    }
    match context.evaluator.and_then(|ev| ev.evaluate(&simplified)) {
        Some(value) => literal_like(&simplified, value),
        None => simplified,
    }
}

/// Identities that hold under three-valued logic, applied at the root.
fn simplify(e: TypedExpr) -> TypedExpr {
    match &e.kind {
        TypedExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            if is_bool(left, false) || is_bool(right, false) {
                return literal_like(&e, ConstValue::Bool(false));
            }
            if is_bool(left, true) {
                return (**right).clone();
            }
            if is_bool(right, true) {
                return (**left).clone();
            }
            e
        }
        TypedExprKind::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            if is_bool(left, true) || is_bool(right, true) {
                return literal_like(&e, ConstValue::Bool(true));
            }
            if is_bool(left, false) {
                return (**right).clone();
            }
            if is_bool(right, false) {
                return (**left).clone();
            }
            e
        }
        TypedExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => match &operand.kind {
            TypedExprKind::Literal(ConstValue::Bool(b)) => literal_like(&e, ConstValue::Bool(!b)),
            _ => e,
        },
        TypedExprKind::Case {
            branches,
            otherwise,
        } => {
            let mut kept = Vec::new();
            let mut rest = otherwise.clone();
            for (c, v) in branches {
                if is_bool(c, true) {
                    rest = Some(Box::new(v.clone()));
                    break;
                }
                let never =
                    is_bool(c, false) || matches!(c.kind, TypedExprKind::Literal(ConstValue::Null));
                if !never {
                    kept.push((c.clone(), v.clone()));
                }
            }
            if kept.len() == branches.len() && rest == *otherwise {
                return e;
            }
            if kept.is_empty() {
                return match rest {
                    Some(v) => {
                        let mut v = *v;
                        // The case's type wins (a branch may be narrower, e.g. int in a float case).
                        if v.data_type != e.data_type {
                            v = TypedExpr {
                                nullable: v.nullable,
                                data_type: e.data_type.clone(),
                                kind: TypedExprKind::Cast {
                                    operand: Box::new(v),
                                    to: e.data_type.clone(),
                                },
                            };
                        }
                        v
                    }
                    None => literal_like(&e, ConstValue::Null),
                };
            }
            TypedExpr {
                kind: TypedExprKind::Case {
                    branches: kept,
                    otherwise: rest,
                },
                ..e
            }
        }
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "pipeline t\nparam k: float64 = 2.5\n\
        source s = csv(\"s.csv\") { a: int64?, b: float64?, c: string? }\n";

    #[test]
    fn boolean_identities_and_true_filters() {
        crate::assert_rule_snapshot!(
            "constant_folding__boolean_identities",
            &[&ConstantFolding],
            &format!(
                "{SOURCE}let r = s\n  | filter a > 1 and true\n  | filter true or c == \"x\"\n  \
                 | derive d = case when false then 1 when true then 2 else 3 end, e = not false or b > k\n\
                 sink r -> console()\n"
            )
        );
    }

    #[test]
    fn a_null_condition_is_never_taken() {
        let p = crate::optimize::test_support::plan(&format!(
            "{SOURCE}let r = s | derive d = case when null then 1 else 2 end\nsink r -> console()\n"
        ));
        let derive = p
            .graph
            .node_weights()
            .find_map(|n| match &n.op {
                PlanOp::Derive { columns } => Some(columns[0].1.clone()),
                _ => None,
            })
            .expect("derive");
        assert_eq!(fold(&derive, RuleContext::default()).to_string(), "2");
    }
}
