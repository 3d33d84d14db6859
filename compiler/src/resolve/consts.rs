//! Compile-time evaluation of constant expressions: literals, params, lists, unary minus
//! and arithmetic or string concatenation on constants. Source paths, options, `take`
//! counts and fractions must be constants so the compiler can read schemas and check
//! ranges before anything runs.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::ConstValue;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};

impl Resolver<'_> {
    /// Evaluates `expr`, reporting an error (and returning `None`) when it is not constant.
    /// A name written where a word is expected (`mode = append`) that no param has: the
    /// word itself.
    pub(crate) fn bare_word(&self, expr: &Expr) -> Option<String> {
        match &expr.kind {
            ExprKind::Name(n) if !self.params.contains_key(n) => Some(n.clone()),
            _ => None,
        }
    }

    pub(crate) fn constant(&mut self, expr: &Expr, what: &str) -> Option<ConstValue> {
        match self.try_constant(expr) {
            Ok(v) => Some(v),
            Err(NotConstant::Reported) => None,
            Err(NotConstant::Because(d)) => {
                self.diags.push(d);
                None
            }
            Err(NotConstant::Plain) => {
                self.diags.push(
                    Diagnostic::error(Code::NotConstant, format!("{what} must be a constant"), expr.span, "not a constant")
                        .with_help("use a literal or a param here; columns are not known before the pipeline runs"),
                );
                None
            }
        }
    }

    fn try_constant(&mut self, expr: &Expr) -> Result<ConstValue, NotConstant> {
        Ok(match &expr.kind {
            ExprKind::Literal(l) => literal(l),
            ExprKind::Name(n) => match self.params.get(n) {
                Some(p) => {
                    p.used.set(true);
                    p.value.clone()
                }
                // Its declaration was already reported.
                None if self.failed_params.contains(n) => return Err(NotConstant::Reported),
                None => {
                    let mut d = Diagnostic::error(
                        Code::UnknownParam,
                        format!("no param named `{n}`"),
                        expr.span,
                        "not a param",
                    );
                    d.help = crate::diagnostics::did_you_mean(n, self.params.keys().map(String::as_str))
                        .or_else(|| Some("declare it with `param NAME: TYPE = DEFAULT`, or write a string in quotes".into()));
                    return Err(NotConstant::Because(d));
                }
            },
            ExprKind::List(items) => ConstValue::List(
                items
                    .iter()
                    .map(|i| self.try_constant(i))
                    .collect::<Result<_, _>>()?,
            ),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match self.try_constant(operand)? {
                ConstValue::Int(i) => ConstValue::Int(i.checked_neg().ok_or(NotConstant::Plain)?),
                ConstValue::Float(f) => ConstValue::Float(-f),
                _ => return Err(NotConstant::Plain),
            },
            ExprKind::Binary { op, left, right } => {
                let l = self.try_constant(left)?;
                let r = self.try_constant(right)?;
                match (op, l, r) {
                    (BinaryOp::Add, ConstValue::String(a), ConstValue::String(b)) => {
                        ConstValue::String(a + &b)
                    }
                    (op, ConstValue::Int(a), ConstValue::Int(b)) => ConstValue::Int(
                        match op {
                            BinaryOp::Add => a.checked_add(b),
                            BinaryOp::Sub => a.checked_sub(b),
                            BinaryOp::Mul => a.checked_mul(b),
                            _ => None,
                        }
                        .ok_or(NotConstant::Plain)?,
                    ),
                    (op, a, b) => {
                        let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                            return Err(NotConstant::Plain);
                        };
                        ConstValue::Float(match op {
                            BinaryOp::Add => x + y,
                            BinaryOp::Sub => x - y,
                            BinaryOp::Mul => x * y,
                            BinaryOp::Div => x / y,
                            _ => return Err(NotConstant::Plain),
                        })
                    }
                }
            }
            _ => return Err(NotConstant::Plain),
        })
    }
}

/// Why an expression has no constant value.
enum NotConstant {
    /// It reads something that is not known before running.
    Plain,
    /// A more precise diagnostic.
    Because(Diagnostic),
    /// Its cause was already reported.
    Reported,
}

/// The value of a literal.
pub(crate) fn literal(l: &Literal) -> ConstValue {
    match l {
        Literal::Int(i) => ConstValue::Int(*i),
        Literal::Float(f) => ConstValue::Float(*f),
        Literal::String(s) => ConstValue::String(s.clone()),
        Literal::Bool(b) => ConstValue::Bool(*b),
        Literal::Null => ConstValue::Null,
        Literal::Duration { amount, unit } => {
            ConstValue::Duration(amount.saturating_mul(unit.micros()))
        }
    }
}
