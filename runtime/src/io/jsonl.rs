//! JSON lines with the source's `mode`, as CSV has it: a line that does not decode to a
//! row of the schema (not JSON, a value of another type, a missing required field) is
//! a bad row at `file:line`: `permissive` keeps it as a row of nulls, `drop_malformed`
//! drops it, both count it (and `bad_rows` keeps it); `fail_fast` stops there.
//!
//! Lines are decoded a chunk at a time by Arrow's decoder; only a chunk that fails is
//! decoded again line by line to find its bad lines, so good files pay nothing.

use super::csv::{BadRow, ParseMode, ScanStats};
use crate::error::{DataLocation, RunError, RunResult};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::json::reader::Decoder;
use std::path::Path;
use std::sync::atomic::Ordering;

/// Lines decoded together before a failure is looked for line by line.
const CHUNK_LINES: usize = 4096;

/// Reads `bytes` (a whole JSON-lines file) into batches of `schema`.
pub fn read(
    path: &Path,
    bytes: &[u8],
    schema: SchemaRef,
    mode: ParseMode,
    stats: &ScanStats,
    bad_rows: &mut Vec<BadRow>,
) -> RunResult<Vec<RecordBatch>> {
    let decoder = || {
        arrow::json::ReaderBuilder::new(schema.clone())
            .build_decoder()
            .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", path.display())))
    };
    // Each non-blank line: its number and its byte range.
    let mut lines: Vec<(u64, usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if !line.trim_ascii().is_empty() {
            lines.push((i as u64 + 1, start, start + line.len()));
        }
        start += line.len() + 1;
    }
    let mut out = Vec::new();
    for chunk in lines.chunks(CHUNK_LINES) {
        // A chunk's lines are one range of the file (blank lines between them are
        // whitespace to the decoder).
        let (first, last) = (chunk[0].1, chunk[chunk.len() - 1].2);
        if let Ok(batches) = decode(&mut decoder()?, &bytes[first..last]) {
            out.extend(batches);
            continue;
        }
        for &(line, from, to) in chunk {
            let text = &bytes[from..to];
            let mut one = decoder()?;
            let reason = match decode(&mut one, text) {
                Ok(batches) => {
                    out.extend(batches);
                    continue;
                }
                Err(e) => e.to_string(),
            };
            stats.bad_rows.fetch_add(1, Ordering::Relaxed);
            let text_lossy = String::from_utf8_lossy(text)
                .trim_end_matches('\r')
                .to_string();
            match mode {
                ParseMode::FailFast => {
                    return Err(RunError::new(format!("bad row: {reason}"))
                        .at(DataLocation {
                            file: path.display().to_string(),
                            line,
                            column: None,
                        })
                        .with_help("fix the line, or read the file with mode = \"permissive\" (a bad line becomes a row of nulls) or \"drop_malformed\" (bad lines are dropped)"));
                }
                ParseMode::DropMalformed => {}
                ParseMode::Permissive => {
                    // A row of nulls where the schema allows one; otherwise it is dropped.
                    let mut empty = decoder()?;
                    if let Ok(batches) = decode(&mut empty, b"{}") {
                        out.extend(batches);
                    }
                }
            }
            bad_rows.push(BadRow {
                line,
                text: text_lossy,
                reason,
            });
        }
    }
    Ok(out)
}

/// Decodes all of `bytes` with `decoder`, flushing whenever its batch is full.
fn decode(
    decoder: &mut Decoder,
    bytes: &[u8],
) -> Result<Vec<RecordBatch>, arrow::error::ArrowError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let consumed = decoder.decode(rest)?;
        rest = &rest[consumed..];
        if !rest.is_empty()
            && let Some(batch) = decoder.flush()?
        {
            out.push(batch);
        }
    }
    if let Some(batch) = decoder.flush()? {
        out.push(batch);
    }
    Ok(out)
}
