//! CSV and TSV schema inference from the header and a sample of records.
//!
//! The reader follows RFC 4180 (quoted fields with embedded delimiters, newlines and
//! doubled quotes; CRLF or LF), with the delimiter, the quote character (or none) and the
//! null markers configurable. Each column's type is the widest of its sampled values
//! (see [`super::value_types`]); a column with no value in the sample is a nullable
//! string, as in Spark, DuckDB and Polars. A column is non-nullable only when the whole
//! file was sampled and none of its fields was a null marker.

use super::value_types::{classify, widen};
use super::{InferError, open};
use crate::types::{DataType, Schema};
use std::io::Read;
use std::path::Path;

/// How much of a file inference reads when `infer_rows` is not given: 8 MiB.
pub const DEFAULT_SAMPLE_BYTES: u64 = 8 * 1024 * 1024;

/// The reading options that matter for inference.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
    pub header: bool,
    /// The bytes between fields: usually one (`,`), possibly more (`::`).
    pub delimiter: Vec<u8>,
    /// `None` turns quoting off (fields are split on the delimiter alone).
    pub quote: Option<u8>,
    pub nulls: Vec<String>,
    /// Rows to sample; `None` samples the first [`DEFAULT_SAMPLE_BYTES`].
    pub sample_rows: Option<u64>,
    /// Lines skipped at the start of the file, before the header.
    pub skip_rows: u64,
    /// Lines starting with this byte are comments, not records.
    pub comment: Option<u8>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: b",".to_vec(),
            quote: Some(b'"'),
            nulls: vec![String::new()],
            sample_rows: None,
            skip_rows: 0,
            comment: None,
        }
    }
}

impl CsvOptions {
    pub fn tsv() -> Self {
        CsvOptions {
            delimiter: b"\t".to_vec(),
            ..CsvOptions::default()
        }
    }
}

struct ColumnStats {
    data_type: Option<DataType>,
    saw_null: bool,
}

/// Infers the schema of a delimited text file.
pub fn infer(path: &Path, options: &CsvOptions) -> Result<Schema, InferError> {
    Ok(super::Inferred::schema(infer_columns(path, options)?))
}

/// Each column's name and type (`None` when the sample held no value of it).
pub(crate) fn infer_columns(
    path: &Path,
    options: &CsvOptions,
) -> Result<Vec<super::Inferred>, InferError> {
    let file = open(path)?;
    let byte_budget = if options.sample_rows.is_some() {
        u64::MAX
    } else {
        DEFAULT_SAMPLE_BYTES
    };
    let mut input: Box<dyn Read> = Box::new(std::io::BufReader::new(file).take(byte_budget));
    if options.skip_rows > 0 {
        input = skip_lines(input, options.skip_rows, path)?;
    }
    // The `csv` crate splits on one byte: a longer delimiter becomes the unit separator
    // (0x1F) in the sample, which only type inference reads.
    let mut sample_cut = false;
    let delimiter = match options.delimiter.as_slice() {
        [d] => *d,
        long => {
            let mut sample = Vec::new();
            input
                .read_to_end(&mut sample)
                .map_err(|e| InferError::new(format!("cannot read `{}`: {e}", path.display())))?;
            sample_cut = sample.len() as u64 >= byte_budget.saturating_sub(options.skip_rows);
            input = Box::new(std::io::Cursor::new(replace_all(&sample, long, 0x1F)));
            0x1F
        }
    };
    let mut builder = csv::ReaderBuilder::new();
    builder
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .comment(options.comment)
        .quoting(options.quote.is_some());
    if let Some(q) = options.quote {
        builder.quote(q);
    }
    let mut reader = builder.from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<ColumnStats> = Vec::new();
    let mut rows: u64 = 0;
    let mut complete = true;
    let display = path.display();

    if options.header {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                for (i, raw) in record.iter().enumerate() {
                    let name = String::from_utf8_lossy(raw)
                        .trim_end_matches('\r')
                        .to_string();
                    names.push(if name.is_empty() && i == 0 {
                        // The unnamed leading index column that pandas writes.
                        "_c0".to_string()
                    } else if name.is_empty() {
                        format!("_c{i}")
                    } else {
                        name
                    });
                }
            }
            Ok(false) => {
                return Err(InferError::new(format!(
                    "`{display}` is empty: it has no header line"
                ))
                .with_help("declare the schema, or set header = false"));
            }
            Err(e) => return Err(csv_error(path, e)),
        }
        if let Some(dup) = first_duplicate(&names) {
            return Err(InferError::new(format!(
                "`{display}` names the column `{dup}` twice in its header"
            ))
            .at_line(1)
            .with_help("declare a schema with header = false to name the columns yourself"));
        }
        columns = names
            .iter()
            .map(|_| ColumnStats {
                data_type: None,
                saw_null: false,
            })
            .collect();
    }

    loop {
        if options.sample_rows.is_some_and(|limit| rows >= limit) {
            complete = false;
            break;
        }
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // A record cut by the byte budget is not an error in the file.
                if reader.position().byte() >= byte_budget.saturating_sub(1 << 16) {
                    complete = false;
                    break;
                }
                return Err(csv_error(path, e));
            }
        }
        if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty() || f == b"\r") {
            continue; // a blank line
        }
        rows += 1;
        while columns.len() < record.len() {
            if options.header && !names.is_empty() {
                break; // extra fields on a row of a file with a header are a runtime bad row
            }
            names.push(format!("column_{}", columns.len() + 1));
            columns.push(ColumnStats {
                data_type: None,
                saw_null: rows > 1,
            });
        }
        for (i, column) in columns.iter_mut().enumerate() {
            let Some(raw) = record.get(i) else {
                column.saw_null = true;
                continue;
            };
            let raw = if i + 1 == record.len() {
                raw.strip_suffix(b"\r").unwrap_or(raw)
            } else {
                raw
            };
            if options.nulls.iter().any(|n| n.as_bytes() == raw) {
                column.saw_null = true;
                continue;
            }
            // Text is the widest type: nothing more to learn from this column's values.
            if column.data_type == Some(DataType::String) {
                continue;
            }
            let t = match std::str::from_utf8(raw) {
                Ok(text) => classify(text),
                Err(_) => DataType::String,
            };
            column.data_type = Some(match &column.data_type {
                None => t,
                Some(prev) => widen(prev, &t),
            });
        }
    }
    if reader.position().byte() >= byte_budget || sample_cut {
        complete = false;
    }
    if names.is_empty() {
        return Err(
            InferError::new(format!("`{display}` has no rows to infer a schema from"))
                .with_help("declare the schema in the pipeline file"),
        );
    }
    Ok(names
        .into_iter()
        .zip(columns)
        .map(|(name, c)| super::Inferred {
            name,
            nullable: c.saw_null || !complete || c.data_type.is_none(),
            data_type: c.data_type,
        })
        .collect())
}

