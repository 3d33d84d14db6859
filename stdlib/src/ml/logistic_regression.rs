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
use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

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

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
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

/// The last evaluation: parameters, loss, gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// The objective for argmin; parameters are `[w..., b]`. The last (loss, gradient)
/// pair is kept, since argmin asks for the cost and the gradient separately.
struct Objective<'a> {
    data: &'a Dataset,
    l2: f64,
    last: Mutex<Option<Evaluation>>,
}

impl Objective<'_> {
    fn evaluate(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Ok(last) = self.last.lock()
            && let Some((at, loss, grad)) = last.as_ref()
            && at.as_slice() == p
        {
            return (*loss, grad.clone());
        }
        let d = self.data.width();
        let (w, b) = (&p[..d], p[d]);
        let (loss, mut grad) = self
            .data
            .par_chunks()
            .map(|chunk| {
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
            })
            .reduce(
                || (0.0, vec![0.0; d + 1]),
                |(l1, mut g1), (l2, g2)| {
                    for (a, b) in g1.iter_mut().zip(&g2) {
                        *a += b;
                    }
                    (l1 + l2, g1)
                },
            );
        let n = self.data.rows.max(1) as f64;
        let mut loss = loss / n;
        for g in &mut grad {
            *g /= n;
        }
        for j in 0..d {
            loss += 0.5 * self.l2 * w[j] * w[j];
            grad[j] += self.l2 * w[j];
        }
        if let Ok(mut last) = self.last.lock() {
            *last = Some((p.to_vec(), loss, grad.clone()));
        }
        (loss, grad)
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.evaluate(p).0)
    }
}

impl Gradient for Objective<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.evaluate(p).1)
    }
}

/// Fits the model; labels must be 0 or 1 (the caller checks).
pub fn fit(data: &Dataset, options: &LogisticOptions) -> Result<LogisticModel, String> {
    let objective = Objective {
        data,
        l2: options.l2,
        last: Mutex::new(None),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(options.tolerance)
        .and_then(|s| s.with_tolerance_cost(1e-12))
        .map_err(|e| format!("cannot set up L-BFGS: {e}"))?;
    let start = vec![0.0; data.width() + 1];
    let result = Executor::new(objective, solver)
        .configure(|state| state.param(start).max_iters(options.max_iter))
        .run()
        .map_err(|e| format!("L-BFGS failed: {e}"))?;
    let state = result.state();
    let best = state
        .get_best_param()
        .cloned()
        .ok_or("L-BFGS returned no parameters")?;
    let d = data.width();
    Ok(LogisticModel {
        weights: best[..d].to_vec(),
        intercept: best[d],
        iterations: state.get_iter(),
        objective: state.get_best_cost(),
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
        let o = Objective {
            data: &data,
            l2: 0.1,
            last: Mutex::new(None),
        };
        let p = vec![0.3, -0.2, 0.1];
        let (_, grad) = o.evaluate(&p);
        for j in 0..3 {
            let mut up = p.clone();
            up[j] += 1e-6;
            let mut down = p.clone();
            down[j] -= 1e-6;
            let numeric = (o.evaluate(&up).0 - o.evaluate(&down).0) / 2e-6;
            assert!(
                (numeric - grad[j]).abs() < 1e-6,
                "{j}: {numeric} vs {}",
                grad[j]
            );
        }
    }
}
