//! Columnar partial states of one aggregate over many groups: the state of group `g` is
//! element `g` of plain vectors (sums, counts, moments, best values), updated by tight
//! loops over a batch's group ids. Aggregates without a columnar form here (`median`,
//! `quantile`, `count_distinct`, `first`, `last`, `collect`, `min`/`max` of non-numbers)
//! keep one reference [`AccState`] per group and use the reference kernel.
//!
//! States are **mergeable** ([`GroupStates::merge`]: another table's groups folded into
//! this one's, the other coming later in input order, so `first`/`last`/`collect` keep
//! input order) and **serializable** ([`GroupStates::to_columns`] /
//! [`GroupStates::from_columns`]: Arrow arrays, so partial states can be spilled to disk
//! and read back, or kept by a streaming state store). Every result equals the reference
//! kernel's ([`AggregateKernel::finish`]) on the same rows; float sums, means and moments
//! depend on the order of additions only in their last bits.

use super::{AccState, AggregateKernel, Key};
use crate::kernels::{KernelError, KernelResult};

type Result<T> = std::result::Result<T, KernelError>;
use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Float64Array, Int64Array,
    builder::BinaryBuilder,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType as A, Decimal128Type, Float64Type, Int64Type};
use std::sync::Arc;

/// One aggregate's states for groups `0..len`.
pub struct GroupStates {
    kernel: Arc<AggregateKernel>,
    states: States,
}

enum States {
    CountRows(Vec<i64>),
    CountValues(Vec<i64>),
    /// int64 sums in 128 bits (exact, so independent of order).
    SumInt {
        sum: Vec<i128>,
        seen: Vec<bool>,
    },
    SumFloat {
        sum: Vec<f64>,
        seen: Vec<bool>,
    },
    Mean {
        sum: Vec<f64>,
        n: Vec<i64>,
    },
    /// Count, mean and sum of squared deviations (Welford; merged with Chan et al.).
    Moments {
        n: Vec<i64>,
        mean: Vec<f64>,
        m2: Vec<f64>,
    },
    ExtremeInt {
        best: Vec<i64>,
        seen: Vec<bool>,
        max: bool,
    },
    /// Floats compare in Arrow's total order (NaN above every number), as the reference.
    ExtremeFloat {
        best: Vec<f64>,
        seen: Vec<bool>,
        max: bool,
    },
    Reference(Vec<AccState>),
}

impl GroupStates {
    /// Empty states of `kernel`'s aggregate.
    pub fn new(kernel: Arc<AggregateKernel>) -> GroupStates {
        let f = kernel.function.as_str();
        let states = match f {
            "count" if kernel.counts_rows => States::CountRows(Vec::new()),
            "count" => States::CountValues(Vec::new()),
            "sum" if kernel.input_type == A::Int64 => States::SumInt {
                sum: Vec::new(),
                seen: Vec::new(),
            },
            "sum" => States::SumFloat {
                sum: Vec::new(),
                seen: Vec::new(),
            },
            "mean" => States::Mean {
                sum: Vec::new(),
                n: Vec::new(),
            },
            "stddev" | "variance" => States::Moments {
                n: Vec::new(),
                mean: Vec::new(),
                m2: Vec::new(),
            },
            "min" | "max" if kernel.input_type == A::Int64 => States::ExtremeInt {
                best: Vec::new(),
                seen: Vec::new(),
                max: f == "max",
            },
            "min" | "max" if kernel.input_type == A::Float64 => States::ExtremeFloat {
                best: Vec::new(),
                seen: Vec::new(),
                max: f == "max",
            },
            _ => States::Reference(Vec::new()),
        };
        GroupStates { kernel, states }
    }

    /// The aggregate's kernel.
    pub fn kernel(&self) -> &Arc<AggregateKernel> {
        &self.kernel
    }

    /// Empty states of the same aggregate.
    pub fn empty_like(&self) -> GroupStates {
        GroupStates::new(self.kernel.clone())
    }

