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
//! false)`. One parallel pass over the data's chunks sums the weighted means and the
//! centred normal equations per chunk (combined, as MLlib aggregates them); the
//! `d × d` system `(XᵀX/n + l2·I) w = Xᵀy/n` is then solved by Cholesky.

use super::Dataset;
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

/// Weighted sums of one chunk: Σs, Σs·x, Σs·y, Σs·x xᵀ, Σs·x y (raw; centred later).
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

/// Fits the model. Rows are centred on their weighted means, so the intercept is
/// recovered exactly and is not shrunk.
pub fn fit(data: &Dataset, l2: f64) -> Result<LinearModel, String> {
    let d = data.cols;
    let sums = data
        .par_chunks()
        .map(|chunk| {
            let mut t = Sums::new(d);
            for i in 0..chunk.rows() {
                let (x, y, s) = (chunk.row(i), chunk.labels[i], chunk.weight(i));
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
        .reduce(|| Sums::new(d), Sums::merge);
    if sums.s <= 0.0 {
        return Err("no rows to train on".into());
    }
    let n = sums.s;
    let mean_x: Vec<f64> = sums.x.iter().map(|v| v / n).collect();
    let mean_y = sums.y / n;
    // Centred: Σs(x−x̄)(x−x̄)ᵀ = Σs x xᵀ − n x̄ x̄ᵀ, divided by n.
    let mut a = vec![0.0; d * d];
    for j in 0..d {
        for k in 0..=j {
            let v = sums.xx[j * d + k] / n - mean_x[j] * mean_x[k];
            a[j * d + k] = v;
            a[k * d + j] = v;
        }
        a[j * d + j] += l2;
    }
    let b: Vec<f64> = (0..d)
        .map(|j| sums.xy[j] / n - mean_x[j] * mean_y)
        .collect();
    // A feature constant in training has a zero row: give it a tiny ridge so its
    // weight is 0 rather than the system singular.
    for j in 0..d {
        if a[j * d + j] <= 1e-12 * (1.0 + l2) {
            a[j * d + j] += 1e-12;
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
