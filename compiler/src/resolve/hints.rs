//! Hints: `@cache(level)`, `@partition(hash(cols.., n) | range(cols.., n))`,
//! `@materialize`. They are checked here and recorded on the node they follow.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::{CacheLevel, ConstValue, Hints, Partitioning};
use crate::syntax::ast::{Expr, ExprKind, Hint};
use petgraph::stable_graph::NodeIndex;

const HINTS: &[&str] = &["cache", "partition", "materialize"];

impl Resolver<'_> {
    /// Checks hints; `node` (when known) lets partition columns be checked against its schema.
    pub(crate) fn hints(&mut self, hints: &[Hint], node: Option<NodeIndex>) -> Hints {
        let mut out = Hints::default();
        for hint in hints {
            match hint.name.name.as_str() {
                "cache" => {
                    let level = match hint.args.as_slice() {
                        [] => Some(CacheLevel::Memory),
                        [arg] => match &arg.value.kind {
                            ExprKind::Name(n) => CacheLevel::from_name(n),
                            _ => None,
                        },
                        _ => None,
                    };
                    match level {
                        Some(l) => out.cache = Some(l),
                        None => self.diags.push(
                            Diagnostic::error(
                                Code::InvalidHint,
                                "`@cache` takes one level",
                                hint.span,
                                "invalid level",
                            )
                            .with_help(
                                "write @cache(memory), @cache(disk) or @cache(memory_and_disk)",
                            ),
                        ),
                    }
                }
                "partition" => match hint.args.as_slice() {
                    [arg] => out.partition = self.partitioning(&arg.value, node),
                    _ => self.diags.push(
                        Diagnostic::error(
                            Code::InvalidHint,
                            "`@partition` takes one scheme",
                            hint.span,
                            "invalid scheme",
                        )
                        .with_help("write @partition(hash(key, 8)) or @partition(range(key, 8))"),
                    ),
                },
                "materialize" if hint.args.is_empty() => out.materialize = true,
                "materialize" => self.diags.push(Diagnostic::error(
                    Code::InvalidHint,
                    "`@materialize` takes no arguments",
                    hint.span,
                    "",
                )),
                other => {
                    let mut d = Diagnostic::error(
                        Code::InvalidHint,
                        format!("unknown hint `@{other}`"),
                        hint.name.span,
                        "not a hint",
                    );
                    d.help = did_you_mean(other, HINTS.iter().copied())
                        .or_else(|| Some("hints are @cache, @partition and @materialize".into()));
                    self.diags.push(d);
                }
            }
        }
        out
    }

    /// `8`, `hash(a, b, 8)` or `range(a, 8)`.
    pub(crate) fn partitioning(
        &mut self,
        expr: &Expr,
        node: Option<NodeIndex>,
    ) -> Option<Partitioning> {
        let help = "write a partition count (8), hash(column, ..., 8) or range(column, ..., 8)";
        if let ExprKind::Call { function, args } = &expr.kind {
            let is_hash = match function.name.as_str() {
                "hash" => true,
                "range" => false,
                other => {
                    let mut d = Diagnostic::error(
                        Code::InvalidHint,
                        format!("unknown partitioning `{other}`"),
                        function.span,
                        "not a scheme",
                    );
                    d.help = did_you_mean(other, ["hash", "range"]).or_else(|| Some(help.into()));
                    self.diags.push(d);
                    return None;
                }
            };
            let Some((count, columns)) = args.split_last() else {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidHint,
                        "a partitioning needs columns and a count",
                        expr.span,
                        "",
                    )
                    .with_help(help),
                );
                return None;
            };
            let partitions = self.partition_count(&count.value)?;
            let mut names = Vec::new();
            for c in columns {
                let ExprKind::Name(n) = &c.value.kind else {
                    self.diags.push(Diagnostic::error(
                        Code::InvalidHint,
                        "partition keys must be column names",
                        c.value.span,
                        "not a column",
                    ));
                    return None;
                };
                if let Some(node) = node {
                    let schema = self.schema(node).clone();
                    if schema.field(n).is_none() {
                        self.unknown_column(n, c.value.span, &schema);
                        return None;
                    }
                }
                names.push(n.clone());
            }
            if names.is_empty() {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidHint,
                        "a partitioning needs at least one column",
                        expr.span,
                        "",
                    )
                    .with_help(help),
                );
                return None;
            }
            return Some(if is_hash {
                Partitioning::Hash {
                    columns: names,
                    partitions,
                }
            } else {
                Partitioning::Range {
                    columns: names,
                    partitions,
                }
            });
        }
        let partitions = self.partition_count(expr)?;
        Some(Partitioning::RoundRobin { partitions })
    }

    fn partition_count(&mut self, expr: &Expr) -> Option<u64> {
        match self.constant(expr, "a partition count")? {
            ConstValue::Int(n) if n > 0 && n as u64 <= crate::limits::MAX_PARTITIONS => {
                Some(n as u64)
            }
            ConstValue::Int(n) if n > 0 => {
                self.diags.push(
                    Diagnostic::error(
                        Code::LimitExceeded,
                        format!(
                            "{n} partitions; at most {} are allowed",
                            crate::limits::MAX_PARTITIONS
                        ),
                        expr.span,
                        "too many partitions",
                    )
                    .with_help("a few partitions per core is enough: try 8 to 64"),
                );
                None
            }
            other => {
                self.diags.push(Diagnostic::error(
                    Code::InvalidConstant,
                    format!("a partition count must be a positive integer, found {other}"),
                    expr.span,
                    "not a positive integer",
                ));
                None
            }
        }
    }
}
