//! The JIT's cost model for `--jit auto`: compile a stage when the rows it will see
//! times the expression nodes it evaluates per row repay the compile time.
//!
//! A kernel saves about a nanosecond per expression node and row over the reference
//! kernels (docs/benchmarks.md: 11 nodes, 10 M rows, 180 ms saved) and costs about a
//! millisecond to compile, so it pays from about [`WORTH`] node-rows. The rows a stage
//! sees are bounded by the rows of the sources upstream of it: exact for Parquet (the
//! footer's row count), the first batch's rows times the batch count for Arrow IPC files,
//! and for text formats the file's size over the mean line length of its first 64 KiB.
//! A stream has no end: a stage on one runs batch after batch, so it is compiled.

use sluice_compiler::plan::{LogicalPlan, PlanOp, TypedExpr};
use sluice_stdlib::io::Format;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use petgraph::graph::NodeIndex;

/// Node-rows from which compiling a stage pays for itself.
pub const WORTH: u64 = 1_000_000;

/// Bytes of a text file sampled for its mean line length.
const SAMPLE_BYTES: usize = 64 * 1024;

/// Expression nodes an operator evaluates per row.
pub fn op_cost(op: &PlanOp) -> u64 {
    let nodes = |e: &TypedExpr| e.node_count() as u64;
    match op {
        PlanOp::Filter { predicate } => nodes(predicate),
        PlanOp::Derive { columns } => columns.iter().map(|(_, e)| nodes(e)).sum(),
        PlanOp::Cast { columns } => columns.len() as u64,
        PlanOp::DropNull { columns } => columns.len() as u64,
        _ => 0,
    }
}

/// Rows of each source of a plan, estimated once per run.
#[derive(Debug, Default)]
pub struct SourceRows {
    by_scan: HashMap<NodeIndex, u64>,
}

impl SourceRows {
    /// Reads each scanned file's row count (or estimates it); paths are relative to
    /// `base_dir` when given. A file that cannot be read counts 0 rows (its scan will
    /// report the error).
    pub fn of(plan: &LogicalPlan, base_dir: Option<&Path>) -> SourceRows {
        let mut by_scan = HashMap::new();
        for node in plan.graph.node_indices() {
            if let PlanOp::StreamScan { .. } = &plan.graph[node].op {
                by_scan.insert(node, u64::MAX);
            }
            if let PlanOp::Scan { path, format, .. } = &plan.graph[node].op {
                let full = match base_dir {
                    Some(dir) => dir.join(path),
                    None => Path::new(path).to_path_buf(),
                };
                by_scan.insert(node, file_rows(&full, *format).unwrap_or(0));
            }
        }
        SourceRows { by_scan }
    }

    /// The rows of every source upstream of `node` (an upper bound on what it sees).
    pub fn upstream(&self, plan: &LogicalPlan, node: NodeIndex) -> u64 {
        let mut seen = HashSet::new();
        let mut todo = vec![node];
        let mut rows = 0u64;
        while let Some(n) = todo.pop() {
            if !seen.insert(n) {
                continue;
            }
            rows = rows.saturating_add(self.by_scan.get(&n).copied().unwrap_or(0));
            todo.extend(plan.inputs(n));
        }
        rows
    }
}

/// Whether compiling a stage of `cost` nodes a row that sees `rows` rows pays.
pub fn worth_compiling(rows: u64, cost: u64) -> bool {
    rows.saturating_mul(cost) >= WORTH
}

/// An estimate of a file's rows; `None` when it cannot be told (a damaged file is
/// reported by its reader, not here: decoding is guarded, see
/// [`sluice_stdlib::io::damaged`]).
fn file_rows(path: &Path, format: Format) -> Option<u64> {
    sluice_stdlib::io::damaged::guarded(|| file_rows_unguarded(path, format))
        .ok()
        .flatten()
}

fn file_rows_unguarded(path: &Path, format: Format) -> Option<u64> {
    match format {
        Format::Parquet => {
            let file = std::fs::File::open(path).ok()?;
            let reader = parquet::file::reader::SerializedFileReader::new(file).ok()?;
            let rows = parquet::file::reader::FileReader::metadata(&reader)
                .file_metadata()
                .num_rows();
            u64::try_from(rows).ok()
        }
        Format::Arrow => {
            let mut file = std::fs::File::open(path).ok()?;
            if !crate::io::readers::arrow_file_lengths_fit(&mut file) {
                return None;
            }
            let mut reader = arrow::ipc::reader::FileReader::try_new(file, None).ok()?;
            // The first batch's rows times the number of batches (read no further).
            let batches = reader.num_batches() as u64;
            let first = reader
                .next()
                .and_then(Result::ok)
                .map_or(0, |b| b.num_rows());
            Some(first as u64 * batches)
        }
        _ => text_rows(path),
    }
}

/// A text file's size over the mean length of the lines in its first 64 KiB.
fn text_rows(path: &Path) -> Option<u64> {
    let size = std::fs::metadata(path).ok()?.len();
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    std::fs::File::open(path)
        .ok()?
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .ok()?;
    let lines = sample.iter().filter(|b| **b == b'\n').count().max(1) as u64;
    Some(size * lines / sample.len().max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rows_come_from_the_mean_line_length() {
        let dir = std::env::temp_dir().join(format!("sluice-jit-cost-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("lines.csv");
        let text: String = (0..1000).map(|i| format!("{i:04},abcdef\n")).collect();
        std::fs::write(&path, text).unwrap_or_default();
        assert_eq!(text_rows(&path), Some(1000));
        assert_eq!(file_rows(&dir.join("missing.csv"), Format::Csv), None);
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }

    #[test]
    fn compiling_pays_from_a_million_node_rows() {
        assert!(!worth_compiling(1_000, 11));
        assert!(worth_compiling(100_000, 11));
        assert!(!worth_compiling(u64::MAX, 0));
        assert!(worth_compiling(u64::MAX, 3));
    }
}
