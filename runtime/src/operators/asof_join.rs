//! `join asof`: each left row joins the right row nearest to it in time among those whose
//! keys match: looking back, the latest right row at or before (strictly before, for `>`)
//! the left row's time; looking forward, the earliest at or after. A tolerance bounds
//! how far away it may be. Among right rows at the same time the last in right order
//! wins. An inner as-of join drops left rows without a match, a left one keeps them with
//! nulls. Rows with a null time never match.
//!
//! The right side is gathered in memory (reserved from the pool: an as-of join does not
//! spill) and indexed once: per key, its rows sorted by time. The left side streams, in
//! parallel, each row finding its match by binary search; output keeps left order.

use super::join::{JoinSpec, KeyEncoding, assemble};
use crate::error::{RunError, RunResult};
use crate::memory::MemoryPool;
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType as A, Float64Type, Int64Type, SchemaRef};
use hashbrown::HashMap;
use sluice_compiler::plan::{AsOfSpec, ConstValue};
use sluice_compiler::syntax::ast::JoinKind;

/// Microseconds in a day, to compare dates with timestamps.
const DAY: i64 = 86_400_000_000;

/// A time as the join compares it: integers (timestamps and dates in microseconds) or
/// floats.
#[derive(Clone, Copy, PartialEq, PartialOrd, Debug)]
enum Time {
    Int(i64),
    Float(f64),
}

impl Time {
    /// How far `later` lies after `self`, as a float (exact for the tolerances in use).
    fn until(self, later: Time) -> f64 {
        match (self, later) {
            (Time::Int(a), Time::Int(b)) => (i128::from(b) - i128::from(a)) as f64,
            (a, b) => b.as_f64() - a.as_f64(),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Time::Int(v) => v as f64,
            Time::Float(v) => v,
        }
    }
}

/// A column's times (`None` where null, or NaN), as one ordered kind: integers when both
/// sides are integer-like, floats when either side is a float.
fn times(column: &ArrayRef, floats: bool) -> RunResult<Vec<Option<Time>>> {
    let n = column.len();
    let valid = |i: usize| column.is_valid(i);
    Ok(match column.data_type() {
        _ if floats => {
            let f = cast(column, &A::Float64)?;
            let f = f.as_primitive::<Float64Type>();
            (0..n)
                .map(|i| (valid(i) && !f.value(i).is_nan()).then(|| Time::Float(f.value(i))))
                .collect()
        }
        A::Date32 => {
            let d = column.as_primitive::<arrow::datatypes::Date32Type>();
            (0..n)
                .map(|i| valid(i).then(|| Time::Int(i64::from(d.value(i)) * DAY)))
                .collect()
        }
        A::Timestamp(_, _) => {
            let t = cast(column, &A::Int64)?;
            let t = t.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| valid(i).then(|| Time::Int(t.value(i))))
                .collect()
        }
        _ => {
            let t = cast(column, &A::Int64)?;
            let t = t.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| valid(i).then(|| Time::Int(t.value(i))))
                .collect()
        }
    })
}

/// The right side, indexed: per key (in row format), its rows sorted by time.
struct Index {
    by_key: HashMap<Box<[u8]>, Vec<(Time, u32)>>,
}

impl Index {
    /// The right row `spec` matches a left row at `time` with (its key's rows `rows`).
    fn nearest(
        rows: &[(Time, u32)],
        time: Time,
        spec: &AsOfSpec,
        within: Option<f64>,
    ) -> Option<u32> {
        let found = if spec.backward {
            // The last row at or before (strictly before) the time.
            let end =
                rows.partition_point(|(t, _)| if spec.strict { *t < time } else { *t <= time });
            end.checked_sub(1).map(|i| rows[i])
        } else {
            // The first row at or after (strictly after); among equal times, the last.
            let start =
                rows.partition_point(|(t, _)| if spec.strict { *t <= time } else { *t < time });
            rows.get(start).map(|&(t, _)| {
                let last = rows.partition_point(|(u, _)| *u <= t) - 1;
                rows[last]
            })
        }?;
        let distance = if spec.backward {
            found.0.until(time)
        } else {
            time.until(found.0)
        };
        within.is_none_or(|w| distance <= w).then_some(found.1)
    }
}

