//! Evaluates typed expressions over a batch: the reference semantics every later fast
//! path (the JIT) must match.
//!
//! - `and`/`or` use three-valued logic (`false and null` is false); `not null` is null.
//! - Comparisons bring both sides to their common type first (int64 widens to float64).
//! - Integer `+ - *` and unary `-` give null on overflow; `/` is float64 division and
//!   `%` the remainder, both null when the divisor is 0 (also for floats).
//! - `+` joins strings and adds durations to dates and timestamps.
//! - `case` and `if` take the first branch whose condition is true (null is not true).
//! - `as` parses text with the CSV reader's rules (null where it does not parse) and
//!   truncates floats toward zero (null when out of range).

use crate::error::{RunError, RunResult};
use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, DurationMicrosecondArray, Float64Array, Int64Array,
    RecordBatch, StringArray, TimestampMicrosecondArray, new_null_array,
};
use arrow::compute::kernels::cmp;
use arrow::compute::{and_kleene, cast, not, or_kleene};
use arrow::datatypes::DataType as A;
use sluice_compiler::plan::{ConstValue, TypedExpr, TypedExprKind};
use sluice_compiler::syntax::ast::{BinaryOp, UnaryOp};
use sluice_stdlib::DataType;
use sluice_stdlib::value::{Columnar, ScalarValue};
use std::sync::Arc;

/// A constant of the plan as a kernel scalar.
pub fn scalar_of(value: &ConstValue) -> ScalarValue {
    match value {
        ConstValue::Null | ConstValue::List(_) => ScalarValue::Null,
        ConstValue::Bool(b) => ScalarValue::Bool(*b),
        ConstValue::Int(i) => ScalarValue::Int(*i),
        ConstValue::Float(f) => ScalarValue::Float(*f),
        ConstValue::String(s) => ScalarValue::String(s.clone()),
        ConstValue::Duration(d) => ScalarValue::Duration(*d),
    }
}

/// Evaluates `expr` over `batch` into a column of the expression's type.
pub fn evaluate(expr: &TypedExpr, batch: &RecordBatch) -> RunResult<ArrayRef> {
    let rows = batch.num_rows();
    let value = eval(expr, batch)?.to_array(rows);
    conform(value, &expr.data_type)
}

/// Casts a result to the Arrow type of the language type it was typed as.
pub fn conform(array: ArrayRef, to: &DataType) -> RunResult<ArrayRef> {
    let target = to.to_arrow();
    if array.data_type() == &target {
        Ok(array)
    } else {
        Ok(cast(&array, &target)?)
    }
}

/// Evaluates one node; a float result holds only the one NaN and the one zero (see
/// [`sluice_stdlib::nan`]), so every comparison, hash and order above it sees them as
/// the documented rules say. Only nodes that compute new floats (arithmetic, negation,
/// functions, casts, literals) can make another NaN or `-0.0`: columns already hold
/// canonical values (every source makes them so) and `case`/`if`/comparisons only pass
/// on or compare what their children made, so they are not scanned again.
fn eval(expr: &TypedExpr, batch: &RecordBatch) -> RunResult<Columnar> {
    let value = eval_node(expr, batch)?;
    let computes_floats = matches!(
        expr.kind,
        TypedExprKind::Unary { .. }
            | TypedExprKind::Binary { .. }
            | TypedExprKind::Call { .. }
            | TypedExprKind::Cast { .. }
            | TypedExprKind::Literal(_)
    ) && matches!(expr.data_type, DataType::Float64);
    if !computes_floats {
        return Ok(value);
    }
    Ok(match value {
        Columnar::Array(a) => Columnar::Array(sluice_stdlib::nan::canonical_nans(a)),
        Columnar::Scalar(ScalarValue::Float(x)) => {
            Columnar::Scalar(ScalarValue::Float(sluice_stdlib::nan::canonical(x)))
        }
        scalar => scalar,
    })
}

