//! `one_hot`: a category column to an indicator vector over the training categories
//! (sorted, as scikit-learn's `OneHotEncoder`), one 1 per row. A category not seen in
//! training gives the all-zero vector (`handle_unknown = "ignore"`); a missing value
//! stays missing. Numbers and bools are categories by their text.

use std::collections::HashMap;

/// The sorted distinct training values.
pub fn fit(values: &[Option<String>]) -> Vec<String> {
    let mut categories: Vec<String> = values.iter().flatten().cloned().collect();
    categories.sort();
    categories.dedup();
    categories
}

/// Each row's indicator vector as sparse pairs.
pub fn apply(categories: &[String], values: &[Option<String>]) -> Vec<Option<Vec<(u32, f64)>>> {
    let index: HashMap<&str, u32> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    values
        .iter()
        .map(|v| {
            v.as_ref().map(|v| match index.get(v.as_str()) {
                Some(&i) => vec![(i, 1.0)],
                None => Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_indicator_per_row_and_unknown_is_zero() {
        let v = [
            Some("red".to_string()),
            Some("blue".into()),
            Some("red".into()),
        ];
        let c = fit(&v);
        assert_eq!(c, ["blue", "red"]);
        let got = apply(&c, &[Some("red".into()), Some("green".into()), None]);
        assert_eq!(got, [Some(vec![(1, 1.0)]), Some(vec![]), None]);
    }
}
