//! The front ends: the DSL ([`dsl`]) and YAML ([`yaml`]) both produce the [`ast`].

pub mod ast;
pub mod comments;
pub mod dsl;
pub mod nesting;
pub mod operator_docs;
pub mod yaml;
mod yaml_positions;

use crate::diagnostics::{Code, Diagnostic};
use crate::limits::{MAX_DECLARATIONS, MAX_SOURCE_BYTES};
use crate::source::{SourceFile, Syntax};

/// Parses a file with the front end its extension selects. Files past
/// [`MAX_SOURCE_BYTES`] are refused before parsing, pipelines past [`MAX_DECLARATIONS`]
/// after it.
pub fn parse(file: &SourceFile) -> (Option<ast::Pipeline>, Vec<Diagnostic>) {
    if file.text.len() > MAX_SOURCE_BYTES {
        let d = Diagnostic::error(
            Code::LimitExceeded,
            format!(
                "the pipeline file is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                file.text.len()
            ),
            ast::Span::new(0, 0),
            "file too large",
        )
        .with_help("a pipeline file declares the work; data belongs in the files its sources read");
        return (None, vec![d]);
    }
    let (ast, mut diagnostics) = match file.syntax() {
        Syntax::Dsl => dsl::parse(&file.text),
        Syntax::Yaml => yaml::parse(&file.text),
    };
    if let Some(extra) = ast.as_ref().and_then(|a| a.items.get(MAX_DECLARATIONS)) {
        diagnostics.push(
            Diagnostic::error(
                Code::LimitExceeded,
                format!("a pipeline may have at most {MAX_DECLARATIONS} declarations"),
                extra.span(),
                "one too many",
            )
            .with_help("split the work over several pipeline files"),
        );
    }
    (ast, diagnostics)
}
