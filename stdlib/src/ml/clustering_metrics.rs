//! Metrics of a clustering: the within-cluster sum of squared distances to each
//! cluster's mean (scikit-learn's `inertia_` for the fitted centres) and the mean
//! silhouette coefficient (scikit-learn's `silhouette_score`, Euclidean). The
//! silhouette needs every pairwise distance, so above `sample` rows it is computed on a
//! seeded sample of that many rows, as `silhouette_score(sample_size = ...)` does.

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusteringMetrics {
    pub rows: u64,
    pub clusters: u64,
    pub wcss: f64,
    pub silhouette: f64,
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `rows` is row-major with `cols` features; `clusters[i]` is row `i`'s cluster.
pub fn evaluate(
    rows: &[f64],
    cols: usize,
    clusters: &[usize],
    sample_rows: usize,
    seed: u64,
) -> ClusteringMetrics {
    let n = clusters.len();
    let k = clusters.iter().max().map_or(0, |m| m + 1);
    let row = |i: usize| &rows[i * cols..(i + 1) * cols];
    let mut sums = vec![vec![0.0; cols]; k];
    let mut counts = vec![0usize; k];
    for (i, &c) in clusters.iter().enumerate() {
        counts[c] += 1;
        for (a, x) in sums[c].iter_mut().zip(row(i)) {
            *a += x;
        }
    }
    let means: Vec<Vec<f64>> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s.iter().map(|v| v / c.max(1) as f64).collect())
        .collect();
    let wcss = (0..n)
        .map(|i| distance(row(i), &means[clusters[i]]).powi(2))
        .sum();
    let chosen: Vec<usize> = if n > sample_rows {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut s = sample(&mut rng, n, sample_rows).into_vec();
        s.sort_unstable();
        s
    } else {
        (0..n).collect()
    };
    let used = (0..k)
        .filter(|c| chosen.iter().any(|&i| clusters[i] == *c))
        .count();
    let silhouette = if used < 2 {
        f64::NAN
    } else {
        let scores: Vec<f64> = chosen
            .par_iter()
            .map(|&i| {
                let mut total = vec![0.0; k];
                let mut count = vec![0usize; k];
                for &j in &chosen {
                    if j != i {
                        total[clusters[j]] += distance(row(i), row(j));
                        count[clusters[j]] += 1;
                    }
                }
                let own = clusters[i];
                if count[own] == 0 {
                    return 0.0; // a cluster of one scores 0
                }
                let a = total[own] / count[own] as f64;
                let b = (0..k)
                    .filter(|&c| c != own && count[c] > 0)
                    .map(|c| total[c] / count[c] as f64)
                    .fold(f64::INFINITY, f64::min);
                if a.max(b) > 0.0 {
                    (b - a) / a.max(b)
                } else {
                    0.0
                }
            })
            .collect();
        scores.iter().sum::<f64>() / scores.len() as f64
    };
    ClusteringMetrics {
        rows: n as u64,
        clusters: k as u64,
        wcss,
        silhouette,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silhouette_of_a_small_example() {
        // Two clusters on a line: {0, 1} and {10, 11}.
        // a(0) = 1, b(0) = (10 + 11)/2 = 10.5, s = 9.5/10.5; symmetric for the others
        // except distances: a(1) = 1, b(1) = (9 + 10)/2 = 9.5, s = 8.5/9.5.
        let rows = [0.0, 1.0, 10.0, 11.0];
        let m = evaluate(&rows, 1, &[0, 0, 1, 1], 1000, 0);
        let want = (9.5 / 10.5 + 8.5 / 9.5) / 2.0;
        assert!((m.silhouette - want).abs() < 1e-12, "{}", m.silhouette);
        assert_eq!(m.wcss, 1.0);
        assert_eq!(m.clusters, 2);
    }
}