fn eval_node(expr: &TypedExpr, batch: &RecordBatch) -> RunResult<Columnar> {
    let rows = batch.num_rows();
    Ok(match &expr.kind {
        TypedExprKind::Column(name) => {
            Columnar::Array(batch.column_by_name(name).cloned().ok_or_else(|| {
                RunError::new(format!(
                    "internal error: column `{name}` is missing from a batch"
                ))
            })?)
        }
        TypedExprKind::Literal(v) => Columnar::Scalar(scalar_of(v)),
        TypedExprKind::Unary { op, operand } => {
            let a = eval(operand, batch)?.to_array(rows);
            Columnar::Array(match op {
                UnaryOp::Not => Arc::new(not(&bools(&a)?)?),
                UnaryOp::Neg => match a.data_type() {
                    A::Int64 => Arc::new(
                        ints(&a)?
                            .iter()
                            .map(|v| v.and_then(i64::checked_neg))
                            .collect::<Int64Array>(),
                    ),
                    A::Duration(_) => {
                        let d = a
                            .as_any()
                            .downcast_ref::<DurationMicrosecondArray>()
                            .ok_or_else(|| internal("duration"))?;
                        Arc::new(
                            d.iter()
                                .map(|v| v.and_then(i64::checked_neg))
                                .collect::<DurationMicrosecondArray>(),
                        )
                    }
                    _ => Arc::new(
                        floats(&a)?
                            .iter()
                            .map(|v| v.map(|x| -x))
                            .collect::<Float64Array>(),
                    ),
                },
            })
        }
        TypedExprKind::Binary { op, left, right } => {
            Columnar::Array(binary(*op, left, right, batch)?)
        }
        TypedExprKind::Call { function, args } => {
            let values: Vec<Columnar> = args
                .iter()
                .map(|a| eval(a, batch))
                .collect::<RunResult<_>>()?;
            Columnar::Array(sluice_stdlib::kernels::call(function, &values, rows)?)
        }
        TypedExprKind::Case {
            branches,
            otherwise,
        } => {
            let mut out = match otherwise {
                Some(o) => conform(eval(o, batch)?.to_array(rows), &expr.data_type)?,
                None => new_null_array(&expr.data_type.to_arrow(), rows),
            };
            for (cond, value) in branches.iter().rev() {
                let c = bools(&eval(cond, batch)?.to_array(rows))?;
                let mask: BooleanArray = c.iter().map(|v| Some(v == Some(true))).collect();
                let v = conform(eval(value, batch)?.to_array(rows), &expr.data_type)?;
                out = arrow::compute::kernels::zip::zip(&mask, &v, &out)?;
            }
            Columnar::Array(out)
        }
        TypedExprKind::Cast { operand, to } => {
            let a = eval(operand, batch)?.to_array(rows);
            Columnar::Array(cast_to(&a, &operand.data_type, to)?)
        }
        TypedExprKind::InList {
            operand,
            list,
            negated,
        } => {
            let mut acc: Option<BooleanArray> = None;
            for item in list {
                let eq = compare(BinaryOp::Eq, operand, item, batch)?;
                acc = Some(match acc {
                    None => eq,
                    Some(prev) => or_kleene(&prev, &eq)?,
                });
            }
            let result = acc.unwrap_or_else(|| BooleanArray::from(vec![false; rows]));
            Columnar::Array(Arc::new(if *negated { not(&result)? } else { result }))
        }
        TypedExprKind::List(items) => Columnar::Array(list_of(items, &expr.data_type, batch)?),
    })
}

/// `[a, b, ...]` as a column: per row, the list of the items' values (cast to the
/// list's item type), nulls kept as null items.
fn list_of(items: &[TypedExpr], list_type: &DataType, batch: &RecordBatch) -> RunResult<ArrayRef> {
    let rows = batch.num_rows();
    let DataType::List(item) = list_type else {
        return Err(internal("list"));
    };
    let item_type = item.to_arrow();
    let columns = items
        .iter()
        .map(|i| {
            let a = eval(i, batch)?.to_array(rows);
            Ok(if a.data_type() == &item_type {
                a
            } else {
                cast(&a, &item_type)?
            })
        })
        .collect::<RunResult<Vec<ArrayRef>>>()?;
    let n = columns.len();
    let refs: Vec<&dyn Array> = columns.iter().map(|c| c.as_ref()).collect();
    let order: Vec<(usize, usize)> = (0..rows)
        .flat_map(|r| (0..n).map(move |j| (j, r)))
        .collect();
    let values = if n == 0 {
        arrow::array::new_empty_array(&item_type)
    } else {
        arrow::compute::interleave(&refs, &order)?
    };
    let offsets = arrow::buffer::OffsetBuffer::from_lengths(std::iter::repeat_n(n, rows));
    let field = Arc::new(arrow::datatypes::Field::new("item", item_type, true));
    Ok(Arc::new(arrow::array::ListArray::try_new(
        field, offsets, values, None,
    )?))
}

fn internal(what: &str) -> RunError {
    RunError::new(format!("internal error: expected {what} values"))
}

fn bools(a: &ArrayRef) -> RunResult<BooleanArray> {
    let c = if a.data_type() == &A::Boolean {
        a.clone()
    } else {
        cast(a, &A::Boolean)?
    };
    Ok(c.as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| internal("bool"))?
        .clone())
}

