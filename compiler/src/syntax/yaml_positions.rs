//! Where each byte of a YAML scalar's value sits in the file, through the scalar's
//! decoding: `''` in single-quoted scalars, escapes and escaped line breaks in
//! double-quoted ones, line folding in plain, quoted and folded (`>`) scalars, and the
//! indentation of literal (`|`) ones. Expressions parsed from a scalar are reported at
//! these positions, so an error inside one points at the character the user wrote.

use super::ast::{Expr, ExprKind, Span};
use crate::diagnostics::Diagnostic;

/// For each byte of `value` (and one past its end), its offset in `raw`, the scalar's
/// text as written (quotes and block indicators included).
///
/// The value is aligned with the raw text character by character: a raw character that
/// produces the next value character is its position; anything else (a quote, an
/// indicator, indentation, an escape producing something else) is skipped. A line break
/// folded into a space, or kept as a line feed, is the position of that line break.
pub fn decoded_positions(raw: &str, value: &str) -> Vec<usize> {
    let double = raw.starts_with('"');
    let single = raw.starts_with('\'');
    let mut j = usize::from(double || single);
    let mut out = Vec::with_capacity(value.len() + 1);
    for c in value.chars() {
        let at = loop {
            let Some(rest) = raw.get(j..).filter(|r| !r.is_empty()) else {
                break raw.len();
            };
            let rc = rest.chars().next().unwrap_or(' ');
            if single && c == '\'' && rest.starts_with("''") {
                j += 2;
                break j - 2;
            }
            if double && rc == '\\' {
                let (produced, len) = escape(rest);
                j += len;
                if produced == Some(c) {
                    break j - len;
                }
                continue;
            }
            if rc == c {
                j += rc.len_utf8();
                break j - rc.len_utf8();
            }
            if (c == ' ' || c == '\n') && (rc == '\n' || rc == '\r') {
                let at = j;
                j += 1;
                if rc == '\r' && raw.as_bytes().get(j) == Some(&b'\n') {
                    j += 1;
                }
                while matches!(raw.as_bytes().get(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                break at;
            }
            j += rc.len_utf8();
        };
        for k in 0..c.len_utf8() {
            out.push((at + k).min(raw.len()));
        }
    }
    out.push(j.min(raw.len()));
    out
}

/// A double-quoted escape at the start of `rest` (which starts with `\`): the character
/// it stands for (`None` for an escaped line break, which stands for nothing) and its
/// length in bytes.
fn escape(rest: &str) -> (Option<char>, usize) {
    let b = rest.as_bytes();
    let hex = |len: usize| {
        rest.get(2..2 + len)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
    };
    match b.get(1) {
        Some(b'x') => (hex(2), 4),
        Some(b'u') => (hex(4), 6),
        Some(b'U') => (hex(8), 10),
        Some(b'\n' | b'\r') => {
            let mut len = 2;
            if b.get(1) == Some(&b'\r') && b.get(2) == Some(&b'\n') {
                len = 3;
            }
            while matches!(b.get(len), Some(b' ' | b'\t')) {
                len += 1;
            }
            (None, len)
        }
        Some(&e) => {
            let produced = match e {
                b'0' => '\0',
                b'a' => '\u{7}',
                b'b' => '\u{8}',
                b't' | b'\t' => '\t',
                b'n' => '\n',
                b'v' => '\u{b}',
                b'f' => '\u{c}',
                b'r' => '\r',
                b'e' => '\u{1b}',
                b'N' => '\u{85}',
                b'_' => '\u{a0}',
                b'L' => '\u{2028}',
                b'P' => '\u{2029}',
                other => other as char,
            };
            (Some(produced), 2)
        }
        None => (None, 1),
    }
}

/// Moves every span of an expression parsed from a scalar's value (spans counted from
/// the value's start) to the file, through `positions` (see [`decoded_positions`]),
/// shifted by `shift` bytes of the value.
pub fn place_expr(expr: &mut Expr, positions: &[usize], base: usize, shift: usize) {
    let place = |span: &mut Span| *span = placed(*span, positions, base, shift);
    let mut work = vec![expr];
    while let Some(e) = work.pop() {
        place(&mut e.span);
        match &mut e.kind {
            ExprKind::Literal(_) | ExprKind::Name(_) => {}
            ExprKind::Unary { operand, .. } => work.push(operand),
            ExprKind::Cast { operand, ty } => {
                place(&mut ty.span);
                work.push(operand);
            }
            ExprKind::Binary { left, right, .. } => {
                work.push(left);
                work.push(right);
            }
            ExprKind::Call { function, args } => {
                place(&mut function.span);
                for a in args {
                    if let Some(n) = &mut a.name {
                        place(&mut n.span);
                    }
                    work.push(&mut a.value);
                }
            }
            ExprKind::List(items) => work.extend(items.iter_mut()),
            ExprKind::Case {
                branches,
                otherwise,
            } => {
                for (c, v) in branches {
                    work.push(c);
                    work.push(v);
                }
                if let Some(o) = otherwise {
                    work.push(o);
                }
            }
            ExprKind::InList { operand, list, .. } => {
                work.push(operand);
                work.extend(list.iter_mut());
            }
        }
    }
}

/// [`place_expr`] for a diagnostic's labels.
pub fn place_diagnostic(d: &mut Diagnostic, positions: &[usize], base: usize, shift: usize) {
    d.primary.span = placed(d.primary.span, positions, base, shift);
    for l in &mut d.secondary {
        l.span = placed(l.span, positions, base, shift);
    }
}

fn placed(span: Span, positions: &[usize], base: usize, shift: usize) -> Span {
    let at = |i: usize| base + positions[(i + shift).min(positions.len() - 1)];
    Span::new(at(span.start), at(span.end).max(at(span.start)))
}

#[cfg(test)]
mod tests {
    use super::decoded_positions;

    /// The raw text at the position of `needle` in the value.
    fn at<'a>(raw: &'a str, value: &str, needle: &str) -> &'a str {
        let i = value.find(needle).unwrap_or(0);
        let p = decoded_positions(raw, value)[i];
        &raw[p..]
    }

    #[test]
    fn positions_follow_every_scalar_style() {
        assert!(at(r#""a\tb + \"x\" + zz""#, "a\tb + \"x\" + zz", "zz").starts_with("zz"));
        assert!(at("'it''s' + zz'", "it's' + zz", "zz").starts_with("zz"));
        assert!(at("a +\n    b +\n    zz", "a + b + zz", "zz").starts_with("zz"));
        assert!(at("|\n  a +\n  zz\n", "a +\nzz\n", "zz").starts_with("zz"));
        assert!(at(">\n  a +\n  zz\n", "a + zz\n", "zz").starts_with("zz"));
        assert!(at(r#""a \u00e9 zz""#, "a é zz", "zz").starts_with("zz"));
        assert!(at("\"a +\\\n   zz\"", "a +zz", "zz").starts_with("zz"));
    }
}
