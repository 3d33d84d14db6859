//! Projection pushdown: nothing reads, converts or computes a column that no sink needs.
//!
//! One walk from the sinks down computes, for every node, the columns its consumers
//! need (a sink needs all it receives; a filter adds what its predicate reads; a derive
//! needs the inputs of the derived columns that are needed; a join the keys and the
//! needed columns of each side; and so on). Then:
//! - every scan reads only those columns (the CSV reader skips the other fields, the
//!   Parquet reader does not read their column chunks);
//! - derived columns, aggregates, casts, renames and fills of columns nobody needs are
//!   dropped (a derive left with nothing to do disappears);
//! - a `select` left keeping every column it receives disappears.
//!
//! A left column whose name makes a right column come out as `x_right` is kept, so the
//! join's output names never change; if they still would, both sides stay whole.
//!
//! ```text
//! before: Project ID, Magnitude                after: Project ID, Magnitude
//!           Scan quakes: csv(...)                       Scan quakes: csv(...) columns [ID, Magnitude]
//! ```

use super::{OptimizerRule, RuleContext, columns_of};
use crate::plan::schema::join_column_origins;
use crate::plan::{LogicalPlan, PlanOp};
use crate::syntax::ast::JoinKind;
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::ml::spec::EvaluateSpec;
use std::collections::HashMap;

pub struct ProjectionPushdown;

impl OptimizerRule for ProjectionPushdown {
    fn name(&self) -> &'static str {
        "projection_pushdown"
    }

    fn summary(&self) -> &'static str {
        "reads and computes only the columns something downstream uses"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        let needed = needed_columns(plan);
        let mut effects = Vec::new();
        for node in plan.topological() {
            let Some(need) = needed.get(&node) else {
                continue;
            };
            if let Some(effect) = prune(plan, node, need) {
                effects.push(effect);
            }
        }
        if !effects.is_empty() && plan.refresh_schemas().is_ok() {
            // A select that now keeps exactly what it receives does nothing.
            for node in plan.topological() {
                if let PlanOp::Project { columns } = &plan.graph[node].op
                    && let Some(&input) = plan.inputs(node).first()
                    && plan.graph[input]
                        .schema
                        .names()
                        .eq(columns.iter().map(String::as_str))
                    && plan.graph[node].hints.is_empty()
                {
                    effects.push(format!(
                        "{} keeps all its input: removed",
                        plan.graph[node].op
                    ));
                    carry_relation(plan, node, input);
                    plan.bypass(node);
                }
            }
        }
        effects
    }
}

/// Moves a removed node's relation name to the node that now ends the relation.
fn carry_relation(plan: &mut LogicalPlan, from: NodeIndex, to: NodeIndex) {
    if plan.consumer_count(to) == 1
        && plan.graph[to].relation.is_none()
        && let Some(r) = plan.graph[from].relation.take()
    {
        plan.graph[to].relation = Some(r);
    }
}

type Needs = Vec<String>;

fn add(set: &mut Needs, names: impl IntoIterator<Item = String>) {
    for n in names {
        if !set.contains(&n) {
            set.push(n);
        }
    }
}

/// The columns of each node's output that its consumers read.
fn needed_columns(plan: &LogicalPlan) -> HashMap<NodeIndex, Needs> {
    let mut needed: HashMap<NodeIndex, Needs> = HashMap::new();
    for node in plan.topological().into_iter().rev() {
        let out = needed.get(&node).cloned().unwrap_or_default();
        let inputs = plan.inputs(node);
        for (slot, input) in inputs.iter().enumerate() {
            let want = needs_of_input(plan, node, slot, &out);
            add(needed.entry(*input).or_default(), want);
        }
    }
    needed
}

