//! A fused stage run by its compiled kernel: precomputes what the kernel does not
//! cover (with the reference implementation), hands the kernel the batch's Arrow
//! buffers, and assembles the output from the kernel's buffers and the selected rows of
//! the columns that pass through unchanged.

use crate::error::{RunError, RunResult};
use crate::expr::evaluate;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, DurationMicrosecondArray, Float64Array,
    Int64Array, RecordBatch, RecordBatchOptions, TimestampMicrosecondArray,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::filter;
use arrow::datatypes::SchemaRef;
use sluice_compiler::codegen::{CompiledStage, InputView, OutputBuffer, OutputSource};
use sluice_stdlib::DataType;
use std::sync::Arc;

/// Runs a compiled stage over one batch; `schema` is the stage's output schema.
pub fn apply(
    stage: &CompiledStage,
    schema: &SchemaRef,
    batch: &RecordBatch,
) -> RunResult<RecordBatch> {
    let rows = batch.num_rows();
    let program = &stage.program;
    // A precomputed expression may read one computed before it (`derive b = s as
    // string | filter b == s`): each sees the batch plus the earlier ones.
    let mut precomputed: Vec<(String, ArrayRef)> = Vec::new();
    let mut extended = batch.clone();
    for (name, e) in &program.precomputed {
        let value = evaluate(e, &extended)?;
        if precomputed.len() + 1 < program.precomputed.len() {
            extended = with_column(&extended, name, &value)?;
        }
        precomputed.push((name.clone(), value));
    }
    let column = |name: &str| -> RunResult<ArrayRef> {
        precomputed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .or_else(|| batch.column_by_name(name).cloned())
            .ok_or_else(|| {
                RunError::new(format!("internal error: no column `{name}` for a kernel"))
            })
    };
    let arrays: Vec<(ArrayRef, &DataType)> = program
        .inputs
        .iter()
        .map(|(n, t)| Ok((column(n)?, t)))
        .collect::<RunResult<_>>()?;
    // Columns without nulls read an all-valid bitmap.
    let all_valid = vec![0xFFu8; rows.div_ceil(8) + 1];
    let views = arrays
        .iter()
        .map(|(a, t)| view(a.as_ref(), t, &all_valid))
        .collect::<RunResult<Vec<_>>>()?;
    let computed = program.computed_outputs();
    let mut outputs: Vec<(OutputBuffer, Vec<u8>)> = computed
        .iter()
        .map(|(_, t)| {
            let values = match t {
                DataType::Float64 => OutputBuffer::Float(vec![0.0; rows]),
                DataType::Bool => OutputBuffer::Bool(vec![0; rows]),
                _ => OutputBuffer::Int(vec![0; rows]),
            };
            (values, vec![0u8; rows])
        })
        .collect();
    let mut selection = vec![0u32; rows];
    let kept = stage
        .kernel
        .run(&views, &mut outputs, &mut selection, rows)
        .map_err(RunError::new)?;
    // The passing rows as a mask, for the columns that pass through unchanged.
    let mask = (kept < rows).then(|| {
        let mut words = vec![0u64; rows.div_ceil(64)];
        for &row in &selection[..kept] {
            words[row as usize / 64] |= 1 << (row % 64);
        }
        let bits = BooleanBuffer::new(arrow::buffer::Buffer::from_vec(words), 0, rows);
        BooleanArray::new(bits, None)
    });
    let computed_arrays: Vec<ArrayRef> = outputs
        .into_iter()
        .zip(&computed)
        .map(|((values, validity), (_, t))| to_array(values, &validity, kept, t))
        .collect();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(program.outputs.len());
    for (_, source) in &program.outputs {
        columns.push(match source {
            OutputSource::Passthrough(name) => {
                let a = column(name)?;
                match &mask {
                    Some(m) => filter(a.as_ref(), m)?,
                    None => a,
                }
            }
            OutputSource::Computed(local, _) => {
                // A value output under two names shares its array.
                computed
                    .iter()
                    .position(|(l, _)| l == local)
                    .and_then(|m| computed_arrays.get(m).cloned())
                    .ok_or_else(|| RunError::new("internal error: a kernel output is missing"))?
            }
        });
    }
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            crate::expr::conform(
                c,
                &DataType::from_arrow(f.data_type()).unwrap_or(DataType::Null),
            )
        })
        .collect::<RunResult<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(kept));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}

