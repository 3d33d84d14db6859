//! Edits of the plan graph that optimizer rules share: rewiring inputs, putting a node
//! between two others, taking a pass-through node out, dropping what no sink reads, and
//! recomputing every schema after a rewrite.

use super::schema::output_schema;
use super::{LogicalPlan, PlanNode};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

impl LogicalPlan {
    /// Every node reading this one, with the input slot it reads it in, in a stable order.
    pub fn consumers(&self, node: NodeIndex) -> Vec<(NodeIndex, usize)> {
        let mut out: Vec<(NodeIndex, usize)> = self
            .graph
            .edges_directed(node, Direction::Outgoing)
            .map(|e| (e.target(), *e.weight()))
            .collect();
        out.sort();
        out
    }

    /// The single consumer of a node, if it has exactly one.
    pub fn only_consumer(&self, node: NodeIndex) -> Option<NodeIndex> {
        match self.consumers(node).as_slice() {
            [(c, _)] => Some(*c),
            _ => None,
        }
    }

    /// Makes `consumer` read `new_input` in `slot`.
    pub fn set_input(&mut self, consumer: NodeIndex, slot: usize, new_input: NodeIndex) {
        let old: Vec<_> = self
            .graph
            .edges_directed(consumer, Direction::Incoming)
            .filter(|e| *e.weight() == slot)
            .map(|e| e.id())
            .collect();
        for e in old {
            self.graph.remove_edge(e);
        }
        self.graph.add_edge(new_input, consumer, slot);
    }

    /// Adds `node` reading `input`, and makes `consumer` read it in `slot` instead.
    pub fn insert_between(
        &mut self,
        input: NodeIndex,
        consumer: NodeIndex,
        slot: usize,
        node: PlanNode,
    ) -> NodeIndex {
        let id = self.add(node, &[input]);
        self.set_input(consumer, slot, id);
        id
    }

    /// Takes a single-input node out: its consumers read its input instead. Sinks that
    /// pointed at it are kept pointing at the right node.
    pub fn bypass(&mut self, node: NodeIndex) {
        let Some(&input) = self.inputs(node).first() else {
            return;
        };
        for (consumer, slot) in self.consumers(node) {
            self.set_input(consumer, slot, input);
        }
        self.graph.remove_node(node);
    }

    /// Makes every consumer of `old` read `new`, and removes `old`.
    pub fn replace_node(&mut self, old: NodeIndex, new: NodeIndex) {
        for (consumer, slot) in self.consumers(old) {
            self.set_input(consumer, slot, new);
        }
        self.graph.remove_node(old);
    }

    /// Removes every node no sink reads.
    pub fn remove_unreachable(&mut self) {
        let live: std::collections::HashSet<NodeIndex> = self.topological().into_iter().collect();
        let dead: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|n| !live.contains(n))
            .collect();
        for n in dead {
            self.graph.remove_node(n);
        }
    }

    /// Recomputes every node's schema from its inputs, inputs first.
    pub fn refresh_schemas(&mut self) -> Result<(), String> {
        for node in self.topological() {
            let inputs: Vec<NodeIndex> = self.inputs(node);
            let schemas: Vec<&sluice_stdlib::Schema> =
                inputs.iter().map(|i| &self.graph[*i].schema).collect();
            let n = &self.graph[node];
            let schema = output_schema(&n.op, &schemas, &n.schema)?;
            self.graph[node].schema = schema;
        }
        Ok(())
    }
}
