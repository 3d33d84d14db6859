//! `join`: a broadcast hash join. The right side is gathered and built once into a hash
//! table on its keys (brought to the common key type first); every left partition probes
//! it in parallel. Null keys never match (as in SQL). Output order: left rows in order,
//! each with its matches in right order; a right or full join then adds the unmatched
//! right rows, in right order, as a last partition.
//! Key columns joined by the same name appear once (coalesced in a full join); other
//! right columns whose name is taken get `_right`, as the resolver named them.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, concat_batches, is_not_null, take};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use hashbrown::HashMap;
use rayon::prelude::*;
use sluice_compiler::syntax::ast::JoinKind;
use sluice_stdlib::DataType;

pub fn run(
    left: &Partitions,
    right: &Partitions,
    kind: JoinKind,
    on: &[(String, String)],
    out: SchemaRef,
) -> RunResult<Partitions> {
    let r = right.concat()?;
    // Keys in a common type.
    let mut key_types = Vec::new();
    let mut rk: Vec<ArrayRef> = Vec::new();
    for (a, b) in on {
        let (Ok(x), Some(y)) = (left.schema.field_with_name(a), r.column_by_name(b).cloned())
        else {
            continue;
        };
        let common = common_arrow(x.data_type(), y.data_type());
        rk.push(if y.data_type() == &common {
            y
        } else {
            cast(&y, &common)?
        });
        key_types.push(common);
    }
    let converter = RowConverter::new(
        key_types
            .iter()
            .map(|t| SortField::new(t.clone()))
            .collect(),
    )?;
    let rrows = converter.convert_columns(&rk)?;
    let has_null = |keys: &[ArrayRef], i: usize| keys.iter().any(|k| k.is_null(i));
    let mut table: HashMap<&[u8], Vec<u32>> = HashMap::new();
    for i in 0..r.num_rows() {
        if !has_null(&rk, i) {
            table.entry(rrows.row(i).data()).or_default().push(i as u32);
        }
    }
    let probe = |part: &Vec<RecordBatch>| -> RunResult<(RecordBatch, Vec<bool>)> {
        let l = concat_batches(&left.schema, part)?;
        let mut lk: Vec<ArrayRef> = Vec::new();
        for ((a, _), t) in on.iter().zip(&key_types) {
            let x = l
                .column_by_name(a)
                .cloned()
                .ok_or_else(|| RunError::new(format!("internal error: no key `{a}`")))?;
            lk.push(if x.data_type() == t { x } else { cast(&x, t)? });
        }
        let lrows = converter.convert_columns(&lk)?;
        let mut left_idx: Vec<Option<u32>> = Vec::new();
        let mut right_idx: Vec<Option<u32>> = Vec::new();
        let mut matched = vec![false; r.num_rows()];
        for i in 0..l.num_rows() {
            let matches = if has_null(&lk, i) {
                None
            } else {
                table.get(lrows.row(i).data())
            };
            match kind {
                JoinKind::Semi if matches.is_some() => left_idx.push(Some(i as u32)),
                JoinKind::Anti if matches.is_none() => left_idx.push(Some(i as u32)),
                JoinKind::Semi | JoinKind::Anti => {}
                _ => match matches {
                    Some(ms) => {
                        for &m in ms {
                            left_idx.push(Some(i as u32));
                            right_idx.push(Some(m));
                            matched[m as usize] = true;
                        }
                    }
                    None if matches!(kind, JoinKind::Left | JoinKind::Full) => {
                        left_idx.push(Some(i as u32));
                        right_idx.push(None);
                    }
                    None => {}
                },
            }
        }
        Ok((
            assemble(&l, &r, kind, on, &left_idx, &right_idx, &out)?,
            matched,
        ))
    };
    let probed: Vec<(RecordBatch, Vec<bool>)> =
        left.parts.par_iter().map(probe).collect::<RunResult<_>>()?;
    let mut matched = vec![false; r.num_rows()];
    let mut parts = Vec::with_capacity(probed.len() + 1);
    for (batch, m) in probed {
        for (all, this) in matched.iter_mut().zip(m) {
            *all |= this;
        }
        parts.push(vec![batch]);
    }
    if matches!(kind, JoinKind::Right | JoinKind::Full) {
        let unmatched: Vec<Option<u32>> = (0..r.num_rows() as u32)
            .filter(|m| !matched[*m as usize])
            .map(Some)
            .collect();
        let empty_left = RecordBatch::new_empty(left.schema.clone());
        let left_idx = vec![None; unmatched.len()];
        parts.push(vec![assemble(
            &empty_left,
            &r,
            kind,
            on,
            &left_idx,
            &unmatched,
            &out,
        )?]);
    }
    Ok(Partitions::new(out, parts))
}

/// Output rows from left and right row indices (`None` = no row: nulls).
fn assemble(
    l: &RecordBatch,
    r: &RecordBatch,
    kind: JoinKind,
    on: &[(String, String)],
    left_idx: &[Option<u32>],
    right_idx: &[Option<u32>],
    out: &SchemaRef,
) -> RunResult<RecordBatch> {
    let li = UInt32Array::from(left_idx.to_vec());
    let ri = UInt32Array::from(right_idx.to_vec());
    let mut columns: Vec<ArrayRef> = Vec::new();
    for f in l.schema().fields() {
        let source = l
            .column_by_name(f.name())
            .cloned()
            .unwrap_or_else(|| arrow::array::new_null_array(f.data_type(), l.num_rows()));
        let mut col = take(source.as_ref(), &li, None)?;
        // A key joined by name is one column: in a right or full join, take the right
        // side's key where the left has none.
        if matches!(kind, JoinKind::Right | JoinKind::Full)
            && let Some((_, rname)) = on.iter().find(|(a, b)| a == f.name() && a == b)
            && let Some(rcol) = r.column_by_name(rname)
        {
            let rvals = take(rcol.as_ref(), &ri, None)?;
            let rvals = if rvals.data_type() == col.data_type() {
                rvals
            } else {
                cast(&rvals, col.data_type())?
            };
            col = zip(&is_not_null(&li)?, &col, &rvals)?;
        }
        columns.push(col);
    }
    if !matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        for f in r.schema().fields() {
            if on.iter().any(|(a, b)| a == b && b == f.name()) {
                continue;
            }
            let source = r
                .column_by_name(f.name())
                .cloned()
                .unwrap_or_else(|| arrow::array::new_null_array(f.data_type(), r.num_rows()));
            columns.push(take(source.as_ref(), &ri, None)?);
        }
    }
    let columns = columns
        .into_iter()
        .zip(out.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c)
            } else {
                cast(&c, f.data_type())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(out.clone(), columns)?)
}

fn common_arrow(
    a: &arrow::datatypes::DataType,
    b: &arrow::datatypes::DataType,
) -> arrow::datatypes::DataType {
    let (x, y) = (DataType::from_arrow(a), DataType::from_arrow(b));
    match (x, y) {
        (Some(x), Some(y)) => {
            DataType::common_supertype(&x, &y).map_or(a.clone(), |t| t.to_arrow())
        }
        _ => a.clone(),
    }
}
