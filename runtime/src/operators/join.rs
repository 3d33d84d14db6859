//! `join`: a partitioned hash join. The right side is gathered and built into
//! [`PARTITIONS`] hash tables in parallel (its keys brought to the common key type first,
//! in Arrow's row format); each distinct key chains its right rows in right order. The
//! left side streams: each of its partitions probes as its batches come, a batch at a
//! time, collecting index vectors of matching rows, and the output is assembled from
//! them with `take`. Null keys never match (as in SQL); NaN matches NaN. Output order:
//! left rows in order, each with its matches in right order; a right or full join then
//! adds the unmatched right rows, in right order, as a last partition.
//! Key columns joined by the same name appear once (coalesced in a full join); other
//! right columns whose name is taken get `_right`, as the resolver named them.

use crate::error::{RunError, RunResult};
use crate::operators::group_keys::{PREFIX, hash_key, prefix_of};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::buffer::NullBuffer;
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, is_not_null, take};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};
use hashbrown::HashTable;
use rayon::prelude::*;
use sluice_compiler::syntax::ast::JoinKind;
use sluice_stdlib::DataType;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many hash tables the build side is split into (built in parallel).
const PARTITIONS: usize = 64;

/// The end of a chain.
const NONE: u32 = u32::MAX;

/// A distinct key of the build side: its first 16 bytes and length (longer keys are
/// compared against the build side's key rows past that) and the first of its rows.
#[derive(Clone, Copy)]
struct Entry {
    prefix: [u8; PREFIX],
    len: u32,
    /// The first of the key's rows (an index into [`Table::rows`]).
    head: u32,
}

/// One hash partition of the build side.
#[derive(Default)]
struct Table {
    entries: HashTable<Entry>,
    /// The right rows of this partition, in right order.
    rows: Vec<u32>,
    /// Per entry of `rows`: the next row with the same key.
    next: Vec<u32>,
}

/// The build side's tables, over its key rows.
struct Build {
    keys: Rows,
    tables: Vec<Table>,
}

impl Build {
    /// Builds from the right side's key rows; rows with a null key are left out.
    fn new(keys: Rows, nulls: Option<&NullBuffer>) -> Build {
        let n = keys.num_rows();
        let hashes: Vec<u64> = (0..n)
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|i| hash_key(keys.row(i).data()))
            .collect();
        let shift = 64 - PARTITIONS.trailing_zeros();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); PARTITIONS];
        for (i, h) in hashes.iter().enumerate() {
            if nulls.is_none_or(|v| v.is_valid(i)) {
                members[(h >> shift) as usize].push(i as u32);
            }
        }
        let tables = members
            .into_par_iter()
            .map(|rows| {
                let mut entries: HashTable<Entry> = HashTable::with_capacity(rows.len());
                let mut next = vec![NONE; rows.len()];
                // Backwards, each row put in front of its key's chain: chains in order.
                for local in (0..rows.len()).rev() {
                    let r = rows[local] as usize;
                    let key = keys.row(r).data();
                    let found = find(&mut entries, &keys, &rows, key, hashes[r]);
                    match found {
                        Some(e) => {
                            next[local] = e.head;
                            e.head = local as u32;
                        }
                        None => {
                            let entry = Entry {
                                prefix: prefix_of(key),
                                len: key.len() as u32,
                                head: local as u32,
                            };
                            entries.insert_unique(hashes[r], entry, |e| {
                                hashes[rows[e.head as usize] as usize]
                            });
                        }
                    }
                }
                Table {
                    entries,
                    rows,
                    next,
                }
            })
            .collect();
        Build { keys, tables }
    }

    /// The first of the rows whose key is `key` (`NONE`: none), and its table.
    #[inline]
    fn first_match(&self, key: &[u8]) -> (u32, &Table) {
        let h = hash_key(key);
        let t = &self.tables[(h >> (64 - PARTITIONS.trailing_zeros())) as usize];
        let head = t
            .entries
            .find(h, |e| same_key(e, &self.keys, &t.rows, key))
            .map_or(NONE, |e| e.head);
        (head, t)
    }
}

