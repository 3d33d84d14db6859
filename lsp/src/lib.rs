//! The Sluice language server (`sluice lsp`): synchronous, over lsp-server's
//! connection (stdio, or in memory for tests). Documents are kept in full and
//! re-analysed on every change; each request has its own handler in [`handlers`].
//!
//! - [`document`]: an open file and its latest analysis (diagnostics, AST, plan — the
//!   last plan that compiled is kept, so completion still works while typing);
//! - [`position`]: byte offsets ↔ LSP positions (UTF-16 columns);
//! - [`names`]: where relations, models, sources and params are declared and used.

pub mod document;
pub mod handlers;
pub mod names;
pub mod position;
pub mod transport;

use document::Document;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::{
    CompletionOptions, InitializeParams, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use std::collections::HashMap;
use std::path::PathBuf;

/// The server's state: open documents, and the directory relative paths start from.
pub struct Server {
    pub documents: HashMap<Url, Document>,
    pub root: Option<PathBuf>,
}

/// What the server can do, as told to the client.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["|".into(), " ".into(), "(".into(), ",".into()]),
            ..Default::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

/// Runs the server on a connection until the client shuts it down.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let init = connection
        .initialize(caps)
        .map_err(|e| format!("initialize failed: {e}"))?;
    let params: InitializeParams =
        serde_json::from_value(init).map_err(|e| format!("bad initialize params: {e}"))?;
    #[allow(deprecated)] // root_uri is what most clients still send
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.clone())
        .or(params.root_uri)
        .and_then(|u| u.to_file_path().ok());
    let mut server = Server {
        documents: HashMap::new(),
        root,
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let response = server.request(request);
                send(connection, Message::Response(response))?;
            }
            Message::Notification(n) => {
                if let Some(uri) = server.notification(n) {
                    publish(connection, &server, &uri)?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection
        .sender
        .send(message)
        .map_err(|e| format!("the client went away: {e}"))
}

/// Sends a document's diagnostics (none when it was closed).
fn publish(connection: &Connection, server: &Server, uri: &Url) -> Result<(), String> {
    let (diagnostics, version) = match server.documents.get(uri) {
        Some(d) => (handlers::diagnostics::of(d), Some(d.version)),
        None => (Vec::new(), None),
    };
    let params = PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics,
        version,
    };
    send(
        connection,
        Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        )),
    )
}

fn reply<T: serde::Serialize>(id: RequestId, result: Result<T, String>) -> Response {
    match result {
        Ok(value) => Response::new_ok(id, value),
        Err(message) => Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, message),
    }
}

fn params<P: serde::de::DeserializeOwned>(request: &Request) -> Result<P, String> {
    serde_json::from_value(request.params.clone()).map_err(|e| format!("bad params: {e}"))
}

impl Server {
    /// Answers one request.
    pub fn request(&self, request: Request) -> Response {
        let id = request.id.clone();
        match request.method.as_str() {
            HoverRequest::METHOD => reply(
                id,
                params(&request).map(|p| handlers::hover::handle(self, p)),
            ),
            Completion::METHOD => reply(
                id,
                params(&request).map(|p| handlers::completion::handle(self, p)),
            ),
            GotoDefinition::METHOD => reply(
                id,
                params(&request).map(|p| handlers::definition::handle(self, p)),
            ),
            References::METHOD => reply(
                id,
                params(&request).map(|p| handlers::references::handle(self, p)),
            ),
            DocumentSymbolRequest::METHOD => reply(
                id,
                params(&request).map(|p| handlers::symbols::handle(self, p)),
            ),
            Formatting::METHOD => reply(
                id,
                params(&request).map(|p| handlers::formatting::handle(self, p)),
            ),
            other => Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("`{other}` is not supported"),
            ),
        }
    }

    /// Applies a notification; returns the document whose diagnostics changed.
    pub fn notification(&mut self, n: Notification) -> Option<Url> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(n.params).ok()?;
                let uri = p.text_document.uri;
                let doc = Document::new(
                    &uri,
                    p.text_document.text,
                    p.text_document.version,
                    self.root.as_deref(),
                );
                self.documents.insert(uri.clone(), doc);
                Some(uri)
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(n.params).ok()?;
                let uri = p.text_document.uri;
                let text = p.content_changes.into_iter().last()?.text;
                let root = self.root.clone();
                let doc = self.documents.get_mut(&uri)?;
                doc.update(text, p.text_document.version, root.as_deref());
                Some(uri)
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(n.params).ok()?;
                self.documents.remove(&p.text_document.uri);
                Some(p.text_document.uri)
            }
            _ => None,
        }
    }

    pub fn document(&self, uri: &Url) -> Result<&Document, String> {
        self.documents
            .get(uri)
            .ok_or_else(|| format!("`{uri}` is not open"))
    }
}
