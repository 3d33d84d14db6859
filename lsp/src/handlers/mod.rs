//! One handler per LSP request or notification result.

pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod references;
pub mod symbols;

use crate::position;
use lsp_types::{Position, TextDocumentPositionParams};

/// The identifier around a byte offset (a bare word, or a backquoted name without its
/// quotes), with its byte range.
pub fn word_at(text: &str, offset: usize) -> Option<(String, usize, usize)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let offset = offset.min(text.len());
    // Inside backquotes on this line?
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let mut quoted = None;
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c == '`' {
            match start.take() {
                None => start = Some(i),
                Some(s) => {
                    let (a, b) = (line_start + s, line_start + i + 1);
                    if a <= offset && offset <= b {
                        quoted = Some((line[s + 1..i].replace("``", "`"), a, b));
                    }
                }
            }
        }
    }
    if quoted.is_some() {
        return quoted;
    }
    let mut a = offset;
    while let Some(c) = text[..a].chars().next_back().filter(|c| is_word(*c)) {
        a -= c.len_utf8();
    }
    let mut b = offset;
    while let Some(c) = text[b..].chars().next().filter(|c| is_word(*c)) {
        b += c.len_utf8();
    }
    (a < b).then(|| (text[a..b].to_string(), a, b))
}

/// The byte offset a text-document position points at.
pub fn offset_of(text: &str, p: &TextDocumentPositionParams) -> usize {
    position::offset(text, Position::new(p.position.line, p.position.character))
}
