//! Readers for JSON lines, Parquet and Arrow IPC files. Columns are matched by name and
//! converted to the types the compiler settled on (declared or inferred); Parquet keeps
//! one partition per row group.
//!
//! A read asks for the columns the plan outputs and a pushed-down filter. Parquet reads
//! only the column chunks of those columns and the filter's, and skips row groups whose
//! statistics rule the filter out (see [`super::row_group_pruning`]); every format then
//! applies the filter and keeps the requested columns.

use super::csv::{BadRow, ParseMode, ScanStats};
use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use sluice_compiler::plan::TypedExpr;
use sluice_stdlib::Schema;
use sluice_stdlib::io::Format;
use sluice_stdlib::io::damaged::{damaged_message, guarded};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(crate) fn open(path: &Path) -> RunResult<File> {
    if let Some((message, help)) = sluice_stdlib::io::not_a_regular_file(path) {
        return Err(RunError::new(message).with_help(help));
    }
    File::open(path).map_err(|e| {
        RunError::new(format!("cannot open `{}`: {e}", path.display()))
            .with_help("check the path; relative paths start from the working directory")
    })
}

/// Brings a batch read from a file to the plan's schema (by name, with casts, NaNs made
/// the one NaN).
pub(crate) fn conform(
    batch: &RecordBatch,
    schema: &SchemaRef,
    path: &Path,
) -> RunResult<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let c = batch.column_by_name(f.name()).cloned().ok_or_else(|| {
                RunError::new(format!("`{}` has no column `{}`", path.display(), f.name()))
                    .with_help("the file changed since the pipeline was checked; check it again")
            })?;
            let c = if c.data_type() == f.data_type() {
                c
            } else if let (Some(text), Some(to)) = (
                c.as_any().downcast_ref::<arrow::array::StringArray>(),
                sluice_stdlib::DataType::from_arrow(f.data_type())
                    .filter(|t| !matches!(t, sluice_stdlib::DataType::List(_))),
            ) {
                // Text to a scalar type (ISO 8601 durations written by a sink): the
                // rules of the CSV reader and of `as` casts.
                super::parse_text::parse_column(text.iter(), &to)
            } else {
                cast(&c, f.data_type())?
            };
            Ok(sluice_stdlib::nan::canonical_nans(c))
        })
        .collect::<RunResult<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// What a scan wants from a file.
pub struct ReadRequest<'a> {
    /// The file's columns with the plan's types.
    pub file_schema: &'a Schema,
    /// The columns to return, in file order.
    pub columns: &'a [String],
    /// Rows for which this is not true are dropped.
    pub filter: Option<&'a TypedExpr>,
    /// Rows and bytes read are added here.
    pub stats: &'a ScanStats,
    /// What a bad row (JSON lines) becomes.
    pub mode: ParseMode,
    /// Bad rows are added here.
    pub bad_rows: &'a std::sync::Mutex<Vec<BadRow>>,
    /// LIBSVM: the vectors' width (`None`: the largest index in the file).
    pub num_features: Option<usize>,
}

impl ReadRequest<'_> {
    /// The columns to read: the requested ones and the filter's, in file order.
    fn read_schema(&self) -> Schema {
        let mut wanted: Vec<String> = self.columns.to_vec();
        if let Some(f) = self.filter {
            f.columns(&mut wanted);
        }
        Schema::new(
            self.file_schema
                .fields
                .iter()
                .filter(|f| wanted.contains(&f.name))
                .cloned()
                .collect(),
        )
    }

    /// Filters a batch read with [`Self::read_schema`] and keeps the requested columns.
    fn finish(&self, batch: RecordBatch, out: &SchemaRef) -> RunResult<RecordBatch> {
        finish_batch(batch, self.filter, self.stats, out)
    }

    /// The schema of the columns read, and of those returned, for the engine.
    pub fn schemas(&self) -> (SchemaRef, SchemaRef) {
        let out = Arc::new(crate::arrow_schema(&Schema::new(
            self.file_schema
                .fields
                .iter()
                .filter(|f| self.columns.contains(&f.name))
                .cloned()
                .collect(),
        )));
        (Arc::new(crate::arrow_schema(&self.read_schema())), out)
    }
}

/// Counts a batch read, applies the pushed-down filter and keeps the columns of `out`.
pub(crate) fn finish_batch(
    batch: RecordBatch,
    filter: Option<&TypedExpr>,
    stats: &ScanStats,
    out: &SchemaRef,
) -> RunResult<RecordBatch> {
    stats
        .rows
        .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
    let batch = match filter {
        Some(f) => {
            let mask = crate::expr::evaluate(f, &batch)?;
            let mask = mask
                .as_any()
                .downcast_ref::<arrow::array::BooleanArray>()
                .ok_or_else(|| RunError::new("internal error: a filter is not bool"))?;
            arrow::compute::filter_record_batch(&batch, mask)?
        }
        None => batch,
    };
    let columns =
        out.fields()
            .iter()
            .map(|f| {
                batch.column_by_name(f.name()).cloned().ok_or_else(|| {
                    RunError::new(format!("internal error: no column `{}`", f.name()))
                })
            })
            .collect::<RunResult<Vec<_>>>()?;
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        out.clone(),
        columns,
        &options,
    )?)
}

