//! The front ends: the DSL ([`dsl`]) and YAML ([`yaml`]) both produce the [`ast`].

pub mod ast;
pub mod comments;
pub mod dsl;
pub mod yaml;

use crate::diagnostics::Diagnostic;
use crate::source::{SourceFile, Syntax};

/// Parses a file with the front end its extension selects.
pub fn parse(file: &SourceFile) -> (Option<ast::Pipeline>, Vec<Diagnostic>) {
    match file.syntax() {
        Syntax::Dsl => dsl::parse(&file.text),
        Syntax::Yaml => yaml::parse(&file.text),
    }
}
