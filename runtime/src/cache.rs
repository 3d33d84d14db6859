//! The cache store behind `@cache(...)` and behind every relation read twice.
//!
//! `memory` keeps the partitions in memory (the default for a shared relation); `disk`
//! writes them as Arrow IPC files under the cache directory and reads them back at each
//! use, so they take no memory in between; `memory_and_disk` keeps both, so the copy on
//! disk survives for `--keep-cache`. The directory is removed at the end of the run
//! unless it is kept.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::datatypes::SchemaRef;
use sluice_compiler::plan::CacheLevel;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One cached relation.
enum Entry {
    Memory(Arc<Partitions>),
    Disk {
        files: Vec<PathBuf>,
        schema: SchemaRef,
    },
    Both(Arc<Partitions>),
}

/// Cached relations of one run, by a key (the plan node's index).
pub struct CacheStore {
    dir: PathBuf,
    keep: bool,
    entries: std::collections::HashMap<usize, Entry>,
    created: bool,
}

impl CacheStore {
    pub fn new(dir: PathBuf, keep: bool) -> CacheStore {
        CacheStore {
            dir,
            keep,
            entries: Default::default(),
            created: false,
        }
    }

    pub fn contains(&self, key: usize) -> bool {
        self.entries.contains_key(&key)
    }

    /// Stores a relation; returns it for immediate use.
    pub fn put(
        &mut self,
        key: usize,
        level: CacheLevel,
        data: Arc<Partitions>,
    ) -> RunResult<Arc<Partitions>> {
        let entry = match level {
            CacheLevel::Memory => Entry::Memory(data.clone()),
            CacheLevel::Disk => Entry::Disk {
                files: self.write(key, &data)?,
                schema: data.schema.clone(),
            },
            CacheLevel::MemoryAndDisk => {
                self.write(key, &data)?;
                Entry::Both(data.clone())
            }
        };
        self.entries.insert(key, entry);
        Ok(data)
    }

    /// A cached relation, read back from disk when it lives there.
    /// Drops a relation (a stream's rows, kept only for one micro-batch).
    pub fn forget(&mut self, key: usize) {
        if let Some(Entry::Disk { files, .. }) = self.entries.remove(&key) {
            for f in files {
                let _ = std::fs::remove_file(f);
            }
        }
    }

    pub fn get(&self, key: usize) -> RunResult<Option<Arc<Partitions>>> {
        Ok(match self.entries.get(&key) {
            None => None,
            Some(Entry::Memory(p) | Entry::Both(p)) => Some(p.clone()),
            Some(Entry::Disk { files, schema }) => Some(Arc::new(read(files, schema.clone())?)),
        })
    }

    fn write(&mut self, key: usize, data: &Partitions) -> RunResult<Vec<PathBuf>> {
        if !self.created {
            std::fs::create_dir_all(&self.dir).map_err(|e| {
                RunError::new(format!(
                    "cannot create the cache directory `{}`: {e}",
                    self.dir.display()
                ))
            })?;
            self.created = true;
        }
        let mut files = Vec::with_capacity(data.parts.len());
        for (i, part) in data.parts.iter().enumerate() {
            let path = self.dir.join(format!("node{key}-part{i}.arrow"));
            let file = File::create(&path).map_err(|e| {
                RunError::new(format!(
                    "cannot write the cache file `{}`: {e}",
                    path.display()
                ))
            })?;
            let mut w =
                arrow::ipc::writer::FileWriter::try_new(BufWriter::new(file), &data.schema)?;
            for b in part {
                w.write(b)?;
            }
            w.finish()?;
            files.push(path);
        }
        Ok(files)
    }

    /// The cache directory, if anything was written to it.
    pub fn dir(&self) -> Option<&Path> {
        self.created.then_some(self.dir.as_path())
    }
}

fn read(files: &[PathBuf], schema: SchemaRef) -> RunResult<Partitions> {
    let mut parts = Vec::with_capacity(files.len());
    for path in files {
        let file = File::open(path).map_err(|e| {
            RunError::new(format!(
                "cannot read the cache file `{}`: {e}",
                path.display()
            ))
        })?;
        let reader = arrow::ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None)?;
        parts.push(reader.collect::<Result<Vec<_>, _>>()?);
    }
    Ok(Partitions::new(schema, parts))
}

impl Drop for CacheStore {
    fn drop(&mut self) {
        if self.created && !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
