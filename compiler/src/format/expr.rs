//! Expressions printed with the fewest parentheses that keep their meaning, using the
//! precedences the parser uses ([`BinaryOp::precedence`] and the prefix/postfix
//! constants in the AST).

use super::type_ref;
use crate::syntax::ast::*;
use crate::syntax::dsl::escape;
use sluice_stdlib::types::display_name;

pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(l) => literal(l),
        ExprKind::Name(n) => display_name(n),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => format!("-{}", child(operand, NEG_PRECEDENCE)),
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => format!("not {}", child(operand, NOT_PRECEDENCE)),
        ExprKind::Binary { op, left, right } => {
            let p = op.precedence();
            format!("{} {} {}", child(left, p), op.symbol(), child(right, p + 1))
        }
        ExprKind::Call { function, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{} = {}", display_name(&n.name), expr(&a.value)),
                    None => expr(&a.value),
                })
                .collect();
            format!("{}({})", display_name(&function.name), args.join(", "))
        }
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Case {
            branches,
            otherwise,
        } => {
            let mut s = String::from("case");
            for (c, v) in branches {
                s.push_str(&format!(" when {} then {}", expr(c), expr(v)));
            }
            if let Some(o) = otherwise {
                s.push_str(&format!(" else {}", expr(o)));
            }
            s.push_str(" end");
            s
        }
        ExprKind::Cast { operand, ty } => {
            format!("{} as {}", child(operand, CAST_PRECEDENCE), type_ref(ty))
        }
        ExprKind::InList {
            operand,
            list,
            negated,
        } => format!(
            "{} {}in [{}]",
            child(operand, IN_PRECEDENCE + 1),
            if *negated { "not " } else { "" },
            list.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => NOT_PRECEDENCE,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => NEG_PRECEDENCE,
        ExprKind::InList { .. } => IN_PRECEDENCE,
        ExprKind::Cast { .. } => CAST_PRECEDENCE,
        ExprKind::Literal(Literal::Int(i)) if *i < 0 => NEG_PRECEDENCE,
        ExprKind::Literal(Literal::Float(f)) if f.is_sign_negative() => NEG_PRECEDENCE,
        _ => u8::MAX,
    }
}

fn child(e: &Expr, min: u8) -> String {
    if precedence(e) < min {
        format!("({})", expr(e))
    } else {
        expr(e)
    }
}

fn literal(l: &Literal) -> String {
    match l {
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) if f.is_infinite() => {
            if *f > 0.0 {
                "1e999".into()
            } else {
                "-1e999".into()
            }
        }
        Literal::Float(f) if f.is_nan() => "(0.0 / 0.0)".into(),
        Literal::Float(f) => format!("{f:?}"),
        Literal::String(s) => format!("\"{}\"", escape(s)),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
        Literal::Duration { amount, unit } => format!("{amount}{}", unit.suffix()),
    }
}
