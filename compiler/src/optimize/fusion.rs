//! Fusion: a chain of narrow operators (filter, select, derive, rename, cast,
//! drop_null) becomes one stage, run over each batch in one go: the unit the JIT
//! compiles. A chain stops at a node another consumer also reads or that carries a
//! hint (its rows are needed as they are there); such a node may still end a chain.
//!
//! ```text
//! before: Project a, c                   after: Stage [Filter a > 1 → Derive c = a * 2 → Project a, c]
//!           Derive c = a * 2                       Scan s
//!             Filter a > 1
//!               Scan s
//! ```

use super::{OptimizerRule, RuleContext};
use crate::plan::{FusedStep, LogicalPlan, PlanNode, PlanOp};
use petgraph::stable_graph::NodeIndex;

pub struct Fusion;

impl OptimizerRule for Fusion {
    fn name(&self) -> &'static str {
        "fusion"
    }

    fn summary(&self) -> &'static str {
        "fuses chains of narrow operators into stages"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        let mut effects = Vec::new();
        for top in plan.topological() {
            if !plan.graph.contains_node(top) || !fusable(&plan.graph[top].op) {
                continue;
            }
            // Only start from the top of a chain: a node its consumer cannot absorb.
            if let Some(consumer) = plan.only_consumer(top)
                && fusable(&plan.graph[consumer].op)
                && interior(plan, top)
            {
                continue;
            }
            let mut chain = vec![top];
            let mut below = plan.inputs(top)[0];
            while fusable(&plan.graph[below].op) && interior(plan, below) {
                chain.push(below);
                below = plan.inputs(below)[0];
            }
            if chain.len() < 2 {
                continue;
            }
            chain.reverse();
            let steps: Vec<FusedStep> = chain
                .iter()
                .map(|n| FusedStep {
                    op: plan.graph[*n].op.clone(),
                    schema: plan.graph[*n].schema.clone(),
                })
                .collect();
            let t = &plan.graph[top];
            let stage = PlanNode {
                op: PlanOp::Stage { steps },
                schema: t.schema.clone(),
                relation: t.relation.clone(),
                hints: t.hints.clone(),
                sharing: t.sharing,
                span: t.span,
            };
            effects.push(format!(
                "{} operators fused into one stage: {}",
                chain.len(),
                chain
                    .iter()
                    .map(|n| plan.graph[*n].op.name())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
            let id = plan.add(stage, &[below]);
            for (consumer, slot) in plan.consumers(top) {
                plan.set_input(consumer, slot, id);
            }
            for n in chain {
                plan.graph.remove_node(n);
            }
        }
        effects
    }
}

fn fusable(op: &PlanOp) -> bool {
    op.is_fusable()
}

/// A node that can sit inside a stage: read once, no hints, not shared.
fn interior(plan: &LogicalPlan, node: NodeIndex) -> bool {
    let n = &plan.graph[node];
    plan.consumer_count(node) == 1 && n.hints.is_empty() && n.sharing.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_chains_become_stages_up_to_shared_nodes() {
        crate::assert_rule_snapshot!(
            "fusion__chains",
            &[&Fusion],
            "pipeline t\nsource s = csv(\"s.csv\") { a: int64?, b: float64?, c: string? }\n\
             let base = s | filter a > 1 | derive d = a * 2\n\
             let r = base | rename { c -> name } | cast { d: float64 } | select a, d, name\n\
             let g = base | group a { n = count() }\n\
             sink r -> console()\nsink g -> console()\n"
        );
    }
}
