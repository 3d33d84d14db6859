//! k-means: seeded k-means++ initialisation, then Lloyd iterations.
//!
//! Initialisation is scikit-learn's *greedy* k-means++: the first centre is a random
//! row; each next one is the best (lowest total squared distance) of `2 + ⌊ln k⌋`
//! candidates drawn with probability proportional to their squared distance to the
//! nearest centre so far. Each Lloyd iteration assigns rows to their nearest centre and
//! sums them per chunk in parallel (combined, as MLlib does across executors); it stops
//! when the centres move less than `tolerance` × the features' mean variance (squared
//! shift summed over centres, scikit-learn's rule) or after `max_iter` iterations. An
//! emptied cluster keeps its centre. The seed fixes the result for any thread count.

use super::Dataset;
use super::in_order::ReduceInOrder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq)]
pub struct KMeansOptions {
    pub k: usize,
    pub max_iter: u64,
    pub tolerance: f64,
    pub seed: u64,
    /// Runs from different initialisations; the lowest WCSS wins.
    pub n_init: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeansModel {
    pub centers: Vec<Vec<f64>>,
    pub iterations: u64,
    /// Within-cluster sum of squared distances on the training rows.
    pub wcss: f64,
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl KMeansModel {
    /// The nearest centre's index and the squared distance to it.
    pub fn nearest(&self, row: &[f64]) -> (usize, f64) {
        nearest(&self.centers, row)
    }
}

fn nearest(centers: &[Vec<f64>], row: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, center) in centers.iter().enumerate() {
        let d = squared_distance(center, row);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// Greedy k-means++ (see the module header).
fn initial_centers(data: &Dataset, k: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let n = data.rows;
    let mut centers = vec![data.row(rng.random_range(0..n)).to_vec()];
    let mut closest: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| squared_distance(data.row(i), &centers[0]))
        .collect();
    let trials = 2 + (k as f64).ln().floor() as usize;
    while centers.len() < k {
        let mut cumulative = Vec::with_capacity(n);
        let mut total = 0.0;
        for d in &closest {
            total += d;
            cumulative.push(total);
        }
        if total <= 0.0 {
            // Fewer distinct rows than k: repeat a row.
            centers.push(data.row(rng.random_range(0..n)).to_vec());
            continue;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let target = rng.random::<f64>() * total;
            let candidate = cumulative.partition_point(|&c| c <= target).min(n - 1);
            let updated: Vec<f64> = (0..n)
                .into_par_iter()
                .map(|i| closest[i].min(squared_distance(data.row(i), data.row(candidate))))
                .collect();
            let potential: f64 = updated
                .par_chunks(super::dataset::CHUNK_ROWS)
                .map(|c| c.iter().sum::<f64>())
                .reduce_in_order(|| 0.0, |a, b| a + b);
            if best.as_ref().is_none_or(|b| potential < b.0) {
                best = Some((potential, candidate, updated));
            }
        }
        let Some((_, chosen, updated)) = best else {
            break;
        };
        centers.push(data.row(chosen).to_vec());
        closest = updated;
    }
    centers
}

/// Per-chunk sums of the rows assigned to each centre, their counts, and the WCSS.
fn assign(data: &Dataset, centers: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<f64>, f64) {
    let (k, d) = (centers.len(), data.cols);
    data.par_chunks()
        .map(|chunk| {
            let mut sums = vec![vec![0.0; d]; k];
            let mut counts = vec![0.0; k];
            let mut wcss = 0.0;
            for i in 0..chunk.rows() {
                let row = chunk.row(i);
                let (c, dist) = nearest(centers, row);
                let s = chunk.weight(i);
                for (a, x) in sums[c].iter_mut().zip(row) {
                    *a += s * x;
                }
                counts[c] += s;
                wcss += s * dist;
            }
            (sums, counts, wcss)
        })
        .reduce_in_order(
            || (vec![vec![0.0; d]; k], vec![0.0; k], 0.0),
            |(mut s1, mut c1, w1), (s2, c2, w2)| {
                for (a, b) in s1.iter_mut().zip(&s2) {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                }
                for (a, b) in c1.iter_mut().zip(&c2) {
                    *a += b;
                }
                (s1, c1, w1 + w2)
            },
        )
}

/// The features' mean variance, which scales the stopping tolerance.
fn mean_variance(data: &Dataset) -> f64 {
    let (n, d) = (data.rows as f64, data.cols);
    if d == 0 || n == 0.0 {
        return 0.0;
    }
    let mut total = 0.0;
    for j in 0..d {
        let mean = (0..data.rows).map(|i| data.row(i)[j]).sum::<f64>() / n;
        total += (0..data.rows)
            .map(|i| (data.row(i)[j] - mean).powi(2))
            .sum::<f64>()
            / n;
    }
    total / d as f64
}

/// Fits `n_init` times from one seeded stream of initialisations and keeps the run
/// with the lowest WCSS.
pub fn fit(data: &Dataset, options: &KMeansOptions) -> Result<KMeansModel, String> {
    if options.k == 0 {
        return Err("k must be at least 1".into());
    }
    if data.rows < options.k {
        return Err(format!(
            "k = {} clusters need at least {} rows; the input has {}",
            options.k, options.k, data.rows
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let tolerance = options.tolerance * mean_variance(data);
    let mut best: Option<KMeansModel> = None;
    for _ in 0..options.n_init.max(1) {
        let run = lloyd(
            data,
            initial_centers(data, options.k, &mut rng),
            options,
            tolerance,
        );
        if best.as_ref().is_none_or(|b| run.wcss < b.wcss) {
            best = Some(run);
        }
    }
    best.ok_or_else(|| "k-means ran no initialisation".to_string())
}

/// Lloyd iterations from `centers` until they settle or `max_iter`.
fn lloyd(
    data: &Dataset,
    mut centers: Vec<Vec<f64>>,
    options: &KMeansOptions,
    tolerance: f64,
) -> KMeansModel {
    let mut iterations = 0;
    while iterations < options.max_iter {
        iterations += 1;
        let (sums, counts, _) = assign(data, &centers);
        let mut shift = 0.0;
        for c in 0..centers.len() {
            if counts[c] > 0.0 {
                let moved: Vec<f64> = sums[c].iter().map(|s| s / counts[c]).collect();
                shift += squared_distance(&moved, &centers[c]);
                centers[c] = moved;
            }
        }
        if shift <= tolerance {
            break;
        }
    }
    let (_, _, wcss) = assign(data, &centers);
    KMeansModel {
        centers,
        iterations,
        wcss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Dataset {
        let mut features = Vec::new();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for i in 0..3000 {
            let center = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)][i % 3];
            features.push(center.0 + rng.random::<f64>() - 0.5);
            features.push(center.1 + rng.random::<f64>() - 0.5);
        }
        Dataset::new(2, features, vec![0.0; 3000]).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn finds_three_separated_blobs() {
        let options = KMeansOptions {
            k: 3,
            max_iter: 100,
            tolerance: 1e-4,
            seed: 42,
            n_init: 2,
        };
        let m = fit(&blobs(), &options).unwrap_or_else(|e| unreachable!("{e}"));
        let mut centers: Vec<(i64, i64)> = m
            .centers
            .iter()
            .map(|c| (c[0].round() as i64, c[1].round() as i64))
            .collect();
        centers.sort();
        assert_eq!(centers, [(0, 0), (0, 10), (10, 0)]);
        // Uniform noise on [-0.5, 0.5]² has variance 1/6 per row.
        assert!((m.wcss / 3000.0 - 1.0 / 6.0).abs() < 0.02, "{}", m.wcss);
        let again = fit(&blobs(), &options).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(m, again, "seeded: the same result every time");
    }

    #[test]
    fn too_few_rows_is_an_error() {
        let data = Dataset::new(1, vec![1.0], vec![0.0]).unwrap_or_else(|| unreachable!());
        let options = KMeansOptions {
            k: 2,
            max_iter: 10,
            tolerance: 1e-4,
            seed: 1,
            n_init: 1,
        };
        assert!(fit(&data, &options).is_err());
    }
}
