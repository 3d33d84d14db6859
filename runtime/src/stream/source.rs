//! A stream's sources, asked each batch for what is new.
//!
//! A batch is planned first (`next`: which files, which counter range, which lines),
//! logged, then read (`read`) — so a batch replayed after a crash reads exactly what it
//! read the first time. What a source has consumed (`position`) is saved with each
//! committed batch.
//!
//! - `watch`: the files in the folder (or matching the glob) not read before, oldest
//!   name first. Names starting with `.` or `_` are skipped: a producer writes a file
//!   under such a name and renames it into place when it is complete (as for Spark's
//!   file source), so a half-written file is never read.
//! - `rate`: row `i` has `value = i` and `timestamp = start + i / rows_per_second`;
//!   a batch takes the rows due by now (or exactly `rows_per_batch` rows, unpaced).
//! - `socket`: connects to `host:port` and reads the lines that have arrived. A socket
//!   cannot be read twice, so its lines are kept in the checkpoint before the batch
//!   runs; lines that arrived after a crash but before the restart are lost (as with
//!   Spark's socket source, it is for tests and demos).

use crate::error::{RunError, RunResult};
use crate::io::csv::ScanStats;
use crate::partitions::Partitions;
use crate::pipeline::{Pipeline, Source};
use arrow::array::{Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::SchemaRef;
use serde_json::{Value, json};
use sluice_compiler::plan::{ConstValue, PlanOp, StreamKind};
use sluice_stdlib::Schema;
use sluice_stdlib::io::Format;
use sluice_stdlib::io::file_set::FileSet;
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One stream source of the plan.
pub struct StreamSource {
    pub name: String,
    kind: Kind,
    schema: SchemaRef,
}

enum Kind {
    Watch {
        pattern: PathBuf,
        format: Format,
        options: Vec<(String, ConstValue)>,
        file_schema: Schema,
        seen: BTreeSet<String>,
        max_files: Option<usize>,
    },
    Rate {
        per_second: i64,
        /// When row 0 is due (µs since the epoch); set by the first batch.
        start: Option<i64>,
        next: i64,
        max_rows: Option<i64>,
        /// Exactly this many rows a batch, not paced by the clock.
        per_batch: Option<i64>,
    },
    Socket {
        address: String,
        format: Option<Format>,
        options: Vec<(String, ConstValue)>,
        file_schema: Schema,
        reader: Option<std::io::BufReader<std::net::TcpStream>>,
        pending: Vec<String>,
        /// The start of a line whose end has not arrived.
        partial: String,
        max_rows: Option<i64>,
        /// Where lines are kept before their batch runs.
        spool: PathBuf,
    },
    /// The pipeline's `progress` relation: filled by the driver.
    Progress,
}

fn option_int(options: &[(String, ConstValue)], name: &str) -> Option<i64> {
    options.iter().find_map(|(k, v)| match (k.as_str(), v) {
        (n, ConstValue::Int(i)) if n == name => Some(*i),
        _ => None,
    })
}

impl StreamSource {
    /// The source of a `StreamScan` node; `base` is where relative paths start, `spool`
    /// where a socket's lines are kept.
    pub fn of(
        op: &PlanOp,
        schema: SchemaRef,
        base: Option<&Path>,
        spool: PathBuf,
    ) -> RunResult<StreamSource> {
        let PlanOp::StreamScan {
            source,
            kind,
            path,
            format,
            options,
            file_schema,
        } = op
        else {
            return Err(RunError::new("internal error: not a stream source"));
        };
        let kind = match kind {
            StreamKind::Watch => Kind::Watch {
                pattern: base.map_or_else(|| PathBuf::from(path), |b| b.join(path)),
                format: format.unwrap_or(Format::Csv),
                options: options.clone(),
                file_schema: file_schema.clone(),
                seen: BTreeSet::new(),
                max_files: option_int(options, "max_files_per_batch").map(|n| n as usize),
            },
            StreamKind::Rate => Kind::Rate {
                per_second: option_int(options, "rows_per_second").unwrap_or(1).max(1),
                start: None,
                next: 0,
                max_rows: option_int(options, "max_rows_per_batch"),
                per_batch: option_int(options, "rows_per_batch"),
            },
            StreamKind::Socket => Kind::Socket {
                address: path.clone(),
                format: *format,
                options: options.clone(),
                file_schema: file_schema.clone(),
                reader: None,
                pending: Vec::new(),
                partial: String::new(),
                max_rows: option_int(options, "max_rows_per_batch"),
                spool,
            },
            StreamKind::Progress => Kind::Progress,
            StreamKind::Kafka => {
                return Err(RunError::new(
                    "kafka streams are not supported by this build",
                ));
            }
        };
        Ok(StreamSource {
            name: source.clone(),
            kind,
            schema,
        })
    }

    pub fn is_progress(&self) -> bool {
        matches!(self.kind, Kind::Progress)
    }

    /// What the next batch reads (`None`: nothing new). For a socket, the lines are
    /// taken off the connection now and kept in the spool file.
    pub fn next(&mut self, batch: u64, now_us: i64) -> RunResult<Option<Value>> {
        match &mut self.kind {
            Kind::Watch {
                pattern,
                seen,
                max_files,
                ..
            } => {
                let mut new: Vec<String> = list_files(pattern)?
                    .into_iter()
                    .filter(|f| !seen.contains(f))
                    .collect();
                new.sort();
                if let Some(m) = max_files {
                    new.truncate(*m);
                }
                Ok((!new.is_empty()).then(|| json!({ "files": new })))
            }
            Kind::Rate {
                per_second,
                start,
                next,
                max_rows,
                per_batch,
            } => {
                let start = *start.get_or_insert(now_us);
                let due = ((now_us - start) as i128 * *per_second as i128 / 1_000_000) as i64 + 1;
                let mut end = match per_batch {
                    Some(n) => *next + *n,
                    None => due.max(*next),
                };
                if let Some(m) = max_rows {
                    end = end.min(*next + *m);
                }
                Ok((end > *next).then(|| json!({ "start": start, "from": *next, "to": end })))
            }
            Kind::Socket {
                address,
                reader,
                pending,
                partial,
                max_rows,
                spool,
                ..
            } => {
                read_lines(address, reader, pending, partial)?;
                if pending.is_empty() {
                    return Ok(None);
                }
                let take = max_rows.map_or(pending.len(), |m| (m as usize).min(pending.len()));
                let lines: Vec<String> = pending.drain(..take).collect();
                std::fs::create_dir_all(spool.as_path()).map_err(|e| {
                    RunError::new(format!(
                        "cannot write the checkpoint `{}`: {e}",
                        spool.display()
                    ))
                })?;
                let file = spool.join(format!("socket-{batch:06}.txt"));
                let mut text = lines.join("\n");
                text.push('\n');
                crate::stream::checkpoint::write_atomically(&file, text.as_bytes())?;
                Ok(Some(
                    json!({ "spool": file.display().to_string(), "lines": lines.len() }),
                ))
            }
            Kind::Progress => Ok(None),
        }
    }

    /// Reads what `range` (from [`StreamSource::next`], maybe logged by a run before)
    /// names, and marks it consumed.
    pub fn read(&mut self, range: &Value, base: Option<&Path>) -> RunResult<Partitions> {
        let schema = self.schema.clone();
        match &mut self.kind {
            Kind::Watch {
                format,
                options,
                file_schema,
                seen,
                ..
            } => {
                let files: Vec<String> = range["files"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let data = read_files(&files, *format, options, file_schema, schema, base)?;
                seen.extend(files);
                Ok(data)
            }
            Kind::Rate {
                start,
                next,
                per_second,
                ..
            } => {
                let (Some(s), Some(from), Some(to)) = (
                    range["start"].as_i64(),
                    range["from"].as_i64(),
                    range["to"].as_i64(),
                ) else {
                    return Err(damaged());
                };
                *start = Some(s);
                *next = to;
                let values: Vec<i64> = (from..to).collect();
                let times: TimestampMicrosecondArray = values
                    .iter()
                    .map(|&i| {
                        let offset = match i.checked_mul(1_000_000) {
                            Some(us) => us / *per_second,
                            None => (i as i128 * 1_000_000 / *per_second as i128) as i64,
                        };
                        Some(s + offset)
                    })
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC");
                let batch = RecordBatch::try_new(
                    schema.clone(),
                    vec![Arc::new(times), Arc::new(Int64Array::from(values))],
                )?;
                Ok(Partitions::in_pieces(
                    schema,
                    vec![batch],
                    crate::partitions::PIECE_ROWS,
                ))
            }
            Kind::Socket {
                format,
                options,
                file_schema,
                ..
            } => {
                let spool = range["spool"].as_str().ok_or_else(damaged)?;
                match format {
                    None => {
                        let text = std::fs::read_to_string(spool).map_err(|e| {
                            RunError::new(format!("cannot read the checkpoint's `{spool}`: {e}"))
                        })?;
                        let lines = StringArray::from_iter_values(text.lines());
                        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(lines)])?;
                        Ok(Partitions::new(schema, vec![vec![batch]]))
                    }
                    Some(f) => {
                        read_files(&[spool.to_string()], *f, options, file_schema, schema, None)
                    }
                }
            }
            Kind::Progress => Ok(Partitions::new(schema, vec![])),
        }
    }

    /// What the source has consumed, saved with a committed batch.
    pub fn position(&self) -> Value {
        match &self.kind {
            Kind::Watch { seen, .. } => json!({ "seen": seen }),
            Kind::Rate { start, next, .. } => json!({ "start": start, "next": next }),
            Kind::Socket { .. } | Kind::Progress => Value::Null,
        }
    }

    /// Restores what a committed batch had consumed.
    pub fn restore(&mut self, position: &Value) {
        match &mut self.kind {
            Kind::Watch { seen, .. } => {
                if let Some(files) = position["seen"].as_array() {
                    seen.extend(files.iter().filter_map(|f| f.as_str().map(String::from)));
                }
            }
            Kind::Rate { start, next, .. } => {
                *start = position["start"].as_i64();
                *next = position["next"].as_i64().unwrap_or(0);
            }
            Kind::Socket { .. } | Kind::Progress => {}
        }
    }
}

