//! Reading and writing data: one file of a source opened by [`file_scan`], many (a
//! folder, a glob) by [`many_files`]; the CSV/TSV reader ([`csv`]), LIBSVM ([`libsvm`]), readers for JSON lines,
//! Parquet and Arrow IPC ([`readers`]; Parquet streams row groups through [`parquet_scan`], with [`row_group_pruning`]), text-to-value parsing ([`parse_text`]) and the
//! sinks ([`sinks`], with [`json_floats`] and the parallel CSV and Parquet encoders [`csv_sink`], [`parquet_sink`]), which always write to a temporary name and rename on success.

pub mod commit;
pub mod csv;
pub mod csv_sink;
pub mod file_scan;
pub mod folder_sink;
pub mod json_floats;
pub mod jsonl;
pub mod libsvm;
pub mod many_files;
pub mod parquet_scan;
pub mod parquet_sink;
pub mod parse_text;
pub mod readers;
pub mod row_group_pruning;
pub mod sinks;
