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
//! - **exchanges** redistribute rows: gather, and hash, range or round-robin repartition
//!   (`repartition`, `@partition`);
//! - a **fan-out** streams one shared stage into every aggregate and top-k that reads it,
//!   so the shared relation is never materialized;
//! - a relation read by several physical consumers is computed once and kept (in memory,
//!   or where its `@cache` hint says).

use petgraph::stable_graph::NodeIndex;
use sluice_compiler::plan::{CacheLevel, LogicalPlan, Partitioning, PlanOp};
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
        sort: NodeIndex,
        limit: NodeIndex,
    },
    /// One pass over the input stage feeding every branch (aggregates and top-ks).
    FanOut {
        branches: Vec<FanOutBranch>,
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
    },
    Sink {
        node: NodeIndex,
    },
}

/// What one fan-out branch computes.
#[derive(Clone, Debug, PartialEq)]
pub enum FanOutBranch {
    Aggregate { node: NodeIndex },
    TopK { sort: NodeIndex, limit: NodeIndex },
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

/// Lowers a logical plan.
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
        let hinted = plan.graph[n.output_of].hints.cache;
        let is_result = !matches!(n.op, PhysicalOp::FanOut { .. } | PhysicalOp::Sink { .. });
        n.cache = match hinted {
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
        matches!(n.op, PlanOp::Scan { .. }) || narrow(&n.op)
    }

    /// A node that can be fused into the stage of its consumer: streamable, read once,
    /// without hints.
    fn fusable(&self, node: NodeIndex) -> bool {
        self.streams(node)
            && self.plan.consumer_count(node) == 1
            && self.plan.graph[node].hints.is_empty()
    }

