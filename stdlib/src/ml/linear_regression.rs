//! Linear regression with L2 regularization (ridge), solved in closed form.
//!
//! The objective, over `n` rows with weights `s_i`:
//!
//! ```text
//! f(w, b) = 1/(2n) Σ s_i (y_i − w·x_i − b)²  +  l2/2 · ‖w‖²
//! ```
//!
//! with the intercept unregularized: scikit-learn's `Ridge(alpha = l2 · n)` and
//! MLlib's `LinearRegression(regParam = l2, elasticNetParam = 0, standardization =
//! false)`. Two parallel passes over the data's chunks: the weighted means, then the
//! normal equations of the rows centred on them (per chunk, combined in order); the
//! `d × d` system `(XᵀX/n + l2·I) w = Xᵀy/n` is then solved by Cholesky.

use super::Dataset;
use super::in_order::ReduceInOrder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl LinearModel {
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.weights
            .iter()
            .zip(row)
            .map(|(w, x)| w * x)
            .sum::<f64>()
            + self.intercept
    }
}

/// Weighted sums of one chunk, of values already centred on the weighted means:
/// Σs, Σs·x, Σs·y, Σs·x xᵀ, Σs·x y.
struct Sums {
    s: f64,
    x: Vec<f64>,
    y: f64,
    xx: Vec<f64>,
    xy: Vec<f64>,
}

impl Sums {
    fn new(d: usize) -> Sums {
        Sums {
            s: 0.0,
            x: vec![0.0; d],
            y: 0.0,
            xx: vec![0.0; d * d],
            xy: vec![0.0; d],
        }
    }
    fn merge(mut self, o: Sums) -> Sums {
        self.s += o.s;
        self.y += o.y;
        for (a, b) in self.x.iter_mut().zip(&o.x) {
            *a += b;
        }
        for (a, b) in self.xx.iter_mut().zip(&o.xx) {
            *a += b;
        }
        for (a, b) in self.xy.iter_mut().zip(&o.xy) {
            *a += b;
        }
        self
    }

    /// The sums over `data` of `x − centre_x` and `y − centre_y`.
    fn of(data: &Dataset, centre_x: &[f64], centre_y: f64) -> Sums {
        let d = data.cols;
        data.par_chunks()
            .map(|chunk| {
                let mut t = Sums::new(d);
                let mut x = vec![0.0; d];
                for i in 0..chunk.rows() {
                    for (c, (v, m)) in x.iter_mut().zip(chunk.row(i).iter().zip(centre_x)) {
                        *c = v - m;
                    }
                    let (y, s) = (chunk.labels[i] - centre_y, chunk.weight(i));
                    t.s += s;
                    t.y += s * y;
                    for j in 0..d {
                        t.x[j] += s * x[j];
                        t.xy[j] += s * x[j] * y;
                        for k in 0..=j {
                            t.xx[j * d + k] += s * x[j] * x[k];
                        }
                    }
                }
                t
            })
            .reduce_in_order(|| Sums::new(d), Sums::merge)
    }
}

