//! Top-n per partition: a window whose only functions are `row_number()`, read only
//! through a filter that keeps `row_number() <= n`, needs only the first `n` rows of each
//! partition. The window is told so, and finds them with one bounded heap per partition
//! key instead of sorting every row (the db-benchmark's "largest two v3 by id6"). The
//! filter stays, so the rule only ever removes rows the filter would remove.
//!
//! ```text
//! before: Filter rn <= 2                 after: Filter rn <= 2
//!           Window by id6 order by v3 desc         Window by id6 order by v3 desc
//!             { rn = row_number() }                  { rn = row_number() } first 2 per partition
//! ```

use super::{OptimizerRule, RuleContext, conjuncts};
use crate::plan::{ConstValue, LogicalPlan, PlanOp, TypedExpr, TypedExprKind};
use crate::syntax::ast::BinaryOp;
use petgraph::stable_graph::NodeIndex;

pub struct WindowTopN;

impl OptimizerRule for WindowTopN {
    fn name(&self) -> &'static str {
        "window_top_n"
    }

    fn summary(&self) -> &'static str {
        "keeps only the first n rows per partition of a window filtered on row_number() <= n"
    }

    fn rewrite(&self, plan: &mut LogicalPlan, _context: RuleContext<'_>) -> Vec<String> {
        let mut effects = Vec::new();
        for filter in plan.topological() {
            if let Some(effect) = limit(plan, filter) {
                effects.push(effect);
            }
        }
        effects
    }
}

/// The bound `c` puts on `column` in `e` (`column <= c`, `column < c + 1`, `c >= column`,
/// `column == c`), as the number of first rows it keeps.
fn bound(e: &TypedExpr, column: &str) -> Option<u64> {
    let TypedExprKind::Binary { op, left, right } = &e.kind else {
        return None;
    };
    let int = |e: &TypedExpr| match &e.kind {
        TypedExprKind::Literal(ConstValue::Int(c)) => Some(*c),
        _ => None,
    };
    let is_column = |e: &TypedExpr| matches!(&e.kind, TypedExprKind::Column(c) if c == column);
    let (op, c) = if is_column(left) {
        (*op, int(right)?)
    } else if is_column(right) {
        let flipped = match op {
            BinaryOp::GtEq => BinaryOp::LtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::Eq => BinaryOp::Eq,
            _ => return None,
        };
        (flipped, int(left)?)
    } else {
        return None;
    };
    let last = match op {
        BinaryOp::LtEq | BinaryOp::Eq => c,
        BinaryOp::Lt => c.saturating_sub(1),
        _ => return None,
    };
    Some(u64::try_from(last).unwrap_or(0))
}

fn limit(plan: &mut LogicalPlan, filter: NodeIndex) -> Option<String> {
    let PlanOp::Filter { predicate } = &plan.graph[filter].op else {
        return None;
    };
    let window = *plan.inputs(filter).first()?;
    if plan.consumer_count(window) != 1 || !plan.graph[window].hints.is_empty() {
        return None;
    }
    let PlanOp::Window {
        functions, first, ..
    } = &plan.graph[window].op
    else {
        return None;
    };
    if functions.is_empty() || functions.iter().any(|w| w.function != "row_number") {
        return None;
    }
    let n = conjuncts(predicate)
        .iter()
        .filter_map(|c| functions.iter().find_map(|w| bound(c, &w.name)))
        .min()?;
    if first.is_some_and(|f| f <= n) {
        return None;
    }
    let text = format!("Filter {predicate} over Window: first {n} per partition");
    if let PlanOp::Window { first, .. } = &mut plan.graph[window].op {
        *first = Some(n);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_on_row_number_keeps_the_first_rows_per_partition() {
        crate::assert_rule_snapshot!(
            "window_top_n__row_number_filter",
            &[&WindowTopN],
            "pipeline t\nsource s = csv(\"s.csv\") { k: string?, v: float64? }\n\
             let r = s\n  | window by k order by v desc { rn = row_number() }\n  | filter rn <= 2 and v > 0\n\
             let running = s\n  | window by k order by v { rn = row_number(), total = sum(v) }\n  | filter rn <= 2\n\
             sink r -> csv(\"r.csv\")\nsink running -> csv(\"q.csv\")\n"
        );
    }
}
