//! Data formats and compile-time schema inference.
//!
//! [`Format`] names what a source reads or a sink writes; [`infer`] derives a source's
//! schema from the file itself: the header and a sample of rows for CSV/TSV and JSON
//! lines, the footer for Parquet, the schema message for Arrow IPC.

pub mod damaged;
pub mod file_set;
mod infer_arrow;
mod infer_csv;
mod infer_jsonl;
mod infer_many;
mod infer_parquet;
pub mod stdin;
pub mod value_types;

pub use infer_csv::{CsvOptions, DEFAULT_SAMPLE_BYTES};
pub use infer_many::{FILENAME_COLUMN, infer_many};

use crate::types::{DataType, Field, Schema};
use std::fmt;
use std::path::Path;

/// A data format a source reads or a sink writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Tsv,
    Jsonl,
    Parquet,
    Arrow,
    /// LIBSVM text (`label index:value ...`, Spark MLlib's format): a `label` and a
    /// `features` vector.
    Libsvm,
    /// One JSON document (an array of row objects): for small results.
    Json,
    /// A pretty table on standard output.
    Console,
    /// A fitted model's artifact (JSON; see `ml::artifact`).
    Model,
}

impl Format {
    pub const SOURCES: &'static [Format] = &[
        Format::Csv,
        Format::Tsv,
        Format::Jsonl,
        Format::Parquet,
        Format::Arrow,
        Format::Libsvm,
    ];
    pub const SINKS: &'static [Format] = &[
        Format::Csv,
        Format::Tsv,
        Format::Jsonl,
        Format::Parquet,
        Format::Arrow,
        Format::Json,
        Format::Console,
        Format::Model,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
            Format::Libsvm => "libsvm",
            Format::Json => "json",
            Format::Console => "console",
            Format::Model => "model",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Self::SINKS
            .iter()
            .chain(Self::SOURCES)
            .copied()
            .find(|f| f.name() == name)
    }

    /// The options a source or sink of this format accepts, with what each means.
    pub fn options(self, for_sink: bool) -> &'static [(&'static str, &'static str)] {
        match (self, for_sink) {
            (Format::Csv | Format::Tsv, false) => &[
                (
                    "header",
                    "bool: the first line names the columns (default true)",
                ),
                (
                    "delimiter",
                    "string: what separates fields, one to eight bytes (default `,`, tsv `\\t`; `::` for MovieLens)",
                ),
                (
                    "skip_rows",
                    "int: lines skipped at the start of each file, before the header (default 0)",
                ),
                (
                    "comment",
                    "string: lines starting with this character are skipped (default none)",
                ),
                (
                    "quote",
                    "string or none: the quote character (default `\"`); `none` turns quoting off",
                ),
                ("nulls", "list of strings read as null (default [\"\"])"),
                (
                    "mode",
                    "string: permissive | drop_malformed | fail_fast (default permissive)",
                ),
                (
                    "infer_rows",
                    "int: rows sampled for schema inference (default: the first 8 MiB)",
                ),
                ("bad_rows", "string: a path where rejected rows are written"),
                MANY_FILES[0],
                MANY_FILES[1],
                MANY_FILES[2],
            ],
            (Format::Jsonl, false) => &[
                (
                    "mode",
                    "string: permissive | drop_malformed | fail_fast (default permissive)",
                ),
                (
                    "infer_rows",
                    "int: rows sampled for schema inference (default: the first 8 MiB)",
                ),
                (
                    "bad_rows",
                    "string: a path where rejected lines are written",
                ),
                MANY_FILES[0],
                MANY_FILES[1],
                MANY_FILES[2],
            ],
            (Format::Parquet | Format::Arrow, false) => &MANY_FILES,
            (Format::Libsvm, false) => &[
                (
                    "num_features",
                    "int: the vectors' width (default: the largest index in the file, as Spark)",
                ),
                (
                    "mode",
                    "string: permissive | drop_malformed | fail_fast (default permissive)",
                ),
                (
                    "bad_rows",
                    "string: a path where rejected lines are written",
                ),
            ],
            (Format::Csv | Format::Tsv, true) => &[
                ("header", "bool: write a header line (default true)"),
                ("delimiter", "string: one character between fields"),
                FOLDER_SINKS[0],
                FOLDER_SINKS[1],
            ],
            (Format::Console, true) => &[("limit", "int: rows shown (default 20)")],
            (Format::Parquet, true) => &[
                ("compression", "string: snappy | zstd | none"),
                (
                    "row_group_rows",
                    "int: rows per row group (default 1048576); smaller groups prune finer",
                ),
                FOLDER_SINKS[0],
                FOLDER_SINKS[1],
            ],
            (Format::Jsonl | Format::Arrow, true) => &FOLDER_SINKS,
            _ => &[],
        }
    }
}

