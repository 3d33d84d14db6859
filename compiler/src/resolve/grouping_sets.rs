//! `group rollup(a, b) { ... }`, `group cube(a, b) { ... }` and
//! `group grouping sets ((a, b), (a), ()) { ... }`: several groupings of one input in
//! one result, as SQL's and Spark's `GROUP BY ROLLUP / CUBE / GROUPING SETS`.
//!
//! Each grouping set is one `group` of the input by that set's keys (so every item form a
//! `group` takes works here: aggregates, expressions over them, the spill and the
//! parallelism); the keys a set leaves out are null in its rows; the sets' results are
//! concatenated in the order of the sets (rollup: longest prefix first; cube: the full set
//! first, the empty set last). `grouping_id()` in an item is, for each row, the bit mask
//! of the keys its set leaves out, the first key being the highest bit (Spark's
//! `grouping_id()`): it tells a null that means "all" from a null key value.

use super::Resolver;
use super::group_expressions::{rewrite, visit};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{ConstValue, PlanOp, TypedExpr, TypedExprKind};
use crate::syntax::ast::{
    Assignment, Expr, ExprKind, GroupingSets, Ident, Literal, Operator, Span, Step,
};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{Field, Schema};

/// The most key columns a `cube` takes (2^12 = 4096 groupings of the input).
pub const MAX_CUBE_COLUMNS: usize = 12;

/// The item function that numbers a row's grouping set.
pub const GROUPING_ID: &str = "grouping_id";

/// Where an item calls `grouping_id()`, if it does.
pub(crate) fn grouping_id_call(e: &Expr) -> Option<Span> {
    let mut at = None;
    visit(e, &mut |x| {
        if let ExprKind::Call { function, .. } = &x.kind
            && function.name == GROUPING_ID
            && at.is_none()
        {
            at = Some(function.span);
        }
    });
    at
}

/// `items` with each `grouping_id()` replaced by the literal `id`.
fn with_grouping_id(items: &[Assignment], id: i64) -> Vec<Assignment> {
    items
        .iter()
        .map(|a| Assignment {
            name: a.name.clone(),
            value: rewrite(&a.value, &mut |e| match &e.kind {
                ExprKind::Call { function, args }
                    if function.name == GROUPING_ID && args.is_empty() =>
                {
                    Some(Expr {
                        kind: ExprKind::Literal(Literal::Int(id)),
                        span: e.span,
                    })
                }
                _ => None,
            }),
        })
        .collect()
}

