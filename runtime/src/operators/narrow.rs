//! Narrow operators: each maps one batch to one batch, row by row, so they run inside
//! pipelines: filter, select/drop (project), derive, rename, cast, drop_null, sample,
//! unstratified split, explode.

use super::row_fraction;
use crate::error::{RunError, RunResult};
use crate::expr::{cast_to, evaluate};
use arrow::array::{Array, ArrayRef, BooleanArray, ListArray, RecordBatch, UInt32Array};
use arrow::compute::{filter_record_batch, is_not_null, take};
use arrow::datatypes::SchemaRef;
use sluice_compiler::plan::{PlanOp, TypedExpr};
use sluice_stdlib::DataType;
use std::sync::Arc;

/// A narrow operator with what it needs to run; `schema` is its output schema.
pub enum NarrowOp<'p> {
    Filter(&'p TypedExpr),
    Project(Vec<usize>, SchemaRef),
    Derive(&'p [(String, TypedExpr)], SchemaRef),
    Rename(SchemaRef),
    Cast(Vec<(usize, DataType, DataType)>, SchemaRef),
    DropNull(Vec<usize>),
    /// Keep rows whose fraction falls in [low, high).
    Sample {
        low: f64,
        high: f64,
        seed: u64,
    },
    Explode(usize, SchemaRef),
    /// `watermark`: on a stream, drops late rows and notes the latest time; in a batch
    /// run (no clock) rows pass unchanged.
    Watermark(usize, Option<Arc<crate::stream::watermark::WatermarkClock>>),
    /// A whole fused stage, run by its compiled kernel.
    Compiled(Arc<sluice_compiler::codegen::CompiledStage>, SchemaRef),
}

impl<'p> NarrowOp<'p> {
    /// The batch operator of one narrow plan operator reading `in_schema`; `out` is its
    /// output schema.
    pub fn from_plan(
        op: &'p PlanOp,
        in_schema: &sluice_stdlib::Schema,
        out: SchemaRef,
    ) -> RunResult<NarrowOp<'p>> {
        let index = |name: &str| {
            in_schema
                .index_of(name)
                .ok_or_else(|| RunError::new(format!("internal error: no column `{name}`")))
        };
        Ok(match op {
            PlanOp::Filter { predicate } => NarrowOp::Filter(predicate),
            PlanOp::Project { columns } => NarrowOp::Project(
                columns.iter().map(|c| index(c)).collect::<RunResult<_>>()?,
                out,
            ),
            PlanOp::Derive { columns } => NarrowOp::Derive(columns, out),
            PlanOp::Rename { .. } => NarrowOp::Rename(out),
            PlanOp::Cast { columns } => NarrowOp::Cast(
                columns
                    .iter()
                    .map(|(c, t)| {
                        Ok((
                            index(c)?,
                            in_schema.fields[index(c)?].data_type.clone(),
                            t.clone(),
                        ))
                    })
                    .collect::<RunResult<_>>()?,
                out,
            ),
            PlanOp::DropNull { columns } => {
                NarrowOp::DropNull(columns.iter().map(|c| index(c)).collect::<RunResult<_>>()?)
            }
            PlanOp::Sample { fraction, seed } => NarrowOp::Sample {
                low: 0.0,
                high: *fraction,
                seed: *seed,
            },
            PlanOp::SplitPart {
                fractions,
                index: part,
                seed,
                stratify: None,
            } => {
                let low: f64 = fractions[..*part].iter().sum();
                let high = if part + 1 == fractions.len() {
                    f64::INFINITY
                } else {
                    low + fractions[*part]
                };
                NarrowOp::Sample {
                    low,
                    high,
                    seed: *seed,
                }
            }
            PlanOp::Explode { column, .. } => NarrowOp::Explode(index(column)?, out),
            PlanOp::Watermark { column, .. } => NarrowOp::Watermark(index(column)?, None),
            other => {
                return Err(RunError::new(format!(
                    "internal error: `{}` is not a narrow operator",
                    other.name()
                )));
            }
        })
    }

    /// Applies the operator to a batch that is rows `first_row..` of `partition`.
    pub fn apply(
        &self,
        batch: RecordBatch,
        partition: usize,
        first_row: u64,
    ) -> RunResult<RecordBatch> {
        Ok(match self {
            NarrowOp::Filter(predicate) => {
                let mask = evaluate(predicate, &batch)?;
                let mask = mask
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(|| RunError::new("internal error: a filter is not bool"))?;
                // Rows where the condition is null are dropped, as in SQL.
                filter_record_batch(&batch, mask)?
            }
            NarrowOp::Project(indices, schema) => RecordBatch::try_new_with_options(
                schema.clone(),
                indices.iter().map(|i| batch.column(*i).clone()).collect(),
                &arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
            )?,
            NarrowOp::Derive(columns, schema) => {
                let mut current = batch;
                for (name, expr) in columns.iter() {
                    let value = evaluate(expr, &current)?;
                    let mut fields: Vec<_> = current.schema().fields().iter().cloned().collect();
                    let mut arrays: Vec<ArrayRef> = current.columns().to_vec();
                    let field = Arc::new(arrow::datatypes::Field::new(
                        name,
                        value.data_type().clone(),
                        true,
                    ));
                    match fields.iter().position(|f| f.name() == name) {
                        Some(i) => {
                            fields[i] = field;
                            arrays[i] = value;
                        }
                        None => {
                            fields.push(field);
                            arrays.push(value);
                        }
                    }
                    current = RecordBatch::try_new(
                        Arc::new(arrow::datatypes::Schema::new(fields)),
                        arrays,
                    )?;
                }
                RecordBatch::try_new(schema.clone(), current.columns().to_vec())?
            }
            NarrowOp::Rename(schema) => {
                RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?
            }
            NarrowOp::Cast(columns, schema) => {
                let mut arrays = batch.columns().to_vec();
                for (i, from, to) in columns {
                    arrays[*i] = cast_to(&arrays[*i], from, to)?;
                }
                RecordBatch::try_new(schema.clone(), arrays)?
            }
            NarrowOp::DropNull(indices) => {
                let mut mask = BooleanArray::from(vec![true; batch.num_rows()]);
                for i in indices {
                    mask = arrow::compute::and(&mask, &is_not_null(batch.column(*i))?)?;
                }
                filter_record_batch(&batch, &mask)?
            }
            NarrowOp::Sample { low, high, seed } => {
                let mask: BooleanArray = (0..batch.num_rows() as u64)
                    .map(|r| {
                        let u = row_fraction(*seed, partition, first_row + r);
                        Some(u >= *low && u < *high)
                    })
                    .collect();
                filter_record_batch(&batch, &mask)?
            }
            NarrowOp::Explode(column, schema) => explode(&batch, *column, schema)?,
            NarrowOp::Watermark(_, None) => batch,
            NarrowOp::Watermark(column, Some(clock)) => clock.apply(batch, *column)?,
            NarrowOp::Compiled(stage, schema) => super::compiled::apply(stage, schema, &batch)?,
        })
    }
}