fn ints(a: &ArrayRef) -> RunResult<Int64Array> {
    let c = if a.data_type() == &A::Int64 {
        a.clone()
    } else {
        cast(a, &A::Int64)?
    };
    Ok(c.as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| internal("int64"))?
        .clone())
}

fn floats(a: &ArrayRef) -> RunResult<Float64Array> {
    let c = if a.data_type() == &A::Float64 {
        a.clone()
    } else {
        cast(a, &A::Float64)?
    };
    Ok(c.as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| internal("float64"))?
        .clone())
}

fn micros_of(a: &ArrayRef) -> RunResult<Vec<Option<i64>>> {
    Ok(match a.data_type() {
        A::Date32 => {
            let d = a
                .as_any()
                .downcast_ref::<Date32Array>()
                .ok_or_else(|| internal("date"))?;
            // Dates more than 292,000 years from 1970 have no timestamp: null.
            d.iter()
                .map(|v| v.and_then(|x| i64::from(x).checked_mul(86_400_000_000)))
                .collect()
        }
        A::Duration(_) => a
            .as_any()
            .downcast_ref::<DurationMicrosecondArray>()
            .ok_or_else(|| internal("duration"))?
            .iter()
            .collect(),
        A::Null => vec![None; a.len()],
        _ => {
            let t = cast(a, &DataType::Timestamp.to_arrow())?;
            t.as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .ok_or_else(|| internal("timestamp"))?
                .iter()
                .collect()
        }
    })
}

fn compare(
    op: BinaryOp,
    left: &TypedExpr,
    right: &TypedExpr,
    batch: &RecordBatch,
) -> RunResult<BooleanArray> {
    let rows = batch.num_rows();
    let common =
        DataType::common_supertype(&left.data_type, &right.data_type).unwrap_or(DataType::String);
    let target = if common == DataType::Null {
        A::Boolean
    } else {
        common.to_arrow()
    };
    let side = |e: &TypedExpr| -> RunResult<(ArrayRef, bool)> {
        match eval(e, batch)? {
            Columnar::Scalar(s) => {
                let a = s.to_array(1);
                Ok((
                    if a.data_type() == &target {
                        a
                    } else {
                        cast(&a, &target)?
                    },
                    true,
                ))
            }
            Columnar::Array(a) => Ok((
                if a.data_type() == &target {
                    a
                } else {
                    cast(&a, &target)?
                },
                false,
            )),
        }
    };
    let (l, ls) = side(left)?;
    let (r, rs) = side(right)?;
    let l: Box<dyn arrow::array::Datum> = if ls {
        Box::new(arrow::array::Scalar::new(l))
    } else {
        Box::new(l)
    };
    let r: Box<dyn arrow::array::Datum> = if rs {
        Box::new(arrow::array::Scalar::new(r))
    } else {
        Box::new(r)
    };
    let out = match op {
        BinaryOp::Eq => cmp::eq(l.as_ref(), r.as_ref())?,
        BinaryOp::NotEq => cmp::neq(l.as_ref(), r.as_ref())?,
        BinaryOp::Lt => cmp::lt(l.as_ref(), r.as_ref())?,
        BinaryOp::LtEq => cmp::lt_eq(l.as_ref(), r.as_ref())?,
        BinaryOp::Gt => cmp::gt(l.as_ref(), r.as_ref())?,
        _ => cmp::gt_eq(l.as_ref(), r.as_ref())?,
    };
    // Both sides scalar: one row out; widen to the batch.
    if out.len() == 1 && rows != 1 {
        let v = out.is_valid(0).then(|| out.value(0));
        return Ok((0..rows).map(|_| v).collect());
    }
    Ok(out)
}