/// What `node` reads from its input in `slot`, given the columns needed of its output.
fn needs_of_input(plan: &LogicalPlan, node: NodeIndex, slot: usize, out: &Needs) -> Needs {
    let inputs = plan.inputs(node);
    let all_of = |i: usize| -> Needs {
        plan.graph[inputs[i]]
            .schema
            .names()
            .map(String::from)
            .collect()
    };
    let mut need = out.clone();
    match &plan.graph[node].op {
        PlanOp::Sink { .. } | PlanOp::LoadModel { .. } | PlanOp::LateRows => return all_of(0),
        PlanOp::Fit { spec } => {
            need = spec.input.iter().map(|c| c.name.clone()).collect();
            add(&mut need, spec.label.iter().map(|l| l.name.clone()));
        }
        PlanOp::Predict { .. } if slot == 1 => return all_of(1),
        PlanOp::Predict { reads, outputs, .. } => {
            need.retain(|n| !outputs.iter().any(|o| &o.name == n));
            add(&mut need, reads.iter().cloned());
        }
        PlanOp::Evaluate { spec } => {
            need = match spec {
                EvaluateSpec::Binary { label, score, .. } => vec![label.clone(), score.clone()],
                EvaluateSpec::Regression { label, prediction }
                | EvaluateSpec::Multiclass { label, prediction } => {
                    vec![label.clone(), prediction.clone()]
                }
                EvaluateSpec::Clustering {
                    features,
                    prediction,
                    ..
                } => {
                    let mut n = features.clone();
                    add(&mut n, [prediction.clone()]);
                    n
                }
            };
        }
        // Rows still count when no column is needed: every input keeps the same one.
        PlanOp::Union if need.is_empty() => need.extend(
            plan.graph[node]
                .schema
                .fields
                .first()
                .map(|f| f.name.clone()),
        ),
        PlanOp::Project { columns } => need = kept_by_project(columns, out),
        PlanOp::Filter { predicate } => add(&mut need, columns_of(predicate)),
        PlanOp::Derive { columns } => {
            for (name, e) in columns.iter().rev() {
                if need.contains(name) {
                    need.retain(|n| n != name);
                    add(&mut need, columns_of(e));
                }
            }
        }
        PlanOp::Rename { pairs } => {
            for (from, to) in pairs.iter().rev() {
                for n in need.iter_mut() {
                    if n == to {
                        *n = from.clone();
                    }
                }
            }
        }
        PlanOp::Distinct { columns } if columns.is_empty() => return all_of(0),
        PlanOp::Distinct { columns } | PlanOp::DropNull { columns } => {
            add(&mut need, columns.iter().cloned())
        }
        PlanOp::Aggregate {
            keys, aggregates, ..
        } => {
            need = keys.clone();
            for a in aggregates.iter().filter(|a| out.contains(&a.name)) {
                for arg in &a.args {
                    add(&mut need, columns_of(arg));
                }
            }
        }
        PlanOp::Sort { keys } | PlanOp::TopK { keys, .. } => {
            add(&mut need, keys.iter().map(|k| k.column.clone()))
        }
        PlanOp::Window {
            partition_by,
            order_by,
            functions,
            ..
        } => {
            need.retain(|n| !functions.iter().any(|w| &w.name == n));
            add(&mut need, partition_by.iter().cloned());
            add(&mut need, order_by.iter().map(|k| k.column.clone()));
            for w in functions {
                for arg in &w.args {
                    add(&mut need, columns_of(arg));
                }
            }
        }
        PlanOp::Explode { column, position } => {
            need.retain(|n| Some(n) != position.as_ref());
            add(&mut need, [column.clone()]);
        }
        PlanOp::SplitPart {
            stratify: Some(s), ..
        } => add(&mut need, [s.clone()]),
        PlanOp::Repartition { partitioning } => add(&mut need, partition_columns(partitioning)),
        PlanOp::Join {
            kind,
            on,
            condition,
            asof,
            ..
        } => {
            let (left, right) = (&plan.graph[inputs[0]].schema, &plan.graph[inputs[1]].schema);
            let origins = join_column_origins(*kind, on, left, right);
            let mut sides: [Needs; 2] = [Vec::new(), Vec::new()];
            for (l, r) in on {
                add(&mut sides[0], [l.clone()]);
                add(&mut sides[1], [r.clone()]);
            }
            if let Some(a) = asof {
                add(&mut sides[0], [a.left_time.clone()]);
                add(&mut sides[1], [a.right_time.clone()]);
            }
            // The condition reads columns as an inner join names them; a right column
            // read as `x_right` keeps the left's `x`, so that its name stays.
            if let Some(c) = condition {
                let inner = join_column_origins(JoinKind::Inner, on, left, right);
                let reads = columns_of(c);
                for (name, is_left, from) in &inner {
                    if reads.contains(name) {
                        add(&mut sides[usize::from(!is_left)], [from.clone()]);
                        if !is_left && name != from {
                            add(&mut sides[0], [from.clone()]);
                        }
                    }
                }
            }
            for (name, is_left, from) in &origins {
                if out.contains(name) {
                    add(&mut sides[usize::from(!is_left)], [from.clone()]);
                }
            }
            // A right column named `x_right` because the left has an `x` keeps that `x`,
            // so that pruning does not change the name it comes out under.
            for (name, is_left, from) in &origins {
                if !is_left && name != from && out.contains(name) {
                    add(&mut sides[0], [from.clone()]);
                }
            }
            let pruned = |side: usize| {
                let schema = if side == 0 { left } else { right };
                sluice_stdlib::Schema::new(
                    schema
                        .fields
                        .iter()
                        .filter(|f| sides[side].contains(&f.name))
                        .cloned()
                        .collect(),
                )
            };
            let after = join_column_origins(*kind, on, &pruned(0), &pruned(1));
            let stable = origins
                .iter()
                .filter(|(name, _, _)| out.contains(name))
                .all(|o| after.contains(o));
            return if stable {
                sides[slot].clone()
            } else {
                all_of(slot)
            };
        }
        PlanOp::Watermark { column, .. } => add(&mut need, [column.clone()]),
        PlanOp::Scan { .. }
        | PlanOp::StreamScan { .. }
        | PlanOp::Cast { .. }
        | PlanOp::FillNull { .. }
        | PlanOp::Limit { .. }
        | PlanOp::Offset { .. }
        | PlanOp::Union
        | PlanOp::Sample { .. }
        | PlanOp::SplitPart { .. }
        | PlanOp::Stage { .. } => {}
    }
    if matches!(plan.graph[node].op, PlanOp::Stage { .. }) {
        return all_of(slot);
    }
    need
}

