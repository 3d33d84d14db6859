//! Sinks. Every file sink writes to a temporary file next to its target, staged in the
//! run's [`Outputs`], which moves all of them into place together when the run has
//! written everything (see [`super::commit`]). Parent folders are created.

use super::commit::Outputs;
use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use crate::relation::Relation;
use arrow::array::Array;
use sluice_compiler::plan::ConstValue;
use sluice_stdlib::io::Format;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

fn option<'a>(options: &'a [(String, ConstValue)], name: &str) -> Option<&'a ConstValue> {
    options.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// Writes `data` (the rows of `relation`) to `path` in `format`; returns the rows
/// written. A console sink prints the relation's name above its table.
pub fn write(
    format: Format,
    path: Option<&str>,
    options: &[(String, ConstValue)],
    data: &Relation,
    relation: &str,
    outputs: &mut Outputs,
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
        print_console(&label, data, rows as usize, limit)?;
        return Ok(rows);
    };
    if super::folder_sink::writes_folder(options) {
        return super::folder_sink::write(format, Path::new(path), options, data, outputs);
    }
    if super::folder_sink::save_mode(options) == super::commit::SaveMode::ErrorIfExists {
        super::commit::refuse_existing(Path::new(path))?;
    }
    let tmp = outputs.stage(Path::new(path))?;
    write_file(format, &tmp, options, data).map_err(|e| write_error(path, e.as_ref()))?;
    Ok(rows)
}

/// A writer's error as the user sees it: the target named, and what to do about a full
/// disk.
pub(crate) fn write_error(path: &str, e: &dyn std::error::Error) -> RunError {
    let full = e.to_string().contains("No space left");
    let e = RunError::new(format!("cannot write `{path}`: {e}"));
    if full {
        e.with_help("the disk is full: free space there, or write elsewhere; the previous outputs are unchanged")
    } else {
        e
    }
}

/// Writes the file; an error is the writer's own (the caller names the target).
pub(crate) fn write_file(
    format: Format,
    tmp: &Path,
    options: &[(String, ConstValue)],
    data: &Relation,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = BufWriter::new(File::create(tmp)?);
    match format {
        Format::Csv | Format::Tsv => {
            let header = !matches!(option(options, "header"), Some(ConstValue::Bool(false)));
            let delimiter = match (option(options, "delimiter"), format) {
                (Some(ConstValue::String(d)), _) => d.as_bytes().first().copied().unwrap_or(b','),
                (_, Format::Tsv) => b'\t',
                _ => b',',
            };
            super::csv_sink::write(&mut out, data.schema(), data.batches(), header, delimiter)?;
        }
        Format::Jsonl => {
            let mut w = json_writer::<arrow::json::writer::LineDelimited>(&mut out);
            for b in data.batches() {
                w.write(&b?)?;
            }
            w.finish()?;
        }
        Format::Json => {
            let mut w = json_writer::<arrow::json::writer::JsonArray>(&mut out);
            for b in data.batches() {
                w.write(&b?)?;
            }
            w.finish()?;
            if data.num_rows() == 0 {
                out.write_all(b"[]")?;
            }
            out.write_all(b"\n")?;
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
            super::parquet_sink::write(&mut out, data.schema(), data.batches(), props)?;
        }
        Format::Arrow => {
            let mut w = arrow::ipc::writer::FileWriter::try_new(&mut out, data.schema())?;
            for b in data.batches() {
                w.write(&b?)?;
            }
            w.finish()?;
        }
        Format::Console => {}
        Format::Libsvm => {
            return Err(Box::new(RunError::new(
                "LIBSVM is a source format here; write parquet or csv instead",
            )));
        }
        Format::Model => {
            let text = model_text(&*data.load()?)?;
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    out.into_inner()
        .map_err(|e| RunError::new(format!("cannot write `{}`: {e}", tmp.display())))?
        .sync_all()?;
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
fn print_console(label: &str, data: &Relation, total: usize, limit: usize) -> RunResult<()> {
    let mut shown = Vec::new();
    let mut left = limit;
    for b in data.batches() {
        if left == 0 {
            break;
        }
        let b = b?;
        let n = b.num_rows().min(left);
        shown.push(b.slice(0, n));
        left -= n;
    }
    let table = arrow::util::pretty::pretty_format_batches(&shown)?;
    let mut text = format!("{label}\n{table}\n");
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
