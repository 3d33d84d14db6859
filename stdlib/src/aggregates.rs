//! Reference implementations of the aggregate functions, over Arrow arrays.
//!
//! An [`AggregateKernel`] keeps one [`AccState`] per group, updates it from a column of
//! input values ([`AggregateKernel::update`]), combines partial states computed on
//! different partitions ([`AggregateKernel::merge`], in input order, so `first`/`last`
//! follow input order) and turns states into a result column ([`AggregateKernel::finish`]).
//! Semantics: nulls are skipped except by `count()` and `first`/`last`; an aggregate over
//! no non-null value is null except the counts (0); `stddev`/`variance` are the sample
//! statistics (n - 1), merged with Chan et al.'s parallel formula; `median`/`quantile`
//! interpolate linearly between the closest ranks; `sum` of int64 adds in 128 bits and is
//! null only when the total does not fit in int64 (so it does not depend on row order).
//! Float results hold only the one NaN (see [`crate::nan`]).
//! Values kept as values (`min`, `max`, `first`, `last`, `collect`, `count_distinct`) are
//! stored in Arrow's row format, which compares like the values.

use crate::kernels::{KernelError, KernelResult};
use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, ListArray, new_null_array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::cast;
use arrow::datatypes::DataType as A;
use arrow::row::{RowConverter, SortField};
use hashbrown::{HashMap, HashSet};
use std::sync::Arc;

pub mod pairs;
pub mod sketch;
pub mod states;

/// A value or a group key in Arrow's row format.
pub type Key = Box<[u8]>;

/// One aggregate's running state for one group.
#[derive(Clone, Debug)]
pub enum AccState {
    Rows(i64),
    Values(i64),
    Distinct(HashSet<Key>),
    /// int64 sums in 128 bits: 2^64 values of int64 cannot overflow it.
    SumInt {
        sum: i128,
        seen: bool,
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
    /// corr/covar: the co-moments of the (x, y) pairs.
    CoMoments(pairs::CoMoments),
    /// arg_min/arg_max: the best y so far and the x of its row, both in row format.
    ArgBest(Option<(Key, Key)>),
    /// approx_count_distinct.
    Sketch(sketch::Sketch),
}

/// How an aggregate that shares another's states differs from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Plain,
    /// `any_value`: `first`, skipping nulls.
    SkipNulls,
    /// `collect_set`: `collect`, each value once.
    Set,
    /// `mode`: the most frequent collected value (ties: the first seen).
    Mode,
    /// `percentile_disc`: the first value whose cumulative share reaches q.
    Discrete,
    /// `string_agg`: the collected texts joined with the kernel's separator.
    Join,
}

/// The state-sharing aggregate an aggregate is computed as: `bool_and` is `min` of
/// bools, `bool_or` their `max`, `any_value` a `first` that skips nulls, ... (so the
/// states, their merging and their serialization are those aggregates').
fn canonical(function: &str) -> (&str, Variant) {
    match function {
        "bool_and" => ("min", Variant::Plain),
        "bool_or" => ("max", Variant::Plain),
        "any_value" => ("first", Variant::SkipNulls),
        "collect_set" => ("collect", Variant::Set),
        "mode" => ("collect", Variant::Mode),
        "percentile_disc" => ("quantile", Variant::Discrete),
        "approx_quantile" => ("quantile", Variant::Plain),
        "string_agg" => ("collect", Variant::Join),
        other => (other, Variant::Plain),
    }
}

/// One aggregate function applied to one input column type.
pub struct AggregateKernel {
    function: String,
    variant: Variant,
    /// `string_agg`'s separator.
    separator: String,
    /// `count()` with no argument counts rows.
    counts_rows: bool,
    input_type: A,
    /// For aggregates that keep values in row format.
    converter: Option<RowConverter>,
    /// arg_min/arg_max: the row format of the column compared (their second).
    by_converter: Option<RowConverter>,
    /// The probability of `quantile` (0.5 for `median`).
    q: f64,
}

