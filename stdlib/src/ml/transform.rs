//! The feature pipeline: fitting each transformer of a model on the training frame
//! (on the output of the ones before it) and applying fitted transformers to a frame,
//! in training and in `predict` alike.

use super::artifact::FittedTransformer;
use super::frame::{Frame, SparseColumn};
use super::min_max_scale::MinMaxScaler;
use super::pca::Pca;
use super::spec::TransformerSpec;
use super::standardize::Standardizer;
use super::text;
use super::tf_idf::TfIdf;
use super::{impute, one_hot, string_index};
use rayon::prelude::*;

fn tokens_of<'f>(frame: &'f Frame, c: &str) -> Result<&'f Vec<Option<Vec<String>>>, String> {
    frame
        .tokens
        .get(c)
        .ok_or_else(|| format!("`{c}` is not tokens here: `tokenize` it first"))
}

/// Fits a transformer on the frame and applies it there.
pub fn fit_transformer(
    spec: &TransformerSpec,
    frame: &mut Frame,
) -> Result<FittedTransformer, String> {
    let columns = spec.columns().to_vec();
    let numeric = |frame: &Frame| -> Result<Vec<Vec<f64>>, String> {
        columns
            .iter()
            .map(|c| frame.column(c).map(<[f64]>::to_vec))
            .collect()
    };
    let fitted = match spec {
        TransformerSpec::Standardize { .. } => {
            let values = numeric(frame)?;
            let refs: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
            let s = Standardizer::fit_columns(&refs);
            FittedTransformer::Standardize {
                columns,
                means: s.means,
                scales: s.scales,
            }
        }
        TransformerSpec::MinMaxScale { .. } => {
            let values = numeric(frame)?;
            let refs: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
            let s = MinMaxScaler::fit_columns(&refs);
            FittedTransformer::MinMaxScale {
                columns,
                mins: s.mins,
                maxs: s.maxs,
            }
        }
        TransformerSpec::Impute { strategy, .. } => {
            let mut fills = Vec::new();
            for c in &columns {
                fills.push(
                    impute::fill_value(frame.column(c)?, *strategy).ok_or_else(|| {
                        format!("cannot impute `{c}`: it has no value in any training row")
                    })?,
                );
            }
            FittedTransformer::Impute {
                columns,
                strategy: *strategy,
                values: fills,
            }
        }
        TransformerSpec::Tokenize { lowercase, .. } => FittedTransformer::Tokenize {
            columns,
            lowercase: *lowercase,
        },
        TransformerSpec::RemoveStopwords { .. } => FittedTransformer::RemoveStopwords { columns },
        TransformerSpec::Ngrams { n, .. } => FittedTransformer::Ngrams { columns, n: *n },
        TransformerSpec::HashingTf { num_features, .. } => FittedTransformer::HashingTf {
            columns,
            num_features: *num_features,
        },
        TransformerSpec::TfIdf {
            max_features,
            min_df,
            ..
        } => {
            let mut fitted = Vec::new();
            for c in &columns {
                fitted.push(TfIdf::fit(
                    tokens_of(frame, c)?,
                    max_features.map(|m| m as usize),
                    *min_df as usize,
                ));
            }
            FittedTransformer::TfIdf { columns, fitted }
        }
        TransformerSpec::StringIndex { .. } => {
            let mut labels = Vec::new();
            for c in &columns {
                labels.push(string_index::fit(&categories_of(frame, c)?));
            }
            FittedTransformer::StringIndex { columns, labels }
        }
        TransformerSpec::OneHot { .. } => {
            let mut categories = Vec::new();
            for c in &columns {
                categories.push(one_hot::fit(&categories_of(frame, c)?));
            }
            FittedTransformer::OneHot {
                columns,
                categories,
            }
        }
        TransformerSpec::Assemble { into, .. } => FittedTransformer::Assemble {
            columns,
            into: into.clone(),
        },
        TransformerSpec::Pca { k, into, .. } => {
            let values = numeric(frame)?;
            let refs: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
            FittedTransformer::Pca {
                columns,
                into: into.clone(),
                fitted: Pca::fit(&refs, *k as usize)?,
            }
        }
    };
    apply_transformer(&fitted, frame)?;
    Ok(fitted)
}

/// A category column's values as text: strings as they are, numbers as they print.
fn categories_of(frame: &Frame, c: &str) -> Result<Vec<Option<String>>, String> {
    if let Some(text) = frame.text.get(c) {
        return Ok(text.clone());
    }
    Ok(frame
        .column(c)?
        .iter()
        .map(|x| (!x.is_nan()).then(|| x.to_string()))
        .collect())
}

/// Removes a category column from the frame (text or numbers).
fn take_categories(frame: &mut Frame, c: &str) -> Result<Vec<Option<String>>, String> {
    let values = categories_of(frame, c)?;
    frame.text.shift_remove(c);
    frame.columns.shift_remove(c);
    Ok(values)
}

/// Maps a token column row by row, in parallel.
fn map_tokens(
    frame: &mut Frame,
    c: &str,
    f: impl Fn(&[String]) -> Vec<String> + Sync,
) -> Result<(), String> {
    let column = frame
        .tokens
        .get_mut(c)
        .ok_or_else(|| format!("`{c}` is not tokens here: `tokenize` it first"))?;
    column
        .par_iter_mut()
        .for_each(|t| *t = t.as_deref().map(&f));
    Ok(())
}

