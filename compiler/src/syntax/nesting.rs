//! Enforces the nesting and size limits of [`crate::limits`] in both front ends, before
//! and after an expression is built: the text is scanned for nesting before the
//! recursive-descent parser sees it, and every built expression is measured without
//! recursion. An expression over a limit is reported (`E0105`) and replaced by `null`.

use super::ast::{Expr, ExprKind, Literal, Span};
use crate::diagnostics::{Code, Diagnostic};
use crate::limits::{MAX_EXPR_DEPTH, MAX_EXPR_NODES, MAX_NESTING};

/// Scans DSL text (a whole file, or one YAML expression at `offset`) for brackets, `case`
/// blocks and runs of prefix `-`/`not` nested deeper than [`MAX_NESTING`]. Strings,
/// quoted names and comments are skipped.
pub fn check_nesting(text: &str, offset: usize) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        match b {
            b'"' | b'\'' | b'`' => {
                i = skip_quoted(bytes, i);
                prefix_run = 0;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                prefix_run = 0;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                prefix_run = 0;
            }
            b'-' if bytes.get(i + 1) != Some(&b'>') => prefix_run += 1,
            b if b.is_ascii_whitespace() => {}
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                match &text[start..i] {
                    "not" => prefix_run += 1,
                    "case" => {
                        depth += 1;
                        prefix_run = 0;
                    }
                    "end" => {
                        depth = depth.saturating_sub(1);
                        prefix_run = 0;
                    }
                    _ => prefix_run = 0,
                }
                if depth + prefix_run > MAX_NESTING {
                    return Err(too_deep(offset + start, offset + i));
                }
                continue;
            }
            _ => prefix_run = 0,
        }
        if depth + prefix_run > MAX_NESTING {
            return Err(too_deep(offset + start, offset + start + 1));
        }
        i += 1;
    }
    Ok(())
}

/// The index just past the quoted text starting at `start` (or the end of its line
/// when it is not closed; the parser reports that).
fn skip_quoted(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b'\n' | b'\r' => return i,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn too_deep(start: usize, end: usize) -> Diagnostic {
    Diagnostic::error(
        Code::LimitExceeded,
        format!("expression nested more than {MAX_NESTING} levels deep"),
        Span::new(start, end),
        "nested too deeply",
    )
    .with_help("compute the inner part in an earlier `derive` step and refer to it by name")
}

/// Checks one built expression against [`MAX_EXPR_DEPTH`] and [`MAX_EXPR_NODES`]
/// without recursing. Over a limit, the expression is taken apart iteratively (so not
/// even dropping it recurses), replaced by `null`, and the diagnostic returned.
pub fn check_size(expr: &mut Expr) -> Option<Diagnostic> {
    let (depth, nodes) = measure(expr);
    if depth <= MAX_EXPR_DEPTH && nodes <= MAX_EXPR_NODES {
        return None;
    }
    let span = expr.span;
    let message = if depth > MAX_EXPR_DEPTH {
        format!("expression is {depth} levels deep; the limit is {MAX_EXPR_DEPTH}")
    } else {
        format!("expression has {nodes} parts; the limit is {MAX_EXPR_NODES}")
    };
    let taken = std::mem::replace(
        expr,
        Expr {
            kind: ExprKind::Literal(Literal::Null),
            span,
        },
    );
    dismantle(taken);
    Some(
        Diagnostic::error(Code::LimitExceeded, message, span, "too large")
            .with_help("split it over several `derive` steps, each naming a part"),
    )
}

/// The height and node count of an expression tree, by an explicit stack.
fn measure(expr: &Expr) -> (usize, usize) {
    let mut stack = vec![(expr, 1usize)];
    let (mut deepest, mut nodes) = (0, 0);
    while let Some((e, depth)) = stack.pop() {
        nodes += 1;
        deepest = deepest.max(depth);
        for child in children(e) {
            stack.push((child, depth + 1));
        }
    }
    (deepest, nodes)
}

fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) => Vec::new(),
        ExprKind::Unary { operand, .. } | ExprKind::Cast { operand, .. } => vec![operand],
        ExprKind::Binary { left, right, .. } => vec![left, right],
        ExprKind::Call { args, .. } => args.iter().map(|a| &a.value).collect(),
        ExprKind::List(items) => items.iter().collect(),
        ExprKind::Case {
            branches,
            otherwise,
        } => branches
            .iter()
            .flat_map(|(c, v)| [c, v])
            .chain(otherwise.as_deref())
            .collect(),
        ExprKind::InList { operand, list, .. } => {
            std::iter::once(&**operand).chain(list.iter()).collect()
        }
    }
}

/// Drops a tree of any depth: children are moved onto a work list before their parent
/// is dropped, so no drop recurses more than one level.
pub fn dismantle(expr: Expr) {
    let mut work = vec![expr];
    while let Some(mut e) = work.pop() {
        let kind = std::mem::replace(&mut e.kind, ExprKind::Literal(Literal::Null));
        match kind {
            ExprKind::Literal(_) | ExprKind::Name(_) => {}
            ExprKind::Unary { operand, .. } | ExprKind::Cast { operand, .. } => work.push(*operand),
            ExprKind::Binary { left, right, .. } => work.extend([*left, *right]),
            ExprKind::Call { args, .. } => work.extend(args.into_iter().map(|a| a.value)),
            ExprKind::List(items) => work.extend(items),
            ExprKind::Case {
                branches,
                otherwise,
            } => {
                for (c, v) in branches {
                    work.extend([c, v]);
                }
                work.extend(otherwise.map(|o| *o));
            }
            ExprKind::InList { operand, list, .. } => {
                work.push(*operand);
                work.extend(list);
            }
        }
    }
}
