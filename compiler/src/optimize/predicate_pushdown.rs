//! Predicate pushdown: filters move as close to the data as they can go.
//!
//! A filter's predicate is split into its conjuncts; each one moves below its input
//! when that gives the same rows: through `derive` (unless it reads a derived column),
//! `select`, `rename` (names mapped back), `cast` (unless it reads a cast column),
//! `sort`, `repartition`, `drop_null`, another filter, `distinct` (when it reads only
//! the distinct columns), `fill_null` with constants (unless it reads a filled column;
//! a mean or median would change), `explode` (unless it reads the exploded column), a
//! `group` (when it reads only the keys), into every input of a `union` whose column
//! types match, and into the side of a join that cannot make nulls (left of an inner,
//! left, semi or anti join; right of an inner or right join; both for a key named alike
//! in an inner join). It never crosses `take`, `sample`, `split`, a top-k, or a node that
//! another consumer also reads or that carries a hint.
//!
//! Last, a filter reaching a scan becomes the scan's own filter: the CSV reader converts
//! the columns it reads first and rejects rows before converting the rest; the Parquet
//! reader skips row groups whose min/max statistics rule it out.
//!
//! ```text
//! before: Filter Type == "Earthquake"          after: Scan quakes: csv(...)
//!           Scan quakes: csv(...)                      where Type == "Earthquake"
//! ```

use super::{OptimizerRule, RuleContext, columns_of, conjunction, conjuncts, move_until_settled};
use crate::plan::schema::join_column_origins;
use crate::plan::{LogicalPlan, PlanNode, PlanOp, TypedExpr};
use crate::syntax::ast::JoinKind;
use petgraph::stable_graph::NodeIndex;

pub struct PredicatePushdown;

impl OptimizerRule for PredicatePushdown {
    fn name(&self) -> &'static str {
        "predicate_pushdown"
    }

    fn summary(&self) -> &'static str {
        "moves filters below the operators they commute with, and into scans"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        // Later moves need the schemas of the filters inserted by earlier ones.
        move_until_settled(plan, push_one, LogicalPlan::refresh_schemas)
    }
}

/// Where a conjunct can go from a filter above `input`.
enum Target {
    /// Below a single-input operator, with its columns renamed.
    Below(Vec<(String, String)>),
    /// Into the scan's own filters.
    Scan,
    /// Into these inputs (by slot) of a union or join, renamed per input.
    Inputs(Vec<(usize, Vec<(String, String)>)>),
    Stay,
}

/// Pushes what it can of the filter at `node` one step down; describes the move.
fn push_one(plan: &mut LogicalPlan, node: NodeIndex) -> Option<String> {
    let PlanOp::Filter { predicate } = &plan.graph[node].op else {
        return None;
    };
    if !plan.graph[node].hints.is_empty() {
        return None;
    }
    let input = *plan.inputs(node).first()?;
    let below = &plan.graph[input];
    // A node read by others, or steered by a hint, keeps its rows.
    if plan.consumer_count(input) != 1 || !below.hints.is_empty() || below.sharing.is_some() {
        return None;
    }
    if let PlanOp::Filter { predicate: lower } = &below.op {
        let mut parts = conjuncts(lower);
        parts.extend(conjuncts(predicate));
        let merged = conjunction(parts)?;
        let text = format!("merged `{predicate}` into the filter below");
        plan.graph[input].op = PlanOp::Filter { predicate: merged };
        plan.bypass(node);
        return Some(text);
    }
    let parts = conjuncts(predicate);
    let mut stay = Vec::new();
    let mut moves: Vec<(TypedExpr, Target)> = Vec::new();
    for c in parts {
        match target(plan, input, &c) {
            Target::Stay => stay.push(c),
            t => moves.push((c, t)),
        }
    }
    if moves.is_empty() {
        return None;
    }
    let below_name = describe(&plan.graph[input]);
    let mut texts = Vec::new();
    for (c, t) in moves {
        texts.push(format!("`{c}`"));
        match t {
            Target::Scan => {
                if let PlanOp::Scan { filters, .. } = &mut plan.graph[input].op {
                    filters.push(c);
                }
            }
            Target::Below(renames) => {
                let below_input = *plan.inputs(input).first()?;
                add_filter(plan, below_input, input, 0, rename(&c, &renames));
            }
            Target::Inputs(slots) => {
                let inputs = plan.inputs(input);
                for (slot, renames) in slots {
                    add_filter(plan, inputs[slot], input, slot, rename(&c, &renames));
                }
            }
            Target::Stay => {}
        }
    }
    match conjunction(stay) {
        Some(rest) => plan.graph[node].op = PlanOp::Filter { predicate: rest },
        None => {
            // Keep the relation's name on the node that now ends it.
            if let Some(r) = plan.graph[node].relation.take()
                && plan.graph[input].relation.is_none()
            {
                plan.graph[input].relation = Some(r);
            }
            plan.bypass(node);
        }
    }
    Some(format!("pushed {} {below_name}", texts.join(", ")))
}