/// The columns a `select` keeps when only `need` is needed of it: at least one, so
/// its rows still count.
fn kept_by_project(columns: &[String], need: &Needs) -> Vec<String> {
    let kept: Vec<String> = columns
        .iter()
        .filter(|c| need.contains(c))
        .cloned()
        .collect();
    if kept.is_empty() {
        columns.iter().take(1).cloned().collect()
    } else {
        kept
    }
}

fn partition_columns(p: &crate::plan::Partitioning) -> Vec<String> {
    use crate::plan::Partitioning;
    match p {
        Partitioning::RoundRobin { .. } => Vec::new(),
        Partitioning::Hash { columns, .. } | Partitioning::Range { columns, .. } => columns.clone(),
    }
}

/// Narrows one node to what is needed of it; describes the change.
fn prune(plan: &mut LogicalPlan, node: NodeIndex, need: &Needs) -> Option<String> {
    let label = plan.graph[node].op.name();
    match &mut plan.graph[node].op {
        PlanOp::Scan {
            source,
            file_schema,
            projection,
            ..
        } => {
            let mut keep: Vec<String> = file_schema
                .names()
                .filter(|n| need.iter().any(|x| x == n))
                .map(String::from)
                .collect();
            if keep.is_empty() {
                // Rows still count (`count()` of a file): read the narrowest column.
                keep.extend(file_schema.fields.first().map(|f| f.name.clone()));
            }
            let new = (keep.len() < file_schema.len()).then_some(keep);
            if new == *projection {
                return None;
            }
            let text = format!(
                "scan `{source}` reads {} of {} columns",
                new.as_ref().map_or(file_schema.len(), Vec::len),
                file_schema.len()
            );
            *projection = new;
            Some(text)
        }
        PlanOp::Derive { columns } => {
            let before = columns.len();
            let dropped: Vec<String> = columns
                .iter()
                .filter(|(n, _)| !need.contains(n))
                .map(|(n, _)| n.clone())
                .collect();
            columns.retain(|(n, _)| need.contains(n));
            if columns.len() == before {
                return None;
            }
            let text = format!("Derive: {} not computed", quoted(&dropped));
            if columns.is_empty() {
                remove(plan, node);
            }
            Some(text)
        }
        PlanOp::Aggregate { aggregates, .. } => {
            let dropped: Vec<String> = aggregates
                .iter()
                .filter(|a| !need.contains(&a.name))
                .map(|a| a.name.clone())
                .collect();
            if dropped.is_empty() {
                return None;
            }
            aggregates.retain(|a| need.contains(&a.name));
            Some(format!("Aggregate: {} not computed", quoted(&dropped)))
        }
        PlanOp::Cast { columns } => {
            let before = columns.len();
            columns.retain(|(n, _)| need.contains(n));
            shrink(plan, node, label, before)
        }
        PlanOp::FillNull { fills } => {
            let before = fills.len();
            fills.retain(|(n, _)| need.contains(n));
            shrink(plan, node, label, before)
        }
        PlanOp::Rename { pairs } => {
            let before = pairs.len();
            pairs.retain(|(_, to)| need.contains(to));
            shrink(plan, node, label, before)
        }
        PlanOp::Project { columns } => {
            let before = columns.len();
            *columns = kept_by_project(columns, need);
            if columns.len() == before {
                return None;
            }
            Some(format!("Project: keeps {}", quoted(columns)))
        }
        _ => None,
    }
}

