//! The plan as indented text, from each sink down to the scans: one line per operator,
//! its output schema under it. A node with several consumers is printed in full the
//! first time and referred to by name after that.

use super::{LogicalPlan, PlanOp};
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;
use std::fmt::Write;

/// Renders the plan; `schemas` adds each node's output schema under it.
pub fn render(plan: &LogicalPlan, schemas: bool) -> String {
    let mut printer = Printer {
        plan,
        out: String::new(),
        labels: HashMap::new(),
        next_label: 1,
        schemas,
    };
    for (i, sink) in plan.sinks.iter().enumerate() {
        if i > 0 {
            printer.out.push('\n');
        }
        printer.node(*sink, 0);
    }
    printer.out
}

struct Printer<'a> {
    plan: &'a LogicalPlan,
    out: String,
    labels: HashMap<NodeIndex, String>,
    next_label: usize,
    schemas: bool,
}

impl Printer<'_> {
    fn node(&mut self, id: NodeIndex, depth: usize) {
        let indent = "  ".repeat(depth);
        if let Some(label) = self.labels.get(&id) {
            let _ = writeln!(self.out, "{indent}↑ {label} (shown above)");
            return;
        }
        let node = &self.plan.graph[id];
        let shared = self.plan.consumer_count(id) > 1;
        let mut tags = Vec::new();
        if shared || node.relation.is_some() {
            let label = match &node.relation {
                Some(r) => r.clone(),
                None => {
                    self.next_label += 1;
                    format!("#{}", self.next_label - 1)
                }
            };
            tags.push(format!("[{label}]"));
            if shared {
                tags.push(format!("({} consumers)", self.plan.consumer_count(id)));
                self.labels.insert(id, label);
            }
        }
        if let Some(c) = node.hints.cache {
            tags.push(format!(
                "@cache({})",
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            ));
        }
        if let Some(p) = &node.hints.partition {
            tags.push(format!("@partition({p})"));
        }
        if node.hints.materialize {
            tags.push("@materialize".into());
        }
        match node.sharing {
            Some(super::Sharing::FanOut) => tags.push("[streamed once to all consumers]".into()),
            Some(super::Sharing::Cache(_)) => tags.push("[kept in memory]".into()),
            None => {}
        }
        let tag_text = if tags.is_empty() {
            String::new()
        } else {
            format!("  {}", tags.join(" "))
        };
        let _ = writeln!(self.out, "{indent}{}{tag_text}", node.op);
        if self.schemas && !matches!(node.op, PlanOp::Sink { .. }) {
            let _ = writeln!(self.out, "{indent}    ⇒ {}", node.schema);
        }
        for input in self.plan.inputs(id) {
            self.node(input, depth + 1);
        }
    }
}