    pub fn len(&self) -> usize {
        match &self.states {
            States::CountRows(c) | States::CountValues(c) => c.len(),
            States::SumInt { seen, .. }
            | States::SumFloat { seen, .. }
            | States::ExtremeInt { seen, .. }
            | States::ExtremeFloat { seen, .. } => seen.len(),
            States::Mean { n, .. } | States::Moments { n, .. } => n.len(),
            States::Reference(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, about.
    pub fn memory_size(&self) -> usize {
        let per_group = match &self.states {
            States::CountRows(_) | States::CountValues(_) => 8,
            States::SumInt { .. } => 17,
            States::SumFloat { .. } | States::ExtremeInt { .. } | States::ExtremeFloat { .. } => 9,
            States::Mean { .. } => 16,
            States::Moments { .. } => 24,
            States::Reference(_) => size_of::<AccState>() + 16,
        };
        self.len() * per_group
    }

    /// Grows to `groups` groups; new groups have seen no row.
    pub fn resize(&mut self, groups: usize) {
        match &mut self.states {
            States::CountRows(c) | States::CountValues(c) => c.resize(groups, 0),
            States::SumInt { sum, seen } => {
                sum.resize(groups, 0);
                seen.resize(groups, false);
            }
            States::SumFloat { sum, seen } => {
                sum.resize(groups, 0.0);
                seen.resize(groups, false);
            }
            States::Mean { sum, n } => {
                sum.resize(groups, 0.0);
                n.resize(groups, 0);
            }
            States::Moments { n, mean, m2 } => {
                n.resize(groups, 0);
                mean.resize(groups, 0.0);
                m2.resize(groups, 0.0);
            }
            States::ExtremeInt { best, seen, .. } => {
                best.resize(groups, 0);
                seen.resize(groups, false);
            }
            States::ExtremeFloat { best, seen, .. } => {
                best.resize(groups, 0.0);
                seen.resize(groups, false);
            }
            States::Reference(s) => s.resize_with(groups, || self.kernel.init()),
        }
    }

    /// Folds a batch into the states: row `r` goes to group `group_of[r]` (which must be
    /// below [`GroupStates::len`]). `values` is the aggregate's argument (`None` for
    /// `count()`).
    pub fn update(&mut self, group_of: &[u32], values: Option<&ArrayRef>) -> Result<()> {
        let valid = |v: &ArrayRef| v.logical_nulls();
        match &mut self.states {
            States::CountRows(c) => {
                for &g in group_of {
                    c[g as usize] += 1;
                }
            }
            States::CountValues(c) => {
                let v = argument(values)?;
                match valid(v) {
                    None => group_of.iter().for_each(|&g| c[g as usize] += 1),
                    Some(nulls) => {
                        for (r, &g) in group_of.iter().enumerate() {
                            c[g as usize] += i64::from(nulls.is_valid(r));
                        }
                    }
                }
            }
            States::SumInt { sum, seen } => {
                let v = argument(values)?;
                let ints = v.as_primitive::<Int64Type>();
                let nulls = valid(v);
                for (r, (&g, &x)) in group_of.iter().zip(ints.values()).enumerate() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                        sum[g as usize] += i128::from(x);
                        seen[g as usize] = true;
                    }
                }
            }
            States::SumFloat { sum, seen } => {
                let floats = floats_of(argument(values)?)?;
                let nulls = floats.logical_nulls();
                for (r, (&g, &x)) in group_of.iter().zip(floats.values()).enumerate() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                        sum[g as usize] += x;
                        seen[g as usize] = true;
                    }
                }
            }
            States::Mean { sum, n } => {
                let floats = floats_of(argument(values)?)?;
                let nulls = floats.logical_nulls();
                for (r, (&g, &x)) in group_of.iter().zip(floats.values()).enumerate() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                        sum[g as usize] += x;
                        n[g as usize] += 1;
                    }
                }
            }
            States::Moments { n, mean, m2 } => {
                let floats = floats_of(argument(values)?)?;
                let nulls = floats.logical_nulls();
                for (r, (&g, &x)) in group_of.iter().zip(floats.values()).enumerate() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                        let g = g as usize;
                        n[g] += 1;
                        let delta = x - mean[g];
                        mean[g] += delta / n[g] as f64;
                        m2[g] += delta * (x - mean[g]);
                    }
                }
            }
            States::ExtremeInt { best, seen, max } => {
                let v = argument(values)?;
                let ints = v.as_primitive::<Int64Type>();
                let nulls = valid(v);
                let max = *max;
                for (r, (&g, &x)) in group_of.iter().zip(ints.values()).enumerate() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                        let g = g as usize;
                        if !seen[g] || (if max { x > best[g] } else { x < best[g] }) {
                            best[g] = x;
                            seen[g] = true;
                        }
                    }
                }
            }
            States::ExtremeFloat { best, seen, max } => {
                let v = argument(values)?;
                let floats = v.as_primitive::<Float64Type>();
                let nulls = valid(v);
                let max = *max;
                for (r, (&g, &x)) in group_of.iter().zip(floats.values()).enumerate() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                        let g = g as usize;
                        if !seen[g] || better(x, best[g], max) {
                            best[g] = x;
                            seen[g] = true;
                        }
                    }
                }
            }
            States::Reference(s) => self.kernel.update(s, group_of, values)?,
        }
        Ok(())
    }

    /// Folds `other`'s group `from[i]` into this table's group `into[i]` for every `i`
    /// (`into` below [`GroupStates::len`]); `other` comes later in input order.
    pub fn merge_from(&mut self, other: &GroupStates, from: &[u32], into: &[u32]) {
        let pairs = from
            .iter()
            .map(|&f| f as usize)
            .zip(into.iter().map(|&g| g as usize));
        match (&mut self.states, &other.states) {
            (States::CountRows(a), States::CountRows(b))
            | (States::CountValues(a), States::CountValues(b)) => {
                for (f, g) in pairs {
                    a[g] += b[f];
                }
            }
            (States::SumInt { sum, seen }, States::SumInt { sum: s2, seen: e2 }) => {
                for (f, g) in pairs {
                    sum[g] += s2[f];
                    seen[g] |= e2[f];
                }
            }
            (States::SumFloat { sum, seen }, States::SumFloat { sum: s2, seen: e2 }) => {
                for (f, g) in pairs {
                    sum[g] += s2[f];
                    seen[g] |= e2[f];
                }
            }
            (States::Mean { sum, n }, States::Mean { sum: s2, n: n2 }) => {
                for (f, g) in pairs {
                    sum[g] += s2[f];
                    n[g] += n2[f];
                }
            }
            (
                States::Moments { n, mean, m2 },
                States::Moments {
                    n: n2,
                    mean: mean2,
                    m2: m22,
                },
            ) => {
                for (f, g) in pairs {
                    let b = n2[f];
                    if b == 0 {
                        continue;
                    }
                    // Chan et al.'s parallel combination.
                    let a = n[g];
                    let total = a + b;
                    let delta = mean2[f] - mean[g];
                    m2[g] += m22[f] + delta * delta * (a as f64) * (b as f64) / total as f64;
                    mean[g] += delta * b as f64 / total as f64;
                    n[g] = total;
                }
            }
            (
                States::ExtremeInt { best, seen, max },
                States::ExtremeInt {
                    best: b2, seen: e2, ..
                },
            ) => {
                let max = *max;
                for (f, g) in pairs {
                    let x = b2[f];
                    if e2[f] && (!seen[g] || (if max { x > best[g] } else { x < best[g] })) {
                        best[g] = x;
                        seen[g] = true;
                    }
                }
            }
            (
                States::ExtremeFloat { best, seen, max },
                States::ExtremeFloat {
                    best: b2, seen: e2, ..
                },
            ) => {
                let max = *max;
                for (f, g) in pairs {
                    let x = b2[f];
                    if e2[f] && (!seen[g] || better(x, best[g], max)) {
                        best[g] = x;
                        seen[g] = true;
                    }
                }
            }
            (States::Reference(a), States::Reference(b)) => {
                for (f, g) in pairs {
                    self.kernel.merge(&mut a[g], b[f].clone());
                }
            }
            _ => {}
        }
    }

    /// The states of groups `indices`, in that order (a table split by partition).
    pub fn take(&self, indices: &[u32]) -> GroupStates {
        fn pick<T: Copy>(v: &[T], indices: &[u32]) -> Vec<T> {
            indices.iter().map(|&i| v[i as usize]).collect()
        }
        let states = match &self.states {
            States::CountRows(c) => States::CountRows(pick(c, indices)),
            States::CountValues(c) => States::CountValues(pick(c, indices)),
            States::SumInt { sum, seen } => States::SumInt {
                sum: pick(sum, indices),
                seen: pick(seen, indices),
            },
            States::SumFloat { sum, seen } => States::SumFloat {
                sum: pick(sum, indices),
                seen: pick(seen, indices),
            },
            States::Mean { sum, n } => States::Mean {
                sum: pick(sum, indices),
                n: pick(n, indices),
            },
            States::Moments { n, mean, m2 } => States::Moments {
                n: pick(n, indices),
                mean: pick(mean, indices),
                m2: pick(m2, indices),
            },
            States::ExtremeInt { best, seen, max } => States::ExtremeInt {
                best: pick(best, indices),
                seen: pick(seen, indices),
                max: *max,
            },
            States::ExtremeFloat { best, seen, max } => States::ExtremeFloat {
                best: pick(best, indices),
                seen: pick(seen, indices),
                max: *max,
            },
            States::Reference(s) => {
                States::Reference(indices.iter().map(|&i| s[i as usize].clone()).collect())
            }
        };
        GroupStates {
            kernel: self.kernel.clone(),
            states,
        }
    }

    /// The result column, one value per group, cast to `out_type`.
    pub fn finish(&self, out_type: &A) -> KernelResult {
        let array: ArrayRef = match &self.states {
            States::CountRows(c) | States::CountValues(c) => Arc::new(Int64Array::from(c.clone())),
            States::SumInt { sum, seen } => Arc::new(
                sum.iter()
                    .zip(seen)
                    .map(|(s, &e)| if e { i64::try_from(*s).ok() } else { None })
                    .collect::<Int64Array>(),
            ),
            States::SumFloat { sum, seen } => Arc::new(
                sum.iter()
                    .zip(seen)
                    .map(|(s, &e)| e.then_some(*s))
                    .collect::<Float64Array>(),
            ),
            States::Mean { sum, n } => Arc::new(
                sum.iter()
                    .zip(n)
                    .map(|(s, &c)| (c > 0).then(|| s / c as f64))
                    .collect::<Float64Array>(),
            ),
            States::Moments { n, m2, .. } => {
                let stddev = self.kernel.function == "stddev";
                Arc::new(
                    n.iter()
                        .zip(m2)
                        .map(|(&c, q)| {
                            (c > 1).then(|| {
                                let var = q / (c - 1) as f64;
                                if stddev { var.sqrt() } else { var }
                            })
                        })
                        .collect::<Float64Array>(),
                )
            }
            States::ExtremeInt { best, seen, .. } => Arc::new(
                best.iter()
                    .zip(seen)
                    .map(|(b, &e)| e.then_some(*b))
                    .collect::<Int64Array>(),
            ),
            States::ExtremeFloat { best, seen, .. } => Arc::new(
                best.iter()
                    .zip(seen)
                    .map(|(b, &e)| e.then_some(*b))
                    .collect::<Float64Array>(),
            ),
            States::Reference(s) => {
                let refs: Vec<&AccState> = s.iter().collect();
                return self.kernel.finish(&refs, out_type);
            }
        };
        let array = if array.data_type() == out_type {
            array
        } else {
            cast(&array, out_type)?
        };
        Ok(crate::nan::canonical_nans(array))
    }

    /// The states as Arrow columns (one row per group), for spilling and state stores.
    pub fn to_columns(&self) -> Result<Vec<ArrayRef>> {
        fn flags(v: &[bool]) -> ArrayRef {
            Arc::new(BooleanArray::from(v.to_vec()))
        }
        fn ints(v: &[i64]) -> ArrayRef {
            Arc::new(Int64Array::from(v.to_vec()))
        }
        fn floats(v: &[f64]) -> ArrayRef {
            Arc::new(Float64Array::from(v.to_vec()))
        }
        Ok(match &self.states {
            States::CountRows(c) | States::CountValues(c) => vec![ints(c)],
            States::SumInt { sum, seen } => vec![
                Arc::new(
                    arrow::array::Decimal128Array::from(sum.clone())
                        .with_precision_and_scale(38, 0)?,
                ),
                flags(seen),
            ],
            States::SumFloat { sum, seen } => vec![floats(sum), flags(seen)],
            States::Mean { sum, n } => vec![floats(sum), ints(n)],
            States::Moments { n, mean, m2 } => vec![ints(n), floats(mean), floats(m2)],
            States::ExtremeInt { best, seen, .. } => vec![ints(best), flags(seen)],
            States::ExtremeFloat { best, seen, .. } => vec![floats(best), flags(seen)],
            States::Reference(s) => {
                let mut out = BinaryBuilder::new();
                let mut bytes = Vec::new();
                for state in s {
                    bytes.clear();
                    encode(state, &mut bytes);
                    out.append_value(&bytes);
                }
                vec![Arc::new(out.finish())]
            }
        })
    }

    /// States of `kernel`'s aggregate read back from [`GroupStates::to_columns`].
    pub fn from_columns(kernel: Arc<AggregateKernel>, columns: &[ArrayRef]) -> Result<Self> {
        let mut out = GroupStates::new(kernel);
        let bad = || KernelError("damaged aggregate state".into());
        let col = |i: usize| columns.get(i).ok_or_else(bad);
        let ints = |i: usize| -> Result<Vec<i64>> {
            Ok(col(i)?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(bad)?
                .values()
                .to_vec())
        };
        let floats = |i: usize| -> Result<Vec<f64>> {
            Ok(col(i)?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(bad)?
                .values()
                .to_vec())
        };
        let flags = |i: usize| -> Result<Vec<bool>> {
            Ok(col(i)?
                .as_boolean_opt()
                .ok_or_else(bad)?
                .values()
                .iter()
                .collect())
        };
        out.states = match out.states {
            States::CountRows(_) => States::CountRows(ints(0)?),
            States::CountValues(_) => States::CountValues(ints(0)?),
            States::SumInt { .. } => States::SumInt {
                sum: col(0)?
                    .as_primitive_opt::<Decimal128Type>()
                    .ok_or_else(bad)?
                    .values()
                    .to_vec(),
                seen: flags(1)?,
            },
            States::SumFloat { .. } => States::SumFloat {
                sum: floats(0)?,
                seen: flags(1)?,
            },
            States::Mean { .. } => States::Mean {
                sum: floats(0)?,
                n: ints(1)?,
            },
            States::Moments { .. } => States::Moments {
                n: ints(0)?,
                mean: floats(1)?,
                m2: floats(2)?,
            },
            States::ExtremeInt { max, .. } => States::ExtremeInt {
                best: ints(0)?,
                seen: flags(1)?,
                max,
            },
            States::ExtremeFloat { max, .. } => States::ExtremeFloat {
                best: floats(0)?,
                seen: flags(1)?,
                max,
            },
            States::Reference(_) => {
                let bytes = col(0)?
                    .as_any()
                    .downcast_ref::<BinaryArray>()
                    .ok_or_else(bad)?;
                let mut states = Vec::with_capacity(bytes.len());
                for b in bytes.iter() {
                    let mut reader = Reader(b.ok_or_else(bad)?);
                    states.push(decode(&mut reader).ok_or_else(bad)?);
                }
                States::Reference(states)
            }
        };
        Ok(out)
    }
}

