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

use super::join_spill::{SidePartition, grace_join};
use crate::error::{RunError, RunResult};
use crate::memory::MemoryPool;
use crate::operators::group_keys::{PREFIX, hash_key, prefix_of};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::spill::SpillDir;
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

/// The join keys of both sides in their common types, in Arrow's row format.
pub struct KeyEncoding {
    /// Per key: (left column, right column, common type).
    keys: Vec<(String, String, arrow::datatypes::DataType)>,
    converter: RowConverter,
}

impl KeyEncoding {
    pub fn new(left: &SchemaRef, right: &SchemaRef, on: &[(String, String)]) -> RunResult<Self> {
        let mut keys = Vec::new();
        for (a, b) in on {
            let (Ok(x), Ok(y)) = (left.field_with_name(a), right.field_with_name(b)) else {
                continue;
            };
            keys.push((
                a.clone(),
                b.clone(),
                common_arrow(x.data_type(), y.data_type()),
            ));
        }
        let converter = RowConverter::new(
            keys.iter()
                .map(|(_, _, t)| SortField::new(t.clone()))
                .collect(),
        )?;
        Ok(KeyEncoding { keys, converter })
    }

    /// A batch's key rows and the rows where a key is null, of the left (or right) side.
    pub fn rows(&self, batch: &RecordBatch, left: bool) -> RunResult<(Rows, Option<NullBuffer>)> {
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (a, b, t) in &self.keys {
            let name = if left { a } else { b };
            let x = batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| RunError::new(format!("internal error: no key `{name}`")))?;
            columns.push(if x.data_type() == t { x } else { cast(&x, t)? });
        }
        Ok((
            self.converter.convert_columns(&columns)?,
            null_keys(&columns),
        ))
    }
}

/// A hash join with its right side built: probes left batches.
pub struct HashJoin<'a> {
    r: RecordBatch,
    keys: &'a KeyEncoding,
    build: Build,
    kind: JoinKind,
    on: &'a [(String, String)],
    out: SchemaRef,
    left_schema: SchemaRef,
    matched: Vec<AtomicBool>,
}

impl<'a> HashJoin<'a> {
    /// Builds the right side `r`.
    pub fn new(
        r: RecordBatch,
        keys: &'a KeyEncoding,
        left_schema: SchemaRef,
        kind: JoinKind,
        on: &'a [(String, String)],
        out: SchemaRef,
    ) -> RunResult<Self> {
        let (rows, nulls) = keys.rows(&r, false)?;
        let build = Build::new(rows, nulls.as_ref());
        let matched = if matches!(kind, JoinKind::Right | JoinKind::Full) {
            (0..r.num_rows()).map(|_| AtomicBool::new(false)).collect()
        } else {
            Vec::new()
        };
        Ok(HashJoin {
            r,
            keys,
            build,
            kind,
            on,
            out,
            left_schema,
            matched,
        })
    }