/// Feeds each batch a decoder yields to `take`. The decoder runs guarded: a panic on a
/// damaged file, like a decoding error, is an error naming the file.
fn for_each_batch<E: std::fmt::Display>(
    path: &Path,
    format: &str,
    mut batches: impl Iterator<Item = Result<RecordBatch, E>>,
    mut take: impl FnMut(RecordBatch) -> RunResult<()>,
) -> RunResult<()> {
    loop {
        let next = guarded(|| batches.next())
            .map_err(|detail| RunError::new(damaged_message(path, format, &detail)))?;
        match next {
            None => return Ok(()),
            Some(Ok(batch)) => take(batch)?,
            Some(Err(e)) => {
                return Err(RunError::new(damaged_message(path, format, &e.to_string())));
            }
        }
    }
}

/// Whether an Arrow IPC source is a *file* (it starts with the magic `ARROW1`) or a
/// stream, read from the open file, which is handed back rewound. A stream must end
/// with the end-of-stream marker (a continuation marker and a zero length): one cut at
/// a message boundary has none, and reading it would silently give fewer rows.
fn arrow_layout(mut file: File, path: &Path) -> RunResult<(File, bool)> {
    use std::io::{Read, Seek, SeekFrom};
    const MAGIC: &[u8; 6] = b"ARROW1";
    const END: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];
    let io = |e: std::io::Error| RunError::new(format!("cannot read `{}`: {e}", path.display()));
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 6];
    let is_file = len >= 6 && file.read_exact(&mut head).is_ok() && &head == MAGIC;
    if !is_file {
        let mut tail = [0u8; 8];
        let complete = len >= 8
            && file.seek(SeekFrom::Start(len - 8)).is_ok()
            && file.read_exact(&mut tail).is_ok()
            && tail == END;
        if !complete {
            return Err(RunError::new(format!(
                "`{}` ends without the Arrow stream's end-of-stream marker: the stream was cut short (or its writer never finished it)",
                path.display()
            ))
            .with_help("write the file again; a writer must be finished (closed) for the stream to be complete"));
        }
    }
    check_arrow_lengths(&mut file, len, is_file)
        .map_err(|detail| RunError::new(damaged_message(path, "Arrow IPC", &detail)))?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok((file, is_file))
}

/// Whether an Arrow IPC *file* declares only lengths inside itself (see
/// [`check_arrow_lengths`]), for callers that open it with Arrow's reader directly.
pub(crate) fn arrow_file_lengths_fit(file: &mut File) -> bool {
    let len = file.metadata().map_or(0, |m| m.len());
    check_arrow_lengths(file, len, true).is_ok()
}

/// Checks every length an Arrow IPC file (its footer's blocks) or stream (each message's
/// metadata and body) declares against the file's size: a damaged length can then
/// neither make the decoder allocate gigabytes for a small file nor read past its end.
fn check_arrow_lengths(file: &mut File, len: u64, is_file: bool) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let fits = |offset: i64, size: i64| {
        offset >= 0
            && size >= 0
            && (offset as u64)
                .checked_add(size as u64)
                .is_some_and(|end| end <= len)
    };
    let mut read_at = |at: u64, n: usize| -> Result<Vec<u8>, String> {
        let mut bytes = vec![0u8; n];
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    };
    let i32_at = |b: &[u8]| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64;
    if is_file {
        if len < 16 {
            return Err("it is too short for an Arrow file".into());
        }
        let footer_len = i32_at(&read_at(len - 10, 4)?);
        let footer_at = len as i64 - 10 - footer_len;
        if !fits(footer_at, footer_len) {
            return Err("its footer's length points outside the file".into());
        }
        let bytes = read_at(footer_at as u64, footer_len as usize)?;
        let footer = arrow::ipc::root_as_footer(&bytes).map_err(|e| e.to_string())?;
        let blocks = footer.recordBatches().into_iter().flatten();
        for b in blocks.chain(footer.dictionaries().into_iter().flatten()) {
            if !fits(b.offset(), i64::from(b.metaDataLength()) + b.bodyLength()) {
                return Err(format!(
                    "a block at byte {} claims {} bytes, past the end of the file",
                    b.offset(),
                    i64::from(b.metaDataLength()) + b.bodyLength()
                ));
            }
        }
        return Ok(());
    }
    let mut at = 0u64;
    while at + 8 <= len {
        let prefix = read_at(at, 8)?;
        let (meta_len, meta_at) = if prefix[..4] == [0xFF; 4] {
            (i32_at(&prefix[4..]), at + 8)
        } else {
            (i32_at(&prefix), at + 4)
        };
        if meta_len == 0 {
            return Ok(());
        }
        if !fits(meta_at as i64, meta_len) {
            return Err(format!(
                "a message at byte {at} claims metadata past the end of the file"
            ));
        }
        let meta = read_at(meta_at, meta_len as usize)?;
        let message = arrow::ipc::root_as_message(&meta).map_err(|e| e.to_string())?;
        let body_at = meta_at as i64 + meta_len;
        if !fits(body_at, message.bodyLength()) {
            return Err(format!(
                "a message at byte {at} claims a body of {} bytes, past the end of the file",
                message.bodyLength()
            ));
        }
        at = (body_at + message.bodyLength()) as u64;
    }
    Ok(())
}

