//! Refuses a run whose files clash: two sinks writing one file (the first output would
//! be lost), a sink or a `bad_rows` file replacing a file the run reads, or a `bad_rows`
//! file shared with another output. Paths are compared after params are substituted,
//! relative paths are joined to the base folder, and symlinks are followed, so two
//! spellings of one file are one file.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{ConstValue, PlanOp};
use crate::syntax::ast::Span;
use std::path::{Path, PathBuf};

/// What a run does with a file.
#[derive(Clone, Copy, PartialEq)]
enum Use {
    Read,
    Write,
}

struct FileUse {
    file: PathBuf,
    /// The path as written (after params), for the message.
    written: String,
    role: String,
    used: Use,
    span: Span,
}

impl Resolver<'_> {
    pub(super) fn check_path_clashes(&mut self) {
        let mut uses: Vec<FileUse> = Vec::new();
        for node in self.plan.graph.node_indices() {
            let n = &self.plan.graph[node];
            let mut add = |path: &str, role: String, used: Use| {
                uses.push(FileUse {
                    file: self.identity(path),
                    written: path.to_string(),
                    role,
                    used,
                    span: n.span,
                })
            };
            match &n.op {
                PlanOp::Scan {
                    source,
                    path,
                    options,
                    ..
                } => {
                    // `-` is standard input here and standard output in a sink.
                    if path != sluice_stdlib::io::stdin::STDIN {
                        add(path, format!("source `{source}` reads it"), Use::Read);
                    }
                    if let Some((_, ConstValue::String(bad))) =
                        options.iter().find(|(k, _)| k == "bad_rows")
                    {
                        add(
                            bad,
                            format!("source `{source}` writes its bad rows to it"),
                            Use::Write,
                        );
                    }
                }
                PlanOp::LoadModel { path, .. } => {
                    add(path, "a model source reads it".to_string(), Use::Read)
                }
                PlanOp::Sink {
                    path: Some(path), ..
                } => add(path, "a sink writes it".to_string(), Use::Write),
                _ => {}
            }
        }
        for (i, later) in uses.iter().enumerate() {
            let clash = uses[..i].iter().find(|earlier| {
                earlier.file == later.file
                    && (earlier.used == Use::Write || later.used == Use::Write)
            });
            if let Some(earlier) = clash {
                let (writer, other) = if later.used == Use::Write {
                    (later, earlier)
                } else {
                    (earlier, later)
                };
                let message = if other.used == Use::Write {
                    format!(
                        "two outputs of this run are the same file `{}`",
                        later.written
                    )
                } else {
                    format!(
                        "this run would replace `{}`, which it also reads",
                        writer.written
                    )
                };
                self.diags.push(
                    Diagnostic::error(Code::PathClash, message, writer.span, writer.role.clone())
                        .with_label(other.span, other.role.clone())
                        .with_help("give each output its own file, apart from every input"),
                );
            }
        }
    }

    /// The file a path names: joined to the base folder, its longest existing part
    /// with symlinks resolved, the rest (`..` included) applied to it.
    fn identity(&self, path: &str) -> PathBuf {
        let full = match &self.options.base_dir {
            Some(base) => base.join(path),
            None => PathBuf::from(path),
        };
        let absolute = std::path::absolute(&full).unwrap_or(full);
        let mut existing = absolute.as_path();
        let mut rest = Vec::new();
        let real = loop {
            if let Ok(real) = std::fs::canonicalize(existing) {
                break real;
            }
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                _ => break existing.to_path_buf(),
            }
        };
        let mut out = real;
        for part in rest.iter().rev() {
            out.push(part);
        }
        normalize(&out)
    }
}

/// `a/b/../c` → `a/c`, `a/./b` → `a/b`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