/// The kernel's view of one Arrow array.
fn view<'a>(a: &'a dyn Array, t: &DataType, all_valid: &'a [u8]) -> RunResult<InputView<'a>> {
    let (validity, validity_offset) = match a.nulls() {
        Some(n) => (n.inner().inner().as_slice(), n.offset()),
        None => (all_valid, 0),
    };
    let wrong = || RunError::new(format!("internal error: a kernel input is not {t}"));
    Ok(match t {
        DataType::Bool => {
            let b = a.as_boolean_opt().ok_or_else(wrong)?;
            InputView::Bool {
                values: b.values().inner().as_slice(),
                values_offset: b.values().offset(),
                validity,
                validity_offset,
            }
        }
        DataType::String => {
            let s = a.as_string_opt::<i32>().ok_or_else(wrong)?;
            InputView::Str {
                offsets: s.value_offsets(),
                bytes: s.values().as_slice(),
                validity,
                validity_offset,
            }
        }
        DataType::Date => {
            let d = a
                .as_primitive_opt::<arrow::datatypes::Date32Type>()
                .ok_or_else(wrong)?;
            InputView::Fixed {
                values: d.values().inner().as_slice(),
                width: 4,
                validity,
                validity_offset,
            }
        }
        DataType::Null => InputView::Fixed {
            values: &[],
            width: 0,
            validity: all_valid,
            validity_offset: 0,
        },
        _ => {
            use arrow::datatypes::{
                DurationMicrosecondType, Float64Type, Int64Type, TimestampMicrosecondType,
            };
            let values = match t {
                DataType::Float64 => a
                    .as_primitive_opt::<Float64Type>()
                    .map(|p| p.values().inner()),
                DataType::Timestamp => a
                    .as_primitive_opt::<TimestampMicrosecondType>()
                    .map(|p| p.values().inner()),
                DataType::Duration => a
                    .as_primitive_opt::<DurationMicrosecondType>()
                    .map(|p| p.values().inner()),
                _ => a
                    .as_primitive_opt::<Int64Type>()
                    .map(|p| p.values().inner()),
            }
            .ok_or_else(wrong)?;
            InputView::Fixed {
                values: values.as_slice(),
                width: 8,
                validity,
                validity_offset,
            }
        }
    })
}

/// `batch` with one more column.
fn with_column(batch: &RecordBatch, name: &str, value: &ArrayRef) -> RunResult<RecordBatch> {
    let mut fields: Vec<arrow::datatypes::FieldRef> = batch.schema().fields().to_vec();
    fields.push(Arc::new(arrow::datatypes::Field::new(
        name,
        value.data_type().clone(),
        true,
    )));
    let mut columns = batch.columns().to_vec();
    columns.push(value.clone());
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
        &options,
    )?)
}

/// The first `rows` values a kernel wrote, as an Arrow array (the buffer is moved, not
/// copied).
fn to_array(values: OutputBuffer, validity: &[u8], rows: usize, t: &DataType) -> ArrayRef {
    let valid = BooleanBuffer::collect_bool(rows, |i| validity[i] != 0);
    let nulls = (valid.count_set_bits() < rows).then(|| NullBuffer::new(valid));
    match values {
        // Day numbers always fit in 32 bits (a timestamp's day, or a date's).
        OutputBuffer::Int(v) if *t == DataType::Date => Arc::new(Date32Array::new(
            v[..rows].iter().map(|d| *d as i32).collect(),
            nulls,
        )),
        OutputBuffer::Int(mut v) => {
            v.truncate(rows);
            match t {
                DataType::Timestamp => {
                    Arc::new(TimestampMicrosecondArray::new(v.into(), nulls).with_timezone("UTC"))
                }
                DataType::Duration => Arc::new(DurationMicrosecondArray::new(v.into(), nulls)),
                _ => Arc::new(Int64Array::new(v.into(), nulls)),
            }
        }
        OutputBuffer::Float(mut v) => {
            v.truncate(rows);
            sluice_stdlib::nan::canonical_nans(Arc::new(Float64Array::new(v.into(), nulls)))
        }
        OutputBuffer::Bool(v) => Arc::new(BooleanArray::new(
            BooleanBuffer::collect_bool(rows, |i| v[i] != 0),
            nulls,
        )),
    }
}
