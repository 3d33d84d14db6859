//! Hover: a column's type and the relation it comes from, a relation's, model's or
//! source's schema, a param's declaration, a function's signature and doc, an operator's
//! form and meaning.

use super::{offset_of, word_at};
use crate::Server;
use crate::names::{self, NameKind};
use crate::position::range;
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};
use sluice_compiler::plan::LogicalPlan;
use sluice_compiler::syntax::ast::Span;

pub fn handle(server: &Server, p: HoverParams) -> Option<Hover> {
    let doc = server
        .document(&p.text_document_position_params.text_document.uri)
        .ok()?;
    let text = doc.text();
    let offset = offset_of(text, &p.text_document_position_params);
    let (word, start, end) = word_at(text, offset)?;
    let markdown = describe(doc, &word, start, end)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(range(text, Span::new(start, end))),
    })
}

fn schema_of(plan: &LogicalPlan, relation: &str) -> Option<String> {
    let node = plan
        .graph
        .node_indices()
        .filter(|n| plan.graph[*n].relation.as_deref() == Some(relation))
        .max_by_key(|n| plan.graph[*n].span.end)?;
    let fields: Vec<String> = plan.graph[node]
        .schema
        .fields
        .iter()
        .map(|f| format!("    {f}"))
        .collect();
    Some(fields.join("\n"))
}

fn describe(
    doc: &crate::document::Document,
    word: &str,
    start: usize,
    end: usize,
) -> Option<String> {
    let text = doc.text();
    let plan = doc.best_plan();
    if let Some(ast) = &doc.ast
        && let Some(symbol) = names::index(ast).into_iter().find(|s| {
            s.name == word
                && (s.declared.start == start
                    || s.uses.iter().any(|u| u.start <= start && end <= u.end))
        })
    {
        let kind = match symbol.kind {
            NameKind::Param => "param",
            NameKind::Source => "source",
            NameKind::Relation => "relation",
            NameKind::Model => "model",
        };
        let declaration = text
            .get(symbol.item.start..symbol.item.end)
            .and_then(|s| s.lines().next())
            .unwrap_or("")
            .trim();
        let mut out = format!("**{kind}** `{word}`\n\n```sluice\n{declaration}\n```");
        if symbol.kind != NameKind::Param
            && let Some(schema) = plan.and_then(|p| schema_of(p, word))
        {
            out.push_str(&format!("\n\n```\n{schema}\n```"));
        }
        return Some(out);
    }
    // An operator keyword after `|`: its form and meaning.
    if text[..start].trim_end().ends_with('|')
        && let Some((form, meaning)) = sluice_compiler::syntax::operator_docs::operator_doc(word)
    {
        return Some(format!(
            "**operator** `{word}`\n\n```sluice\n| {form}\n```\n\n{meaning}"
        ));
    }
    let called = text[end..].trim_start().starts_with('(');
    if called
        && let Some(f) = sluice_stdlib::functions::scalar(word)
            .or_else(|| sluice_stdlib::functions::aggregate(word))
            .or_else(|| sluice_stdlib::functions::window(word))
    {
        return Some(f.hover_markdown());
    }
    column(plan?, word, start)
}

/// A column seen from the step around `offset`: its type, and the relation it comes
/// from (the step's input).
fn column(plan: &LogicalPlan, word: &str, offset: usize) -> Option<String> {
    let node = plan
        .graph
        .node_indices()
        .filter(|n| {
            let s = plan.graph[*n].span;
            s.start <= offset && offset <= s.end
        })
        .min_by_key(|n| plan.graph[*n].span.len())?;
    let inputs = plan.inputs(node);
    let from_input = inputs.first().and_then(|i| {
        let input = &plan.graph[*i];
        input.schema.field(word).map(|f| {
            let origin = input
                .relation
                .clone()
                .unwrap_or_else(|| format!("the {} before", input.op.name()));
            format!("**column** `{f}`\n\nfrom `{origin}`")
        })
    });
    from_input.or_else(|| {
        plan.graph[node].schema.field(word).map(|f| {
            format!(
                "**column** `{f}`\n\nmade by this `{}`",
                plan.graph[node].op.name()
            )
        })
    })
}