/// Whether `e` is the entry of `key`.
#[inline]
fn same_key(e: &Entry, keys: &Rows, rows: &[u32], key: &[u8]) -> bool {
    e.len == key.len() as u32
        && e.prefix == prefix_of(key)
        && (key.len() <= PREFIX
            || keys.row(rows[e.head as usize] as usize).data()[PREFIX..] == key[PREFIX..])
}

/// The entry of `key` in a table being built.
fn find<'t>(
    entries: &'t mut HashTable<Entry>,
    keys: &Rows,
    rows: &[u32],
    key: &[u8],
    hash: u64,
) -> Option<&'t mut Entry> {
    entries.find_mut(hash, |e| same_key(e, keys, rows, key))
}

/// The rows where any key is null (`None`: none is).
fn null_keys(keys: &[ArrayRef]) -> Option<NullBuffer> {
    keys.iter().fold(None, |acc: Option<NullBuffer>, k| {
        NullBuffer::union(acc.as_ref(), k.logical_nulls().as_ref())
    })
}

/// Runs a join: `left` streams and probes, `right` is built.
pub fn run(
    left: &Pipeline<'_>,
    left_schema: &SchemaRef,
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
        let (Ok(x), Some(y)) = (left_schema.field_with_name(a), r.column_by_name(b).cloned())
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
    let build = Build::new(converter.convert_columns(&rk)?, null_keys(&rk).as_ref());
    let tracks_matches = matches!(kind, JoinKind::Right | JoinKind::Full);
    let matched: Vec<AtomicBool> = if tracks_matches {
        (0..r.num_rows()).map(|_| AtomicBool::new(false)).collect()
    } else {
        Vec::new()
    };
    let probe = |l: &RecordBatch| -> RunResult<RecordBatch> {
        let mut lk: Vec<ArrayRef> = Vec::new();
        for ((a, _), t) in on.iter().zip(&key_types) {
            let x = l
                .column_by_name(a)
                .cloned()
                .ok_or_else(|| RunError::new(format!("internal error: no key `{a}`")))?;
            lk.push(if x.data_type() == t { x } else { cast(&x, t)? });
        }
        let lrows = converter.convert_columns(&lk)?;
        let nulls = null_keys(&lk);
        let mut left_idx: Vec<u32> = Vec::with_capacity(l.num_rows());
        let mut right_idx: Vec<Option<u32>> = Vec::new();
        for i in 0..l.num_rows() {
            let valid = nulls.as_ref().is_none_or(|n| n.is_valid(i));
            let (mut at, table) = if valid {
                build.first_match(lrows.row(i).data())
            } else {
                (NONE, &build.tables[0])
            };
            match kind {
                JoinKind::Semi | JoinKind::Anti => {
                    if (at != NONE) == (kind == JoinKind::Semi) {
                        left_idx.push(i as u32);
                    }
                }
                _ => {
                    if at == NONE && matches!(kind, JoinKind::Left | JoinKind::Full) {
                        left_idx.push(i as u32);
                        right_idx.push(None);
                    }
                    while at != NONE {
                        let m = table.rows[at as usize];
                        at = table.next[at as usize];
                        left_idx.push(i as u32);
                        right_idx.push(Some(m));
                        if tracks_matches {
                            matched[m as usize].store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        let left_idx: Vec<Option<u32>> = left_idx.into_iter().map(Some).collect();
        assemble(l, &r, kind, on, &left_idx, &right_idx, &out)
    };
    let mut parts = left.fold(Vec::new, |part: &mut Vec<RecordBatch>, batch| {
        let joined = probe(&batch)?;
        if joined.num_rows() > 0 {
            part.push(joined);
        }
        Ok(())
    })?;
    if tracks_matches {
        let unmatched: Vec<Option<u32>> = (0..r.num_rows() as u32)
            .filter(|m| !matched[*m as usize].load(Ordering::Relaxed))
            .map(Some)
            .collect();
        let empty_left = RecordBatch::new_empty(left_schema.clone());
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
