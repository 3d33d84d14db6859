//! One NaN. IEEE 754 has many NaN bit patterns, and x86 makes the one with the sign bit
//! set (`sqrt(-1.1)`, `0 * inf`, `inf - inf`, `-NaN`). Arrow's total order puts that one
//! *first* and hashes it apart from the positive one, so Sluice keeps a single NaN (the
//! positive quiet NaN, [`f64::NAN`]) in every float column it makes: sources, the
//! results of every expression node, compiled kernels and aggregates all pass through
//! [`canonical_nans`]. Comparisons, sorts, groups, `distinct`, joins and `min`/`max` can
//! then rely on the documented rule: NaN equals NaN and sorts above every number.

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use std::sync::Arc;

/// `x` with any NaN replaced by the positive quiet NaN.
#[inline]
pub fn canonical(x: f64) -> f64 {
    if x.is_nan() { f64::NAN } else { x }
}

/// True when some NaN in the values is not the canonical one (whatever the validity).
fn has_other_nans(values: &[f64]) -> bool {
    let canonical = f64::NAN.to_bits();
    values
        .iter()
        .any(|x| x.is_nan() && x.to_bits() != canonical)
}

/// The array with every NaN made canonical; the same array (no copy) when it holds no
/// other NaN or is not float64.
pub fn canonical_nans(array: ArrayRef) -> ArrayRef {
    if array.data_type() != &DataType::Float64 {
        return array;
    }
    let floats = array.as_primitive::<Float64Type>();
    if !has_other_nans(floats.values()) {
        return array;
    }
    let values: Vec<f64> = floats.values().iter().map(|&x| canonical(x)).collect();
    Arc::new(Float64Array::new(values.into(), floats.nulls().cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_nans_become_the_positive_one() {
        let negative = -f64::NAN;
        assert!(negative.is_sign_negative());
        let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), Some(negative), None]));
        let out = canonical_nans(a);
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.value(1).to_bits(), f64::NAN.to_bits());
        assert_eq!(out.value(0), 1.0);
        assert!(out.is_null(2));
        assert_eq!(canonical(-0.0).to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn canonical_arrays_are_not_copied() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![1.0, f64::NAN]));
        assert!(Arc::ptr_eq(&a, &canonical_nans(a.clone())));
    }
}
