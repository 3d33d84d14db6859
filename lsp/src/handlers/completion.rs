//! Completion, by what comes before the cursor: operators after `|`; declaration
//! keywords at the start of a line; relations after `=`, `join` (`asof`, a join kind),
//! `union`, `intersect` and `except`; models
//! after `predict`; estimators after `fit`; evaluations after `evaluate`; otherwise the
//! columns in scope at the cursor (from the step's input), functions and params.

use super::offset_of;
use crate::Server;
use crate::document::Document;
use crate::names::{self, NameKind};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, Documentation,
};
use sluice_compiler::plan::LogicalPlan;
use sluice_compiler::resolve::streams;
use sluice_compiler::syntax::ast::OPERATOR_KEYWORDS;
use sluice_stdlib::ml::spec::{ESTIMATORS, EVALUATIONS};

const DECLARATIONS: &[&str] = &[
    "pipeline", "param", "source", "stream", "let", "model", "sink",
];

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        insert_text: Some(sluice_stdlib::types::display_name(label)),
        ..Default::default()
    }
}

pub fn handle(server: &Server, p: CompletionParams) -> Option<CompletionResponse> {
    let doc = server
        .document(&p.text_document_position.text_document.uri)
        .ok()?;
    let text = doc.text();
    let offset = offset_of(text, &p.text_document_position);
    Some(CompletionResponse::Array(items(doc, text, offset)))
}

/// The completions at `offset`.
pub fn items(doc: &Document, text: &str, offset: usize) -> Vec<CompletionItem> {
    let before = &text[..offset.min(text.len())];
    let typed_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let prev = before[..typed_start].trim_end();
    let line_start = before[..typed_start].rfind('\n').map_or(0, |i| i + 1);
    let at_line_start = before[line_start..typed_start].trim().is_empty();
    let last_word = prev
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let symbols = doc.ast.as_ref().map(names::index).unwrap_or_default();
    let named = |kinds: &[NameKind]| -> Vec<CompletionItem> {
        symbols
            .iter()
            .filter(|s| kinds.contains(&s.kind))
            .map(|s| {
                item(
                    &s.name,
                    CompletionItemKind::VARIABLE,
                    Some(format!("{:?}", s.kind).to_lowercase()),
                )
            })
            .collect()
    };
    if prev.ends_with('|') {
        return OPERATOR_KEYWORDS
            .iter()
            .map(|k| item(k, CompletionItemKind::KEYWORD, Some("operator".into())))
            .collect();
    }
    let option = |name: &str, what: &str, of: &str| {
        let mut i = item(
            name,
            CompletionItemKind::PROPERTY,
            Some(format!("{of} option")),
        );
        i.documentation = Some(Documentation::String(what.to_string()));
        i
    };
    if let Some((format, for_sink)) = io_call(&before[..typed_start]) {
        let mut out: Vec<CompletionItem> = format
            .options(for_sink)
            .iter()
            .map(|(name, what)| option(name, what, format.name()))
            .collect();
        if for_sink {
            out.push(option(
                streams::OUTPUT_OPTION.0,
                streams::OUTPUT_OPTION.1,
                "stream sink",
            ));
        }
        return out;
    }
    if let Some(kind) = stream_call(&before[..typed_start]) {
        return streams::stream_options(kind)
            .iter()
            .chain(streams::TRIGGER_OPTIONS)
            .map(|(name, what)| option(name, what, kind))
            .collect();
    }
    if is_stream_head(prev) {
        return streams::STREAM_KINDS
            .iter()
            .map(|(name, what)| {
                let mut i = item(name, CompletionItemKind::FUNCTION, Some("stream".into()));
                i.documentation = Some(Documentation::String(what.to_string()));
                i
            })
            .collect();
    }
    if at_line_start && !prev.ends_with(',') && !prev.ends_with('(') && !prev.ends_with('{') {
        return DECLARATIONS
            .iter()
            .map(|k| item(k, CompletionItemKind::KEYWORD, Some("declaration".into())))
            .collect();
    }
    match last_word {
        "predict" => return named(&[NameKind::Model]),
        "join" | "union" | "left" | "right" | "full" | "semi" | "anti" | "asof" | "intersect"
        | "except" => {
            return named(&[NameKind::Relation, NameKind::Source]);
        }
        "fit" | "cross_validate" => {
            return ESTIMATORS
                .iter()
                .map(|(name, options)| {
                    let opts: Vec<&str> = options.iter().map(|o| o.0).collect();
                    item(
                        name,
                        CompletionItemKind::CLASS,
                        Some(format!("options: label, features, {}", opts.join(", "))),
                    )
                })
                .collect();
        }
        "evaluate" => {
            return EVALUATIONS
                .iter()
                .map(|(name, _)| {
                    item(
                        name,
                        CompletionItemKind::ENUM_MEMBER,
                        Some("evaluation".into()),
                    )
                })
                .collect();
        }
        _ => {}
    }
    if is_declaration_head(prev) {
        return named(&[NameKind::Relation, NameKind::Source]);
    }
    let mut out: Vec<CompletionItem> = Vec::new();
    if last_word == "group" {
        out.extend(streams::EVENT_WINDOWS.iter().map(|(name, what)| {
            let mut i = item(
                name,
                CompletionItemKind::FUNCTION,
                Some("event-time window".into()),
            );
            i.documentation = Some(Documentation::String(what.to_string()));
            i
        }));
    }
    if let Some(plan) = doc.best_plan() {
        out.extend(columns_in_scope(plan, offset).into_iter().map(|f| {
            item(
                &f.name,
                CompletionItemKind::FIELD,
                Some(format!(
                    "{}{}",
                    f.data_type,
                    if f.nullable { "?" } else { "" }
                )),
            )
        }));
    }
    out.extend(named(&[NameKind::Param]));
    for f in sluice_stdlib::functions::all_names().filter_map(|n| {
        sluice_stdlib::functions::scalar(n)
            .or_else(|| sluice_stdlib::functions::aggregate(n))
            .or_else(|| sluice_stdlib::functions::window(n))
    }) {
        let mut i = item(
            f.name,
            CompletionItemKind::FUNCTION,
            Some(f.display_signature()),
        );
        i.documentation = Some(Documentation::String(f.doc.to_string()));
        out.push(i);
    }
    out
}

