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

/// A `distinct` as a `group`: its keys, the `first` of every other column, the group's
/// output schema (keys first), and where each input column is in it.
pub struct DistinctAsGroup {
    pub keys: Vec<String>,
    pub aggregates: Vec<AggregateExpr>,
    pub grouped: SchemaRef,
    /// Per input column, its position in `grouped`.
    order: Vec<usize>,
}

impl DistinctAsGroup {
    pub fn new(
        columns: &[String],
        input_schema: &sluice_stdlib::Schema,
        schema: &SchemaRef,
    ) -> RunResult<DistinctAsGroup> {
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
        let order = schema
            .fields()
            .iter()
            .map(|f| {
                grouped
                    .index_of(f.name())
                    .map_err(|_| RunError::new(format!("internal error: no column `{}`", f.name())))
            })
            .collect::<RunResult<Vec<usize>>>()?;
        Ok(DistinctAsGroup {
            keys,
            aggregates,
            grouped,
            order,
        })
    }

    /// The group's aggregation.
    pub fn aggregation<'a>(
        &'a self,
        input_schema: &sluice_stdlib::Schema,
        tuning: &Tuning,
    ) -> RunResult<super::aggregate::Aggregation<'a>> {
        super::aggregate::Aggregation::new(
            &self.keys,
            &self.aggregates,
            input_schema,
            self.grouped.clone(),
            tuning,
        )
    }

    /// The group's rows with the input's columns, in the input's order.
    pub fn in_input_order(&self, groups: &Relation) -> RunResult<Relation> {
        groups.project(&self.order)
    }
}

pub fn run(
    input: &Pipeline<'_>,
    columns: &[String],
    input_schema: &sluice_stdlib::Schema,
    pool: &MemoryPool,
    spill: &SpillDir,
    tuning: &Tuning,
) -> RunResult<Relation> {
    let shape = DistinctAsGroup::new(columns, input_schema, &input.schema)?;
    let groups = super::aggregate::run(
        input,
        &shape.keys,
        &shape.aggregates,
        input_schema,
        shape.grouped.clone(),
        pool,
        spill,
        tuning,
    )?;
    shape.in_input_order(&groups)
}
