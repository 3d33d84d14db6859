//! The files one source reads: a file, a folder (every file below it, as Spark reads a
//! folder), or a glob (`logs/*.csv`, `events/**/*.parquet`), in path order. Folders
//! named `key=value` between the folder or the glob's fixed part and a file are hive
//! partitions: each key becomes a column whose value comes from the path, typed by the
//! same rules as CSV fields (`year=2015` is an int64), `__HIVE_DEFAULT_PARTITION__` or
//! an empty value is null, and `%XX` escapes are decoded.
//!
//! When reading a folder, files and folders whose names start with `.` or `_` are
//! skipped (`_SUCCESS`, `.part-0.crc`: the markers Spark and Hadoop leave beside data).

use super::InferError;
use super::value_types::{classify, widen};
use crate::types::DataType;
use std::path::{Path, PathBuf};

/// The most files one source reads.
pub const MAX_FILES: usize = 100_000;
/// The deepest folder below a source's folder that is searched.
const MAX_DEPTH: usize = 64;

/// The files a source reads and their hive partition values.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSet {
    /// In path order.
    pub files: Vec<PathBuf>,
    /// Partition keys, in folder order (the same for every file).
    pub keys: Vec<String>,
    /// Per file, its value of each key (`None`: null).
    pub values: Vec<Vec<Option<String>>>,
}

/// Whether `path` names many files: it holds a glob character or is a folder.
pub fn is_many(path: &Path) -> bool {
    has_glob(&path.to_string_lossy()) || path.is_dir()
}

fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

impl FileSet {
    /// The files `pattern` names; hive partitions are read from their folders when
    /// `hive` is set.
    pub fn expand(pattern: &Path, hive: bool) -> Result<FileSet, InferError> {
        let text = pattern.to_string_lossy().to_string();
        let (base, matcher) = if has_glob(&text) {
            let base = fixed_prefix(pattern);
            let glob = globset::GlobBuilder::new(&text)
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    InferError::new(format!("`{text}` is not a valid glob: {e}")).with_help(
                        "`*` matches within a folder, `**` across folders, `?` one character, `[abc]` one of them, `{a,b}` either",
                    )
                })?
                .compile_matcher();
            (base, Some(glob))
        } else {
            (pattern.to_path_buf(), None)
        };
        let mut files = Vec::new();
        if matcher.is_none() && !base.is_dir() {
            files.push(base.clone());
        } else {
            walk(&base, matcher.is_none(), 0, &mut files)?;
            if let Some(m) = &matcher {
                files.retain(|f| m.is_match(f));
            }
            files.sort();
        }
        if files.is_empty() {
            return Err(InferError::new(format!("no file matches `{text}`")).with_help(
                if matcher.is_some() {
                    "check the pattern: `*` does not cross folders (use `**/` for that)"
                } else {
                    "the folder is empty, or holds only hidden files (names starting with `.` or `_`)"
                },
            ));
        }
        let mut set = FileSet {
            files,
            keys: Vec::new(),
            values: Vec::new(),
        };
        if hive && (set.files.len() > 1 || base.is_dir()) {
            set.read_partitions(&base)?;
        } else {
            set.values = vec![Vec::new(); set.files.len()];
        }
        Ok(set)
    }

    /// Reads each file's `key=value` folders below `base`.
    fn read_partitions(&mut self, base: &Path) -> Result<(), InferError> {
        let mut first: Option<(Vec<String>, &Path)> = None;
        for file in &self.files {
            let below = file.strip_prefix(base).unwrap_or(file);
            let mut keys = Vec::new();
            let mut values = Vec::new();
            if let Some(folders) = below.parent() {
                for part in folders.components() {
                    let part = part.as_os_str().to_string_lossy();
                    if let Some((k, v)) = part.split_once('=')
                        && !k.is_empty()
                    {
                        keys.push(unescape(k));
                        let v = unescape(v);
                        values.push(
                            (!v.is_empty() && v != "__HIVE_DEFAULT_PARTITION__").then_some(v),
                        );
                    }
                }
            }
            match &first {
                None => first = Some((keys.clone(), file)),
                Some((expected, other)) if *expected != keys => {
                    return Err(InferError::new(format!(
                        "`{}` is in partition folders ({}) but `{}` is in ({})",
                        file.display(),
                        keys.join(", "),
                        other.display(),
                        expected.join(", ")
                    ))
                    .with_help("every file of a partitioned folder sits below the same `key=value` folders; or set hive_partitioning = false"));
                }
                Some(_) => {}
            }
            self.values.push(values);
        }
        self.keys = first.map(|(k, _)| k).unwrap_or_default();
        Ok(())
    }

    /// Each partition key's type: the widest of its values' (CSV rules); a key whose
    /// values are all null is a string.
    pub fn key_types(&self) -> Vec<DataType> {
        (0..self.keys.len())
            .map(|k| {
                let mut ty: Option<DataType> = None;
                for v in self.values.iter().filter_map(|v| v[k].as_deref()) {
                    let t = classify(v);
                    ty = Some(match ty {
                        None => t,
                        Some(prev) => widen(&prev, &t),
                    });
                }
                ty.unwrap_or(DataType::String)
            })
            .collect()
    }

    /// Whether key `k` has a null value in some file.
    pub fn key_has_null(&self, k: usize) -> bool {
        self.values.iter().any(|v| v[k].is_none())
    }
}

