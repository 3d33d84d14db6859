//! `pca`: principal components, fitted on the training rows. The columns are centred
//! on their training means; the covariance matrix (summed per chunk in parallel) is
//! diagonalised by cyclic Jacobi rotations, and the `k` eigenvectors of the largest
//! eigenvalues are the components, each signed so its largest-magnitude entry is
//! positive (scikit-learn flips signs by a similar rule; variances and distances do not
//! depend on it). A row's values are its centred features projected on each component.

use super::dataset::CHUNK_ROWS;
use super::in_order::ReduceInOrder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    pub means: Vec<f64>,
    /// `k` unit vectors of the input width, largest variance first.
    pub components: Vec<Vec<f64>>,
    /// The variance along each component.
    pub explained_variance: Vec<f64>,
}

/// Eigenvalues and eigenvectors (as columns of the returned row-major matrix) of a
/// symmetric `d × d` matrix.
fn jacobi(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _ in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j] * a[i * d + j])
            .sum();
        let norm: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-24 * norm.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

impl Pca {
    /// Fits on the columns (rows with a missing value are skipped).
    pub fn fit(columns: &[&[f64]], k: usize) -> Result<Pca, String> {
        let d = columns.len();
        let n_rows = columns.first().map_or(0, |c| c.len());
        let complete: Vec<usize> = (0..n_rows)
            .filter(|&i| columns.iter().all(|c| !c[i].is_nan()))
            .collect();
        if complete.len() < 2 {
            return Err("pca needs at least two complete rows".into());
        }
        if k == 0 || k > d {
            return Err(format!("pca: k = {k}, but there are {d} columns"));
        }
        let n = complete.len() as f64;
        let means: Vec<f64> = columns
            .iter()
            .map(|c| complete.iter().map(|&i| c[i]).sum::<f64>() / n)
            .collect();
        let cov = complete
            .par_chunks(CHUNK_ROWS)
            .map(|rows| {
                let mut s = vec![0.0; d * d];
                for &i in rows {
                    for a in 0..d {
                        let xa = columns[a][i] - means[a];
                        for b in a..d {
                            s[a * d + b] += xa * (columns[b][i] - means[b]);
                        }
                    }
                }
                s
            })
            .reduce_in_order(
                || vec![0.0; d * d],
                |mut x, y| {
                    for (a, b) in x.iter_mut().zip(&y) {
                        *a += b;
                    }
                    x
                },
            );
        let mut full = vec![0.0; d * d];
        for a in 0..d {
            for b in a..d {
                let v = cov[a * d + b] / (n - 1.0);
                full[a * d + b] = v;
                full[b * d + a] = v;
            }
        }
        let (values, vectors) = jacobi(full, d);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&x, &y| values[y].total_cmp(&values[x]).then(x.cmp(&y)));
        let components = order[..k]
            .iter()
            .map(|&j| {
                let mut c: Vec<f64> = (0..d).map(|i| vectors[i * d + j]).collect();
                let top = c
                    .iter()
                    .copied()
                    .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
                if top < 0.0 {
                    c.iter_mut().for_each(|x| *x = -*x);
                }
                c
            })
            .collect();
        Ok(Pca {
            means,
            components,
            explained_variance: order[..k].iter().map(|&j| values[j]).collect(),
        })
    }

    /// One row's component values; `None` when a value is missing.
    pub fn apply(&self, row: &[f64]) -> Option<Vec<f64>> {
        if row.iter().any(|x| x.is_nan()) {
            return None;
        }
        Some(
            self.components
                .iter()
                .map(|c| {
                    c.iter()
                        .zip(row.iter().zip(&self.means))
                        .map(|(w, (x, m))| w * (x - m))
                        .sum()
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_direction_of_largest_variance() {
        // Points along y = 2x with a little orthogonal spread.
        let x: Vec<f64> = (0..200)
            .map(|i| i as f64 / 10.0 + if i % 2 == 0 { 0.05 } else { -0.05 })
            .collect();
        let y: Vec<f64> = (0..200).map(|i| 2.0 * i as f64 / 10.0).collect();
        let p = Pca::fit(&[&x, &y], 1).unwrap_or_else(|e| unreachable!("{e}"));
        let c = &p.components[0];
        let expected = [1.0 / 5f64.sqrt(), 2.0 / 5f64.sqrt()];
        assert!(
            (c[0] - expected[0]).abs() < 1e-3 && (c[1] - expected[1]).abs() < 1e-3,
            "{c:?}"
        );
        let total_variance = {
            let var = |v: &[f64]| {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (v.len() as f64 - 1.0)
            };
            var(&x) + var(&y)
        };
        assert!(p.explained_variance[0] / total_variance > 0.999);
        let z = p.apply(&[p.means[0], p.means[1]]).unwrap_or_default();
        assert!(z[0].abs() < 1e-12, "the mean projects to 0");
    }
}
