//! Limit pushdown: a `take` moves below the operators that keep every row as it is
//! (`derive`, `select`, `rename`, `cast`), so they only compute the rows that survive;
//! two takes in a row become the smaller one; a take above a `union` also goes into
//! each of its inputs (the first `n` rows of a union come from the first `n` of each).
//!
//! ```text
//! before: Limit 10                       after: Derive y = x * 2
//!           Derive y = x * 2                       Limit 10
//!             Scan s                                 Scan s
//! ```

use super::{OptimizerRule, RuleContext, move_until_settled};
use crate::plan::{LogicalPlan, PlanNode, PlanOp};
use petgraph::stable_graph::NodeIndex;

pub struct LimitPushdown;

impl OptimizerRule for LimitPushdown {
    fn name(&self) -> &'static str {
        "limit_pushdown"
    }

    fn summary(&self) -> &'static str {
        "moves take below row-preserving operators and into union inputs"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        move_until_settled(plan, push_one, |_| Ok(()))
    }
}

fn push_one(plan: &mut LogicalPlan, limit: NodeIndex) -> Option<String> {
    let PlanOp::Limit { count } = plan.graph[limit].op else {
        return None;
    };
    if !plan.graph[limit].hints.is_empty() {
        return None;
    }
    let input = *plan.inputs(limit).first()?;
    let below = &plan.graph[input];
    let private =
        plan.consumer_count(input) == 1 && below.hints.is_empty() && below.sharing.is_none();
    match below.op.clone() {
        PlanOp::Limit { count: inner } if private => {
            let smaller = inner.min(count);
            plan.graph[input].op = PlanOp::Limit { count: smaller };
            carry_relation(plan, limit, input);
            plan.bypass(limit);
            Some(format!(
                "Limit {count} over Limit {inner}: one Limit {smaller}"
            ))
        }
        PlanOp::Derive { .. }
        | PlanOp::Project { .. }
        | PlanOp::Rename { .. }
        | PlanOp::Cast { .. }
            if private =>
        {
            let name = plan.graph[input].op.name();
            swap_with_input(plan, limit, input);
            Some(format!("Limit {count} moved below {name}"))
        }
        PlanOp::Union if private => {
            let mut moved = 0;
            for (slot, i) in plan.inputs(input).into_iter().enumerate() {
                let already = matches!(plan.graph[i].op, PlanOp::Limit { count: c } if c <= count)
                    && plan.consumer_count(i) == 1;
                if already {
                    continue;
                }
                let node = PlanNode {
                    op: PlanOp::Limit { count },
                    schema: plan.graph[i].schema.clone(),
                    relation: None,
                    hints: Default::default(),
                    sharing: None,
                    span: plan.graph[limit].span,
                };
                plan.insert_between(i, input, slot, node);
                moved += 1;
            }
            (moved > 0).then(|| format!("Limit {count} copied into {moved} union inputs"))
        }
        _ => None,
    }
}

/// `limit → op → x` becomes `op → limit → x`; the relation name stays on top.
fn swap_with_input(plan: &mut LogicalPlan, limit: NodeIndex, op: NodeIndex) {
    let Some(&below) = plan.inputs(op).first() else {
        return;
    };
    for (consumer, slot) in plan.consumers(limit) {
        plan.set_input(consumer, slot, op);
    }
    plan.set_input(limit, 0, below);
    plan.set_input(op, 0, limit);
    let top = plan.graph[limit].relation.take();
    if top.is_some() {
        plan.graph[op].relation = top;
    }
    plan.graph[limit].schema = plan.graph[below].schema.clone();
}

fn carry_relation(plan: &mut LogicalPlan, from: NodeIndex, to: NodeIndex) {
    if let Some(r) = plan.graph[from].relation.take() {
        plan.graph[to].relation = Some(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_row_preserving_operators_and_into_unions() {
        crate::assert_rule_snapshot!(
            "limit_pushdown__below_derive_and_into_union",
            &[&LimitPushdown],
            "pipeline t\nsource s = csv(\"s.csv\") { a: int64?, b: float64? }\n\
             let v = s | take 100\n\
             let r = s\n  | union v\n  | derive c = a * 2\n  | select a, c\n  | take 20\n  | take 10\n\
             sink r -> console()\n"
        );
    }
}
