//! Readers for JSON lines, Parquet and Arrow IPC files. Columns are matched by name and
//! converted to the types the compiler settled on (declared or inferred); Parquet keeps
//! one partition per row group.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use sluice_stdlib::io::Format;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn open(path: &Path) -> RunResult<File> {
    File::open(path).map_err(|e| {
        RunError::new(format!("cannot open `{}`: {e}", path.display()))
            .with_help("check the path; relative paths start from the working directory")
    })
}

/// Brings a batch read from a file to the plan's schema (by name, with casts).
fn conform(batch: &RecordBatch, schema: &SchemaRef, path: &Path) -> RunResult<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let c = batch.column_by_name(f.name()).cloned().ok_or_else(|| {
                RunError::new(format!("`{}` has no column `{}`", path.display(), f.name()))
                    .with_help("the file changed since the pipeline was checked; check it again")
            })?;
            Ok(if c.data_type() == f.data_type() {
                c
            } else {
                cast(&c, f.data_type())?
            })
        })
        .collect::<RunResult<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

pub fn read(format: Format, path: &Path, schema: SchemaRef) -> RunResult<Partitions> {
    let file = open(path)?;
    let mut parts: Vec<Vec<RecordBatch>> = Vec::new();
    match format {
        Format::Parquet => {
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?;
            let groups = builder.metadata().num_row_groups();
            drop(builder);
            for g in 0..groups {
                let reader =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(open(
                        path,
                    )?)?
                    .with_row_groups(vec![g])
                    .build()?;
                let mut part = Vec::new();
                for b in reader {
                    part.push(conform(&b?, &schema, path)?);
                }
                parts.push(part);
            }
        }
        Format::Arrow => {
            let mut part = Vec::new();
            match arrow::ipc::reader::FileReader::try_new(file, None) {
                Ok(reader) => {
                    for b in reader {
                        part.push(conform(&b?, &schema, path)?);
                    }
                }
                Err(_) => {
                    let reader = arrow::ipc::reader::StreamReader::try_new(
                        BufReader::new(open(path)?),
                        None,
                    )?;
                    for b in reader {
                        part.push(conform(&b?, &schema, path)?);
                    }
                }
            }
            parts.push(part);
        }
        Format::Jsonl => {
            let reader =
                arrow::json::ReaderBuilder::new(schema.clone()).build(BufReader::new(file))?;
            let mut part = Vec::new();
            for b in reader {
                let b =
                    b.map_err(|e| RunError::new(format!("cannot read `{}`: {e}", path.display())))?;
                part.push(conform(&b, &schema, path)?);
            }
            parts.push(part);
        }
        other => {
            return Err(RunError::new(format!(
                "internal error: `{other}` is read by the CSV reader"
            )));
        }
    }
    Ok(Partitions::new(schema, parts))
}
