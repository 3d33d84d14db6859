//! `tf_idf`: term counts weighted by inverse document frequency, over a vocabulary
//! fitted on the training documents; scikit-learn's `TfidfVectorizer` defaults:
//!
//! - the vocabulary is every term in at least `min_df` training documents, the
//!   `max_features` most frequent (by count over all documents, ties by term) when set,
//!   indexed in alphabetical order; terms not in it are ignored when applying;
//! - `idf(t) = ln((1 + n) / (1 + df(t))) + 1` — *smoothed* as if one extra document
//!   held every term once, so no term divides by zero, and a term in every document
//!   still weighs 1 rather than 0 (MLlib's `IDF` has no `+ 1`);
//! - each document's vector is `count × idf`, scaled to unit Euclidean length.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TfIdf {
    pub vocabulary: Vec<String>,
    pub idf: Vec<f64>,
}

impl TfIdf {
    /// Fits the vocabulary and document frequencies; missing documents are skipped.
    pub fn fit(docs: &[Option<Vec<String>>], max_features: Option<usize>, min_df: usize) -> TfIdf {
        let mut df: HashMap<&str, usize> = HashMap::new();
        let mut total: HashMap<&str, usize> = HashMap::new();
        let mut n = 0usize;
        for doc in docs.iter().flatten() {
            n += 1;
            let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
            for t in &seen {
                *total.entry(t).or_default() += 1;
            }
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                *df.entry(t).or_default() += 1;
            }
        }
        let mut terms: Vec<&str> = df
            .iter()
            .filter(|(_, d)| **d >= min_df.max(1))
            .map(|(t, _)| *t)
            .collect();
        if let Some(max) = max_features {
            terms.sort_by(|a, b| total[b].cmp(&total[a]).then(a.cmp(b)));
            terms.truncate(max);
        }
        terms.sort_unstable();
        let idf = terms
            .iter()
            .map(|t| ((1 + n) as f64 / (1 + df[t]) as f64).ln() + 1.0)
            .collect();
        TfIdf {
            vocabulary: terms.into_iter().map(str::to_string).collect(),
            idf,
        }
    }

    /// One document's unit-length tf-idf vector, sorted by index.
    pub fn apply(&self, doc: &[String], index: &HashMap<&str, u32>) -> Vec<(u32, f64)> {
        let mut counts: std::collections::BTreeMap<u32, f64> = Default::default();
        for t in doc {
            if let Some(&i) = index.get(t.as_str()) {
                *counts.entry(i).or_default() += 1.0;
            }
        }
        let mut v: Vec<(u32, f64)> = counts
            .into_iter()
            .map(|(i, c)| (i, c * self.idf[i as usize]))
            .collect();
        let norm = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut v {
                *x /= norm;
            }
        }
        v
    }

    /// Term → index, for [`TfIdf::apply`].
    pub fn index(&self) -> HashMap<&str, u32> {
        self.vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Option<Vec<String>> {
        Some(s.split(' ').map(str::to_string).collect())
    }

    #[test]
    fn matches_scikit_learn_smoothing_and_norm() {
        // TfidfVectorizer().fit_transform(["a b", "a c", "a a d"]): idf(a) = ln(4/4) + 1 = 1,
        // idf(b) = ln(4/2) + 1.
        let docs = [doc("a b"), doc("a c"), doc("a a d"), None];
        let m = TfIdf::fit(&docs, None, 1);
        assert_eq!(m.vocabulary, ["a", "b", "c", "d"]);
        assert_eq!(m.idf[0], 1.0);
        assert!((m.idf[1] - (2f64.ln() + 1.0)).abs() < 1e-15);
        let v = m.apply(&doc("a a d").unwrap_or_default(), &m.index());
        let (x, y) = (2.0, 2f64.ln() + 1.0);
        let norm = (x * x + y * y).sqrt();
        assert_eq!(v.len(), 2);
        assert!((v[0].1 - x / norm).abs() < 1e-15 && (v[1].1 - y / norm).abs() < 1e-15);
        let top = TfIdf::fit(&docs, Some(1), 1);
        assert_eq!(top.vocabulary, ["a"], "the most frequent term");
        assert_eq!(TfIdf::fit(&docs, None, 2).vocabulary, ["a"], "min_df");
    }
}
