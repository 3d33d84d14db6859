//! `distinct [cols]`: keeps the first row (in input order) of each distinct combination
//! of the columns (all of them when none are named), through the hash aggregation: a
//! `group` by those columns whose other columns are their `first` value, put back in
//! the input's column order. So it runs in parallel and spills like `group`, and rows
//! come out in order of first appearance. Rows are compared in Arrow's row format, where
//! null equals null, as in SQL's DISTINCT.

use crate::error::{RunError, RunResult};
use crate::memory::MemoryPool;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::spill::SpillDir;
use crate::tuning::Tuning;
use arrow::datatypes::{Schema, SchemaRef};
use sluice_compiler::plan::{AggregateExpr, TypedExpr, TypedExprKind};
use std::sync::Arc;

pub fn run(
    input: &Pipeline<'_>,
    columns: &[String],
    input_schema: &sluice_stdlib::Schema,
    pool: &MemoryPool,
    spill: &SpillDir,
    tuning: &Tuning,
) -> RunResult<Relation> {
    let schema = input.schema.clone();
    let keys: Vec<String> = if columns.is_empty() {
        schema.fields().iter().map(|f| f.name().clone()).collect()
    } else {
        columns.to_vec()
    };
    let aggregates: Vec<AggregateExpr> = input_schema
        .fields
        .iter()
        .filter(|f| !keys.contains(&f.name))
        .map(|f| AggregateExpr {
            name: f.name.clone(),
            function: "first".to_string(),
            args: vec![TypedExpr {
                kind: TypedExprKind::Column(f.name.clone()),
                data_type: f.data_type.clone(),
                nullable: f.nullable,
            }],
        })
        .collect();
    // The group's columns: the keys, then the others.
    let field = |name: &String| {
        schema
            .field_with_name(name)
            .cloned()
            .map_err(|_| RunError::new(format!("internal error: no column `{name}`")))
    };
    let grouped: SchemaRef = Arc::new(Schema::new(
        keys.iter()
            .chain(aggregates.iter().map(|a| &a.name))
            .map(field)
            .collect::<RunResult<Vec<_>>>()?,
    ));
    let groups = super::aggregate::run(
        input,
        &keys,
        &aggregates,
        input_schema,
        grouped.clone(),
        pool,
        spill,
        tuning,
    )?;
    // Back in the input's column order.
    let order = schema
        .fields()
        .iter()
        .map(|f| {
            grouped
                .index_of(f.name())
                .map_err(|_| RunError::new(format!("internal error: no column `{}`", f.name())))
        })
        .collect::<RunResult<Vec<usize>>>()?;
    groups.project(&order)
}
