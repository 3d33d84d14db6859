//! Sinks. Every file sink writes to a temporary file next to its target and renames it
//! into place only when everything was written, so a failed run leaves the previous
//! output intact and never a half-written file. Parent folders are created.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::{Array, RecordBatch};
use sluice_compiler::plan::ConstValue;
use sluice_stdlib::io::Format;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

fn option<'a>(options: &'a [(String, ConstValue)], name: &str) -> Option<&'a ConstValue> {
    options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// The temporary name a sink writes to before renaming.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.sluice-{}.tmp", std::process::id()))
}

/// Writes `data` (the rows of `relation`) to `path` in `format`; returns the rows
/// written. A console sink prints the relation's name above its table.
pub fn write(
    format: Format,
    path: Option<&str>,
    options: &[(String, ConstValue)],
    data: &Partitions,
    relation: &str,
) -> RunResult<u64> {
    let rows = data.num_rows() as u64;
    let Some(path) = path else {
        let limit = match option(options, "limit") {
            Some(ConstValue::Int(n)) => *n as usize,
            _ => 20,
        };
        let label = format!(
            "{relation} ({rows} row{})",
            if rows == 1 { "" } else { "s" }
        );
        print_console(&label, data, limit)?;
        return Ok(rows);
    };
    let path = Path::new(path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| RunError::new(format!("cannot create `{}`: {e}", parent.display())))?;
    }
    let tmp = temporary_path(path);
    let result = write_file(format, &tmp, options, data);
    match result {
        Ok(()) => {
            std::fs::rename(&tmp, path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                RunError::new(format!(
                    "cannot move the output into `{}`: {e}",
                    path.display()
                ))
            })?;
            Ok(rows)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn create(path: &Path) -> RunResult<BufWriter<File>> {
    Ok(BufWriter::new(File::create(path).map_err(|e| {
        RunError::new(format!("cannot write `{}`: {e}", path.display()))
    })?))
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> RunError + '_ {
    move |e| RunError::new(format!("cannot write `{}`: {e}", path.display()))
}

fn write_file(
    format: Format,
    tmp: &Path,
    options: &[(String, ConstValue)],
    data: &Partitions,
) -> RunResult<()> {
    let mut out = create(tmp)?;
    match format {
        Format::Csv | Format::Tsv => {
            let header = !matches!(option(options, "header"), Some(ConstValue::Bool(false)));
            let delimiter = match (option(options, "delimiter"), format) {
                (Some(ConstValue::String(d)), _) => d.as_bytes().first().copied().unwrap_or(b','),
                (_, Format::Tsv) => b'\t',
                _ => b',',
            };
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(header)
                .with_delimiter(delimiter)
                .build(&mut out);
            if data.num_rows() == 0 && header {
                w.write(&RecordBatch::new_empty(data.schema.clone()))?;
            }
            for b in data.batches() {
                w.write(b)?;
            }
        }
        Format::Jsonl => {
            let mut w = json_writer::<arrow::json::writer::LineDelimited>(&mut out);
            for b in data.batches() {
                w.write(b)?;
            }
            w.finish()?;
        }
        Format::Json => {
            let mut w = json_writer::<arrow::json::writer::JsonArray>(&mut out);
            for b in data.batches() {
                w.write(b)?;
            }
            w.finish()?;
            if data.num_rows() == 0 {
                out.write_all(b"[]").map_err(io_error(tmp))?;
            }
            out.write_all(b"\n").map_err(io_error(tmp))?;
        }
        Format::Parquet => {
            let compression = match option(options, "compression") {
                Some(ConstValue::String(c)) if c == "zstd" => {
                    parquet::basic::Compression::ZSTD(Default::default())
                }
                Some(ConstValue::String(c)) if c == "none" => {
                    parquet::basic::Compression::UNCOMPRESSED
                }
                _ => parquet::basic::Compression::SNAPPY,
            };
            let mut props =
                parquet::file::properties::WriterProperties::builder().set_compression(compression);
            if let Some(ConstValue::Int(rows)) = option(options, "row_group_rows") {
                props = props.set_max_row_group_row_count(Some((*rows).max(1) as usize));
            }
            let props = props.build();
            let mut w =
                parquet::arrow::ArrowWriter::try_new(&mut out, data.schema.clone(), Some(props))?;
            for b in data.batches() {
                w.write(b)?;
            }
            w.close()?;
        }
        Format::Arrow => {
            let mut w = arrow::ipc::writer::FileWriter::try_new(&mut out, &data.schema)?;
            for b in data.batches() {
                w.write(b)?;
            }
            w.finish()?;
        }
        Format::Console => {}
        Format::Model => {
            let text = model_text(data)?;
            out.write_all(text.as_bytes()).map_err(io_error(tmp))?;
            out.write_all(b"\n").map_err(io_error(tmp))?;
        }
    }
    out.flush().map_err(io_error(tmp))?;
    out.into_inner()
        .map_err(|e| RunError::new(format!("cannot write `{}`: {e}", tmp.display())))?
        .sync_all()
        .map_err(io_error(tmp))?;
    Ok(())
}

/// A JSON writer that keeps NaN and infinities (see [`super::json_floats`]).
fn json_writer<F: arrow::json::writer::JsonFormat>(
    out: &mut BufWriter<File>,
) -> arrow::json::Writer<&mut BufWriter<File>, F> {
    arrow::json::WriterBuilder::new()
        .with_encoder_factory(std::sync::Arc::new(super::json_floats::FloatEncoders))
        .build::<_, F>(out)
}

/// Prints up to `limit` rows under a line naming the relation.
fn print_console(label: &str, data: &Partitions, limit: usize) -> RunResult<()> {
    let mut shown = Vec::new();
    let mut left = limit;
    for b in data.batches() {
        if left == 0 {
            break;
        }
        let n = b.num_rows().min(left);
        shown.push(b.slice(0, n));
        left -= n;
    }
    let table = arrow::util::pretty::pretty_format_batches(&shown)?;
    let mut text = format!("{label}\n{table}\n");
    let total = data.num_rows();
    if total > limit {
        text.push_str(&format!("({limit} of {total} rows shown)\n"));
    }
    // A closed standard output (`sluice run x | head`) stops the printing, not the run:
    // the other sinks are still written.
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(RunError::new(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

/// The artifact a model relation holds: its one row's `model` column.
pub fn model_text(data: &Partitions) -> RunResult<String> {
    data.batches()
        .find(|b| b.num_rows() > 0)
        .and_then(|b| b.column_by_name("model"))
        .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>())
        .filter(|c| c.is_valid(0))
        .map(|c| c.value(0).to_string())
        .ok_or_else(|| RunError::new("internal error: a model relation without its model"))
}
