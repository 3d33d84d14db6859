//! `join` with more than column keys: `a <=> b` (null matches null), equalities of
//! expressions (`lower(name) == lower(name_right)`), any other condition over both
//! sides (`price < limit`, non-equi joins), and `join asof` (for each left row, the
//! nearest earlier right row by time, within a tolerance).
//!
//! Conditions read the columns as an inner join names them: the left's columns, then
//! the right's, a right column whose name the left also has being `NAME_right`. An
//! equality of an expression over left columns only and one over right columns only is
//! a key: each side derives it as a hidden column first, so the join stays a hash join.
//! The other conditions decide, for each pair of rows whose keys match, whether the pair
//! joins; with no key at all every pair is a candidate (a nested-loop join, evaluated
//! in bounded chunks). An `asof` join takes exactly one comparison of a left and a right
//! column (`t >= quote_time`): `>=`/`>` look back, `<=`/`<` look forward.

use super::Resolver;
use super::expr::Context;
use super::group_expressions::{rewrite, visit};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::schema::{join_column_origins, join_schema};
use crate::plan::{AsOfSpec, ConstValue, PlanOp, TypedExpr, TypedExprKind};
use crate::syntax::ast::{AsOf, BinaryOp, Expr, ExprKind, Ident, JoinKey, JoinKind, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{DataType, Field, Schema};

/// The prefix of the hidden key columns of expression keys.
const HIDDEN_KEY: &str = "__sluice_join_key_";

/// The constant key of a join without keys (every pair is a candidate).
const ALL_PAIRS: &str = "__sluice_join_all";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Left,
    Right,
}

/// `e` split at its top-level `and`s.
fn conjuncts(e: &Expr, out: &mut Vec<Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        _ => out.push(e.clone()),
    }
}

/// Which side every column `e` reads comes from (`None`: both, or no column).
fn side_of(e: &Expr, origins: &[(String, bool, String)]) -> Option<Side> {
    let mut sides = Vec::new();
    visit(e, &mut |x| {
        if let ExprKind::Name(n) = &x.kind
            && let Some((_, is_left, _)) = origins.iter().find(|(o, _, _)| o == n)
        {
            sides.push(if *is_left { Side::Left } else { Side::Right });
        }
    });
    let first = *sides.first()?;
    sides.iter().all(|s| *s == first).then_some(first)
}

/// `e` reading its side's input columns (a right column read as `x_right` is `x`).
fn on_input(e: &Expr, origins: &[(String, bool, String)]) -> Expr {
    rewrite(e, &mut |x| match &x.kind {
        ExprKind::Name(n) => {
            origins
                .iter()
                .find(|(o, _, from)| o == n && from != n)
                .map(|(_, _, from)| Expr {
                    kind: ExprKind::Name(from.clone()),
                    span: x.span,
                })
        }
        _ => None,
    })
}

fn and(a: TypedExpr, b: TypedExpr) -> TypedExpr {
    let nullable = a.nullable || b.nullable;
    TypedExpr {
        kind: TypedExprKind::Binary {
            op: BinaryOp::And,
            left: Box::new(a),
            right: Box::new(b),
        },
        data_type: DataType::Bool,
        nullable,
    }
}

