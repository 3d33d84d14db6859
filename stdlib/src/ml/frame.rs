//! A [`Frame`]: named numeric columns as `f64`, the form a model's feature pipeline
//! works on. Inside a model a null and a NaN are both *missing*: transformers skip
//! missing values when fitting and keep them when applying, and a row with a missing
//! feature cannot be trained on (the estimator says which column and how many rows)
//! and is scored as null.
//!
//! Text travels beside the numbers: string columns as text, `list<string>` columns and
//! tokenized text as tokens, and term vectors (`hashing_tf`, `tf_idf`) as sparse rows.

use super::dataset::{Row, Sparse};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType as ArrowType, Float64Type, Int64Type};
use indexmap::IndexMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    pub rows: usize,
    pub columns: IndexMap<String, Vec<f64>>,
    pub text: IndexMap<String, Vec<Option<String>>>,
    pub tokens: IndexMap<String, Vec<Option<Vec<String>>>>,
    pub vectors: IndexMap<String, SparseColumn>,
}

/// A column of sparse vectors of one dimension: per row, (index, value) pairs sorted by
/// index; `None` is a missing row.
/// What [`Frame::design`] builds.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    pub cols: usize,
    pub dense: Vec<f64>,
    pub sparse: Option<Sparse>,
    pub missing: Vec<bool>,
}

impl Design {
    /// Row `i`'s features.
    pub fn row(&self, i: usize) -> Row<'_> {
        Row {
            dense: &self.dense[i * self.cols..(i + 1) * self.cols],
            sparse: match &self.sparse {
                Some(s) => &s.entries[s.offsets[i]..s.offsets[i + 1]],
                None => &[],
            },
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseColumn {
    pub dim: usize,
    pub rows: Vec<Option<Vec<(u32, f64)>>>,
}

/// One Arrow column as `f64`, null as NaN. Booleans are 0 and 1.
pub fn numeric_values(array: &ArrayRef) -> Result<Vec<f64>, String> {
    let n = array.len();
    let mut out = Vec::with_capacity(n);
    match array.data_type() {
        ArrowType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            out.extend((0..n).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) }));
        }
        ArrowType::Int64 => {
            let a = array.as_primitive::<Int64Type>();
            out.extend((0..n).map(|i| {
                if a.is_null(i) {
                    f64::NAN
                } else {
                    a.value(i) as f64
                }
            }));
        }
        ArrowType::Boolean => {
            let a = array.as_boolean();
            out.extend((0..n).map(|i| {
                if a.is_null(i) {
                    f64::NAN
                } else if a.value(i) {
                    1.0
                } else {
                    0.0
                }
            }));
        }
        ArrowType::Null => out.resize(n, f64::NAN),
        other => return Err(format!("a {other} column is not numeric")),
    }
    Ok(out)
}

/// A column's values as text (numbers by value, `1` and `1.0` alike; bools as they
/// print), null as `None`: how class labels are compared.
pub fn text_of(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<String>>, String> {
    let mut out = Vec::new();
    for b in batches {
        let column = b
            .column_by_name(name)
            .ok_or_else(|| format!("the input has no column `{name}`"))?;
        // Numbers by value, so the class `1` (int64) is the class `1.0` (float64):
        // Rust prints an integral float without `.0`, and int64 exactly.
        match column.data_type() {
            ArrowType::Int64 => {
                out.extend(
                    column
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|x| x.to_string())),
                );
                continue;
            }
            ArrowType::Float64 => {
                out.extend(
                    column
                        .as_primitive::<Float64Type>()
                        .iter()
                        .map(|v| v.map(|x| format!("{}", crate::nan::canonical(x)))),
                );
                continue;
            }
            _ => {}
        }
        let text = arrow::compute::cast(column, &ArrowType::Utf8).map_err(|e| e.to_string())?;
        out.extend(
            text.as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string)),
        );
    }
    Ok(out)
}

