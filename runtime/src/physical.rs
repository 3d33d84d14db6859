//! The physical plan: how the logical plan runs.
//!
//! [`lower`] turns the logical DAG into physical nodes:
//! - a **stage** reads a source (a scan, or the output of another node) and applies a
//!   chain of fused narrow operators partition by partition (the unit the JIT will
//!   compile);
//! - **breakers** consume a stage: a two-phase aggregate (partial per partition, then a
//!   *gather* exchange and the final merge), a top-k (best rows per partition, gather,
//!   final pick), or operators that need all rows at once behind a *gather* (sort,
//!   distinct, fill_null, join, stratified split, take);
//! - the optimizer decides what is fused (its `Stage` nodes) and how a shared node is
//!   shared; lowering follows. Without the optimizer every operator is its own stage
//!   over its input's materialized rows, and a shared node is kept in memory;
//! - **exchanges** redistribute rows: gather, and hash, range or round-robin repartition
//!   (`repartition`, `@partition`);
//! - a **fan-out** streams one shared stage into every aggregate and top-k that reads it
//!   (where the optimizer's cache placement chose it), so the shared relation is never
//!   materialized;
//! - a relation read by several physical consumers is computed once and kept (in memory,
//!   or where its `@cache` hint says).

use petgraph::stable_graph::NodeIndex;
use sluice_compiler::plan::{CacheLevel, LogicalPlan, Partitioning, PlanOp, Sharing};
use std::collections::HashMap;
use std::fmt::Write;

pub type PhysicalId = usize;

/// Where a stage's batches come from.
#[derive(Clone, Debug, PartialEq)]
pub enum StageSource {
    Scan(NodeIndex),
    /// The partitions of physical node `inputs[0]`.
    Input,
}

/// How a breaker gets its input rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// All partitions into one place.
    Gather,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PhysicalOp {
    /// A source, then narrow logical nodes (single operators or fused `Stage`s) applied
    /// batch by batch.
    Stage {
        source: StageSource,
        narrow: Vec<NodeIndex>,
    },
    /// Partial aggregation per partition of the input stage, gather, final merge.
    Aggregate {
        node: NodeIndex,
    },
    /// Best `k` rows per partition of the input stage, gather, final pick.
    TopK {
        node: NodeIndex,
    },
    /// One pass over the input stage feeding every branch (aggregates and top-ks).
    FanOut {
        branches: Vec<NodeIndex>,
    },
    /// Branch `index` of the fan-out `inputs[0]`.
    FanOutResult {
        index: usize,
    },
    /// An operator that needs every row: its inputs pass through `exchange` first.
    Gathered {
        node: NodeIndex,
        exchange: Exchange,
    },
    /// Rows redistributed over partitions.
    Repartition {
        node: NodeIndex,
        partitioning: Partitioning,
        /// An `@partition` hint: hints never change results, so the rows keep their order
        /// (cut into the hint's number of contiguous partitions) instead of moving by key.
        keep_order: bool,
    },
    Sink {
        node: NodeIndex,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct PhysicalNode {
    pub op: PhysicalOp,
    pub inputs: Vec<PhysicalId>,
    /// The logical node whose rows this node produces (its schema and hints).
    pub output_of: NodeIndex,
    /// Keep the result, because several physical nodes read it or a hint asks.
    pub cache: Option<CacheLevel>,
}

/// A lowered plan: nodes in dependency order (inputs first), and the sinks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhysicalPlan {
    pub nodes: Vec<PhysicalNode>,
    pub sinks: Vec<PhysicalId>,
}

/// Lowers a logical plan. It follows the optimizer's decisions (fused stages, top-ks,
/// how shared nodes are shared); an unoptimized plan runs every operator on its own.
pub fn lower(plan: &LogicalPlan) -> PhysicalPlan {
    let mut l = Lowering {
        plan,
        out: PhysicalPlan::default(),
        memo: HashMap::new(),
        fan_outs: HashMap::new(),
    };
    for &sink in &plan.sinks {
        let input = l.node(plan.inputs(sink)[0]);
        let id = l.push(PhysicalOp::Sink { node: sink }, vec![input], sink);
        l.out.sinks.push(id);
    }
    // A node read by several physical nodes is computed once and kept.
    let mut readers = vec![0usize; l.out.nodes.len()];
    for n in &l.out.nodes {
        for &i in &n.inputs {
            readers[i] += 1;
        }
    }
    for (i, n) in l.out.nodes.iter_mut().enumerate() {
        let logical = &plan.graph[n.output_of];
        let placed = match logical.sharing {
            Some(Sharing::Cache(level)) => Some(level),
            _ => None,
        };
        let is_result = !matches!(n.op, PhysicalOp::FanOut { .. } | PhysicalOp::Sink { .. });
        n.cache = match logical.hints.cache.or(placed) {
            Some(level) if is_result && node_ends_relation(&n.op, n.output_of) => Some(level),
            _ if readers[i] > 1 && is_result => Some(CacheLevel::Memory),
            _ => None,
        };
    }
    l.out
}

/// Whether a physical node's output is its logical node's whole result (and so is where
/// that node's `@cache` hint applies).
fn node_ends_relation(op: &PhysicalOp, output_of: NodeIndex) -> bool {
    match op {
        PhysicalOp::Stage { narrow, source } => {
            narrow.last().copied().or(match source {
                StageSource::Scan(s) => Some(*s),
                StageSource::Input => None,
            }) == Some(output_of)
        }
        _ => true,
    }
}

struct Lowering<'p> {
    plan: &'p LogicalPlan,
    out: PhysicalPlan,
    memo: HashMap<NodeIndex, PhysicalId>,
    fan_outs: HashMap<NodeIndex, (PhysicalId, Vec<NodeIndex>)>,
}

