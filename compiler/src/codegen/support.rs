//! What a kernel computes itself, decided one expression node at a time (children are
//! decided on their own: an unsupported child is precomputed, see
//! [`program`](super::program)).
//!
//! Supported: int64, float64, bool, date, timestamp and duration values; literals;
//! `not`, `-` (numbers and durations); `and`/`or` with three-valued logic; comparisons of numbers (floats in
//! the total order the reference kernels use: NaN above everything, -0.0 equal to 0.0),
//! of bools and of temporal values of one type; `+ - *` on int64 (overflow → null) and
//! float64; `/` (true division, x / 0 → null); `%` on int64; `is_null`, `is_not_null`,
//! `is_nan`, `coalesce`, `if`, `case`, `least`, `greatest`, `abs`, `floor`, `ceil`,
//! `sqrt`, `round` (to an integer); casts between int64 and float64; `[not] in` a list
//! of number literals; and `==`, `!=`, `in` and `starts_with` between a string column
//! and string literals (on Arrow's offsets and bytes). Dates and timestamps: `+ -` with
//! durations, the difference of two, duration `+ - *` (all in microseconds, overflow →
//! null), `year month day hour minute second`, and `coalesce`/`if`/`case`/`least`/
//! `greatest` over values of one temporal type.

use crate::plan::{ConstValue, TypedExpr, TypedExprKind};
use crate::syntax::ast::{BinaryOp, UnaryOp};
use sluice_stdlib::DataType;

/// A value a kernel can hold in a register.
pub fn loadable(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int64
            | DataType::Float64
            | DataType::Bool
            | DataType::Date
            | DataType::Timestamp
            | DataType::Duration
            | DataType::Null
            | DataType::String
    )
}

/// A value a kernel can write to an output column: any it can hold but null and
/// strings.
pub fn storable(t: &DataType) -> bool {
    loadable(t) && !matches!(t, DataType::Null | DataType::String)
}

fn numeric(t: &DataType) -> bool {
    matches!(t, DataType::Int64 | DataType::Float64 | DataType::Null)
}

fn boolean(t: &DataType) -> bool {
    matches!(t, DataType::Bool | DataType::Null)
}

/// A date, timestamp or duration.
pub fn temporal(t: &DataType) -> bool {
    matches!(t, DataType::Date | DataType::Timestamp | DataType::Duration)
}

/// A value (number or bool) the kernel computes with.
fn scalar(t: &DataType) -> bool {
    numeric(t) || boolean(t)
}

/// An argument of `coalesce`, `if`, `case`, `least` or `greatest` whose result is
/// `result`: any number or bool, or a temporal value of exactly the result's type.
fn choice(arg: &DataType, result: &DataType) -> bool {
    if temporal(result) {
        arg == result || *arg == DataType::Null
    } else {
        scalar(arg)
    }
}

/// `+ - *` with a temporal operand, as the resolver types them.
fn temporal_arithmetic(op: BinaryOp, l: &DataType, r: &DataType) -> bool {
    use DataType::{Date, Duration, Int64, Timestamp};
    match op {
        BinaryOp::Add => matches!(
            (l, r),
            (Date | Timestamp, Duration) | (Duration, Date | Timestamp) | (Duration, Duration)
        ),
        BinaryOp::Sub => matches!(
            (l, r),
            (Date | Timestamp, Duration)
                | (Date | Timestamp, Date | Timestamp)
                | (Duration, Duration)
        ),
        BinaryOp::Mul => matches!((l, r), (Duration, Int64) | (Int64, Duration)),
        _ => false,
    }
}

fn string_column(e: &TypedExpr) -> bool {
    e.data_type == DataType::String && matches!(e.kind, TypedExprKind::Column(_))
}

fn string_literal(e: &TypedExpr) -> bool {
    matches!(e.kind, TypedExprKind::Literal(ConstValue::String(_)))
}

