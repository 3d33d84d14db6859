//! Cache placement: decides how a node read by several consumers is shared.
//!
//! An explicit `@cache(...)` hint always wins. Otherwise, when the node streams (a scan
//! or a chain of narrow operators) and every consumer folds its rows away (aggregates
//! and top-ks), one pass feeds them all and nothing is kept (a *fan-out*: the memory of
//! the partial states, not of the relation). Any other shared node is computed once and
//! kept in memory for its consumers.
//!
//! ```text
//! before: Derive Year = ...  (2 consumers)      after: Derive Year = ...  [fan-out to 2]
//!           Aggregate by Year ...                       Aggregate by Year ...
//!           TopK 500 by Magnitude ...                   TopK 500 by Magnitude ...
//! ```

use super::{OptimizerRule, RuleContext};
use crate::plan::{CacheLevel, LogicalPlan, PlanOp, Sharing};

pub struct CachePlacement;

impl OptimizerRule for CachePlacement {
    fn name(&self) -> &'static str {
        "cache_placement"
    }

    fn summary(&self) -> &'static str {
        "keeps or streams once every relation read by several consumers"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        let mut effects = Vec::new();
        for node in plan.topological() {
            let consumers = plan.consumers(node);
            let n = &plan.graph[node];
            if consumers.len() < 2 || n.hints.cache.is_some() {
                continue;
            }
            let streams = (n.op.is_fusable()
                || matches!(n.op, PlanOp::Scan { .. } | PlanOp::Stage { .. }))
                && n.hints.is_empty();
            let folded = consumers.iter().all(|(c, slot)| {
                *slot == 0
                    && matches!(
                        plan.graph[*c].op,
                        PlanOp::Aggregate { .. } | PlanOp::TopK { .. }
                    )
            });
            let sharing = if streams && folded {
                Sharing::FanOut
            } else {
                Sharing::Cache(CacheLevel::Memory)
            };
            if n.sharing == Some(sharing) {
                continue;
            }
            let label = n
                .relation
                .clone()
                .unwrap_or_else(|| n.op.name().to_string());
            effects.push(match sharing {
                Sharing::FanOut => format!(
                    "`{label}` streams once into its {} consumers",
                    consumers.len()
                ),
                Sharing::Cache(_) => format!(
                    "`{label}` is computed once and kept in memory for its {} consumers",
                    consumers.len()
                ),
            });
            plan.graph[node].sharing = Some(sharing);
        }
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fan_out_when_every_consumer_folds_else_memory_and_hints_win() {
        crate::assert_rule_snapshot!(
            "cache_placement__fan_out_memory_hint",
            &[&CachePlacement],
            "pipeline t\nsource s = csv(\"s.csv\") { a: int64?, b: float64? }\n\
             let base = s | filter a > 0\n\
             let g = base | group a { n = count() }\n\
             let h = base | group { m = max(b) }\n\
             let kept = s | derive c = a + 1\n\
             let k1 = kept | sort a\nlet k2 = kept | filter c > 2\n\
             let hinted = s | derive d = a * 2 @cache(disk)\n\
             let h1 = hinted | group { n = count() }\nlet h2 = hinted | group { m = max(d) }\n\
             sink g -> console()\nsink h -> console()\nsink k1 -> console()\nsink k2 -> console()\n\
             sink h1 -> console()\nsink h2 -> console()\n"
        );
    }
}
