//! Top-k: a `sort` read only by a `take` becomes one top-k operator, which keeps the
//! best `k` rows of each partition as it streams and merges them at the end, instead of
//! sorting every row. A take above a top-k shrinks it.
//!
//! ```text
//! before: Limit 500                      after: TopK 500 by Magnitude desc nulls last
//!           Sort Magnitude desc nulls last         Scan quakes
//!             Scan quakes
//! ```

use super::{OptimizerRule, RuleContext};
use crate::plan::{LogicalPlan, PlanOp};
use petgraph::stable_graph::NodeIndex;

pub struct TopK;

impl OptimizerRule for TopK {
    fn name(&self) -> &'static str {
        "top_k"
    }

    fn summary(&self) -> &'static str {
        "turns a sort followed by a take into a top-k"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        let mut effects = Vec::new();
        for limit in plan.topological() {
            if let Some(effect) = fuse(plan, limit) {
                effects.push(effect);
            }
        }
        effects
    }
}

fn fuse(plan: &mut LogicalPlan, limit: NodeIndex) -> Option<String> {
    let PlanOp::Limit { count } = plan.graph[limit].op else {
        return None;
    };
    let input = *plan.inputs(limit).first()?;
    let below = &plan.graph[input];
    if plan.consumer_count(input) != 1
        || !below.hints.is_empty()
        || !plan.graph[limit].hints.is_empty()
    {
        return None;
    }
    let (keys, count, text) = match &below.op {
        PlanOp::Sort { keys } => (
            keys.clone(),
            count,
            format!("Sort then Limit {count}: TopK {count}"),
        ),
        PlanOp::TopK { keys, count: k } => (
            keys.clone(),
            count.min(*k),
            format!("Limit {count} over TopK {k}: TopK {}", count.min(*k)),
        ),
        _ => return None,
    };
    plan.graph[input].op = PlanOp::TopK { keys, count };
    if let Some(r) = plan.graph[limit].relation.take() {
        plan.graph[input].relation = Some(r);
    }
    plan.bypass(limit);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_then_take_becomes_top_k() {
        crate::assert_rule_snapshot!(
            "top_k__sort_then_take",
            &[&TopK],
            "pipeline t\nsource s = csv(\"s.csv\") { a: int64?, b: float64? }\n\
             let r = s\n  | sort b desc, a\n  | take 5\n  | take 3\n\
             let kept = s | sort a\nlet shared = kept | take 2\n\
             sink r -> console()\nsink shared -> console()\nsink kept -> console()\n"
        );
    }
}
