//! Shared subplans: identical subtrees are computed once.
//!
//! Two nodes with the same operator, the same arguments, the same hints and the same
//! inputs give the same rows, so one of them is enough: its consumers read the other.
//! Walking inputs first makes whole identical subtrees collapse, scans first. (A node
//! left with several consumers is then shared; cache placement decides how.)
//!
//! ```text
//! before: Aggregate { n = count() }       after: Aggregate { n = count() }
//!           Scan a: csv("x.csv")                   Scan a: csv("x.csv")  (2 consumers)
//!         Sort v                                 Sort v
//!           Scan b: csv("x.csv")                   ↑ a (shown above)
//! ```

use super::{OptimizerRule, RuleContext};
use crate::plan::{LogicalPlan, PlanOp};
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

pub struct SharedSubplans;

impl OptimizerRule for SharedSubplans {
    fn name(&self) -> &'static str {
        "shared_subplans"
    }

    fn summary(&self) -> &'static str {
        "merges identical subtrees so they are computed once"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        let mut effects = Vec::new();
        let mut seen: HashMap<String, NodeIndex> = HashMap::new();
        for node in plan.topological() {
            if !plan.graph.contains_node(node) {
                continue;
            }
            let n = &plan.graph[node];
            if matches!(n.op, PlanOp::Sink { .. }) {
                continue;
            }
            let Some(key) = signature(plan, node) else {
                continue;
            };
            match seen.get(&key) {
                Some(&first) if first != node => {
                    let what = match (&plan.graph[node].relation, &plan.graph[first].relation) {
                        (Some(a), Some(b)) => format!("`{a}` is the same as `{b}`"),
                        _ => format!("a second {} is the same as the first", n.op.name()),
                    };
                    effects.push(format!("{what}: computed once"));
                    plan.replace_node(node, first);
                }
                _ => {
                    seen.insert(key, node);
                }
            }
        }
        effects
    }
}

/// What makes two nodes interchangeable: operator with arguments (a scan's source name
/// aside), output schema, hints and inputs (by node, in slot order).
fn signature(plan: &LogicalPlan, node: NodeIndex) -> Option<String> {
    let n = &plan.graph[node];
    // Two sources reading the same file the same way are one scan, whatever their names.
    let mut op = n.op.clone();
    if let PlanOp::Scan { source, .. } = &mut op {
        source.clear();
    }
    let op = serde_json::to_string(&op).ok()?;
    let hints = serde_json::to_string(&n.hints).ok()?;
    let inputs: Vec<usize> = plan.inputs(node).iter().map(|i| i.index()).collect();
    Some(format!("{op}|{}|{hints}|{inputs:?}", n.schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_scans_and_chains_collapse() {
        crate::assert_rule_snapshot!(
            "shared_subplans__identical_chains",
            &[&SharedSubplans],
            "pipeline t\n\
             source a = csv(\"x.csv\") { v: int64?, w: string? }\n\
             source b = csv(\"x.csv\") { v: int64?, w: string? }\n\
             source c = csv(\"x.csv\") { v: int64?, w: string? } @cache(disk)\n\
             let p = a | filter v > 1 | group w { n = count() }\n\
             let q = b | filter v > 1 | sort v\n\
             let r = c | filter v > 1\n\
             sink p -> console()\nsink q -> console()\nsink r -> console()\n"
        );
    }
}
