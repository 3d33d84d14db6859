//! A run's outputs, committed together. Every file a run writes (sinks, `bad_rows`) goes
//! to a temporary file next to its target; only when all of them are written does
//! [`Outputs::commit`] move them into place, so a failed or killed run leaves every old
//! output as it was, and a finished run leaves every output new.
//!
//! The moves are journalled: before the first rename, a journal listing each temporary
//! and its target is written (and synced) beside the first target. A run killed during
//! the renames leaves the journal behind, and the next run that writes there finishes
//! the renames first (roll forward), so even then the outputs end up all new. That next
//! run also removes temporaries that dead runs left behind.
//!
//! Targets are prepared the way a user expects of a file they point a sink at: a symlink
//! is written through (its target replaced, the link kept), a read-only file is refused,
//! a FIFO, device or folder is refused (standard output, `/dev/stdout` or `-`, is
//! written at commit time), and a replaced file keeps its permissions.
//!
//! SIGINT and SIGTERM remove the temporaries of the run in progress (see
//! [`remove_live_temporaries`], called by the CLI's signal handler).

use crate::error::{RunError, RunResult};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Temporaries of the runs in progress in this process, for the signal handler.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set while a commit moves files: a signal then lets it finish.
static COMMITTING: AtomicBool = AtomicBool::new(false);

/// Removes every temporary of the runs in progress, for a signal that ends the process;
/// returns `false`, removing nothing, while a commit is moving files into place (the
/// process should then let it finish: it takes milliseconds).
pub fn remove_live_temporaries() -> bool {
    if COMMITTING.load(Ordering::SeqCst) {
        return false;
    }
    if let Ok(live) = LIVE.lock() {
        for tmp in live.iter() {
            let _ = std::fs::remove_file(tmp);
        }
    }
    true
}

const JOURNAL_PREFIX: &str = ".sluice-commit-";
const JOURNAL_SUFFIX: &str = ".journal";

struct Staged {
    tmp: PathBuf,
    /// The file replaced: the path itself, or a symlink's target; `None` for standard
    /// output.
    target: Option<PathBuf>,
    /// The permissions of the file replaced, kept by its replacement.
    permissions: Option<std::fs::Permissions>,
}

/// The files a run is writing, committed together or not at all.
#[derive(Default)]
pub struct Outputs {
    staged: Vec<Staged>,
}

impl Outputs {
    pub fn new() -> Outputs {
        Outputs::default()
    }

    /// Prepares `path` to be written and returns the temporary to write it to.
    pub fn stage(&mut self, path: &Path) -> RunResult<PathBuf> {
        let is_stdout = matches!(path.to_str(), Some("-" | "/dev/stdout"));
        let (target, permissions) = if is_stdout {
            (None, None)
        } else {
            let target = writable_target(path)?;
            let permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
            (Some(target), permissions)
        };
        let dir = match &target {
            Some(t) => t.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => std::env::temp_dir(),
        };
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| RunError::new(format!("cannot create `{}`: {e}", dir.display())))?;
        }
        recover(&dir);
        let name = target
            .as_ref()
            .and_then(|t| t.file_name())
            .map_or("stdout".into(), |n| n.to_string_lossy().into_owned());
        // The run's pid (for recovery) and the output's number (two outputs to standard
        // output share a folder and a name).
        let tmp = dir.join(format!(
            ".{name}.sluice-{}-{}.tmp",
            std::process::id(),
            self.staged.len()
        ));
        if let Ok(mut live) = LIVE.lock() {
            live.push(tmp.clone());
        }
        self.staged.push(Staged {
            tmp: tmp.clone(),
            target,
            permissions,
        });
        Ok(tmp)
    }

    /// Moves every written temporary into place: the journal first, then the renames,
    /// then standard output, then the journal is removed.
    pub fn commit(mut self) -> RunResult<()> {
        COMMITTING.store(true, Ordering::SeqCst);
        let result = self.move_into_place();
        COMMITTING.store(false, Ordering::SeqCst);
        result
    }

    fn move_into_place(&mut self) -> RunResult<()> {
        let staged = std::mem::take(&mut self.staged);
        let files: Vec<(&Path, &Path)> = staged
            .iter()
            .filter_map(|s| s.target.as_deref().map(|t| (s.tmp.as_path(), t)))
            .collect();
        let journal = match files.first() {
            Some((_, first)) if files.len() > 1 => Some(write_journal(first, &files)?),
            _ => None,
        };
        for s in &staged {
            let Some(target) = &s.target else { continue };
            if let Some(p) = &s.permissions {
                let _ = std::fs::set_permissions(&s.tmp, p.clone());
            }
            std::fs::rename(&s.tmp, target).map_err(|e| {
                RunError::new(format!(
                    "cannot move the output into `{}`: {e}",
                    target.display()
                ))
            })?;
        }
        if let Some(j) = journal {
            let _ = std::fs::remove_file(j);
        }
        for s in staged.iter().filter(|s| s.target.is_none()) {
            let bytes = std::fs::read(&s.tmp)
                .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", s.tmp.display())))?;
            let _ = std::fs::remove_file(&s.tmp);
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(RunError::new(format!(
                    "cannot write to standard output: {e}"
                )));
            }
        }
        forget(&staged);
        Ok(())
    }
}