/// Reads a whole file as the request asks; the result has the requested columns.
pub fn read(format: Format, path: &Path, request: ReadRequest<'_>) -> RunResult<Partitions> {
    let out: SchemaRef = Arc::new(crate::arrow_schema(&Schema::new(
        request
            .file_schema
            .fields
            .iter()
            .filter(|f| request.columns.contains(&f.name))
            .cloned()
            .collect(),
    )));
    let schema: SchemaRef = Arc::new(crate::arrow_schema(&request.read_schema()));
    let file = open(path)?;
    if let Ok(meta) = file.metadata()
        && format != Format::Parquet
    {
        request.stats.bytes.fetch_add(meta.len(), Ordering::Relaxed);
    }
    let mut parts: Vec<Vec<RecordBatch>> = Vec::new();
    match format {
        Format::Parquet => {
            drop(file);
            let (read_schema, out) = request.schemas();
            let stats = Arc::new(ScanStats::default());
            let scan = super::parquet_scan::ParquetScan::open(
                path,
                read_schema,
                out,
                request.filter.cloned(),
                stats.clone(),
            )?;
            for i in 0..scan.partitions() {
                let mut part = Vec::new();
                scan.read(i, &mut |b| {
                    part.push(b);
                    Ok(())
                })?;
                parts.push(part);
            }
            for (total, this) in [
                (&request.stats.rows, &stats.rows),
                (&request.stats.bytes, &stats.bytes),
            ] {
                total.fetch_add(this.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        Format::Arrow => {
            let mut part = Vec::new();
            let damaged =
                |detail: String| RunError::new(damaged_message(path, "Arrow IPC", &detail));
            let (file, is_file) = arrow_layout(file, path)?;
            type Batches = Box<dyn Iterator<Item = Result<RecordBatch, arrow::error::ArrowError>>>;
            let reader: Batches = if is_file {
                Box::new(
                    guarded(|| arrow::ipc::reader::FileReader::try_new(file, None))
                        .map_err(damaged)?
                        .map_err(|e| damaged(e.to_string()))?,
                )
            } else {
                Box::new(
                    guarded(|| {
                        arrow::ipc::reader::StreamReader::try_new(BufReader::new(file), None)
                    })
                    .map_err(damaged)?
                    .map_err(|e| damaged(e.to_string()))?,
                )
            };
            for_each_batch(path, "Arrow IPC", reader, |b| {
                part.push(request.finish(conform(&b, &schema, path)?, &out)?);
                Ok(())
            })?;
            parts.push(part);
        }
        Format::Jsonl => {
            // Durations are written as ISO 8601 text, which Arrow's JSON reader does not
            // parse: they are read as text and converted by `conform`.
            let as_text: SchemaRef = Arc::new(arrow::datatypes::Schema::new(
                schema
                    .fields()
                    .iter()
                    .map(|f| match f.data_type() {
                        arrow::datatypes::DataType::Duration(_) => arrow::datatypes::Field::new(
                            f.name(),
                            arrow::datatypes::DataType::Utf8,
                            true,
                        ),
                        _ => f.as_ref().clone(),
                    })
                    .collect::<Vec<_>>(),
            ));
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut BufReader::new(file), &mut bytes)
                .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", path.display())))?;
            let mut bad = Vec::new();
            let batches =
                super::jsonl::read(path, &bytes, as_text, request.mode, request.stats, &mut bad);
            if let Ok(mut all) = request.bad_rows.lock() {
                all.extend(bad);
            }
            let mut part = Vec::new();
            for b in batches? {
                part.push(request.finish(conform(&b, &schema, path)?, &out)?);
            }
            parts.push(part);
        }
        Format::Libsvm => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut BufReader::new(file), &mut bytes)
                .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", path.display())))?;
            let mut bad = Vec::new();
            let batches = super::libsvm::read(
                path,
                &bytes,
                schema.clone(),
                request.num_features,
                request.mode,
                request.stats,
                &mut bad,
            );
            if let Ok(mut all) = request.bad_rows.lock() {
                all.extend(bad);
            }
            let mut part = Vec::new();
            for b in batches? {
                part.push(request.finish(b, &out)?);
            }
            parts.push(part);
        }
        other => {
            return Err(RunError::new(format!(
                "internal error: `{other}` is read by the CSV reader"
            )));
        }
    }
    Ok(Partitions::new(out, parts))
}