fn describe(n: &PlanNode) -> String {
    match &n.op {
        PlanOp::Scan { source, .. } => format!("into scan `{source}`"),
        op => format!("below {}", op.name()),
    }
}

/// Puts a filter on the edge `input → consumer` (slot), merging with a filter already
/// there that only this consumer reads.
fn add_filter(
    plan: &mut LogicalPlan,
    input: NodeIndex,
    consumer: NodeIndex,
    slot: usize,
    predicate: TypedExpr,
) {
    let schema = plan.graph[input].schema.clone();
    let span = plan.graph[consumer].span;
    plan.insert_between(
        input,
        consumer,
        slot,
        PlanNode {
            op: PlanOp::Filter { predicate },
            schema,
            relation: None,
            hints: Default::default(),
            sharing: None,
            span,
        },
    );
}

fn rename(e: &TypedExpr, renames: &[(String, String)]) -> TypedExpr {
    let mut out = e.clone();
    out.rename_columns(&|c: &str| {
        renames
            .iter()
            .find(|(from, _)| from == c)
            .map(|(_, to)| to.clone())
    });
    out
}

/// Where conjunct `c` of a filter reading `input` can go.
fn target(plan: &LogicalPlan, input: NodeIndex, c: &TypedExpr) -> Target {
    let reads = columns_of(c);
    let touches = |names: Vec<&String>| names.iter().any(|n| reads.contains(n));
    let below = || Target::Below(Vec::new());
    match &plan.graph[input].op {
        PlanOp::Scan { .. } => Target::Scan,
        PlanOp::Project { .. }
        | PlanOp::Sort { .. }
        | PlanOp::Repartition { .. }
        | PlanOp::DropNull { .. } => below(),
        PlanOp::Derive { columns } if !touches(columns.iter().map(|(n, _)| n).collect()) => below(),
        PlanOp::Cast { columns } if !touches(columns.iter().map(|(n, _)| n).collect()) => below(),
        PlanOp::Rename { pairs } => {
            // Map each output name back through the renames, last first.
            let mut map: Vec<(String, String)> = Vec::new();
            for r in &reads {
                let mut name = r.clone();
                for (from, to) in pairs.iter().rev() {
                    if &name == to {
                        name = from.clone();
                    }
                }
                map.push((r.clone(), name));
            }
            Target::Below(map)
        }
        PlanOp::Distinct { columns }
            if columns.is_empty() || reads.iter().all(|r| columns.contains(r)) =>
        {
            below()
        }
        PlanOp::FillNull { fills }
            if fills
                .iter()
                .all(|(_, f)| matches!(f, crate::plan::Fill::Constant(_)))
                && !touches(fills.iter().map(|(n, _)| n).collect()) =>
        {
            below()
        }
        PlanOp::Explode { column, position }
            if !reads.contains(column) && position.as_ref().is_none_or(|p| !reads.contains(p)) =>
        {
            below()
        }
        PlanOp::Aggregate { keys, .. }
            if !keys.is_empty() && reads.iter().all(|r| keys.contains(r)) =>
        {
            below()
        }
        // A filter on the partition keys keeps or drops whole partitions.
        PlanOp::Window { partition_by, .. }
            if !partition_by.is_empty() && reads.iter().all(|r| partition_by.contains(r)) =>
        {
            below()
        }
        PlanOp::Union => {
            let out = &plan.graph[input].schema;
            let slots: Vec<(usize, Vec<(String, String)>)> = plan
                .inputs(input)
                .iter()
                .enumerate()
                .map(|(slot, i)| (slot, Vec::new(), &plan.graph[*i].schema))
                .filter(|(_, _, s)| {
                    reads.iter().all(|r| {
                        s.field(r).map(|f| &f.data_type) == out.field(r).map(|f| &f.data_type)
                    })
                })
                .map(|(slot, r, _)| (slot, r))
                .collect();
            if slots.len() == plan.inputs(input).len() {
                Target::Inputs(slots)
            } else {
                Target::Stay
            }
        }
        PlanOp::Join { kind, on, asof, .. } => {
            join_target(plan, input, *kind, on, &reads, asof.is_some())
        }
        _ => Target::Stay,
    }
}

