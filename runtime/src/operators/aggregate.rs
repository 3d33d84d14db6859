//! `group`: two-phase hash aggregation. Each partition folds its rows into a partial
//! table (group key → one state per aggregate) as the pipeline streams; the partials are
//! then merged in partition order, so `first`/`last` follow input order and groups come
//! out in order of first appearance. Keys are compared in Arrow's row format, so any mix
//! of key types works and null is a key like any other (as in SQL's GROUP BY). What each
//! aggregate computes is the stdlib's reference kernel (`sluice_stdlib::aggregates`).
//!
//! A `group` without keys gives exactly one row, even over no input (`count()` is 0).

use crate::error::{RunError, RunResult};
use crate::expr::evaluate;
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use hashbrown::HashMap;
use sluice_compiler::plan::{AggregateExpr, TypedExprKind};
use sluice_stdlib::aggregates::{AccState, AggregateKernel, Key};

/// A partial aggregation table: groups in order of first appearance.
struct Table {
    groups: HashMap<Key, usize>,
    keys: Vec<Key>,
    /// `accs[group][aggregate]`
    accs: Vec<Vec<AccState>>,
}

/// One partition's partial aggregation.
pub struct Partial(Table);

/// A `group` ready to run: partial tables per partition, merged by [`Aggregation::finish`].
pub struct Aggregation<'a> {
    keys: &'a [String],
    aggregates: &'a [AggregateExpr],
    kernels: Vec<AggregateKernel>,
    key_converter: Option<RowConverter>,
    out: SchemaRef,
}

impl<'a> Aggregation<'a> {
    pub fn new(
        keys: &'a [String],
        aggregates: &'a [AggregateExpr],
        input_schema: &sluice_stdlib::Schema,
        out: SchemaRef,
    ) -> RunResult<Self> {
        let key_fields: Vec<SortField> = keys
            .iter()
            .map(|k| {
                input_schema
                    .field(k)
                    .map(|f| SortField::new(f.data_type.to_arrow()))
                    .ok_or_else(|| RunError::new(format!("internal error: no key `{k}`")))
            })
            .collect::<RunResult<_>>()?;
        let kernels = aggregates
            .iter()
            .map(|a| {
                let q = match a.args.get(1).map(|e| &e.kind) {
                    Some(TypedExprKind::Literal(v)) => v.as_f64(),
                    _ => None,
                };
                Ok(AggregateKernel::new(
                    &a.function,
                    a.args.first().map(|e| &e.data_type),
                    q,
                )?)
            })
            .collect::<RunResult<_>>()?;
        let key_converter = if keys.is_empty() {
            None
        } else {
            Some(RowConverter::new(key_fields)?)
        };
        Ok(Aggregation {
            keys,
            aggregates,
            kernels,
            key_converter,
            out,
        })
    }

    pub fn partial(&self) -> Partial {
        Partial(Table {
            groups: HashMap::new(),
            keys: Vec::new(),
            accs: Vec::new(),
        })
    }

    fn new_group(&self) -> Vec<AccState> {
        self.kernels.iter().map(AggregateKernel::init).collect()
    }

    /// Folds a batch of the input into a partition's partial table.
    pub fn update(&self, partial: &mut Partial, batch: &RecordBatch) -> RunResult<()> {
        let table = &mut partial.0;
        let n = batch.num_rows();
        let mut group_of = Vec::with_capacity(n);
        match &self.key_converter {
            Some(conv) => {
                let columns: Vec<ArrayRef> =
                    self.keys
                        .iter()
                        .map(|k| {
                            batch.column_by_name(k).cloned().ok_or_else(|| {
                                RunError::new(format!("internal error: no key `{k}`"))
                            })
                        })
                        .collect::<RunResult<_>>()?;
                let rows = conv.convert_columns(&columns)?;
                for r in 0..n {
                    let bytes: &[u8] = rows.row(r).data();
                    let g = match table.groups.get(bytes) {
                        Some(&g) => g,
                        None => {
                            let g = table.keys.len();
                            table.groups.insert(bytes.into(), g);
                            table.keys.push(bytes.into());
                            table.accs.push(self.new_group());
                            g
                        }
                    };
                    group_of.push(g);
                }
            }
            None => {
                if table.keys.is_empty() {
                    table.keys.push(Key::default());
                    table.accs.push(self.new_group());
                }
                group_of.resize(n, 0);
            }
        }
        for (i, (aggregate, kernel)) in self.aggregates.iter().zip(&self.kernels).enumerate() {
            let values = match aggregate.args.first() {
                Some(e) => Some(evaluate(e, batch)?),
                None => None,
            };
            kernel.update(&mut table.accs, i, &group_of, values.as_ref())?;
        }
        Ok(())
    }

    /// Merges the partials in partition order and produces the groups.
    pub fn finish(&self, partials: Vec<Partial>) -> RunResult<Partitions> {
        let mut total = self.partial().0;
        if self.keys.is_empty() {
            total.keys.push(Key::default());
            total.accs.push(self.new_group());
            total.groups.insert(Key::default(), 0);
        }
        for Partial(part) in partials {
            for (key, accs) in part.keys.into_iter().zip(part.accs) {
                match total.groups.get(&key) {
                    Some(&g) => {
                        for (i, acc) in accs.into_iter().enumerate() {
                            self.kernels[i].merge(&mut total.accs[g][i], acc);
                        }
                    }
                    None => {
                        total.groups.insert(key.clone(), total.keys.len());
                        total.keys.push(key);
                        total.accs.push(accs);
                    }
                }
            }
        }
        let mut columns: Vec<ArrayRef> = Vec::new();
        if let Some(conv) = &self.key_converter {
            let parser = conv.parser();
            let rows = total.keys.iter().map(|k| parser.parse(k));
            columns.extend(conv.convert_rows(rows)?);
        }
        for (i, kernel) in self.kernels.iter().enumerate() {
            let out_type = self.out.field(self.keys.len() + i).data_type().clone();
            let accs: Vec<&AccState> = total.accs.iter().map(|a| &a[i]).collect();
            columns.push(kernel.finish(&accs, &out_type)?);
        }
        let batch = RecordBatch::try_new(self.out.clone(), columns)?;
        Ok(Partitions::new(self.out.clone(), vec![vec![batch]]))
    }
}

/// Runs a `group` over a pipeline: partial tables per partition as it streams, then merged.
pub fn run(
    pipeline: &Pipeline<'_>,
    keys: &[String],
    aggregates: &[AggregateExpr],
    input_schema: &sluice_stdlib::Schema,
    out: SchemaRef,
    budget: &crate::memory::Budget,
) -> RunResult<Partitions> {
    let aggregation = Aggregation::new(keys, aggregates, input_schema, out)?;
    // The group tables grow with the input: the budget is checked as each batch comes.
    let partials = pipeline.fold(
        || aggregation.partial(),
        |partial, batch| {
            budget.check("group", 0)?;
            aggregation.update(partial, &batch)
        },
    )?;
    aggregation.finish(partials)
}
