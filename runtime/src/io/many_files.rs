//! A source that reads many files (a folder or a glob; see
//! `sluice_stdlib::io::file_set`) as one relation: the files in path order, each opened
//! as its own [`Source`] (so CSV morsels and Parquet row groups still run in parallel),
//! their partitions one after another.
//!
//! Columns taken from a file's path (hive partition keys, `filename`) are constants per
//! file, added to each of its batches. A pushed-down filter is split three ways: the
//! conjuncts on path columns alone are decided once per file, and a file they rule out
//! is never opened (partition pruning); those on the files' columns alone are read with
//! each file, as for one file; the others are applied after the path columns are added.
//! With `union_by_name`, each file is read by its own columns and the ones it lacks are
//! null.

use super::csv::{BadRow, ScanStats};
use super::file_scan::FileRead;
use crate::error::{RunError, RunResult};
use crate::pipeline::Source;
use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, new_null_array};
use arrow::datatypes::SchemaRef;
use rayon::prelude::*;
use sluice_compiler::plan::{ConstValue, TypedExpr};
use sluice_stdlib::io::file_set::FileSet;
use sluice_stdlib::io::{FILENAME_COLUMN, Format};
use sluice_stdlib::{Field, Schema};
use std::sync::{Arc, Mutex};

/// The files of a source, opened.
pub struct ManyFiles {
    files: Vec<OpenFile>,
    /// `starts[k]`: the first partition of file `k`; one more entry: the total.
    starts: Vec<usize>,
    /// The columns read and added (the output's and the residual filter's).
    wide: SchemaRef,
    /// The columns returned.
    out: SchemaRef,
    /// Conjuncts on both path and file columns.
    residual: Option<TypedExpr>,
}

struct OpenFile {
    source: Source,
    /// Each path column's value in this file, as a one-row array.
    path_values: Vec<(String, ArrayRef)>,
}

/// What [`ManyFiles::open`] needs besides the files.
pub struct ManyRead<'a> {
    pub format: Format,
    pub options: &'a [(String, ConstValue)],
    /// The source's columns (the files', then the path columns), with the plan's types.
    pub file_schema: &'a Schema,
    pub path_columns: &'a [String],
    /// The columns to return.
    pub columns: &'a [String],
    /// The pushed-down conjuncts.
    pub filters: &'a [TypedExpr],
    pub stats: Arc<ScanStats>,
    pub bad_rows: Arc<Mutex<Vec<BadRow>>>,
    pub morsel_bytes: u64,
    /// Where relative paths start: `filename` shows a file's path from there, as the
    /// source's path was written.
    pub base_dir: Option<&'a std::path::Path>,
}

impl ManyFiles {
    pub fn open(set: &FileSet, read: &ManyRead<'_>) -> RunResult<ManyFiles> {
        let is_path = |c: &String| read.path_columns.contains(c);
        let (mut prune, mut in_file, mut residual) = (Vec::new(), Vec::new(), Vec::new());
        for f in read.filters {
            let mut cols = Vec::new();
            f.columns(&mut cols);
            if cols.iter().all(is_path) {
                prune.push(f.clone());
            } else if !cols.iter().any(is_path) {
                in_file.push(f.clone());
            } else {
                residual.push(f.clone());
            }
        }
        let residual = sluice_compiler::optimize::conjunction(residual);
        let mut wide_names: Vec<String> = read.columns.to_vec();
        if let Some(r) = &residual {
            r.columns(&mut wide_names);
        }
        let wide_schema = Schema::new(
            read.file_schema
                .fields
                .iter()
                .filter(|f| wide_names.contains(&f.name))
                .cloned()
                .collect(),
        );
        let out_schema = Schema::new(
            read.file_schema
                .fields
                .iter()
                .filter(|f| read.columns.contains(&f.name))
                .cloned()
                .collect(),
        );
        let file_columns = Schema::new(
            read.file_schema
                .fields
                .iter()
                .filter(|f| !is_path(&f.name))
                .cloned()
                .collect(),
        );
        let by_name = read
            .options
            .iter()
            .any(|(k, v)| k == "union_by_name" && *v == ConstValue::Bool(true));
        let in_file = sluice_compiler::optimize::conjunction(in_file);
        // Decide which files to read from their path values alone.
        let mut kept = Vec::new();
        for (k, path) in set.files.iter().enumerate() {
            let shown = read
                .base_dir
                .and_then(|b| path.strip_prefix(b).ok())
                .unwrap_or(path);
            let values = path_values(set, k, shown, read.file_schema, read.path_columns);
            if keeps(&prune, &values)? {
                kept.push((path, values));
            }
        }
        let files = kept
            .into_par_iter()
            .map(|(path, path_values)| {
                let own = if by_name {
                    own_columns(read.format, path, &file_columns, read.options)?
                } else {
                    file_columns.clone()
                };
                let columns: Vec<String> = own
                    .names()
                    .filter(|n| wide_names.iter().any(|w| w == n))
                    .map(String::from)
                    .collect();
                let file = FileRead {
                    format: read.format,
                    options: read.options,
                    file_schema: &own,
                    columns: &columns,
                    filter: in_file.clone(),
                    stats: read.stats.clone(),
                    bad_rows: read.bad_rows.clone(),
                    morsel_bytes: read.morsel_bytes,
                };
                Ok(OpenFile {
                    source: file.open(path)?,
                    path_values,
                })
            })
            .collect::<RunResult<Vec<_>>>()?;
        let mut starts = vec![0];
        for f in &files {
            let last = *starts.last().unwrap_or(&0);
            starts.push(last + f.source.partition_count());
        }
        Ok(ManyFiles {
            files,
            starts,
            wide: Arc::new(crate::arrow_schema(&wide_schema)),
            out: Arc::new(crate::arrow_schema(&out_schema)),
            residual,
        })
    }

