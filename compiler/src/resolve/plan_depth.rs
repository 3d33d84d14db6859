//! Bounds the plan's depth: the operators on the longest path from a source to a sink
//! (chained steps, through every `let`) may not pass [`MAX_PLAN_DEPTH`], so passes that
//! walk the plan recursively cannot run out of stack.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::limits::MAX_PLAN_DEPTH;

impl Resolver<'_> {
    /// Reports the first operator past the limit. Nodes are added after their inputs,
    /// so one pass in index order sees every input's depth first.
    pub(super) fn check_plan_depth(&mut self) {
        use petgraph::visit::NodeIndexable;
        let graph = &self.plan.graph;
        let mut depth = vec![0usize; graph.node_bound()];
        for node in graph.node_indices() {
            let below = graph
                .neighbors_directed(node, petgraph::Direction::Incoming)
                .map(|input| depth[input.index()])
                .max()
                .unwrap_or(0);
            depth[node.index()] = below + 1;
            if below + 1 > MAX_PLAN_DEPTH {
                let span = graph[node].span;
                self.diags.push(
                    Diagnostic::error(
                        Code::LimitExceeded,
                        format!(
                            "this step is {} operators deep; a pipeline may chain at most {MAX_PLAN_DEPTH}",
                            below + 1
                        ),
                        span,
                        "too deep",
                    )
                    .with_help(
                        "merge consecutive steps (several conditions in one `filter`, several columns in one `derive`)",
                    ),
                );
                return;
            }
        }
    }
}
