//! JSON lines schema inference: one object per line, columns in order of first
//! appearance, each typed by the widest of its sampled values. Strings holding ISO dates
//! or timestamps are typed as such; arrays become lists; nested objects are refused
//! (flatten them first). A key missing from a line counts as null there.

use super::value_types::{parse_iso_date, parse_iso_timestamp, widen};
use super::{DEFAULT_SAMPLE_BYTES, InferError, open};
use crate::types::{DataType, Schema};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

struct Column {
    name: String,
    data_type: Option<DataType>,
    nullable: bool,
}

/// Infers the schema of a JSON lines file.
pub fn infer(path: &Path, sample_rows: Option<u64>) -> Result<Schema, InferError> {
    Ok(super::Inferred::schema(infer_columns(path, sample_rows)?))
}

/// Each key's name and type (`None` when the sample held no value of it).
pub(crate) fn infer_columns(
    path: &Path,
    sample_rows: Option<u64>,
) -> Result<Vec<super::Inferred>, InferError> {
    let budget = if sample_rows.is_some() {
        u64::MAX
    } else {
        DEFAULT_SAMPLE_BYTES
    };
    let mut reader = BufReader::new(open(path)?.take(budget));
    let mut columns: Vec<Column> = Vec::new();
    let mut line = String::new();
    let mut line_no: u64 = 0;
    let mut rows: u64 = 0;
    let mut complete = true;
    loop {
        if sample_rows.is_some_and(|n| rows >= n) {
            complete = false;
            break;
        }
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| InferError::new(format!("cannot read `{}`: {e}", path.display())))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) if !line.ends_with('\n') => {
                complete = false; // cut by the sample budget
                break;
            }
            Err(e) => {
                return Err(InferError::new(format!(
                    "`{}` line {line_no} is not valid JSON: {e}",
                    path.display()
                ))
                .at_line(line_no)
                .with_help("each line of a jsonl file must be one JSON object"));
            }
        };
        let serde_json::Value::Object(object) = value else {
            return Err(InferError::new(format!(
                "`{}` line {line_no} is not a JSON object",
                path.display()
            ))
            .at_line(line_no));
        };
        rows += 1;
        for column in &mut columns {
            if !object.contains_key(&column.name) {
                column.nullable = true;
            }
        }
        for (key, value) in &object {
            let t = json_type(value).ok_or_else(|| {
                InferError::new(format!(
                    "`{}` line {line_no}: field `{key}` holds a nested object",
                    path.display()
                ))
                .at_line(line_no)
                .with_help("Sluice reads flat records; flatten nested objects first")
            })?;
            let column = match columns.iter_mut().position(|c| c.name == *key) {
                Some(i) => &mut columns[i],
                None => {
                    columns.push(Column {
                        name: key.clone(),
                        data_type: None,
                        nullable: rows > 1,
                    });
                    columns.last_mut().expect("just pushed")
                }
            };
            match t {
                None => column.nullable = true,
                Some(t) => {
                    column.data_type = Some(match &column.data_type {
                        None => t,
                        Some(prev) => widen(prev, &t),
                    })
                }
            }
        }
    }
    if columns.is_empty() {
        return Err(InferError::new(format!(
            "`{}` has no records to infer a schema from",
            path.display()
        ))
        .with_help("declare the schema in the pipeline file"));
    }
    Ok(columns
        .into_iter()
        .map(|c| super::Inferred {
            nullable: c.nullable || !complete || c.data_type.is_none(),
            data_type: c.data_type.map(known_items),
            name: c.name,
        })
        .collect())
}

/// The type with list items never seen (only empty lists) read as text.
fn known_items(t: DataType) -> DataType {
    match t {
        DataType::Null => DataType::String,
        DataType::List(item) => DataType::List(Box::new(known_items(*item))),
        other => other,
    }
}

/// `Some(None)` for JSON null, `None` for a nested object. The strings `"NaN"`, `"inf"`
/// and `"-inf"` are floats: the JSON sinks write non-finite floats that way.
fn json_type(value: &serde_json::Value) -> Option<Option<DataType>> {
    use serde_json::Value;
    Some(Some(match value {
        Value::Null => return Some(None),
        Value::Bool(_) => DataType::Bool,
        Value::Number(n) if n.is_i64() => DataType::Int64,
        Value::Number(_) => DataType::Float64,
        Value::String(s) if matches!(s.as_str(), "NaN" | "inf" | "-inf") => DataType::Float64,
        Value::String(s) if parse_iso_date(s).is_some() => DataType::Date,
        Value::String(s) if parse_iso_timestamp(s).is_some() => DataType::Timestamp,
        Value::String(_) => DataType::String,
        Value::Array(items) => {
            let mut item = DataType::Null;
            for v in items {
                if let Some(t) = json_type(v)? {
                    item = widen(&item, &t);
                }
            }
            // An empty list says nothing of its items: `list<null>` widens to the
            // next list seen, and to `list<string>` if no other is ever seen.
            DataType::List(Box::new(item))
        }
        Value::Object(_) => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn columns_in_order_of_appearance_with_missing_keys_nullable() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            r#"{{"id": 570306133677760513, "x": 1, "when": "2015-02-24", "tags": ["a"]}}"#
        )
        .unwrap();
        writeln!(file, r#"{{"id": 2, "x": 1.5, "extra": true, "tags": []}}"#).unwrap();
        let schema = infer(file.path(), None).unwrap();
        assert_eq!(
            schema.to_string(),
            "(id: int64, x: float64, `when`: date?, tags: list<string>, extra: bool?)"
        );
    }

    #[test]
    fn empty_lists_take_the_type_of_the_others() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, r#"{{"l": [1, 2], "e": [], "n": [[]], "f": "NaN"}}"#).unwrap();
        writeln!(file, r#"{{"l": [], "e": [], "n": [[1.5]], "f": 2.5}}"#).unwrap();
        let schema = infer(file.path(), None).unwrap();
        assert_eq!(
            schema.to_string(),
            "(l: list<int64>, e: list<string>, n: list<list<float64>>, f: float64)"
        );
    }

    #[test]
    fn invalid_json_names_the_line() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, r#"{{"a": 1}}"#).unwrap();
        writeln!(file, r#"{{"a": "#).unwrap();
        let err = infer(file.path(), None).unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
