//! LIBSVM text, Spark MLlib's native format: per line a label and the non-zero features
//! as `index:value` pairs, indices 1-based and increasing (`1 3:0.5 10:2`). Text after a
//! `#` and blank lines are skipped. Each row becomes a `label` and a `features` list of
//! the vector's width: `num_features` when given, else the largest index in the file
//! (Spark's rule). A line that does not parse follows the source's mode (a row of nulls,
//! dropped, or an error at its line and column), and is counted.

use super::csv::{BadRow, ParseMode, ScanStats};
use crate::error::{DataLocation, RunError, RunResult};
use arrow::array::{ArrayRef, Float64Array, Float64Builder, ListBuilder, RecordBatch};
use arrow::datatypes::SchemaRef;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Rows per batch.
const BATCH_ROWS: usize = 8192;

/// The most features a vector may have (its rows are dense in memory).
pub const MAX_FEATURES: usize = 1 << 24;

/// One parsed line: its label and its (0-based index, value) pairs.
type Parsed = (f64, Vec<(usize, f64)>);

/// Why a line does not parse, and at which byte of it.
struct LineError {
    column: usize,
    reason: String,
}

fn parse_line(text: &str, num_features: Option<usize>) -> Result<Parsed, LineError> {
    let mut fields = text.split_ascii_whitespace().map(|f| {
        let column = f.as_ptr() as usize - text.as_ptr() as usize + 1;
        (column, f)
    });
    let Some((column, label)) = fields.next() else {
        return Err(LineError {
            column: 1,
            reason: "an empty line".into(),
        });
    };
    let label: f64 = label.parse().map_err(|_| LineError {
        column,
        reason: format!("the label `{label}` is not a number"),
    })?;
    let mut pairs = Vec::new();
    let mut last = 0usize;
    for (column, field) in fields {
        let bad = |reason: String| LineError { column, reason };
        let (index, value) = field
            .split_once(':')
            .ok_or_else(|| bad(format!("`{field}` is not `index:value`")))?;
        let index: usize = index
            .parse()
            .map_err(|_| bad(format!("the index `{index}` is not a positive integer")))?;
        if index == 0 {
            return Err(bad("indices start at 1".into()));
        }
        if index <= last {
            return Err(bad(format!(
                "index {index} does not come after {last}: indices must increase"
            )));
        }
        if let Some(n) = num_features
            && index > n
        {
            return Err(bad(format!("index {index} is past num_features = {n}")));
        }
        if index > MAX_FEATURES {
            return Err(bad(format!(
                "index {index} is past the most features a vector may have ({MAX_FEATURES})"
            )));
        }
        let value: f64 = value
            .parse()
            .map_err(|_| bad(format!("the value `{value}` is not a number")))?;
        last = index;
        pairs.push((index - 1, value));
    }
    Ok((label, pairs))
}

/// Reads a whole LIBSVM file into batches of `schema` (`label`, `features`, or the one
/// of them requested).
pub fn read(
    path: &Path,
    bytes: &[u8],
    schema: SchemaRef,
    num_features: Option<usize>,
    mode: ParseMode,
    stats: &ScanStats,
    bad_rows: &mut Vec<BadRow>,
) -> RunResult<Vec<RecordBatch>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        RunError::new(format!("`{}` is not UTF-8 text: {e}", path.display()))
            .with_help("a LIBSVM file is text: `label index:value ...` per line")
    })?;
    let mut rows: Vec<Option<Parsed>> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line, num_features) {
            Ok(p) => rows.push(Some(p)),
            Err(e) => {
                stats.bad_rows.fetch_add(1, Ordering::Relaxed);
                let location = DataLocation {
                    file: path.display().to_string(),
                    line: i as u64 + 1,
                    column: Some(e.column as u64),
                };
                match mode {
                    ParseMode::FailFast => {
                        return Err(RunError::new(format!("bad row: {}", e.reason))
                            .at(location)
                            .with_help("fix the line, or read the file with mode = \"permissive\" (a bad line becomes a row of nulls) or \"drop_malformed\" (bad lines are dropped)"));
                    }
                    ParseMode::DropMalformed => {}
                    ParseMode::Permissive => rows.push(None),
                }
                bad_rows.push(BadRow {
                    line: i as u64 + 1,
                    text: raw.trim_end_matches('\r').to_string(),
                    reason: e.reason,
                });
            }
        }
    }
    let width = num_features.unwrap_or_else(|| {
        rows.iter()
            .flatten()
            .filter_map(|(_, pairs)| pairs.last().map(|(i, _)| i + 1))
            .max()
            .unwrap_or(0)
    });
    let mut out = Vec::new();
    for chunk in rows.chunks(BATCH_ROWS) {
        let labels: Float64Array = chunk.iter().map(|r| r.as_ref().map(|(l, _)| *l)).collect();
        let mut vectors = ListBuilder::new(Float64Builder::with_capacity(chunk.len() * width));
        let mut dense = vec![0.0; width];
        for row in chunk {
            match row {
                Some((_, pairs)) => {
                    dense.iter_mut().for_each(|x| *x = 0.0);
                    for &(i, v) in pairs {
                        dense[i] = v;
                    }
                    vectors.values().append_slice(&dense);
                    vectors.append(true);
                }
                None => vectors.append(false),
            }
        }
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| -> ArrayRef {
                if f.name() == "label" {
                    Arc::new(labels.clone())
                } else {
                    Arc::new(vectors.finish_cloned())
                }
            })
            .collect();
        out.push(RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(chunk.len())),
        )?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_their_mistakes_located() {
        assert_eq!(
            parse_line("1 3:0.5 10:2", None).ok(),
            Some((1.0, vec![(2, 0.5), (9, 2.0)]))
        );
        assert_eq!(parse_line("-1", None).ok(), Some((-1.0, vec![])));
        let e = parse_line("1 3:0.5 2:1", None)
            .err()
            .map(|e| (e.column, e.reason));
        assert_eq!(
            e,
            Some((
                9,
                "index 2 does not come after 3: indices must increase".into()
            ))
        );
        assert!(parse_line("x 1:1", None).is_err());
        assert!(parse_line("1 0:1", None).is_err());
        assert!(parse_line("1 5:1", Some(4)).is_err());
        assert!(parse_line("1 2:y", None).is_err());
        assert!(parse_line("1 2", None).is_err());
    }
}
