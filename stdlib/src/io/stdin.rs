//! `-` as a source's path: standard input. It is copied once per process into an
//! unnamed temporary file (created and unlinked at once, so nothing is left behind even
//! after a crash), which inference and the readers then open as a file by its
//! `/proc/self/fd` path: they seek and read it in parallel, and see the same bytes.

use super::InferError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The path that names standard input.
pub const STDIN: &str = "-";

static SPOOLED: OnceLock<Result<(std::fs::File, PathBuf), String>> = OnceLock::new();

/// The path of a file holding all of standard input (read the first time it is asked
/// for).
pub fn stdin_file() -> Result<PathBuf, InferError> {
    let spooled = SPOOLED.get_or_init(|| spool().map_err(|e| e.to_string()));
    match spooled {
        Ok((_, path)) => Ok(path.clone()),
        Err(e) => Err(InferError::new(format!("cannot read standard input: {e}"))
            .with_help("the temporary folder must be writable (set TMPDIR)")),
    }
}

/// `path` as given, or standard input's file for `-`, relative paths under `base`.
pub fn resolve(path: &str, base: Option<&Path>) -> Result<PathBuf, InferError> {
    if path == STDIN {
        return stdin_file();
    }
    Ok(match base {
        Some(b) => b.join(path),
        None => PathBuf::from(path),
    })
}

fn spool() -> std::io::Result<(std::fs::File, PathBuf)> {
    use std::os::fd::AsRawFd;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = std::env::temp_dir().join(format!("sluice-stdin-{}-{nanos}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&name)?;
    std::fs::remove_file(&name)?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file)?;
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    Ok((file, path))
}
