//! Find references: every use of a relation, model, source or param (and its
//! declaration when the client asks for it).

use super::offset_of;
use crate::Server;
use crate::names;
use crate::position::range;
use lsp_types::{Location, ReferenceParams};

pub fn handle(server: &Server, p: ReferenceParams) -> Option<Vec<Location>> {
    let uri = p.text_document_position.text_document.uri.clone();
    let doc = server.document(&uri).ok()?;
    let offset = offset_of(doc.text(), &p.text_document_position);
    let symbols = names::index(doc.ast.as_ref()?);
    let symbol = names::at(&symbols, offset)?;
    let mut spans = Vec::new();
    if p.context.include_declaration {
        spans.push(symbol.declared);
    }
    spans.extend(symbol.uses.iter().copied());
    Some(
        spans
            .into_iter()
            .map(|s| Location::new(uri.clone(), range(doc.text(), s)))
            .collect(),
    )
}