/// A list column of numbers as vectors (a LIBSVM source's `features`, say): every
/// non-null list must have the same length; zeros are left out of the sparse rows.
fn vectors_of(name: &str, arrays: &[&ArrayRef]) -> Result<SparseColumn, String> {
    let mut dim = None;
    let mut rows = Vec::new();
    for a in arrays {
        let list = a.as_list::<i32>();
        for i in 0..list.len() {
            if list.is_null(i) {
                rows.push(None);
                continue;
            }
            let items = arrow::compute::cast(&list.value(i), &ArrowType::Float64)
                .map_err(|e| e.to_string())?;
            let items = items.as_primitive::<Float64Type>();
            match dim {
                None => dim = Some(items.len()),
                Some(d) if d != items.len() => {
                    return Err(format!(
                        "the vectors of `{name}` differ in length ({d} and {}); give a LIBSVM source `num_features = N` so that every vector has N",
                        items.len()
                    ));
                }
                Some(_) => {}
            }
            if items.null_count() > 0 {
                rows.push(None);
                continue;
            }
            rows.push(Some(
                items
                    .values()
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| **x != 0.0)
                    .map(|(j, x)| (j as u32, *x))
                    .collect(),
            ));
        }
    }
    Ok(SparseColumn {
        dim: dim.unwrap_or(0),
        rows,
    })
}

impl Frame {
    /// The named columns of `batches`, in order, one after the other: strings as text,
    /// lists of strings as tokens, the rest as numbers.
    pub fn from_batches(batches: &[RecordBatch], names: &[String]) -> Result<Frame, String> {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let mut frame = Frame {
            rows,
            ..Default::default()
        };
        for name in names {
            let arrays: Vec<&ArrayRef> = batches
                .iter()
                .map(|b| {
                    b.column_by_name(name)
                        .ok_or_else(|| format!("the input has no column `{name}`"))
                })
                .collect::<Result<_, _>>()?;
            let arrow_type = arrays.first().map(|a| a.data_type().clone());
            match arrow_type {
                Some(ArrowType::Utf8) => {
                    let mut values = Vec::with_capacity(rows);
                    for a in arrays {
                        values.extend(a.as_string::<i32>().iter().map(|v| v.map(str::to_string)));
                    }
                    frame.text.insert(name.clone(), values);
                }
                Some(ArrowType::List(item)) if item.data_type().is_numeric() => {
                    frame
                        .vectors
                        .insert(name.clone(), vectors_of(name, &arrays)?);
                }
                Some(ArrowType::List(_)) => {
                    let mut values = Vec::with_capacity(rows);
                    for a in arrays {
                        let list = a.as_list::<i32>();
                        for i in 0..list.len() {
                            values.push(if list.is_null(i) {
                                None
                            } else {
                                let items = list.value(i);
                                let items = items
                                    .as_string_opt::<i32>()
                                    .ok_or_else(|| format!("`{name}` is not a list of strings"))?;
                                Some(items.iter().flatten().map(str::to_string).collect())
                            });
                        }
                    }
                    frame.tokens.insert(name.clone(), values);
                }
                _ => {
                    let mut values = Vec::with_capacity(rows);
                    for a in arrays {
                        values.extend(numeric_values(a).map_err(|e| format!("`{name}`: {e}"))?);
                    }
                    frame.columns.insert(name.clone(), values);
                }
            }
        }
        Ok(frame)
    }

