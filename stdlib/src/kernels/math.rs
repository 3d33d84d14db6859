//! Math functions. `abs`, `round`, `floor` and `ceil` keep the argument's type (the
//! integer versions are exact; `abs(i64::MIN)` overflows to null); `sqrt`, `ln`, `exp`
//! and `pow` compute in float64 and follow IEEE 754 (NaN for `sqrt(-1)`, -inf for `ln(0)`).
//! `round` rounds half away from zero. `sign` and `trunc` keep the type (`sign(-0.0)` is
//! 0, `sign(NaN)` NaN); logarithms and trigonometry compute in float64.

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

/// `f(a, b)` row by row over two float64 arguments (null when either is).
fn binary_f(args: &[Columnar], len: usize, f: impl Fn(f64, f64) -> f64) -> KernelResult {
    let (a, b) = (floats(args, 0, len)?, floats(args, 1, len)?);
    Ok(Arc::new(
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| Some(f(x?, y?)))
            .collect::<Float64Array>(),
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
        "sign" if is_int(args, len) => Ok(Arc::new(
            ints(args, len)?
                .iter()
                .map(|v| v.map(i64::signum))
                .collect::<Int64Array>(),
        )),
        "sign" => unary_f(args, len, |x| {
            if x.is_nan() {
                f64::NAN
            } else if x == 0.0 {
                0.0
            } else {
                x.signum()
            }
        }),
        "trunc" if is_int(args, len) => Ok(Arc::new(ints(args, len)?)),
        "trunc" => unary_f(args, len, f64::trunc),
        "log10" => unary_f(args, len, f64::log10),
        "log2" => unary_f(args, len, f64::log2),
        "sin" => unary_f(args, len, f64::sin),
        "cos" => unary_f(args, len, f64::cos),
        "tan" => unary_f(args, len, f64::tan),
        "asin" => unary_f(args, len, f64::asin),
        "acos" => unary_f(args, len, f64::acos),
        "atan" => unary_f(args, len, f64::atan),
        "degrees" => unary_f(args, len, f64::to_degrees),
        "radians" => unary_f(args, len, f64::to_radians),
        "atan2" => binary_f(args, len, f64::atan2),
        "ln" => unary_f(args, len, f64::ln),
        "exp" => unary_f(args, len, f64::exp),
        "pow" => binary_f(args, len, f64::powf),
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