/// The options of every file source about reading many files (a folder or a glob).
const MANY_FILES: [(&str, &str); 3] = [
    (
        "union_by_name",
        "bool: files may have different columns; columns are matched by name and a file's missing ones are null (default false: every file has the first's columns)",
    ),
    (
        "filename",
        "bool: add a `filename` column with the path of the file each row came from (default false)",
    ),
    (
        "hive_partitioning",
        "bool: folders named `key=value` become columns, and filters on them skip whole files (default true)",
    ),
];

/// The options of sinks that can write a folder of part files.
const FOLDER_SINKS: [(&str, &str); 2] = [
    (
        "partition_by",
        "list of columns: write hive folders `col=value/` with a part file each (the columns are left out of the files; reading the folder back restores them)",
    ),
    (
        "mode",
        "overwrite | append | error_if_exists: replace what is there (default), add new part files to the folder (never rewriting old ones), or refuse to run when the path exists",
    ),
];

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a schema could not be inferred.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferError {
    pub message: String,
    /// Where in the data file, when the problem is at one place (1-based line, column).
    pub line: Option<u64>,
    pub help: Option<String>,
}

impl InferError {
    pub fn new(message: impl Into<String>) -> Self {
        InferError {
            message: message.into(),
            line: None,
            help: None,
        }
    }
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for InferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A column as inference saw it: `data_type` is `None` when the sample held no value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Inferred {
    pub name: String,
    pub data_type: Option<DataType>,
    pub nullable: bool,
}

impl Inferred {
    /// The schema: a column without a value seen is a nullable string (as in Spark,
    /// DuckDB and Polars).
    pub(crate) fn schema(columns: Vec<Inferred>) -> Schema {
        Schema::new(
            columns
                .into_iter()
                .map(|c| {
                    let nullable = c.nullable || c.data_type.is_none();
                    Field::new(c.name, c.data_type.unwrap_or(DataType::String), nullable)
                })
                .collect(),
        )
    }
}

/// A LIBSVM file's schema: its label and its feature vector (dense in memory, so a model
/// reads it as one vector feature).
pub fn libsvm_schema() -> Schema {
    Schema::new(vec![
        Field::new("label", DataType::Float64, true),
        Field::new(
            "features",
            DataType::List(Box::new(DataType::Float64)),
            true,
        ),
    ])
}

/// Infers the schema of the file at `path` in `format`.
pub fn infer(format: Format, path: &Path, options: &CsvOptions) -> Result<Schema, InferError> {
    match format {
        Format::Csv | Format::Tsv => infer_csv::infer(path, options),
        Format::Jsonl => infer_jsonl::infer(path, options.sample_rows),
        Format::Parquet => infer_parquet::infer(path),
        Format::Arrow => infer_arrow::infer(path),
        Format::Libsvm => Ok(libsvm_schema()),
        Format::Json | Format::Console => Err(InferError::new(format!(
            "`{format}` is a sink format; it cannot be read as a source"
        ))),
        Format::Model => Err(InferError::new(
            "a model is not a table: load it with `source m = model(path)` and apply it with `| predict m`",
        )),
    }
}

/// When `path` is not a regular file: what to tell the user (message, help). The
/// operating system would open a folder and fail only on the first read. (A source's
/// folder is expanded to its files before any is opened: see [`file_set`].)
pub fn not_a_regular_file(path: &Path) -> Option<(String, String)> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        return Some((
            format!("`{}` is a folder, not a file", path.display()),
            "give the path of a file; a source given a folder reads every file in it".to_string(),
        ));
    }
    (!meta.is_file()).then(|| {
        (
            format!(
                "`{}` is not a regular file (a FIFO, socket or device)",
                path.display()
            ),
            "sources read regular files; save the data to a file first".to_string(),
        )
    })
}

/// The largest model file read (a model is JSON; a big vocabulary is tens of MiB).
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Reads a whole text file of at most `max` bytes, refusing folders, FIFOs and devices
/// (which could block or never end) before opening them.
pub fn read_bounded_text(path: &Path, max: u64) -> Result<String, String> {
    use std::io::Read;
    if let Some((message, _)) = not_a_regular_file(path) {
        return Err(message);
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > max {
        return Err(format!("`{}` is larger than {max} bytes", path.display()));
    }
    Ok(text)
}

pub(crate) fn open(path: &Path) -> Result<std::fs::File, InferError> {
    if let Some((message, help)) = not_a_regular_file(path) {
        return Err(InferError::new(message).with_help(help));
    }
    std::fs::File::open(path).map_err(|e| {
        let message = format!("cannot open `{}`: {e}", path.display());
        let help = if e.kind() == std::io::ErrorKind::NotFound {
            "check the path (relative paths start from the working directory), \
             pass another with --param, or declare the schema so the file is not needed to compile"
        } else {
            "check the file's permissions"
        };
        InferError::new(message).with_help(help)
    })
}
