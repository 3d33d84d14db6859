//! `impute`: missing values (null or NaN) replaced by the column's training mean,
//! median or mode, as scikit-learn's `SimpleImputer` computes them: the median of an
//! even count is the mean of the two middle values, and the mode's ties go to the
//! smallest value.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    Mean,
    Median,
    Mode,
}

impl ImputeStrategy {
    pub const NAMES: &'static [&'static str] = &["mean", "median", "mode"];
    pub fn from_name(name: &str) -> Option<ImputeStrategy> {
        Some(match name {
            "mean" => ImputeStrategy::Mean,
            "median" => ImputeStrategy::Median,
            "mode" => ImputeStrategy::Mode,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            ImputeStrategy::Mean => "mean",
            ImputeStrategy::Median => "median",
            ImputeStrategy::Mode => "mode",
        }
    }
}

/// The fill value of one column; `None` when it has no value at all.
pub fn fill_value(values: &[f64], strategy: ImputeStrategy) -> Option<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if present.is_empty() {
        return None;
    }
    Some(match strategy {
        ImputeStrategy::Mean => present.iter().sum::<f64>() / present.len() as f64,
        ImputeStrategy::Median => {
            present.sort_by(f64::total_cmp);
            let n = present.len();
            if n % 2 == 1 {
                present[n / 2]
            } else {
                (present[n / 2 - 1] + present[n / 2]) / 2.0
            }
        }
        ImputeStrategy::Mode => {
            present.sort_by(f64::total_cmp);
            let (mut best, mut best_count) = (present[0], 0usize);
            let mut i = 0;
            while i < present.len() {
                let j = present[i..].partition_point(|&x| x == present[i]) + i;
                if j - i > best_count {
                    (best, best_count) = (present[i], j - i);
                }
                i = j;
            }
            best
        }
    })
}

/// Replaces the missing values of `values` by `fill`.
pub fn apply(values: &mut [f64], fill: f64) {
    for x in values.iter_mut().filter(|x| x.is_nan()) {
        *x = fill;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_match_scikit_learn() {
        let v = [3.0, f64::NAN, 1.0, 4.0, 1.0, 5.0, 9.0];
        assert_eq!(fill_value(&v, ImputeStrategy::Mean), Some(23.0 / 6.0));
        assert_eq!(fill_value(&v, ImputeStrategy::Median), Some(3.5));
        assert_eq!(fill_value(&v, ImputeStrategy::Mode), Some(1.0));
        assert_eq!(
            fill_value(&[2.0, 1.0], ImputeStrategy::Mode),
            Some(1.0),
            "ties go to the smallest"
        );
        assert_eq!(fill_value(&[f64::NAN], ImputeStrategy::Mean), None);
        let mut w = v.to_vec();
        apply(&mut w, 7.0);
        assert_eq!(w[1], 7.0);
    }
}
