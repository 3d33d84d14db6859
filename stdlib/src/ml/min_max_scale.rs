//! `min_max_scale`: each feature mapped onto [0, 1] by its training minimum and
//! maximum, as scikit-learn's `MinMaxScaler` does (a constant feature becomes 0).
//! Values outside the training range at scoring time fall outside [0, 1], unclipped.

use super::dataset::CHUNK_ROWS;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    pub mins: Vec<f64>,
    pub maxs: Vec<f64>,
}

/// The smallest and largest non-missing value, per chunk in parallel.
fn range(values: &[f64]) -> (f64, f64) {
    values
        .par_chunks(CHUNK_ROWS)
        .map(|c| {
            c.iter()
                .filter(|x| !x.is_nan())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                })
        })
        .reduce(
            || (f64::INFINITY, f64::NEG_INFINITY),
            |a, b| (a.0.min(b.0), a.1.max(b.1)),
        )
}

impl MinMaxScaler {
    /// Fits one range per column, skipping missing values (NaN).
    pub fn fit_columns(columns: &[&[f64]]) -> MinMaxScaler {
        let ranges: Vec<(f64, f64)> = columns.iter().map(|c| range(c)).collect();
        MinMaxScaler {
            mins: ranges.iter().map(|r| r.0).collect(),
            maxs: ranges.iter().map(|r| r.1).collect(),
        }
    }

    /// Scales column `j`'s values in place (missing values stay missing).
    pub fn apply_column(&self, j: usize, values: &mut [f64]) {
        let (lo, hi) = (self.mins[j], self.maxs[j]);
        let span = if hi > lo { hi - lo } else { 1.0 };
        values.par_iter_mut().for_each(|x| *x = (*x - lo) / span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_range_maps_to_unit_interval() {
        let a = [2.0, f64::NAN, 6.0, 4.0];
        let b = [5.0, 5.0, 5.0, 5.0];
        let s = MinMaxScaler::fit_columns(&[&a, &b]);
        assert_eq!(
            (s.mins.clone(), s.maxs.clone()),
            (vec![2.0, 5.0], vec![6.0, 5.0])
        );
        let mut a2 = vec![2.0, f64::NAN, 6.0, 8.0];
        s.apply_column(0, &mut a2);
        assert_eq!(a2[0], 0.0);
        assert!(a2[1].is_nan());
        assert_eq!((a2[2], a2[3]), (1.0, 1.5));
        let mut b2 = b.to_vec();
        s.apply_column(1, &mut b2);
        assert!(b2.iter().all(|&x| x == 0.0), "a constant feature becomes 0");
    }
}
