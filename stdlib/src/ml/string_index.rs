//! `string_index`: a category column to numbers, as MLlib's `StringIndexer` does by
//! default — the most frequent training value is 0, the next 1, ... (ties in
//! alphabetical order). A value not seen in training gets the next index (one past the
//! last: "keep"), so scoring never fails on a new category. Numbers and bools are
//! categories by their text.

use std::collections::HashMap;

/// The training values, most frequent first; missing values are skipped.
pub fn fit(values: &[Option<String>]) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values.iter().flatten() {
        *counts.entry(v).or_default() += 1;
    }
    let mut labels: Vec<(&str, usize)> = counts.into_iter().collect();
    labels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    labels.into_iter().map(|(v, _)| v.to_string()).collect()
}

/// Each value's index (unseen: `labels.len()`); missing stays missing (NaN).
pub fn apply(labels: &[String], values: &[Option<String>]) -> Vec<f64> {
    let index: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    values
        .iter()
        .map(|v| match v {
            Some(v) => index.get(v.as_str()).copied().unwrap_or(labels.len()) as f64,
            None => f64::NAN,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_frequent_first_and_unseen_kept() {
        let v: Vec<Option<String>> = ["b", "a", "c", "a", "b", "a"]
            .iter()
            .map(|s| Some(s.to_string()))
            .chain([None])
            .collect();
        let labels = fit(&v);
        assert_eq!(labels, ["a", "b", "c"]);
        let got = apply(&labels, &[Some("c".into()), Some("zz".into()), None]);
        assert_eq!(got[..2], [2.0, 3.0]);
        assert!(got[2].is_nan());
    }
}
