//! Event-time windows as group keys: `group tumbling(ts, 1m), k { ... }` and
//! `group sliding(ts, 1m, 10s), k { ... }`, on streams and batch relations alike.
//!
//! A window is written out as steps the rest of the resolver already knows: rows
//! without a time are dropped (they belong to no window), each row gets its window's
//! `window_start` (`time_bucket`) and `window_end`; a sliding window gives each row one
//! copy per window that holds it (a list of starts, exploded, the starts past the row's
//! time filtered out); then a plain `group window_start, window_end, KEYS`. On a stream
//! the group is marked as closing by `window_end`, so its rows are final once the
//! watermark passes the window's end.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{ConstValue, PlanOp};
use crate::syntax::ast::{
    Arg, Assignment, BinaryOp, DurationUnit, EventWindow, Expr, ExprKind, Ident, Literal, Operator,
    RenamePair, Step,
};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::DataType;

/// The columns a window key adds to a group's output, first.
pub const WINDOW_COLUMNS: [&str; 2] = ["window_start", "window_end"];

const STARTS: &str = "__sluice_window_starts";

/// A window's resolved arguments.
struct WindowShape {
    time: Ident,
    size: i64,
    /// `None` for a tumbling window.
    slide: Option<i64>,
}

impl Resolver<'_> {
    pub(crate) fn windowed_group(
        &mut self,
        input: NodeIndex,
        window: &EventWindow,
        keys: &[Ident],
        aggregates: &[Assignment],
        step: &Step,
    ) -> Option<NodeIndex> {
        let shape = self.window_shape(input, window)?;
        let schema = self.schema(input).clone();
        for taken in WINDOW_COLUMNS {
            if schema.field(taken).is_some() || keys.iter().any(|k| k.name == taken) {
                self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateColumn,
                        format!("the window's `{taken}` column would replace the input's"),
                        window.span,
                        "adds window_start and window_end",
                    )
                    .with_help(format!(
                        "rename the input's column first: `| rename {taken} -> {taken}_in`"
                    )),
                );
                return None;
            }
        }
        let span = window.span;
        let at = |op: Operator| Step {
            op,
            keyword: step.keyword,
            span,
        };
        let name = |n: &str| Expr {
            kind: ExprKind::Name(n.to_string()),
            span,
        };
        let duration = |us: i64| Expr {
            kind: ExprKind::Literal(Literal::Duration {
                amount: us,
                unit: DurationUnit::Microseconds,
            }),
            span,
        };
        let binary = |op: BinaryOp, left: Expr, right: Expr| Expr {
            kind: ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        };
        let bucket = |width: i64| Expr {
            kind: ExprKind::Call {
                function: Ident::new("time_bucket", span),
                args: vec![
                    Arg {
                        name: None,
                        value: duration(width),
                    },
                    Arg {
                        name: None,
                        value: name(&shape.time.name),
                    },
                ],
            },
            span,
        };
        let assign = |n: &str, value: Expr| Assignment {
            name: Ident::new(n, span),
            value,
        };
        let time = shape.time.name.clone();
        let mut steps = vec![at(Operator::DropNull {
            columns: vec![shape.time.clone()],
        })];
        match shape.slide {
            None => steps.push(at(Operator::Derive {
                columns: vec![
                    assign(WINDOW_COLUMNS[0], bucket(shape.size)),
                    assign(
                        WINDOW_COLUMNS[1],
                        binary(BinaryOp::Add, name(WINDOW_COLUMNS[0]), duration(shape.size)),
                    ),
                ],
            })),
            Some(slide) => {
                let copies = (shape.size + slide - 1) / slide;
                let starts = (0..copies)
                    .map(|i| binary(BinaryOp::Sub, bucket(slide), duration(i * slide)))
                    .collect();
                steps.push(at(Operator::Derive {
                    columns: vec![assign(
                        STARTS,
                        Expr {
                            kind: ExprKind::List(starts),
                            span,
                        },
                    )],
                }));
                steps.push(at(Operator::Explode {
                    column: Ident::new(STARTS, span),
                    position: None,
                }));
                steps.push(at(Operator::Rename {
                    pairs: vec![RenamePair {
                        from: Ident::new(STARTS, span),
                        to: Ident::new(WINDOW_COLUMNS[0], span),
                    }],
                }));
                steps.push(at(Operator::Derive {
                    columns: vec![assign(
                        WINDOW_COLUMNS[1],
                        binary(BinaryOp::Add, name(WINDOW_COLUMNS[0]), duration(shape.size)),
                    )],
                }));
                if shape.size % slide != 0 {
                    steps.push(at(Operator::Filter {
                        predicate: binary(BinaryOp::Lt, name(&time), name(WINDOW_COLUMNS[1])),
                    }));
                }
            }
        }
        let mut group_keys: Vec<Ident> = WINDOW_COLUMNS
            .iter()
            .map(|c| Ident::new(*c, span))
            .collect();
        group_keys.extend(keys.iter().cloned());
        steps.push(at(Operator::Group {
            keys: group_keys,
            aggregates: aggregates.to_vec(),
            grouping: None,
            window: None,
        }));
        let mut current = input;
        for s in &steps {
            current = self.step(current, s)?;
        }
        if self.plan.is_stream(input) {
            self.mark_window_end(current);
        }
        Some(current)
    }

    /// Marks the group at or under `node` (a group with expressions ends in a derive
    /// and a projection) as closing on `window_end`.
    fn mark_window_end(&mut self, node: NodeIndex) {
        let mut at = Some(node);
        while let Some(n) = at {
            if let PlanOp::Aggregate { window_end, .. } = &mut self.plan.graph[n].op {
                *window_end = Some(WINDOW_COLUMNS[1].to_string());
                return;
            }
            at = self.plan.inputs(n).first().copied();
        }
    }

    fn window_shape(&mut self, input: NodeIndex, window: &EventWindow) -> Option<WindowShape> {
        let kind = window.kind.name.as_str();
        let expected = match kind {
            "tumbling" => "`tumbling(TIME, SIZE)`, such as `tumbling(ts, 1m)`",
            "sliding" => "`sliding(TIME, SIZE, SLIDE)`, such as `sliding(ts, 1m, 10s)`",
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        Code::StreamUnsupported,
                        "session windows are not supported yet",
                        window.kind.span,
                        "a session window",
                    )
                    .with_help("group by `tumbling(ts, gap)` windows, or by a session id derived from the rows"),
                );
                return None;
            }
        };
        let arity = if kind == "tumbling" { 2 } else { 3 };
        if window.args.len() != arity || window.args.iter().any(|a| a.name.is_some()) {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    format!("`{kind}` takes {arity} arguments"),
                    window.span,
                    format!("{} given", window.args.len()),
                )
                .with_help(format!("write {expected}")),
            );
            return None;
        }
        let ExprKind::Name(time) = &window.args[0].value.kind else {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentType,
                    "a window's first argument is its event-time column",
                    window.args[0].value.span,
                    "not a column",
                )
                .with_help(format!(
                    "write {expected}; derive the time first if it is computed"
                )),
            );
            return None;
        };
        let time = Ident::new(time, window.args[0].value.span);
        let schema = self.schema(input).clone();
        let field = self.column(&time, &schema)?;
        if field.data_type != DataType::Timestamp {
            let message = format!(
                "a window is over a timestamp, and `{}` is {}",
                time.name, field.data_type
            );
            self.diags.push(
                Diagnostic::error(Code::ArgumentType, message, time.span, "not a timestamp")
                    .with_help(format!(
                        "parse it first: `| derive {0} = parse_timestamp({0}, \"%Y-%m-%d %H:%M:%S\")`",
                        time.name
                    )),
            );
            return None;
        }
        let mut lengths = Vec::new();
        for arg in &window.args[1..] {
            match self.constant(&arg.value, "a window's length")? {
                ConstValue::Duration(us) if us > 0 => lengths.push(us),
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::ArgumentType,
                            format!("a window's length is a positive duration, found {other}"),
                            arg.value.span,
                            "not a positive duration",
                        )
                        .with_help(format!("write {expected}")),
                    );
                    return None;
                }
            }
        }
        let slide = lengths.get(1).copied();
        if let Some(s) = slide
            && s > lengths[0]
        {
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentType,
                    "a sliding window's slide is longer than the window: some rows would be in no window",
                    window.args[2].value.span,
                    "longer than the window",
                )
                .with_help("make the slide at most the window's size, or use `tumbling`"),
            );
            return None;
        }
        Some(WindowShape {
            time,
            size: lengths[0],
            slide,
        })
    }
}
