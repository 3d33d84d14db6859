//! Parquet as a pipeline source: one partition per row group kept after pruning, each
//! decoded when its partition runs, so row groups decode in parallel and stream into
//! the operators after the scan instead of the whole file being loaded first. Reads
//! only the column chunks the plan needs (its columns and the pushed-down filter's),
//! skips row groups whose statistics rule the filter out
//! ([`super::row_group_pruning`]), and parses the footer once.

use super::csv::ScanStats;
use super::readers::{conform, finish_batch, open};
use crate::error::{RunError, RunResult};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use sluice_compiler::plan::TypedExpr;
use sluice_stdlib::io::damaged::{damaged_message, guarded};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Rows per decoded batch.
const BATCH_ROWS: usize = 1 << 16;

/// A Parquet file ready to be read row group by row group.
pub struct ParquetScan {
    path: PathBuf,
    metadata: ArrowReaderMetadata,
    /// The row groups to read, in file order.
    groups: Vec<usize>,
    mask: ProjectionMask,
    /// The columns read: the plan's and the filter's.
    read_schema: SchemaRef,
    /// The columns returned.
    out: SchemaRef,
    filter: Option<TypedExpr>,
    stats: Arc<ScanStats>,
    /// Compressed bytes of the chunks read, per kept row group.
    group_bytes: Vec<u64>,
}

impl ParquetScan {
    /// Opens `path` and plans the read: `read_schema` are the columns read (the plan's
    /// types), `out` those returned after `filter`.
    pub fn open(
        path: &Path,
        read_schema: SchemaRef,
        out: SchemaRef,
        filter: Option<TypedExpr>,
        stats: Arc<ScanStats>,
    ) -> RunResult<Self> {
        let file = open(path)?;
        let damaged = |detail: String| RunError::new(damaged_message(path, "Parquet", &detail));
        let metadata = guarded(|| ArrowReaderMetadata::load(&file, Default::default()))
            .map_err(damaged)?
            .map_err(|e| damaged(e.to_string()))?;
        let parquet = metadata.metadata().clone();
        let file_fields = metadata.schema().fields().clone();
        let descriptor = parquet.file_metadata().schema_descr();
        let root_of = |name: &str| file_fields.iter().position(|f| f.name() == name);
        let roots: Vec<usize> = read_schema
            .fields()
            .iter()
            .filter_map(|f| root_of(f.name()))
            .collect();
        let leaf_of = |name: &str| {
            let root = root_of(name)?;
            (0..descriptor.num_columns()).find(|&l| descriptor.get_column_root_idx(l) == root)
        };
        let conjuncts = filter
            .as_ref()
            .map(sluice_compiler::optimize::conjuncts)
            .unwrap_or_default();
        let mut groups = Vec::new();
        let mut group_bytes = Vec::new();
        for g in 0..parquet.num_row_groups() {
            let group = parquet.row_group(g);
            if super::row_group_pruning::can_skip(&conjuncts, group, &leaf_of) {
                continue;
            }
            let bytes: i64 = (0..descriptor.num_columns())
                .filter(|&l| roots.contains(&descriptor.get_column_root_idx(l)))
                .map(|l| group.column(l).compressed_size())
                .sum();
            groups.push(g);
            group_bytes.push(bytes.max(0) as u64);
        }
        let mask = ProjectionMask::roots(descriptor, roots);
        Ok(ParquetScan {
            path: path.to_path_buf(),
            metadata,
            groups,
            mask,
            read_schema,
            out,
            filter,
            stats,
            group_bytes,
        })
    }

    /// One partition per row group read.
    pub fn partitions(&self) -> usize {
        self.groups.len()
    }

    /// Decodes partition `i` (a row group) and hands each batch to `each`.
    pub fn read(
        &self,
        i: usize,
        each: &mut dyn FnMut(RecordBatch) -> RunResult<()>,
    ) -> RunResult<()> {
        let path = &self.path;
        let damaged = |detail: String| RunError::new(damaged_message(path, "Parquet", &detail));
        self.stats
            .bytes
            .fetch_add(self.group_bytes[i], Ordering::Relaxed);
        let file = open(path)?;
        let mut reader = guarded(|| {
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
                .with_row_groups(vec![self.groups[i]])
                .with_projection(self.mask.clone())
                .with_batch_size(BATCH_ROWS)
                .build()
        })
        .map_err(damaged)?
        .map_err(|e| damaged(e.to_string()))?;
        loop {
            let next = guarded(|| reader.next()).map_err(damaged)?;
            match next {
                None => return Ok(()),
                Some(Ok(batch)) => {
                    let batch = conform(&batch, &self.read_schema, path)?;
                    each(finish_batch(
                        batch,
                        self.filter.as_ref(),
                        &self.stats,
                        &self.out,
                    )?)?;
                }
                Some(Err(e)) => return Err(damaged(e.to_string())),
            }
        }
    }
}
