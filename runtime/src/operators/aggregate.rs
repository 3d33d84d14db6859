//! `group`: two-phase hash aggregation. Each partition folds its rows into a partial
//! table (group key → accumulators) as the pipeline streams; the partials are then
//! merged in partition order, so `first`/`last` follow input order and groups come out
//! in order of first appearance. Keys are compared in Arrow's row format, so any mix of
//! key types works and null is a key like any other (as in SQL's GROUP BY).
//!
//! A `group` without keys gives exactly one row, even over no input (`count()` is 0).

use crate::error::{RunError, RunResult};
use crate::expr::{conform, evaluate};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, ListArray, RecordBatch, new_null_array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType as A, SchemaRef};
use arrow::row::{RowConverter, SortField};
use hashbrown::{HashMap, HashSet};
use sluice_compiler::plan::AggregateExpr;
use sluice_stdlib::DataType;
use std::sync::Arc;

type Key = Box<[u8]>;

/// One aggregate's running state for one group.
#[derive(Clone, Debug)]
enum Acc {
    Rows(i64),
    Values(i64),
    Distinct(HashSet<Key>),
    SumInt {
        sum: i64,
        seen: bool,
        overflow: bool,
    },
    SumFloat {
        sum: f64,
        seen: bool,
    },
    Mean {
        sum: f64,
        n: i64,
    },
    /// min/max: the best value so far, in row format (which sorts like the values).
    Extreme(Option<Key>),
    /// first/last: the value (null included), in row format.
    Pick(Option<Key>),
    Moments {
        n: i64,
        mean: f64,
        m2: f64,
    },
    Numbers(Vec<f64>),
    Collect(Vec<Key>),
}

/// How one aggregate reads its input and what it starts from.
struct Spec<'a> {
    expr: &'a AggregateExpr,
    /// For aggregates that keep values in row format.
    converter: Option<RowConverter>,
    input_type: A,
}

impl Spec<'_> {
    fn init(&self) -> Acc {
        match self.expr.function.as_str() {
            "count" if self.expr.args.is_empty() => Acc::Rows(0),
            "count" => Acc::Values(0),
            "count_distinct" => Acc::Distinct(HashSet::new()),
            "sum" if self.input_type == A::Int64 => Acc::SumInt {
                sum: 0,
                seen: false,
                overflow: false,
            },
            "sum" => Acc::SumFloat {
                sum: 0.0,
                seen: false,
            },
            "mean" => Acc::Mean { sum: 0.0, n: 0 },
            "min" | "max" => Acc::Extreme(None),
            "first" | "last" => Acc::Pick(None),
            "stddev" | "variance" => Acc::Moments {
                n: 0,
                mean: 0.0,
                m2: 0.0,
            },
            "median" | "quantile" => Acc::Numbers(Vec::new()),
            _ => Acc::Collect(Vec::new()),
        }
    }
}

/// A partial aggregation table.
struct Table {
    groups: HashMap<Key, usize>,
    keys: Vec<Key>,
    accs: Vec<Vec<Acc>>,
}

/// A `group` ready to run: partial tables per partition, merged by [`Aggregation::finish`].
pub struct Aggregation<'a> {
    keys: &'a [String],
    specs: Vec<Spec<'a>>,
    key_converter: Option<RowConverter>,
    out: SchemaRef,
}

