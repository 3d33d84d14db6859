//! Spill files: what operators write to disk when their memory reservation is refused
//! (sorted runs, hash partitions of aggregation states and of join inputs). Each is an
//! Arrow IPC file compressed with LZ4, under the run's spill folder
//! `sluice-spill-<pid>-<run>` in the system's temporary directory (or `--spill-dir`). The
//! folder is removed when the run ends, and a run removes the folders that runs no
//! longer alive left behind (killed, or crashed).

use crate::error::{RunError, RunResult};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::CompressionType;
use arrow::ipc::writer::{FileWriter, IpcWriteOptions};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const PREFIX: &str = "sluice-spill-";

/// The run's spill folder, made when first written to and removed on drop.
pub struct SpillDir {
    dir: PathBuf,
    next: AtomicU64,
    /// Bytes written to spill files.
    pub bytes: AtomicU64,
}

impl SpillDir {
    /// The spill folder of this process under `parent` (the system's temporary directory
    /// when `None`); stale folders of dead runs there are removed.
    pub fn new(parent: Option<&Path>) -> SpillDir {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        remove_stale(&parent);
        // Several runs may share a process (tests, the language server).
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        SpillDir {
            dir: parent.join(format!("{PREFIX}{}-{run}", std::process::id())),
            next: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// Writes `batches` to a new spill file.
    pub fn write(
        &self,
        schema: &SchemaRef,
        batches: impl IntoIterator<Item = RunResult<RecordBatch>>,
    ) -> RunResult<SpillFile> {
        let mut w = self.writer(schema)?;
        for b in batches {
            w.write(&b?)?;
        }
        w.finish()
    }

    /// A new spill file to write batch by batch.
    pub fn writer(&self, schema: &SchemaRef) -> RunResult<SpillWriter<'_>> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.error(&self.dir, e))?;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{n}.arrow"));
        let file = File::create(&path).map_err(|e| self.error(&path, e))?;
        let options =
            IpcWriteOptions::default().try_with_compression(Some(CompressionType::LZ4_FRAME))?;
        let writer = FileWriter::try_new_with_options(BufWriter::new(file), schema, options)
            .map_err(|e| self.error(&path, e))?;
        Ok(SpillWriter {
            dir: self,
            writer,
            path,
            schema: schema.clone(),
            rows: 0,
        })
    }

    fn error(&self, path: &Path, e: impl std::fmt::Display) -> RunError {
        let full = e.to_string().contains("No space left");
        let err = RunError::new(format!(
            "cannot write the spill file `{}`: {e}",
            path.display()
        ));
        if full {
            err.with_help("the disk is full: free space there, give a roomier folder with `--spill-dir`, or raise `--memory-limit`")
        } else {
            err.with_help("give a writable folder with `--spill-dir`, or raise `--memory-limit`")
        }
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A spill file being written.
pub struct SpillWriter<'d> {
    dir: &'d SpillDir,
    writer: FileWriter<BufWriter<File>>,
    path: PathBuf,
    schema: SchemaRef,
    pub rows: usize,
}

impl SpillWriter<'_> {
    pub fn write(&mut self, batch: &RecordBatch) -> RunResult<()> {
        self.rows += batch.num_rows();
        self.writer
            .write(batch)
            .map_err(|e| self.dir.error(&self.path, e))
    }

    /// Finishes the file; it can then be read back.
    pub fn finish(mut self) -> RunResult<SpillFile> {
        self.writer
            .finish()
            .map_err(|e| self.dir.error(&self.path, e))?;
        let bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        self.dir.bytes.fetch_add(bytes, Ordering::Relaxed);
        Ok(SpillFile {
            path: self.path,
            schema: self.schema,
            rows: self.rows,
            bytes,
        })
    }
}

/// Removes spill folders whose run is no longer alive.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            std::fs::remove_dir_all(e.path()).ok();
        }
    }
}

/// One spill file: its rows, read back in order.
#[derive(Debug)]
pub struct SpillFile {
    path: PathBuf,
    schema: SchemaRef,
    pub rows: usize,
    pub bytes: u64,
}

impl SpillFile {
    /// The file's batches, in order, read one at a time.
    pub fn read(&self) -> RunResult<impl Iterator<Item = RunResult<RecordBatch>> + use<>> {
        let file = File::open(&self.path).map_err(|e| {
            RunError::new(format!(
                "cannot read the spill file `{}`: {e}",
                self.path.display()
            ))
        })?;
        let reader = arrow::ipc::reader::FileReader::try_new(BufReader::new(file), None)?;
        Ok(reader.map(|b| b.map_err(RunError::from)))
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        std::fs::remove_file(&self.path).ok();
    }
}

/// A relation held in spill files, one per partition, in order.
#[derive(Debug)]
pub struct SpilledRelation {
    pub schema: SchemaRef,
    pub parts: Vec<Arc<SpillFile>>,
    /// The files' columns that make the relation's, when not all of them in order.
    pub projection: Option<Vec<usize>>,
}

impl SpilledRelation {
    /// Partitions in spill files with all their columns.
    pub fn new(schema: SchemaRef, parts: Vec<Arc<SpillFile>>) -> SpilledRelation {
        SpilledRelation {
            schema,
            parts,
            projection: None,
        }
    }

    /// Partition `i`'s batches, in order, read one at a time.
    pub fn read(
        &self,
        i: usize,
    ) -> RunResult<impl Iterator<Item = RunResult<RecordBatch>> + use<>> {
        let projection = self.projection.clone();
        Ok(self.parts[i].read()?.map(move |b| match &projection {
            Some(p) => Ok(b?.project(p)?),
            None => b,
        }))
    }

    /// The columns `indices` (of this relation), in that order.
    pub fn project(&self, indices: &[usize]) -> RunResult<SpilledRelation> {
        let file_columns: Vec<usize> = match &self.projection {
            Some(p) => indices.iter().map(|&i| p[i]).collect(),
            None => indices.to_vec(),
        };
        Ok(SpilledRelation {
            schema: Arc::new(self.schema.project(indices)?),
            parts: self.parts.clone(),
            projection: Some(file_columns),
        })
    }

    pub fn num_rows(&self) -> usize {
        self.parts.iter().map(|p| p.rows).sum()
    }
}