    /// The given rows, in that order.
    pub fn take(&self, rows: &[usize]) -> Frame {
        fn pick<T: Clone>(values: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&i| values[i].clone()).collect()
        }
        Frame {
            rows: rows.len(),
            columns: self
                .columns
                .iter()
                .map(|(k, v)| (k.clone(), pick(v, rows)))
                .collect(),
            text: self
                .text
                .iter()
                .map(|(k, v)| (k.clone(), pick(v, rows)))
                .collect(),
            tokens: self
                .tokens
                .iter()
                .map(|(k, v)| (k.clone(), pick(v, rows)))
                .collect(),
            vectors: self
                .vectors
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        SparseColumn {
                            dim: v.dim,
                            rows: pick(&v.rows, rows),
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn column(&self, name: &str) -> Result<&[f64], String> {
        self.columns
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| format!("no feature column `{name}`"))
    }

    pub fn column_mut(&mut self, name: &str) -> Result<&mut Vec<f64>, String> {
        self.columns
            .get_mut(name)
            .ok_or_else(|| format!("no feature column `{name}`"))
    }

    /// The estimator's input: the numeric features row-major, then the vector features'
    /// sparse rows (numbered after the numeric ones), and per row whether a feature is
    /// missing.
    pub fn design(&self, features: &[String]) -> Result<Design, String> {
        let numeric: Vec<String> = features
            .iter()
            .filter(|f| self.columns.contains_key(*f))
            .cloned()
            .collect();
        let dense = self.matrix(&numeric)?;
        let d = numeric.len();
        let mut missing: Vec<bool> = (0..self.rows)
            .map(|i| dense[i * d..(i + 1) * d].iter().any(|x| x.is_nan()))
            .collect();
        let vectors: Vec<(&String, &SparseColumn)> = features
            .iter()
            .filter_map(|f| self.vectors.get(f).map(|v| (f, v)))
            .collect();
        if numeric.len() + vectors.len() != features.len() {
            let bad = features
                .iter()
                .find(|f| !self.columns.contains_key(*f) && !self.vectors.contains_key(*f));
            return Err(format!(
                "feature `{}` is text or tokens: turn it into numbers with `tf_idf` or `hashing_tf`",
                bad.map_or("?", |s| s.as_str())
            ));
        }
        let sparse = (!vectors.is_empty()).then(|| {
            let mut s = Sparse {
                dim: vectors.iter().map(|(_, v)| v.dim).sum(),
                offsets: vec![0],
                entries: Vec::new(),
            };
            for (i, miss) in missing.iter_mut().enumerate() {
                let mut offset = d as u32;
                for (_, v) in &vectors {
                    match &v.rows[i] {
                        Some(row) => s.entries.extend(row.iter().map(|(j, x)| (j + offset, *x))),
                        None => *miss = true,
                    }
                    offset += v.dim as u32;
                }
                s.offsets.push(s.entries.len());
            }
            s
        });
        Ok(Design {
            cols: d,
            dense,
            sparse,
            missing,
        })
    }

    /// How many rows lack a feature (a NaN number or a missing vector), for error
    /// messages.
    pub fn missing_count(&self, feature: &str) -> usize {
        match (self.columns.get(feature), self.vectors.get(feature)) {
            (Some(values), _) => values.iter().filter(|x| x.is_nan()).count(),
            (None, Some(v)) => v.rows.iter().filter(|r| r.is_none()).count(),
            (None, None) => 0,
        }
    }

    /// How many rows hold an infinite value in a number or vector column.
    pub fn infinite_count(&self, feature: &str) -> usize {
        match (self.columns.get(feature), self.vectors.get(feature)) {
            (Some(values), _) => values.iter().filter(|x| x.is_infinite()).count(),
            (None, Some(v)) => v
                .rows
                .iter()
                .flatten()
                .filter(|r| r.iter().any(|(_, x)| x.is_infinite()))
                .count(),
            (None, None) => 0,
        }
    }

    /// The first number or vector column holding an infinity, with its count.
    pub fn first_infinite<'a>(
        &self,
        names: impl IntoIterator<Item = &'a String>,
    ) -> Option<(&'a String, usize)> {
        names
            .into_iter()
            .map(|n| (n, self.infinite_count(n)))
            .find(|(_, count)| *count > 0)
    }

    /// The named columns row-major (`rows × names.len()`), for an estimator.
    pub fn matrix(&self, names: &[String]) -> Result<Vec<f64>, String> {
        let cols: Vec<&[f64]> = names
            .iter()
            .map(|n| self.column(n))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(self.rows * cols.len());
        for i in 0..self.rows {
            out.extend(cols.iter().map(|c| c[i]));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BooleanArray, Float64Array, Int64Array};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    #[test]
    fn nulls_become_nan_and_batches_are_joined() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", ArrowType::Int64, true),
            Field::new("b", ArrowType::Float64, true),
            Field::new("c", ArrowType::Boolean, true),
        ]));
        let batch = |a: Vec<Option<i64>>, b: Vec<Option<f64>>, c: Vec<Option<bool>>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(a)),
                    Arc::new(Float64Array::from(b)),
                    Arc::new(BooleanArray::from(c)),
                ],
            )
            .unwrap_or_else(|e| unreachable!("{e}"))
        };
        let batches = [
            batch(
                vec![Some(1), None],
                vec![Some(0.5), Some(1.5)],
                vec![Some(true), None],
            ),
            batch(vec![Some(3)], vec![None], vec![Some(false)]),
        ];
        let names: Vec<String> = ["c", "a", "b"].iter().map(|s| s.to_string()).collect();
        let f = Frame::from_batches(&batches, &names).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(f.rows, 3);
        assert_eq!(f.columns.keys().collect::<Vec<_>>(), ["c", "a", "b"]);
        let m = f.matrix(&names).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(m[0..3], [1.0, 1.0, 0.5]);
        assert!(m[3].is_nan() && m[4].is_nan() && m[5] == 1.5);
        assert_eq!(m[6..8], [0.0, 3.0]);
        assert!(m[8].is_nan());
    }
}