/// After a list operator lost `before - now` items: describe, and remove it if empty.
fn shrink(plan: &mut LogicalPlan, node: NodeIndex, label: &str, before: usize) -> Option<String> {
    let now = match &plan.graph[node].op {
        PlanOp::Cast { columns } => columns.len(),
        PlanOp::FillNull { fills } => fills.len(),
        PlanOp::Rename { pairs } => pairs.len(),
        _ => before,
    };
    if now == before {
        return None;
    }
    if now == 0 {
        remove(plan, node);
        return Some(format!("{label}: nothing needed, removed"));
    }
    Some(format!(
        "{label}: {} of {before} unneeded, dropped",
        before - now
    ))
}

fn remove(plan: &mut LogicalPlan, node: NodeIndex) {
    if !plan.graph[node].hints.is_empty() {
        return;
    }
    if let Some(&input) = plan.inputs(node).first() {
        carry_relation(plan, node, input);
    }
    plan.bypass(node);
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &str = "pipeline t\n\
        source s = csv(\"s.csv\") { a: int64?, b: float64?, c: string?, d: string?, e: int64? }\n\
        source u = csv(\"u.csv\") { a: int64?, b: string?, f: string? }\n";

    fn check(name: &str, body: &str) {
        crate::assert_rule_snapshot!(
            name,
            &[&ProjectionPushdown],
            &format!("{SOURCES}{body}\nsink r -> console()\n")
        );
    }

    #[test]
    fn scans_read_only_what_is_used_and_unused_derivations_go() {
        check(
            "projection_pushdown__scan_and_derive",
            "let r = s\n  | derive x = a * 2, y = b + 1.0, z = length(c)\n  | filter d == \"k\"\n  \
             | select a, x",
        );
    }

    #[test]
    fn through_joins_keeping_clashing_names_stable() {
        check(
            "projection_pushdown__join",
            "let r = s\n  | join inner u on a\n  | select a, b_right, c",
        );
    }

    #[test]
    fn unused_aggregates_and_renames_are_dropped() {
        check(
            "projection_pushdown__aggregate",
            "let r = s\n  | rename { c -> city, d -> district }\n  \
             | group city { n = count(), total = sum(e), m = mean(b) }\n  | select city, total",
        );
    }

    #[test]
    fn a_union_whose_first_input_another_consumer_reads_more_of() {
        // `s` feeds the union and a sink that needs `d` too; the union keeps its own columns.
        crate::assert_rule_snapshot!(
            "projection_pushdown__union_shared_input",
            &[&ProjectionPushdown],
            &format!(
                "{SOURCES}let v = s | select a, b, c, d, e\nlet r = s | union v | select a\n\
                 let w = s | select a, d\nsink r -> console()\nsink w -> console()\n"
            )
        );
    }

    #[test]
    fn a_count_of_a_file_reads_one_column() {
        check(
            "projection_pushdown__count",
            "let r = s | group { n = count() }",
        );
    }
}
