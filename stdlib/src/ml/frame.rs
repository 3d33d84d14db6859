//! A [`Frame`]: named numeric columns as `f64`, the form a model's feature pipeline
//! works on. Inside a model a null and a NaN are both *missing*: transformers skip
//! missing values when fitting and keep them when applying, and a row with a missing
//! feature cannot be trained on (the estimator says which column and how many rows)
//! and is scored as null.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType as ArrowType, Float64Type, Int64Type};
use indexmap::IndexMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    pub rows: usize,
    pub columns: IndexMap<String, Vec<f64>>,
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

impl Frame {
    /// The named columns of `batches`, in order, one after the other.
    pub fn from_batches(batches: &[RecordBatch], names: &[String]) -> Result<Frame, String> {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let mut columns = IndexMap::new();
        for name in names {
            let mut values = Vec::with_capacity(rows);
            for batch in batches {
                let array = batch
                    .column_by_name(name)
                    .ok_or_else(|| format!("the input has no column `{name}`"))?;
                values.extend(numeric_values(array).map_err(|e| format!("`{name}`: {e}"))?);
            }
            columns.insert(name.clone(), values);
        }
        Ok(Frame { rows, columns })
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
