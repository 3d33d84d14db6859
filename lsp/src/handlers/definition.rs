//! Go to definition: from a use of a relation, model, source or param to its
//! declaration.

use super::offset_of;
use crate::Server;
use crate::names;
use crate::position::range;
use lsp_types::{GotoDefinitionParams, GotoDefinitionResponse, Location};

pub fn handle(server: &Server, p: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let uri = p.text_document_position_params.text_document.uri.clone();
    let doc = server.document(&uri).ok()?;
    let offset = offset_of(doc.text(), &p.text_document_position_params);
    let symbols = names::index(doc.ast.as_ref()?);
    let symbol = names::at(&symbols, offset)?;
    Some(GotoDefinitionResponse::Scalar(Location::new(
        uri,
        range(doc.text(), symbol.declared),
    )))
}