/// Runs an as-of join.
pub fn run(
    left: &Pipeline<'_>,
    right: &Pipeline<'_>,
    spec: &JoinSpec<'_>,
    asof: &AsOfSpec,
    out: SchemaRef,
    pool: &MemoryPool,
) -> RunResult<Relation> {
    let keys = KeyEncoding::new(&left.schema, &right.schema, spec)?;
    let mut reservation = pool.reservation("as-of join");
    let r = right.collect()?.concat()?;
    let need = r.get_array_memory_size() as u64 * 2;
    pool.check_address("as-of join", need)?;
    if !reservation.try_grow(need) {
        return Err(RunError::new(format!(
            "the right side of an as-of join needs {need} bytes in memory, more than the memory limit leaves ({} bytes); an as-of join does not spill: raise --memory-limit or filter the right side first",
            pool.limit().saturating_sub(pool.reserved())
        )));
    }
    let is_float = |schema: &SchemaRef, name: &str| {
        schema
            .field_with_name(name)
            .is_ok_and(|f| f.data_type() == &A::Float64)
    };
    let floats =
        is_float(&left.schema, &asof.left_time) || is_float(&right.schema, &asof.right_time);
    let column = |batch: &RecordBatch, name: &str| -> RunResult<ArrayRef> {
        batch
            .column_by_name(name)
            .cloned()
            .ok_or_else(|| RunError::new(format!("internal error: no time column `{name}`")))
    };
    let (right_keys, right_nulls) = keys.rows(&r, false)?;
    let right_times = times(&column(&r, &asof.right_time)?, floats)?;
    let mut index = Index {
        by_key: HashMap::new(),
    };
    for (i, time) in right_times.iter().enumerate() {
        if let Some(t) = time
            && right_nulls.as_ref().is_none_or(|n| n.is_valid(i))
        {
            index
                .by_key
                .entry(right_keys.row(i).data().into())
                .or_default()
                .push((*t, i as u32));
        }
    }
    for rows in index.by_key.values_mut() {
        // Stable: equal times keep right order, so the last of them is the last row.
        rows.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    }
    let within = asof.within.as_ref().map(|w| match w {
        ConstValue::Duration(d) => *d as f64,
        ConstValue::Int(n) => *n as f64,
        ConstValue::Float(x) => *x,
        _ => f64::INFINITY,
    });
    let joined = left.fold(Vec::new, |part: &mut Vec<RecordBatch>, l| {
        let (left_keys, left_nulls) = keys.rows(&l, true)?;
        let left_times = times(&column(&l, &asof.left_time)?, floats)?;
        let mut left_idx = Vec::with_capacity(l.num_rows());
        let mut right_idx = Vec::with_capacity(l.num_rows());
        for (i, time) in left_times.iter().enumerate() {
            let found = match time {
                Some(t) if left_nulls.as_ref().is_none_or(|n| n.is_valid(i)) => index
                    .by_key
                    .get(left_keys.row(i).data())
                    .and_then(|rows| Index::nearest(rows, *t, asof, within)),
                _ => None,
            };
            if found.is_some() || spec.kind == JoinKind::Left {
                left_idx.push(Some(i as u32));
                right_idx.push(found);
            }
        }
        let batch = assemble(&l, &r, spec.kind, spec.on, &left_idx, &right_idx, &out)?;
        if batch.num_rows() > 0 {
            part.push(batch);
        }
        Ok(())
    })?;
    drop(reservation);
    let rows: Vec<RecordBatch> = joined.into_iter().flatten().collect();
    Ok(Partitions::in_pieces(out, rows, crate::partitions::PIECE_ROWS).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(backward: bool, strict: bool) -> AsOfSpec {
        AsOfSpec {
            left_time: "t".into(),
            right_time: "u".into(),
            backward,
            strict,
            within: None,
        }
    }

    #[test]
    fn nearest_looks_back_or_forward_and_takes_the_last_of_equal_times() {
        let rows = [
            (Time::Int(10), 0),
            (Time::Int(20), 1),
            (Time::Int(20), 2),
            (Time::Int(30), 3),
        ];
        let near = |t: i64, s: AsOfSpec, w: Option<f64>| Index::nearest(&rows, Time::Int(t), &s, w);
        assert_eq!(near(5, spec(true, false), None), None);
        assert_eq!(near(10, spec(true, false), None), Some(0));
        assert_eq!(near(10, spec(true, true), None), None);
        assert_eq!(near(25, spec(true, false), None), Some(2));
        assert_eq!(near(20, spec(true, false), None), Some(2));
        assert_eq!(near(99, spec(true, false), Some(50.0)), None);
        assert_eq!(near(99, spec(true, false), Some(69.0)), Some(3));
        assert_eq!(near(15, spec(false, false), None), Some(2));
        assert_eq!(near(20, spec(false, true), None), Some(3));
        assert_eq!(near(31, spec(false, false), None), None);
        assert_eq!(near(12, spec(false, false), Some(5.0)), None);
    }
}
