//! `standardize`: each feature minus its training mean, over its training standard
//! deviation (the population one, as scikit-learn's `StandardScaler` and MLlib's
//! `StandardScaler(withMean = true)` use). A constant feature keeps scale 1, so it
//! becomes 0 rather than NaN.

use super::Dataset;
use super::dataset::CHUNK_ROWS;
use super::in_order::ReduceInOrder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub means: Vec<f64>,
    pub scales: Vec<f64>,
}

/// Running moments of one column (Welford), merged across chunks as Chan et al. do:
/// exact enough for values of any magnitude. Missing values (NaN) are skipped.
#[derive(Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }

    fn merge(self, other: Moments) -> Moments {
        if other.n == 0.0 {
            return self;
        }
        if self.n == 0.0 {
            return other;
        }
        let n = self.n + other.n;
        let d = other.mean - self.mean;
        Moments {
            n,
            mean: self.mean + d * other.n / n,
            m2: self.m2 + other.m2 + d * d * self.n * other.n / n,
        }
    }

    fn of(values: &[f64]) -> Moments {
        values
            .par_chunks(CHUNK_ROWS)
            .map(|chunk| {
                let mut m = Moments::default();
                for &x in chunk {
                    m.push(x);
                }
                m
            })
            .reduce_in_order(Moments::default, Moments::merge)
    }
}

impl Standardizer {
    /// Fits the means and scales on every row of `data`.
    pub fn fit(data: &Dataset) -> Standardizer {
        let columns: Vec<Vec<f64>> = (0..data.cols)
            .map(|j| (0..data.rows).map(|i| data.row(i)[j]).collect())
            .collect();
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        Standardizer::fit_columns(&refs)
    }

    /// Fits one mean and scale per column, skipping missing values (NaN).
    pub fn fit_columns(columns: &[&[f64]]) -> Standardizer {
        let moments: Vec<Moments> = columns.iter().map(|c| Moments::of(c)).collect();
        Standardizer {
            means: moments.iter().map(|m| m.mean).collect(),
            scales: moments
                .iter()
                .map(|m| {
                    let sd = if m.n > 0.0 { (m.m2 / m.n).sqrt() } else { 0.0 };
                    if sd > 0.0 && sd.is_finite() { sd } else { 1.0 }
                })
                .collect(),
        }
    }

    /// Standardizes column `j`'s values in place (missing values stay missing).
    pub fn apply_column(&self, j: usize, values: &mut [f64]) {
        let (mean, scale) = (self.means[j], self.scales[j]);
        values.par_iter_mut().for_each(|x| *x = (*x - mean) / scale);
    }

    /// Standardizes one row in place.
    pub fn apply(&self, row: &mut [f64]) {
        for (j, x) in row.iter_mut().enumerate() {
            *x = (*x - self.means[j]) / self.scales[j];
        }
    }

    /// Standardizes every row of `data` in place.
    pub fn apply_all(&self, data: &mut Dataset) {
        let cols = data.cols.max(1);
        data.features
            .par_chunks_mut(cols)
            .for_each(|row| self.apply(row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardized_features_have_zero_mean_and_unit_variance() {
        let features = vec![1.0, 10.0, 2.0, 10.0, 3.0, 10.0, 4.0, 10.0];
        let mut data = Dataset::new(2, features, vec![0.0; 4]).unwrap_or_else(|| unreachable!());
        let s = Standardizer::fit(&data);
        assert_eq!(s.means, vec![2.5, 10.0]);
        assert!((s.scales[0] - 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.scales[1], 1.0, "a constant feature keeps scale 1");
        s.apply_all(&mut data);
        let first: Vec<f64> = (0..4).map(|i| data.row(i)[0]).collect();
        assert!(first.iter().sum::<f64>().abs() < 1e-12);
        assert!((first.iter().map(|x| x * x).sum::<f64>() / 4.0 - 1.0).abs() < 1e-12);
        assert!((0..4).all(|i| data.row(i)[1] == 0.0));
    }

    #[test]
    fn chunked_moments_match_one_pass() {
        // More rows than a chunk, so the merge is exercised.
        let rows = CHUNK_ROWS * 2 + 17;
        let features: Vec<f64> = (0..rows).map(|i| 1e9 + (i % 97) as f64).collect();
        let data =
            Dataset::new(1, features.clone(), vec![0.0; rows]).unwrap_or_else(|| unreachable!());
        let s = Standardizer::fit(&data);
        // Computed on the offsets from 1e9, where a plain sum is exact.
        let offsets: Vec<f64> = (0..rows).map(|i| (i % 97) as f64).collect();
        let mean_offset = offsets.iter().sum::<f64>() / rows as f64;
        let mean = 1e9 + mean_offset;
        let var = offsets
            .iter()
            .map(|x| (x - mean_offset).powi(2))
            .sum::<f64>()
            / rows as f64;
        assert!((s.means[0] - mean).abs() < 1e-4, "{} vs {mean}", s.means[0]);
        assert!(
            (s.scales[0] - var.sqrt()).abs() < 1e-6,
            "{} vs {}",
            s.scales[0],
            var.sqrt()
        );
    }
}
