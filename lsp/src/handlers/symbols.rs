//! Document symbols: params, sources, relations and models, in declaration order.

use crate::Server;
use crate::names::{self, NameKind};
use crate::position::range;
use lsp_types::{DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind};

pub fn handle(server: &Server, p: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let doc = server.document(&p.text_document.uri).ok()?;
    let text = doc.text();
    let symbols = names::index(doc.ast.as_ref()?)
        .into_iter()
        .map(|s| {
            #[allow(deprecated)] // `deprecated` is a required field of the struct
            DocumentSymbol {
                name: s.name.clone(),
                detail: Some(
                    match s.kind {
                        NameKind::Param => "param",
                        NameKind::Source => "source",
                        NameKind::Relation => "relation",
                        NameKind::Model => "model",
                    }
                    .to_string(),
                ),
                kind: match s.kind {
                    NameKind::Param => SymbolKind::CONSTANT,
                    NameKind::Source => SymbolKind::FILE,
                    NameKind::Relation => SymbolKind::VARIABLE,
                    NameKind::Model => SymbolKind::CLASS,
                },
                tags: None,
                deprecated: None,
                range: range(text, s.item.to(s.declared)),
                selection_range: range(text, s.declared),
                children: None,
            }
        })
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}
