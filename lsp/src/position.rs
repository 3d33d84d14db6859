//! Byte offsets in a document ↔ LSP positions (0-based line, UTF-16 column).

use lsp_types::{Position, Range};
use sluice_compiler::syntax::ast::Span;

/// The position of a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..floor_char(text, offset)];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = before[line_start..].encode_utf16().count();
    Position::new(line as u32, character as u32)
}

/// The byte offset of a position (clamped to the line and the text).
pub fn offset(text: &str, position: Position) -> usize {
    let mut start = 0;
    for _ in 0..position.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0u32;
    for (i, c) in text[start..line_end].char_indices() {
        if units >= position.character {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_end
}

pub fn range(text: &str, span: Span) -> Range {
    Range::new(position(text, span.start), position(text, span.end))
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_round_trip() {
        let text = "let a = b\n  | derive é𝄞x = 1\n";
        let x = text.find('x').unwrap_or(0);
        let p = position(text, x);
        assert_eq!(p, Position::new(1, 14), "é is one unit, 𝄞 two");
        assert_eq!(offset(text, p), x);
        assert_eq!(offset(text, Position::new(9, 0)), text.len());
    }
}