    /// The physical node producing a logical node's rows.
    fn node(&mut self, node: NodeIndex) -> PhysicalId {
        if let Some(&id) = self.memo.get(&node) {
            return id;
        }
        let plan = self.plan;
        let n = &plan.graph[node];
        let mut id = match &n.op {
            PlanOp::Scan { .. } => self.push(
                PhysicalOp::Stage {
                    source: StageSource::Scan(node),
                    narrow: vec![],
                },
                vec![],
                node,
            ),
            op if narrow(op) => self.stage_ending_at(node),
            PlanOp::Aggregate { .. } => match self.fan_out_branch(node, self.input(node)) {
                Some(id) => id,
                None => {
                    let input = self.stage_of(self.input(node));
                    self.push(PhysicalOp::Aggregate { node }, vec![input], node)
                }
            },
            PlanOp::Limit { .. } if self.is_top_k(node) => {
                let sort = self.input(node);
                match self.fan_out_branch(node, self.input(sort)) {
                    Some(id) => id,
                    None => {
                        let input = self.stage_of(self.input(sort));
                        self.push(PhysicalOp::TopK { sort, limit: node }, vec![input], node)
                    }
                }
            }
            PlanOp::Repartition { partitioning } => {
                let input = self.node(self.input(node));
                self.push(
                    PhysicalOp::Repartition {
                        node,
                        partitioning: partitioning.clone(),
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
                },
                vec![id],
                node,
            );
        }
        self.memo.insert(node, id);
        id
    }

    /// A stage whose last narrow operator is `node`, fusing the chain below it.
    fn stage_ending_at(&mut self, node: NodeIndex) -> PhysicalId {
        let mut chain = vec![node];
        let mut below = self.input(node);
        while self.fusable(below) && !matches!(self.plan.graph[below].op, PlanOp::Scan { .. }) {
            chain.push(below);
            below = self.input(below);
        }
        chain.reverse();
        if self.fusable(below) {
            // below is a scan read only by this chain
            self.push(
                PhysicalOp::Stage {
                    source: StageSource::Scan(below),
                    narrow: chain,
                },
                vec![],
                node,
            )
        } else {
            let input = self.node(below);
            self.push(
                PhysicalOp::Stage {
                    source: StageSource::Input,
                    narrow: chain,
                },
                vec![input],
                node,
            )
        }
    }

    /// A stage streaming a node's rows: the node's own stage when it streams and is read
    /// once, else a pass-through stage over its materialized result.
    fn stage_of(&mut self, node: NodeIndex) -> PhysicalId {
        if self.fusable(node) {
            return self.node(node);
        }
        let input = self.node(node);
        if matches!(self.out.nodes[input].op, PhysicalOp::Stage { .. })
            && self.plan.consumer_count(node) == 1
        {
            return input;
        }
        self.push(
            PhysicalOp::Stage {
                source: StageSource::Input,
                narrow: vec![],
            },
            vec![input],
            node,
        )
    }

    fn is_top_k(&self, limit: NodeIndex) -> bool {
        let sort = self.input(limit);
        matches!(self.plan.graph[sort].op, PlanOp::Sort { .. })
            && self.plan.consumer_count(sort) == 1
            && self.plan.graph[sort].hints.is_empty()
    }

    /// When `shared` is read by several consumers that are all aggregates or top-ks, one
    /// fan-out feeds them all; returns the result node for `consumer`'s branch.
    fn fan_out_branch(&mut self, result: NodeIndex, shared: NodeIndex) -> Option<PhysicalId> {
        let plan = self.plan;
        if !self.fan_outs.contains_key(&shared) {
            let n = &plan.graph[shared];
            if plan.consumer_count(shared) < 2 || !self.streams(shared) || !n.hints.is_empty() {
                return None;
            }
            let mut consumers: Vec<NodeIndex> = plan
                .graph
                .neighbors_directed(shared, petgraph::Direction::Outgoing)
                .collect();
            consumers.sort();
            consumers.dedup();
            let mut branches = Vec::new();
            let mut results = Vec::new();
            for c in consumers {
                match &plan.graph[c].op {
                    PlanOp::Aggregate { .. } => {
                        branches.push(FanOutBranch::Aggregate { node: c });
                        results.push(c);
                    }
                    PlanOp::Sort { .. }
                        if plan.consumer_count(c) == 1 && plan.graph[c].hints.is_empty() =>
                    {
                        let limit = plan
                            .graph
                            .neighbors_directed(c, petgraph::Direction::Outgoing)
                            .next()?;
                        if !matches!(plan.graph[limit].op, PlanOp::Limit { .. }) {
                            return None;
                        }
                        branches.push(FanOutBranch::TopK { sort: c, limit });
                        results.push(limit);
                    }
                    _ => return None,
                }
            }
            let input = self.stage_ending_at_or_scan(shared);
            let id = self.push(PhysicalOp::FanOut { branches }, vec![input], shared);
            self.fan_outs.insert(shared, (id, results));
        }
        let (fan_out, results) = self.fan_outs.get(&shared)?.clone();
        let index = results.iter().position(|r| *r == result)?;
        Some(self.push(PhysicalOp::FanOutResult { index }, vec![fan_out], result))
    }

    fn stage_ending_at_or_scan(&mut self, node: NodeIndex) -> PhysicalId {
        if matches!(self.plan.graph[node].op, PlanOp::Scan { .. }) {
            self.push(
                PhysicalOp::Stage {
                    source: StageSource::Scan(node),
                    narrow: vec![],
                },
                vec![],
                node,
            )
        } else {
            self.stage_ending_at(node)
        }
    }
}

/// Operators that map each batch to a batch, row by row.
pub fn narrow(op: &PlanOp) -> bool {
    matches!(
        op,
        PlanOp::Filter { .. }
            | PlanOp::Project { .. }
            | PlanOp::Derive { .. }
            | PlanOp::Rename { .. }
            | PlanOp::Cast { .. }
            | PlanOp::DropNull { .. }
            | PlanOp::Sample { .. }
            | PlanOp::SplitPart { stratify: None, .. }
            | PlanOp::Explode { .. }
    )
}

/// The physical plan as indented text, from each sink down (for `explain --physical`).
pub fn render(physical: &PhysicalPlan, plan: &LogicalPlan) -> String {
    let mut out = String::new();
    let mut shown = vec![false; physical.nodes.len()];
    for (i, &sink) in physical.sinks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_node(physical, plan, sink, 0, &mut shown, &mut out);
    }
    out
}

fn render_node(
    p: &PhysicalPlan,
    plan: &LogicalPlan,
    id: PhysicalId,
    depth: usize,
    shown: &mut [bool],
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
            parts.extend(narrow.iter().map(|x| op(*x)));
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
        PhysicalOp::TopK { sort, limit } => format!(
            "TopK {} of {} — best per partition → gather → final",
            op(*limit),
            op(*sort)
        ),
        PhysicalOp::FanOut { branches } => format!(
            "FanOut to {} branches (one pass, not materialized)",
            branches.len()
        ),
        PhysicalOp::FanOutResult { index } => {
            format!("{} (fan-out branch {index})", op(n.output_of))
        }
        PhysicalOp::Gathered { node, .. } => format!("{} ← gather", op(*node)),
        PhysicalOp::Repartition { partitioning, .. } => format!("Exchange {partitioning}"),
        PhysicalOp::Sink { node } => op(*node),
    };
    let cache = match n.cache {
        Some(CacheLevel::Memory) => "  [kept in memory]",
        Some(CacheLevel::Disk) => "  [kept on disk]",
        Some(CacheLevel::MemoryAndDisk) => "  [kept in memory and on disk]",
        None => "",
    };
    let _ = writeln!(out, "{indent}#{id} {text}{cache}");
    for &i in &n.inputs {
        render_node(p, plan, i, depth + 1, shown, out);
    }
}
