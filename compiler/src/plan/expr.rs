//! Typed expressions: what the resolver makes of an AST expression once every name is
//! bound (columns by name, params replaced by their values) and every type is known.

use crate::syntax::ast::{BinaryOp, UnaryOp};
use crate::syntax::dsl::escape;
use serde::Serialize;
use sluice_stdlib::DataType;
use sluice_stdlib::types::display_name;
use std::fmt;

/// A constant value: a literal, a param's value, a source option.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ConstValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// Microseconds.
    Duration(i64),
    List(Vec<ConstValue>),
}

impl ConstValue {
    pub fn data_type(&self) -> DataType {
        match self {
            ConstValue::Null => DataType::Null,
            ConstValue::Bool(_) => DataType::Bool,
            ConstValue::Int(_) => DataType::Int64,
            ConstValue::Float(_) => DataType::Float64,
            ConstValue::String(_) => DataType::String,
            ConstValue::Duration(_) => DataType::Duration,
            ConstValue::List(items) => DataType::List(Box::new(
                items
                    .iter()
                    .map(ConstValue::data_type)
                    .try_fold(DataType::Null, |a, b| DataType::common_supertype(&a, &b))
                    .unwrap_or(DataType::String),
            )),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ConstValue::Int(i) => Some(*i as f64),
            ConstValue::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl fmt::Display for ConstValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstValue::Null => f.write_str("null"),
            ConstValue::Bool(b) => write!(f, "{b}"),
            ConstValue::Int(i) => write!(f, "{i}"),
            ConstValue::Float(x) => write!(f, "{x:?}"),
            ConstValue::String(s) => write!(f, "\"{}\"", escape(s)),
            ConstValue::Duration(us) => {
                // In the largest unit that holds it exactly, as it would be written.
                let units: [(i64, &str); 5] = [
                    (86_400_000_000, "d"),
                    (3_600_000_000, "h"),
                    (60_000_000, "m"),
                    (1_000_000, "s"),
                    (1_000, "ms"),
                ];
                match units.iter().find(|(n, _)| *us != 0 && us % n == 0) {
                    Some((n, unit)) => write!(f, "{}{unit}", us / n),
                    None => write!(f, "{us}us"),
                }
            }
            ConstValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// An expression with its result type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypedExpr {
    pub kind: TypedExprKind,
    pub data_type: DataType,
    pub nullable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TypedExprKind {
    Column(String),
    Literal(ConstValue),
    Unary {
        op: UnaryOp,
        operand: Box<TypedExpr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<TypedExpr>,
        right: Box<TypedExpr>,
    },
    /// A scalar or aggregate function of the stdlib catalogue, arguments in parameter order.
    Call {
        function: String,
        args: Vec<TypedExpr>,
    },
    List(Vec<TypedExpr>),
    Case {
        branches: Vec<(TypedExpr, TypedExpr)>,
        otherwise: Option<Box<TypedExpr>>,
    },
    Cast {
        operand: Box<TypedExpr>,
        to: DataType,
    },
    InList {
        operand: Box<TypedExpr>,
        list: Vec<TypedExpr>,
        negated: bool,
    },
}

impl TypedExpr {
    pub fn literal(value: ConstValue) -> TypedExpr {
        TypedExpr {
            data_type: value.data_type(),
            nullable: value == ConstValue::Null,
            kind: TypedExprKind::Literal(value),
        }
    }

    /// The expression's direct subexpressions, for rewrites that walk the tree.
    pub fn children_mut(&mut self) -> Vec<&mut TypedExpr> {
        match &mut self.kind {
            TypedExprKind::Column(_) | TypedExprKind::Literal(_) => Vec::new(),
            TypedExprKind::Unary { operand, .. } | TypedExprKind::Cast { operand, .. } => {
                vec![operand.as_mut()]
            }
            TypedExprKind::Binary { left, right, .. } => vec![left.as_mut(), right.as_mut()],
            TypedExprKind::Call { args, .. } | TypedExprKind::List(args) => {
                args.iter_mut().collect()
            }
            TypedExprKind::Case {
                branches,
                otherwise,
            } => {
                let mut out: Vec<&mut TypedExpr> = Vec::new();
                for (c, v) in branches.iter_mut() {
                    out.push(c);
                    out.push(v);
                }
                out.extend(otherwise.as_deref_mut());
                out
            }
            TypedExprKind::InList { operand, list, .. } => {
                let mut out: Vec<&mut TypedExpr> = vec![operand.as_mut()];
                out.extend(list.iter_mut());
                out
            }
        }
    }

    /// Renames the columns the expression reads: `rename(name)` gives the new name, or
    /// `None` to keep it.
    pub fn rename_columns(&mut self, rename: &dyn Fn(&str) -> Option<String>) {
        if let TypedExprKind::Column(c) = &mut self.kind {
            if let Some(n) = rename(c) {
                *c = n;
            }
            return;
        }
        for child in self.children_mut() {
            child.rename_columns(rename);
        }
    }

    /// Every column the expression reads.
    pub fn columns(&self, out: &mut Vec<String>) {
        match &self.kind {
            TypedExprKind::Column(c) => {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
            _ => self.children().into_iter().for_each(|c| c.columns(out)),
        }
    }

    /// How many nodes the expression has (a measure of its cost per row).
    pub fn node_count(&self) -> usize {
        1 + self
            .children()
            .into_iter()
            .map(TypedExpr::node_count)
            .sum::<usize>()
    }

    /// The expression's direct subexpressions.
    pub fn children(&self) -> Vec<&TypedExpr> {
        match &self.kind {
            TypedExprKind::Column(_) | TypedExprKind::Literal(_) => Vec::new(),
            TypedExprKind::Unary { operand, .. } | TypedExprKind::Cast { operand, .. } => {
                vec![operand.as_ref()]
            }
            TypedExprKind::Binary { left, right, .. } => vec![left.as_ref(), right.as_ref()],
            TypedExprKind::Call { args, .. } | TypedExprKind::List(args) => args.iter().collect(),
            TypedExprKind::Case {
                branches,
                otherwise,
            } => {
                let mut out: Vec<&TypedExpr> = Vec::new();
                for (c, v) in branches {
                    out.push(c);
                    out.push(v);
                }
                out.extend(otherwise.as_deref());
                out
            }
            TypedExprKind::InList { operand, list, .. } => {
                let mut out: Vec<&TypedExpr> = vec![operand.as_ref()];
                out.extend(list.iter());
                out
            }
        }
    }

    fn precedence(&self) -> u8 {
        use crate::syntax::ast::{CAST_PRECEDENCE, IN_PRECEDENCE, NEG_PRECEDENCE, NOT_PRECEDENCE};
        match &self.kind {
            TypedExprKind::Binary { op, .. } => op.precedence(),
            TypedExprKind::Unary {
                op: UnaryOp::Not, ..
            } => NOT_PRECEDENCE,
            TypedExprKind::Unary {
                op: UnaryOp::Neg, ..
            } => NEG_PRECEDENCE,
            TypedExprKind::InList { .. } => IN_PRECEDENCE,
            TypedExprKind::Cast { .. } => CAST_PRECEDENCE,
            TypedExprKind::Literal(ConstValue::Int(i)) if *i < 0 => NEG_PRECEDENCE,
            TypedExprKind::Literal(ConstValue::Float(x)) if x.is_sign_negative() => NEG_PRECEDENCE,
            _ => u8::MAX,
        }
    }

    fn fmt_child(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for TypedExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TypedExprKind::Column(c) => f.write_str(&display_name(c)),
            TypedExprKind::Literal(v) => write!(f, "{v}"),
            TypedExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                f.write_str("-")?;
                operand.fmt_child(f, crate::syntax::ast::NEG_PRECEDENCE)
            }
            TypedExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                f.write_str("not ")?;
                operand.fmt_child(f, crate::syntax::ast::NOT_PRECEDENCE)
            }
            TypedExprKind::Binary { op, left, right } => {
                let p = op.precedence();
                left.fmt_child(f, p)?;
                write!(f, " {} ", op.symbol())?;
                right.fmt_child(f, p + 1)
            }
            TypedExprKind::Call { function, args } => {
                write!(f, "{function}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            TypedExprKind::List(items) => {
                f.write_str("[")?;
                for (i, a) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str("]")
            }
            TypedExprKind::Case {
                branches,
                otherwise,
            } => {
                f.write_str("case")?;
                for (c, v) in branches {
                    write!(f, " when {c} then {v}")?;
                }
                if let Some(o) = otherwise {
                    write!(f, " else {o}")?;
                }
                f.write_str(" end")
            }
            TypedExprKind::Cast { operand, to } => {
                operand.fmt_child(f, crate::syntax::ast::CAST_PRECEDENCE)?;
                write!(f, " as {to}")
            }
            TypedExprKind::InList {
                operand,
                list,
                negated,
            } => {
                operand.fmt_child(f, crate::syntax::ast::IN_PRECEDENCE + 1)?;
                f.write_str(if *negated { " not in [" } else { " in [" })?;
                for (i, a) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str("]")
            }
        }
    }
}
