//! `cross_validate`: k-fold cross-validation over a grid of candidates. Rows are dealt
//! into `folds` folds after a seeded shuffle — within each class for a classifier, so
//! every fold keeps the class mix (stratified, as scikit-learn's `StratifiedKFold`). For
//! each candidate and fold the whole model — transformers included, so nothing of the
//! held-out rows leaks into their fitting — is fitted on the other folds and scored on
//! the held-out one; the candidate with the best mean score (ties: the first) is then
//! refitted on every row. The artifact records every candidate's per-fold scores.

use super::artifact::{CandidateScore, CrossValidation, Model};
use super::frame::Frame;
use super::predict::{Scores, score_frame};
use super::spec::{CvMetric, FitSpec, SearchSpec};
use super::train::fit_one;
use super::{binary_metrics, multiclass_metrics, regression_metrics};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Each row's fold.
fn assign_folds(labels: &[f64], classifier: bool, folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut groups: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, y) in labels.iter().enumerate() {
        let key = if classifier { *y as i64 } else { 0 };
        groups.entry(key).or_default().push(i);
    }
    let mut fold = vec![0; labels.len()];
    let mut next = 0;
    for rows in groups.values_mut() {
        rows.shuffle(&mut rng);
        for &i in rows.iter() {
            fold[i] = next % folds;
            next += 1;
        }
    }
    fold
}

/// The score of held-out predictions against their (encoded) labels.
fn score(metric: CvMetric, scores: &Scores, labels: &[f64]) -> f64 {
    match scores {
        Scores::Classes(p) => {
            let pairs: Vec<(usize, &Vec<f64>)> = labels
                .iter()
                .zip(p)
                .filter_map(|(y, p)| p.as_ref().map(|p| (*y as usize, p)))
                .collect();
            let n = pairs.len().max(1) as f64;
            let argmax = |p: &[f64]| {
                (0..p.len())
                    .max_by(|a, b| p[*a].total_cmp(&p[*b]))
                    .unwrap_or(0)
            };
            match metric {
                CvMetric::Accuracy => {
                    pairs.iter().filter(|(y, p)| argmax(p) == *y).count() as f64 / n
                }
                CvMetric::LogLoss => {
                    pairs
                        .iter()
                        .map(|(y, p)| -p[*y].clamp(f64::EPSILON, 1.0).ln())
                        .sum::<f64>()
                        / n
                }
                CvMetric::RocAuc | CvMetric::F1 if pairs.iter().all(|(_, p)| p.len() == 2) => {
                    let y: Vec<f64> = pairs.iter().map(|(y, _)| *y as f64).collect();
                    let s: Vec<f64> = pairs.iter().map(|(_, p)| p[1]).collect();
                    let m = binary_metrics::evaluate(&y, &s, 0.5);
                    if metric == CvMetric::RocAuc {
                        m.roc_auc
                    } else {
                        m.f1
                    }
                }
                _ => {
                    // Several classes: F1 is the macro F1 (ROC-AUC was refused earlier).
                    let y: Vec<Option<String>> =
                        pairs.iter().map(|(y, _)| Some(y.to_string())).collect();
                    let p: Vec<Option<String>> = pairs
                        .iter()
                        .map(|(_, p)| Some(argmax(p).to_string()))
                        .collect();
                    multiclass_metrics::evaluate(&y, &p).macro_f1
                }
            }
        }
        Scores::Values(v) => {
            let predictions: Vec<f64> = v.iter().map(|x| x.unwrap_or(f64::NAN)).collect();
            let m = regression_metrics::evaluate(labels, &predictions);
            match metric {
                CvMetric::Mse => m.mse,
                CvMetric::Mae => m.mae,
                CvMetric::Rmse => m.rmse,
                _ => m.r2,
            }
        }
        Scores::Clusters(_) => f64::NAN,
    }
}

/// Runs the search and returns the chosen candidate refitted on every row.
pub fn choose(
    spec: &FitSpec,
    search: &SearchSpec,
    frame: Frame,
    labels: Vec<f64>,
    classes: &[String],
) -> Result<Model, String> {
    let folds = search.folds as usize;
    if frame.rows < folds {
        return Err(format!(
            "cross_validate needs at least one row per fold: {} rows for {folds} folds",
            frame.rows
        ));
    }
    let fold_of = assign_folds(&labels, spec.estimator.is_classifier(), folds, search.seed);
    let mut candidates = Vec::new();
    for candidate in &search.candidates {
        let mut per_fold = Vec::new();
        for f in 0..folds {
            let (fit_rows, held_out): (Vec<usize>, Vec<usize>) =
                (0..frame.rows).partition(|&i| fold_of[i] != f);
            let fit_labels: Vec<f64> = fit_rows.iter().map(|&i| labels[i]).collect();
            let model = fit_one(spec, candidate, frame.take(&fit_rows), fit_labels, classes)
                .map_err(|e| format!("fold {} of {}: {e}", f + 1, candidate.name()))?;
            let scores = score_frame(&model, frame.take(&held_out))?;
            let held_labels: Vec<f64> = held_out.iter().map(|&i| labels[i]).collect();
            per_fold.push(score(search.metric, &scores, &held_labels));
        }
        let mean = per_fold.iter().sum::<f64>() / folds as f64;
        candidates.push(CandidateScore {
            estimator: candidate.clone(),
            mean,
            per_fold,
        });
    }
    let better = |a: f64, b: f64| {
        if search.metric.higher_is_better() {
            a > b
        } else {
            a < b
        }
    };
    let mut chosen = 0;
    for (i, c) in candidates.iter().enumerate() {
        if better(c.mean, candidates[chosen].mean) {
            chosen = i;
        }
    }
    let mut model = fit_one(spec, &search.candidates[chosen], frame, labels, classes)?;
    model.training.cross_validation = Some(CrossValidation {
        folds: search.folds,
        metric: search.metric,
        candidates,
        chosen,
    });
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_balanced() {
        let labels: Vec<f64> = (0..100).map(|i| if i < 20 { 1.0 } else { 0.0 }).collect();
        let fold = assign_folds(&labels, true, 5, 3);
        for f in 0..5 {
            let members: Vec<usize> = (0..100).filter(|&i| fold[i] == f).collect();
            assert_eq!(members.len(), 20);
            assert_eq!(members.iter().filter(|&&i| labels[i] == 1.0).count(), 4);
        }
        assert_eq!(fold, assign_folds(&labels, true, 5, 3), "seeded");
    }
}
