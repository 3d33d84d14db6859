//! Diagnostics: the compiler's, for DSL and YAML alike, at their primary span, with
//! the help ("did you mean ...") appended and the other labels as related
//! information.

use crate::document::Document;
use crate::position::range;
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Url,
};
use sluice_compiler::Severity;

pub fn of(doc: &Document) -> Vec<Diagnostic> {
    let text = doc.text();
    let uri = Url::from_file_path(&doc.file.name).ok();
    doc.diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let related: Vec<DiagnosticRelatedInformation> = match &uri {
                Some(uri) => d
                    .secondary
                    .iter()
                    .map(|l| DiagnosticRelatedInformation {
                        location: Location::new(uri.clone(), range(text, l.span)),
                        message: l.message.clone(),
                    })
                    .collect(),
                None => Vec::new(),
            };
            Diagnostic {
                range: range(text, d.primary.span),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    _ => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.as_str().to_string())),
                source: Some("sluice".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Default::default()
            }
        })
        .collect()
}
