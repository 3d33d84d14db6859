//! Null tests and conditionals: `is_null`, `is_not_null`, `is_nan`, `coalesce`, `if`,
//! `least`, `greatest`, `nullif`, `between` (both ends included; null when any
//! argument is). `coalesce`, `least` and `greatest` first bring their arguments
//! to one type (int64 widens to float64). `if` takes `else` where the condition is null.

use super::{KernelError, KernelResult, arg_as};
use crate::value::Columnar;
use arrow::array::{Array, BooleanArray, Float64Array};
use arrow::compute::kernels::cmp::{gt, lt};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{is_not_null, is_null, not};
use std::sync::Arc;

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    match name {
        "is_null" => Ok(Arc::new(is_null(&args[0].to_array(len))?)),
        "is_not_null" => Ok(Arc::new(is_not_null(&args[0].to_array(len))?)),
        "is_nan" => {
            let a = args[0].to_array(len);
            if a.data_type() != &arrow::datatypes::DataType::Float64 {
                // Integers are never NaN; nulls stay null.
                let nulls = is_null(&a)?;
                let out: BooleanArray = (0..len)
                    .map(|i| (!nulls.value(i)).then_some(false))
                    .collect();
                return Ok(Arc::new(out));
            }
            let f = a
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| KernelError("is_nan: not float".into()))?;
            Ok(Arc::new(
                f.iter()
                    .map(|v| v.map(f64::is_nan))
                    .collect::<BooleanArray>(),
            ))
        }
        "coalesce" => {
            let target = common_type(args, len);
            let mut out = arg_as(args, 0, len, &target)?;
            for i in 1..args.len() {
                let next = arg_as(args, i, len, &target)?;
                let keep = is_not_null(&out)?;
                out = zip(&keep, &out, &next)?;
            }
            Ok(out)
        }
        "if" => {
            let cond = arg_as(args, 0, len, &arrow::datatypes::DataType::Boolean)?;
            let cond = cond
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or_else(|| KernelError("if: condition".into()))?;
            // A null condition takes the `else` branch.
            let mask: BooleanArray = cond.iter().map(|c| Some(c == Some(true))).collect();
            let target = common_type(&args[1..], len);
            let then = arg_as(args, 1, len, &target)?;
            let otherwise = arg_as(args, 2, len, &target)?;
            Ok(zip(&mask, &then, &otherwise)?)
        }
        "least" | "greatest" => {
            let target = common_type(args, len);
            let mut out = arg_as(args, 0, len, &target)?;
            for i in 1..args.len() {
                let next = arg_as(args, i, len, &target)?;
                let take_next = if name == "least" {
                    lt(&next, &out)?
                } else {
                    gt(&next, &out)?
                };
                let merged = zip(&take_next, &next, &out)?;
                // Null if either side is null.
                let either_null = arrow::compute::or(&is_null(&out)?, &is_null(&next)?)?;
                let valid = not(&either_null)?;
                out = arrow::compute::nullif(&merged, &not(&valid)?)?;
            }
            Ok(out)
        }
        "nullif" => {
            let target = common_type(args, len);
            let value = arg_as(args, 0, len, &target)?;
            let other = arg_as(args, 1, len, &target)?;
            // Equal values (nulls never equal) become null.
            let same = arrow::compute::kernels::cmp::eq(&value, &other)?;
            let same = arrow::compute::prep_null_mask_filter(&same);
            let out = arrow::compute::nullif(&value, &same)?;
            let original = args[0].to_array(len);
            Ok(if original.data_type() == out.data_type() {
                out
            } else {
                arrow::compute::cast(&out, original.data_type())?
            })
        }
        "between" => {
            let target = common_type(args, len);
            let (v, lo, hi) = (
                arg_as(args, 0, len, &target)?,
                arg_as(args, 1, len, &target)?,
                arg_as(args, 2, len, &target)?,
            );
            let above = arrow::compute::kernels::cmp::gt_eq(&v, &lo)?;
            let below = arrow::compute::kernels::cmp::lt_eq(&v, &hi)?;
            Ok(Arc::new(arrow::compute::and(&above, &below)?))
        }
        other => Err(KernelError(format!("no kernel `{other}`"))),
    }
}

/// The Arrow type all arguments convert to.
fn common_type(args: &[Columnar], len: usize) -> arrow::datatypes::DataType {
    use arrow::datatypes::DataType as A;
    let mut t = A::Null;
    for a in args {
        let at = a.to_array(len.min(1)).data_type().clone();
        t = match (&t, &at) {
            (A::Null, x) | (x, A::Null) => x.clone(),
            (A::Int64, A::Float64) | (A::Float64, A::Int64) => A::Float64,
            (A::Date32, A::Timestamp(..)) | (A::Timestamp(..), A::Date32) => at.clone(),
            (x, _) => x.clone(),
        };
    }
    t
}