/// Whether `x` beats `best` for max (or min) in Arrow's total order of floats.
#[inline]
fn better(x: f64, best: f64, max: bool) -> bool {
    let order = x.total_cmp(&best);
    if max { order.is_gt() } else { order.is_lt() }
}

fn argument(values: Option<&ArrayRef>) -> Result<&ArrayRef> {
    values.ok_or_else(|| KernelError("internal error: an aggregate without its argument".into()))
}

fn floats_of(values: &ArrayRef) -> Result<Float64Array> {
    let floats = if values.data_type() == &A::Float64 {
        values.clone()
    } else {
        cast(values, &A::Float64)?
    };
    Ok(floats.as_primitive::<Float64Type>().clone())
}

/// A reference state as bytes: a tag, then its fields (little-endian), keys as
/// length-prefixed bytes.
fn encode(state: &AccState, out: &mut Vec<u8>) {
    fn key(k: &[u8], out: &mut Vec<u8>) {
        out.extend((k.len() as u64).to_le_bytes());
        out.extend(k);
    }
    fn option(k: &Option<Key>, out: &mut Vec<u8>) {
        match k {
            None => out.push(0),
            Some(k) => {
                out.push(1);
                key(k, out);
            }
        }
    }
    match state {
        AccState::Rows(c) => {
            out.push(0);
            out.extend(c.to_le_bytes());
        }
        AccState::Values(c) => {
            out.push(1);
            out.extend(c.to_le_bytes());
        }
        AccState::Distinct(set) => {
            out.push(2);
            out.extend((set.len() as u64).to_le_bytes());
            for k in set {
                key(k, out);
            }
        }
        AccState::SumInt { sum, seen } => {
            out.push(3);
            out.extend(sum.to_le_bytes());
            out.push(u8::from(*seen));
        }
        AccState::SumFloat { sum, seen } => {
            out.push(4);
            out.extend(sum.to_le_bytes());
            out.push(u8::from(*seen));
        }
        AccState::Mean { sum, n } => {
            out.push(5);
            out.extend(sum.to_le_bytes());
            out.extend(n.to_le_bytes());
        }
        AccState::Extreme(k) => {
            out.push(6);
            option(k, out);
        }
        AccState::Pick(k) => {
            out.push(7);
            option(k, out);
        }
        AccState::Moments { n, mean, m2 } => {
            out.push(8);
            out.extend(n.to_le_bytes());
            out.extend(mean.to_le_bytes());
            out.extend(m2.to_le_bytes());
        }
        AccState::Numbers(v) => {
            out.push(9);
            out.extend((v.len() as u64).to_le_bytes());
            for x in v {
                out.extend(x.to_le_bytes());
            }
        }
        AccState::Collect(v) => {
            out.push(10);
            out.extend((v.len() as u64).to_le_bytes());
            for k in v {
                key(k, out);
            }
        }
        AccState::CoMoments(m) => {
            out.push(11);
            m.encode(out);
        }
        AccState::ArgBest(best) => {
            out.push(12);
            match best {
                None => out.push(0),
                Some((by, value)) => {
                    out.push(1);
                    key(by, out);
                    key(value, out);
                }
            }
        }
        AccState::Sketch(s) => {
            out.push(13);
            s.encode(out);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }
    fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    /// A count that cannot exceed the bytes left (each item takes at least one byte).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.0.len()).then_some(n)
    }
    fn key(&mut self) -> Option<Key> {
        let n = self.count()?;
        self.bytes(n).map(Into::into)
    }
    fn option(&mut self) -> Option<Option<Key>> {
        match self.u8()? {
            0 => Some(None),
            _ => Some(Some(self.key()?)),
        }
    }
}

