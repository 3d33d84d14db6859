//! CART decision trees, as scikit-learn's `DecisionTreeClassifier` and
//! `DecisionTreeRegressor` grow them: binary splits `x_j ≤ t` chosen greedily to
//! minimise the weighted impurity of the two children — gini or entropy of the class
//! counts for classification, variance for regression — with thresholds halfway between
//! consecutive distinct values. A node is a leaf at `max_depth`, below
//! `min_samples_split` rows, when pure, or when no split leaves `min_samples_leaf` rows
//! on each side and lowers the impurity. Each node's candidate splits are searched
//! feature by feature in parallel; ties go to the lower feature and threshold, so the
//! tree is the same on every run.

use super::Dataset;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Gini,
    Entropy,
    Variance,
}

impl Criterion {
    pub const NAMES: &'static [&'static str] = &["gini", "entropy", "variance"];
    pub fn from_name(name: &str) -> Option<Criterion> {
        Some(match name {
            "gini" => Criterion::Gini,
            "entropy" => Criterion::Entropy,
            "variance" => Criterion::Variance,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TreeOptions {
    pub criterion: Criterion,
    pub max_depth: u64,
    pub min_samples_split: u64,
    pub min_samples_leaf: u64,
}

/// A node: a split (`feature`, `threshold`, children) or a leaf (`value`: class
/// probabilities, or the mean for regression).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
    pub value: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub feature: usize,
    pub threshold: f64,
    pub left: usize,
    pub right: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeModel {
    pub criterion: Criterion,
    pub features: usize,
    /// Node 0 is the root.
    pub nodes: Vec<Node>,
}

impl TreeModel {
    /// The leaf value for a row of dense features.
    pub fn leaf(&self, row: &[f64]) -> &[f64] {
        let mut n = 0;
        while let Some(s) = &self.nodes[n].split {
            n = if row[s.feature] <= s.threshold {
                s.left
            } else {
                s.right
            };
        }
        &self.nodes[n].value
    }
}

/// Impurity statistics of a set of rows: weighted class counts, or Σw, Σwy, Σwy².
#[derive(Clone)]
struct Stats {
    counts: Vec<f64>,
}

impl Stats {
    fn new(width: usize) -> Stats {
        Stats {
            counts: vec![0.0; width],
        }
    }
    fn add(&mut self, criterion: Criterion, y: f64, w: f64, sign: f64) {
        match criterion {
            Criterion::Variance => {
                self.counts[0] += sign * w;
                self.counts[1] += sign * w * y;
                self.counts[2] += sign * w * y * y;
            }
            _ => self.counts[y as usize] += sign * w,
        }
    }
    fn weight(&self, criterion: Criterion) -> f64 {
        match criterion {
            Criterion::Variance => self.counts[0],
            _ => self.counts.iter().sum(),
        }
    }
    /// The impurity times the weight (so children add up).
    fn weighted_impurity(&self, criterion: Criterion) -> f64 {
        let n = self.weight(criterion);
        if n <= 0.0 {
            return 0.0;
        }
        match criterion {
            Criterion::Gini => n - self.counts.iter().map(|c| c * c).sum::<f64>() / n,
            Criterion::Entropy => -self
                .counts
                .iter()
                .filter(|c| **c > 0.0)
                .map(|c| c * (c / n).log2())
                .sum::<f64>(),
            Criterion::Variance => (self.counts[2] - self.counts[1] * self.counts[1] / n).max(0.0),
        }
    }
    fn value(&self, criterion: Criterion) -> Vec<f64> {
        let n = self.weight(criterion).max(f64::MIN_POSITIVE);
        match criterion {
            Criterion::Variance => vec![self.counts[1] / n],
            _ => self.counts.iter().map(|c| c / n).collect(),
        }
    }
}

struct Grower<'a> {
    data: &'a Dataset,
    options: &'a TreeOptions,
    width: usize,
    nodes: Vec<Node>,
}

impl Grower<'_> {
    fn stats(&self, rows: &[usize]) -> Stats {
        let mut s = Stats::new(self.width);
        for &i in rows {
            s.add(
                self.options.criterion,
                self.data.labels[i],
                self.weight(i),
                1.0,
            );
        }
        s
    }

    fn weight(&self, i: usize) -> f64 {
        self.data.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// The best split of `rows` on feature `j`: (weighted impurity of the children,
    /// threshold).
    fn best_on(&self, rows: &[usize], j: usize, total: &Stats) -> Option<(f64, f64)> {
        let c = self.options.criterion;
        let min_leaf = self.options.min_samples_leaf.max(1) as usize;
        let mut order: Vec<(f64, usize)> = rows.iter().map(|&i| (self.data.row(i)[j], i)).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut left = Stats::new(self.width);
        let mut right = total.clone();
        let mut best: Option<(f64, f64)> = None;
        for k in 0..order.len() - 1 {
            let (x, i) = order[k];
            let (y, w) = (self.data.labels[i], self.weight(i));
            left.add(c, y, w, 1.0);
            right.add(c, y, w, -1.0);
            let next = order[k + 1].0;
            if next <= x || k + 1 < min_leaf || order.len() - k - 1 < min_leaf {
                continue;
            }
            let impurity = left.weighted_impurity(c) + right.weighted_impurity(c);
            if best.is_none_or(|b| impurity < b.0) {
                let mut threshold = x / 2.0 + next / 2.0;
                if threshold >= next || !threshold.is_finite() {
                    threshold = x;
                }
                best = Some((impurity, threshold));
            }
        }
        best
    }

    fn grow(&mut self, rows: Vec<usize>, depth: u64) -> usize {
        let c = self.options.criterion;
        let stats = self.stats(&rows);
        let id = self.nodes.len();
        self.nodes.push(Node {
            split: None,
            value: stats.value(c),
        });
        let parent = stats.weighted_impurity(c);
        if depth >= self.options.max_depth
            || (rows.len() as u64) < self.options.min_samples_split.max(2)
            || parent <= 1e-12 * stats.weight(c).max(1.0)
        {
            return id;
        }
        let candidates: Vec<Option<(f64, f64)>> = (0..self.data.cols)
            .into_par_iter()
            .map(|j| self.best_on(&rows, j, &stats))
            .collect();
        let mut best: Option<(f64, usize, f64)> = None;
        for (j, found) in candidates.into_iter().enumerate() {
            if let Some((impurity, threshold)) = found
                && best.is_none_or(|b| impurity < b.0)
            {
                best = Some((impurity, j, threshold));
            }
        }
        let Some((impurity, feature, threshold)) = best else {
            return id;
        };
        if impurity >= parent - 1e-12 * parent.abs().max(1.0) {
            return id;
        }
        let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows
            .into_iter()
            .partition(|&i| self.data.row(i)[feature] <= threshold);
        let left = self.grow(left_rows, depth + 1);
        let right = self.grow(right_rows, depth + 1);
        self.nodes[id].split = Some(Split {
            feature,
            threshold,
            left,
            right,
        });
        id
    }
}

/// Grows a tree; for classification the labels are class indices `0..classes`.
pub fn fit(data: &Dataset, classes: usize, options: &TreeOptions) -> Result<TreeModel, String> {
    if data.sparse.is_some() {
        return Err("decision_tree reads dense rows: densify the dataset first".into());
    }
    if data.rows == 0 {
        return Err("there are no rows to train on".into());
    }
    let width = match options.criterion {
        Criterion::Variance => 3,
        _ => classes,
    };
    let mut grower = Grower {
        data,
        options,
        width,
        nodes: Vec::new(),
    };
    grower.grow((0..data.rows).collect(), 0);
    Ok(TreeModel {
        criterion: options.criterion,
        features: data.cols,
        nodes: grower.nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(criterion: Criterion, max_depth: u64) -> TreeOptions {
        TreeOptions {
            criterion,
            max_depth,
            min_samples_split: 2,
            min_samples_leaf: 1,
        }
    }

    #[test]
    fn splits_on_the_informative_feature_at_the_midpoint() {
        // Class 1 when x0 > 2.5; x1 is noise.
        let x = [1.0, 7.0, 2.0, 3.0, 3.0, 1.0, 4.0, 9.0, 2.0, 5.0];
        let data = Dataset::new(2, x.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0])
            .unwrap_or_else(|| unreachable!());
        let m = fit(&data, 2, &options(Criterion::Gini, 3)).unwrap_or_else(|e| unreachable!("{e}"));
        let root = m.nodes[0].split.clone().unwrap_or_else(|| unreachable!());
        assert_eq!((root.feature, root.threshold), (0, 2.5));
        assert_eq!(m.leaf(&[4.0, 0.0]), [0.0, 1.0]);
        assert_eq!(m.leaf(&[2.0, 100.0]), [1.0, 0.0]);
    }

    #[test]
    fn depth_limits_the_tree_and_regression_predicts_means() {
        let x: Vec<f64> = (0..8).map(f64::from).collect();
        let y: Vec<f64> = (0..8).map(|i| if i < 4 { 1.0 } else { 5.0 }).collect();
        let data = Dataset::new(1, x, y).unwrap_or_else(|| unreachable!());
        let m =
            fit(&data, 0, &options(Criterion::Variance, 1)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(m.nodes.len(), 3);
        assert_eq!(m.leaf(&[0.0]), [1.0]);
        assert_eq!(m.leaf(&[7.0]), [5.0]);
        let stump =
            fit(&data, 0, &options(Criterion::Variance, 0)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(stump.nodes.len(), 1);
        assert_eq!(stump.leaf(&[0.0]), [3.0]);
    }
}
