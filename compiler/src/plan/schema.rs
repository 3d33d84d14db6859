//! Output schemas of plan operators, computed from their inputs.
//!
//! The resolver checks a step and computes its schema once; the optimizer rewrites
//! nodes (narrower scans, fewer derived columns, operators moved below others) and uses
//! [`output_schema`] to recompute the schemas of what it touched, and to check that a
//! rewritten plan is still consistent.

use super::{Fill, PlanOp};
use crate::syntax::ast::JoinKind;
use sluice_stdlib::{DataType, Field, Schema};

/// The schema an operator produces from its inputs' schemas.
///
/// `previous` is the node's schema before the rewrite: aggregates and fill strategies
/// keep the output type the resolver gave them (it depends on the function, not on
/// which other columns flow past).
pub fn output_schema(op: &PlanOp, inputs: &[&Schema], previous: &Schema) -> Result<Schema, String> {
    let input = |i: usize| -> Result<&Schema, String> {
        inputs
            .get(i)
            .copied()
            .ok_or_else(|| format!("{} has no input {i}", op.name()))
    };
    let column = |schema: &Schema, name: &str| -> Result<Field, String> {
        schema
            .field(name)
            .cloned()
            .ok_or_else(|| format!("{} reads `{name}`, which its input lacks", op.name()))
    };
    Ok(match op {
        PlanOp::Fit { .. } | PlanOp::LoadModel { .. } | PlanOp::Evaluate { .. } => previous.clone(),
        PlanOp::Predict { outputs, .. } => {
            let mut out = input(0)?.clone();
            for c in outputs {
                out.upsert(Field::new(c.name.clone(), c.data_type.clone(), true));
            }
            out
        }
        PlanOp::Scan {
            file_schema,
            projection,
            ..
        } => match projection {
            None => file_schema.clone(),
            Some(columns) => Schema::new(
                file_schema
                    .fields
                    .iter()
                    .filter(|f| columns.contains(&f.name))
                    .cloned()
                    .collect(),
            ),
        },
        PlanOp::StreamScan { file_schema, .. } => file_schema.clone(),
        PlanOp::Filter { .. }
        | PlanOp::Watermark { .. }
        | PlanOp::LateRows
        | PlanOp::Sort { .. }
        | PlanOp::Limit { .. }
        | PlanOp::Offset { .. }
        | PlanOp::TopK { .. }
        | PlanOp::Distinct { .. }
        | PlanOp::Sample { .. }
        | PlanOp::SplitPart { .. }
        | PlanOp::Repartition { .. }
        | PlanOp::Sink { .. } => input(0)?.clone(),
        PlanOp::Project { columns } => {
            let schema = input(0)?;
            Schema::new(
                columns
                    .iter()
                    .map(|c| column(schema, c))
                    .collect::<Result<_, _>>()?,
            )
        }
        PlanOp::Window { functions, .. } => {
            let mut out = input(0)?.clone();
            for w in functions {
                let nullable = previous.field(&w.name).is_none_or(|f| f.nullable);
                out.upsert(Field::new(w.name.clone(), w.data_type.clone(), nullable));
            }
            out
        }
        PlanOp::Derive { columns } => {
            let mut out = input(0)?.clone();
            for (name, e) in columns {
                out.upsert(Field::new(name.clone(), e.data_type.clone(), e.nullable));
            }
            out
        }
        PlanOp::Rename { pairs } => {
            let mut out = input(0)?.clone();
            for (from, to) in pairs {
                let i = out
                    .index_of(from)
                    .ok_or_else(|| format!("Rename reads `{from}`, which its input lacks"))?;
                out.fields[i].name = to.clone();
            }
            out
        }
        PlanOp::Cast { columns } => {
            let schema = input(0)?;
            let mut out = schema.clone();
            for (name, to) in columns {
                let f = column(schema, name)?;
                let nullable =
                    f.nullable || f.data_type == DataType::String && *to != DataType::String;
                out.upsert(Field::new(name.clone(), to.clone(), nullable));
            }
            out
        }
        PlanOp::DropNull { columns } => {
            let mut out = input(0)?.clone();
            for f in &mut out.fields {
                if columns.contains(&f.name) {
                    f.nullable = false;
                }
            }
            out
        }
        PlanOp::FillNull { fills } => {
            let schema = input(0)?;
            let mut out = schema.clone();
            for (name, fill) in fills {
                let f = column(schema, name)?;
                let data_type = match fill {
                    Fill::Mean | Fill::Median => DataType::Float64,
                    Fill::Mode => f.data_type.clone(),
                    Fill::Constant(_) => column(previous, name)?.data_type,
                };
                out.upsert(Field::new(name.clone(), data_type, false));
            }
            out
        }
        PlanOp::Aggregate {
            keys, aggregates, ..
        } => {
            let schema = input(0)?;
            let mut fields: Vec<Field> = keys
                .iter()
                .map(|k| column(schema, k))
                .collect::<Result<_, _>>()?;
            for a in aggregates {
                fields.push(column(previous, &a.name)?);
            }
            Schema::new(fields)
        }
        PlanOp::Join { kind, on, .. } => join_schema(*kind, on, input(0)?, input(1)?),
        // The columns every input has, in the first input's order (the resolver makes
        // them all have the same; after projection pushdown the first may have more,
        // which another consumer of it reads).
        PlanOp::Union => {
            let mut out = input(0)?.clone();
            out.fields
                .retain(|f| inputs[1..].iter().all(|o| o.field(&f.name).is_some()));
            for other in &inputs[1..] {
                for f in &mut out.fields {
                    let g = column(other, &f.name)?;
                    f.data_type = DataType::common_supertype(&f.data_type, &g.data_type)
                        .ok_or_else(|| format!("Union: `{}` types differ", f.name))?;
                    f.nullable |= g.nullable;
                }
            }
            out
        }
        PlanOp::Explode {
            column: name,
            position,
        } => {
            let schema = input(0)?;
            let f = column(schema, name)?;
            let DataType::List(item) = &f.data_type else {
                return Err(format!("Explode: `{name}` is not a list"));
            };
            let mut out = schema.clone();
            out.upsert(Field::new(name.clone(), (**item).clone(), true));
            if let Some(p) = position {
                out.upsert(Field::new(p.clone(), DataType::Int64, false));
            }
            out
        }
        PlanOp::Stage { steps } => {
            let mut schema = input(0)?.clone();
            for step in steps {
                schema = output_schema(&step.op, &[&schema], &step.schema)?;
            }
            schema
        }
    })
}