/// Solves `a x = b` for a symmetric positive definite `a` (row-major, `d × d`).
fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>, d: usize) -> Option<Vec<f64>> {
    for j in 0..d {
        let mut diag = a[j * d + j];
        for k in 0..j {
            diag -= a[j * d + k] * a[j * d + k];
        }
        if diag <= 0.0 || !diag.is_finite() {
            return None;
        }
        let diag = diag.sqrt();
        a[j * d + j] = diag;
        for i in j + 1..d {
            let mut v = a[i * d + j];
            for k in 0..j {
                v -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = v / diag;
        }
    }
    for i in 0..d {
        for k in 0..i {
            b[i] -= a[i * d + k] * b[k];
        }
        b[i] /= a[i * d + i];
    }
    for i in (0..d).rev() {
        for k in i + 1..d {
            b[i] -= a[k * d + i] * b[k];
        }
        b[i] /= a[i * d + i];
    }
    Some(b)
}

/// Fits the model. Two passes over the rows: the weighted means, then the sums of the
/// rows centred on them (so a feature with a large offset, `1e9 + x`, keeps its
/// variance: E[x²] − mean² would cancel it away). The intercept is recovered exactly
/// and is not shrunk.
pub fn fit(data: &Dataset, l2: f64) -> Result<LinearModel, String> {
    let d = data.cols;
    let raw = Sums::of(data, &vec![0.0; d], 0.0);
    if raw.s <= 0.0 {
        return Err("no rows to train on".into());
    }
    let n = raw.s;
    let first_x: Vec<f64> = raw.x.iter().map(|v| v / n).collect();
    let first_y = raw.y / n;
    let sums = Sums::of(data, &first_x, first_y);
    // What is left of the means after the first pass's rounding.
    let mean_x: Vec<f64> = first_x
        .iter()
        .zip(&sums.x)
        .map(|(m, r)| m + r / n)
        .collect();
    let mean_y = first_y + sums.y / n;
    // Σs(x−x̄)(x−x̄)ᵀ / n, corrected for the residual means.
    let mut a = vec![0.0; d * d];
    for j in 0..d {
        let rj = sums.x[j] / n;
        for k in 0..=j {
            let v = sums.xx[j * d + k] / n - rj * (sums.x[k] / n);
            a[j * d + k] = v;
            a[k * d + j] = v;
        }
    }
    let mut b: Vec<f64> = (0..d)
        .map(|j| sums.xy[j] / n - (sums.x[j] / n) * (sums.y / n))
        .collect();
    // A feature constant in training (its spread at the rounding level of its values)
    // gets weight 0 rather than a singular system.
    for j in 0..d {
        let spread = a[j * d + j].max(0.0).sqrt();
        if spread <= 1e-12 * mean_x[j].abs() || a[j * d + j] <= 0.0 {
            for k in 0..d {
                a[j * d + k] = 0.0;
                a[k * d + j] = 0.0;
            }
            a[j * d + j] = 1.0;
            b[j] = 0.0;
        } else {
            a[j * d + j] += l2;
        }
    }
    let weights = cholesky_solve(a, b, d)
        .ok_or("the features are linearly dependent: remove a duplicated column or set l2 > 0")?;
    let intercept = mean_y - weights.iter().zip(&mean_x).map(|(w, x)| w * x).sum::<f64>();
    Ok(LinearModel { weights, intercept })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_linear_relation() {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20_000 {
            let (a, b) = ((i % 17) as f64, (i % 5) as f64 * 0.5);
            features.extend([a, b]);
            labels.push(3.0 * a - 2.0 * b + 7.0);
        }
        let data = Dataset::new(2, features, labels).unwrap_or_else(|| unreachable!());
        let m = fit(&data, 0.0).unwrap_or_else(|e| unreachable!("{e}"));
        assert!((m.weights[0] - 3.0).abs() < 1e-9, "{m:?}");
        assert!((m.weights[1] + 2.0).abs() < 1e-9, "{m:?}");
        assert!((m.intercept - 7.0).abs() < 1e-8, "{m:?}");
    }

    /// A feature with a large offset keeps its variance (E[x²] − mean² once gave a
    /// slope of 6.2e12 here).
    #[test]
    fn large_offsets_do_not_cancel_the_variance() {
        let x: Vec<f64> = (0..10).map(|i| 1e9 + i as f64 * 0.5).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * (v - 1e9) + 1.0).collect();
        let data = Dataset::new(1, x, y).unwrap_or_else(|| unreachable!());
        let m = fit(&data, 0.0).unwrap_or_else(|e| unreachable!("{e}"));
        assert!((m.weights[0] - 2.0).abs() < 1e-6, "{m:?}");
        assert!((m.predict(&[1e9 + 2.0]) - 5.0).abs() < 1e-3, "{m:?}");
    }

    #[test]
    fn a_constant_feature_gets_weight_zero() {
        let x: Vec<f64> = (0..100).flat_map(|i| [1e9 + 0.1, i as f64]).collect();
        let y: Vec<f64> = (0..100).map(|i| 3.0 * i as f64).collect();
        let data = Dataset::new(2, x, y).unwrap_or_else(|| unreachable!());
        let m = fit(&data, 0.0).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(m.weights[0], 0.0);
        assert!((m.weights[1] - 3.0).abs() < 1e-9, "{m:?}");
    }

    #[test]
    fn ridge_matches_the_closed_form_of_one_feature() {
        // d = 1: w = cov(x, y) / (var(x) + l2).
        let x = [1.0, 2.0, 4.0, 7.0];
        let y = [2.0, 1.0, 5.0, 6.0];
        let data = Dataset::new(1, x.to_vec(), y.to_vec()).unwrap_or_else(|| unreachable!());
        let l2 = 0.5;
        let m = fit(&data, l2).unwrap_or_else(|e| unreachable!("{e}"));
        let (mx, my) = (3.5, 3.5);
        let cov = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - mx) * (b - my))
            .sum::<f64>()
            / 4.0;
        let var = x.iter().map(|a| (a - mx) * (a - mx)).sum::<f64>() / 4.0;
        let w = cov / (var + l2);
        assert!((m.weights[0] - w).abs() < 1e-12);
        assert!((m.intercept - (my - w * mx)).abs() < 1e-12);
    }
}
