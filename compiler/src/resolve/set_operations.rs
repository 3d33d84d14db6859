//! Set operations and the cross join, as plans of the operators that exist:
//! - `union [distinct] [by name] a, b`: the inputs' columns match by name and their types
//!   widen; `by name` adds a side's missing columns as nulls (DuckDB's `UNION BY NAME`),
//!   `distinct` removes duplicate rows after (SQL's `UNION`);
//! - `intersect b` / `except b`: both sides tagged, unioned and grouped by every column
//!   (so nulls equal nulls and NaN equals NaN, as SQL's set operations compare rows),
//!   keeping the groups seen on both sides / only on the left, in order of first
//!   appearance (SQL's `INTERSECT` and `EXCEPT`, which return distinct rows);
//! - `join cross b`: both sides get one constant key and are joined on it.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{AggregateExpr, ConstValue, PlanOp, TypedExpr, TypedExprKind};
use crate::syntax::ast::{BinaryOp, Ident, JoinKey, JoinKind, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{DataType, Field, Schema};

/// Columns the rewrites add and remove again (users cannot name columns so).
const LEFT: &str = "__sluice_left";
const RIGHT: &str = "__sluice_right";
const CROSS: &str = "__sluice_cross";

fn int(v: i64) -> TypedExpr {
    TypedExpr {
        kind: TypedExprKind::Literal(ConstValue::Int(v)),
        data_type: DataType::Int64,
        nullable: false,
    }
}

fn column(name: &str) -> TypedExpr {
    TypedExpr {
        kind: TypedExprKind::Column(name.to_string()),
        data_type: DataType::Int64,
        nullable: true,
    }
}

fn binary(op: BinaryOp, left: TypedExpr, right: TypedExpr) -> TypedExpr {
    TypedExpr {
        kind: TypedExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        data_type: DataType::Bool,
        nullable: true,
    }
}

impl Resolver<'_> {
    /// The schema of `inputs` unioned: the first one's columns (then, `by name`, the
    /// others' new ones), each of the common type.
    fn union_schema(
        &mut self,
        first: &Schema,
        others: &[(Ident, Schema)],
        by_name: bool,
    ) -> Option<Schema> {
        let mut out = first.clone();
        for (o, other) in others {
            let missing: Vec<&str> = out.names().filter(|n| other.field(n).is_none()).collect();
            let extra: Vec<&str> = other.names().filter(|n| out.field(n).is_none()).collect();
            if !by_name && (!missing.is_empty() || !extra.is_empty()) {
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!("missing {}", missing.join(", ")));
                }
                if !extra.is_empty() {
                    parts.push(format!("extra {}", extra.join(", ")));
                }
                self.diags.push(
                    Diagnostic::error(
                        Code::UnionMismatch,
                        format!("`{}` does not have the same columns: {}", o.name, parts.join("; ")),
                        o.span,
                        "different columns",
                    )
                    .with_help("columns match by name: select or derive the same columns on both sides, or write `union by name` to fill a side's missing columns with null"),
                );
                return None;
            }
            for f in &mut out.fields {
                let Some(g) = other.field(&f.name) else {
                    f.nullable = true;
                    continue;
                };
                match DataType::common_supertype(&f.data_type, &g.data_type) {
                    Some(t) => {
                        f.data_type = t;
                        f.nullable |= g.nullable;
                    }
                    None => {
                        self.diags.push(Diagnostic::error(
                            Code::UnionMismatch,
                            format!(
                                "column `{}` is {} here but {} in `{}`",
                                f.name, f.data_type, g.data_type, o.name
                            ),
                            o.span,
                            "type differs",
                        ));
                        return None;
                    }
                }
            }
            let new: Vec<Field> = other
                .fields
                .iter()
                .filter(|g| out.field(&g.name).is_none())
                .map(|g| Field::new(g.name.clone(), g.data_type.clone(), true))
                .collect();
            out.fields.extend(new);
        }
        Some(out)
    }

    /// `node` with the columns of `all` it lacks added as nulls.
    fn with_missing_columns(&mut self, node: NodeIndex, all: &Schema, step: &Step) -> NodeIndex {
        let have = self.schema(node).clone();
        let missing: Vec<(String, TypedExpr)> = all
            .fields
            .iter()
            .filter(|f| have.field(&f.name).is_none())
            .map(|f| {
                let null = TypedExpr {
                    kind: TypedExprKind::Literal(ConstValue::Null),
                    data_type: f.data_type.clone(),
                    nullable: true,
                };
                (f.name.clone(), null)
            })
            .collect();
        if missing.is_empty() {
            return node;
        }
        let mut out = have;
        for (name, e) in &missing {
            out.fields
                .push(Field::new(name.clone(), e.data_type.clone(), true));
        }
        self.add_step(node, PlanOp::Derive { columns: missing }, out, step, &[])
    }

    /// `| union [distinct] [by name] a, b`.
    pub(crate) fn union_step(
        &mut self,
        input: NodeIndex,
        others: &[Ident],
        distinct: bool,
        by_name: bool,
        step: &Step,
    ) -> Option<NodeIndex> {
        let mut nodes = Vec::new();
        let mut schemas = Vec::new();
        for o in others {
            let node = self.lookup(o).ok()??;
            schemas.push((o.clone(), self.schema(node).clone()));
            nodes.push(node);
        }
        let first = self.schema(input).clone();
        let out = self.union_schema(&first, &schemas, by_name)?;
        let (mut input, mut extra) = (input, Vec::new());
        if by_name {
            input = self.with_missing_columns(input, &out, step);
            for n in nodes {
                extra.push(self.with_missing_columns(n, &out, step));
            }
        } else {
            extra = nodes;
        }
        let union = self.add_step(input, PlanOp::Union, out.clone(), step, &extra);
        if !distinct {
            return Some(union);
        }
        Some(self.add_step(
            union,
            PlanOp::Distinct {
                columns: Vec::new(),
            },
            out,
            step,
            &[],
        ))
    }

    /// `| intersect b` (`keep_both`) or `| except b`.
    pub(crate) fn intersect_or_except(
        &mut self,
        input: NodeIndex,
        other: &Ident,
        keep_both: bool,
        step: &Step,
    ) -> Option<NodeIndex> {
        let right = self.lookup(other).ok()??;
        let first = self.schema(input).clone();
        let right_schema = self.schema(right).clone();
        let out = self.union_schema(&first, &[(other.clone(), right_schema)], false)?;
        if let Some(f) = out
            .fields
            .iter()
            .find(|f| matches!(f.data_type, DataType::List(_)))
        {
            self.diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "`{}` compares whole rows, and `{}` is {}",
                        step.op.keyword(),
                        f.name,
                        f.data_type
                    ),
                    step.span,
                    "a list column",
                )
                .with_help("drop or convert the list column first (`concat_ws`)"),
            );
            return None;
        }
        let tag = |r: &mut Self, node: NodeIndex, left: i64| {
            let mut schema = r.schema(node).clone();
            schema.fields.push(Field::new(LEFT, DataType::Int64, false));
            schema
                .fields
                .push(Field::new(RIGHT, DataType::Int64, false));
            let op = PlanOp::Derive {
                columns: vec![
                    (LEFT.to_string(), int(left)),
                    (RIGHT.to_string(), int(1 - left)),
                ],
            };
            r.add_step(node, op, schema, step, &[])
        };
        let l = tag(self, input, 1);
        let r = tag(self, right, 0);
        let mut tagged = out.clone();
        tagged.fields.push(Field::new(LEFT, DataType::Int64, false));
        tagged
            .fields
            .push(Field::new(RIGHT, DataType::Int64, false));
        let union = self.add_step(l, PlanOp::Union, tagged, step, &[r]);
        let mut grouped = out.clone();
        grouped.fields.push(Field::new(LEFT, DataType::Int64, true));
        grouped
            .fields
            .push(Field::new(RIGHT, DataType::Int64, true));
        let sum = |c: &str| AggregateExpr {
            name: c.to_string(),
            function: "sum".to_string(),
            args: vec![TypedExpr {
                nullable: false,
                ..column(c)
            }],
        };
        let group = self.add_step(
            union,
            PlanOp::Aggregate {
                keys: out.names().map(String::from).collect(),
                aggregates: vec![sum(LEFT), sum(RIGHT)],
                window_end: None,
            },
            grouped.clone(),
            step,
            &[],
        );
        let on_left = binary(BinaryOp::Gt, column(LEFT), int(0));
        let right_test = if keep_both {
            binary(BinaryOp::Gt, column(RIGHT), int(0))
        } else {
            binary(BinaryOp::Eq, column(RIGHT), int(0))
        };
        let filter = self.add_step(
            group,
            PlanOp::Filter {
                predicate: binary(BinaryOp::And, on_left, right_test),
            },
            grouped,
            step,
            &[],
        );
        let columns: Vec<String> = out.names().map(String::from).collect();
        Some(self.add_step(filter, PlanOp::Project { columns }, out, step, &[]))
    }

    /// `| join cross b`: every pair of rows.
    pub(crate) fn cross_join(
        &mut self,
        input: NodeIndex,
        right: &Ident,
        step: &Step,
    ) -> Option<NodeIndex> {
        let right_node = self.lookup(right).ok()??;
        let keyed = |r: &mut Self, node: NodeIndex| {
            let mut schema = r.schema(node).clone();
            schema
                .fields
                .push(Field::new(CROSS, DataType::Int64, false));
            let op = PlanOp::Derive {
                columns: vec![(CROSS.to_string(), int(1))],
            };
            r.add_step(node, op, schema, step, &[])
        };
        let l = keyed(self, input);
        let r = keyed(self, right_node);
        let (ls, rs) = (self.schema(l).clone(), self.schema(r).clone());
        let key = JoinKey {
            left: Ident::new(CROSS, step.span),
            right: Ident::new(CROSS, step.span),
            null_safe: false,
        };
        let (pairs, joined) = self.join(JoinKind::Inner, &[key], &ls, &rs)?;
        let join = self.add_step(
            l,
            PlanOp::Join {
                kind: JoinKind::Inner,
                on: pairs,
                null_safe: Vec::new(),
                condition: None,
                asof: None,
            },
            joined.clone(),
            step,
            &[r],
        );
        let columns: Vec<String> = joined
            .names()
            .filter(|n| *n != CROSS)
            .map(String::from)
            .collect();
        let out = Schema::new(
            joined
                .fields
                .iter()
                .filter(|f| f.name != CROSS)
                .cloned()
                .collect(),
        );
        Some(self.add_step(join, PlanOp::Project { columns }, out, step, &[]))
    }
}