/// One partition's partial aggregation.
pub struct Partial(Table);

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
        let specs = aggregates
            .iter()
            .map(|a| {
                let input_type = a.args.first().map_or(A::Null, |e| e.data_type.to_arrow());
                let keeps_rows = matches!(
                    a.function.as_str(),
                    "count_distinct" | "min" | "max" | "first" | "last" | "collect"
                );
                let converter = if keeps_rows {
                    Some(RowConverter::new(vec![SortField::new(input_type.clone())]))
                } else {
                    None
                }
                .transpose()?;
                Ok(Spec {
                    expr: a,
                    converter,
                    input_type,
                })
            })
            .collect::<RunResult<_>>()?;
        let key_converter = if keys.is_empty() {
            None
        } else {
            Some(RowConverter::new(key_fields)?)
        };
        Ok(Aggregation {
            keys,
            specs,
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

    /// Folds a batch of the input into a partition's partial table.
    pub fn update(&self, partial: &mut Partial, batch: &RecordBatch) -> RunResult<()> {
        update(
            &mut partial.0,
            batch,
            self.keys,
            self.key_converter.as_ref(),
            &self.specs,
        )
    }

    /// Merges the partials in partition order and produces the groups.
    pub fn finish(&self, partials: Vec<Partial>) -> RunResult<Partitions> {
        let specs = &self.specs;
        let mut total = self.partial().0;
        if self.keys.is_empty() {
            total.keys.push(Key::default());
            total.accs.push(specs.iter().map(Spec::init).collect());
            total.groups.insert(Key::default(), 0);
        }
        for Partial(part) in partials {
            for (key, accs) in part.keys.into_iter().zip(part.accs) {
                match total.groups.get(&key) {
                    Some(&g) => {
                        for (i, acc) in accs.into_iter().enumerate() {
                            merge(&mut total.accs[g][i], acc, &specs[i]);
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
        for (i, spec) in specs.iter().enumerate() {
            let out_type = self.out.field(self.keys.len() + i).data_type().clone();
            let accs: Vec<&Acc> = total.accs.iter().map(|a| &a[i]).collect();
            columns.push(finish(spec, &accs, &out_type)?);
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
) -> RunResult<Partitions> {
    let aggregation = Aggregation::new(keys, aggregates, input_schema, out)?;
    let partials = pipeline.fold(
        || aggregation.partial(),
        |partial, batch| aggregation.update(partial, &batch),
    )?;
    aggregation.finish(partials)
}

fn update(
    table: &mut Table,
    batch: &RecordBatch,
    keys: &[String],
    converter: Option<&RowConverter>,
    specs: &[Spec],
) -> RunResult<()> {
    let n = batch.num_rows();
    let mut group_of = Vec::with_capacity(n);
    match converter {
        Some(conv) => {
            let columns: Vec<ArrayRef> = keys
                .iter()
                .map(|k| {
                    batch
                        .column_by_name(k)
                        .cloned()
                        .ok_or_else(|| RunError::new(format!("internal error: no key `{k}`")))
                })
                .collect::<RunResult<_>>()?;
            let rows = conv.convert_columns(&columns)?;
            for r in 0..n {
                let bytes = rows.row(r);
                let bytes: &[u8] = bytes.as_ref();
                let g = match table.groups.get(bytes) {
                    Some(&g) => g,
                    None => {
                        let g = table.keys.len();
                        table.groups.insert(bytes.into(), g);
                        table.keys.push(bytes.into());
                        table.accs.push(specs.iter().map(Spec::init).collect());
                        g
                    }
                };
                group_of.push(g);
            }
        }
        None => {
            if table.keys.is_empty() {
                table.keys.push(Key::default());
                table.accs.push(specs.iter().map(Spec::init).collect());
            }
            group_of.resize(n, 0);
        }
    }
    for (i, spec) in specs.iter().enumerate() {
        let values = match spec.expr.args.first() {
            Some(e) => Some(evaluate(e, batch)?),
            None => None,
        };
        let rows = match (&spec.converter, &values) {
            (Some(c), Some(v)) => Some(c.convert_columns(std::slice::from_ref(v))?),
            _ => None,
        };
        let floats = match (&values, spec.expr.function.as_str()) {
            (Some(v), "mean" | "stddev" | "variance" | "median" | "quantile") => {
                Some(conform(v.clone(), &DataType::Float64)?)
            }
            (Some(v), "sum") if spec.input_type != A::Int64 => {
                Some(conform(v.clone(), &DataType::Float64)?)
            }
            _ => None,
        };
        let floats = floats
            .as_ref()
            .and_then(|f| f.as_any().downcast_ref::<Float64Array>());
        let ints = values
            .as_ref()
            .and_then(|v| v.as_any().downcast_ref::<Int64Array>());
        let is_max = spec.expr.function == "max";
        let is_last = spec.expr.function == "last";
        for (r, &g) in group_of.iter().enumerate() {
            let valid = values.as_ref().is_none_or(|v| v.is_valid(r));
            let acc = &mut table.accs[g][i];
            match acc {
                Acc::Rows(c) => *c += 1,
                Acc::Values(c) => *c += i64::from(valid),
                Acc::Distinct(set) if valid => {
                    if let Some(rows) = &rows {
                        set.insert(rows.row(r).as_ref().into());
                    }
                }
                Acc::SumInt {
                    sum,
                    seen,
                    overflow,
                } if valid => {
                    let v = ints.map_or(0, |a| a.value(r));
                    match sum.checked_add(v) {
                        Some(s) => *sum = s,
                        None => *overflow = true,
                    }
                    *seen = true;
                }
                Acc::SumFloat { sum, seen } if valid => {
                    *sum += floats.map_or(0.0, |a| a.value(r));
                    *seen = true;
                }
                Acc::Mean { sum, n } if valid => {
                    *sum += floats.map_or(0.0, |a| a.value(r));
                    *n += 1;
                }
                Acc::Extreme(best) if valid => {
                    if let Some(rows) = &rows {
                        let v = rows.row(r);
                        let better = match best {
                            None => true,
                            Some(b) => {
                                if is_max {
                                    v.as_ref() > &b[..]
                                } else {
                                    v.as_ref() < &b[..]
                                }
                            }
                        };
                        if better {
                            *best = Some(v.as_ref().into());
                        }
                    }
                }
                Acc::Pick(value) => {
                    if (is_last || value.is_none())
                        && let Some(rows) = &rows
                    {
                        *value = Some(rows.row(r).as_ref().into());
                    }
                }
                Acc::Moments { n, mean, m2 } if valid => {
                    let x = floats.map_or(0.0, |a| a.value(r));
                    *n += 1;
                    let delta = x - *mean;
                    *mean += delta / *n as f64;
                    *m2 += delta * (x - *mean);
                }
                Acc::Numbers(v) if valid => v.push(floats.map_or(0.0, |a| a.value(r))),
                Acc::Collect(v) if valid => {
                    if let Some(rows) = &rows {
                        v.push(rows.row(r).as_ref().into());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn merge(into: &mut Acc, from: Acc, spec: &Spec) {
    let is_max = spec.expr.function == "max";
    match (into, from) {
        (Acc::Rows(a), Acc::Rows(b)) | (Acc::Values(a), Acc::Values(b)) => *a += b,
        (Acc::Distinct(a), Acc::Distinct(b)) => a.extend(b),
        (
            Acc::SumInt {
                sum,
                seen,
                overflow,
            },
            Acc::SumInt {
                sum: s2,
                seen: e2,
                overflow: o2,
            },
        ) => {
            match sum.checked_add(s2) {
                Some(s) => *sum = s,
                None => *overflow = true,
            }
            *seen |= e2;
            *overflow |= o2;
        }
        (Acc::SumFloat { sum, seen }, Acc::SumFloat { sum: s2, seen: e2 }) => {
            *sum += s2;
            *seen |= e2;
        }
        (Acc::Mean { sum, n }, Acc::Mean { sum: s2, n: n2 }) => {
            *sum += s2;
            *n += n2;
        }
        (Acc::Extreme(a), Acc::Extreme(Some(b))) => {
            let better = match a {
                None => true,
                Some(x) => {
                    if is_max {
                        b > *x
                    } else {
                        b < *x
                    }
                }
            };
            if better {
                *a = Some(b);
            }
        }
        (Acc::Pick(a), Acc::Pick(b)) => {
            let last = spec.expr.function == "last";
            if b.is_some() && (last || a.is_none()) {
                *a = b;
            }
        }
        (
            Acc::Moments { n, mean, m2 },
            Acc::Moments {
                n: n2,
                mean: mean2,
                m2: m22,
            },
        ) => {
            // Chan et al.'s parallel combination.
            if n2 == 0 {
                return;
            }
            let total = *n + n2;
            let delta = mean2 - *mean;
            *m2 += m22 + delta * delta * (*n as f64) * (n2 as f64) / total as f64;
            *mean += delta * n2 as f64 / total as f64;
            *n = total;
        }
        (Acc::Numbers(a), Acc::Numbers(b)) => a.extend(b),
        (Acc::Collect(a), Acc::Collect(b)) => a.extend(b),
        _ => {}
    }
}

/// The q-th quantile with linear interpolation between the closest ranks.
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(values[lo] + (values[hi] - values[lo]) * (pos - lo as f64))
}

fn finish(spec: &Spec, accs: &[&Acc], out_type: &A) -> RunResult<ArrayRef> {
    let f = spec.expr.function.as_str();
    let q = match spec.expr.args.get(1).map(|a| &a.kind) {
        Some(sluice_compiler::plan::TypedExprKind::Literal(v)) => v.as_f64().unwrap_or(0.5),
        _ => 0.5,
    };
    let decode = |keys: Vec<Option<&Key>>| -> RunResult<ArrayRef> {
        let conv = spec
            .converter
            .as_ref()
            .ok_or_else(|| RunError::new("internal error: no converter"))?;
        let parser = conv.parser();
        // Absent values (empty groups) become null rows of the input type.
        let null_row = conv.convert_columns(&[new_null_array(&spec.input_type, 1)])?;
        let null_key: Key = null_row.row(0).as_ref().into();
        let rows = keys.iter().map(|k| parser.parse(k.unwrap_or(&null_key)));
        Ok(conv.convert_rows(rows)?.remove(0))
    };
    let array: ArrayRef = match f {
        "count" | "count_distinct" => Arc::new(
            accs.iter()
                .map(|a| {
                    Some(match a {
                        Acc::Rows(c) | Acc::Values(c) => *c,
                        Acc::Distinct(s) => s.len() as i64,
                        _ => 0,
                    })
                })
                .collect::<Int64Array>(),
        ),
        "sum" => match accs.first() {
            Some(Acc::SumInt { .. }) => Arc::new(
                accs.iter()
                    .map(|a| match a {
                        Acc::SumInt {
                            sum,
                            seen: true,
                            overflow: false,
                        } => Some(*sum),
                        _ => None,
                    })
                    .collect::<Int64Array>(),
            ),
            _ => Arc::new(
                accs.iter()
                    .map(|a| match a {
                        Acc::SumFloat { sum, seen: true } => Some(*sum),
                        _ => None,
                    })
                    .collect::<Float64Array>(),
            ),
        },
        "mean" => Arc::new(
            accs.iter()
                .map(|a| match a {
                    Acc::Mean { sum, n } if *n > 0 => Some(sum / *n as f64),
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        "stddev" | "variance" => Arc::new(
            accs.iter()
                .map(|a| match a {
                    Acc::Moments { n, m2, .. } if *n > 1 => {
                        let var = m2 / (*n - 1) as f64;
                        Some(if f == "stddev" { var.sqrt() } else { var })
                    }
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        "median" | "quantile" => Arc::new(
            accs.iter()
                .map(|a| match a {
                    Acc::Numbers(v) => {
                        quantile(&mut v.clone(), if f == "median" { 0.5 } else { q })
                    }
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        "min" | "max" | "first" | "last" => decode(
            accs.iter()
                .map(|a| match a {
                    Acc::Extreme(k) | Acc::Pick(k) => k.as_ref(),
                    _ => None,
                })
                .collect(),
        )?,
        _ => {
            // collect: a list per group.
            let mut offsets = vec![0i32];
            let mut all: Vec<Option<&Key>> = Vec::new();
            for a in accs {
                if let Acc::Collect(v) = a {
                    all.extend(v.iter().map(Some));
                }
                offsets.push(all.len() as i32);
            }
            let values = if all.is_empty() {
                new_null_array(&spec.input_type, 0)
            } else {
                decode(all)?
            };
            let field = Arc::new(arrow::datatypes::Field::new(
                "item",
                spec.input_type.clone(),
                true,
            ));
            Arc::new(ListArray::try_new(
                field,
                OffsetBuffer::new(offsets.into()),
                values,
                None,
            )?)
        }
    };
    if array.data_type() == out_type {
        Ok(array)
    } else {
        Ok(arrow::compute::cast(&array, out_type)?)
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&mut [1.0, 2.0, 3.0], 0.9), Some(2.8));
        assert_eq!(quantile(&mut [], 0.5), None);
    }
}
