//! Parquet output, encoded in parallel: the rows are cut into row groups (of
//! `row_group_rows`, by default Parquet's 1 Mi rows), a window of row groups is encoded
//! at once — every column chunk of every row group in the window on its own task — and
//! the chunks are appended to the file in order, so the file is the one a single
//! writer makes (with the Arrow schema in its metadata) while memory holds one window
//! of encoded row groups.

use crate::error::RunResult;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowLeafColumn, compute_leaves};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use std::io::Write;

/// Writes `batches` (rows in order) as a Parquet file with `props`.
pub fn write<W: Write + Send>(
    out: W,
    schema: &SchemaRef,
    batches: impl Iterator<Item = RunResult<RecordBatch>>,
    props: WriterProperties,
) -> RunResult<()> {
    let group_rows = props
        .max_row_group_row_count()
        .unwrap_or(parquet::file::properties::DEFAULT_MAX_ROW_GROUP_ROW_COUNT)
        .max(1);
    let writer = ArrowWriter::try_new(out, schema.clone(), Some(props))?;
    let (mut file, factory) = writer.into_serialized_writer()?;
    let mut groups = row_groups(batches, group_rows);
    let window = rayon::current_num_threads().max(1);
    let mut index = 0;
    loop {
        let mut chunk_of_groups = Vec::with_capacity(window);
        for _ in 0..window {
            match groups.next() {
                Some(g) => chunk_of_groups.push(g?),
                None => break,
            }
        }
        if chunk_of_groups.is_empty() {
            break;
        }
        let encoded: Vec<Vec<ArrowColumnChunk>> = chunk_of_groups
            .par_iter()
            .enumerate()
            .map(|(i, slices)| {
                let writers = factory.create_column_writers(index + i)?;
                // Each writer is one leaf column; its leaves from every slice, in order.
                let mut leaves: Vec<Vec<ArrowLeafColumn>> =
                    writers.iter().map(|_| Vec::new()).collect();
                for slice in slices {
                    let mut k = 0;
                    for (field, column) in schema.fields().iter().zip(slice.columns()) {
                        for leaf in compute_leaves(field, column)? {
                            if let Some(l) = leaves.get_mut(k) {
                                l.push(leaf);
                            }
                            k += 1;
                        }
                    }
                }
                writers
                    .into_par_iter()
                    .zip(leaves)
                    .map(|(mut w, leaves)| {
                        for leaf in &leaves {
                            w.write(leaf)?;
                        }
                        w.close()
                    })
                    .collect::<Result<Vec<_>, ParquetError>>()
            })
            .collect::<Result<_, ParquetError>>()?;
        for chunks in encoded {
            let mut group = file.next_row_group()?;
            for chunk in chunks {
                chunk.append_to_row_group(&mut group)?;
            }
            group.close()?;
        }
        index += chunk_of_groups.len();
    }
    file.close()?;
    Ok(())
}

/// The rows cut into row groups of `rows` rows (slices of the batches, no copies),
/// each made when asked for, so only the groups being encoded are held.
fn row_groups(
    batches: impl Iterator<Item = RunResult<RecordBatch>>,
    rows: usize,
) -> impl Iterator<Item = RunResult<Vec<RecordBatch>>> {
    let mut pieces = super::csv_sink::slices(batches, rows);
    let mut carry: Option<RecordBatch> = None;
    std::iter::from_fn(move || {
        let mut group = Vec::new();
        let mut room = rows;
        while room > 0 {
            let next = match carry.take() {
                Some(b) => b,
                None => match pieces.next() {
                    Some(Ok(b)) => b,
                    Some(Err(e)) => return Some(Err(e)),
                    None => break,
                },
            };
            if next.num_rows() > room {
                group.push(next.slice(0, room));
                carry = Some(next.slice(room, next.num_rows() - room));
                room = 0;
            } else {
                room -= next.num_rows();
                group.push(next);
            }
        }
        (!group.is_empty()).then_some(Ok(group))
    })
}