/// When the text before the cursor is inside a source's or sink's format call, after
/// its `(` or a `,` (`source s = csv("a.csv", ` or `sink t -> parquet("o", `): the
/// format, and whether it is a sink's.
fn io_call(before: &str) -> Option<(sluice_stdlib::io::Format, bool)> {
    let statement = before.rsplit('\n').next().unwrap_or("").trim_start();
    let for_sink = if statement.starts_with("sink ") {
        true
    } else if statement.starts_with("source ") {
        false
    } else {
        return None;
    };
    let open = statement.rfind('(')?;
    let inside = &statement[open + 1..];
    // After the path or another option, outside a string.
    if inside.contains(')') || inside.matches('"').count() % 2 == 1 {
        return None;
    }
    let trimmed = inside.trim_end();
    if !(trimmed.is_empty() || trimmed.ends_with(',')) {
        return None;
    }
    let name = statement[..open]
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?;
    let format = sluice_stdlib::io::Format::from_name(name)?;
    Some((format, for_sink))
}

/// When the text before the cursor is inside a stream's call, after its `(` or a `,`
/// (`stream s = watch("in/", `): the stream's kind.
fn stream_call(before: &str) -> Option<&'static str> {
    let statement = before.rsplit('\n').next().unwrap_or("").trim_start();
    if !statement.starts_with("stream ") {
        return None;
    }
    let open = statement.rfind('(')?;
    let inside = &statement[open + 1..];
    let trimmed = inside.trim_end();
    if inside.contains(')')
        || inside.matches('"').count() % 2 == 1
        || !(trimmed.is_empty() || trimmed.ends_with(','))
    {
        return None;
    }
    let name = statement[..open]
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?;
    streams::STREAM_KINDS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| *k == name)
}

/// Whether the statement before the cursor is `stream NAME =` (a stream kind comes next).
fn is_stream_head(prev: &str) -> bool {
    let statement = prev.rsplit('\n').next().unwrap_or("").trim();
    statement.starts_with("stream ") && statement.ends_with('=')
}

/// Whether the statement before `=` is `let NAME` or `model NAME` (so a relation comes
/// next).
fn is_declaration_head(prev: &str) -> bool {
    let statement = prev.rsplit('\n').next().unwrap_or("").trim();
    (statement.starts_with("let ") || statement.starts_with("model ")) && statement.ends_with('=')
}

/// The columns a step at `offset` can read: the input of the innermost plan node
/// around it, or the output of the nearest node before it.
fn columns_in_scope(plan: &LogicalPlan, offset: usize) -> Vec<sluice_stdlib::Field> {
    let around = plan
        .graph
        .node_indices()
        .filter(|n| {
            let s = plan.graph[*n].span;
            s.start <= offset && offset <= s.end && !s.is_empty()
        })
        .min_by_key(|n| plan.graph[*n].span.len());
    if let Some(n) = around
        && let Some(input) = plan.inputs(n).first()
    {
        return plan.graph[*input].schema.fields.clone();
    }
    plan.graph
        .node_indices()
        .filter(|n| plan.graph[*n].span.end <= offset)
        .max_by_key(|n| plan.graph[*n].span.end)
        .map(|n| plan.graph[n].schema.fields.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{io_call, is_stream_head, stream_call};
    use sluice_stdlib::io::Format;

    #[test]
    fn options_are_offered_inside_a_format_call_after_a_comma() {
        assert_eq!(
            io_call("source s = csv(\"a/*.csv\", "),
            Some((Format::Csv, false))
        );
        assert_eq!(
            io_call("sink t -> parquet(\"out\", mode = append, "),
            Some((Format::Parquet, true))
        );
        assert_eq!(io_call("source s = csv(\"a, "), None, "inside the path");
        assert_eq!(io_call("source s = csv(\"a\", header = "), None);
        assert_eq!(io_call("let x = f(a, "), None);
        let sink = Format::Parquet.options(true);
        assert!(sink.iter().any(|(n, _)| *n == "partition_by"));
        let source = Format::Csv.options(false);
        for want in ["union_by_name", "filename", "skip_rows", "comment"] {
            assert!(source.iter().any(|(n, _)| *n == want), "{want}");
        }
        let libsvm = Format::Libsvm.options(false);
        assert!(libsvm.iter().any(|(n, _)| *n == "num_features"));
    }

    #[test]
    fn streams_complete_their_kinds_and_options() {
        assert!(is_stream_head("stream events ="));
        assert!(!is_stream_head("let events ="));
        assert_eq!(stream_call("stream e = watch(\"in/\", "), Some("watch"));
        assert_eq!(stream_call("stream e = rate("), Some("rate"));
        assert_eq!(
            stream_call("stream e = watch(\"in/, "),
            None,
            "inside the path"
        );
        assert_eq!(stream_call("source e = csv(\"a\", "), None);
    }
}
