//! List functions: `list_contains`, `list_sort` (ascending, nulls last), `list_distinct`
//! (the non-null items in order of first appearance) and `list_get` (1-based, negative
//! from the end, null past either end). Items compare by value in the row format, so
//! NaN equals NaN as everywhere in Sluice.

use super::{KernelError, KernelResult};
use crate::value::Columnar;
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, ListArray, UInt32Array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{SortOptions, take};
use arrow::datatypes::{DataType as A, Field};
use arrow::row::{RowConverter, SortField};
use std::sync::Arc;

fn list(args: &[Columnar], len: usize) -> Result<ListArray, KernelError> {
    let a = args[0].to_array(len);
    if a.data_type() == &A::Null {
        return Ok(ListArray::new_null(
            Arc::new(Field::new("item", A::Null, true)),
            len,
        ));
    }
    a.as_any()
        .downcast_ref::<ListArray>()
        .cloned()
        .ok_or_else(|| KernelError("expected a list".into()))
}

/// A list column with each row's items picked by `rows[i]` (indices into the values).
fn rebuild(l: &ListArray, rows: Vec<Option<Vec<u32>>>) -> KernelResult {
    let mut offsets = vec![0i32];
    let mut picks: Vec<u32> = Vec::new();
    for r in &rows {
        if let Some(items) = r {
            picks.extend(items);
        }
        offsets.push(picks.len() as i32);
    }
    let values = take(l.values().as_ref(), &UInt32Array::from(picks), None)?;
    let field = match l.data_type() {
        A::List(f) => f.clone(),
        _ => Arc::new(Field::new("item", values.data_type().clone(), true)),
    };
    let nulls =
        arrow::buffer::NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    Ok(Arc::new(ListArray::try_new(
        field,
        OffsetBuffer::new(offsets.into()),
        values,
        Some(nulls),
    )?))
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    let l = list(args, len)?;
    let ranges: Vec<Option<(usize, usize)>> = (0..len)
        .map(|i| {
            l.is_valid(i).then(|| {
                let o = l.value_offsets();
                (o[i] as usize, o[i + 1] as usize)
            })
        })
        .collect();
    let converter = |t: &A| RowConverter::new(vec![SortField::new(t.clone())]);
    Ok(match name {
        "list_contains" => {
            let values = l.values();
            let wanted = args[1].to_array(len);
            let wanted =
                if wanted.data_type() == values.data_type() || wanted.data_type() == &A::Null {
                    wanted
                } else {
                    arrow::compute::cast(&wanted, values.data_type())?
                };
            if wanted.data_type() == &A::Null {
                return Ok(Arc::new(BooleanArray::new_null(len)));
            }
            let c = converter(values.data_type())?;
            let items = c.convert_columns(std::slice::from_ref(values))?;
            let keys = c.convert_columns(std::slice::from_ref(&wanted))?;
            let out: BooleanArray = (0..len)
                .map(|i| {
                    let (lo, hi) = ranges[i]?;
                    if wanted.is_null(i) {
                        return None;
                    }
                    let key = keys.row(i);
                    Some((lo..hi).any(|k| values.is_valid(k) && items.row(k) == key))
                })
                .collect();
            Arc::new(out)
        }
        "list_sort" => {
            let values = l.values();
            let c = RowConverter::new(vec![SortField::new_with_options(
                values.data_type().clone(),
                SortOptions {
                    descending: false,
                    nulls_first: false,
                },
            )])?;
            let items = c.convert_columns(std::slice::from_ref(values))?;
            let rows = ranges
                .iter()
                .map(|r| {
                    r.map(|(lo, hi)| {
                        let mut idx: Vec<u32> = (lo as u32..hi as u32).collect();
                        idx.sort_by(|a, b| items.row(*a as usize).cmp(&items.row(*b as usize)));
                        idx
                    })
                })
                .collect();
            rebuild(&l, rows)?
        }
        "list_distinct" => {
            let values = l.values();
            let c = converter(values.data_type())?;
            let items = c.convert_columns(std::slice::from_ref(values))?;
            let rows = ranges
                .iter()
                .map(|r| {
                    r.map(|(lo, hi)| {
                        let mut seen = std::collections::HashSet::new();
                        (lo..hi)
                            .filter(|&k| {
                                values.is_valid(k) && seen.insert(items.row(k).as_ref().to_vec())
                            })
                            .map(|k| k as u32)
                            .collect()
                    })
                })
                .collect();
            rebuild(&l, rows)?
        }
        "list_get" => {
            let index = super::arg_as(args, 1, len, &A::Int64)?;
            let index = index.as_primitive::<arrow::datatypes::Int64Type>();
            let picks: UInt32Array = (0..len)
                .map(|i| {
                    let (lo, hi) = ranges[i]?;
                    if index.is_null(i) {
                        return None;
                    }
                    let n = (hi - lo) as i64;
                    let k = index.value(i);
                    let at = if k > 0 { k - 1 } else { n + k };
                    (k != 0 && (0..n).contains(&at)).then(|| (lo as i64 + at) as u32)
                })
                .collect();
            let out: ArrayRef = take(l.values().as_ref(), &picks, None)?;
            out
        }
        other => return Err(KernelError(format!("no list kernel `{other}`"))),
    })
}