/// One row per item of a list column; a null or empty list gives no row (Spark's
/// `explode`, DuckDB's `unnest`).
fn explode(batch: &RecordBatch, column: usize, schema: &SchemaRef) -> RunResult<RecordBatch> {
    let list = batch.column(column);
    let list = list
        .as_any()
        .downcast_ref::<ListArray>()
        .ok_or_else(|| RunError::new("internal error: explode of a non-list"))?;
    let mut row_indices: Vec<u32> = Vec::new();
    let mut item_indices: Vec<u32> = Vec::new();
    let offsets = list.value_offsets();
    for row in 0..list.len() {
        if list.is_null(row) {
            continue;
        }
        for item in offsets[row] as u32..offsets[row + 1] as u32 {
            row_indices.push(row as u32);
            item_indices.push(item);
        }
    }
    let positions = (schema.fields().len() > batch.num_columns()).then(|| {
        // `with position`: each item's 1-based position in its list.
        let positions: arrow::array::Int64Array = row_indices
            .iter()
            .zip(&item_indices)
            .map(|(&row, &item)| Some(i64::from(item) - i64::from(offsets[row as usize]) + 1))
            .collect();
        Arc::new(positions) as ArrayRef
    });
    let rows = UInt32Array::from(row_indices);
    let items = UInt32Array::from(item_indices);
    let mut arrays = batch
        .columns()
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i == column {
                take(list.values().as_ref(), &items, None)
            } else {
                take(a.as_ref(), &rows, None)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    arrays.extend(positions);
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}
