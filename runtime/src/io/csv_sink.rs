//! CSV (and TSV) output, encoded in parallel: the rows are cut into slices of
//! [`SLICE_ROWS`], a window of slices is encoded to text on all threads at once, and the
//! windows' text is written in row order, so the file is the one a single writer makes
//! while memory holds only one window of text.

use crate::error::{RunError, RunResult};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use rayon::prelude::*;
use std::io::Write;

/// Rows encoded by one task.
const SLICE_ROWS: usize = 1 << 16;

/// Writes `batches` (rows in order) as CSV with `delimiter`, a header line first when
/// `header`.
pub fn write(
    out: &mut impl Write,
    schema: &SchemaRef,
    batches: impl Iterator<Item = RunResult<RecordBatch>>,
    header: bool,
    delimiter: u8,
) -> RunResult<()> {
    let builder = || {
        arrow::csv::WriterBuilder::new()
            .with_header(false)
            .with_delimiter(delimiter)
    };
    if header {
        let mut w = arrow::csv::WriterBuilder::new()
            .with_header(true)
            .with_delimiter(delimiter)
            .build(&mut *out);
        w.write(&RecordBatch::new_empty(schema.clone()))?;
    }
    let window = rayon::current_num_threads().max(1) * 2;
    let mut slices = slices(batches, SLICE_ROWS);
    loop {
        let group: Vec<RecordBatch> = slices.by_ref().take(window).collect::<RunResult<_>>()?;
        if group.is_empty() {
            return Ok(());
        }
        let texts: Vec<Vec<u8>> = group
            .par_iter()
            .map(|slice| {
                let mut text = Vec::with_capacity(slice.num_rows() * 32);
                builder().build(&mut text).write(slice)?;
                Ok(text)
            })
            .collect::<RunResult<_>>()?;
        for text in texts {
            out.write_all(&text)
                .map_err(|e| RunError::new(e.to_string()))?;
        }
    }
}

/// The batches cut into slices of at most `rows` rows (no copies).
pub fn slices(
    batches: impl Iterator<Item = RunResult<RecordBatch>>,
    rows: usize,
) -> impl Iterator<Item = RunResult<RecordBatch>> {
    batches.flat_map(move |b| {
        let pieces: Vec<RunResult<RecordBatch>> = match b {
            Ok(b) => (0..b.num_rows())
                .step_by(rows)
                .map(|start| Ok(b.slice(start, rows.min(b.num_rows() - start))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        pieces
    })
}
