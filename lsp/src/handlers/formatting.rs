//! Formatting: the whole document in `sluice fmt`'s canonical DSL layout. A YAML
//! document, or one that does not parse, is left as it is.

use crate::Server;
use crate::position::position;
use lsp_types::{DocumentFormattingParams, Range, TextEdit};
use sluice_compiler::source::Syntax;

pub fn handle(server: &Server, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let doc = server.document(&p.text_document.uri).ok()?;
    if doc.file.syntax() != Syntax::Dsl {
        return None;
    }
    let ast = doc.ast.as_ref()?;
    if doc
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.code.as_str().starts_with("E01"))
    {
        return None;
    }
    let formatted = sluice_compiler::format::format(ast, Some(doc.text()));
    if formatted == doc.text() {
        return Some(Vec::new());
    }
    let end = position(doc.text(), doc.text().len());
    Some(vec![TextEdit::new(
        Range::new(lsp_types::Position::new(0, 0), end),
        formatted,
    )])
}
