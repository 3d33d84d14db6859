//! `pivot` and `unpivot`, written in terms of the operators the plan already has.
//!
//! `pivot Year in [2015, 2016] by country { n = count(), m = mean(Magnitude) }` is a
//! `group country` with one aggregate per value and item, each reading only its value's
//! rows: `2015_n = count(case when Year == 2015 then 1 end)`, `2015_m =
//! mean(case when Year == 2015 then Magnitude end)`, ... A single item names its columns
//! by the values alone (`2015`, `2016`), as Spark does. The values are listed, so the
//! columns are known before the run (Spark and DuckDB can also find them in the data,
//! which would make the schema depend on the data). Aggregates that take a row's value
//! whether null or not (`first`, `last`) cannot be pivoted this way and are refused.
//!
//! `unpivot q1, q2 into quarter, sales` packs the columns into a list, explodes it with
//! positions, and names each item by its position: for each input row, one row per
//! column in the order written (nulls kept, as Spark and Polars do; DuckDB drops them
//! unless asked), the other columns repeated. The values take the columns' common type.

use super::Resolver;
use super::group_expressions::rewrite;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::ConstValue;
use crate::syntax::ast::{
    Arg, Assignment, BinaryOp, Expr, ExprKind, Ident, Literal, Operator, Span, Step, TypeRef,
};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::DataType;
use sluice_stdlib::functions;

/// The hidden list `unpivot` explodes, and its position column.
const PACKED: &str = "__sluice_unpivot";
const POSITION: &str = "__sluice_unpivot_at";

fn name(n: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(n.to_string()),
        span,
    }
}

/// The text a pivot value names its columns with.
fn value_name(v: &ConstValue) -> String {
    match v {
        ConstValue::String(s) => s.clone(),
        ConstValue::Int(i) => i.to_string(),
        ConstValue::Float(f) => f.to_string(),
        ConstValue::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

impl Resolver<'_> {
    /// `| pivot COLUMN in [VALUES] [by KEYS] { items }`.
    pub(crate) fn pivot(
        &mut self,
        input: NodeIndex,
        column: &Ident,
        values: &[Expr],
        keys: &[Ident],
        items: &[Assignment],
        step: &Step,
    ) -> Option<NodeIndex> {
        let schema = self.schema(input).clone();
        let pivoted = self.column(column, &schema)?.clone();
        if items.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    "a `pivot` needs at least one aggregate to fill its columns",
                    step.span,
                    "no aggregate",
                )
                .with_help("write e.g. `| pivot year in [2015, 2016] { n = count() }`"),
            );
            return None;
        }
        let mut names = Vec::with_capacity(values.len());
        for v in values {
            let c = self.constant(v, "a pivot value")?;
            let fits = DataType::common_supertype(&c.data_type(), &pivoted.data_type).is_some();
            if matches!(c, ConstValue::Null | ConstValue::List(_)) || !fits {
                self.diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "a pivot value must be a non-null value of `{}`'s type, {}",
                            column.name, pivoted.data_type
                        ),
                        v.span,
                        "not a value of the column",
                    )
                    .with_help("list the values the columns are made for, e.g. `in [2015, 2016]`"),
                );
                return None;
            }
            let n = value_name(&c);
            if names.contains(&n) {
                self.diags.push(Diagnostic::error(
                    Code::DuplicateColumn,
                    format!("the pivot value `{n}` is listed twice"),
                    v.span,
                    "listed again",
                ));
                return None;
            }
            names.push(n);
        }
        for item in items {
            if let Some((f, span)) = first_or_last(&item.value) {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!(
                            "`{f}` cannot be pivoted: it would take the other values' rows as nulls"
                        ),
                        span,
                        "keeps nulls",
                    )
                    .with_help("use `any_value`, which skips nulls"),
                );
                return None;
            }
        }
        let mut aggregates = Vec::with_capacity(values.len() * items.len());
        for (v, n) in values.iter().zip(&names) {
            let only = Expr {
                kind: ExprKind::Binary {
                    op: BinaryOp::Eq,
                    left: Box::new(name(&column.name, column.span)),
                    right: Box::new(v.clone()),
                },
                span: v.span,
            };
            for item in items {
                let title = if items.len() == 1 {
                    n.clone()
                } else {
                    format!("{n}_{}", item.name.name)
                };
                aggregates.push(Assignment {
                    name: Ident::new(&title, item.name.span),
                    value: only_rows_of(&item.value, &only),
                });
            }
        }
        let group = Step {
            op: Operator::Group {
                keys: keys.to_vec(),
                aggregates,
                grouping: None,
                window: None,
            },
            ..step.clone()
        };
        self.step(input, &group)
    }

    /// `| unpivot COLUMNS into NAME, VALUE`.
    pub(crate) fn unpivot(
        &mut self,
        input: NodeIndex,
        columns: &[Ident],
        name_column: &Ident,
        value_column: &Ident,
        step: &Step,
    ) -> Option<NodeIndex> {
        let schema = self.schema(input).clone();
        if !self.columns_exist(columns, &schema) || !self.no_duplicates(columns) {
            return None;
        }
        let mut common = DataType::Null;
        for c in columns {
            let t = &schema.field(&c.name)?.data_type;
            match DataType::common_supertype(&common, t) {
                Some(u) => common = u,
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!(
                                "the unpivoted columns must have one type, found {common} and {t}"
                            ),
                            c.span,
                            format!("this is {t}"),
                        )
                        .with_help(
                            "cast the columns to one type first, e.g. `cast { x: float64 }`",
                        ),
                    );
                    return None;
                }
            }
        }
        let ids: Vec<Ident> = schema
            .fields
            .iter()
            .filter(|f| !columns.iter().any(|c| c.name == f.name))
            .map(|f| Ident::new(&f.name, step.span))
            .collect();
        let same = name_column.name == value_column.name;
        for (i, out) in [name_column, value_column].into_iter().enumerate() {
            if ids.iter().any(|c| c.name == out.name) || (same && i == 1) {
                self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateColumn,
                        format!("`{}` is already a column of the result", out.name),
                        out.span,
                        "taken",
                    )
                    .with_help("name the new columns with names the other columns do not have"),
                );
                return None;
            }
        }
        let span = step.span;
        let cast = |c: &Ident| Expr {
            kind: ExprKind::Cast {
                operand: Box::new(name(&c.name, c.span)),
                ty: TypeRef {
                    data_type: common.clone(),
                    nullable: true,
                    span: c.span,
                },
            },
            span: c.span,
        };
        let text = |c: &Ident| Expr {
            kind: ExprKind::Literal(Literal::String(c.name.clone())),
            span: c.span,
        };
        let steps = [
            Operator::Derive {
                columns: vec![Assignment {
                    name: Ident::new(PACKED, span),
                    value: Expr {
                        kind: ExprKind::List(columns.iter().map(cast).collect()),
                        span,
                    },
                }],
            },
            Operator::Explode {
                column: Ident::new(PACKED, span),
                position: Some(Ident::new(POSITION, span)),
            },
            Operator::Derive {
                columns: vec![
                    Assignment {
                        name: name_column.clone(),
                        value: Expr {
                            kind: ExprKind::Call {
                                function: Ident::new("list_get", span),
                                args: vec![
                                    Arg {
                                        name: None,
                                        value: Expr {
                                            kind: ExprKind::List(
                                                columns.iter().map(text).collect(),
                                            ),
                                            span,
                                        },
                                    },
                                    Arg {
                                        name: None,
                                        value: name(POSITION, span),
                                    },
                                ],
                            },
                            span,
                        },
                    },
                    Assignment {
                        name: value_column.clone(),
                        value: name(PACKED, span),
                    },
                ],
            },
            Operator::Select {
                columns: ids
                    .into_iter()
                    .chain([name_column.clone(), value_column.clone()])
                    .collect(),
            },
        ];
        let mut node = input;
        for op in steps {
            node = self.step(node, &Step { op, ..step.clone() })?;
        }
        Some(node)
    }
}