impl Resolver<'_> {
    /// Reports a `grouping_id()` in a `group` without grouping sets; true when there is
    /// none.
    pub(crate) fn no_grouping_id(&mut self, items: &[Assignment], what: &str) -> bool {
        for a in items {
            if let Some(span) = grouping_id_call(&a.value) {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!("`grouping_id()` only means something in a `group` with grouping sets, not in {what}"),
                        span,
                        "no grouping sets here",
                    )
                    .with_help("write `| group rollup(a, b) { ... }`, `cube(a, b)` or `grouping sets ((a, b), (a), ())`"),
                );
                return false;
            }
        }
        true
    }

    /// The grouping sets a `group` names, each a list of keys.
    fn expand(&mut self, grouping: &GroupingSets, step: &Step) -> Option<Vec<Vec<Ident>>> {
        Some(match grouping {
            GroupingSets::Rollup(keys) => {
                (0..=keys.len()).rev().map(|n| keys[..n].to_vec()).collect()
            }
            GroupingSets::Cube(keys) => {
                if keys.len() > MAX_CUBE_COLUMNS {
                    self.diags.push(
                        Diagnostic::error(
                            Code::LimitExceeded,
                            format!(
                                "`cube` of {} columns would group the input {} times (at most {MAX_CUBE_COLUMNS} columns)",
                                keys.len(),
                                1u128 << keys.len().min(127)
                            ),
                            step.span,
                            "too many columns",
                        )
                        .with_help("name the sets you need with `grouping sets ((..), ..)`"),
                    );
                    return None;
                }
                let n = keys.len();
                (0..1usize << n)
                    .rev()
                    .map(|mask| {
                        (0..n)
                            .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                            .map(|i| keys[i].clone())
                            .collect()
                    })
                    .collect()
            }
            GroupingSets::Sets(sets) => {
                if sets.is_empty() {
                    self.diags.push(Diagnostic::error(
                        Code::ArgumentCount,
                        "`grouping sets` needs at least one set",
                        step.span,
                        "no set",
                    ));
                    return None;
                }
                sets.clone()
            }
        })
    }

    /// The `group` over several grouping sets: one group per set, the left-out keys
    /// null, the results concatenated.
    pub(crate) fn group_by_sets(
        &mut self,
        input: NodeIndex,
        grouping: &GroupingSets,
        items: &[Assignment],
        step: &Step,
    ) -> Option<NodeIndex> {
        let schema = self.schema(input).clone();
        let columns = grouping.columns();
        if !self.columns_exist(&columns, &schema) {
            return None;
        }
        let sets = self.expand(grouping, step)?;
        let mut branches = Vec::with_capacity(sets.len());
        for set in &sets {
            if !self.no_duplicates(set) {
                return None;
            }
            let left_out = columns.iter().fold(0i64, |id, c| {
                (id << 1) | i64::from(!set.iter().any(|k| k.name == c.name))
            });
            let one = Step {
                op: Operator::Group {
                    keys: set.clone(),
                    aggregates: with_grouping_id(items, left_out),
                    grouping: None,
                    window: None,
                },
                ..step.clone()
            };
            // A mistake in the items shows in the first set already: reported once.
            branches.push((self.step(input, &one)?, set));
        }
        // The result: every key (nullable where some set leaves it out), then the items.
        let mut out = Schema::new(Vec::new());
        for c in &columns {
            let field = schema.field(&c.name)?;
            let left_out = sets.iter().any(|s| !s.iter().any(|k| k.name == c.name));
            out.fields.push(Field::new(
                c.name.clone(),
                field.data_type.clone(),
                field.nullable || left_out,
            ));
        }
        for a in items {
            let mut field: Option<Field> = None;
            for (node, _) in &branches {
                let f = self.schema(*node).field(&a.name.name)?.clone();
                field = Some(match field {
                    None => f,
                    Some(mut g) => {
                        g.nullable |= f.nullable;
                        g
                    }
                });
            }
            out.fields.push(field?);
        }
        let names: Vec<String> = out.fields.iter().map(|f| f.name.clone()).collect();
        let mut aligned = Vec::with_capacity(branches.len());
        for (node, set) in branches {
            let missing: Vec<(String, TypedExpr)> = columns
                .iter()
                .filter(|c| !set.iter().any(|k| k.name == c.name))
                .filter_map(|c| {
                    let t = schema.field(&c.name)?.data_type.clone();
                    Some((
                        c.name.clone(),
                        TypedExpr {
                            kind: TypedExprKind::Literal(ConstValue::Null),
                            data_type: t,
                            nullable: true,
                        },
                    ))
                })
                .collect();
            let mut node = node;
            if !missing.is_empty() {
                let mut wider = self.schema(node).clone();
                for (name, e) in &missing {
                    wider
                        .fields
                        .push(Field::new(name.clone(), e.data_type.clone(), true));
                }
                node = self.add_step(node, PlanOp::Derive { columns: missing }, wider, step, &[]);
            }
            let projected = Schema::new(
                names
                    .iter()
                    .filter_map(|n| self.schema(node).field(n).cloned())
                    .collect(),
            );
            aligned.push(self.add_step(
                node,
                PlanOp::Project {
                    columns: names.clone(),
                },
                projected,
                step,
                &[],
            ));
        }
        let (first, rest) = aligned.split_first()?;
        if rest.is_empty() {
            return Some(*first);
        }
        Some(self.add_step(*first, PlanOp::Union, out, step, rest))
    }
}
