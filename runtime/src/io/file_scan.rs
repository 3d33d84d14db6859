//! Opening one data file of a source as a pipeline [`Source`]: CSV/TSV as morsels parsed
//! in parallel, Parquet as row groups decoded as they run, JSON lines and Arrow IPC read
//! whole. The source's options (delimiter, quoting, null markers, parse mode, ...) are
//! read here, once for every format.

use super::csv::{BadRow, CsvScan, ParseMode, ScanStats};
use crate::error::RunResult;
use crate::pipeline::Source;
use sluice_compiler::plan::{ConstValue, TypedExpr};
use sluice_stdlib::Schema;
use sluice_stdlib::io::Format;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What to read from a file, and where its counts go.
pub struct FileRead<'a> {
    pub format: Format,
    pub options: &'a [(String, ConstValue)],
    /// The file's columns, in file order, with the plan's types.
    pub file_schema: &'a Schema,
    /// The columns to return (in file order).
    pub columns: &'a [String],
    /// Rows for which this is not true are dropped while reading.
    pub filter: Option<TypedExpr>,
    pub stats: Arc<ScanStats>,
    pub bad_rows: Arc<Mutex<Vec<BadRow>>>,
    /// CSV morsel size.
    pub morsel_bytes: u64,
}

impl FileRead<'_> {
    fn get(&self, name: &str) -> Option<&ConstValue> {
        self.options.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// What a bad row becomes.
    pub fn mode(&self) -> ParseMode {
        match self.get("mode") {
            Some(ConstValue::String(m)) => ParseMode::from_name(m).unwrap_or(ParseMode::Permissive),
            _ => ParseMode::Permissive,
        }
    }

    /// Opens `path` for reading.
    pub fn open(&self, path: &Path) -> RunResult<Source> {
        let mode = self.mode();
        let request = super::readers::ReadRequest {
            file_schema: self.file_schema,
            columns: self.columns,
            filter: self.filter.as_ref(),
            stats: &self.stats,
            mode,
            bad_rows: &self.bad_rows,
            num_features: match self.get("num_features") {
                Some(ConstValue::Int(n)) => usize::try_from(*n).ok(),
                _ => None,
            },
        };
        match self.format {
            Format::Parquet => {
                let (read_schema, out) = request.schemas();
                let scan = super::parquet_scan::ParquetScan::open(
                    path,
                    read_schema,
                    out,
                    self.filter.clone(),
                    self.stats.clone(),
                )?;
                Ok(Source::Parquet(Arc::new(scan)))
            }
            Format::Csv | Format::Tsv => {
                let scan = self.csv_scan(path)?;
                let morsels = scan.morsels(self.morsel_bytes)?;
                Ok(Source::Csv {
                    scan: Arc::new(scan),
                    morsels,
                    stats: self.stats.clone(),
                    bad_rows: self.bad_rows.clone(),
                    progress: None,
                })
            }
            format => {
                let rows = super::readers::read(format, path, request)?;
                Ok(Source::Rows(Arc::new(rows)))
            }
        }
    }

    fn csv_scan(&self, path: &Path) -> RunResult<CsvScan> {
        let header = !matches!(self.get("header"), Some(ConstValue::Bool(false)));
        let delimiter: Vec<u8> = match self.get("delimiter") {
            Some(ConstValue::String(d)) if !d.is_empty() => d.as_bytes().to_vec(),
            _ if self.format == Format::Tsv => b"\t".to_vec(),
            _ => b",".to_vec(),
        };
        let quote = match self.get("quote") {
            Some(ConstValue::String(q)) if q == "none" || q.is_empty() => None,
            Some(ConstValue::Null) => None,
            Some(ConstValue::String(q)) => q.as_bytes().first().copied(),
            _ => Some(b'"'),
        };
        let nulls = match self.get("nulls") {
            Some(ConstValue::List(items)) => items
                .iter()
                .filter_map(|i| match i {
                    ConstValue::String(s) => Some(s.as_bytes().to_vec()),
                    _ => None,
                })
                .collect(),
            _ => vec![Vec::new()],
        };
        let comment = match self.get("comment") {
            Some(ConstValue::String(c)) => c.as_bytes().first().copied(),
            _ => None,
        };
        let skip_lines = match self.get("skip_rows") {
            Some(ConstValue::Int(n)) => (*n).max(0) as u64,
            _ => 0,
        };
        Ok(CsvScan {
            terminator: super::csv::line_terminator(path)?,
            path: path.to_path_buf(),
            header,
            delimiter: delimiter[0],
            delimiter_tail: delimiter[1..].to_vec(),
            quote,
            comment,
            skip_lines,
            nulls,
            mode: self.mode(),
            projection: self
                .columns
                .iter()
                .filter_map(|c| self.file_schema.index_of(c))
                .collect(),
            schema: self.file_schema.clone(),
            filter: self.filter.clone(),
        })
    }
}
