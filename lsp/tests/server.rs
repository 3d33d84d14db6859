#![allow(clippy::unwrap_used, clippy::panic)] // a failed expectation is a failed test
//! The language server in process, over lsp-server's in-memory connection: a client
//! initializes it, opens documents and asks what editors ask.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use lsp_types::notification::{DidChangeTextDocument, DidOpenTextDocument, Notification as _};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::*;
use serde_json::{Value, json};
use std::thread::JoinHandle;

struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), String>>>,
    next_id: i32,
}

const PIPELINE: &str = r#"param min_mag: float64 = 5.5

source quakes = csv("no/such/quakes.csv") {
  Magnitude: float64,
  Depth: float64?,
  Kind: string,
}

let strong = quakes
  | filter Magnitude >= min_mag and Kind == "Earthquake"
  | derive deep = Depth > 300.0

let counts = strong
  | group deep { n = count(), mean_mag = mean(Magnitude) }

sink counts -> csv("out/counts.csv")
"#;

impl Client {
    fn start() -> Client {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || sluice_lsp::serve(&server_side));
        let mut c = Client {
            connection: client_side,
            server: Some(server),
            next_id: 1,
        };
        let root = Url::from_directory_path(std::env::temp_dir()).unwrap();
        #[allow(deprecated)]
        let init = InitializeParams {
            root_uri: Some(root),
            ..Default::default()
        };
        let caps = c.request("initialize", serde_json::to_value(init).unwrap());
        assert!(caps["capabilities"]["hoverProvider"].as_bool().unwrap());
        c.notify("initialized", json!({}));
        c
    }

    fn notify(&self, method: &str, params: Value) {
        self.connection
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        self.connection
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.into(),
                params,
            )))
            .unwrap();
        loop {
            match self.connection.receiver.recv().unwrap() {
                Message::Response(r) if r.id == id => {
                    assert!(r.error.is_none(), "{:?}", r.error);
                    return r.result.unwrap_or(Value::Null);
                }
                _ => {}
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &Url) -> Vec<Diagnostic> {
        loop {
            if let Message::Notification(n) = self.connection.receiver.recv().unwrap()
                && n.method == "textDocument/publishDiagnostics"
            {
                let p: PublishDiagnosticsParams = serde_json::from_value(n.params).unwrap();
                if &p.uri == uri {
                    return p.diagnostics;
                }
            }
        }
    }

    fn open(&self, name: &str, text: &str) -> (Url, Vec<Diagnostic>) {
        let uri = Url::from_file_path(std::env::temp_dir().join(name)).unwrap();
        self.notify(
            DidOpenTextDocument::METHOD,
            serde_json::to_value(DidOpenTextDocumentParams {
                text_document: TextDocumentItem::new(uri.clone(), "sluice".into(), 1, text.into()),
            })
            .unwrap(),
        );
        let d = self.diagnostics(&uri);
        (uri, d)
    }

    fn at(uri: &Url, text: &str, needle: &str, nth: usize) -> TextDocumentPositionParams {
        let offset = text.match_indices(needle).nth(nth).unwrap().0;
        TextDocumentPositionParams::new(
            TextDocumentIdentifier::new(uri.clone()),
            sluice_lsp::position::position(text, offset + 1),
        )
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(s) = self.server.take() {
            assert_eq!(s.join().unwrap(), Ok(()));
        }
    }
}

#[test]
fn a_misspelt_column_is_one_diagnostic_at_exactly_its_range_with_a_suggestion() {
    let client = Client::start();
    let text = PIPELINE.replace("mean(Magnitude)", "mean(Magnitud)");
    let (_, diagnostics) = client.open("misspelt.sluice", &text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    let start = text.find("Magnitud)").unwrap();
    assert_eq!(d.range.start, sluice_lsp::position::position(&text, start));
    assert_eq!(
        d.range.end,
        sluice_lsp::position::position(&text, start + "Magnitud".len())
    );
    assert!(
        d.message.contains("unknown column `Magnitud`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("did you mean `Magnitude`?"),
        "{}",
        d.message
    );
    assert_eq!(d.code, Some(NumberOrString::String("E0200".into())));
    assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
}

#[test]
fn diagnostics_follow_edits_and_cover_yaml() {
    let client = Client::start();
    let (uri, diagnostics) = client.open("edited.sluice", PIPELINE);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    client.notify(
        DidChangeTextDocument::METHOD,
        serde_json::to_value(DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier::new(uri.clone(), 2),
            content_changes: vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: PIPELINE.replace("| filter", "| filtr"),
            }],
        })
        .unwrap(),
    );
    let after = client.diagnostics(&uri);
    assert_eq!(after.len(), 1);
    assert!(
        after[0].message.contains("unknown operator `filtr`"),
        "{}",
        after[0].message
    );

    let yaml = "sources:\n  s: {csv: no/file.csv, schema: {a: int64}}\nrelations:\n  r: {from: s, steps: [{filter: b > 1}]}\nsinks:\n  - {from: r, console: }\n";
    let (_, d) = client.open("pipeline.yaml", yaml);
    assert_eq!(d.len(), 1, "{d:#?}");
    let start = yaml.find("b > 1").unwrap();
    assert_eq!(
        d[0].range.start,
        sluice_lsp::position::position(yaml, start)
    );
}