fn binary(
    op: BinaryOp,
    left: &TypedExpr,
    right: &TypedExpr,
    batch: &RecordBatch,
) -> RunResult<ArrayRef> {
    let rows = batch.num_rows();
    if op.is_comparison() {
        return Ok(Arc::new(compare(op, left, right, batch)?));
    }
    let l = eval(left, batch)?.to_array(rows);
    let r = eval(right, batch)?.to_array(rows);
    use DataType as T;
    Ok(match op {
        BinaryOp::And => Arc::new(and_kleene(&bools(&l)?, &bools(&r)?)?),
        BinaryOp::Or => Arc::new(or_kleene(&bools(&l)?, &bools(&r)?)?),
        _ => match (&left.data_type, &right.data_type, op) {
            (T::String | T::Null, T::String | T::Null, BinaryOp::Add)
                if left.data_type == T::String || right.data_type == T::String =>
            {
                let (a, b) = (cast(&l, &A::Utf8)?, cast(&r, &A::Utf8)?);
                let (a, b) = (
                    a.as_any()
                        .downcast_ref::<StringArray>()
                        .ok_or_else(|| internal("string"))?,
                    b.as_any()
                        .downcast_ref::<StringArray>()
                        .ok_or_else(|| internal("string"))?,
                );
                Arc::new(
                    a.iter()
                        .zip(b.iter())
                        .map(|(x, y)| Some(format!("{}{}", x?, y?)))
                        .collect::<StringArray>(),
                )
            }
            (T::Date | T::Timestamp | T::Duration, _, _)
            | (_, T::Date | T::Timestamp | T::Duration, _) => temporal(op, left, right, &l, &r)?,
            (
                T::Int64 | T::Null,
                T::Int64 | T::Null,
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Rem,
            ) => {
                let (a, b) = (ints(&l)?, ints(&r)?);
                let f = match op {
                    BinaryOp::Add => i64::checked_add,
                    BinaryOp::Sub => i64::checked_sub,
                    BinaryOp::Mul => i64::checked_mul,
                    _ => i64::checked_rem,
                };
                Arc::new(
                    a.iter()
                        .zip(b.iter())
                        .map(|(x, y)| f(x?, y?))
                        .collect::<Int64Array>(),
                )
            }
            _ => {
                let (a, b) = (floats(&l)?, floats(&r)?);
                let out: Float64Array = a
                    .iter()
                    .zip(b.iter())
                    .map(|(x, y)| {
                        let (x, y) = (x?, y?);
                        match op {
                            BinaryOp::Add => Some(x + y),
                            BinaryOp::Sub => Some(x - y),
                            BinaryOp::Mul => Some(x * y),
                            BinaryOp::Div => (y != 0.0).then(|| x / y),
                            _ => (y != 0.0).then(|| x % y),
                        }
                    })
                    .collect();
                Arc::new(out)
            }
        },
    })
}

fn temporal(
    op: BinaryOp,
    left: &TypedExpr,
    right: &TypedExpr,
    l: &ArrayRef,
    r: &ArrayRef,
) -> RunResult<ArrayRef> {
    use DataType as T;
    if op == BinaryOp::Mul {
        // duration * int64 (either order)
        let (d, n) = if left.data_type == T::Duration {
            (l, r)
        } else {
            (r, l)
        };
        let (d, n) = (micros_of(d)?, ints(n)?);
        return Ok(Arc::new(
            d.iter()
                .zip(n.iter())
                .map(|(a, b)| a.as_ref().and_then(|a| a.checked_mul(b?)))
                .collect::<DurationMicrosecondArray>(),
        ));
    }
    let (a, b) = (micros_of(l)?, micros_of(r)?);
    let combined: Vec<Option<i64>> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| match (x, y, op) {
            (Some(x), Some(y), BinaryOp::Sub) => x.checked_sub(*y),
            (Some(x), Some(y), _) => x.checked_add(*y),
            _ => None,
        })
        .collect();
    let result_type = match (&left.data_type, &right.data_type) {
        (T::Date | T::Timestamp, T::Date | T::Timestamp) => T::Duration,
        (T::Duration, T::Duration) => T::Duration,
        (T::Duration, t) | (t, T::Duration) => t.clone(),
        _ => T::Duration,
    };
    Ok(match result_type {
        T::Date => Arc::new(
            combined
                .into_iter()
                .map(|v| v.map(|us| us.div_euclid(86_400_000_000) as i32))
                .collect::<Date32Array>(),
        ),
        T::Timestamp => Arc::new(
            combined
                .into_iter()
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
        _ => Arc::new(combined.into_iter().collect::<DurationMicrosecondArray>()),
    })
}

/// `as`: text parses with the CSV reader's rules; everything else uses Arrow's safe cast.
pub fn cast_to(a: &ArrayRef, from: &DataType, to: &DataType) -> RunResult<ArrayRef> {
    if from == &DataType::String && to != &DataType::String {
        let s = cast(a, &A::Utf8)?;
        let s = s
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| internal("string"))?;
        return Ok(crate::io::parse_text::parse_column(s.iter(), to));
    }
    let target = to.to_arrow();
    let options = arrow::compute::CastOptions {
        safe: true,
        ..Default::default()
    };
    Ok(arrow::compute::cast_with_options(a, &target, &options)?)
}
