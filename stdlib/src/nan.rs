//! One NaN and one zero. IEEE 754 has many NaN bit patterns, and x86 makes the one with
//! the sign bit set (`sqrt(-1.1)`, `0 * inf`, `inf - inf`, `-NaN`); it also has `-0.0`,
//! which equals `0.0`. Arrow's total order puts the negative NaN *first*, puts `-0.0`
//! below `0.0`, and hashes both apart from their positive twins, so Sluice keeps a single
//! NaN (the positive quiet NaN, [`f64::NAN`]) and a single zero (`0.0`) in every float
//! column it makes: sources, the results of every expression node, compiled kernels and
//! aggregates all pass through [`canonical_nans`]. Comparisons, sorts, groups,
//! `distinct`, joins and `min`/`max` can then rely on the documented rules: NaN equals
//! NaN and sorts above every number, and `-0.0 == 0.0` (as in DuckDB and Spark). The
//! sign of a zero is observable nowhere else in the language (`x / 0` is null), so
//! nothing is lost.

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use std::sync::Arc;

/// `x` with any NaN replaced by the positive quiet NaN and `-0.0` by `0.0` (adding
/// `0.0` turns `-0.0` into `0.0` and leaves every other number as it is).
#[inline]
pub fn canonical(x: f64) -> f64 {
    if x.is_nan() { f64::NAN } else { x + 0.0 }
}

/// True when some value is a NaN other than the canonical one or `-0.0` (whatever the
/// validity).
fn has_other_nans(values: &[f64]) -> bool {
    // Branch-free over blocks, so the loop vectorizes; the answer is nearly always no.
    values.chunks(256).any(|block| {
        block.iter().fold(false, |seen, x| {
            seen | (x.to_bits() != canonical(*x).to_bits())
        })
    })
}

/// The array with every NaN and zero made canonical; the same array (no copy) when it
/// holds no other NaN, no `-0.0`, or is not float64.
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
    fn negative_nans_and_zeros_become_the_positive_ones() {
        let negative = -f64::NAN;
        assert!(negative.is_sign_negative());
        let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), Some(negative), None]));
        let out = canonical_nans(a);
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.value(1).to_bits(), f64::NAN.to_bits());
        assert_eq!(out.value(0), 1.0);
        assert!(out.is_null(2));
        assert_eq!(canonical(-0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(canonical(-1.5), -1.5);
        assert_eq!(canonical(f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    #[test]
    fn canonical_arrays_are_not_copied() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![1.0, f64::NAN]));
        assert!(Arc::ptr_eq(&a, &canonical_nans(a.clone())));
    }
}
