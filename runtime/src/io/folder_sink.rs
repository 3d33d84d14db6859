//! Sinks that write a folder of part files: `partition_by = [k, ...]` (hive folders,
//! `k=value/`, one part file per combination of values, the key columns left out of
//! the files as Spark and Hive do), and `mode = append` (new part files beside the old
//! ones). The whole folder is staged and committed with the run's other outputs (see
//! [`super::commit`]).
//!
//! Part files are `part-00000.EXT` when the folder is replaced, and
//! `part-<run>-00000.EXT` when appended to, `<run>` being the run's start in
//! milliseconds and its process id, so that appended files never clash and sort in the
//! order they were written. A null key is the folder `k=__HIVE_DEFAULT_PARTITION__`;
//! other values are written as text with `/`, `=`, `%` and the like escaped (`%2F`).

use super::commit::{Outputs, SaveMode};
use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use crate::relation::Relation;
use arrow::array::{Array, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use indexmap::IndexMap;
use rayon::prelude::*;
use sluice_compiler::plan::ConstValue;
use sluice_stdlib::io::Format;
use sluice_stdlib::io::file_set::escape;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a partition's folder names a null value (as Spark and Hive write it).
const NULL_FOLDER: &str = "__HIVE_DEFAULT_PARTITION__";

/// Whether a sink with these options writes a folder.
pub fn writes_folder(options: &[(String, ConstValue)]) -> bool {
    partition_by(options).is_some() || save_mode(options) == SaveMode::Append
}

/// The sink's save mode (`overwrite` when not given).
pub fn save_mode(options: &[(String, ConstValue)]) -> SaveMode {
    options
        .iter()
        .find_map(|(k, v)| match (k.as_str(), v) {
            ("mode", ConstValue::String(m)) => SaveMode::from_name(m),
            _ => None,
        })
        .unwrap_or(SaveMode::Overwrite)
}

fn partition_by(options: &[(String, ConstValue)]) -> Option<Vec<String>> {
    options.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("partition_by", ConstValue::List(items)) => Some(
            items
                .iter()
                .filter_map(|i| match i {
                    ConstValue::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    })
}

pub(crate) fn extension(format: Format) -> &'static str {
    match format {
        Format::Tsv => "tsv",
        Format::Jsonl => "jsonl",
        Format::Parquet => "parquet",
        Format::Arrow => "arrow",
        _ => "csv",
    }
}

/// Writes `data` as a folder at `path`; returns the rows written.
pub fn write(
    format: Format,
    path: &Path,
    options: &[(String, ConstValue)],
    data: &Relation,
    outputs: &mut Outputs,
) -> RunResult<u64> {
    let mode = save_mode(options);
    let keys = partition_by(options).unwrap_or_default();
    let tmp = outputs.stage_folder(path, mode)?;
    let run = match mode {
        SaveMode::Append => {
            let millis = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            format!("{millis:013}-{}-", std::process::id())
        }
        _ => String::new(),
    };
    let schema = data.schema();
    let key_columns: Vec<usize> = keys
        .iter()
        .map(|k| {
            schema
                .index_of(k)
                .map_err(|_| RunError::new(format!("internal error: no partition column `{k}`")))
        })
        .collect::<RunResult<_>>()?;
    let kept: Vec<usize> = (0..schema.fields().len())
        .filter(|i| !key_columns.contains(i))
        .collect();
    let file_schema = Arc::new(schema.project(&kept)?);
    // Rows by partition, partitions in order of first appearance.
    let mut parts: IndexMap<Vec<Option<String>>, Vec<RecordBatch>> = IndexMap::new();
    let mut rows = 0u64;
    for batch in data.batches() {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        if key_columns.is_empty() {
            parts.entry(Vec::new()).or_default().push(batch);
            continue;
        }
        let options = FormatOptions::default();
        let formatters = key_columns
            .iter()
            .map(|&c| ArrayFormatter::try_new(batch.column(c).as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        let mut members: IndexMap<Vec<Option<String>>, Vec<u32>> = IndexMap::new();
        for r in 0..batch.num_rows() {
            let key: Vec<Option<String>> = key_columns
                .iter()
                .zip(&formatters)
                .map(|(&c, f)| batch.column(c).is_valid(r).then(|| f.value(r).to_string()))
                .collect();
            members.entry(key).or_default().push(r as u32);
        }
        let projected = batch.project(&kept)?;
        for (key, rows) in members {
            let picked = take_record_batch(&projected, &UInt32Array::from(rows))?;
            parts.entry(key).or_default().push(picked);
        }
    }
    if parts.is_empty() && keys.is_empty() {
        // No rows: one part file with the header or schema, as a single-file sink.
        parts.insert(Vec::new(), Vec::new());
    }
    let ext = extension(format);
    let jobs: Vec<(PathBuf, Vec<RecordBatch>)> = parts
        .into_iter()
        .map(|(key, batches)| {
            let mut folder = tmp.clone();
            for (k, v) in keys.iter().zip(&key) {
                let value = v.as_deref().map_or(NULL_FOLDER.to_string(), escape);
                folder.push(format!("{}={value}", escape(k)));
            }
            (folder.join(format!("part-{run}00000.{ext}")), batches)
        })
        .collect();
    jobs.into_par_iter()
        .map(|(file, batches)| {
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    RunError::new(format!("cannot create `{}`: {e}", parent.display()))
                })?;
            }
            let relation: Relation = Partitions::new(file_schema.clone(), vec![batches]).into();
            super::sinks::write_file(format, &file, options, &relation)
                .map_err(|e| super::sinks::write_error(&path.display().to_string(), e.as_ref()))
        })
        .collect::<RunResult<Vec<()>>>()?;
    Ok(rows)
}
