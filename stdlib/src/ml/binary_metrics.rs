//! Metrics of a binary classifier, from labels (0 or 1) and scores (the probability of
//! class 1), computed as scikit-learn computes them: `roc_auc_score` (trapezoids over
//! the distinct score thresholds, so ties count half), `average_precision_score` for
//! PR-AUC (Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds, no interpolation), `log_loss`
//! (probabilities clipped to [ε, 1 − ε]), and at a threshold (0.5 by default; a score
//! at the threshold is class 1) accuracy, precision, recall, F1 and the confusion
//! matrix. A metric with no defined value (precision with no predicted positive, AUC
//! with one class only) is NaN.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    pub rows: u64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    /// Counts at the threshold: true negatives, false positives, false negatives,
    /// true positives.
    pub true_negatives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    pub true_positives: u64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// The metrics of `scores` against `labels` (pairs with a missing label or score, NaN,
/// are not counted).
pub fn evaluate(labels: &[f64], scores: &[f64], threshold: f64) -> BinaryMetrics {
    let mut pairs: Vec<(f64, bool)> = labels
        .iter()
        .zip(scores)
        .filter(|(y, s)| !s.is_nan() && !y.is_nan())
        .map(|(y, s)| (*s, *y == 1.0))
        .collect();
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    let mut loss = 0.0;
    for &(s, positive) in &pairs {
        match (s >= threshold, positive) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
        let p = s.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
        loss -= if positive { p.ln() } else { (1.0 - p).ln() };
    }
    let n = pairs.len() as u64;
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if tp == 0 {
        if tp + fp + fn_ == 0 { f64::NAN } else { 0.0 }
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let (roc_auc, pr_auc) = curves(&mut pairs);
    // Sums of trapezoids can pass 1 in the last bit (NaN, for one class, stays NaN).
    let at_most_one = |x: f64| if x > 1.0 { 1.0 } else { x };
    let (roc_auc, pr_auc) = (at_most_one(roc_auc), at_most_one(pr_auc));
    BinaryMetrics {
        rows: n,
        accuracy: ratio(tp + tn, n),
        precision,
        recall,
        f1,
        roc_auc,
        pr_auc,
        log_loss: if n == 0 { f64::NAN } else { loss / n as f64 },
        true_negatives: tn,
        false_positives: fp,
        false_negatives: fn_,
        true_positives: tp,
    }
}

/// ROC-AUC and average precision, walking the scores from the highest down, one
/// distinct score at a time.
fn curves(pairs: &mut [(f64, bool)]) -> (f64, f64) {
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = pairs.iter().filter(|p| p.1).count() as f64;
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return (f64::NAN, if positives == 0.0 { f64::NAN } else { 1.0 });
    }
    let (mut tp, mut fp) = (0.0, 0.0);
    let (mut auc, mut ap) = (0.0, 0.0);
    let mut i = 0;
    while i < pairs.len() {
        let score = pairs[i].0;
        let (tp0, fp0) = (tp, fp);
        while i < pairs.len() && pairs[i].0 == score {
            if pairs[i].1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        // Trapezoid between the two ROC points.
        auc += (fp - fp0) / negatives * (tp + tp0) / 2.0 / positives;
        ap += (tp - tp0) / positives * (tp / (tp + fp));
    }
    (auc, ap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_scikit_learn_on_a_small_case() {
        // sklearn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75,
        // average_precision_score(...) = 0.8333..., log_loss(...) = 0.4722...
        let m = evaluate(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], 0.5);
        assert!((m.roc_auc - 0.75).abs() < 1e-12, "{m:?}");
        assert!((m.pr_auc - 0.833_333_333_333_333_4).abs() < 1e-12, "{m:?}");
        let want = -((0.9f64).ln() + (0.6f64).ln() + (0.35f64).ln() + (0.8f64).ln()) / 4.0;
        assert!((m.log_loss - want).abs() < 1e-12);
        assert_eq!(
            (
                m.true_negatives,
                m.false_positives,
                m.false_negatives,
                m.true_positives
            ),
            (2, 0, 1, 1)
        );
        assert_eq!(m.accuracy, 0.75);
        assert_eq!(m.precision, 1.0);
        assert_eq!(m.recall, 0.5);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ties_count_half_and_one_class_has_no_auc() {
        let m = evaluate(&[0.0, 1.0], &[0.5, 0.5], 0.5);
        assert_eq!(m.roc_auc, 0.5);
        let m = evaluate(&[1.0, 1.0], &[0.2, 0.9], 0.5);
        assert!(m.roc_auc.is_nan());
    }
}
