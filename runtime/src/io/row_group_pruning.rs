//! Row-group pruning: a Parquet row group is skipped when its column statistics prove
//! that a pushed-down filter is not true for any of its rows.
//!
//! Each conjunct of the filter of the form `column OP literal` (or `literal OP column`),
//! with `OP` one of `== < <= > >=` and the literal of the column's own type (int64,
//! float64 or string), is checked against the row group's min and max of that column.
//! The proof is conservative: statistics that are missing or inexact never prune; for
//! float columns `>`/`>=` prune only when the row group is known to hold no NaN (NaN
//! sorts above every number in the comparison kernels) and a NaN literal never prunes.
//! A column whose values are all null prunes any comparison (null is never true).

use parquet::file::metadata::RowGroupMetaData;
use parquet::file::statistics::Statistics;
use sluice_compiler::plan::{ConstValue, TypedExpr, TypedExprKind};
use sluice_compiler::syntax::ast::BinaryOp;
use std::cmp::Ordering;

/// Whether the row group can be skipped: some conjunct is false for all its rows.
/// `column_index` maps a column name to its leaf column in the file.
pub fn can_skip(
    conjuncts: &[TypedExpr],
    group: &RowGroupMetaData,
    column_index: &dyn Fn(&str) -> Option<usize>,
) -> bool {
    conjuncts.iter().any(|c| {
        comparison(c).is_some_and(|(column, op, literal)| {
            column_index(column)
                .and_then(|i| group.column(i).statistics())
                .is_some_and(|stats| rules_out(stats, group.num_rows(), op, literal))
        })
    })
}

/// `column OP literal`, with `literal OP column` turned around.
fn comparison(e: &TypedExpr) -> Option<(&str, BinaryOp, &ConstValue)> {
    let TypedExprKind::Binary { op, left, right } = &e.kind else {
        return None;
    };
    if !matches!(
        op,
        BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
    ) {
        return None;
    }
    match (&left.kind, &right.kind) {
        (TypedExprKind::Column(c), TypedExprKind::Literal(v))
            if left.data_type == v.data_type() =>
        {
            Some((c, *op, v))
        }
        (TypedExprKind::Literal(v), TypedExprKind::Column(c))
            if right.data_type == v.data_type() =>
        {
            let flipped = match op {
                BinaryOp::Lt => BinaryOp::Gt,
                BinaryOp::LtEq => BinaryOp::GtEq,
                BinaryOp::Gt => BinaryOp::Lt,
                BinaryOp::GtEq => BinaryOp::LtEq,
                other => *other,
            };
            Some((c, flipped, v))
        }
        _ => None,
    }
}

/// Whether `column OP literal` is false or null for every row, by the statistics.
fn rules_out(stats: &Statistics, rows: i64, op: BinaryOp, literal: &ConstValue) -> bool {
    if stats.null_count_opt() == Some(rows as u64) && rows > 0 {
        return true;
    }
    if !stats.min_is_exact() || !stats.max_is_exact() {
        return false;
    }
    match (stats, literal) {
        (Statistics::Int64(s), ConstValue::Int(v)) => match (s.min_opt(), s.max_opt()) {
            (Some(min), Some(max)) => outside(min.cmp(v), max.cmp(v), op),
            _ => false,
        },
        (Statistics::Int32(s), ConstValue::Int(v)) => match (s.min_opt(), s.max_opt()) {
            (Some(min), Some(max)) => outside(i64::from(*min).cmp(v), i64::from(*max).cmp(v), op),
            _ => false,
        },
        (Statistics::Double(s), ConstValue::Float(v)) => {
            let no_nan = stats.nan_count_opt() == Some(0);
            if v.is_nan() || (matches!(op, BinaryOp::Gt | BinaryOp::GtEq) && !no_nan) {
                return false;
            }
            match (s.min_opt(), s.max_opt()) {
                (Some(min), Some(max)) => match (min.partial_cmp(v), max.partial_cmp(v)) {
                    (Some(lo), Some(hi)) => outside(lo, hi, op),
                    _ => false,
                },
                _ => false,
            }
        }
        (Statistics::ByteArray(s), ConstValue::String(v)) => match (s.min_opt(), s.max_opt()) {
            (Some(min), Some(max)) => outside(
                min.data().cmp(v.as_bytes()),
                max.data().cmp(v.as_bytes()),
                op,
            ),
            _ => false,
        },
        _ => false,
    }
}

/// Given how the group's min and max compare with the literal, whether no value can
/// satisfy `value OP literal`.
fn outside(min: Ordering, max: Ordering, op: BinaryOp) -> bool {
    match op {
        BinaryOp::Eq => min == Ordering::Greater || max == Ordering::Less,
        BinaryOp::Lt => min != Ordering::Less,
        BinaryOp::LtEq => min == Ordering::Greater,
        BinaryOp::Gt => max != Ordering::Greater,
        BinaryOp::GtEq => max == Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn bounds_rule_out_only_what_they_prove() {
        // min 10, max 20 against literal 5: min > 5, max > 5.
        assert!(outside(Greater, Greater, BinaryOp::Eq));
        assert!(outside(Greater, Greater, BinaryOp::Lt));
        assert!(outside(Greater, Greater, BinaryOp::LtEq));
        assert!(!outside(Greater, Greater, BinaryOp::Gt));
        // literal 20 equal to the max: `> 20` is impossible, `>= 20` is not.
        assert!(outside(Less, Equal, BinaryOp::Gt));
        assert!(!outside(Less, Equal, BinaryOp::GtEq));
        // literal 10 equal to the min: `< 10` impossible, `<= 10` possible.
        assert!(outside(Equal, Greater, BinaryOp::Lt));
        assert!(!outside(Equal, Greater, BinaryOp::LtEq));
        assert!(!outside(Less, Greater, BinaryOp::Eq));
    }
}
