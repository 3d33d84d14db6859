//! The Sluice compiler: pipeline files (DSL or YAML) to a typed, checked logical plan.
//!
//! ```text
//! file ──syntax──▶ AST ──resolve──▶ logical plan (petgraph DAG) ──optimize──▶ explain / run
//! ```
//! [`compile`] runs the whole front half and returns the plan or every diagnostic of
//! the file; [`format`] prints an AST back as canonical DSL.

pub mod codegen;
pub mod diagnostics;
pub mod format;
pub mod limits;
pub mod optimize;
pub mod plan;
pub mod resolve;
pub mod source;
pub mod syntax;

pub use diagnostics::{Code, Diagnostic, Severity};
pub use source::SourceFile;

pub use resolve::ResolveOptions;

/// A pipeline compiled to its logical plan, with any warnings.
#[derive(Debug)]
pub struct Compiled {
    pub ast: syntax::ast::Pipeline,
    pub plan: plan::LogicalPlan,
    pub warnings: Vec<Diagnostic>,
}

/// Parses and resolves a file: the plan, or every diagnostic of the file (errors and
/// warnings, in source order).
pub fn compile(file: &SourceFile, options: &ResolveOptions) -> Result<Compiled, Vec<Diagnostic>> {
    let (ast, mut diagnostics) = syntax::parse(file);
    let Some(ast) = ast else {
        return Err(diagnostics);
    };
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let (plan, resolved) = resolve::resolve(&ast, options);
    diagnostics.extend(resolved);
    match plan {
        Some(plan) => Ok(Compiled {
            ast,
            plan,
            warnings: diagnostics,
        }),
        None => Err(diagnostics),
    }
}