    /// Partitions of all files (one, empty, when every file was pruned).
    pub fn partitions(&self) -> usize {
        self.starts.last().copied().unwrap_or(0).max(1)
    }

    /// The files read (after pruning).
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// Reads partition `i`, handing each batch (with the path columns) to `apply`.
    pub fn read(
        &self,
        i: usize,
        apply: &mut dyn FnMut(RecordBatch) -> RunResult<()>,
    ) -> RunResult<()> {
        if self.files.is_empty() {
            return apply(RecordBatch::new_empty(self.out.clone()));
        }
        let k = self.starts.partition_point(|&s| s <= i) - 1;
        let file = &self.files[k];
        file.source.read(i - self.starts[k], &mut |batch| {
            apply(self.widen(file, &batch)?)
        })
    }

    /// A file's batch with the path columns, the missing columns null, the residual
    /// filter applied, and the output's columns kept.
    fn widen(&self, file: &OpenFile, batch: &RecordBatch) -> RunResult<RecordBatch> {
        let n = batch.num_rows();
        let columns = self
            .wide
            .fields()
            .iter()
            .map(|f| {
                if let Some((_, v)) = file.path_values.iter().find(|(c, _)| c == f.name()) {
                    repeat(v, n)
                } else {
                    Ok(batch
                        .column_by_name(f.name())
                        .cloned()
                        .unwrap_or_else(|| new_null_array(f.data_type(), n)))
                }
            })
            .collect::<RunResult<Vec<_>>>()?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
        let wide = RecordBatch::try_new_with_options(self.wide.clone(), columns, &options)?;
        let wide = match &self.residual {
            Some(r) => {
                let mask = crate::expr::evaluate(r, &wide)?;
                let mask = mask
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(|| RunError::new("internal error: a filter is not bool"))?;
                arrow::compute::filter_record_batch(&wide, mask)?
            }
            None => wide,
        };
        let keep: Vec<usize> = self
            .out
            .fields()
            .iter()
            .filter_map(|f| self.wide.index_of(f.name()).ok())
            .collect();
        Ok(wide.project(&keep)?)
    }
}

/// `value` (one row) repeated `n` times.
fn repeat(value: &ArrayRef, n: usize) -> RunResult<ArrayRef> {
    let indices = arrow::array::UInt32Array::from(vec![0u32; n]);
    Ok(arrow::compute::take(value.as_ref(), &indices, None)?)
}

/// File `k`'s value of each path column, typed as the plan says.
fn path_values(
    set: &FileSet,
    k: usize,
    path: &std::path::Path,
    schema: &Schema,
    path_columns: &[String],
) -> Vec<(String, ArrayRef)> {
    path_columns
        .iter()
        .map(|c| {
            let value: ArrayRef = if c == FILENAME_COLUMN && !set.keys.contains(c) {
                Arc::new(StringArray::from(vec![path.display().to_string()]))
            } else {
                let raw = set
                    .keys
                    .iter()
                    .position(|key| key == c)
                    .and_then(|j| set.values[k].get(j).cloned().flatten());
                match schema.field(c).map(|f| f.data_type.clone()) {
                    Some(ty) => super::parse_text::parse_column([raw.as_deref()].into_iter(), &ty),
                    None => Arc::new(StringArray::from(vec![raw])),
                }
            };
            (c.clone(), value)
        })
        .collect()
}

/// Whether every pruning conjunct holds for a file's path values.
fn keeps(prune: &[TypedExpr], values: &[(String, ArrayRef)]) -> RunResult<bool> {
    if prune.is_empty() {
        return Ok(true);
    }
    let fields: Vec<arrow::datatypes::Field> = values
        .iter()
        .map(|(c, v)| arrow::datatypes::Field::new(c, v.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(
        Arc::new(arrow::datatypes::Schema::new(fields)),
        values.iter().map(|(_, v)| v.clone()).collect(),
    )?;
    for f in prune {
        let verdict = crate::expr::evaluate(f, &batch)?;
        let verdict = verdict.as_any().downcast_ref::<BooleanArray>();
        if !verdict.is_some_and(|v| v.is_valid(0) && v.value(0)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// With `union_by_name`: the columns this file has, in its order, with the plan's types.
fn own_columns(
    format: Format,
    path: &std::path::Path,
    source: &Schema,
    options: &[(String, ConstValue)],
) -> RunResult<Schema> {
    if format == Format::Jsonl {
        // A missing key reads as null.
        return Ok(source.clone());
    }
    let mut sample = sluice_compiler::resolve::csv_options(format, options);
    sample.sample_rows = Some(1);
    let found = sluice_stdlib::io::infer(format, path, &sample).map_err(|e| {
        RunError::new(e.message)
            .with_help("the file changed since the pipeline was checked; check it again")
    })?;
    Ok(Schema::new(
        found
            .fields
            .iter()
            .filter_map(|f| source.field(&f.name).cloned())
            .collect::<Vec<Field>>(),
    ))
}