impl Lowering<'_> {
    fn push(
        &mut self,
        op: PhysicalOp,
        inputs: Vec<PhysicalId>,
        output_of: NodeIndex,
    ) -> PhysicalId {
        self.out.nodes.push(PhysicalNode {
            op,
            inputs,
            output_of,
            cache: None,
        });
        self.out.nodes.len() - 1
    }

    fn input(&self, node: NodeIndex) -> NodeIndex {
        self.plan.inputs(node)[0]
    }

    fn streams(&self, node: NodeIndex) -> bool {
        let n = &self.plan.graph[node];
        matches!(
            n.op,
            PlanOp::Scan { .. } | PlanOp::StreamScan { .. } | PlanOp::LateRows
        ) || narrow(&n.op)
    }

    /// A node whose rows can stream straight into its one consumer.
    fn private(&self, node: NodeIndex) -> bool {
        let n = &self.plan.graph[node];
        self.streams(node)
            && self.plan.consumer_count(node) == 1
            && n.hints.is_empty()
            && n.sharing.is_none()
    }

    /// The physical node producing a logical node's rows.
    fn node(&mut self, node: NodeIndex) -> PhysicalId {
        if let Some(&id) = self.memo.get(&node) {
            return id;
        }
        let plan = self.plan;
        let n = &plan.graph[node];
        let mut id = match &n.op {
            // A stream's late rows are a source of their own: the watermark keeps them.
            PlanOp::Scan { .. } | PlanOp::StreamScan { .. } | PlanOp::LateRows => self.push(
                PhysicalOp::Stage {
                    source: StageSource::Scan(node),
                    narrow: vec![],
                },
                vec![],
                node,
            ),
            op if narrow(op) => self.narrow_stage(node),
            PlanOp::Aggregate { .. } | PlanOp::TopK { .. } => {
                let below = self.input(node);
                match self.fan_out_branch(node, below) {
                    Some(id) => id,
                    None => {
                        let input = self.stage_of(below);
                        let op = if matches!(n.op, PlanOp::Aggregate { .. }) {
                            PhysicalOp::Aggregate { node }
                        } else {
                            PhysicalOp::TopK { node }
                        };
                        self.push(op, vec![input], node)
                    }
                }
            }
            PlanOp::Repartition { partitioning } => {
                let input = self.node(self.input(node));
                self.push(
                    PhysicalOp::Repartition {
                        node,
                        partitioning: partitioning.clone(),
                        keep_order: false,
                    },
                    vec![input],
                    node,
                )
            }
            _ => {
                let inputs = plan
                    .inputs(node)
                    .into_iter()
                    .map(|i| self.node(i))
                    .collect();
                self.push(
                    PhysicalOp::Gathered {
                        node,
                        exchange: Exchange::Gather,
                    },
                    inputs,
                    node,
                )
            }
        };
        if let Some(p) = &n.hints.partition {
            id = self.push(
                PhysicalOp::Repartition {
                    node,
                    partitioning: p.clone(),
                    keep_order: true,
                },
                vec![id],
                node,
            );
        }
        self.memo.insert(node, id);
        id
    }

    /// A stage streaming a node's rows: the node's own stage when it streams and is read
    /// once, else a pass-through stage over its materialized result.
    fn stage_of(&mut self, node: NodeIndex) -> PhysicalId {
        if self.private(node) {
            return self.node(node);
        }
        let input = self.node(node);
        self.push(
            PhysicalOp::Stage {
                source: StageSource::Input,
                narrow: vec![],
            },
            vec![input],
            node,
        )
    }

    /// When the optimizer marked `shared` as a fan-out, one pass over it feeds all its
    /// consumers; returns the result node for `result`'s branch.
    fn fan_out_branch(&mut self, result: NodeIndex, shared: NodeIndex) -> Option<PhysicalId> {
        let plan = self.plan;
        if plan.graph[shared].sharing != Some(Sharing::FanOut) {
            return None;
        }
        if !self.fan_outs.contains_key(&shared) {
            let mut consumers: Vec<NodeIndex> = plan
                .graph
                .neighbors_directed(shared, petgraph::Direction::Outgoing)
                .collect();
            consumers.sort();
            consumers.dedup();
            if !consumers.iter().all(|c| {
                matches!(
                    plan.graph[*c].op,
                    PlanOp::Aggregate { .. } | PlanOp::TopK { .. }
                )
            }) {
                return None;
            }
            // The shared node's own stage, streamed (never kept).
            let input = self.node_streamed(shared);
            let id = self.push(
                PhysicalOp::FanOut {
                    branches: consumers.clone(),
                },
                vec![input],
                shared,
            );
            self.fan_outs.insert(shared, (id, consumers));
        }
        let (fan_out, results) = self.fan_outs.get(&shared)?.clone();
        let index = results.iter().position(|r| *r == result)?;
        Some(self.push(PhysicalOp::FanOutResult { index }, vec![fan_out], result))
    }

    /// The stage of a streaming node, bypassing the memo (a fan-out reads it once).
    fn node_streamed(&mut self, node: NodeIndex) -> PhysicalId {
        let plan = self.plan;
        if matches!(
            plan.graph[node].op,
            PlanOp::Scan { .. } | PlanOp::StreamScan { .. } | PlanOp::LateRows
        ) {
            return self.push(
                PhysicalOp::Stage {
                    source: StageSource::Scan(node),
                    narrow: vec![],
                },
                vec![],
                node,
            );
        }
        self.narrow_stage(node)
    }

    /// The stage of a narrow node: it starts at a scan read only here, or at its input's
    /// rows.
    fn narrow_stage(&mut self, node: NodeIndex) -> PhysicalId {
        let below = self.input(node);
        let (source, inputs) =
            if matches!(self.plan.graph[below].op, PlanOp::Scan { .. }) && self.private(below) {
                (StageSource::Scan(below), vec![])
            } else {
                (StageSource::Input, vec![self.node(below)])
            };
        self.push(
            PhysicalOp::Stage {
                source,
                narrow: vec![node],
            },
            inputs,
            node,
        )
    }
}

