//! Constant folding with the reference kernels: the optimizer hands over an expression
//! without columns and gets back its value, computed exactly as a row would compute it.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DurationMicrosecondType, Float64Type, Int64Type, Schema};
use sluice_compiler::optimize::{ConstantEvaluator, OptimizeOptions, Optimized};
use sluice_compiler::plan::{ConstValue, LogicalPlan, TypedExpr};
use sluice_stdlib::DataType;
use std::sync::Arc;

/// Evaluates column-free expressions on a one-row batch.
pub struct ReferenceEvaluator;

impl ConstantEvaluator for ReferenceEvaluator {
    fn evaluate(&self, expr: &TypedExpr) -> Option<ConstValue> {
        let options = RecordBatchOptions::new().with_row_count(Some(1));
        let batch =
            RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &options).ok()?;
        let value = crate::expr::evaluate(expr, &batch).ok()?;
        literal_of(&value, &expr.data_type)
    }
}

/// The first value of an array as a literal, for the types literals can hold.
fn literal_of(array: &ArrayRef, data_type: &DataType) -> Option<ConstValue> {
    if array.is_empty() {
        return None;
    }
    if array.is_null(0) {
        return Some(ConstValue::Null);
    }
    Some(match data_type {
        DataType::Bool => ConstValue::Bool(array.as_boolean_opt()?.value(0)),
        DataType::Int64 => ConstValue::Int(array.as_primitive_opt::<Int64Type>()?.value(0)),
        DataType::Float64 => ConstValue::Float(array.as_primitive_opt::<Float64Type>()?.value(0)),
        DataType::String => ConstValue::String(array.as_string_opt::<i32>()?.value(0).to_string()),
        DataType::Duration => ConstValue::Duration(
            array
                .as_primitive_opt::<DurationMicrosecondType>()?
                .value(0),
        ),
        _ => return None,
    })
}

/// Optimizes a plan with the reference kernels folding constants.
pub fn optimize(plan: &LogicalPlan, disabled: &[String]) -> Optimized {
    sluice_compiler::optimize::optimize(
        plan,
        OptimizeOptions {
            disabled,
            evaluator: Some(&ReferenceEvaluator),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_compiler::plan::TypedExprKind;
    use sluice_compiler::syntax::ast::BinaryOp;

    fn lit(v: ConstValue) -> TypedExpr {
        TypedExpr::literal(v)
    }

    fn binary(op: BinaryOp, l: TypedExpr, r: TypedExpr, t: DataType) -> TypedExpr {
        TypedExpr {
            kind: TypedExprKind::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
            data_type: t,
            nullable: true,
        }
    }

    #[test]
    fn folds_with_reference_semantics() {
        let e = ReferenceEvaluator;
        let sum = binary(
            BinaryOp::Add,
            lit(ConstValue::Int(2)),
            lit(ConstValue::Int(3)),
            DataType::Int64,
        );
        assert_eq!(e.evaluate(&sum), Some(ConstValue::Int(5)));
        // Overflow is null, as at run time.
        let overflow = binary(
            BinaryOp::Add,
            lit(ConstValue::Int(i64::MAX)),
            lit(ConstValue::Int(1)),
            DataType::Int64,
        );
        assert_eq!(e.evaluate(&overflow), Some(ConstValue::Null));
        let mixed = binary(
            BinaryOp::Mul,
            lit(ConstValue::Float(2.5)),
            lit(ConstValue::Int(2)),
            DataType::Float64,
        );
        assert_eq!(e.evaluate(&mixed), Some(ConstValue::Float(5.0)));
    }
}