/// `input` after its first `lines` lines.
fn skip_lines(input: Box<dyn Read>, lines: u64, path: &Path) -> Result<Box<dyn Read>, InferError> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(input);
    let mut line = Vec::new();
    for _ in 0..lines {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| InferError::new(format!("cannot read `{}`: {e}", path.display())))?;
        if n == 0 {
            break;
        }
    }
    Ok(Box::new(reader))
}

/// `bytes` with every `from` sequence replaced by the byte `to`.
fn replace_all(bytes: &[u8], from: &[u8], to: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(i) = memchr::memmem::find(rest, from) {
        out.extend_from_slice(&rest[..i]);
        out.push(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn csv_error(path: &Path, e: csv::Error) -> InferError {
    let line = e.position().map(|p| p.line());
    let err = InferError::new(format!("cannot read `{}`: {e}", path.display()));
    match line {
        Some(l) => err.at_line(l),
        None => err,
    }
}

fn first_duplicate(names: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .find(|n| !seen.insert(n.as_str()))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn infer_text(text: &str, options: &CsvOptions) -> Schema {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        infer(file.path(), options).unwrap()
    }

    #[test]
    fn crlf_na_and_an_empty_first_header() {
        let options = CsvOptions {
            nulls: vec!["NA".into(), String::new()],
            ..CsvOptions::default()
        };
        let schema = infer_text(
            ",y,income,ratio\r\n1,1,9120,6.38E-05\r\n2,0,NA,0.5\r\n",
            &options,
        );
        assert_eq!(
            schema.to_string(),
            "(_c0: int64, y: int64, income: int64?, ratio: float64)"
        );
    }

    #[test]
    fn quoted_newlines_and_mixed_types_widen() {
        let schema = infer_text(
            "id,text,mag,ts\n1,\"two\nlines, \"\"quoted\"\"\",6,2015-02-24 11:35:52 -0800\n2,x,5.8,\n",
            &CsvOptions::default(),
        );
        assert_eq!(
            schema.to_string(),
            "(id: int64, text: string, mag: float64, ts: timestamp?)"
        );
    }

    #[test]
    fn no_header_names_columns_and_quote_off() {
        let options = CsvOptions {
            header: false,
            quote: None,
            ..CsvOptions::tsv()
        };
        let schema = infer_text("\" an open quote\t1\nfine\t0\n", &options);
        assert_eq!(schema.to_string(), "(column_1: string, column_2: int64)");
    }

    #[test]
    fn an_all_null_column_is_a_nullable_string() {
        let schema = infer_text("a,b\n1,\n2,\n", &CsvOptions::default());
        assert_eq!(schema.to_string(), "(a: int64, b: string?)");
    }

    #[test]
    fn a_partial_sample_makes_every_column_nullable() {
        let options = CsvOptions {
            sample_rows: Some(1),
            ..CsvOptions::default()
        };
        let schema = infer_text("a\n1\n2\n", &options);
        assert_eq!(schema.to_string(), "(a: int64?)");
    }

    #[test]
    fn missing_file_says_how_to_fix_it() {
        let err = infer(Path::new("/no/such/file.csv"), &CsvOptions::default()).unwrap_err();
        assert!(err.message.contains("cannot open"));
        assert!(err.help.unwrap().contains("declare the schema"));
    }
}
