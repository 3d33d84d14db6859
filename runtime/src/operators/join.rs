//! `join`: a partitioned hash join. The right side is gathered and built into
//! [`PARTITIONS`] hash tables in parallel (its keys brought to the common key type first,
//! in Arrow's row format); each distinct key chains its right rows in right order. The
//! left side streams: each of its partitions probes as its batches come, a batch at a
//! time, collecting index vectors of matching rows, and the output is assembled from
//! them with `take`. Null keys never match (as in SQL) except in keys written `a <=> b`;
//! NaN matches NaN. A join's condition (see [`JoinSpec::condition`]) is evaluated on the
//! candidate pairs a batch's keys give, in chunks of at most [`CANDIDATES`] pairs (a join
//! without keys is given one constant key by the resolver, so every pair is a candidate:
//! a nested-loop join in bounded memory). Output order:
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
use sluice_compiler::plan::TypedExpr;
use sluice_compiler::syntax::ast::JoinKind;
use sluice_stdlib::DataType;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many hash tables the build side is split into (built in parallel).
const PARTITIONS: usize = 64;

/// The end of a chain.
const NONE: u32 = u32::MAX;

/// The most candidate pairs a join's condition is evaluated on at once.
pub const CANDIDATES: usize = 1 << 16;

/// What a join computes, besides its inputs.
#[derive(Clone, Copy)]
pub struct JoinSpec<'a> {
    pub kind: JoinKind,
    pub on: &'a [(String, String)],
    /// Per key of `on`: whether null matches null (empty: none does).
    pub null_safe: &'a [bool],
    /// Only the pairs of matching keys where this is true join; it reads the columns as
    /// an inner join names them.
    pub condition: Option<&'a TypedExpr>,
}

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

/// The rows where any key that must not be null is null (`None`: none is).
fn null_keys(keys: &[ArrayRef], null_safe: &[bool]) -> Option<NullBuffer> {
    keys.iter()
        .enumerate()
        .filter(|(i, _)| null_safe.get(*i) != Some(&true))
        .fold(None, |acc: Option<NullBuffer>, (_, k)| {
            NullBuffer::union(acc.as_ref(), k.logical_nulls().as_ref())
        })
}

/// The join keys of both sides in their common types, in Arrow's row format.
pub struct KeyEncoding {
    /// Per key: (left column, right column, common type).
    keys: Vec<(String, String, arrow::datatypes::DataType)>,
    /// Per key: whether null matches null.
    null_safe: Vec<bool>,
    converter: RowConverter,
}