impl AggregateKernel {
    /// `function` over values of `input_type` (`None` for `count()`); `q` for `quantile`.
    pub fn new(
        function: &str,
        input_type: Option<&crate::DataType>,
        q: Option<f64>,
    ) -> Result<AggregateKernel, KernelError> {
        let input = input_type.map_or(A::Null, crate::DataType::to_arrow);
        let (function, variant) = canonical(function);
        let keeps_rows = matches!(
            function,
            "count_distinct"
                | "min"
                | "max"
                | "first"
                | "last"
                | "collect"
                | "arg_min"
                | "arg_max"
                | "approx_count_distinct"
        );
        let converter = if keeps_rows {
            Some(RowConverter::new(vec![SortField::new(input.clone())])?)
        } else {
            None
        };
        Ok(AggregateKernel {
            function: function.to_string(),
            variant,
            separator: String::new(),
            counts_rows: input_type.is_none(),
            input_type: input,
            converter,
            by_converter: None,
            q: q.unwrap_or(0.5),
        })
    }

    /// The kernel of a two-column aggregate, given its second column's type.
    pub fn with_second_column(
        mut self,
        second: &crate::DataType,
    ) -> Result<AggregateKernel, KernelError> {
        if matches!(self.function.as_str(), "arg_min" | "arg_max") {
            self.by_converter = Some(RowConverter::new(vec![SortField::new(second.to_arrow())])?);
        }
        Ok(self)
    }

    /// Whether a state holds the values themselves (so it grows with the rows it sees):
    /// `median`, the quantiles, `count_distinct` and the collecting aggregates (`collect`,
    /// `collect_set`, `mode`, `string_agg`).
    pub fn keeps_values(&self) -> bool {
        matches!(
            self.function.as_str(),
            "median" | "quantile" | "count_distinct" | "collect"
        )
    }

    /// Whether the kernel reads two columns, packed by [`pairs::pack`].
    pub fn takes_two_columns(&self) -> bool {
        pairs::takes_two_columns(&self.function)
    }

    /// The kernel with `string_agg`'s separator.
    pub fn with_separator(mut self, separator: &str) -> AggregateKernel {
        self.separator = separator.to_string();
        self
    }

    /// The state of a group that has seen no row.
    pub fn init(&self) -> AccState {
        match self.function.as_str() {
            "count" if self.counts_rows => AccState::Rows(0),
            "count" => AccState::Values(0),
            "count_distinct" => AccState::Distinct(HashSet::new()),
            "sum" if self.input_type == A::Int64 => AccState::SumInt {
                sum: 0,
                seen: false,
            },
            "sum" => AccState::SumFloat {
                sum: 0.0,
                seen: false,
            },
            "product" => AccState::SumFloat {
                sum: 1.0,
                seen: false,
            },
            "mean" => AccState::Mean { sum: 0.0, n: 0 },
            "min" | "max" => AccState::Extreme(None),
            "first" | "last" => AccState::Pick(None),
            "stddev" | "variance" => AccState::Moments {
                n: 0,
                mean: 0.0,
                m2: 0.0,
            },
            "median" | "quantile" => AccState::Numbers(Vec::new()),
            "corr" | "covar_pop" | "covar_samp" => AccState::CoMoments(Default::default()),
            "arg_min" | "arg_max" => AccState::ArgBest(None),
            "approx_count_distinct" => AccState::Sketch(Default::default()),
            _ => AccState::Collect(Vec::new()),
        }
    }

