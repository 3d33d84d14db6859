//! Multinomial logistic (softmax) regression for three or more classes, with L2 and
//! per-row weights, trained by L-BFGS. Over `n` rows with weights `s_i`, `K` classes
//! and labels `y_i ∈ 0..K`:
//!
//! ```text
//! f(W, b) = 1/n Σ s_i (ln Σ_k e^{z_ik} − z_{i,y_i})  +  l2/2 · Σ_k ‖w_k‖²,   z_ik = w_k·x_i + b_k
//! ```
//!
//! intercepts unregularized: scikit-learn's `LogisticRegression(C = 1/(l2·n))` on more
//! than two classes (multinomial with L-BFGS) and MLlib's multinomial family. Loss and
//! gradient come from one parallel pass over the data's chunks.

use super::Dataset;
use super::dataset::Row;
use super::lbfgs;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxModel {
    /// One weight vector per class.
    pub weights: Vec<Vec<f64>>,
    pub intercepts: Vec<f64>,
    pub iterations: u64,
    pub objective: f64,
}

/// Softmax of scores, in place, without overflow; returns ln Σ e^z.
fn softmax(z: &mut [f64]) -> f64 {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for v in z.iter_mut() {
        *v = (*v - top).exp();
        total += *v;
    }
    for v in z.iter_mut() {
        *v /= total;
    }
    top + total.ln()
}

impl SoftmaxModel {
    /// Each class's probability for one row.
    pub fn probabilities(&self, row: Row<'_>) -> Vec<f64> {
        let mut z: Vec<f64> = self
            .weights
            .iter()
            .zip(&self.intercepts)
            .map(|(w, b)| row.dot(w) + b)
            .collect();
        softmax(&mut z);
        z
    }
}

/// Loss and gradient at `p` = `[w_0..., w_1..., ..., b_0, ..., b_{K-1}]`.
fn loss_and_gradient(data: &Dataset, classes: usize, l2: f64, p: &[f64]) -> (f64, Vec<f64>) {
    let d = data.width();
    let (weights, intercepts) = p.split_at(classes * d);
    let (mut loss, mut grad) = data.mean_over_chunks(classes * (d + 1), |chunk| {
        let mut loss = 0.0;
        let mut grad = vec![0.0; classes * (d + 1)];
        let mut z = vec![0.0; classes];
        for i in 0..chunk.rows() {
            let x = chunk.features(i);
            let (y, s) = (chunk.labels[i] as usize, chunk.weight(i));
            for k in 0..classes {
                z[k] = x.dot(&weights[k * d..(k + 1) * d]) + intercepts[k];
            }
            let own = z[y];
            loss += s * (softmax(&mut z) - own);
            for k in 0..classes {
                let r = s * (z[k] - if k == y { 1.0 } else { 0.0 });
                x.add_scaled(&mut grad[k * d..(k + 1) * d], r);
                grad[classes * d + k] += r;
            }
        }
        (loss, grad)
    });
    for (j, w) in weights.iter().enumerate() {
        loss += 0.5 * l2 * w * w;
        grad[j] += l2 * w;
    }
    (loss, grad)
}

/// Fits on rows labelled `0..classes`.
pub fn fit(
    data: &Dataset,
    classes: usize,
    l2: f64,
    max_iter: u64,
    tolerance: f64,
) -> Result<SoftmaxModel, String> {
    let d = data.width();
    let m = lbfgs::minimize(
        |p| loss_and_gradient(data, classes, l2, p),
        vec![0.0; classes * (d + 1)],
        max_iter,
        tolerance,
    )?;
    Ok(SoftmaxModel {
        weights: m.params[..classes * d]
            .chunks(d.max(1))
            .map(<[f64]>::to_vec)
            .collect(),
        intercepts: m.params[classes * d..].to_vec(),
        iterations: m.iterations,
        objective: m.objective,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let data = Dataset::new(
            2,
            vec![0.5, -1.0, 2.0, 0.3, -0.7, 1.1, 0.2, 0.2],
            vec![0.0, 2.0, 1.0, 2.0],
        )
        .unwrap_or_else(|| unreachable!());
        let p: Vec<f64> = (0..9).map(|i| (i as f64 * 0.37).sin() * 0.5).collect();
        let (_, grad) = loss_and_gradient(&data, 3, 0.1, &p);
        for j in 0..p.len() {
            let (mut up, mut down) = (p.clone(), p.clone());
            up[j] += 1e-6;
            down[j] -= 1e-6;
            let numeric = (loss_and_gradient(&data, 3, 0.1, &up).0
                - loss_and_gradient(&data, 3, 0.1, &down).0)
                / 2e-6;
            assert!(
                (numeric - grad[j]).abs() < 1e-6,
                "{j}: {numeric} vs {}",
                grad[j]
            );
        }
    }

    #[test]
    fn three_separated_classes() {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..600 {
            let c = i % 3;
            let (cx, cy) = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)][c];
            features.extend([cx + (i % 7) as f64 * 0.1, cy + (i % 5) as f64 * 0.1]);
            labels.push(c as f64);
        }
        let data = Dataset::new(2, features, labels).unwrap_or_else(|| unreachable!());
        let m = fit(&data, 3, 1e-3, 200, 1e-8).unwrap_or_else(|e| unreachable!("{e}"));
        let right = (0..data.rows)
            .filter(|&i| {
                let p = m.probabilities(data.features_of(i));
                let best = (0..3).max_by(|a, b| p[*a].total_cmp(&p[*b]));
                best == Some(data.labels[i] as usize)
            })
            .count();
        assert_eq!(right, data.rows);
    }
}