#[test]
fn hover_shows_column_types_relations_function_docs_and_operators() {
    let mut client = Client::start();
    let (uri, _) = client.open("hover.sluice", PIPELINE);
    let hover = |client: &mut Client, needle: &str, nth: usize| -> String {
        let p = HoverParams {
            text_document_position_params: Client::at(&uri, PIPELINE, needle, nth),
            work_done_progress_params: Default::default(),
        };
        let v = client.request(HoverRequest::METHOD, serde_json::to_value(p).unwrap());
        let h: Hover = serde_json::from_value(v).unwrap();
        match h.contents {
            HoverContents::Markup(m) => m.value,
            other => panic!("{other:?}"),
        }
    };
    let depth = hover(&mut client, "Depth > 300", 0);
    assert!(depth.contains("Depth: float64?"), "{depth}");
    assert!(
        depth.contains("from `quakes`") || depth.contains("from `the"),
        "{depth}"
    );
    let relation = hover(&mut client, "strong\n", 0);
    assert!(relation.contains("**relation** `strong`"), "{relation}");
    assert!(relation.contains("deep: bool?"), "{relation}");
    let function = hover(&mut client, "mean(", 0);
    assert!(function.contains("mean("), "{function}");
    let param = hover(&mut client, "min_mag", 1);
    assert!(param.contains("**param** `min_mag`"), "{param}");
    let operator = hover(&mut client, "group deep", 0);
    assert!(operator.contains("**operator** `group`"), "{operator}");
    assert!(operator.contains("rollup(a, b)"), "{operator}");
}

#[test]
fn completion_offers_columns_after_a_pipe_step_operators_and_models() {
    let mut client = Client::start();
    let (uri, _) = client.open("complete.sluice", PIPELINE);
    let complete = |client: &mut Client, text_offset: usize| -> Vec<String> {
        let p = CompletionParams {
            text_document_position: TextDocumentPositionParams::new(
                TextDocumentIdentifier::new(uri.clone()),
                sluice_lsp::position::position(PIPELINE, text_offset),
            ),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: None,
        };
        let v = client.request(Completion::METHOD, serde_json::to_value(p).unwrap());
        let items: Vec<CompletionItem> = serde_json::from_value(v).unwrap();
        items.into_iter().map(|i| i.label).collect()
    };
    // Inside `filter Magnitude ...`: the input's columns, functions and params.
    let inside = PIPELINE.find("Magnitude >=").unwrap() + 3;
    let labels = complete(&mut client, inside);
    for want in ["Magnitude", "Depth", "Kind", "coalesce", "min_mag"] {
        assert!(labels.contains(&want.to_string()), "{want} in {labels:?}");
    }
    // Right after `| ` : operators.
    let after_pipe = PIPELINE.find("| derive").unwrap() + 2;
    let labels = complete(&mut client, after_pipe);
    assert!(labels.contains(&"filter".to_string()) && labels.contains(&"predict".to_string()));
    // In the group step: the columns of `strong`, including the derived one.
    let in_group = PIPELINE.find("count()").unwrap();
    let labels = complete(&mut client, in_group);
    assert!(labels.contains(&"deep".to_string()), "{labels:?}");
}

#[test]
fn definition_references_symbols_and_formatting() {
    let mut client = Client::start();
    let (uri, _) = client.open("navigate.sluice", PIPELINE);
    let p = GotoDefinitionParams {
        text_document_position_params: Client::at(&uri, PIPELINE, "strong\n", 0),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    };
    let v = client.request(GotoDefinition::METHOD, serde_json::to_value(p).unwrap());
    let Ok(GotoDefinitionResponse::Scalar(location)) = serde_json::from_value(v) else {
        panic!("a location");
    };
    let declared = PIPELINE.find("strong").unwrap();
    assert_eq!(
        location.range.start,
        sluice_lsp::position::position(PIPELINE, declared)
    );

    let p = ReferenceParams {
        text_document_position: Client::at(&uri, PIPELINE, "min_mag", 0),
        context: ReferenceContext {
            include_declaration: true,
        },
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    };
    let v = client.request(References::METHOD, serde_json::to_value(p).unwrap());
    let locations: Vec<Location> = serde_json::from_value(v).unwrap();
    assert_eq!(
        locations.len(),
        2,
        "the declaration and the use in the filter"
    );

    let p = DocumentSymbolParams {
        text_document: TextDocumentIdentifier::new(uri.clone()),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    };
    let v = client.request(
        DocumentSymbolRequest::METHOD,
        serde_json::to_value(p).unwrap(),
    );
    let Ok(DocumentSymbolResponse::Nested(symbols)) = serde_json::from_value(v) else {
        panic!("symbols");
    };
    let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["min_mag", "quakes", "strong", "counts"]);

    let messy = "source s = csv(\"x.csv\") { a: int64 }\nlet r = s|filter a>1\nsink r -> console\n";
    let (messy_uri, _) = client.open("messy.sluice", messy);
    let p = DocumentFormattingParams {
        text_document: TextDocumentIdentifier::new(messy_uri),
        options: FormattingOptions::default(),
        work_done_progress_params: Default::default(),
    };
    let v = client.request(Formatting::METHOD, serde_json::to_value(p).unwrap());
    let edits: Vec<TextEdit> = serde_json::from_value(v).unwrap();
    assert_eq!(edits.len(), 1);
    assert!(
        edits[0].new_text.contains("let r = s\n  | filter a > 1"),
        "{}",
        edits[0].new_text
    );
}
