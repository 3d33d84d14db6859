//! Metrics of a classifier over any number of classes, from the true and predicted
//! classes compared as text (so numbers, bools and strings all work), as scikit-learn
//! computes them: accuracy, and F1 per class averaged two ways — *macro* (each class
//! alike) and *weighted* (by its true count). The classes are every value seen as a
//! label or a prediction; a class with no predicted or no true row has F1 0
//! (scikit-learn's `zero_division = 0`). Pairs with a missing side are not counted.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MulticlassMetrics {
    pub rows: u64,
    pub classes: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub weighted_f1: f64,
}

pub fn evaluate(labels: &[Option<String>], predictions: &[Option<String>]) -> MulticlassMetrics {
    // Per class: true count, predicted count, correct count.
    let mut counts: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    let mut rows = 0u64;
    let mut right = 0u64;
    for (y, p) in labels.iter().zip(predictions) {
        let (Some(y), Some(p)) = (y, p) else { continue };
        rows += 1;
        counts.entry(y).or_default().0 += 1;
        counts.entry(p).or_default().1 += 1;
        if y == p {
            right += 1;
            counts.entry(y).or_default().2 += 1;
        }
    }
    let f1 = |(truth, predicted, correct): (u64, u64, u64)| {
        if truth + predicted == 0 {
            0.0
        } else {
            2.0 * correct as f64 / (truth + predicted) as f64
        }
    };
    let k = counts.len();
    let macro_f1 = counts.values().map(|c| f1(*c)).sum::<f64>() / k.max(1) as f64;
    let weighted_f1 =
        counts.values().map(|c| f1(*c) * c.0 as f64).sum::<f64>() / rows.max(1) as f64;
    let nan_if_empty = |x: f64| if rows == 0 { f64::NAN } else { x };
    MulticlassMetrics {
        rows,
        classes: k as u64,
        accuracy: nan_if_empty(right as f64 / rows.max(1) as f64),
        macro_f1: nan_if_empty(macro_f1),
        weighted_f1: nan_if_empty(weighted_f1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learn() {
        // y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1]: scikit-learn's
        // f1_score(average="macro") = 0.26666..., average="weighted" = 0.26666...,
        // accuracy 1/3.
        let s = |v: &[i32]| v.iter().map(|x| Some(x.to_string())).collect::<Vec<_>>();
        let m = evaluate(&s(&[0, 1, 2, 0, 1, 2]), &s(&[0, 2, 1, 0, 0, 1]));
        assert_eq!((m.rows, m.classes), (6, 3));
        assert!((m.accuracy - 1.0 / 3.0).abs() < 1e-12);
        assert!((m.macro_f1 - 0.8 / 3.0).abs() < 1e-12, "{}", m.macro_f1);
        assert!((m.weighted_f1 - 0.8 / 3.0).abs() < 1e-12);
    }
}