fn damaged() -> RunError {
    RunError::new("the checkpoint's offset log is damaged").with_help(
        "remove the checkpoint folder to start the stream over (outputs already written stay)",
    )
}

/// The visible files of a watched folder or glob, as paths.
fn list_files(pattern: &Path) -> RunResult<Vec<String>> {
    if pattern.is_dir() {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(pattern).map_err(|e| {
            RunError::new(format!(
                "cannot list the watched folder `{}`: {e}",
                pattern.display()
            ))
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name.starts_with('_') || !entry.path().is_file() {
                continue;
            }
            out.push(entry.path().display().to_string());
        }
        return Ok(out);
    }
    match FileSet::expand(pattern, false) {
        Ok(set) => Ok(set.files.iter().map(|f| f.display().to_string()).collect()),
        // A glob that matches nothing yet is a stream with nothing new.
        Err(_) if !pattern.exists() => Ok(Vec::new()),
        Err(e) => Err(RunError::new(e.message)),
    }
}

/// Reads whole files with the batch reader of their format.
fn read_files(
    files: &[String],
    format: Format,
    options: &[(String, ConstValue)],
    file_schema: &Schema,
    schema: SchemaRef,
    base: Option<&Path>,
) -> RunResult<Partitions> {
    if files.is_empty() {
        return Ok(Partitions::new(schema, vec![]));
    }
    let set = FileSet {
        files: files.iter().map(PathBuf::from).collect(),
        keys: Vec::new(),
        values: vec![Vec::new(); files.len()],
    };
    let columns: Vec<String> = file_schema.names().map(String::from).collect();
    let reader_options: Vec<(String, ConstValue)> = options
        .iter()
        .filter(|(k, _)| !super::checkpoint::TRIGGER_NAMES.contains(&k.as_str()))
        .cloned()
        .collect();
    let many = crate::io::many_files::ManyFiles::open(
        &set,
        &crate::io::many_files::ManyRead {
            format,
            options: &reader_options,
            file_schema,
            path_columns: &[],
            columns: &columns,
            filters: &[],
            stats: Arc::new(ScanStats::default()),
            bad_rows: Arc::new(Mutex::new(Vec::new())),
            morsel_bytes: crate::io::csv::MORSEL_BYTES,
            base_dir: base,
        },
    )?;
    Pipeline {
        source: Source::Files(Arc::new(many)),
        ops: Vec::new(),
        schema,
        counter: None,
    }
    .collect()
}

/// Takes the complete lines that have arrived on the socket (connecting first).
fn read_lines(
    address: &str,
    reader: &mut Option<std::io::BufReader<std::net::TcpStream>>,
    pending: &mut Vec<String>,
    partial: &mut String,
) -> RunResult<()> {
    if reader.is_none() {
        let stream = std::net::TcpStream::connect(address).map_err(|e| {
            RunError::new(format!("cannot connect to the socket `{address}`: {e}"))
                .with_help("start the server first (`nc -lk PORT`), or check the address")
        })?;
        stream
            .set_read_timeout(Some(std::time::Duration::from_millis(20)))
            .map_err(|e| RunError::new(format!("socket `{address}`: {e}")))?;
        *reader = Some(std::io::BufReader::new(stream));
    }
    let Some(r) = reader.as_mut() else {
        return Ok(());
    };
    loop {
        let mut bytes = Vec::new();
        let result = r.read_until(b'\n', &mut bytes);
        partial.push_str(&String::from_utf8_lossy(&bytes));
        match result {
            Ok(0) => break,
            Ok(_) if partial.ends_with('\n') => {
                let line = partial.trim_end_matches(['\n', '\r']).to_string();
                partial.clear();
                pending.push(line);
            }
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => return Err(RunError::new(format!("socket `{address}`: {e}"))),
        }
    }
    Ok(())
}
