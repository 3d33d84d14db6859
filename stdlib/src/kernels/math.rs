//! Math functions. `abs`, `round`, `floor` and `ceil` keep the argument's type (the
//! integer versions are exact; `abs(i64::MIN)` overflows to null); `sqrt`, `ln`, `exp`
//! and `pow` compute in float64 and follow IEEE 754 (NaN for `sqrt(-1)`, -inf for `ln(0)`).
//! `round` rounds half away from zero.

use super::{KernelError, KernelResult, arg_as};
use crate::value::Columnar;
use arrow::array::{Array, Float64Array, Int64Array};
use arrow::datatypes::DataType as A;
use std::sync::Arc;

fn floats(args: &[Columnar], i: usize, len: usize) -> Result<Float64Array, KernelError> {
    let a = arg_as(args, i, len, &A::Float64)?;
    a.as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .ok_or_else(|| KernelError("expected float64".into()))
}

fn is_int(args: &[Columnar], len: usize) -> bool {
    args[0].to_array(len.min(1)).data_type() == &A::Int64
}

fn ints(args: &[Columnar], len: usize) -> Result<Int64Array, KernelError> {
    let a = arg_as(args, 0, len, &A::Int64)?;
    a.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| KernelError("expected int64".into()))
}

fn unary_f(args: &[Columnar], len: usize, f: impl Fn(f64) -> f64) -> KernelResult {
    let a = floats(args, 0, len)?;
    Ok(Arc::new(
        a.iter().map(|v| v.map(&f)).collect::<Float64Array>(),
    ))
}

/// Rounds half away from zero to `digits` decimals.
pub fn round_half_away(x: f64, digits: i64) -> f64 {
    if digits == 0 {
        return x.round();
    }
    let scale = 10f64.powi(digits.clamp(0, 300) as i32);
    let r = (x * scale).round() / scale;
    if r.is_finite() { r } else { x }
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    match name {
        "abs" if is_int(args, len) => Ok(Arc::new(
            ints(args, len)?
                .iter()
                .map(|v| v.and_then(i64::checked_abs))
                .collect::<Int64Array>(),
        )),
        "abs" => unary_f(args, len, f64::abs),
        "floor" | "ceil" if is_int(args, len) => Ok(Arc::new(ints(args, len)?)),
        "floor" => unary_f(args, len, f64::floor),
        "ceil" => unary_f(args, len, f64::ceil),
        "sqrt" => unary_f(args, len, f64::sqrt),
        "ln" => unary_f(args, len, f64::ln),
        "exp" => unary_f(args, len, f64::exp),
        "pow" => {
            let (a, b) = (floats(args, 0, len)?, floats(args, 1, len)?);
            Ok(Arc::new(
                a.iter()
                    .zip(b.iter())
                    .map(|(x, y)| Some(x?.powf(y?)))
                    .collect::<Float64Array>(),
            ))
        }
        "round" => {
            let digits = match args.get(1).and_then(Columnar::as_scalar) {
                Some(crate::value::ScalarValue::Int(d)) => *d,
                _ => 0,
            };
            if is_int(args, len) {
                return Ok(Arc::new(ints(args, len)?));
            }
            unary_f(args, len, |x| round_half_away(x, digits))
        }
        other => Err(KernelError(format!("no kernel `{other}`"))),
    }
}
