//! `join`: a hash join. The right side is built into a hash table on its keys (brought
//! to the common key type first), the left side probes it in order. Null keys never
//! match (as in SQL). Output order: left rows in order, each with its matches in right
//! order; a right or full join then adds the unmatched right rows in right order.
//! Key columns joined by the same name appear once (coalesced in a full join); other
//! right columns whose name is taken get `_right`, as the resolver named them.

use crate::error::RunResult;
use crate::partitions::Partitions;
use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, is_not_null, take};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use hashbrown::HashMap;
use sluice_compiler::syntax::ast::JoinKind;
use sluice_stdlib::DataType;

pub fn run(
    left: &Partitions,
    right: &Partitions,
    kind: JoinKind,
    on: &[(String, String)],
    out: SchemaRef,
) -> RunResult<Partitions> {
    let l = left.concat()?;
    let r = right.concat()?;
    // Keys in a common type.
    let mut lk: Vec<ArrayRef> = Vec::new();
    let mut rk: Vec<ArrayRef> = Vec::new();
    for (a, b) in on {
        let (x, y) = (l.column_by_name(a).cloned(), r.column_by_name(b).cloned());
        let (Some(x), Some(y)) = (x, y) else { continue };
        let common = common_arrow(x.data_type(), y.data_type());
        lk.push(if x.data_type() == &common {
            x
        } else {
            cast(&x, &common)?
        });
        rk.push(if y.data_type() == &common {
            y
        } else {
            cast(&y, &common)?
        });
    }
    let converter = RowConverter::new(
        lk.iter()
            .map(|k| SortField::new(k.data_type().clone()))
            .collect(),
    )?;
    let lrows = converter.convert_columns(&lk)?;
    let rrows = converter.convert_columns(&rk)?;
    let has_null = |keys: &[ArrayRef], i: usize| keys.iter().any(|k| k.is_null(i));
    let mut table: HashMap<&[u8], Vec<u32>> = HashMap::new();
    for i in 0..r.num_rows() {
        if !has_null(&rk, i) {
            table.entry(rrows.row(i).data()).or_default().push(i as u32);
        }
    }
    let mut left_idx: Vec<Option<u32>> = Vec::new();
    let mut right_idx: Vec<Option<u32>> = Vec::new();
    let mut right_matched = vec![false; r.num_rows()];
    for i in 0..l.num_rows() {
        let matches = if has_null(&lk, i) {
            None
        } else {
            table.get(lrows.row(i).data())
        };
        match kind {
            JoinKind::Semi => {
                if matches.is_some() {
                    left_idx.push(Some(i as u32));
                }
            }
            JoinKind::Anti => {
                if matches.is_none() {
                    left_idx.push(Some(i as u32));
                }
            }
            _ => match matches {
                Some(ms) => {
                    for &m in ms {
                        left_idx.push(Some(i as u32));
                        right_idx.push(Some(m));
                        right_matched[m as usize] = true;
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
    if matches!(kind, JoinKind::Right | JoinKind::Full) {
        for (m, matched) in right_matched.iter().enumerate() {
            if !matched {
                left_idx.push(None);
                right_idx.push(Some(m as u32));
            }
        }
    }
    let li = UInt32Array::from(left_idx);
    let mut columns: Vec<ArrayRef> = Vec::new();
    for f in l.schema().fields() {
        let mut col = take(
            l.column_by_name(f.name())
                .map(|c| c.as_ref())
                .unwrap_or(&arrow::array::new_null_array(f.data_type(), l.num_rows())),
            &li,
            None,
        )?;
        // A key joined by name is one column: in a right or full join, take the right
        // side's key where the left has none.
        if matches!(kind, JoinKind::Right | JoinKind::Full)
            && let Some((_, rname)) = on.iter().find(|(a, b)| a == f.name() && a == b)
            && let Some(rcol) = r.column_by_name(rname)
        {
            let ri = UInt32Array::from(right_idx.clone());
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
        let ri = UInt32Array::from(right_idx);
        for f in r.schema().fields() {
            if on.iter().any(|(a, b)| a == b && b == f.name()) {
                continue;
            }
            columns.push(take(
                r.column_by_name(f.name())
                    .map(|c| c.as_ref())
                    .unwrap_or(&arrow::array::new_null_array(f.data_type(), 0)),
                &ri,
                None,
            )?);
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
    let batch = RecordBatch::try_new(out.clone(), columns)?;
    Ok(Partitions::new(out, vec![vec![batch]]))
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