/// The columns of a join: the left side's, then the right side's except a key named
/// alike on both sides (one column, coalesced in a full join); a right column whose name
/// is taken gets the suffix `_right`. Semi and anti joins keep the left side only.
pub fn join_schema(
    kind: JoinKind,
    on: &[(String, String)],
    left: &Schema,
    right: &Schema,
) -> Schema {
    if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        return left.clone();
    }
    let right_nullable = matches!(kind, JoinKind::Left | JoinKind::Full);
    let left_nullable = matches!(kind, JoinKind::Right | JoinKind::Full);
    let mut out = Schema::new(
        left.fields
            .iter()
            .map(|f| {
                let shared_key = on.iter().any(|(l, r)| l == &f.name && l == r);
                let nullable = if shared_key && kind == JoinKind::Full {
                    f.nullable && right.field(&f.name).is_some_and(|g| g.nullable)
                } else if shared_key {
                    f.nullable
                } else {
                    f.nullable || left_nullable
                };
                Field::new(f.name.clone(), f.data_type.clone(), nullable)
            })
            .collect(),
    );
    for f in &right.fields {
        if on.iter().any(|(l, r)| r == &f.name && l == r) {
            continue;
        }
        let mut name = f.name.clone();
        if out.field(&name).is_some() {
            name = format!("{name}_right");
        }
        out.fields.push(Field::new(
            name,
            f.data_type.clone(),
            f.nullable || right_nullable,
        ));
    }
    out
}

/// Where each output column of a join comes from: `(true, name)` for the left input,
/// `(false, name)` for the right.
pub fn join_column_origins(
    kind: JoinKind,
    on: &[(String, String)],
    left: &Schema,
    right: &Schema,
) -> Vec<(String, bool, String)> {
    let mut out: Vec<(String, bool, String)> = left
        .fields
        .iter()
        .map(|f| (f.name.clone(), true, f.name.clone()))
        .collect();
    if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        return out;
    }
    for f in &right.fields {
        if on.iter().any(|(l, r)| r == &f.name && l == r) {
            continue;
        }
        let mut name = f.name.clone();
        if out.iter().any(|(n, _, _)| n == &name) {
            name = format!("{name}_right");
        }
        out.push((name, false, f.name.clone()));
    }
    out
}