/// The join sides a conjunct reading `reads` can move into.
fn join_target(
    plan: &LogicalPlan,
    join: NodeIndex,
    kind: JoinKind,
    on: &[(String, String)],
    reads: &[String],
    asof: bool,
) -> Target {
    if reads.is_empty() {
        return Target::Stay;
    }
    let inputs = plan.inputs(join);
    let (left, right) = (&plan.graph[inputs[0]].schema, &plan.graph[inputs[1]].schema);
    let origins = join_column_origins(kind, on, left, right);
    let origin = |name: &String| origins.iter().find(|(n, _, _)| n == name);
    let shared_key = |name: &String| on.iter().any(|(l, r)| l == name && r == name);
    let all_left = reads
        .iter()
        .all(|r| origin(r).is_some_and(|(_, is_left, _)| *is_left));
    let all_right = reads
        .iter()
        .all(|r| origin(r).is_some_and(|(_, is_left, _)| !*is_left));
    let left_ok = matches!(
        kind,
        JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti
    );
    if all_left && left_ok {
        let mut slots = vec![(0, Vec::new())];
        // A key named alike on both sides of an inner join holds equal values on both.
        let same_type = reads
            .iter()
            .all(|r| left.field(r).map(|f| &f.data_type) == right.field(r).map(|f| &f.data_type));
        if kind == JoinKind::Inner && reads.iter().all(shared_key) && same_type {
            slots.push((1, Vec::new()));
        }
        return Target::Inputs(slots);
    }
    // Below an as-of join, fewer right rows would change which one is nearest.
    if all_right && matches!(kind, JoinKind::Inner | JoinKind::Right) && !asof {
        let renames = reads
            .iter()
            .filter_map(|r| origin(r).map(|(n, _, from)| (n.clone(), from.clone())))
            .collect();
        return Target::Inputs(vec![(1, renames)]);
    }
    Target::Stay
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &str = "pipeline t\n\
        source s = csv(\"s.csv\") { a: int64?, b: float64?, c: string? }\n\
        source u = csv(\"u.csv\") { a: int64?, d: string? }\n";

    fn check(name: &str, body: &str) {
        crate::assert_rule_snapshot!(
            name,
            &[&PredicatePushdown],
            &format!("{SOURCES}{body}\nsink r -> console()\n")
        );
    }

    #[test]
    fn through_narrow_operators_into_the_scan() {
        check(
            "predicate_pushdown__into_scan",
            "let r = s\n  | derive e = b * 2\n  | rename { c -> name }\n  | sort a\n  \
             | filter name == \"x\" and e > 1.0 and a > 3",
        );
    }

    #[test]
    fn never_across_take_sample_or_a_mean_fill() {
        check(
            "predicate_pushdown__barriers",
            "let r = s\n  | fill_null { b = mean }\n  | take 10\n  | sample 0.5 seed 1\n  \
             | filter b > 1.0 and a > 1",
        );
    }

    #[test]
    fn into_the_valid_sides_of_joins() {
        check(
            "predicate_pushdown__joins",
            "let r = s\n  | join inner u on a\n  | join left u on a\n  \
             | filter c == \"x\" and d == \"y\" and a > 1 and d_right == \"z\"",
        );
    }

    #[test]
    fn into_every_input_of_a_union_and_below_a_group_on_its_keys() {
        check(
            "predicate_pushdown__union_and_group",
            "let v = s | select a, c\nlet w = s | select a, c\n\
             let r = v\n  | union w\n  | group a, c { n = count() }\n  | filter a > 1 and n > 2",
        );
    }

    #[test]
    fn not_into_a_shared_relation() {
        check(
            "predicate_pushdown__shared",
            "let base = s | derive e = a + 1\nlet r = base | filter a > 1\nsink base -> console()",
        );
    }
}
