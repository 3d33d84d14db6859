//! A stream sink's part files: each batch's rows go to `part-BATCH-K.EXT` in the sink's
//! folder, the batch's partitions cut into at most one file per worker thread and
//! written in parallel (staged, committed with the batch's other outputs).
//!
//! A batch that is replayed after a crash writes the same names again. Files of that
//! batch left by the attempt that crashed (there may be more of them, when it ran on more
//! threads) are removed, so the folder holds the batch's rows once.

use crate::error::{RunError, RunResult};
use crate::io::commit::Outputs;
use crate::partitions::Partitions;
use crate::relation::Relation;
use rayon::prelude::*;
use sluice_compiler::plan::ConstValue;
use sluice_stdlib::io::Format;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Writes one batch's rows into `dir`; returns the rows written.
pub fn write(
    format: Format,
    dir: &Path,
    batch: u64,
    options: &[(String, ConstValue)],
    data: &Relation,
    outputs: &mut Outputs,
) -> RunResult<u64> {
    let rows = data.num_rows() as u64;
    let prefix = format!("part-{batch:06}-");
    let data = data.load()?;
    let pieces = pieces(&data, rayon::current_num_threads());
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(pieces.len());
    for k in 0..pieces.len() {
        let target = dir.join(format!(
            "{prefix}{k:03}.{}",
            crate::io::folder_sink::extension(format)
        ));
        let tmp = outputs.stage(&target)?;
        staged.push((target, tmp));
    }
    remove_stale(dir, &prefix, &staged)?;
    pieces
        .into_par_iter()
        .zip(staged.par_iter())
        .try_for_each(|(piece, (target, tmp))| {
            crate::io::sinks::write_file(format, tmp, options, &piece.into()).map_err(|e| {
                crate::io::sinks::write_error(&target.display().to_string(), e.as_ref())
            })
        })?;
    Ok(rows)
}

/// The rows cut into at most `n` pieces of whole partitions, in order; none when there
/// is no row.
fn pieces(data: &Arc<Partitions>, n: usize) -> Vec<Partitions> {
    let parts: Vec<&Vec<arrow::array::RecordBatch>> = data
        .parts
        .iter()
        .filter(|p| p.iter().any(|b| b.num_rows() > 0))
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    let per = parts.len().div_ceil(n.max(1));
    parts
        .chunks(per)
        .map(|chunk| {
            Partitions::new(
                data.schema.clone(),
                chunk.iter().map(|p| (*p).clone()).collect(),
            )
        })
        .collect()
}

/// Removes the batch's part files that this attempt does not write.
fn remove_stale(dir: &Path, prefix: &str, staged: &[(PathBuf, PathBuf)]) -> RunResult<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        if name.starts_with(prefix) && !staged.iter().any(|(t, _)| *t == path) {
            std::fs::remove_file(&path).map_err(|e| {
                RunError::new(format!(
                    "cannot remove `{}`, a part file of a batch being written again: {e}",
                    path.display()
                ))
            })?;
        }
    }
    Ok(())
}
