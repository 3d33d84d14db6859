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
//! A folder sink (partitioned, or appending part files) stages a temporary folder: with
//! `overwrite` it replaces the old folder (moved aside, removed after the commit), with
//! `append` its files are moved in beside the old ones; both are journalled the same way.
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
            remove_any(tmp);
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
    kind: StagedKind,
}

/// What a staged temporary becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StagedKind {
    /// A file that replaces its target.
    File,
    /// A folder that replaces its target folder (moved aside, then removed).
    Folder,
    /// A folder whose files are added to the target folder, beside the ones there.
    AddedFiles,
}

/// How a folder sink treats what is already at its path (Spark's save modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveMode {
    /// Replace it (the default).
    Overwrite,
    /// Add new part files beside the old ones, never rewriting those.
    Append,
    /// Refuse to run when something is there.
    ErrorIfExists,
}

impl SaveMode {
    pub fn from_name(name: &str) -> Option<SaveMode> {
        Some(match name {
            "overwrite" => SaveMode::Overwrite,
            "append" => SaveMode::Append,
            "error_if_exists" => SaveMode::ErrorIfExists,
            _ => return None,
        })
    }
}

/// The refusal of `error_if_exists` when `path` exists.
pub fn refuse_existing(path: &Path) -> RunResult<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(RunError::new(format!(
            "`{}` exists, and the sink's mode is error_if_exists",
            path.display()
        ))
        .with_help("remove it, write elsewhere, or set mode = overwrite (replace) or mode = append (add part files)"));
    }
    Ok(())
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
            kind: StagedKind::File,
        });
        Ok(tmp)
    }

    /// Prepares the folder `path` to be written (replaced with `Overwrite`, added to
    /// with `Append`) and returns the temporary folder to write its files in.
    pub fn stage_folder(&mut self, path: &Path, mode: SaveMode) -> RunResult<PathBuf> {
        match std::fs::metadata(path) {
            Ok(m) if !m.is_dir() => {
                return Err(RunError::new(format!(
                    "`{}` is a file; this sink writes a folder of part files",
                    path.display()
                ))
                .with_help("name a folder (`out/events/`), or remove the file"));
            }
            Ok(m) if m.permissions().readonly() => {
                return Err(RunError::new(format!(
                    "`{}` is read-only; the sink will not change it",
                    path.display()
                ))
                .with_help("make it writable (chmod u+w) or write somewhere else"));
            }
            _ => {}
        }
        if mode == SaveMode::ErrorIfExists {
            refuse_existing(path)?;
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|e| RunError::new(format!("cannot create `{}`: {e}", parent.display())))?;
        recover(parent);
        let name = path
            .file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned());
        let tmp = parent.join(format!(
            ".{name}.sluice-{}-{}.tmp",
            std::process::id(),
            self.staged.len()
        ));
        std::fs::create_dir_all(&tmp)
            .map_err(|e| RunError::new(format!("cannot create `{}`: {e}", tmp.display())))?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(tmp.clone());
        }
        self.staged.push(Staged {
            tmp: tmp.clone(),
            target: Some(path.to_path_buf()),
            permissions: None,
            kind: if mode == SaveMode::Append {
                StagedKind::AddedFiles
            } else {
                StagedKind::Folder
            },
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
        let files: Vec<(&Path, &Path, StagedKind)> = staged
            .iter()
            .filter_map(|s| s.target.as_deref().map(|t| (s.tmp.as_path(), t, s.kind)))
            .collect();
        let journal = match files.first() {
            Some((_, first, kind)) if files.len() > 1 || *kind != StagedKind::File => {
                Some(write_journal(first, &files)?)
            }
            _ => None,
        };
        for s in &staged {
            let Some(target) = &s.target else { continue };
            if let Some(p) = &s.permissions {
                let _ = std::fs::set_permissions(&s.tmp, p.clone());
            }
            let moved = match s.kind {
                StagedKind::File => std::fs::rename(&s.tmp, target),
                StagedKind::Folder => replace_folder(&s.tmp, target),
                StagedKind::AddedFiles => add_files(&s.tmp, target),
            };
            moved.map_err(|e| {
                RunError::new(format!(
                    "cannot move the output into `{}`: {e}",
                    target.display()
                ))
            })?;
        }
        if let Some(j) = journal {
            let _ = std::fs::remove_file(j);
        }
        for s in staged.iter().filter(|s| s.kind == StagedKind::Folder) {
            if let Some(target) = &s.target {
                let _ = std::fs::remove_dir_all(aside(target));
            }
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
            remove_any(&s.tmp);
        }
        forget(&self.staged);
    }
}

/// Removes a file or a folder with everything in it.
fn remove_any(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// Where a replaced folder is moved before it is removed.
fn aside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.sluice-{}-old.tmp", std::process::id()))
}

/// Puts the folder `tmp` in place of `target`: the old folder is moved aside first (it
/// is removed once every output is in place). Also finishes a move a killed run began.
fn replace_folder(tmp: &Path, target: &Path) -> std::io::Result<()> {
    replace_folder_via(tmp, target, &aside(target))
}

