//! The plan as a Graphviz `dot` digraph: one box per operator with its schema, edges
//! from inputs to consumers, nodes numbered in the deterministic topological order.

use super::LogicalPlan;
use std::collections::HashMap;
use std::fmt::Write;

pub fn render(plan: &LogicalPlan) -> String {
    let order = plan.topological();
    let ids: HashMap<_, _> = order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut out = String::from(
        "digraph sluice {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n",
    );
    for n in &order {
        let node = &plan.graph[*n];
        let mut label = node.op.to_string();
        if let Some(r) = &node.relation {
            label = format!("{r}\\n{}", escape(&label));
        } else {
            label = escape(&label);
        }
        let fields: Vec<String> = node
            .schema
            .fields
            .iter()
            .map(|f| escape(&f.to_string()))
            .collect();
        if !fields.is_empty() && !matches!(node.op, super::PlanOp::Sink { .. }) {
            label.push_str("\\l");
            label.push_str(&fields.join("\\l"));
            label.push_str("\\l");
        }
        let style = if matches!(node.op, super::PlanOp::Sink { .. }) {
            ", style=bold"
        } else {
            ""
        };
        let _ = writeln!(out, "  n{} [label=\"{label}\"{style}];", ids[n]);
    }
    for n in &order {
        for (slot, input) in plan.inputs(*n).iter().enumerate() {
            let label = if plan.inputs(*n).len() > 1 {
                format!(" [label=\"{slot}\"]")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  n{} -> n{}{label};", ids[input], ids[n]);
        }
    }
    out.push_str("}\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('{', "\\{")
        .replace('}', "\\}")
}
