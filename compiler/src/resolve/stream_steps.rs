//! What a stream cannot run: each step on a stream (a relation that reads one) is checked
//! here and refused with why and what to write instead (a global sort, `take`, `split`,
//! a second stateful step, ...); and `watermark`, the event-time step streams add.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{ConstValue, PlanOp};
use crate::syntax::ast::{Expr, Ident, JoinKind, Operator, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{DataType, Schema};

impl Resolver<'_> {
    /// Refuses a step a stream cannot run (reported); `true` when it may run.
    pub(crate) fn allowed_on_stream(&mut self, input: NodeIndex, step: &Step) -> bool {
        if !self.plan.is_stream(input) {
            return self.static_step_reads_no_stream(step);
        }
        let stateful_before = self.stateful_upstream(input);
        let refusal: Option<(String, String)> = match &step.op {
            Operator::Sort { .. } => Some((
                "a global `sort` needs every row, and a stream never ends".into(),
                "sort each window's rows after a windowed `group`, in the sink's reader, or sort a batch relation".into(),
            )),
            Operator::Take { .. } => Some((
                "`take` without a window would stop the stream after its first rows".into(),
                "summarize each window instead (`group tumbling(ts, 1m) { n = count(), first = first(x) }`), or `take` from a batch read of the stream's output".into(),
            )),
            Operator::Window { .. } => Some((
                "window functions need each partition's rows in full, and a stream's partitions never end".into(),
                "use an event-time window as a group key: `group tumbling(ts, 1m), k { ... }`".into(),
            )),
            Operator::Split { .. } => Some((
                "`split` divides a finite relation in fractions; a stream has no size".into(),
                "use `sample` for a fraction of the events, or `filter hash(id) % 10 < 8`".into(),
            )),
            Operator::Fit { .. } | Operator::CrossValidate { .. } => Some((
                "a model is fitted on a finite relation".into(),
                "fit the model on a batch source and `predict` with it on the stream".into(),
            )),
            Operator::Evaluate { .. } => Some((
                "`evaluate` reduces every row to one row of metrics; a stream never ends".into(),
                "evaluate a batch relation of the stream's output".into(),
            )),
            Operator::Intersect { .. } | Operator::Except { .. } => Some((
                format!("`{}` compares every row of both sides", step.op.keyword()),
                "filter the stream with a `join semi` or `join anti` on a batch relation".into(),
            )),
            Operator::FillNull { spec } if fill_needs_all_rows(spec) => Some((
                "`fill_null` with mean, median or mode needs every row first".into(),
                "fill with constants on a stream: `fill_null x = 0`".into(),
            )),
            Operator::Pivot { .. } => Some((
                "`pivot` on a stream is not supported".into(),
                "group by the pivot column on the stream and pivot a batch read of the output".into(),
            )),
            Operator::Group {
                grouping: Some(_), ..
            } => Some((
                "grouping sets on a stream are not supported".into(),
                "write one `group` per grouping as its own relation".into(),
            )),
            Operator::Group { .. } | Operator::Distinct { .. } if stateful_before => Some((
                format!(
                    "a second stateful step (`{}`) after a `group` or `distinct` of the same stream",
                    step.op.keyword()
                ),
                "each stream relation may hold one `group` or `distinct`: sink the first and read it again as a batch".into(),
            )),
            Operator::Join { kind, right, asof, .. } => {
                let right_is_stream = self
                    .relations
                    .get(&right.name)
                    .and_then(|r| r.node)
                    .is_some_and(|n| self.plan.is_stream(n));
                if right_is_stream {
                    Some((
                        "a join of two streams is not supported yet".into(),
                        "join the stream with a batch relation (a `source`), which is read once".into(),
                    ))
                } else if asof.is_some() {
                    Some((
                        "`join asof` on a stream is not supported".into(),
                        "join on keys with a batch relation".into(),
                    ))
                } else if matches!(kind, JoinKind::Right | JoinKind::Full) {
                    Some((
                        format!(
                            "a {} join keeps batch rows no event matched, and a stream never says none will",
                            if *kind == JoinKind::Right { "right" } else { "full" }
                        ),
                        "use an inner or left join, the stream on the left".into(),
                    ))
                } else {
                    None
                }
            }
            Operator::CrossJoin { .. } => None,
            Operator::Union { others, .. } => {
                let mixed = others.iter().any(|o| {
                    !self
                        .relations
                        .get(&o.name)
                        .and_then(|r| r.node)
                        .is_some_and(|n| self.plan.is_stream(n))
                });
                mixed.then(|| {
                    (
                        "a union of a stream and a batch relation".into(),
                        "union streams with streams; enrich a stream from a batch relation with a `join`".into(),
                    )
                })
            }
            Operator::Watermark { .. } if stateful_before => Some((
                "a `watermark` after a `group` or `distinct`".into(),
                "put the watermark on the events, before they are grouped".into(),
            )),
            _ => None,
        };
        match refusal {
            None => true,
            Some((why, help)) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::StreamUnsupported,
                        format!("`{}` cannot run on a stream: {why}", step.op.keyword()),
                        step.keyword,
                        "on a stream",
                    )
                    .with_help(help),
                );
                false
            }
        }
    }

    /// A batch relation's step may not take a stream as its other input (that would
    /// make it a stream on the right of a join or a union).
    fn static_step_reads_no_stream(&mut self, step: &Step) -> bool {
        let other = match &step.op {
            Operator::Join { right, .. } | Operator::CrossJoin { right } => Some(right),
            Operator::Union { others, .. } => others.first(),
            _ => None,
        };
        let Some(other) = other else { return true };
        let is_stream = self
            .relations
            .get(&other.name)
            .and_then(|r| r.node)
            .is_some_and(|n| self.plan.is_stream(n));
        if is_stream {
            self.diags.push(
                Diagnostic::error(
                    Code::StreamUnsupported,
                    format!(
                        "`{}` of a batch relation with the stream `{}`",
                        step.op.keyword(),
                        other.name
                    ),
                    other.span,
                    "a stream",
                )
                .with_help(format!(
                    "start the chain from the stream: `let x = {} | {} ...` with the batch relation second",
                    other.name,
                    step.op.keyword()
                )),
            );
            return false;
        }
        true
    }

    /// Whether a `group` or `distinct` is upstream of `node` on its stream side.
    pub(crate) fn stateful_upstream(&self, node: NodeIndex) -> bool {
        self.stateful_node(node).is_some()
    }

    /// `watermark COLUMN delay D`.
    pub(crate) fn watermark(
        &mut self,
        column: &Ident,
        delay: &Expr,
        schema: &Schema,
    ) -> Option<(PlanOp, Schema, Vec<NodeIndex>)> {
        let field = self.column(column, schema)?;
        if field.data_type != DataType::Timestamp {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidWatermark,
                    format!(
                        "a watermark is on an event time, and `{}` is {}",
                        column.name, field.data_type
                    ),
                    column.span,
                    "not a timestamp",
                )
                .with_help(format!(
                    "parse it first: `| derive {0} = parse_timestamp({0}, \"%Y-%m-%d %H:%M:%S\")`, or declare it `timestamp` in the schema",
                    column.name
                )),
            );
            return None;
        }
        let delay_us = match self.constant(delay, "the delay")? {
            ConstValue::Duration(us) if us >= 0 => us,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidWatermark,
                        format!("the delay is a duration, found {other}"),
                        delay.span,
                        "not a duration",
                    )
                    .with_help("write `watermark ts delay 10s`"),
                );
                return None;
            }
        };
        Some((
            PlanOp::Watermark {
                column: column.name.clone(),
                delay: delay_us,
            },
            schema.clone(),
            vec![],
        ))
    }

    /// Whether a watermark is upstream of `node`.
    pub(crate) fn has_watermark(&self, node: NodeIndex) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if matches!(self.plan.graph[n].op, PlanOp::Watermark { .. }) {
                return true;
            }
            stack.extend(self.plan.inputs(n));
        }
        false
    }

    /// The `group` or `distinct` on the stream side upstream of `node`, if any.
    pub(crate) fn stateful_node(&self, node: NodeIndex) -> Option<NodeIndex> {
        let mut at = Some(node);
        while let Some(n) = at {
            match &self.plan.graph[n].op {
                PlanOp::Aggregate { .. } | PlanOp::Distinct { .. } => return Some(n),
                PlanOp::StreamScan { .. } => return None,
                _ => {}
            }
            at = self
                .plan
                .inputs(n)
                .into_iter()
                .find(|&i| self.plan.is_stream(i));
        }
        None
    }
}

fn fill_needs_all_rows(spec: &crate::syntax::ast::FillSpec) -> bool {
    use crate::syntax::ast::{FillSpec, FillValue};
    let strategy = |v: &FillValue| matches!(v, FillValue::Strategy(_));
    match spec {
        FillSpec::All(v) => strategy(v),
        FillSpec::Columns(cols) => cols.iter().any(|(_, v)| strategy(v)),
    }
}
