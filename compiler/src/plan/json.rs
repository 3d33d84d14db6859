//! The plan as JSON: nodes in deterministic topological order with numeric ids given by
//! that order, each with its operator, arguments, schema, hints and input ids.

use super::LogicalPlan;
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn render(plan: &LogicalPlan) -> Value {
    let order = plan.topological();
    let ids: HashMap<_, _> = order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let nodes: Vec<Value> = order
        .iter()
        .map(|n| {
            let node = &plan.graph[*n];
            json!({
                "id": ids[n],
                "relation": node.relation,
                "operator": node.op,
                "schema": node.schema.fields,
                "hints": node.hints,
                "inputs": plan.inputs(*n).iter().map(|i| ids[i]).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "nodes": nodes,
        "sinks": plan.sinks.iter().map(|s| ids[s]).collect::<Vec<_>>(),
    })
}