/// Turns a token column into a vector column, row by row in parallel.
fn vectorize(
    frame: &mut Frame,
    c: &str,
    dim: usize,
    f: impl Fn(&[String]) -> Vec<(u32, f64)> + Sync,
) -> Result<(), String> {
    let column = frame
        .tokens
        .shift_remove(c)
        .ok_or_else(|| format!("`{c}` is not tokens here: `tokenize` it first"))?;
    let rows = column.par_iter().map(|t| t.as_deref().map(&f)).collect();
    frame
        .vectors
        .insert(c.to_string(), SparseColumn { dim, rows });
    Ok(())
}

/// Applies a fitted transformer to the frame's columns in place.
pub fn apply_transformer(t: &FittedTransformer, frame: &mut Frame) -> Result<(), String> {
    match t {
        FittedTransformer::Standardize {
            columns,
            means,
            scales,
        } => {
            let s = Standardizer {
                means: means.clone(),
                scales: scales.clone(),
            };
            for (j, c) in columns.iter().enumerate() {
                s.apply_column(j, frame.column_mut(c)?);
            }
        }
        FittedTransformer::MinMaxScale {
            columns,
            mins,
            maxs,
        } => {
            let s = MinMaxScaler {
                mins: mins.clone(),
                maxs: maxs.clone(),
            };
            for (j, c) in columns.iter().enumerate() {
                s.apply_column(j, frame.column_mut(c)?);
            }
        }
        FittedTransformer::Impute {
            columns, values, ..
        } => {
            for (c, v) in columns.iter().zip(values) {
                impute::apply(frame.column_mut(c)?, *v);
            }
        }
        FittedTransformer::Tokenize { columns, lowercase } => {
            for c in columns {
                let texts = frame
                    .text
                    .shift_remove(c)
                    .ok_or_else(|| format!("`{c}` is not a string column here"))?;
                let tokens = texts
                    .par_iter()
                    .map(|t| t.as_deref().map(|t| text::tokenize(t, *lowercase)))
                    .collect();
                frame.tokens.insert(c.clone(), tokens);
            }
        }
        FittedTransformer::RemoveStopwords { columns } => {
            for c in columns {
                map_tokens(frame, c, text::remove_stopwords)?;
            }
        }
        FittedTransformer::Ngrams { columns, n } => {
            for c in columns {
                map_tokens(frame, c, |t| text::ngrams(t, *n as usize))?;
            }
        }
        FittedTransformer::HashingTf {
            columns,
            num_features,
        } => {
            for c in columns {
                let dim = *num_features as usize;
                vectorize(frame, c, dim, |t| text::hashing_tf(t, dim))?;
            }
        }
        FittedTransformer::StringIndex { columns, labels } => {
            for (c, l) in columns.iter().zip(labels) {
                let values = take_categories(frame, c)?;
                frame
                    .columns
                    .insert(c.clone(), string_index::apply(l, &values));
            }
        }
        FittedTransformer::OneHot {
            columns,
            categories,
        } => {
            for (c, cats) in columns.iter().zip(categories) {
                let values = take_categories(frame, c)?;
                frame.vectors.insert(
                    c.clone(),
                    SparseColumn {
                        dim: cats.len(),
                        rows: one_hot::apply(cats, &values),
                    },
                );
            }
        }
        FittedTransformer::Assemble { columns, into } => {
            let design = frame.design(columns)?;
            let dim = design.cols + design.sparse.as_ref().map_or(0, |s| s.dim);
            let rows = (0..frame.rows)
                .map(|i| {
                    (!design.missing[i]).then(|| {
                        let r = design.row(i);
                        let mut v: Vec<(u32, f64)> = r
                            .dense
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| **x != 0.0)
                            .map(|(j, x)| (j as u32, *x))
                            .collect();
                        v.extend_from_slice(r.sparse);
                        v
                    })
                })
                .collect();
            frame
                .vectors
                .insert(into.clone(), SparseColumn { dim, rows });
        }
        FittedTransformer::Pca {
            columns,
            into,
            fitted,
        } => {
            let values: Vec<&[f64]> = columns
                .iter()
                .map(|c| frame.column(c))
                .collect::<Result<_, _>>()?;
            let rows = (0..frame.rows)
                .into_par_iter()
                .map(|i| {
                    let row: Vec<f64> = values.iter().map(|c| c[i]).collect();
                    fitted.apply(&row).map(|z| {
                        z.into_iter()
                            .enumerate()
                            .map(|(j, x)| (j as u32, x))
                            .collect()
                    })
                })
                .collect();
            let dim = fitted.components.len();
            frame
                .vectors
                .insert(into.clone(), SparseColumn { dim, rows });
        }
        FittedTransformer::TfIdf { columns, fitted } => {
            for (c, m) in columns.iter().zip(fitted) {
                let index = m.index();
                vectorize(frame, c, m.vocabulary.len(), |t| m.apply(t, &index))?;
            }
        }
    }
    Ok(())
}
