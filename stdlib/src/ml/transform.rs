//! The feature pipeline: fitting each transformer of a model on the training frame
//! (on the output of the ones before it) and applying fitted transformers to a frame,
//! in training and in `predict` alike.

use super::artifact::FittedTransformer;
use super::frame::{Frame, SparseColumn};
use super::impute;
use super::min_max_scale::MinMaxScaler;
use super::spec::TransformerSpec;
use super::standardize::Standardizer;
use super::text;
use super::tf_idf::TfIdf;
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
    };
    apply_transformer(&fitted, frame)?;
    Ok(fitted)
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
        FittedTransformer::TfIdf { columns, fitted } => {
            for (c, m) in columns.iter().zip(fitted) {
                let index = m.index();
                vectorize(frame, c, m.vocabulary.len(), |t| m.apply(t, &index))?;
            }
        }
    }
    Ok(())
}