/// The first `first` or `last` call in `e`, with where it is.
fn first_or_last(e: &Expr) -> Option<(String, Span)> {
    let mut found = None;
    super::group_expressions::visit(e, &mut |x| {
        if let ExprKind::Call { function, .. } = &x.kind
            && matches!(function.name.as_str(), "first" | "last")
            && found.is_none()
        {
            found = Some((function.name.clone(), function.span));
        }
    });
    found
}

/// `item` with each aggregate call reading only the rows where `only` holds: its
/// non-constant arguments become `case when only then ARG end`, and `count()` counts
/// `case when only then 1 end`.
fn only_rows_of(item: &Expr, only: &Expr) -> Expr {
    let when = |value: Expr| Expr {
        span: value.span,
        kind: ExprKind::Case {
            branches: vec![(only.clone(), value)],
            otherwise: None,
        },
    };
    rewrite(item, &mut |e| {
        let ExprKind::Call { function, args } = &e.kind else {
            return None;
        };
        let sig = functions::aggregate(&function.name)?;
        let args = if args.is_empty() {
            vec![Arg {
                name: None,
                value: when(Expr {
                    kind: ExprKind::Literal(Literal::Int(1)),
                    span: e.span,
                }),
            }]
        } else {
            args.iter()
                .enumerate()
                .map(|(i, a)| {
                    let param = match &a.name {
                        Some(n) => sig.params.iter().find(|p| p.name == n.name),
                        None => sig.params.get(i),
                    };
                    let constant = param.is_some_and(|p| p.constant.is_some());
                    Arg {
                        name: a.name.clone(),
                        value: if constant {
                            a.value.clone()
                        } else {
                            when(a.value.clone())
                        },
                    }
                })
                .collect()
        };
        Some(Expr {
            kind: ExprKind::Call {
                function: function.clone(),
                args,
            },
            span: e.span,
        })
    })
}
