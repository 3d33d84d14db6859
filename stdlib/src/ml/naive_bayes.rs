//! Naive Bayes classifiers, as scikit-learn's `MultinomialNB` and `GaussianNB` fit them:
//!
//! - **multinomial** (for counts and tf-idf weights, which must not be negative):
//!   `log θ_cj = ln(N_cj + α) − ln(N_c + α·d)` where `N_cj` sums feature `j` over class
//!   `c`'s rows and `α` is the `smoothing` (1, Laplace); a row scores
//!   `ln P(c) + Σ_j x_j log θ_cj`.
//! - **gaussian**: each feature's mean and variance per class, every variance widened
//!   by `1e-9 ×` the largest feature variance (scikit-learn's `var_smoothing`); a row
//!   scores `ln P(c) − ½ Σ_j [ln(2π σ²_cj) + (x_j − μ_cj)² / σ²_cj]`.
//!
//! Class priors are the (weighted) class frequencies. Per-class sums are computed per
//! chunk in parallel and combined. Probabilities are the scores' softmax.

use super::Dataset;
use super::dataset::Row;
use super::in_order::ReduceInOrder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NaiveBayesKind {
    Multinomial,
    Gaussian,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayesModel {
    pub kind: NaiveBayesKind,
    pub log_prior: Vec<f64>,
    /// Multinomial: `log θ_cj`; gaussian: the means `μ_cj`.
    pub per_class: Vec<Vec<f64>>,
    /// Gaussian only: the smoothed variances `σ²_cj`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variances: Vec<Vec<f64>>,
}

/// Per class: weight, Σs·x (or, once centred, the means), Σs·(x − μ)².
struct ClassSums {
    weight: Vec<f64>,
    sum: Vec<Vec<f64>>,
    squares: Vec<Vec<f64>>,
}

impl ClassSums {
    fn new(k: usize, d: usize, squares: bool) -> ClassSums {
        ClassSums {
            weight: vec![0.0; k],
            sum: vec![vec![0.0; d]; k],
            squares: if squares {
                vec![vec![0.0; d]; k]
            } else {
                Vec::new()
            },
        }
    }
    fn merge(mut self, o: ClassSums) -> ClassSums {
        for (a, b) in self.weight.iter_mut().zip(&o.weight) {
            *a += b;
        }
        for (x, y) in self.sum.iter_mut().zip(&o.sum) {
            for (a, b) in x.iter_mut().zip(y) {
                *a += b;
            }
        }
        for (x, y) in self.squares.iter_mut().zip(&o.squares) {
            for (a, b) in x.iter_mut().zip(y) {
                *a += b;
            }
        }
        self
    }
}

/// Fits on rows labelled `0..classes`.
pub fn fit(
    data: &Dataset,
    classes: usize,
    kind: NaiveBayesKind,
    smoothing: f64,
) -> Result<NaiveBayesModel, String> {
    let d = data.width();
    let gaussian = kind == NaiveBayesKind::Gaussian;
    // Per class: weights and Σs·x; for gaussian, a second pass then sums the squares of
    // the rows centred on their class mean (E[x²] − μ² would cancel a large offset).
    let class_sums = |centres: Option<&Vec<Vec<f64>>>| {
        data.par_chunks()
            .map(|chunk| {
                let mut t = ClassSums::new(classes, d, centres.is_some());
                for i in 0..chunk.rows() {
                    let c = chunk.labels[i] as usize;
                    let s = chunk.weight(i);
                    t.weight[c] += s;
                    chunk.features(i).for_each(|j, x| {
                        t.sum[c][j] += s * x;
                        if let Some(centres) = centres {
                            let dx = x - centres[c][j];
                            t.squares[c][j] += s * dx * dx;
                        }
                    });
                }
                t
            })
            .reduce_in_order(
                || ClassSums::new(classes, d, centres.is_some()),
                ClassSums::merge,
            )
    };
    let mut sums = class_sums(None);
    if gaussian {
        let means: Vec<Vec<f64>> = sums
            .sum
            .iter()
            .zip(&sums.weight)
            .map(|(sum, w)| sum.iter().map(|v| v / w.max(f64::MIN_POSITIVE)).collect())
            .collect();
        let centred = class_sums(Some(&means));
        sums.squares = centred.squares;
        sums.sum = means;
    }
    let total: f64 = sums.weight.iter().sum();
    if total <= 0.0 {
        return Err("there are no rows to train on".into());
    }
    let log_prior = sums
        .weight
        .iter()
        .map(|w| {
            if *w > 0.0 {
                (w / total).ln()
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    match kind {
        NaiveBayesKind::Multinomial => {
            // As scikit-learn's `force_alpha = False`: a smoothing below 1e-10 is 1e-10,
            // so a feature a class never shows has a finite (very negative) log θ.
            let smoothing = smoothing.max(1e-10);
            if sums.sum.iter().flatten().any(|v| *v < 0.0) {
                return Err("multinomial naive Bayes needs features ≥ 0 (counts or tf-idf weights); use kind = gaussian for other numbers".into());
            }
            let per_class = sums
                .sum
                .iter()
                .map(|counts| {
                    let denominator = (counts.iter().sum::<f64>() + smoothing * d as f64).ln();
                    counts
                        .iter()
                        .map(|n| (n + smoothing).ln() - denominator)
                        .collect()
                })
                .collect();
            Ok(NaiveBayesModel {
                kind,
                log_prior,
                per_class,
                variances: Vec::new(),
            })
        }
        NaiveBayesKind::Gaussian => {
            // Here `sums.sum` holds the class means and `sums.squares` the centred squares.
            // The largest variance of any feature over all rows, for the smoothing: the
            // classes' spreads plus the spread of their means.
            let mut largest = 0.0f64;
            for j in 0..d {
                let mean: f64 = (0..classes)
                    .map(|c| sums.weight[c] * sums.sum[c][j])
                    .sum::<f64>()
                    / total;
                let spread: f64 = (0..classes)
                    .map(|c| {
                        let between = sums.sum[c][j] - mean;
                        sums.squares[c][j] + sums.weight[c] * between * between
                    })
                    .sum();
                largest = largest.max(spread / total);
            }
            let epsilon = 1e-9 * largest;
            let mut means = Vec::new();
            let mut variances = Vec::new();
            for c in 0..classes {
                let w = sums.weight[c].max(f64::MIN_POSITIVE);
                let v = sums.squares[c].iter().map(|q| q / w + epsilon).collect();
                means.push(sums.sum[c].clone());
                variances.push(v);
            }
            if epsilon == 0.0 {
                return Err(
                    "every feature is constant: gaussian naive Bayes has nothing to learn".into(),
                );
            }
            Ok(NaiveBayesModel {
                kind,
                log_prior,
                per_class: means,
                variances,
            })
        }
    }
}

impl NaiveBayesModel {
    /// Each class's probability for one row.
    pub fn probabilities(&self, row: Row<'_>) -> Vec<f64> {
        let scores: Vec<f64> = match self.kind {
            NaiveBayesKind::Multinomial => self
                .log_prior
                .iter()
                .zip(&self.per_class)
                .map(|(prior, theta)| prior + row.dot(theta))
                .collect(),
            NaiveBayesKind::Gaussian => (0..self.log_prior.len())
                .map(|c| {
                    let (mu, var) = (&self.per_class[c], &self.variances[c]);
                    let mut x = vec![0.0; mu.len()];
                    row.for_each(|j, v| x[j] = v);
                    self.log_prior[c]
                        - 0.5
                            * x.iter()
                                .zip(mu)
                                .zip(var)
                                .map(|((x, m), v)| {
                                    (2.0 * std::f64::consts::PI * v).ln() + (x - m) * (x - m) / v
                                })
                                .sum::<f64>()
                })
                .collect(),
        };
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
        let total: f64 = exp.iter().sum();
        exp.iter().map(|e| e / total).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multinomial_matches_the_formula() {
        // Two classes, two count features.
        let data = Dataset::new(2, vec![3.0, 0.0, 2.0, 1.0, 0.0, 4.0], vec![0.0, 0.0, 1.0])
            .unwrap_or_else(|| unreachable!());
        let m =
            fit(&data, 2, NaiveBayesKind::Multinomial, 1.0).unwrap_or_else(|e| unreachable!("{e}"));
        // Class 0: counts (5, 1), total 6: θ = (6/8, 2/8).
        assert!((m.per_class[0][0] - (6.0f64 / 8.0).ln()).abs() < 1e-12);
        assert!((m.log_prior[0] - (2.0f64 / 3.0).ln()).abs() < 1e-12);
        let p = m.probabilities(Row {
            dense: &[0.0, 3.0],
            sparse: &[],
        });
        assert!(p[1] > 0.9 && (p[0] + p[1] - 1.0).abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn gaussian_separates_two_groups() {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let c = (i % 2) as f64;
            features.push(c * 5.0 + (i % 7) as f64 * 0.1);
            labels.push(c);
        }
        let data = Dataset::new(1, features, labels).unwrap_or_else(|| unreachable!());
        let m =
            fit(&data, 2, NaiveBayesKind::Gaussian, 1.0).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(
            m.probabilities(Row {
                dense: &[5.2],
                sparse: &[]
            })[1]
                > 0.99
        );
        assert!(
            m.probabilities(Row {
                dense: &[0.2],
                sparse: &[]
            })[0]
                > 0.99
        );
    }

    /// A large offset on a feature changes nothing: the variances are centred sums.
    #[test]
    fn gaussian_variances_survive_a_large_offset() {
        let fit_with = |offset: f64| {
            let mut features = Vec::new();
            let mut labels = Vec::new();
            for i in 0..300 {
                let c = (i % 3) as f64;
                features.push(offset + c * 0.8 + (i % 11) as f64 * 0.05);
                labels.push(c);
            }
            let data = Dataset::new(1, features, labels).unwrap_or_else(|| unreachable!());
            fit(&data, 3, NaiveBayesKind::Gaussian, 1.0).unwrap_or_else(|e| unreachable!("{e}"))
        };
        let (plain, shifted) = (fit_with(0.0), fit_with(1e8));
        for (a, b) in plain
            .variances
            .iter()
            .flatten()
            .zip(shifted.variances.iter().flatten())
        {
            assert!((a - b).abs() <= 1e-6 * a, "{a} vs {b}");
        }
        for x in [0.1, 0.9, 1.7] {
            let p = plain.probabilities(Row {
                dense: &[x],
                sparse: &[],
            });
            let q = shifted.probabilities(Row {
                dense: &[x + 1e8],
                sparse: &[],
            });
            for (a, b) in p.iter().zip(&q) {
                assert!((a - b).abs() < 1e-4, "{p:?} vs {q:?}");
            }
        }
    }
}
