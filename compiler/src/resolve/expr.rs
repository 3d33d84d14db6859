//! Expression typing: binds names to columns (or params), checks operators and calls
//! against the stdlib catalogue with numeric widening, and returns a [`TypedExpr`].
//! Every error inside an expression is reported; the expression is then `None`.

use super::{Resolver, type_name};
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::{ConstValue, TypedExpr, TypedExprKind};
use crate::syntax::ast::{Arg, BinaryOp, Expr, ExprKind, Ident, Span, UnaryOp};
use sluice_stdlib::functions::{self, ArgType, FunctionKind, SignatureError};
use sluice_stdlib::{DataType, Schema};

/// Whether aggregate calls are allowed where the expression stands.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    Row,
    /// The top of a `group` item: one aggregate call.
    Aggregate,
    /// The top of a `window` item: a window function or an aggregate call.
    Window,
}

impl Resolver<'_> {
    pub(crate) fn unknown_column(&mut self, name: &str, span: Span, schema: &Schema) {
        let mut d = Diagnostic::error(
            Code::UnknownColumn,
            format!("unknown column `{name}`"),
            span,
            "no such column",
        );
        // Hidden columns (keys the resolver derives) are not the user's to name.
        let visible = || schema.names().filter(|n| !super::is_hidden(n));
        d.help = did_you_mean(
            name,
            visible().chain(self.params.keys().map(String::as_str)),
        )
        .or_else(|| {
            let names: Vec<String> = visible()
                .take(12)
                .map(sluice_stdlib::types::display_name)
                .collect();
            let more = if visible().count() > 12 { ", ..." } else { "" };
            Some(format!("columns here: {}{more}", names.join(", ")))
        });
        self.diags.push(d);
    }

    /// Checks that `name` is a column of `schema`, reporting it otherwise.
    pub(crate) fn column<'s>(
        &mut self,
        name: &Ident,
        schema: &'s Schema,
    ) -> Option<&'s sluice_stdlib::Field> {
        let f = schema.field(&name.name);
        if f.is_none() {
            self.unknown_column(&name.name, name.span, schema);
        }
        f
    }

    pub(crate) fn type_expr(
        &mut self,
        expr: &Expr,
        schema: &Schema,
        context: Context,
    ) -> Option<TypedExpr> {
        match &expr.kind {
            ExprKind::Literal(l) => Some(TypedExpr::literal(super::consts::literal(l))),
            ExprKind::Name(n) => {
                if let Some(f) = schema.field(n) {
                    return Some(TypedExpr {
                        kind: TypedExprKind::Column(n.clone()),
                        data_type: f.data_type.clone(),
                        nullable: f.nullable,
                    });
                }
                if let Some(p) = self.params.get(n) {
                    p.used.set(true);
                    return Some(TypedExpr::literal(p.value.clone()));
                }
                if !self.failed_params.contains(n) {
                    self.unknown_column(n, expr.span, schema);
                }
                // Reported once: from here on the name stands for a value of unknown
                // type (null converts to every type), so the rest of the pipeline is
                // still checked and every independent mistake is reported at once.
                // The pipeline does not compile: an error was reported.
                Some(TypedExpr::literal(ConstValue::Null))
            }
            ExprKind::List(items) => {
                let typed: Vec<TypedExpr> = items
                    .iter()
                    .map(|i| self.type_expr(i, schema, Context::Row))
                    .collect::<Option<_>>()?;
                let mut item = DataType::Null;
                for (t, e) in typed.iter().zip(items) {
                    match DataType::common_supertype(&item, &t.data_type) {
                        Some(c) => item = c,
                        None => {
                            self.diags.push(Diagnostic::error(
                                Code::TypeMismatch,
                                format!(
                                    "list items must have one type: {item} and {}",
                                    t.data_type
                                ),
                                e.span,
                                format!("this is {}", t.data_type),
                            ));
                            return None;
                        }
                    }
                }
                Some(TypedExpr {
                    kind: TypedExprKind::List(typed),
                    data_type: DataType::List(Box::new(item)),
                    nullable: false,
                })
            }
            ExprKind::Unary { op, operand } => {
                let t = self.type_expr(operand, schema, Context::Row)?;
                let ok = match op {
                    UnaryOp::Neg => t.data_type.is_numeric() || t.data_type == DataType::Duration,
                    UnaryOp::Not => matches!(t.data_type, DataType::Bool | DataType::Null),
                };
                if !ok {
                    let (what, expected) = if *op == UnaryOp::Neg {
                        ("negate", "a number")
                    } else {
                        ("apply `not` to", "a bool")
                    };
                    self.diags.push(Diagnostic::error(
                        Code::TypeMismatch,
                        format!("cannot {what} {}: expected {expected}", t.data_type),
                        operand.span,
                        format!("this is {}", t.data_type),
                    ));
                    return None;
                }
                let data_type = if *op == UnaryOp::Not {
                    DataType::Bool
                } else {
                    t.data_type.clone()
                };
                // Negating the least int64 (or duration) overflows: null.
                let nullable = t.nullable
                    || (*op == UnaryOp::Neg
                        && matches!(t.data_type, DataType::Int64 | DataType::Duration));
                Some(TypedExpr {
                    kind: TypedExprKind::Unary {
                        op: *op,
                        operand: Box::new(t),
                    },
                    data_type,
                    nullable,
                })
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.type_expr(left, schema, Context::Row);
                let r = self.type_expr(right, schema, Context::Row);
                let (l, r) = (l?, r?);
                self.binary(*op, l, r, left.span, right.span)
            }
            ExprKind::Call { function, args } => {
                self.call(function, args, expr.span, schema, context)
            }
            ExprKind::Case {
                branches,
                otherwise,
            } => {
                let mut typed = Vec::new();
                let mut result = DataType::Null;
                let mut nullable = otherwise.is_none();
                let mut failed = false;
                for (cond, value) in branches {
                    let c = self.type_expr(cond, schema, Context::Row);
                    let v = self.type_expr(value, schema, Context::Row);
                    let (Some(c), Some(v)) = (c, v) else {
                        failed = true;
                        continue;
                    };
                    if !matches!(c.data_type, DataType::Bool | DataType::Null) {
                        self.not_bool(&c, cond.span, "a `when` condition");
                        failed = true;
                    }
                    failed |= !self.unify(&mut result, &v, value.span, "`case` branches");
                    nullable |= v.nullable;
                    typed.push((c, v));
                }
                let otherwise = match otherwise {
                    Some(o) => {
                        let t = self.type_expr(o, schema, Context::Row)?;
                        failed |= !self.unify(&mut result, &t, o.span, "`case` branches");
                        nullable |= t.nullable;
                        Some(Box::new(t))
                    }
                    None => None,
                };
                if failed {
                    return None;
                }
                Some(TypedExpr {
                    kind: TypedExprKind::Case {
                        branches: typed,
                        otherwise,
                    },
                    data_type: result,
                    nullable,
                })
            }
            ExprKind::Cast { operand, ty } => {
                let t = self.type_expr(operand, schema, Context::Row)?;
                if !can_cast(&t.data_type, &ty.data_type) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidCast,
                            format!("cannot cast {} to {}", t.data_type, ty.data_type),
                            expr.span,
                            "invalid cast",
                        )
                        .with_help("casts go between numbers, to and from strings, between bool and int64, and between date and timestamp"),
                    );
                    return None;
                }
                // Parsing text can fail (null); narrowing a float can overflow (null).
                let nullable = t.nullable
                    || (t.data_type == DataType::String && ty.data_type != DataType::String)
                    || (t.data_type == DataType::Float64 && ty.data_type == DataType::Int64);
                Some(TypedExpr {
                    kind: TypedExprKind::Cast {
                        operand: Box::new(t),
                        to: ty.data_type.clone(),
                    },
                    data_type: ty.data_type.clone(),
                    nullable,
                })
            }
            ExprKind::InList {
                operand,
                list,
                negated,
            } => {
                let t = self.type_expr(operand, schema, Context::Row)?;
                let mut items = Vec::new();
                let mut common = t.data_type.clone();
                let mut nullable = t.nullable;
                for item in list {
                    let it = self.type_expr(item, schema, Context::Row)?;
                    if !self.unify(&mut common, &it, item.span, "`in` and its operand") {
                        return None;
                    }
                    nullable |= it.nullable;
                    items.push(it);
                }
                Some(TypedExpr {
                    kind: TypedExprKind::InList {
                        operand: Box::new(t),
                        list: items,
                        negated: *negated,
                    },
                    data_type: DataType::Bool,
                    nullable,
                })
            }
        }
    }

    fn unify(&mut self, acc: &mut DataType, t: &TypedExpr, span: Span, what: &str) -> bool {
        match DataType::common_supertype(acc, &t.data_type) {
            Some(c) => {
                *acc = c;
                true
            }
            None => {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    format!("{what} must have one type, found {acc} and {}", t.data_type),
                    span,
                    format!("this is {}", t.data_type),
                ));
                false
            }
        }
    }

    pub(crate) fn not_bool(&mut self, t: &TypedExpr, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error(
                Code::NotBoolean,
                format!("{what} must be a bool, found {}", t.data_type),
                span,
                format!("this is {}", t.data_type),
            )
            .with_help("compare it with something: `x > 0`, `name == \"a\"`, `is_null(x)`"),
        );
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: TypedExpr,
        r: TypedExpr,
        ls: Span,
        rs: Span,
    ) -> Option<TypedExpr> {
        use DataType::*;
        let (a, b) = (&l.data_type, &r.data_type);
        let nullable = l.nullable || r.nullable;
        let result = match op {
            BinaryOp::And | BinaryOp::Or => {
                if matches!(a, Bool | Null) && matches!(b, Bool | Null) {
                    Some((Bool, nullable))
                } else {
                    None
                }
            }
            BinaryOp::Eq | BinaryOp::NotEq => {
                DataType::common_supertype(a, b).map(|_| (Bool, nullable))
            }
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                DataType::common_supertype(a, b)
                    .filter(DataType::is_ordered)
                    .map(|_| (Bool, nullable))
            }
            BinaryOp::Add => match (a, b) {
                (String, String) | (String, Null) | (Null, String) => Some((String, nullable)),
                (Date | Timestamp, Duration) => Some((a.clone(), nullable)),
                (Duration, Date | Timestamp) => Some((b.clone(), nullable)),
                (Duration, Duration) => Some((Duration, nullable)),
                _ if a.is_numeric() && b.is_numeric() => numeric(a, b),
                _ => None,
            },
            BinaryOp::Sub => match (a, b) {
                (Date | Timestamp, Duration) => Some((a.clone(), nullable)),
                (Date | Timestamp, Date | Timestamp) => Some((Duration, nullable)),
                (Duration, Duration) => Some((Duration, nullable)),
                _ if a.is_numeric() && b.is_numeric() => numeric(a, b),
                _ => None,
            },
            BinaryOp::Mul => match (a, b) {
                (Duration, Int64) | (Int64, Duration) => Some((Duration, nullable)),
                _ if a.is_numeric() && b.is_numeric() => numeric(a, b),
                _ => None,
            },
            // Division is true division; x / 0 is null, as is x % 0.
            BinaryOp::Div => (a.is_numeric() && b.is_numeric()).then_some((Float64, true)),
            BinaryOp::Rem => (a.is_numeric() && b.is_numeric())
                .then(|| (numeric(a, b).map_or(Float64, |t| t.0), true)),
        };
        // A null operand gives null; integer and temporal arithmetic that overflows
        // gives null (documented in the stdlib).
        let exact = |t: &DataType| matches!(t, Int64 | Date | Timestamp | Duration);
        let Some((data_type, nullable)) = result.map(|(t, n)| {
            (
                t,
                n || nullable
                    || (exact(&l.data_type)
                        && exact(&r.data_type)
                        && matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul)),
            )
        }) else {
            let verb = match op {
                BinaryOp::And | BinaryOp::Or => format!("apply `{}` to", op.symbol()),
                BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq => "compare".to_string(),
                BinaryOp::Add => "add".into(),
                BinaryOp::Sub => "subtract".into(),
                BinaryOp::Mul => "multiply".into(),
                BinaryOp::Div => "divide".into(),
                BinaryOp::Rem => "take the remainder of".into(),
            };
            let joiner = if op.is_comparison() { "with" } else { "and" };
            let mut d = Diagnostic::error(
                Code::TypeMismatch,
                format!(
                    "cannot {verb} {} {joiner} {}",
                    type_name(a, l.nullable),
                    type_name(b, r.nullable)
                ),
                ls,
                format!("this is {}", type_name(a, l.nullable)),
            )
            .with_label(rs, format!("this is {}", type_name(b, r.nullable)));
            d.help = Some(match (a, b) {
                (String, _) | (_, String) if op == BinaryOp::Add => "`+` joins two strings or adds two numbers; convert one side with `as`, e.g. `x as string`".into(),
                _ if op.is_comparison() => "compare values of one type; convert one side with `as`".into(),
                _ => format!("`{}` needs numbers on both sides", op.symbol()),
            });
            self.diags.push(d);
            return None;
        };
        Some(TypedExpr {
            kind: TypedExprKind::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
            data_type,
            nullable,
        })
    }

    fn call(
        &mut self,
        function: &Ident,
        args: &[Arg],
        span: Span,
        schema: &Schema,
        context: Context,
    ) -> Option<TypedExpr> {
        let name = function.name.as_str();
        let sig = match (functions::scalar(name), functions::aggregate(name)) {
            (Some(s), _) => s,
            (None, Some(a)) if matches!(context, Context::Aggregate | Context::Window) => a,
            (None, None) if context == Context::Window && functions::window(name).is_some() => {
                functions::window(name)?
            }
            (None, None) if functions::window(name).is_some() => {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!("`{name}` is a window function; it can only be used in a `window`"),
                        function.span,
                        "window function here",
                    )
                    .with_help(format!(
                        "write `| window by KEYS order by COLUMN {{ result = {name}(...) }}`"
                    )),
                );
                return None;
            }
            (None, Some(_)) if self.inside_aggregate.is_some() => {
                let outer = self.inside_aggregate.clone().unwrap_or_default();
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!("`{name}` is an aggregate; it cannot be an argument of the aggregate `{outer}`"),
                        function.span,
                        "aggregate inside an aggregate",
                    )
                    .with_help(format!(
                        "aggregate in two steps: `| group KEYS {{ inner = {name}(...) }} | group ... {{ result = {outer}(inner) }}`"
                    )),
                );
                return None;
            }
            (None, Some(_)) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!("`{name}` is an aggregate; it can only be used in a `group`"),
                        function.span,
                        "aggregate here",
                    )
                    .with_help(format!("write `| group KEYS {{ result = {name}(...) }}`")),
                );
                return None;
            }
            (None, None) => {
                let mut d = Diagnostic::error(
                    Code::UnknownFunction,
                    format!("unknown function `{name}`"),
                    function.span,
                    "no such function",
                );
                d.help = did_you_mean(name, functions::all_names())
                    .or_else(|| Some("see docs/functions.md for the functions Sluice has".into()));
                self.diags.push(d);
                return None;
            }
        };
        // Bind positional then named arguments to parameters.
        let mut bound: Vec<Option<&Arg>> = vec![None; sig.params.len()];
        let mut extra: Vec<&Arg> = Vec::new();
        let mut ok = true;
        let mut positional = 0;
        for arg in args {
            match &arg.name {
                None => {
                    if positional < bound.len() {
                        bound[positional] = Some(arg);
                    } else if sig.variadic {
                        extra.push(arg);
                    } else {
                        self.diags.push(
                            Diagnostic::error(
                                Code::ArgumentCount,
                                format!("`{name}` takes at most {} arguments", sig.params.len()),
                                arg.span(),
                                "extra argument",
                            )
                            .with_help(format!("signature: {}", sig.display_signature())),
                        );
                        ok = false;
                    }
                    positional += 1;
                }
                Some(n) => match sig.params.iter().position(|p| p.name == n.name) {
                    Some(i) if bound[i].is_none() => bound[i] = Some(arg),
                    Some(_) => {
                        self.diags.push(Diagnostic::error(
                            Code::ArgumentCount,
                            format!("`{}` is given twice", n.name),
                            n.span,
                            "given again",
                        ));
                        ok = false;
                    }
                    None => {
                        let mut d = Diagnostic::error(
                            Code::UnknownArgument,
                            format!("`{name}` has no parameter `{}`", n.name),
                            n.span,
                            "unknown parameter",
                        );
                        d.help = did_you_mean(&n.name, sig.params.iter().map(|p| p.name))
                            .or_else(|| Some(format!("signature: {}", sig.display_signature())));
                        self.diags.push(d);
                        ok = false;
                    }
                },
            }
        }
        let present = bound.iter().take_while(|b| b.is_some()).count();
        if let Some(missing) = sig
            .params
            .iter()
            .zip(&bound)
            .find(|(p, b)| !p.optional && b.is_none())
        {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    format!("`{name}` needs its `{}` argument", missing.0.name),
                    span,
                    "missing argument",
                )
                .with_help(format!(
                    "signature: {}  e.g. {}",
                    sig.display_signature(),
                    sig.example
                )),
            );
            return None;
        }
        if bound.iter().skip(present).any(Option::is_some) {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    format!("`{name}` is missing an argument before a later one"),
                    span,
                    "gap in the arguments",
                )
                .with_help(format!("signature: {}", sig.display_signature())),
            );
            return None;
        }
        if !ok {
            return None;
        }
        let given: Vec<&Arg> = bound.into_iter().flatten().chain(extra).collect();
        let mut typed = Vec::with_capacity(given.len());
        let outer = if sig.kind == FunctionKind::Aggregate {
            self.inside_aggregate.replace(name.to_string())
        } else {
            self.inside_aggregate.clone()
        };
        for (i, arg) in given.iter().enumerate() {
            let param = sig.param_at(i);
            let t = self.type_expr(&arg.value, schema, Context::Row);
            let Some(t) = t else {
                ok = false;
                continue;
            };
            if let Some(check) = param.constant {
                let result = match &t.kind {
                    TypedExprKind::Literal(ConstValue::String(s)) => check.check_string(s),
                    TypedExprKind::Literal(v) if v.as_f64().is_some() => {
                        check.check_number(v.as_f64().unwrap_or_default())
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::NotConstant,
                                format!("`{}` of `{name}` must be a constant", param.name),
                                arg.value.span,
                                "not a constant",
                            )
                            .with_help("write a literal or a param here"),
                        );
                        ok = false;
                        continue;
                    }
                };
                if let Err(message) = result {
                    self.diags.push(Diagnostic::error(
                        Code::InvalidConstant,
                        message,
                        arg.value.span,
                        "invalid",
                    ));
                    ok = false;
                }
            }
            typed.push(t);
        }
        self.inside_aggregate = outer;
        if !ok {
            return None;
        }
        let arg_types: Vec<ArgType> = typed
            .iter()
            .map(|t| ArgType {
                data_type: t.data_type.clone(),
                nullable: t.nullable,
            })
            .collect();
        match sig.return_type(&arg_types) {
            Ok(ret) => Some(TypedExpr {
                kind: TypedExprKind::Call {
                    function: name.to_string(),
                    args: typed,
                },
                data_type: ret.data_type,
                nullable: ret.nullable,
            }),
            Err(SignatureError::ArgumentType {
                index,
                param,
                expected,
                found,
            }) => {
                let at = given.get(index).map_or(span, |a| a.value.span);
                self.diags.push(
                    Diagnostic::error(
                        Code::ArgumentType,
                        format!("`{name}` expects {expected} for `{param}`, found {found}"),
                        at,
                        format!("this is {found}"),
                    )
                    .with_help(format!("signature: {}", sig.display_signature())),
                );
                None
            }
            Err(SignatureError::NoCommonType { types, .. }) => {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "the arguments of `{name}` must have one type, found {}",
                        types
                            .iter()
                            .map(|t| t.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    span,
                    "mixed types",
                ));
                None
            }
        }
    }
}

fn numeric(a: &DataType, b: &DataType) -> Option<(DataType, bool)> {
    let t = DataType::common_supertype(a, b)?;
    Some((
        if t == DataType::Null {
            DataType::Int64
        } else {
            t
        },
        false,
    ))
}

/// Whether `as` converts `from` to `to`.
pub(crate) fn can_cast(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    from == to
        || *from == Null
        || *to == String
        || (*from == String && !matches!(to, List(_)))
        || (from.is_numeric() && to.is_numeric())
        || matches!(
            (from, to),
            (Bool, Int64)
                | (Int64, Bool)
                | (Date, Timestamp)
                | (Timestamp, Date)
                | (Int64, Duration)
                | (Duration, Int64)
        )
}
