//! `fill_null`: replaces nulls per column with the column's mean, median or mode
//! (computed over the whole input first, so it is a pipeline breaker) or a constant.
//! Means and medians fill float64 columns (an int64 column becomes float64, as the
//! resolver typed it); the mode is the most frequent value, the smallest on a tie.
//! A column with no value at all stays null.

use crate::error::{RunError, RunResult};
use crate::expr::{conform, scalar_of};
use crate::partitions::Partitions;
use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{concat, is_not_null};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use sluice_compiler::plan::Fill;
use sluice_stdlib::aggregates::quantile;
use sluice_stdlib::value::ScalarValue;
use sluice_stdlib::{DataType, Schema};
use std::collections::BTreeMap;

pub fn run(
    input: &Partitions,
    fills: &[(String, Fill)],
    out_schema: &Schema,
    out: SchemaRef,
) -> RunResult<Partitions> {
    // One fill value per column, as a one-row array of the output type.
    let mut values: Vec<(usize, ArrayRef)> = Vec::new();
    for (name, fill) in fills {
        let index = input.schema.index_of(name)?;
        let target = &out_schema.fields[out.index_of(name)?].data_type;
        let column = || -> RunResult<ArrayRef> {
            let parts: Vec<&dyn Array> =
                input.batches().map(|b| b.column(index).as_ref()).collect();
            if parts.is_empty() {
                return Ok(ScalarValue::nulls(target, 0));
            }
            Ok(concat(&parts)?)
        };
        let value: ArrayRef = match fill {
            Fill::Constant(v) => conform(scalar_of(v).to_array(1), target)?,
            Fill::Mean | Fill::Median => {
                let floats = conform(column()?, &DataType::Float64)?;
                let floats = floats
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .ok_or_else(|| RunError::new("internal error: fill of a non-number"))?;
                let mut present: Vec<f64> = floats.iter().flatten().collect();
                let v = if matches!(fill, Fill::Mean) {
                    (!present.is_empty())
                        .then(|| present.iter().sum::<f64>() / present.len() as f64)
                } else {
                    quantile(&mut present, 0.5)
                };
                let v = v.map(sluice_stdlib::nan::canonical);
                conform(std::sync::Arc::new(Float64Array::from(vec![v])), target)?
            }
            Fill::Mode => conform(mode(&column()?)?, target)?,
        };
        values.push((index, value));
    }
    let mut parts = Vec::with_capacity(input.parts.len());
    for part in &input.parts {
        let mut out_part = Vec::with_capacity(part.len());
        for batch in part {
            let mut arrays = batch.columns().to_vec();
            for (index, value) in &values {
                let column = conform(arrays[*index].clone(), &out_schema.fields[*index].data_type)?;
                let keep = is_not_null(&column)?;
                let filler = arrow::array::Scalar::new(value.clone());
                arrays[*index] = zip(&keep, &column, &filler)?;
            }
            out_part.push(RecordBatch::try_new(out.clone(), arrays)?);
        }
        parts.push(out_part);
    }
    Ok(Partitions::new(out, parts))
}

/// The most frequent non-null value (the smallest on a tie), as a one-row array.
fn mode(column: &ArrayRef) -> RunResult<ArrayRef> {
    let converter = RowConverter::new(vec![SortField::new(column.data_type().clone())])?;
    let rows = converter.convert_columns(std::slice::from_ref(column))?;
    let mut counts: BTreeMap<Box<[u8]>, usize> = BTreeMap::new();
    for i in 0..column.len() {
        if column.is_valid(i) {
            *counts.entry(rows.row(i).as_ref().into()).or_default() += 1;
        }
    }
    let best = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.clone());
    match best {
        Some(k) => Ok(converter
            .convert_rows(std::iter::once(converter.parser().parse(&k)))?
            .remove(0)),
        None => Ok(arrow::array::new_null_array(column.data_type(), 1)),
    }
}
