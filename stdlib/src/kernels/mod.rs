//! Reference implementations of the scalar functions, over Arrow arrays.
//!
//! They define what every function means at run time, including the edge cases the
//! signatures document (null in → null out unless stated, NaN for `sqrt` of a negative,
//! null for a failed parse or an integer overflow). The JIT is tested against them.
//! [`call`] dispatches by name; arguments arrive in parameter order, already checked by
//! the resolver, so a type the kernel cannot take is an internal error, not a user's.

mod calendar;
mod conditional;
pub(crate) mod dates;
mod hashing;
mod lists;
mod math;
mod strings;
mod text;

pub use dates::{parse_date_with, parse_timestamp_with};

use crate::value::Columnar;
use arrow::array::{Array, ArrayRef};
use arrow::compute::cast;
use std::fmt;

/// A kernel could not run (arguments the resolver should have refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelError(pub String);

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KernelError {}

/// The prefix of a [`KernelError`] that a user's data caused (a result over a size
/// limit), not a bug: the runtime reports it as such, without "internal error".
pub const LIMIT_PREFIX: &str = "limit: ";

impl KernelError {
    /// A limit the data ran into (`repeat` making a string over 1 GiB).
    pub fn limit(message: impl Into<String>) -> KernelError {
        KernelError(format!("{LIMIT_PREFIX}{}", message.into()))
    }
}

impl From<arrow::error::ArrowError> for KernelError {
    fn from(e: arrow::error::ArrowError) -> Self {
        KernelError(e.to_string())
    }
}

pub type KernelResult = Result<ArrayRef, KernelError>;

/// Runs the scalar function `name` over `len` rows.
pub fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    match name {
        "is_null" | "is_not_null" | "is_nan" | "coalesce" | "if" | "least" | "greatest"
        | "nullif" | "between" => conditional::call(name, args, len),
        "substr" | "left" | "right" | "lpad" | "rpad" | "ltrim" | "rtrim" | "strpos"
        | "reverse" | "repeat" | "initcap" | "split_part" | "regex_replace" | "regex_extract"
        | "like" | "ilike" | "mask" => text::call(name, args, len),
        "md5" | "sha256" | "xxhash64" => hashing::call(name, args, len),
        "list_contains" | "list_sort" | "list_distinct" | "list_get" => {
            lists::call(name, args, len)
        }
        "date_trunc" | "time_bucket" | "make_date" | "strftime" | "day_of_week" | "week"
        | "quarter" | "epoch" | "from_epoch" | "from_utc" | "to_utc" => {
            calendar::call(name, args, len)
        }
        // `list_length` is `length` of a list (DuckDB's name; Spark's `size`).
        "list_length" => strings::call("length", args, len),
        "lower" | "upper" | "trim" | "length" | "contains" | "starts_with" | "ends_with"
        | "replace" | "regex_match" | "split" | "concat" | "concat_ws" => {
            strings::call(name, args, len)
        }
        "parse_date" | "parse_timestamp" | "year" | "month" | "day" | "hour" | "minute"
        | "second" | "date_diff" => dates::call(name, args, len),
        "abs" | "sqrt" | "ln" | "exp" | "pow" | "round" | "floor" | "ceil" | "sign" | "trunc"
        | "log10" | "log2" | "sin" | "cos" | "tan" | "asin" | "acos" | "atan" | "atan2"
        | "degrees" | "radians" => math::call(name, args, len),
        other => Err(KernelError(format!("no kernel for function `{other}`"))),
    }
}

/// Argument `i` as a string column (null arguments become null strings).
pub(crate) fn text_arg(
    args: &[Columnar],
    i: usize,
    len: usize,
) -> Result<arrow::array::StringArray, KernelError> {
    let a = arg_as(args, i, len, &arrow::datatypes::DataType::Utf8)?;
    a.as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .cloned()
        .ok_or_else(|| KernelError("expected strings".into()))
}

/// Argument `i` as an array of Arrow type `to` (numbers widen; null becomes typed null).
pub(crate) fn arg_as(
    args: &[Columnar],
    i: usize,
    len: usize,
    to: &arrow::datatypes::DataType,
) -> KernelResult {
    let a = args
        .get(i)
        .ok_or_else(|| KernelError(format!("missing argument {i}")))?
        .to_array(len);
    if a.data_type() == to {
        Ok(a)
    } else {
        Ok(cast(&a, to)?)
    }
}
