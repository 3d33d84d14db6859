//! `| window [by KEYS] [order by KEYS] { name = f(...) [frame], ... }`: the partition
//! keys and order keys are columns, each item is a window function or an aggregate
//! (typed by the catalogue), and frames are checked here: ranking functions and
//! `lag`/`lead` take none, offsets are constants, `range` offsets need one numeric,
//! date or timestamp order column, and a frame may not start after it ends.

use super::Resolver;
use super::expr::Context;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{ConstValue, FrameEdge, PlanOp, SortKey, TypedExprKind, WindowExpr, WindowFrame};
use crate::syntax::ast::{ExprKind, Frame, FrameBound, FrameUnit, Ident, WindowColumn};
use sluice_stdlib::functions::{self, FunctionKind};
use sluice_stdlib::{DataType, Field, Schema};

/// The window functions that see the frame (the others see the whole partition).
const FRAMED_WINDOWS: &[&str] = &["first_value", "last_value", "nth_value"];

impl Resolver<'_> {
    pub(crate) fn window(
        &mut self,
        partition_by: &[Ident],
        order_by: &[crate::syntax::ast::SortKey],
        columns: &[WindowColumn],
        schema: &Schema,
    ) -> Option<(PlanOp, Schema)> {
        if !self.columns_exist(partition_by, schema) || !self.no_duplicates(partition_by) {
            return None;
        }
        for k in partition_by {
            if let Some(f) = schema.field(&k.name)
                && matches!(f.data_type, DataType::List(_))
            {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    format!("cannot partition by `{}`: it is {}", k.name, f.data_type),
                    k.span,
                    "a list",
                ));
                return None;
            }
        }
        let order = self.sort_keys(order_by, schema)?;
        let mut out = schema.clone();
        let mut functions = Vec::new();
        let mut ok = true;
        for c in columns {
            if let Some(span) = super::grouping_sets::grouping_id_call(&c.value) {
                self.diags.push(Diagnostic::error(
                    Code::AggregateMisuse,
                    "`grouping_id()` only means something in a `group` with grouping sets, not in a `window`",
                    span,
                    "no grouping sets here",
                ));
                ok = false;
                continue;
            }
            let ExprKind::Call { function, .. } = &c.value.kind else {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        "each item of a `window` must be one window function or aggregate call",
                        c.value.span,
                        "not a call",
                    )
                    .with_help("write `rn = row_number()` or `total = sum(x)`; compute other expressions with `derive` after the window"),
                );
                ok = false;
                continue;
            };
            let name = function.name.as_str();
            if functions::scalar(name).is_some() {
                self.diags.push(
                    Diagnostic::error(
                        Code::AggregateMisuse,
                        format!(
                            "`{name}` is a scalar function, not a window function or aggregate"
                        ),
                        function.span,
                        "scalar function",
                    )
                    .with_help("compute it with `derive` before or after the window"),
                );
                ok = false;
                continue;
            }
            let Some(t) = self.type_expr(&c.value, schema, Context::Window) else {
                ok = false;
                continue;
            };
            if out.field(&c.name.name).is_some() {
                self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateColumn,
                        format!("column `{}` already exists", c.name.name),
                        c.name.span,
                        "name taken",
                    )
                    .with_help("give the window column a new name"),
                );
                ok = false;
                continue;
            }
            let TypedExprKind::Call { function: f, args } = t.kind else {
                continue;
            };
            let framed = functions::aggregate(&f).is_some() || FRAMED_WINDOWS.contains(&f.as_str());
            let frame = match &c.frame {
                Some(frame) if !framed => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidConstant,
                            format!("`{f}` looks at the whole ordered partition; it takes no frame"),
                            frame.span,
                            "a frame",
                        )
                        .with_help("frames apply to aggregates, first_value, last_value and nth_value; remove this one"),
                    );
                    ok = false;
                    continue;
                }
                Some(frame) => match self.frame(frame, &order, schema) {
                    Some(w) => w,
                    None => {
                        ok = false;
                        continue;
                    }
                },
                None => WindowFrame::default_for(!order.is_empty()),
            };
            if let Some(check) = lag_default_mismatch(&f, &args) {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    check,
                    c.value.span,
                    "default of another type",
                ));
                ok = false;
                continue;
            }
            // Ranking functions and counts have a value on every row.
            let nullable = match functions::window(&f) {
                Some(sig) if sig.kind == FunctionKind::Window => t.nullable,
                _ => t.nullable || !matches!(f.as_str(), "count" | "count_distinct"),
            };
            out.fields.push(Field::new(
                c.name.name.clone(),
                t.data_type.clone(),
                nullable,
            ));
            functions.push(WindowExpr {
                name: c.name.name.clone(),
                function: f,
                args,
                frame,
                data_type: t.data_type,
            });
        }
        if !ok {
            return None;
        }
        Some((
            PlanOp::Window {
                partition_by: partition_by.iter().map(|k| k.name.clone()).collect(),
                order_by: order,
                functions,
                first: None,
            },
            out,
        ))
    }

    fn frame(&mut self, frame: &Frame, order: &[SortKey], schema: &Schema) -> Option<WindowFrame> {
        let rows = frame.unit == FrameUnit::Rows;
        let has_offset =
            |b: &FrameBound| matches!(b, FrameBound::Preceding(_) | FrameBound::Following(_));
        // A `range` offset is a distance in the one order column.
        let range_column = if !rows && (has_offset(&frame.start) || has_offset(&frame.end)) {
            let [key] = order else {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidConstant,
                        "a `range` frame with an offset needs exactly one order column",
                        frame.span,
                        "range offset",
                    )
                    .with_help("order the window by one numeric, date or timestamp column, or use a `rows` frame"),
                );
                return None;
            };
            let t = schema.field(&key.column).map(|f| f.data_type.clone())?;
            if !(t.is_numeric() || t.is_temporal()) {
                self.diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "a `range` offset is a distance, and `{}` is {t}",
                            key.column
                        ),
                        frame.span,
                        "range offset",
                    )
                    .with_help("order by a number, a date or a timestamp, or use a `rows` frame"),
                );
                return None;
            }
            Some(t)
        } else {
            None
        };
        let start = self.edge(&frame.start, rows, range_column.as_ref())?;
        let end = self.edge(&frame.end, rows, range_column.as_ref())?;
        let rank = |e: &FrameEdge| match e {
            FrameEdge::UnboundedPreceding => (0, 0.0),
            FrameEdge::Preceding(n) => (1, -n),
            FrameEdge::CurrentRow => (1, 0.0),
            FrameEdge::Following(n) => (1, *n),
            FrameEdge::UnboundedFollowing => (2, 0.0),
        };
        let bad = matches!(start, FrameEdge::UnboundedFollowing)
            || matches!(end, FrameEdge::UnboundedPreceding)
            || rank(&start) > rank(&end);
        if bad {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidConstant,
                    "the frame starts after it ends",
                    frame.span,
                    "empty frame",
                )
                .with_help(
                    "write the earlier edge first: `rows between 2 preceding and current row`",
                ),
            );
            return None;
        }
        Some(WindowFrame { rows, start, end })
    }

    /// A frame edge with its offset checked: a count of rows, or a distance in the
    /// range column's unit (days for dates, microseconds for timestamps).
    fn edge(
        &mut self,
        bound: &FrameBound,
        rows: bool,
        range_column: Option<&DataType>,
    ) -> Option<FrameEdge> {
        let (expr, following) = match bound {
            FrameBound::UnboundedPreceding => return Some(FrameEdge::UnboundedPreceding),
            FrameBound::UnboundedFollowing => return Some(FrameEdge::UnboundedFollowing),
            FrameBound::CurrentRow => return Some(FrameEdge::CurrentRow),
            FrameBound::Preceding(e) => (e, false),
            FrameBound::Following(e) => (e, true),
        };
        let value = self.constant(expr, "a frame offset")?;
        let distance = match (&value, rows, range_column) {
            (ConstValue::Int(n), true, _) if *n >= 0 => Some(*n as f64),
            (ConstValue::Int(n), false, Some(t)) if *n >= 0 && *t != DataType::Timestamp => {
                Some(*n as f64)
            }
            (ConstValue::Float(x), false, Some(t)) if *x >= 0.0 && t.is_numeric() => Some(*x),
            (ConstValue::Duration(us), false, Some(DataType::Timestamp)) if *us >= 0 => {
                Some(*us as f64)
            }
            (ConstValue::Duration(us), false, Some(DataType::Date))
                if *us >= 0 && us % 86_400_000_000 == 0 =>
            {
                Some((us / 86_400_000_000) as f64)
            }
            _ => None,
        };
        let Some(distance) = distance else {
            let expected = match (rows, range_column) {
                (true, _) => "a non-negative whole number of rows",
                (false, Some(DataType::Timestamp)) => "a duration such as 10m or 1d",
                (false, Some(DataType::Date)) => {
                    "a whole number of days, or a duration of whole days such as 7d"
                }
                _ => "a non-negative number",
            };
            self.diags.push(Diagnostic::error(
                Code::InvalidConstant,
                format!("the frame offset must be {expected}, found {value}"),
                expr.span,
                "bad offset",
            ));
            return None;
        };
        Some(if following {
            FrameEdge::Following(distance)
        } else {
            FrameEdge::Preceding(distance)
        })
    }
}

/// `lag(x, 1, default)` / `lead`: the default must fit the value's type.
fn lag_default_mismatch(function: &str, args: &[crate::plan::TypedExpr]) -> Option<String> {
    if !matches!(function, "lag" | "lead") {
        return None;
    }
    let (value, default) = (args.first()?, args.get(2)?);
    (!value.data_type.accepts(&default.data_type)).then(|| {
        format!(
            "`{function}`'s default is {} but its value is {}",
            default.data_type, value.data_type
        )
    })
}
