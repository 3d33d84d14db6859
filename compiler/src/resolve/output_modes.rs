//! Output modes of stream sinks: `output = append|update|complete`, checked against what
//! the relation can give (append needs rows that are final, complete needs a group).

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{ConstValue, OutputMode, PlanOp};
use crate::syntax::ast::Arg;
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::io::Format;

impl Resolver<'_> {
    /// A sink's `output = append|update|complete`: taken off its arguments, checked
    /// against what the relation can give (a stream's sinks default to `append`).
    pub(crate) fn output_mode(
        &mut self,
        decl: &crate::syntax::ast::SinkDecl,
        format: Format,
        input: Option<NodeIndex>,
    ) -> Option<(Vec<Arg>, Option<OutputMode>)> {
        let is_stream = input.is_some_and(|n| self.plan.is_stream(n));
        let mut args = Vec::new();
        let mut written = None;
        for arg in &decl.args {
            match arg.name.as_ref().map(|n| n.name.as_str()) {
                Some("output") => written = Some(arg),
                Some("mode") if is_stream => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidOutputMode,
                            "a stream's sink adds a part file per batch; it has no save `mode`",
                            arg.value.span,
                            "a save mode",
                        )
                        .with_help("say how each batch is written with `output = append`, `update` or `complete`"),
                    );
                    return None;
                }
                _ => args.push(arg.clone()),
            }
        }
        let Some(input) = input.filter(|_| is_stream) else {
            // A relation with errors of its own is not checked further.
            if let (Some(arg), Some(_)) = (written, input) {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidOutputMode,
                        format!("`{}` is not a stream: output modes are for stream sinks", decl.input.name),
                        arg.value.span,
                        "a batch relation",
                    )
                    .with_help("drop `output`; a batch sink writes its relation once (`mode` says what happens to an existing file)"),
                );
                return None;
            }
            return Some((args, None));
        };
        let mode = match written {
            None => OutputMode::Append,
            Some(arg) => {
                let word = self.bare_word(&arg.value).or_else(|| {
                    match self.constant(&arg.value, "the output mode") {
                        Some(ConstValue::String(s)) => Some(s),
                        _ => None,
                    }
                })?;
                let Some(mode) = OutputMode::from_name(&word) else {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidOutputMode,
                            format!("unknown output mode `{word}`"),
                            arg.value.span,
                            "not an output mode",
                        )
                        .with_help("output modes are append, update and complete"),
                    );
                    return None;
                };
                mode
            }
        };
        let stream_formats = [
            Format::Csv,
            Format::Tsv,
            Format::Jsonl,
            Format::Parquet,
            Format::Console,
        ];
        if !stream_formats.contains(&format) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidOutputMode,
                    format!("a stream cannot be written as {format}"),
                    decl.format.span,
                    "not a stream sink",
                )
                .with_help("a stream's sinks are csv, tsv, jsonl and parquet folders of part files, and console"),
            );
            return None;
        }
        let at = written.map_or(decl.format.span, |a| a.value.span);
        let aggregate = self.stateful_node(input);
        let refusal = match (mode, aggregate) {
            (OutputMode::Append, Some(node)) => match &self.plan.graph[node].op {
                PlanOp::Aggregate { window_end: None, .. } => Some((
                    "`append` writes each row once, when it is final, and a `group` without an event-time window is never final".to_string(),
                    "write `output = update` (the groups that changed, each batch) or `output = complete` (the whole table, each batch), or group by `tumbling(ts, 1m)` under a `watermark`".to_string(),
                )),
                PlanOp::Aggregate { .. } if !self.has_watermark(node) => Some((
                    "`append` writes a window's row when the watermark passes its end, and this stream has no watermark".to_string(),
                    "add `| watermark ts delay 10s` before the `group` (how late an event may be)".to_string(),
                )),
                _ => None,
            },
            (OutputMode::Complete, None) => Some((
                "`complete` rewrites the whole result each batch, and without a `group` that is every row ever seen".to_string(),
                "write `output = append` for rows, or group the stream first".to_string(),
            )),
            (OutputMode::Complete, Some(node))
                if matches!(self.plan.graph[node].op, PlanOp::Distinct { .. }) =>
            {
                Some((
                    "`complete` of a `distinct` would rewrite every row ever seen, each batch".to_string(),
                    "write `output = append`: each distinct row is written once".to_string(),
                ))
            }
            _ => None,
        };
        if let Some((why, help)) = refusal {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidOutputMode,
                    format!(
                        "output `{}` cannot hold for `{}`: {why}",
                        mode.name(),
                        decl.input.name
                    ),
                    at,
                    "this output mode",
                )
                .with_help(help),
            );
            return None;
        }
        Some((args, Some(mode)))
    }
}
