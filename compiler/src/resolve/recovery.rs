//! After a step with an error: a stand-in for its output, so the rest of the chain is
//! still checked and every independent mistake is reported in one run
//! (`filter Magnitde > 6 | derive x = Depht * 2 | select Lattitude` gives three errors,
//! not one). The
//! stand-in's schema is what the step would have made, with columns it would have
//! computed typed `null` (which converts to every type, so they raise no error of
//! their own). Where that cannot be known (a failed join, predict or evaluate) checking
//! the chain stops, rather than report columns that are missing only because of the
//! first error. A pipeline with an error never gets a plan, so a stand-in never runs.

use super::Resolver;
use crate::plan::{PlanNode, PlanOp};
use crate::syntax::ast::{Operator, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{DataType, Field, Schema};

impl Resolver<'_> {
    /// The stand-in for `step` (which reported an error) over `input`, if its schema can
    /// be known.
    pub(crate) fn recover(&mut self, input: NodeIndex, step: &Step) -> Option<NodeIndex> {
        let schema = self.schema(input).clone();
        let unknown = |name: &str| Field::new(name, DataType::Null, true);
        let known_or_unknown =
            |name: &str| schema.field(name).cloned().unwrap_or_else(|| unknown(name));
        let fields: Vec<Field> = match &step.op {
            Operator::Derive { columns } => {
                let mut fields = schema.fields.clone();
                for a in columns {
                    match fields.iter_mut().find(|f| f.name == a.name.name) {
                        Some(f) => *f = unknown(&a.name.name),
                        None => fields.push(unknown(&a.name.name)),
                    }
                }
                fields
            }
            Operator::Rename { pairs } => schema
                .fields
                .iter()
                .map(|f| match pairs.iter().find(|p| p.from.name == f.name) {
                    Some(p) => Field {
                        name: p.to.name.clone(),
                        ..f.clone()
                    },
                    None => f.clone(),
                })
                .collect(),
            Operator::Select { columns } => {
                columns.iter().map(|c| known_or_unknown(&c.name)).collect()
            }
            Operator::Drop { columns } => schema
                .fields
                .iter()
                .filter(|f| !columns.iter().any(|c| c.name == f.name))
                .cloned()
                .collect(),
            Operator::Group {
                keys, aggregates, ..
            } => keys
                .iter()
                .map(|k| known_or_unknown(&k.name))
                .chain(aggregates.iter().map(|a| unknown(&a.name.name)))
                .collect(),
            Operator::Window { columns, .. } => schema
                .fields
                .iter()
                .cloned()
                .chain(columns.iter().map(|c| unknown(&c.name.name)))
                .collect(),
            Operator::Pivot { .. } | Operator::Unpivot { .. } => return None,
            Operator::Join { .. }
            | Operator::CrossJoin { .. }
            | Operator::Union { by_name: true, .. }
            | Operator::Predict { .. }
            | Operator::Evaluate { .. }
            | Operator::Split { .. }
            | Operator::Fit { .. }
            | Operator::CrossValidate { .. }
            | Operator::Transform { .. } => return None,
            // The others keep their input's columns.
            _ => schema.fields.clone(),
        };
        let columns = fields.iter().map(|f| f.name.clone()).collect();
        Some(self.plan.add(
            PlanNode {
                op: PlanOp::Project { columns },
                schema: Schema::new(fields),
                relation: None,
                hints: Default::default(),
                sharing: None,
                span: step.span,
            },
            &[input],
        ))
    }
}