/// The leading folders of `pattern` without glob characters.
fn fixed_prefix(pattern: &Path) -> PathBuf {
    let mut base = PathBuf::new();
    for part in pattern.components() {
        if has_glob(&part.as_os_str().to_string_lossy()) {
            break;
        }
        base.push(part);
    }
    if base.as_os_str().is_empty() {
        base.push(".");
    }
    base
}

/// Collects the regular files below `dir` (skipping hidden ones when `skip_hidden`).
fn walk(
    dir: &Path,
    skip_hidden: bool,
    depth: usize,
    files: &mut Vec<PathBuf>,
) -> Result<(), InferError> {
    if depth > MAX_DEPTH {
        return Err(InferError::new(format!(
            "`{}` is more than {MAX_DEPTH} folders deep",
            dir.display()
        ))
        .with_help("a folder that contains itself (a symbolic link loop)?"));
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && depth == 0 => return Ok(()),
        Err(e) => {
            return Err(InferError::new(format!(
                "cannot list `{}`: {e}",
                dir.display()
            )));
        }
    };
    for entry in entries {
        let entry =
            entry.map_err(|e| InferError::new(format!("cannot list `{}`: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if skip_hidden && (name.starts_with('.') || name.starts_with('_')) {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::metadata(&path)
            .map_err(|e| InferError::new(format!("cannot read `{}`: {e}", path.display())))?;
        if meta.is_dir() {
            walk(&path, skip_hidden, depth + 1, files)?;
        } else if meta.is_file() {
            if files.len() >= MAX_FILES {
                return Err(InferError::new(format!(
                    "`{}` holds more than {MAX_FILES} files",
                    dir.display()
                ))
                .with_help("narrow the source with a glob, or merge small files"));
            }
            files.push(path);
        }
    }
    Ok(())
}

/// Decodes `%XX` escapes (Spark and Hive escape `/`, `=`, `%` and others in values).
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path a hive partition folder gets for `value` (the inverse of the decoding):
/// `%`, `/`, `=`, control characters and the characters Windows forbids are escaped.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() || "%/\\=:*?\"<>|#{}[]^".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "a\n1\n").unwrap();
    }

    #[test]
    fn a_folder_reads_every_visible_file_in_path_order_with_partitions() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "year=2016/month=2/b.csv");
        touch(dir.path(), "year=2015/month=10/a.csv");
        touch(dir.path(), "year=2015/month=3/a.csv");
        touch(dir.path(), "year=2015/_SUCCESS");
        touch(dir.path(), ".hidden/x.csv");
        let set = FileSet::expand(dir.path(), true).unwrap();
        let names: Vec<String> = set
            .files
            .iter()
            .map(|f| f.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "year=2015/month=10/a.csv",
                "year=2015/month=3/a.csv",
                "year=2016/month=2/b.csv"
            ]
        );
        assert_eq!(set.keys, ["year", "month"]);
        assert_eq!(set.key_types(), [DataType::Int64, DataType::Int64]);
        assert_eq!(set.values[2], [Some("2016".into()), Some("2".into())]);
    }

    #[test]
    fn globs_stay_within_folders_unless_doubled() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "logs/a.csv");
        touch(dir.path(), "logs/b.txt");
        touch(dir.path(), "logs/deep/c.csv");
        let one = FileSet::expand(&dir.path().join("logs/*.csv"), true).unwrap();
        assert_eq!(one.files.len(), 1);
        let all = FileSet::expand(&dir.path().join("logs/**/*.csv"), true).unwrap();
        assert_eq!(all.files.len(), 2);
        let err = FileSet::expand(&dir.path().join("logs/*.json"), true).unwrap_err();
        assert!(err.message.contains("no file matches"), "{}", err.message);
    }

    #[test]
    fn inconsistent_partition_folders_name_both_files() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "year=2015/a.csv");
        touch(dir.path(), "b.csv");
        let err = FileSet::expand(dir.path(), true).unwrap_err();
        assert!(err.message.contains("partition folders"), "{}", err.message);
        assert!(FileSet::expand(dir.path(), false).is_ok());
    }

    #[test]
    fn values_are_unescaped_and_the_default_partition_is_null() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "city=New%20York/a.csv");
        touch(dir.path(), "city=__HIVE_DEFAULT_PARTITION__/a.csv");
        let set = FileSet::expand(dir.path(), true).unwrap();
        assert_eq!(set.values[0], [Some("New York".into())]);
        assert_eq!(set.values[1], [None]);
        assert_eq!(escape("a/b=c%"), "a%2Fb%3Dc%25");
        assert_eq!(unescape(&escape("x:y/z")), "x:y/z");
    }
}