/// Operators that map each batch to a batch, row by row (and fused stages of them).
pub fn narrow(op: &PlanOp) -> bool {
    op.is_fusable()
        || matches!(
            op,
            PlanOp::Sample { .. }
                | PlanOp::SplitPart { stratify: None, .. }
                | PlanOp::Explode { .. }
                | PlanOp::Watermark { .. }
                | PlanOp::Stage { .. }
        )
}

/// The physical plan as indented text, from each sink down (for `explain --physical`).
pub fn render(physical: &PhysicalPlan, plan: &LogicalPlan) -> String {
    render_annotated(physical, plan, &|_| None)
}

/// [`render`] with a note after each node (rows and time, for `explain --analyze`).
pub fn render_annotated(
    physical: &PhysicalPlan,
    plan: &LogicalPlan,
    annotate: &dyn Fn(PhysicalId) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut shown = vec![false; physical.nodes.len()];
    for (i, &sink) in physical.sinks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_node(physical, plan, sink, 0, &mut shown, annotate, &mut out);
    }
    out
}

fn render_node(
    p: &PhysicalPlan,
    plan: &LogicalPlan,
    id: PhysicalId,
    depth: usize,
    shown: &mut [bool],
    annotate: &dyn Fn(PhysicalId) -> Option<String>,
    out: &mut String,
) {
    let indent = "  ".repeat(depth);
    let n = &p.nodes[id];
    if shown[id] {
        let _ = writeln!(out, "{indent}↑ #{id} (shown above)");
        return;
    }
    shown[id] = true;
    let op = |node: NodeIndex| plan.graph[node].op.to_string();
    let text = match &n.op {
        PhysicalOp::Stage { source, narrow } => {
            let mut parts: Vec<String> = Vec::new();
            if let StageSource::Scan(s) = source {
                parts.push(op(*s));
            }
            for x in narrow {
                match &plan.graph[*x].op {
                    PlanOp::Stage { steps } => parts.extend(steps.iter().map(|s| s.op.to_string())),
                    other => parts.push(other.to_string()),
                }
            }
            let head = if matches!(source, StageSource::Input) {
                "Stage (over its input's partitions)"
            } else {
                "Stage"
            };
            if parts.is_empty() {
                head.to_string()
            } else {
                format!("{head}: {}", parts.join(" → "))
            }
        }
        PhysicalOp::Aggregate { node } => {
            format!("{} — partial per partition → gather → final", op(*node))
        }
        PhysicalOp::TopK { node } => format!("{} — best per partition → gather → final", op(*node)),
        PhysicalOp::FanOut { branches } => format!(
            "FanOut to {} branches (one pass, not materialized)",
            branches.len()
        ),
        PhysicalOp::FanOutResult { index } => {
            format!("{} (fan-out branch {index})", op(n.output_of))
        }
        PhysicalOp::Gathered { node, .. } => format!("{} ← gather", op(*node)),
        PhysicalOp::Repartition {
            partitioning,
            keep_order: false,
            ..
        } => format!("Exchange {partitioning}"),
        PhysicalOp::Repartition { partitioning, .. } => {
            format!("Exchange {partitioning} (a hint: rows keep their order)")
        }
        PhysicalOp::Sink { node } => op(*node),
    };
    let cache = match n.cache {
        Some(CacheLevel::Memory) => "  [kept in memory]",
        Some(CacheLevel::Disk) => "  [kept on disk]",
        Some(CacheLevel::MemoryAndDisk) => "  [kept in memory and on disk]",
        None => "",
    };
    let note = annotate(id).map_or(String::new(), |a| format!("  ({a})"));
    let _ = writeln!(out, "{indent}#{id} {text}{cache}{note}");
    for &i in &n.inputs {
        render_node(p, plan, i, depth + 1, shown, annotate, out);
    }
}