    /// Folds `values` into the states: row `r` goes to `states[group_of[r]]`.
    pub fn update(
        &self,
        states: &mut [AccState],
        group_of: &[u32],
        values: Option<&ArrayRef>,
    ) -> Result<(), KernelError> {
        if self.takes_two_columns() {
            return self.update_pairs(states, group_of, values);
        }
        let rows = match (&self.converter, values) {
            (Some(c), Some(v)) => Some(c.convert_columns(std::slice::from_ref(v))?),
            _ => None,
        };
        let floats = match (values, self.function.as_str()) {
            (Some(v), "mean" | "stddev" | "variance" | "median" | "quantile") => {
                Some(cast(v, &A::Float64)?)
            }
            (Some(v), "sum") if self.input_type != A::Int64 => Some(cast(v, &A::Float64)?),
            (Some(v), "product") => Some(cast(v, &A::Float64)?),
            _ => None,
        };
        let floats = floats
            .as_ref()
            .and_then(|f| f.as_any().downcast_ref::<Float64Array>());
        let ints = values
            .as_ref()
            .and_then(|v| v.as_any().downcast_ref::<Int64Array>());
        let is_max = self.function == "max";
        let is_last = self.function == "last";
        let product = self.function == "product";
        let skip_nulls = self.variant == Variant::SkipNulls;
        for (r, &g) in group_of.iter().enumerate() {
            let valid = values.is_none_or(|v| v.is_valid(r));
            let acc = &mut states[g as usize];
            match acc {
                AccState::Rows(c) => *c += 1,
                AccState::Values(c) => *c += i64::from(valid),
                AccState::Distinct(set) if valid => {
                    if let Some(rows) = &rows {
                        set.insert(rows.row(r).as_ref().into());
                    }
                }
                AccState::SumInt { sum, seen } if valid => {
                    *sum += i128::from(ints.map_or(0, |a| a.value(r)));
                    *seen = true;
                }
                AccState::SumFloat { sum, seen } if valid => {
                    let x = floats.map_or(0.0, |a| a.value(r));
                    if product {
                        *sum *= x;
                    } else {
                        *sum += x;
                    }
                    *seen = true;
                }
                AccState::Mean { sum, n } if valid => {
                    *sum += floats.map_or(0.0, |a| a.value(r));
                    *n += 1;
                }
                AccState::Extreme(best) if valid => {
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
                AccState::Pick(value) if valid || !skip_nulls => {
                    if (is_last || value.is_none())
                        && let Some(rows) = &rows
                    {
                        *value = Some(rows.row(r).as_ref().into());
                    }
                }
                AccState::Moments { n, mean, m2 } if valid => {
                    let x = floats.map_or(0.0, |a| a.value(r));
                    *n += 1;
                    let delta = x - *mean;
                    *mean += delta / *n as f64;
                    *m2 += delta * (x - *mean);
                }
                AccState::Numbers(v) if valid => v.push(floats.map_or(0.0, |a| a.value(r))),
                AccState::Collect(v) if valid => {
                    if let Some(rows) = &rows {
                        v.push(rows.row(r).as_ref().into());
                    }
                }
                AccState::Sketch(s) if valid => {
                    if let Some(rows) = &rows {
                        s.insert(sketch::Sketch::hash(rows.row(r).as_ref()));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Combines two partial states of one group (`from` comes later in input order).
    pub fn merge(&self, into: &mut AccState, from: AccState) {
        let is_max = self.function == "max";
        match (into, from) {
            (AccState::Rows(a), AccState::Rows(b)) | (AccState::Values(a), AccState::Values(b)) => {
                *a += b
            }
            (AccState::Distinct(a), AccState::Distinct(b)) => a.extend(b),
            (AccState::SumInt { sum, seen }, AccState::SumInt { sum: s2, seen: e2 }) => {
                *sum += s2;
                *seen |= e2;
            }
            (AccState::SumFloat { sum, seen }, AccState::SumFloat { sum: s2, seen: e2 }) => {
                if self.function == "product" {
                    *sum *= s2;
                } else {
                    *sum += s2;
                }
                *seen |= e2;
            }
            (AccState::Mean { sum, n }, AccState::Mean { sum: s2, n: n2 }) => {
                *sum += s2;
                *n += n2;
            }
            (AccState::Extreme(a), AccState::Extreme(Some(b))) => {
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
            (AccState::Pick(a), AccState::Pick(b)) => {
                let last = self.function == "last";
                if b.is_some() && (last || a.is_none()) {
                    *a = b;
                }
            }
            (
                AccState::Moments { n, mean, m2 },
                AccState::Moments {
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
            (AccState::Numbers(a), AccState::Numbers(b)) => a.extend(b),
            (AccState::Collect(a), AccState::Collect(b)) => a.extend(b),
            (AccState::CoMoments(a), AccState::CoMoments(b)) => a.merge(&b),
            (AccState::ArgBest(a), AccState::ArgBest(Some(b)))
                if a.as_ref().is_none_or(|(best, _)| self.beats(&b.0, best)) =>
            {
                *a = Some(b);
            }
            (AccState::Sketch(a), AccState::Sketch(b)) => a.merge(b),
            _ => {}
        }
    }

    /// The result column: one value per group state, cast to `out_type`.
    pub fn finish(&self, accs: &[&AccState], out_type: &A) -> KernelResult {
        let f = self.function.as_str();
        let q = self.q;
        let decode = |keys: Vec<Option<&Key>>| -> KernelResult {
            let conv = self
                .converter
                .as_ref()
                .ok_or_else(|| KernelError("internal error: no converter".into()))?;
            let parser = conv.parser();
            // Absent values (empty groups) become null rows of the input type.
            let null_row = conv.convert_columns(&[new_null_array(&self.input_type, 1)])?;
            let null_key: Key = null_row.row(0).as_ref().into();
            let rows = keys.iter().map(|k| parser.parse(k.unwrap_or(&null_key)));
            Ok(conv.convert_rows(rows)?.remove(0))
        };
        let array: ArrayRef = match f {
            "count" | "count_distinct" | "approx_count_distinct" => Arc::new(
                accs.iter()
                    .map(|a| {
                        Some(match a {
                            AccState::Rows(c) | AccState::Values(c) => *c,
                            AccState::Distinct(s) => s.len() as i64,
                            AccState::Sketch(s) => s.count(),
                            _ => 0,
                        })
                    })
                    .collect::<Int64Array>(),
            ),
            "product" => Arc::new(
                accs.iter()
                    .map(|a| match a {
                        AccState::SumFloat { sum, seen: true } => Some(*sum),
                        _ => None,
                    })
                    .collect::<Float64Array>(),
            ),
            "sum" => match accs.first() {
                Some(AccState::SumInt { .. }) => Arc::new(
                    accs.iter()
                        .map(|a| match a {
                            AccState::SumInt { sum, seen: true } => i64::try_from(*sum).ok(),
                            _ => None,
                        })
                        .collect::<Int64Array>(),
                ),
                _ => Arc::new(
                    accs.iter()
                        .map(|a| match a {
                            AccState::SumFloat { sum, seen: true } => Some(*sum),
                            _ => None,
                        })
                        .collect::<Float64Array>(),
                ),
            },
            "mean" => Arc::new(
                accs.iter()
                    .map(|a| match a {
                        AccState::Mean { sum, n } if *n > 0 => Some(sum / *n as f64),
                        _ => None,
                    })
                    .collect::<Float64Array>(),
            ),
            "stddev" | "variance" => Arc::new(
                accs.iter()
                    .map(|a| match a {
                        AccState::Moments { n, m2, .. } if *n > 1 => {
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
                        AccState::Numbers(v) if self.variant == Variant::Discrete => {
                            discrete_quantile(&mut v.clone(), q)
                        }
                        AccState::Numbers(v) => {
                            quantile(&mut v.clone(), if f == "median" { 0.5 } else { q })
                        }
                        _ => None,
                    })
                    .collect::<Float64Array>(),
            ),
            "corr" | "covar_pop" | "covar_samp" => self.finish_co_moments(accs),
            "arg_min" | "arg_max" => decode(
                accs.iter()
                    .map(|a| match a {
                        AccState::ArgBest(best) => best.as_ref().map(|(_, value)| value),
                        _ => None,
                    })
                    .collect(),
            )?,
            "min" | "max" | "first" | "last" => decode(
                accs.iter()
                    .map(|a| match a {
                        AccState::Extreme(k) | AccState::Pick(k) => k.as_ref(),
                        _ => None,
                    })
                    .collect(),
            )?,
            _ if self.variant == Variant::Mode => decode(
                accs.iter()
                    .map(|a| match a {
                        AccState::Collect(v) => most_frequent(v),
                        _ => None,
                    })
                    .collect(),
            )?,
            _ => {
                // collect: a list per group (collect_set: each value once).
                let set = self.variant == Variant::Set;
                let mut offsets = vec![0i32];
                let mut all: Vec<Option<&Key>> = Vec::new();
                for a in accs {
                    if let AccState::Collect(v) = a {
                        if set {
                            let mut seen = HashSet::new();
                            all.extend(v.iter().filter(|k| seen.insert(*k)).map(Some));
                        } else {
                            all.extend(v.iter().map(Some));
                        }
                    }
                    offsets.push(all.len() as i32);
                }
                let values = if all.is_empty() {
                    new_null_array(&self.input_type, 0)
                } else {
                    decode(all)?
                };
                let field = Arc::new(arrow::datatypes::Field::new(
                    "item",
                    self.input_type.clone(),
                    true,
                ));
                let lists =
                    ListArray::try_new(field, OffsetBuffer::new(offsets.into()), values, None)?;
                if self.variant == Variant::Join {
                    Arc::new(self.joined(&lists, accs)?)
                } else {
                    Arc::new(lists)
                }
            }
        };
        let array = if array.data_type() == out_type {
            array
        } else {
            cast(&array, out_type)?
        };
        Ok(crate::nan::canonical_nans(array))
    }
}

impl AggregateKernel {
    /// `string_agg`: each group's texts joined with the separator; null for a group
    /// without any.
    fn joined(
        &self,
        lists: &ListArray,
        accs: &[&AccState],
    ) -> Result<arrow::array::StringArray, KernelError> {
        let values = cast(lists.values(), &A::Utf8)?;
        let values = values
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .ok_or_else(|| KernelError("internal error: string_agg of non-text".into()))?;
        let offsets = lists.value_offsets();
        Ok((0..accs.len())
            .map(|g| {
                let (lo, hi) = (offsets[g] as usize, offsets[g + 1] as usize);
                (hi > lo).then(|| {
                    (lo..hi)
                        .map(|i| values.value(i))
                        .collect::<Vec<_>>()
                        .join(&self.separator)
                })
            })
            .collect())
    }
}

/// The most frequent value (the first seen among the most frequent ones).
fn most_frequent(values: &[Key]) -> Option<&Key> {
    let mut counts: HashMap<&Key, (usize, usize)> = HashMap::new();
    for (i, k) in values.iter().enumerate() {
        counts.entry(k).or_insert((0, i)).0 += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
        .map(|(k, _)| k)
}

/// The discrete q-th quantile: the smallest value whose cumulative share of the values
/// reaches q (the first value for q = 0), as SQL's `percentile_disc`; NaN sorts above
/// every number.
pub fn discrete_quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let at = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    Some(values[at])
}

/// The q-th quantile with linear interpolation between the closest ranks (NaN sorts above
/// every number). When the rank falls on a value, or both neighbours are equal, that
/// value is the answer (so an infinite value is returned as itself, not as
/// `inf + (inf - inf) * 0` = NaN); between an infinity and a number it is that
/// infinity; between `-inf` and `inf` it is NaN.
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    for v in values.iter_mut() {
        *v = crate::nan::canonical(*v);
    }
    values.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (a, b) = (values[lo], values[hi]);
    let fraction = pos - lo as f64;
    if fraction == 0.0 || a == b || (a.is_nan() && b.is_nan()) {
        return Some(a);
    }
    // Next to an infinite value the weighted form gives that infinity (`a + (b - a) · f`
    // would be `-inf + inf`); elsewhere the difference form, exact for equal steps.
    let value = if a.is_infinite() || b.is_infinite() {
        a * (1.0 - fraction) + b * fraction
    } else {
        a + (b - a) * fraction
    };
    Some(crate::nan::canonical(value))
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_of_infinite_values_are_those_values() {
        let inf = f64::INFINITY;
        assert_eq!(quantile(&mut [1.0, inf, inf], 0.5), Some(inf));
        assert_eq!(quantile(&mut [-inf, -inf, 1.0], 0.5), Some(-inf));
        assert_eq!(quantile(&mut [1.0, 2.0, inf], 1.0), Some(inf));
        assert_eq!(quantile(&mut [1.0, inf], 0.5), Some(inf));
        assert_eq!(quantile(&mut [1.0, 3.0, inf], 0.25), Some(2.0));
        assert_eq!(quantile(&mut [-inf, -inf, 2.0], 0.9), Some(-inf));
        assert!(quantile(&mut [-inf, inf], 0.5).is_some_and(f64::is_nan));
        assert!(quantile(&mut [1.0, -f64::NAN, f64::NAN], 0.5).is_some_and(f64::is_nan));
        assert_eq!(quantile(&mut [-f64::NAN, 1.0, 2.0], 0.5), Some(2.0));
    }

    #[test]
    fn mode_takes_the_first_of_the_most_frequent_and_discrete_quantiles_are_values() {
        let k = |b: u8| -> Key { vec![b].into() };
        let values = [k(3), k(1), k(1), k(3), k(2)];
        assert_eq!(
            most_frequent(&values),
            Some(&k(3)),
            "3 and 1 tie; 3 came first"
        );
        assert_eq!(most_frequent(&[]), None);
        let mut v = [5.0, 1.0, 3.0, 2.0];
        assert_eq!(discrete_quantile(&mut v, 0.5), Some(2.0));
        assert_eq!(discrete_quantile(&mut v, 0.0), Some(1.0));
        assert_eq!(discrete_quantile(&mut v, 0.51), Some(3.0));
        assert_eq!(discrete_quantile(&mut v, 1.0), Some(5.0));
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&mut [1.0, 2.0, 3.0], 0.9), Some(2.8));
        assert_eq!(quantile(&mut [], 0.5), None);
    }

    use super::*;
    use crate::DataType;

    /// Updating one state with all values, or two states with halves and merging them,
    /// gives the same result: what makes two-phase aggregation correct.
    #[test]
    fn merged_partials_equal_one_pass() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(3.0),
            None,
            Some(1.5),
            Some(-2.0),
            Some(8.25),
            None,
            Some(1.5),
        ]));
        for (f, q) in [
            ("count", None),
            ("count_distinct", None),
            ("sum", None),
            ("mean", None),
            ("min", None),
            ("max", None),
            ("stddev", None),
            ("variance", None),
            ("median", None),
            ("quantile", Some(0.9)),
            ("first", None),
            ("last", None),
            ("collect", None),
        ] {
            let k = AggregateKernel::new(f, Some(&DataType::Float64), q).unwrap();
            let mut one = vec![k.init()];
            k.update(&mut one, &[0; 7], Some(&values)).unwrap();
            let (a, b) = (values.slice(0, 3), values.slice(3, 4));
            let mut first = vec![k.init()];
            let mut second = vec![k.init()];
            k.update(&mut first, &[0; 3], Some(&a)).unwrap();
            k.update(&mut second, &[0; 4], Some(&b)).unwrap();
            let mut merged = first.remove(0);
            k.merge(&mut merged, second.remove(0));
            let out_type = if matches!(f, "count" | "count_distinct") {
                A::Int64
            } else if f == "collect" {
                A::new_list(A::Float64, true)
            } else {
                A::Float64
            };
            let x = k.finish(&[&one[0]], &out_type).unwrap();
            let y = k.finish(&[&merged], &out_type).unwrap();
            if let (Some(x), Some(y)) = (
                x.as_any().downcast_ref::<Float64Array>(),
                y.as_any().downcast_ref::<Float64Array>(),
            ) {
                assert!(
                    (x.value(0) - y.value(0)).abs() < 1e-12,
                    "{f}: {} vs {}",
                    x.value(0),
                    y.value(0)
                );
            } else {
                assert_eq!(x.to_data(), y.to_data(), "{f}");
            }
        }
    }
}
