//! The Sluice compiler: pipeline files (DSL or YAML) to a typed, checked logical plan.
//!
//! ```text
//! file ──syntax──▶ AST ──resolve──▶ logical plan (petgraph DAG) ──▶ explain / run
//! ```
//! [`compile`] runs the whole front half and returns the plan or every diagnostic of
//! the file; [`format`] prints an AST back as canonical DSL.

pub mod diagnostics;
pub mod format;
pub mod plan;
pub mod resolve;
pub mod source;
pub mod syntax;

pub use diagnostics::{Code, Diagnostic, Severity};
pub use source::SourceFile;
