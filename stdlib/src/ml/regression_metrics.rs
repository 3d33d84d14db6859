//! Metrics of a regression, as scikit-learn computes them: mean squared error, its
//! root, mean absolute error, and R² (1 − SSE/SST; NaN when the labels are constant).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub rows: u64,
    pub mse: f64,
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
}

/// The metrics of `predictions` against `labels`; pairs with a missing value (NaN) are
/// not counted.
pub fn evaluate(labels: &[f64], predictions: &[f64]) -> RegressionMetrics {
    let pairs: Vec<(f64, f64)> = labels
        .iter()
        .zip(predictions)
        .filter(|(y, p)| !y.is_nan() && !p.is_nan())
        .map(|(y, p)| (*y, *p))
        .collect();
    let n = pairs.len() as f64;
    let mean = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let sse: f64 = pairs.iter().map(|(y, p)| (y - p) * (y - p)).sum();
    let sst: f64 = pairs.iter().map(|(y, _)| (y - mean) * (y - mean)).sum();
    let mse = sse / n;
    RegressionMetrics {
        rows: pairs.len() as u64,
        mse,
        rmse: mse.sqrt(),
        mae: pairs.iter().map(|(y, p)| (y - p).abs()).sum::<f64>() / n,
        r2: if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_values() {
        // scikit-learn: mean_squared_error([3, -0.5, 2, 7], [2.5, 0, 2, 8]) = 0.375,
        // mean_absolute_error = 0.5, r2_score = 0.9486081370449679.
        let m = evaluate(&[3.0, -0.5, 2.0, 7.0, f64::NAN], &[2.5, 0.0, 2.0, 8.0, 1.0]);
        assert_eq!(m.rows, 4);
        assert!((m.mse - 0.375).abs() < 1e-15);
        assert!((m.mae - 0.5).abs() < 1e-15);
        assert!((m.r2 - 0.948_608_137_044_967_9).abs() < 1e-12);
    }
}
