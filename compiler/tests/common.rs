//! Helpers shared by the integration tests.
#![allow(dead_code)]

use sluice_compiler::{ResolveOptions, SourceFile};
use std::path::{Path, PathBuf};

/// The repository root (examples' default paths are relative to it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Reads a file and names it by its path relative to the root, for stable snapshots.
pub fn load(path: &Path) -> SourceFile {
    let text = std::fs::read_to_string(path).expect("readable");
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    SourceFile::new(name, text)
}

/// Paths resolve against the root, named relatively (tests run in the crate's
/// directory) so that messages quoting a resolved path do not depend on where the
/// repository was cloned.
pub fn options() -> ResolveOptions {
    ResolveOptions {
        params: vec![],
        base_dir: Some(PathBuf::from("..")),
    }
}

/// Every example pipeline file, sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .flatten()
    {
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = f.path();
            if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("sluice" | "yaml" | "yml")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn fixtures(kind: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(kind),
    )
    .expect("fixtures")
    .flatten()
    .map(|e| e.path())
    .collect();
    out.sort();
    out
}

/// `examples/earthquakes/pipeline.sluice` → `earthquakes__pipeline.sluice`
pub fn snapshot_name(path: &Path) -> String {
    let rel = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    rel.trim_start_matches("examples/")
        .trim_start_matches("compiler/tests/fixtures/")
        .replace('/', "__")
}
