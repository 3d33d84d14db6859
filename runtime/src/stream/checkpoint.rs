//! A stream's checkpoint folder: what makes each batch happen exactly once.
//!
//! - `plan.txt`: the optimized plan the checkpoint belongs to; a changed pipeline is
//!   refused, naming the first line that differs.
//! - `offsets/N.json`: what batch N reads (per source), written before it runs.
//! - `state/N/NODE.arrow`: each stream `group`'s state after batch N (Arrow IPC).
//! - `commits/N.json`: written last, after batch N's outputs are in place: each
//!   source's position and each watermark clock after it.
//!
//! Every file is written under a temporary name and renamed into place. A batch with an
//! offsets entry and no commit was cut short; the next run replays it from the same
//! offsets, on the state of the batch before, to the same part files.

use crate::error::{RunError, RunResult};
use arrow::array::RecordBatch;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Stream options that steer batches and are no reader's.
pub const TRIGGER_NAMES: &[&str] = &[
    "every",
    "available_now",
    "max_files_per_batch",
    "max_rows_per_batch",
    "rows_per_second",
    "rows_per_batch",
];

pub struct Checkpoint {
    pub dir: PathBuf,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> RunError {
    let full = e.to_string().contains("No space left");
    let err = RunError::new(format!(
        "cannot write the checkpoint `{}`: {e}",
        path.display()
    ));
    if full {
        err.with_help(
            "the disk is full: free space there; the stream resumes from its last committed batch",
        )
    } else {
        err
    }
}

/// Writes a file under a temporary name, syncs it, and renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> RunResult<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
    f.write_all(bytes).map_err(|e| io_error(&tmp, e))?;
    f.sync_all().map_err(|e| io_error(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

impl Checkpoint {
    pub fn open(dir: PathBuf, plan_text: &str) -> RunResult<Checkpoint> {
        let plan_file = dir.join("plan.txt");
        match std::fs::read_to_string(&plan_file) {
            Ok(old) if old != plan_text => {
                let (line, was, now) = old
                    .lines()
                    .zip(plan_text.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| (i + 1, a.trim().to_string(), b.trim().to_string()))
                    .unwrap_or_else(|| (0, String::new(), String::new()));
                let what = if line == 0 {
                    "the pipeline has a different number of plan nodes".to_string()
                } else {
                    format!("plan line {line} was `{was}` and is now `{now}`")
                };
                return Err(RunError::new(format!(
                    "the checkpoint `{}` belongs to another version of this pipeline: {what}",
                    dir.display()
                ))
                .with_help("a stream's state only resumes under the plan that made it: restore the pipeline, or pass a new `--checkpoint` folder (the stream then starts over)"));
            }
            Ok(_) => {}
            Err(_) => write_atomically(&plan_file, plan_text.as_bytes())?,
        }
        Ok(Checkpoint { dir })
    }

    fn offsets_file(&self, batch: u64) -> PathBuf {
        self.dir.join("offsets").join(format!("{batch:06}.json"))
    }

    fn commit_file(&self, batch: u64) -> PathBuf {
        self.dir.join("commits").join(format!("{batch:06}.json"))
    }

    pub fn state_dir(&self, batch: u64) -> PathBuf {
        self.dir.join("state").join(format!("{batch:06}"))
    }

    /// The highest batch number with a file in `sub`.
    fn last_in(&self, sub: &str) -> Option<u64> {
        std::fs::read_dir(self.dir.join(sub))
            .ok()?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.strip_suffix(".json")?.parse::<u64>().ok()
            })
            .max()
    }

    /// The last committed batch and its commit record.
    pub fn last_commit(&self) -> RunResult<Option<(u64, Value)>> {
        let Some(n) = self.last_in("commits") else {
            return Ok(None);
        };
        Ok(Some((n, read_json(&self.commit_file(n))?)))
    }

    /// The logged offsets of a batch, if it was started.
    pub fn offsets(&self, batch: u64) -> RunResult<Option<Value>> {
        let f = self.offsets_file(batch);
        if !f.exists() {
            return Ok(None);
        }
        read_json(&f).map(Some)
    }

    pub fn log_offsets(&self, batch: u64, offsets: &Value) -> RunResult<()> {
        write_atomically(&self.offsets_file(batch), offsets.to_string().as_bytes())
    }

    pub fn commit(&self, batch: u64, record: &Value) -> RunResult<()> {
        write_atomically(&self.commit_file(batch), record.to_string().as_bytes())?;
        // The states of batches before the one just committed are no longer needed.
        if batch >= 1 {
            let _ = std::fs::remove_dir_all(self.state_dir(batch - 1));
        }
        Ok(())
    }

    pub fn save_state(&self, batch: u64, name: &str, state: &RecordBatch) -> RunResult<()> {
        let mut bytes = Vec::new();
        {
            let mut w = arrow::ipc::writer::FileWriter::try_new(&mut bytes, &state.schema())?;
            w.write(state)?;
            w.finish()?;
        }
        write_atomically(&self.state_dir(batch).join(format!("{name}.arrow")), &bytes)
    }

    pub fn load_state(&self, batch: u64, name: &str) -> RunResult<Option<RecordBatch>> {
        let path = self.state_dir(batch).join(format!("{name}.arrow"));
        let Ok(file) = std::fs::File::open(&path) else {
            return Ok(None);
        };
        let reader = arrow::ipc::reader::FileReader::try_new(file, None).map_err(|e| {
            RunError::new(format!(
                "the checkpoint's state `{}` is damaged: {e}",
                path.display()
            ))
        })?;
        let mut batches = Vec::new();
        for b in reader {
            batches.push(b?);
        }
        match batches.len() {
            0 => Ok(None),
            1 => Ok(batches.pop()),
            _ => Ok(Some(arrow::compute::concat_batches(
                &batches[0].schema(),
                &batches,
            )?)),
        }
    }
}

fn read_json(path: &Path) -> RunResult<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        RunError::new(format!(
            "cannot read the checkpoint's `{}`: {e}",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        RunError::new(format!(
            "the checkpoint's `{}` is damaged: {e}",
            path.display()
        ))
        .with_help("remove the checkpoint folder to start the stream over")
    })
}
