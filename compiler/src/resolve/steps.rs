//! Pipe steps: each operator checks its arguments against its input's schema, computes
//! its output schema and becomes one plan node.

use super::expr::{Context, can_cast};
use super::{Resolver, type_name};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{AggregateExpr, ConstValue, Fill, PlanNode, PlanOp, SortKey, TypedExprKind};
use crate::syntax::ast::{Expr, FillSpec, FillValue, Ident, JoinKind, Operator, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{DataType, Field, Schema};

impl Resolver<'_> {
    pub(crate) fn add_step(
        &mut self,
        input: NodeIndex,
        op: PlanOp,
        schema: Schema,
        step: &Step,
        extra: &[NodeIndex],
    ) -> NodeIndex {
        let mut inputs = vec![input];
        inputs.extend_from_slice(extra);
        self.plan.add(
            PlanNode {
                op,
                schema,
                relation: None,
                hints: Default::default(),
                sharing: None,
                span: step.span,
            },
            &inputs,
        )
    }

    pub(crate) fn no_duplicates(&mut self, names: &[Ident]) -> bool {
        for (i, n) in names.iter().enumerate() {
            if let Some(prev) = names[..i].iter().find(|p| p.name == n.name) {
                self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateColumn,
                        format!("column `{}` is named twice", n.name),
                        n.span,
                        "named again",
                    )
                    .with_label(prev.span, "first here"),
                );
                return false;
            }
        }
        true
    }

    pub(crate) fn columns_exist(&mut self, names: &[Ident], schema: &Schema) -> bool {
        let mut ok = true;
        for n in names {
            ok &= self.column(n, schema).is_some();
        }
        ok
    }

    /// Resolves one step; `None` when it has an error (reported).
    pub(crate) fn step(&mut self, input: NodeIndex, step: &Step) -> Option<NodeIndex> {
        if !self.allowed_on_stream(input, step) {
            return None;
        }
        let schema = self.schema(input).clone();
        let (op, out, extra) = match &step.op {
            Operator::Watermark {
                column,
                delay,
                late,
            } => {
                let (op, out, extra) = self.watermark(column, delay, &schema)?;
                let node = self.add_step(input, op, out, step, &extra);
                if let Some(name) = late {
                    self.late_relation(node, name);
                }
                return Some(node);
            }
            Operator::Group {
                keys,
                aggregates,
                window: Some(window),
                grouping: None,
            } => return self.windowed_group(input, window, keys, aggregates, step),
            Operator::Predict { model } => self.predict(model, &schema, step)?,
            Operator::Evaluate { kind, args } => self.evaluate(kind, args, &schema)?,
            Operator::Fit { .. } | Operator::CrossValidate { .. } | Operator::Transform { .. } => {
                let keyword = step.op.keyword();
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidModel,
                        format!("`{keyword}` belongs in a `model` declaration"),
                        step.keyword,
                        "not in a model",
                    )
                    .with_help(format!(
                        "declare a model: `model NAME = REL | {keyword} ...`; transformers fitted there are applied again by `predict`"
                    )),
                );
                return None;
            }
            Operator::Filter { predicate } => {
                let t = self.type_expr(predicate, &schema, Context::Row)?;
                if !matches!(t.data_type, DataType::Bool | DataType::Null) {
                    self.not_bool(&t, predicate.span, "a filter condition");
                    return None;
                }
                (PlanOp::Filter { predicate: t }, schema, vec![])
            }
            Operator::Select { columns } => {
                if !self.columns_exist(columns, &schema) || !self.no_duplicates(columns) {
                    return None;
                }
                let fields = columns
                    .iter()
                    .filter_map(|c| schema.field(&c.name).cloned())
                    .collect();
                (
                    PlanOp::Project {
                        columns: columns.iter().map(|c| c.name.clone()).collect(),
                    },
                    Schema::new(fields),
                    vec![],
                )
            }
            Operator::Drop { columns } => {
                if !self.columns_exist(columns, &schema) {
                    return None;
                }
                let fields: Vec<Field> = schema
                    .fields
                    .iter()
                    .filter(|f| !columns.iter().any(|c| c.name == f.name))
                    .cloned()
                    .collect();
                (
                    PlanOp::Project {
                        columns: fields.iter().map(|f| f.name.clone()).collect(),
                    },
                    Schema::new(fields),
                    vec![],
                )
            }
            Operator::Derive { columns } => {
                let mut out = schema.clone();
                let mut derived = Vec::new();
                let mut ok = true;
                for a in columns {
                    match self.type_expr(&a.value, &out, Context::Row) {
                        Some(t) => {
                            out.upsert(Field::new(
                                a.name.name.clone(),
                                t.data_type.clone(),
                                t.nullable,
                            ));
                            derived.push((a.name.name.clone(), t));
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                (PlanOp::Derive { columns: derived }, out, vec![])
            }
            Operator::Rename { pairs } => {
                let mut out = schema.clone();
                for p in pairs {
                    let i = match out.index_of(&p.from.name) {
                        Some(i) => i,
                        None => {
                            self.column(&p.from, &out);
                            return None;
                        }
                    };
                    if p.to.name != p.from.name && out.field(&p.to.name).is_some() {
                        self.diags.push(
                            Diagnostic::error(
                                Code::DuplicateColumn,
                                format!("a column `{}` already exists", p.to.name),
                                p.to.span,
                                "name taken",
                            )
                            .with_help("drop or rename that column first"),
                        );
                        return None;
                    }
                    out.fields[i].name = p.to.name.clone();
                }
                (
                    PlanOp::Rename {
                        pairs: pairs
                            .iter()
                            .map(|p| (p.from.name.clone(), p.to.name.clone()))
                            .collect(),
                    },
                    out,
                    vec![],
                )
            }
            Operator::Cast { pairs } => {
                let mut out = schema.clone();
                for p in pairs {
                    let f = self.column(&p.column, &schema)?.clone();
                    if !can_cast(&f.data_type, &p.ty.data_type) {
                        self.diags.push(Diagnostic::error(
                            Code::InvalidCast,
                            format!(
                                "cannot cast `{}` from {} to {}",
                                p.column.name, f.data_type, p.ty.data_type
                            ),
                            p.ty.span,
                            "invalid cast",
                        ));
                        return None;
                    }
                    let nullable = f.nullable
                        || f.data_type == DataType::String && p.ty.data_type != DataType::String;
                    out.upsert(Field::new(f.name.clone(), p.ty.data_type.clone(), nullable));
                }
                (
                    PlanOp::Cast {
                        columns: pairs
                            .iter()
                            .map(|p| (p.column.name.clone(), p.ty.data_type.clone()))
                            .collect(),
                    },
                    out,
                    vec![],
                )
            }
            Operator::Distinct { columns } => {
                if !self.columns_exist(columns, &schema) {
                    return None;
                }
                (
                    PlanOp::Distinct {
                        columns: columns.iter().map(|c| c.name.clone()).collect(),
                    },
                    schema,
                    vec![],
                )
            }
            Operator::DropNull { columns } => {
                if !self.columns_exist(columns, &schema) {
                    return None;
                }
                let names: Vec<String> = if columns.is_empty() {
                    schema
                        .fields
                        .iter()
                        .filter(|f| f.nullable)
                        .map(|f| f.name.clone())
                        .collect()
                } else {
                    columns.iter().map(|c| c.name.clone()).collect()
                };
                let mut out = schema.clone();
                for f in &mut out.fields {
                    if names.contains(&f.name) {
                        f.nullable = false;
                    }
                }
                (PlanOp::DropNull { columns: names }, out, vec![])
            }
            Operator::FillNull { spec } => {
                let (fills, out) = self.fill_null(spec, &schema)?;
                (PlanOp::FillNull { fills }, out, vec![])
            }
            Operator::Group {
                aggregates,
                grouping: Some(grouping),
                ..
            } => return self.group_by_sets(input, grouping, aggregates, step),
            Operator::Group {
                keys, aggregates, ..
            } => {
                if !self.columns_exist(keys, &schema)
                    || !self.no_duplicates(keys)
                    || !self.no_grouping_id(aggregates, "a plain `group`")
                {
                    return None;
                }
                // Expressions over aggregates take a group, a derive and a projection.
                if !aggregates
                    .iter()
                    .all(|a| super::group_expressions::is_single_aggregate(&a.value))
                {
                    return self.group_with_expressions(input, keys, aggregates, step);
                }
                let mut out = Schema::new(
                    keys.iter()
                        .filter_map(|k| schema.field(&k.name).cloned())
                        .collect(),
                );
                let mut aggs = Vec::new();
                let mut ok = true;
                for a in aggregates {
                    let crate::syntax::ast::ExprKind::Call { function, .. } = &a.value.kind else {
                        self.not_aggregate(&a.value);
                        ok = false;
                        continue;
                    };
                    if sluice_stdlib::functions::aggregate(&function.name).is_none()
                        && sluice_stdlib::functions::scalar(&function.name).is_some()
                    {
                        self.not_aggregate(&a.value);
                        ok = false;
                        continue;
                    }
                    let Some(t) = self.type_expr(&a.value, &schema, Context::Aggregate) else {
                        ok = false;
                        continue;
                    };
                    if out.field(&a.name.name).is_some() {
                        self.diags.push(Diagnostic::error(
                            Code::DuplicateColumn,
                            format!("column `{}` is named twice", a.name.name),
                            a.name.span,
                            "name taken",
                        ));
                        ok = false;
                        continue;
                    }
                    out.fields.push(Field::new(
                        a.name.name.clone(),
                        t.data_type.clone(),
                        t.nullable,
                    ));
                    let TypedExprKind::Call { function, args } = t.kind else {
                        continue;
                    };
                    aggs.push(AggregateExpr {
                        name: a.name.name.clone(),
                        function,
                        args,
                    });
                }
                if !ok {
                    return None;
                }
                (
                    PlanOp::Aggregate {
                        keys: keys.iter().map(|k| k.name.clone()).collect(),
                        aggregates: aggs,
                        window_end: None,
                    },
                    out,
                    vec![],
                )
            }
            Operator::Sort { keys } if keys.iter().any(|k| k.expression.is_some()) => {
                let (derived, wider, keys) = self.derive_sort_keys(input, keys, &schema, step)?;
                let keys = self.sort_keys(&keys, &wider)?;
                let sorted = self.add_step(derived, PlanOp::Sort { keys }, wider, step, &[]);
                return Some(self.drop_sort_keys(sorted, schema, step));
            }
            Operator::Window {
                partition_by,
                order_by,
                columns,
            } if order_by.iter().any(|k| k.expression.is_some()) => {
                let (derived, wider, order_by) =
                    self.derive_sort_keys(input, order_by, &schema, step)?;
                let (op, out) = self.window(partition_by, &order_by, columns, &wider)?;
                let windowed = self.add_step(derived, op, out.clone(), step, &[]);
                let visible = Schema::new(
                    out.fields
                        .iter()
                        .filter(|f| {
                            wider.field(&f.name).is_none() || schema.field(&f.name).is_some()
                        })
                        .cloned()
                        .collect(),
                );
                return Some(self.drop_sort_keys(windowed, visible, step));
            }
            Operator::Sort { keys } => {
                let keys = self.sort_keys(keys, &schema)?;
                (PlanOp::Sort { keys }, schema, vec![])
            }
            Operator::Window {
                partition_by,
                order_by,
                columns,
            } => {
                let (op, out) = self.window(partition_by, order_by, columns, &schema)?;
                (op, out, vec![])
            }
            Operator::Take { count, offset } => {
                let n = self.non_negative_int(count, "`take`")?;
                let Some(offset) = offset else {
                    return Some(self.add_step(
                        input,
                        PlanOp::Limit { count: n },
                        schema,
                        step,
                        &[],
                    ));
                };
                // The first n + m rows (so `sort | take` still becomes a top-k), then
                // skip m.
                let m = self.non_negative_int(offset, "the offset of `take`")?;
                let limit = PlanOp::Limit {
                    count: n.saturating_add(m),
                };
                let first = self.add_step(input, limit, schema.clone(), step, &[]);
                return Some(self.add_step(first, PlanOp::Offset { count: m }, schema, step, &[]));
            }
            Operator::Join {
                kind,
                right,
                on,
                conditions,
                asof,
            } if !conditions.is_empty() || asof.is_some() || on.iter().any(|k| k.null_safe) => {
                return self.join_step(input, *kind, right, on, conditions, asof.as_ref(), step);
            }
            Operator::Join {
                kind, right, on, ..
            } => {
                let right_node = self.lookup(right).ok()??;
                let right_schema = self.schema(right_node).clone();
                let (pairs, out) = self.join(*kind, on, &schema, &right_schema)?;
                (
                    PlanOp::Join {
                        kind: *kind,
                        on: pairs,
                        null_safe: Vec::new(),
                        condition: None,
                        asof: None,
                    },
                    out,
                    vec![right_node],
                )
            }
            Operator::Union {
                others,
                distinct,
                by_name,
            } => return self.union_step(input, others, *distinct, *by_name, step),
            Operator::Intersect { other } => {
                return self.intersect_or_except(input, other, true, step);
            }
            Operator::Except { other } => {
                return self.intersect_or_except(input, other, false, step);
            }
            Operator::CrossJoin { right } => return self.cross_join(input, right, step),
            Operator::Sample { fraction, seed } => {
                let fraction = self.fraction(fraction)?;
                let seed = match seed {
                    Some(s) => self.non_negative_int(s, "a seed")?,
                    None => 0,
                };
                (PlanOp::Sample { fraction, seed }, schema, vec![])
            }
            Operator::Explode { column, position } => {
                let f = self.column(column, &schema)?.clone();
                let DataType::List(item) = &f.data_type else {
                    self.diags.push(
                        Diagnostic::error(
                            Code::NotAList,
                            format!(
                                "cannot explode `{}`: it is {}, not a list",
                                column.name, f.data_type
                            ),
                            column.span,
                            "not a list",
                        )
                        .with_help("make a list first, e.g. `derive words = split(text, \" \")`"),
                    );
                    return None;
                };
                let mut out = schema.clone();
                out.upsert(Field::new(f.name.clone(), (**item).clone(), true));
                if let Some(p) = position {
                    if out.field(&p.name).is_some() {
                        self.diags.push(
                            Diagnostic::error(
                                Code::DuplicateColumn,
                                format!("the position column `{}` is already a column", p.name),
                                p.span,
                                "taken",
                            )
                            .with_help(
                                "give the position column a name the relation does not have yet",
                            ),
                        );
                        return None;
                    }
                    out.upsert(Field::new(p.name.clone(), DataType::Int64, false));
                }
                (
                    PlanOp::Explode {
                        column: column.name.clone(),
                        position: position.as_ref().map(|p| p.name.clone()),
                    },
                    out,
                    vec![],
                )
            }
            Operator::Repartition { scheme } => {
                let partitioning = self.partitioning(scheme, Some(input))?;
                (PlanOp::Repartition { partitioning }, schema, vec![])
            }
            Operator::Split { .. } => return None,
            Operator::Pivot {
                column,
                values,
                keys,
                aggregates,
            } => return self.pivot(input, column, values, keys, aggregates, step),
            Operator::Unpivot {
                columns,
                name,
                value,
            } => return self.unpivot(input, columns, name, value, step),
        };
        Some(self.add_step(input, op, out, step, &extra))
    }

    /// Sort keys (of `sort`, or a window's order): columns with an order.
    pub(crate) fn sort_keys(
        &mut self,
        keys: &[crate::syntax::ast::SortKey],
        schema: &Schema,
    ) -> Option<Vec<SortKey>> {
        let mut plan_keys = Vec::new();
        for k in keys {
            let f = self.column(&k.column, schema)?;
            if !f.data_type.is_ordered() {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "cannot sort by `{}`: {} has no order",
                        k.column.name, f.data_type
                    ),
                    k.column.span,
                    "not sortable",
                ));
                return None;
            }
            plan_keys.push(SortKey {
                column: k.column.name.clone(),
                descending: k.descending,
                nulls_first: k.nulls_first.unwrap_or(false),
            });
        }
        Some(plan_keys)
    }

    fn not_aggregate(&mut self, e: &Expr) {
        self.diags.push(
            Diagnostic::error(
                Code::AggregateMisuse,
                "each item of a `group` must be one aggregate call",
                e.span,
                "not an aggregate call",
            )
            .with_help(
                "write `name = mean(x)`; compute other expressions with `derive` after the group",
            ),
        );
    }

    fn non_negative_int(&mut self, e: &Expr, what: &str) -> Option<u64> {
        match self.constant(e, what)? {
            ConstValue::Int(n) if n >= 0 => Some(n as u64),
            other => {
                self.diags.push(Diagnostic::error(
                    Code::InvalidConstant,
                    format!("{what} must be a non-negative integer, found {other}"),
                    e.span,
                    "invalid",
                ));
                None
            }
        }
    }

    fn fraction(&mut self, e: &Expr) -> Option<f64> {
        let v = self.constant(e, "a fraction")?;
        match v.as_f64() {
            Some(f) if (0.0..=1.0).contains(&f) => Some(f),
            _ => {
                self.diags.push(Diagnostic::error(
                    Code::InvalidConstant,
                    format!("a fraction must be a number between 0 and 1, found {v}"),
                    e.span,
                    "invalid",
                ));
                None
            }
        }
    }

    fn fill_null(
        &mut self,
        spec: &FillSpec,
        schema: &Schema,
    ) -> Option<(Vec<(String, Fill)>, Schema)> {
        let mut out = schema.clone();
        let mut fills = Vec::new();
        let targets: Vec<(Option<&Ident>, &FillValue)> = match spec {
            FillSpec::All(v) => vec![(None, v)],
            FillSpec::Columns(cols) => cols.iter().map(|(c, v)| (Some(c), v)).collect(),
        };
        for (column, value) in targets {
            let (fill, value_type) = match value {
                FillValue::Strategy(s) => match s.name.as_str() {
                    "mean" => (Fill::Mean, None),
                    "median" => (Fill::Median, None),
                    _ => (Fill::Mode, None),
                },
                FillValue::Constant(e) => {
                    let v = self.constant(e, "a fill value")?;
                    let t = v.data_type();
                    (Fill::Constant(v), Some(t))
                }
            };
            let numeric_only = matches!(fill, Fill::Mean | Fill::Median);
            let columns: Vec<Field> = match column {
                Some(c) => vec![self.column(c, schema)?.clone()],
                // One rule for all: the columns it fits (numbers for mean/median, the
                // constant's type for a constant), as Spark's na.fill does.
                None => schema
                    .fields
                    .iter()
                    .filter(|f| f.nullable)
                    .filter(|f| match &value_type {
                        _ if numeric_only => f.data_type.is_numeric(),
                        Some(t) => DataType::common_supertype(&f.data_type, t).is_some_and(|c| {
                            c == f.data_type || (f.data_type.is_numeric() && c.is_numeric())
                        }),
                        None => true,
                    })
                    .cloned()
                    .collect(),
            };
            for f in columns {
                let new_type = match (&fill, &value_type) {
                    (Fill::Mean | Fill::Median, _) if !f.data_type.is_numeric() => {
                        let span = column.map_or(Default::default(), |c| c.span);
                        self.diags.push(
                            Diagnostic::error(
                                Code::ArgumentType,
                                format!(
                                    "cannot fill `{}` with its {}: it is {}, not a number",
                                    f.name,
                                    if fill == Fill::Mean { "mean" } else { "median" },
                                    f.data_type
                                ),
                                span,
                                "not numeric",
                            )
                            .with_help("use `mode` or a constant for non-numeric columns"),
                        );
                        return None;
                    }
                    // A mean or median of integers is fractional: the column becomes float64.
                    (Fill::Mean | Fill::Median, _) => DataType::Float64,
                    (Fill::Constant(_), Some(t)) => {
                        match DataType::common_supertype(&f.data_type, t) {
                            Some(c) => c,
                            None => {
                                let span = column.map_or(Default::default(), |c| c.span);
                                self.diags.push(Diagnostic::error(
                                    Code::TypeMismatch,
                                    format!(
                                        "cannot fill `{}` ({}) with a {}",
                                        f.name,
                                        type_name(&f.data_type, true),
                                        t
                                    ),
                                    span,
                                    "type differs",
                                ));
                                return None;
                            }
                        }
                    }
                    _ => f.data_type.clone(),
                };
                out.upsert(Field::new(f.name.clone(), new_type, false));
                fills.push((f.name.clone(), fill.clone()));
            }
        }
        Some((fills, out))
    }

    pub(crate) fn join(
        &mut self,
        kind: JoinKind,
        on: &[crate::syntax::ast::JoinKey],
        left: &Schema,
        right: &Schema,
    ) -> Option<(Vec<(String, String)>, Schema)> {
        let mut pairs = Vec::new();
        let mut ok = true;
        for k in on {
            let l = self.column(&k.left, left).cloned();
            // `x_right` names the right's `x` where the left has an `x` too, as in the
            // join's result and its conditions.
            let right_name = match k.right.name.strip_suffix("_right") {
                Some(x)
                    if right.field(&k.right.name).is_none()
                        && right.field(x).is_some()
                        && left.field(x).is_some() =>
                {
                    Ident::new(x, k.right.span)
                }
                _ => k.right.clone(),
            };
            let r = self.column(&right_name, right).cloned();
            let (Some(l), Some(r)) = (l, r) else {
                ok = false;
                continue;
            };
            if DataType::common_supertype(&l.data_type, &r.data_type).is_none() {
                self.diags.push(
                    Diagnostic::error(
                        Code::JoinKeyType,
                        format!("cannot join {} with {}", l.data_type, r.data_type),
                        k.left.span.to(k.right.span),
                        "key types differ",
                    )
                    .with_help("cast one key first with `cast`"),
                );
                ok = false;
                continue;
            }
            pairs.push((l.name.clone(), r.name.clone()));
        }
        if !ok {
            return None;
        }
        let out = crate::plan::schema::join_schema(kind, &pairs, left, right);
        Some((pairs, out))
    }

    pub(crate) fn split(
        &mut self,
        input: NodeIndex,
        step: &Step,
        fractions: &[Expr],
        seed: Option<&Expr>,
        stratify: Option<&Ident>,
        names: &[Ident],
    ) -> Option<Vec<NodeIndex>> {
        let values: Vec<f64> = fractions
            .iter()
            .map(|f| self.fraction(f))
            .collect::<Option<_>>()?;
        if values.len() != names.len() {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidSplit,
                    format!("{} names for {} fractions", names.len(), values.len()),
                    step.keyword,
                    "one name per fraction",
                )
                .with_help("write `let train, test = data | split 0.8, 0.2`"),
            );
            return None;
        }
        let total: f64 = values.iter().sum();
        if total <= 0.0 {
            self.diags.push(Diagnostic::error(
                Code::InvalidSplit,
                "split fractions must not all be 0",
                step.keyword,
                "all zero",
            ));
            return None;
        }
        // Fractions that do not add up to 1 are scaled, as Spark's randomSplit does.
        let fractions: Vec<f64> = values.iter().map(|v| v / total).collect();
        let seed = match seed {
            Some(s) => self.non_negative_int(s, "a seed")?,
            None => 0,
        };
        let schema = self.schema(input).clone();
        if let Some(s) = stratify {
            self.column(s, &schema)?;
        }
        let nodes = (0..fractions.len())
            .map(|index| {
                let op = PlanOp::SplitPart {
                    fractions: fractions.clone(),
                    index,
                    seed,
                    stratify: stratify.map(|s| s.name.clone()),
                };
                self.add_step(input, op, schema.clone(), step, &[])
            })
            .collect();
        Some(nodes)
    }
}