/// Why the kernel cannot compute this node itself, or `None` when it can.
pub fn unsupported(e: &TypedExpr) -> Option<String> {
    let ok = match &e.kind {
        TypedExprKind::Column(_) => loadable(&e.data_type),
        TypedExprKind::Literal(v) => !matches!(v, ConstValue::List(_)),
        TypedExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => boolean(&operand.data_type),
        TypedExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => numeric(&operand.data_type) || operand.data_type == DataType::Duration,
        TypedExprKind::Binary { op, left, right } => {
            let (l, r) = (&left.data_type, &right.data_type);
            match op {
                BinaryOp::And | BinaryOp::Or => boolean(l) && boolean(r),
                BinaryOp::Eq | BinaryOp::NotEq
                    if (string_column(left) && string_literal(right))
                        || (string_literal(left) && string_column(right)) =>
                {
                    true
                }
                _ if op.is_comparison() => {
                    (numeric(l) && numeric(r))
                        || (boolean(l) && boolean(r))
                        || (temporal(l) && l == r)
                }
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul if temporal(l) || temporal(r) => {
                    temporal_arithmetic(*op, l, r)
                }
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                    numeric(l) && numeric(r)
                }
                BinaryOp::Rem => {
                    matches!(l, DataType::Int64 | DataType::Null)
                        && matches!(r, DataType::Int64 | DataType::Null)
                }
                _ => false,
            }
        }
        TypedExprKind::Call { function, args } => match function.as_str() {
            "is_null" | "is_not_null" => args.len() == 1 && loadable(&args[0].data_type),
            "is_nan" | "abs" | "floor" | "ceil" | "sqrt" | "sign" | "trunc" => {
                args.len() == 1 && numeric(&args[0].data_type)
            }
            "round" => {
                numeric(&args[0].data_type)
                    && args.get(1).is_none_or(|d| {
                        matches!(d.kind, TypedExprKind::Literal(ConstValue::Int(0)))
                    })
            }
            "coalesce" | "least" | "greatest" => {
                storable(&e.data_type) && args.iter().all(|a| choice(&a.data_type, &e.data_type))
            }
            "if" => {
                args.len() == 3
                    && boolean(&args[0].data_type)
                    && storable(&e.data_type)
                    && args[1..].iter().all(|a| choice(&a.data_type, &e.data_type))
            }
            "year" | "month" | "day" | "hour" | "minute" | "second" => {
                args.len() == 1 && matches!(args[0].data_type, DataType::Date | DataType::Timestamp)
            }
            "starts_with" => args.len() == 2 && string_column(&args[0]) && string_literal(&args[1]),
            _ => false,
        },
        TypedExprKind::Case {
            branches,
            otherwise,
        } => {
            storable(&e.data_type)
                && branches
                    .iter()
                    .all(|(c, v)| boolean(&c.data_type) && choice(&v.data_type, &e.data_type))
                && otherwise
                    .as_ref()
                    .is_none_or(|o| choice(&o.data_type, &e.data_type))
        }
        TypedExprKind::Cast { operand, to } => {
            numeric(&operand.data_type) && matches!(to, DataType::Int64 | DataType::Float64)
        }
        TypedExprKind::InList { operand, list, .. } => {
            (numeric(&operand.data_type)
                && list.iter().all(|i| {
                    matches!(
                        i.kind,
                        TypedExprKind::Literal(ConstValue::Int(_) | ConstValue::Float(_))
                    )
                }))
                || (string_column(operand) && list.iter().all(string_literal))
        }
        TypedExprKind::List(_) => false,
    };
    (!ok).then(|| match &e.kind {
        TypedExprKind::Call { function, .. } => {
            format!("`{function}` on these types has no compiled form")
        }
        TypedExprKind::Binary {
            op, left, right, ..
        } => format!(
            "`{}` on {} and {} has no compiled form",
            op.symbol(),
            left.data_type,
            right.data_type
        ),
        _ => format!("{} values have no compiled form here", e.data_type),
    })
}