    /// The joined rows of a left batch, and for each the left row it came from.
    pub fn probe(&self, l: &RecordBatch) -> RunResult<(RecordBatch, Vec<u32>)> {
        let kind = self.kind;
        let tracks_matches = !self.matched.is_empty();
        let (lrows, nulls) = self.keys.rows(l, true)?;
        let mut left_idx: Vec<u32> = Vec::with_capacity(l.num_rows());
        let mut right_idx: Vec<Option<u32>> = Vec::new();
        for i in 0..l.num_rows() {
            let valid = nulls.as_ref().is_none_or(|n| n.is_valid(i));
            let (mut at, table) = if valid {
                self.build.first_match(lrows.row(i).data())
            } else {
                (NONE, &self.build.tables[0])
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
                            self.matched[m as usize].store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        let left_rows: Vec<Option<u32>> = left_idx.iter().copied().map(Some).collect();
        let joined = assemble(l, &self.r, kind, self.on, &left_rows, &right_idx, &self.out)?;
        Ok((joined, left_idx))
    }

    /// For a right or full join, the right rows no left row matched (in right order),
    /// and their right row numbers.
    pub fn unmatched(&self) -> RunResult<Option<(RecordBatch, Vec<u32>)>> {
        if self.matched.is_empty() {
            return Ok(None);
        }
        let rows: Vec<u32> = (0..self.r.num_rows() as u32)
            .filter(|m| !self.matched[*m as usize].load(Ordering::Relaxed))
            .collect();
        let unmatched: Vec<Option<u32>> = rows.iter().copied().map(Some).collect();
        let empty_left = RecordBatch::new_empty(self.left_schema.clone());
        let left_idx = vec![None; unmatched.len()];
        let batch = assemble(
            &empty_left,
            &self.r,
            self.kind,
            self.on,
            &left_idx,
            &unmatched,
            &self.out,
        )?;
        Ok(Some((batch, rows)))
    }
}

/// Runs a join: the right side streams into memory (reserved from the pool) and is
/// built, the left streams through the probe; when the pool refuses the right side,
/// both sides are partitioned to disk and joined partition by partition
/// (see [`super::join_spill`]).
#[allow(clippy::too_many_arguments)]
pub fn run(
    left: &Pipeline<'_>,
    right: &Pipeline<'_>,
    kind: JoinKind,
    on: &[(String, String)],
    out: SchemaRef,
    pool: &MemoryPool,
    spill: &SpillDir,
    operator_memory: Option<u64>,
) -> RunResult<Relation> {
    let keys = KeyEncoding::new(&left.schema, &right.schema, on)?;
    let cap = operator_memory.unwrap_or(u64::MAX);
    let reservation = std::sync::Mutex::new(pool.reservation("join"));
    // Set when the pool refuses the right side: from then on every right partition
    // writes its rows to disk by key hash instead of keeping them (the right side is
    // read once either way).
    let spilling = AtomicBool::new(false);
    // The right side's batches and its hash tables: about twice its size.
    let collected = right.fold_indexed(
        |input| (Vec::new(), None::<SidePartition<'_>>, input),
        |(kept, disk, input), batch| {
            let need = batch.get_array_memory_size() as u64 * 2;
            pool.check_address("join", need)?;
            if disk.is_none() && !spilling.load(Ordering::Relaxed) {
                let mut r = reservation
                    .lock()
                    .map_err(|_| RunError::new("internal error: a poisoned lock"))?;
                if r.size() + need <= cap && r.try_grow(need) {
                    kept.push(batch);
                    return Ok(());
                }
                spilling.store(true, Ordering::Relaxed);
            }
            let d = disk.get_or_insert_with(|| SidePartition::new(*input));
            for b in kept.drain(..) {
                d.write(&b, &keys, false, spill)?;
            }
            d.write(&batch, &keys, false, spill)
        },
    )?;
    let mut reservation = reservation
        .into_inner()
        .map_err(|_| RunError::new("internal error: a poisoned lock"))?;
    if spilling.load(Ordering::Relaxed) {
        // The partitions that kept their rows write them too.
        let mut files = Vec::with_capacity(collected.len());
        for (kept, disk, input) in collected {
            let mut d = disk.unwrap_or_else(|| SidePartition::new(input));
            for b in &kept {
                d.write(b, &keys, false, spill)?;
            }
            files.push(d.finish()?);
        }
        reservation.free();
        return grace_join(
            left,
            right,
            files,
            &keys,
            kind,
            on,
            out,
            spill,
            &mut reservation,
        );
    }
    let right_parts = Partitions::new(
        right.schema.clone(),
        collected.into_iter().map(|(kept, _, _)| kept).collect(),
    );
    let join = HashJoin::new(
        right_parts.concat()?,
        &keys,
        left.schema.clone(),
        kind,
        on,
        out.clone(),
    )?;
    let joined = left.fold(Vec::new, |part: &mut Vec<RecordBatch>, batch| {
        let (joined, _) = join.probe(&batch)?;
        if joined.num_rows() > 0 {
            part.push(joined);
        }
        Ok(())
    })?;
    // The joined rows, then the unmatched right rows, in partitions of a fixed size, as
    // the join on disk makes them.
    let mut rows: Vec<RecordBatch> = joined.into_iter().flatten().collect();
    if let Some((tail, _)) = join.unmatched()? {
        rows.push(tail);
    }
    Ok(Partitions::in_pieces(out, rows, crate::partitions::PIECE_ROWS).into())
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