/// An uncommitted run (it failed) removes its temporaries: the old outputs stay.
impl Drop for Outputs {
    fn drop(&mut self) {
        for s in &self.staged {
            let _ = std::fs::remove_file(&s.tmp);
        }
        forget(&self.staged);
    }
}

fn forget(staged: &[Staged]) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|t| !staged.iter().any(|s| &s.tmp == t));
    }
}

/// The regular file a sink may replace for `path`, following symlinks.
fn writable_target(path: &Path) -> RunResult<PathBuf> {
    let mut target = path.to_path_buf();
    // Follow a chain of symlinks (a dangling one names the file to create).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&target).map_err(|e| {
                    RunError::new(format!("cannot read the link `{}`: {e}", target.display()))
                })?;
                target = match target.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => break,
        }
    }
    match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => Err(RunError::new(format!(
            "`{}` is a folder; a sink writes one file",
            path.display()
        ))
        .with_help("name a file inside it, such as `out/result.csv`")),
        Ok(m) if !m.is_file() => Err(RunError::new(format!(
            "`{}` is not a regular file (a FIFO, socket or device); a sink replaces regular files only",
            path.display()
        ))
        .with_help("write to a file; standard output is `-`")),
        Ok(m) if m.permissions().readonly() => Err(RunError::new(format!(
            "`{}` is read-only; the sink will not replace it",
            path.display()
        ))
        .with_help("make it writable (chmod u+w) or write somewhere else")),
        _ => Ok(target),
    }
}

fn write_journal(first: &Path, files: &[(&Path, &Path)]) -> RunResult<PathBuf> {
    let dir = first.parent().unwrap_or(Path::new("."));
    let journal = dir.join(format!(
        "{JOURNAL_PREFIX}{}{JOURNAL_SUFFIX}",
        std::process::id()
    ));
    let mut text = String::new();
    for (tmp, target) in files {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        text.push_str(&format!(
            "{}\t{}\n",
            abs(tmp).display(),
            abs(target).display()
        ));
    }
    let io = |e: std::io::Error| {
        RunError::new(format!(
            "cannot write the commit journal `{}`: {e}",
            journal.display()
        ))
    };
    let mut f = std::fs::File::create(&journal).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(journal)
}

/// Whether a process id is that of a live process (always "yes" where that cannot be
/// told, so nothing of a live run is touched).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.exists() || pid == std::process::id() || proc.join(pid.to_string()).exists()
}

/// Finishes the commits of dead runs journalled in `dir`, then removes the temporaries
/// dead runs left there.
fn recover(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for name in &names {
        let Some(pid) = name
            .strip_prefix(JOURNAL_PREFIX)
            .and_then(|r| r.strip_suffix(JOURNAL_SUFFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        let journal = dir.join(name);
        if let Ok(text) = std::fs::read_to_string(&journal) {
            for line in text.lines() {
                if let Some((tmp, target)) = line.split_once('\t')
                    && Path::new(tmp).exists()
                {
                    let _ = std::fs::rename(tmp, target);
                }
            }
        }
        let _ = std::fs::remove_file(journal);
    }
    for name in &names {
        let stale = name
            .strip_suffix(".tmp")
            .and_then(|r| r.rsplit_once(".sluice-"))
            .filter(|(start, _)| start.starts_with('.'))
            .and_then(|(_, id)| id.split('-').next()?.parse::<u32>().ok())
            .is_some_and(|pid| !alive(pid));
        if stale {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }
}
