//! Binary logistic regression with L2 regularization and per-row (class) weights,
//! trained by L-BFGS (argmin's, with a Moré–Thuente line search).
//!
//! The objective, over `n` rows with weights `s_i` and labels `y_i ∈ {0, 1}`:
//!
//! ```text
//! f(w, b) = 1/n Σ s_i · (log(1 + e^{z_i}) − y_i z_i)  +  l2/2 · ‖w‖²,   z_i = w·x_i + b
//! ```
//!
//! The intercept is not regularized. This is scikit-learn's `LogisticRegression` with
//! `C = 1 / (l2 · n)` (its objective is `C Σ s_i loss_i + ½‖w‖²`, the same up to the
//! factor `C n`), and MLlib's with `regParam = l2`, `elasticNetParam = 0` when no weights
//! are given. Each evaluation computes loss and gradient in one parallel pass over the
//! data's chunks, summed per chunk and combined.

use super::Dataset;
use super::dataset::Row;
use super::lbfgs;
use serde::{Deserialize, Serialize};

/// Training options.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticOptions {
    /// L2 strength (`l2/2 · ‖w‖²` added to the mean loss).
    pub l2: f64,
    pub max_iter: u64,
    /// Stop when the gradient's norm falls below this.
    pub tolerance: f64,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        LogisticOptions {
            l2: 0.0,
            max_iter: 100,
            tolerance: 1e-6,
        }
    }
}

/// A fitted model: `P(y = 1 | x) = σ(w·x + b)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    pub weights: Vec<f64>,
    pub intercept: f64,
    /// L-BFGS iterations run, and the objective at the end.
    pub iterations: u64,
    pub objective: f64,
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^z)` without overflow.
pub(crate) fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

impl LogisticModel {
    /// The probability of class 1 for one row of dense features.
    pub fn probability(&self, row: &[f64]) -> f64 {
        self.probability_of(Row {
            dense: row,
            sparse: &[],
        })
    }

    /// The probability of class 1 for one row of dense and sparse features.
    pub fn probability_of(&self, row: Row<'_>) -> f64 {
        sigmoid(row.dot(&self.weights) + self.intercept)
    }
}

/// The mean weighted log loss plus the L2 term, and its gradient, at `p = [w..., b]`:
/// one parallel pass over the data's chunks, summed per chunk and combined.
fn loss_and_gradient(data: &Dataset, l2: f64, p: &[f64]) -> (f64, Vec<f64>) {
    let d = data.width();
    let (w, b) = (&p[..d], p[d]);
    let (mut loss, mut grad) = data.mean_over_chunks(d + 1, |chunk| {
        let mut loss = 0.0;
        let mut grad = vec![0.0; d + 1];
        for i in 0..chunk.rows() {
            let x = chunk.features(i);
            let (y, s) = (chunk.labels[i], chunk.weight(i));
            let z = x.dot(w) + b;
            loss += s * (softplus(z) - y * z);
            let r = s * (sigmoid(z) - y);
            x.add_scaled(&mut grad[..d], r);
            grad[d] += r;
        }
        (loss, grad)
    });
    for j in 0..d {
        loss += 0.5 * l2 * w[j] * w[j];
        grad[j] += l2 * w[j];
    }
    (loss, grad)
}

/// Fits the model; labels must be 0 or 1 (the caller checks).
pub fn fit(data: &Dataset, options: &LogisticOptions) -> Result<LogisticModel, String> {
    let d = data.width();
    let m = lbfgs::minimize(
        |p| loss_and_gradient(data, options.l2, p),
        vec![0.0; d + 1],
        options.max_iter,
        options.tolerance,
    )?;
    Ok(LogisticModel {
        weights: m.params[..d].to_vec(),
        intercept: m.params[d],
        iterations: m.iterations,
        objective: m.objective,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_directions_are_learned() {
        // y = 1 when x0 > x1; x2 is noise.
        let mut features = Vec::new();
        let mut labels = Vec::new();
        let mut state = 7u64;
        for _ in 0..2000 {
            let mut next = || {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            };
            let (a, b, c) = (next(), next(), next());
            features.extend([a, b, c]);
            labels.push(if a > b { 1.0 } else { 0.0 });
        }
        let data = Dataset::new(3, features, labels).unwrap_or_else(|| unreachable!());
        let model = fit(
            &data,
            &LogisticOptions {
                l2: 1e-3,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            model.weights[0] > 1.0 && model.weights[1] < -1.0,
            "{model:?}"
        );
        assert!(model.weights[2].abs() < 0.3 * model.weights[0], "{model:?}");
        let right = (0..data.rows)
            .filter(|&i| (model.probability(data.row(i)) > 0.5) == (data.labels[i] == 1.0))
            .count();
        assert!(right as f64 > 0.97 * data.rows as f64, "{right}");
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let data = Dataset::new(2, vec![0.5, -1.0, 2.0, 0.3, -0.7, 1.1], vec![1.0, 0.0, 1.0])
            .unwrap_or_else(|| unreachable!());
        let evaluate = |p: &[f64]| loss_and_gradient(&data, 0.1, p);
        let p = vec![0.3, -0.2, 0.1];
        let (_, grad) = evaluate(&p);
        for j in 0..3 {
            let mut up = p.clone();
            up[j] += 1e-6;
            let mut down = p.clone();
            down[j] -= 1e-6;
            let numeric = (evaluate(&up).0 - evaluate(&down).0) / 2e-6;
            assert!(
                (numeric - grad[j]).abs() < 1e-6,
                "{j}: {numeric} vs {}",
                grad[j]
            );
        }
    }
}
