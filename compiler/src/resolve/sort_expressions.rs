//! Sort keys that are expressions (`sort abs(x) desc`, `window order by a + b { ... }`):
//! each becomes a hidden column, derived before the step and projected away after it,
//! so the plan's sort, top-k and window operators only ever order by columns.

use super::Resolver;
use super::expr::Context;
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::PlanOp;
use crate::syntax::ast::{Ident, SortKey, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::{Field, Schema};

/// The hidden column of the `i`-th expression key.
fn hidden_name(i: usize) -> String {
    format!("__sluice_sort_{i}")
}

impl Resolver<'_> {
    /// A `derive` after `input` computing the expression keys among `keys`, its schema,
    /// and the keys with those hidden columns in place of the expressions.
    pub(crate) fn derive_sort_keys(
        &mut self,
        input: NodeIndex,
        keys: &[SortKey],
        schema: &Schema,
        step: &Step,
    ) -> Option<(NodeIndex, Schema, Vec<SortKey>)> {
        let mut wider = schema.clone();
        let mut columns = Vec::new();
        let mut rewritten = Vec::with_capacity(keys.len());
        let mut ok = true;
        for (i, k) in keys.iter().enumerate() {
            let Some(e) = &k.expression else {
                rewritten.push(k.clone());
                continue;
            };
            let Some(t) = self.type_expr(e, schema, Context::Row) else {
                ok = false;
                continue;
            };
            if !t.data_type.is_ordered() {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "cannot sort by `{}`: {} has no order",
                        k.column.name, t.data_type
                    ),
                    e.span,
                    "not sortable",
                ));
                ok = false;
                continue;
            }
            let name = hidden_name(i);
            wider.upsert(Field::new(name.clone(), t.data_type.clone(), t.nullable));
            columns.push((name.clone(), t));
            rewritten.push(SortKey {
                column: Ident::new(&name, k.column.span),
                expression: None,
                ..k.clone()
            });
        }
        if !ok {
            return None;
        }
        let derived = self.add_step(input, PlanOp::Derive { columns }, wider.clone(), step, &[]);
        Some((derived, wider, rewritten))
    }

    /// `node`'s rows with only the columns of `schema` (the hidden sort keys dropped).
    pub(crate) fn drop_sort_keys(
        &mut self,
        node: NodeIndex,
        schema: Schema,
        step: &Step,
    ) -> NodeIndex {
        let columns = schema.fields.iter().map(|f| f.name.clone()).collect();
        self.add_step(node, PlanOp::Project { columns }, schema, step, &[])
    }
}