impl KeyEncoding {
    pub fn new(left: &SchemaRef, right: &SchemaRef, spec: &JoinSpec<'_>) -> RunResult<Self> {
        let mut keys = Vec::new();
        let mut null_safe = Vec::new();
        for (i, (a, b)) in spec.on.iter().enumerate() {
            let (Ok(x), Ok(y)) = (left.field_with_name(a), right.field_with_name(b)) else {
                continue;
            };
            keys.push((
                a.clone(),
                b.clone(),
                common_arrow(x.data_type(), y.data_type()),
            ));
            null_safe.push(spec.null_safe.get(i) == Some(&true));
        }
        let converter = RowConverter::new(
            keys.iter()
                .map(|(_, _, t)| SortField::new(t.clone()))
                .collect(),
        )?;
        Ok(KeyEncoding {
            keys,
            null_safe,
            converter,
        })
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
            null_keys(&columns, &self.null_safe),
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
    condition: Option<&'a TypedExpr>,
    /// The columns of a candidate pair, as an inner join names them (what the
    /// condition reads).
    candidates: SchemaRef,
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
        spec: &JoinSpec<'a>,
        out: SchemaRef,
    ) -> RunResult<Self> {
        let JoinSpec {
            kind,
            on,
            condition,
            ..
        } = *spec;
        let candidates = candidate_schema(&left_schema, &r.schema(), on);
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
            condition,
            candidates,
            out,
            left_schema,
            matched,
        })
    }

    /// The joined rows of a left batch, and for each the left row it came from.
    pub fn probe(&self, l: &RecordBatch) -> RunResult<(RecordBatch, Vec<u32>)> {
        if let Some(condition) = self.condition {
            return self.probe_with_condition(l, condition);
        }
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

    /// [`HashJoin::probe`] when a condition decides which pairs of matching keys join:
    /// the candidate pairs are gathered in left order (each left row's in right order)
    /// and the condition evaluated on them in chunks, then each join kind keeps what it
    /// keeps of the pairs that pass, in the same order as without a condition.
    fn probe_with_condition(
        &self,
        l: &RecordBatch,
        condition: &TypedExpr,
    ) -> RunResult<(RecordBatch, Vec<u32>)> {
        let (lrows, nulls) = self.keys.rows(l, true)?;
        let mut passed: Vec<(u32, u32)> = Vec::new();
        let mut left_of: Vec<Option<u32>> = Vec::new();
        let mut right_of: Vec<Option<u32>> = Vec::new();
        let flush = |left_of: &mut Vec<Option<u32>>,
                     right_of: &mut Vec<Option<u32>>,
                     passed: &mut Vec<(u32, u32)>|
         -> RunResult<()> {
            if left_of.is_empty() {
                return Ok(());
            }
            let pairs = assemble(
                l,
                &self.r,
                JoinKind::Inner,
                self.on,
                left_of,
                right_of,
                &self.candidates,
            )?;
            let keep = crate::expr::evaluate(condition, &pairs)?;
            let keep = keep
                .as_any()
                .downcast_ref::<arrow::array::BooleanArray>()
                .ok_or_else(|| {
                    RunError::new("internal error: a join condition that is not a bool")
                })?;
            for (i, (a, b)) in left_of.iter().zip(right_of.iter()).enumerate() {
                if keep.is_valid(i) && keep.value(i) {
                    passed.push((a.unwrap_or(0), b.unwrap_or(0)));
                }
            }
            left_of.clear();
            right_of.clear();
            Ok(())
        };
        for i in 0..l.num_rows() {
            if !nulls.as_ref().is_none_or(|n| n.is_valid(i)) {
                continue;
            }
            let (mut at, table) = self.build.first_match(lrows.row(i).data());
            while at != NONE {
                left_of.push(Some(i as u32));
                right_of.push(Some(table.rows[at as usize]));
                at = table.next[at as usize];
                if left_of.len() >= CANDIDATES {
                    flush(&mut left_of, &mut right_of, &mut passed)?;
                }
            }
        }
        flush(&mut left_of, &mut right_of, &mut passed)?;
        if !self.matched.is_empty() {
            for &(_, m) in &passed {
                self.matched[m as usize].store(true, Ordering::Relaxed);
            }
        }
        let mut left_idx: Vec<u32> = Vec::new();
        let mut right_idx: Vec<Option<u32>> = Vec::new();
        let mut next = passed.iter().peekable();
        for i in 0..l.num_rows() as u32 {
            let mut hit = false;
            while let Some(&&(a, m)) = next.peek() {
                if a != i {
                    break;
                }
                hit = true;
                next.next();
                if !matches!(self.kind, JoinKind::Semi | JoinKind::Anti) {
                    left_idx.push(i);
                    right_idx.push(Some(m));
                }
            }
            match self.kind {
                JoinKind::Semi if hit => left_idx.push(i),
                JoinKind::Anti if !hit => left_idx.push(i),
                JoinKind::Left | JoinKind::Full if !hit => {
                    left_idx.push(i);
                    right_idx.push(None);
                }
                _ => {}
            }
        }
        let left_rows: Vec<Option<u32>> = left_idx.iter().copied().map(Some).collect();
        let joined = assemble(
            l, &self.r, self.kind, self.on, &left_rows, &right_idx, &self.out,
        )?;
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
    spec: &JoinSpec<'_>,
    out: SchemaRef,
    pool: &MemoryPool,
    spill: &SpillDir,
    operator_memory: Option<u64>,
) -> RunResult<Relation> {
    let keys = KeyEncoding::new(&left.schema, &right.schema, spec)?;
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
            spec,
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
        spec,
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
pub(crate) fn assemble(
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

/// The columns of a candidate pair as an inner join has them (the left's, then the
/// right's but for keys joined by name, a taken name getting `_right`), all nullable.
fn candidate_schema(left: &SchemaRef, right: &SchemaRef, on: &[(String, String)]) -> SchemaRef {
    let mut fields: Vec<arrow::datatypes::Field> = left
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    for f in right.fields() {
        if on.iter().any(|(a, b)| a == b && b == f.name()) {
            continue;
        }
        let mut name = f.name().clone();
        if fields.iter().any(|g| g.name() == &name) {
            name = format!("{name}_right");
        }
        fields.push(f.as_ref().clone().with_name(name).with_nullable(true));
    }
    std::sync::Arc::new(arrow::datatypes::Schema::new(fields))
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