fn replace_folder_via(tmp: &Path, target: &Path, old: &Path) -> std::io::Result<()> {
    if !tmp.exists() {
        return Ok(()); // already moved
    }
    if target.exists() {
        if old.exists() {
            std::fs::remove_dir_all(old)?;
        }
        std::fs::rename(target, old)?;
    }
    std::fs::rename(tmp, target)
}

/// Moves every file under `tmp` to the same place under `target` (which may hold other
/// files already), then removes `tmp`.
fn add_files(tmp: &Path, target: &Path) -> std::io::Result<()> {
    if !tmp.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(target)?;
    for entry in std::fs::read_dir(tmp)? {
        let entry = entry?;
        let to = target.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            add_files(&entry.path(), &to)?;
        } else {
            std::fs::rename(entry.path(), to)?;
        }
    }
    std::fs::remove_dir_all(tmp)
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

fn write_journal(first: &Path, files: &[(&Path, &Path, StagedKind)]) -> RunResult<PathBuf> {
    let dir = first.parent().unwrap_or(Path::new("."));
    let journal = dir.join(format!(
        "{JOURNAL_PREFIX}{}{JOURNAL_SUFFIX}",
        std::process::id()
    ));
    let mut text = String::new();
    for (tmp, target, kind) in files {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        // A file's line is `tmp<TAB>target`; a folder's adds how it is moved, and for a
        // replaced folder where the old one goes.
        let how = match kind {
            StagedKind::File => String::new(),
            StagedKind::Folder => format!("\tfolder\t{}", abs(&aside(target)).display()),
            StagedKind::AddedFiles => "\tadd".to_string(),
        };
        text.push_str(&format!(
            "{}\t{}{how}\n",
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
                let fields: Vec<&str> = line.split('\t').collect();
                match fields.as_slice() {
                    [tmp, target] if Path::new(tmp).exists() => {
                        let _ = std::fs::rename(tmp, target);
                    }
                    [tmp, target, "folder", old] => {
                        let (target, old) = (Path::new(target), Path::new(old));
                        if replace_folder_via(Path::new(tmp), target, old).is_ok() {
                            let _ = std::fs::remove_dir_all(old);
                        }
                    }
                    [tmp, target, "add"] => {
                        let _ = add_files(Path::new(tmp), Path::new(target));
                    }
                    _ => {}
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
            remove_any(&dir.join(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process id no live process has.
    const DEAD: u32 = 999_999_999;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn a_folder_replace_killed_halfway_is_finished_by_the_next_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (target, tmp) = (
            dir.path().join("out"),
            dir.path().join(".out.sluice-9-0.tmp"),
        );
        let old = dir.path().join(format!(".out.sluice-{DEAD}-old.tmp"));
        std::fs::create_dir_all(target.join("k=a")).expect("old");
        std::fs::write(target.join("k=a/part-00000.csv"), "old").expect("old");
        std::fs::create_dir_all(tmp.join("k=b")).expect("new");
        std::fs::write(tmp.join("k=b/part-00000.csv"), "new").expect("new");
        // Killed after moving the old folder aside, before moving the new one in.
        std::fs::rename(&target, &old).expect("aside");
        let journal = dir
            .path()
            .join(format!("{JOURNAL_PREFIX}{DEAD}{JOURNAL_SUFFIX}"));
        std::fs::write(
            &journal,
            format!(
                "{}\t{}\tfolder\t{}\n",
                tmp.display(),
                target.display(),
                old.display()
            ),
        )
        .expect("journal");
        recover(dir.path());
        assert_eq!(read(&target.join("k=b/part-00000.csv")), "new");
        assert!(!target.join("k=a").exists() && !old.exists() && !journal.exists());
    }

    #[test]
    fn appended_files_killed_halfway_are_all_moved_by_the_next_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (target, tmp) = (
            dir.path().join("out"),
            dir.path().join(".out.sluice-9-0.tmp"),
        );
        std::fs::create_dir_all(target.join("k=a")).expect("old");
        std::fs::write(target.join("k=a/part-1.csv"), "old").expect("old");
        for f in ["k=a/part-2.csv", "k=c/part-2.csv"] {
            std::fs::create_dir_all(tmp.join(f).parent().expect("parent")).expect("dir");
            std::fs::write(tmp.join(f), "new").expect("new");
        }
        // Killed after the first file moved.
        std::fs::rename(tmp.join("k=a/part-2.csv"), target.join("k=a/part-2.csv")).expect("mv");
        let journal = dir
            .path()
            .join(format!("{JOURNAL_PREFIX}{DEAD}{JOURNAL_SUFFIX}"));
        std::fs::write(
            &journal,
            format!("{}\t{}\tadd\n", tmp.display(), target.display()),
        )
        .expect("journal");
        recover(dir.path());
        assert_eq!(read(&target.join("k=a/part-1.csv")), "old");
        assert_eq!(read(&target.join("k=a/part-2.csv")), "new");
        assert_eq!(read(&target.join("k=c/part-2.csv")), "new");
        assert!(!tmp.exists() && !journal.exists());
    }

    #[test]
    fn a_dead_runs_temporary_folder_is_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stale = dir.path().join(format!(".out.sluice-{DEAD}-0.tmp"));
        std::fs::create_dir_all(stale.join("k=a")).expect("stale");
        std::fs::write(stale.join("k=a/part-00000.csv"), "x").expect("stale");
        recover(dir.path());
        assert!(!stale.exists());
    }
}