fn decode(r: &mut Reader<'_>) -> Option<AccState> {
    Some(match r.u8()? {
        0 => AccState::Rows(r.i64()?),
        1 => AccState::Values(r.i64()?),
        2 => {
            let n = r.count()?;
            let mut set = hashbrown::HashSet::with_capacity(n);
            for _ in 0..n {
                set.insert(r.key()?);
            }
            AccState::Distinct(set)
        }
        3 => AccState::SumInt {
            sum: i128::from_le_bytes(r.bytes(16)?.try_into().ok()?),
            seen: r.u8()? != 0,
        },
        4 => AccState::SumFloat {
            sum: r.f64()?,
            seen: r.u8()? != 0,
        },
        5 => AccState::Mean {
            sum: r.f64()?,
            n: r.i64()?,
        },
        6 => AccState::Extreme(r.option()?),
        7 => AccState::Pick(r.option()?),
        8 => AccState::Moments {
            n: r.i64()?,
            mean: r.f64()?,
            m2: r.f64()?,
        },
        9 => {
            let n = r.count()?;
            AccState::Numbers((0..n).map(|_| r.f64()).collect::<Option<_>>()?)
        }
        10 => {
            let n = r.count()?;
            AccState::Collect((0..n).map(|_| r.key()).collect::<Option<_>>()?)
        }
        11 => AccState::CoMoments(super::pairs::CoMoments {
            n: r.i64()?,
            mean_x: r.f64()?,
            mean_y: r.f64()?,
            m2_x: r.f64()?,
            m2_y: r.f64()?,
            c: r.f64()?,
        }),
        12 => AccState::ArgBest(match r.u8()? {
            0 => None,
            _ => Some((r.key()?, r.key()?)),
        }),
        13 => AccState::Sketch(super::sketch::Sketch::decode(|n| r.bytes(n))?),
        _ => return None,
    })
}