impl Resolver<'_> {
    /// `| join [asof] [KIND] RIGHT on ITEMS [within T]`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn join_step(
        &mut self,
        input: NodeIndex,
        kind: JoinKind,
        right: &Ident,
        on: &[JoinKey],
        conditions: &[Expr],
        asof: Option<&AsOf>,
        step: &Step,
    ) -> Option<NodeIndex> {
        let right_node = self.lookup(right).ok()??;
        let (mut left_node, mut right_node) = (input, right_node);
        let (ls, rs) = (
            self.schema(left_node).clone(),
            self.schema(right_node).clone(),
        );
        let (mut pairs, _) = self.join(kind, on, &ls, &rs)?;
        let mut null_safe: Vec<bool> = on.iter().map(|k| k.null_safe).collect();
        if asof.is_some() && !matches!(kind, JoinKind::Inner | JoinKind::Left) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidJoin,
                    format!("`join asof` is inner or left, not {}", kind.name()),
                    step.keyword,
                    "not an as-of kind",
                )
                .with_help("write `join asof r on ...` or `join asof left r on ...`"),
            );
            return None;
        }
        let mut items = Vec::new();
        for c in conditions {
            conjuncts(c, &mut items);
        }
        let origins = join_column_origins(JoinKind::Inner, &pairs, &ls, &rs);
        // Equalities of a left and a right expression become keys; a comparison of a left
        // and a right column is an as-of join's time; the rest are conditions.
        let mut expression_keys: Vec<(Expr, Expr)> = Vec::new();
        let mut time: Option<(Expr, BinaryOp, Expr)> = None;
        let mut residual = Vec::new();
        for item in items {
            if let ExprKind::Binary { op, left, right } = &item.kind {
                let sides = (side_of(left, &origins), side_of(right, &origins));
                let (l, r, op) = match sides {
                    (Some(Side::Left), Some(Side::Right)) => (left, right, *op),
                    (Some(Side::Right), Some(Side::Left)) => (right, left, flipped(*op)),
                    _ => {
                        residual.push(item);
                        continue;
                    }
                };
                if op == BinaryOp::Eq {
                    expression_keys.push(((**l).clone(), on_input(r, &origins)));
                    continue;
                }
                if asof.is_some()
                    && matches!(
                        op,
                        BinaryOp::Gt | BinaryOp::GtEq | BinaryOp::Lt | BinaryOp::LtEq
                    )
                    && time.is_none()
                {
                    time = Some(((**l).clone(), op, on_input(r, &origins)));
                    continue;
                }
            }
            residual.push(item);
        }
        if asof.is_some() {
            if let Some(extra) = residual.first() {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidJoin,
                        "an as-of join takes keys and one time comparison, and no other condition",
                        extra.span,
                        "another condition",
                    )
                    .with_help("filter the rows before or after the join instead"),
                );
                return None;
            }
            if time.is_none() {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidJoin,
                        "an as-of join needs a time comparison of a left and a right column",
                        step.span,
                        "no time comparison",
                    )
                    .with_help(
                        "write e.g. `join asof quotes on symbol, time >= quote_time within 5m`",
                    ),
                );
                return None;
            }
        }
        // Expression keys: hidden columns on each side, joined by name.
        let mut hidden = Vec::new();
        if !expression_keys.is_empty() {
            let mut left_columns = Vec::new();
            let mut right_columns = Vec::new();
            let mut ok = true;
            for (i, (l, r)) in expression_keys.iter().enumerate() {
                let name = format!("{HIDDEN_KEY}{i}");
                let (Some(lt), Some(rt)) = (
                    self.type_expr(l, &ls, Context::Row),
                    self.type_expr(r, &rs, Context::Row),
                ) else {
                    ok = false;
                    continue;
                };
                if DataType::common_supertype(&lt.data_type, &rt.data_type).is_none() {
                    self.diags.push(
                        Diagnostic::error(
                            Code::JoinKeyType,
                            format!("cannot join {} with {}", lt.data_type, rt.data_type),
                            l.span.to(r.span),
                            "key types differ",
                        )
                        .with_help("convert one side with `as`"),
                    );
                    ok = false;
                    continue;
                }
                left_columns.push((name.clone(), lt));
                right_columns.push((name.clone(), rt));
                pairs.push((name.clone(), name.clone()));
                null_safe.push(false);
                hidden.push(name);
            }
            if !ok {
                return None;
            }
            left_node = self.derive_hidden(left_node, left_columns, step);
            right_node = self.derive_hidden(right_node, right_columns, step);
        }
        // No key at all: one constant key on both sides, so every pair is a candidate.
        if pairs.is_empty() && asof.is_none() {
            let one = || TypedExpr {
                kind: TypedExprKind::Literal(ConstValue::Int(1)),
                data_type: DataType::Int64,
                nullable: false,
            };
            left_node = self.derive_hidden(left_node, vec![(ALL_PAIRS.into(), one())], step);
            right_node = self.derive_hidden(right_node, vec![(ALL_PAIRS.into(), one())], step);
            pairs.push((ALL_PAIRS.into(), ALL_PAIRS.into()));
            null_safe.push(false);
            hidden.push(ALL_PAIRS.to_string());
        }
        let (ls, rs) = (
            self.schema(left_node).clone(),
            self.schema(right_node).clone(),
        );
        let out = join_schema(kind, &pairs, &ls, &rs);
        let inner = join_schema(JoinKind::Inner, &pairs, &ls, &rs);
        let mut condition: Option<TypedExpr> = None;
        for c in &residual {
            let t = self.type_expr(c, &inner, Context::Row)?;
            if !matches!(t.data_type, DataType::Bool | DataType::Null) {
                self.not_bool(&t, c.span, "a join condition");
                return None;
            }
            condition = Some(match condition {
                None => t,
                Some(prev) => and(prev, t),
            });
        }
        let asof = match (asof, time) {
            (Some(a), Some((l, op, r))) => Some(self.asof_spec(a, &l, op, &r, &ls, &rs)?),
            _ => None,
        };
        if null_safe.iter().all(|n| !n) {
            null_safe.clear();
        }
        let joined = self.add_step(
            left_node,
            PlanOp::Join {
                kind,
                on: pairs,
                null_safe,
                condition,
                asof,
            },
            out.clone(),
            step,
            &[right_node],
        );
        if hidden.is_empty() {
            return Some(joined);
        }
        let visible = Schema::new(
            out.fields
                .iter()
                .filter(|f| !hidden.contains(&f.name))
                .cloned()
                .collect(),
        );
        let columns = visible.fields.iter().map(|f| f.name.clone()).collect();
        Some(self.add_step(joined, PlanOp::Project { columns }, visible, step, &[]))
    }

    fn derive_hidden(
        &mut self,
        node: NodeIndex,
        columns: Vec<(String, TypedExpr)>,
        step: &Step,
    ) -> NodeIndex {
        let mut schema = self.schema(node).clone();
        for (name, e) in &columns {
            schema.upsert(Field::new(name.clone(), e.data_type.clone(), e.nullable));
        }
        self.add_step(node, PlanOp::Derive { columns }, schema, step, &[])
    }

    /// The time columns, direction and tolerance of `join asof`.
    fn asof_spec(
        &mut self,
        asof: &AsOf,
        left: &Expr,
        op: BinaryOp,
        right: &Expr,
        ls: &Schema,
        rs: &Schema,
    ) -> Option<AsOfSpec> {
        let column = |r: &mut Self, e: &Expr, schema: &Schema| -> Option<Field> {
            let ExprKind::Name(n) = &e.kind else {
                r.diags.push(
                    Diagnostic::error(
                        Code::InvalidJoin,
                        "an as-of join compares a column of each side",
                        e.span,
                        "not a column",
                    )
                    .with_help("derive the time as a column first"),
                );
                return None;
            };
            r.column(&Ident::new(n, e.span), schema).cloned()
        };
        let (lt, rt) = (column(self, left, ls)?, column(self, right, rs)?);
        let time_like = |t: &DataType| {
            matches!(
                t,
                DataType::Int64 | DataType::Float64 | DataType::Date | DataType::Timestamp
            )
        };
        let same_kind = match (&lt.data_type, &rt.data_type) {
            (DataType::Date | DataType::Timestamp, DataType::Date | DataType::Timestamp) => true,
            (a, b) => a.is_numeric() && b.is_numeric(),
        };
        if !time_like(&lt.data_type) || !time_like(&rt.data_type) || !same_kind {
            self.diags.push(
                Diagnostic::error(
                    Code::JoinKeyType,
                    format!(
                        "an as-of join compares two times or two numbers, not {} with {}",
                        lt.data_type, rt.data_type
                    ),
                    left.span.to(right.span),
                    "not comparable in time",
                )
                .with_help("compare dates or timestamps with each other, or numbers with numbers"),
            );
            return None;
        }
        let within = match &asof.within {
            None => None,
            Some(w) => {
                let v = self.constant(w, "an as-of tolerance")?;
                let is_time = matches!(lt.data_type, DataType::Date | DataType::Timestamp);
                let fits = match &v {
                    ConstValue::Duration(d) => is_time && *d >= 0,
                    ConstValue::Int(n) => !is_time && *n >= 0,
                    ConstValue::Float(x) => !is_time && *x >= 0.0,
                    _ => false,
                };
                if !fits {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            if is_time {
                                "the tolerance of an as-of join on times is a non-negative duration such as `5m`"
                            } else {
                                "the tolerance of an as-of join on numbers is a non-negative number"
                            },
                            w.span,
                            "not a tolerance",
                        )
                        .with_help(if is_time {
                            "write a non-negative duration, e.g. `within 10s`"
                        } else {
                            "write a non-negative number, e.g. `within 3`"
                        }),
                    );
                    return None;
                }
                Some(v)
            }
        };
        Some(AsOfSpec {
            left_time: lt.name,
            right_time: rt.name,
            backward: matches!(op, BinaryOp::Gt | BinaryOp::GtEq),
            strict: matches!(op, BinaryOp::Gt | BinaryOp::Lt),
            within,
        })
    }
}

/// `a op b` as `b op' a`.
fn flipped(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}
