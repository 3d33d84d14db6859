//! The window operator: rows sorted by the partition keys, then the order keys (the
//! external sort, so a window's input may exceed memory), read back in order and cut
//! into partitions; complete partitions are gathered into chunks of at least
//! [`CHUNK_ROWS`] rows and the chunks' columns computed in parallel. A partition is
//! held whole while it is computed.
//!
//! Per chunk, each row knows its partition's range and its peers' range (the rows with
//! its order values). Ranking functions and `lag`/`lead` index into the partition;
//! frames become a range `[lo, hi)` per row, and aggregates over frames are answered by
//! a segment tree of the aggregate's own mergeable states (the states `group` uses):
//! every row's frame is at most two nodes per level, merged in row order, so any
//! aggregate works over any frame in O(n log n) merges.

use crate::error::{RunError, RunResult};
use crate::memory::MemoryPool;
use crate::partitions::{PIECE_ROWS, Partitions};
use crate::pipeline::Pipeline;
use crate::relation::Relation;
use crate::spill::SpillDir;
use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, UInt32Array, new_null_array,
};
use arrow::compute::{concat_batches, interleave, take};
use arrow::datatypes::{DataType as A, Date32Type, Float64Type, Int64Type, SchemaRef};
use arrow::row::{RowConverter, SortField};
use rayon::prelude::*;
use sluice_compiler::plan::{FrameEdge, SortKey, TypedExprKind, WindowExpr, WindowFrame};
use sluice_stdlib::aggregates::states::GroupStates;
use std::sync::Arc;

/// Complete partitions are computed together once they hold this many rows.
const CHUNK_ROWS: usize = 1 << 16;

/// The most rows an aggregate that keeps its values (median, quantile, count_distinct,
/// collect) may see over all frames of a chunk: beyond it, states would not fit.
const MAX_KEPT_VALUES: usize = 50_000_000;

#[allow(clippy::too_many_arguments)]
pub fn run(
    input: &Pipeline<'_>,
    partition_by: &[String],
    order_by: &[SortKey],
    functions: &[WindowExpr],
    first: Option<u64>,
    out: SchemaRef,
    pool: &MemoryPool,
    spill: &SpillDir,
    operator_memory: Option<u64>,
) -> RunResult<Relation> {
    // Only the first rows of each partition are read: keep those, then window them.
    let kept;
    let input = match first {
        Some(n) => {
            let rows = super::window_top_n::first_rows(
                input,
                partition_by,
                order_by,
                usize::try_from(n).unwrap_or(usize::MAX),
            )?;
            kept = Pipeline {
                source: crate::pipeline::Source::Rows(Arc::new(rows)),
                ops: Vec::new(),
                schema: input.schema.clone(),
                counter: None,
            };
            &kept
        }
        None => input,
    };
    let mut keys: Vec<SortKey> = partition_by
        .iter()
        .map(|c| SortKey {
            column: c.clone(),
            descending: false,
            nulls_first: false,
        })
        .collect();
    keys.extend(order_by.iter().cloned());
    let sorted: Relation = if keys.is_empty() {
        input.collect()?.into()
    } else {
        super::sort::run(input, &keys, pool, spill, operator_memory)?
    };
    let schema = input.schema.clone();
    let partition_columns = indices(&schema, partition_by)?;
    let order_columns = indices(
        &schema,
        &order_by
            .iter()
            .map(|k| k.column.clone())
            .collect::<Vec<_>>(),
    )?;
    let window = Window {
        functions,
        order_by,
        order_columns,
        out: out.clone(),
    };
    let mut output: Vec<RecordBatch> = Vec::new();
    let mut ready: Vec<RecordBatch> = Vec::new();
    let mut ready_rows = 0usize;
    let mut pending: Vec<RecordBatch> = Vec::new();
    let converter = RowConverter::new(
        partition_columns
            .iter()
            .map(|&i| SortField::new(schema.field(i).data_type().clone()))
            .collect(),
    )?;
    let mut last_key: Option<Vec<u8>> = None;
    for batch in sorted.batches() {
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        if partition_columns.is_empty() {
            // One partition: every row.
            pending.push(batch);
            continue;
        }
        let columns: Vec<ArrayRef> = partition_columns
            .iter()
            .map(|&i| batch.column(i).clone())
            .collect();
        let rows = converter.convert_columns(&columns)?;
        let mut start = 0;
        for r in 0..batch.num_rows() {
            let key = rows.row(r);
            if last_key.as_deref().is_some_and(|k| k != key.as_ref()) {
                // A partition ends before row r.
                pending.push(batch.slice(start, r - start));
                let whole = concat_batches(&schema, &pending)?;
                pending.clear();
                ready_rows += whole.num_rows();
                ready.push(whole);
                start = r;
            }
            if last_key.as_deref() != Some(key.as_ref()) {
                last_key = Some(key.as_ref().to_vec());
            }
        }
        pending.push(batch.slice(start, batch.num_rows() - start));
        if ready_rows >= CHUNK_ROWS {
            output.extend(window.chunks(std::mem::take(&mut ready))?);
            ready_rows = 0;
        }
    }
    if !pending.is_empty() {
        ready.push(concat_batches(&schema, &pending)?);
    }
    output.extend(window.chunks(ready)?);
    Ok(Partitions::in_pieces(out, output, PIECE_ROWS).into())
}

fn indices(schema: &SchemaRef, names: &[String]) -> RunResult<Vec<usize>> {
    names
        .iter()
        .map(|n| {
            schema
                .index_of(n)
                .map_err(|_| RunError::new(format!("internal error: window has no column `{n}`")))
        })
        .collect()
}

struct Window<'w> {
    functions: &'w [WindowExpr],
    order_by: &'w [SortKey],
    order_columns: Vec<usize>,
    out: SchemaRef,
}

/// A run of whole partitions.
struct Chunk {
    batch: RecordBatch,
    /// Per row: its partition's start and end (exclusive).
    part: Vec<(usize, usize)>,
    /// Per row: its peers' start and end (exclusive).
    peers: Vec<(usize, usize)>,
}

impl Window<'_> {
    /// Computes complete partitions, in groups of about [`CHUNK_ROWS`] rows in parallel.
    fn chunks(&self, partitions: Vec<RecordBatch>) -> RunResult<Vec<RecordBatch>> {
        let mut groups: Vec<Vec<RecordBatch>> = Vec::new();
        let mut rows = 0;
        for p in partitions {
            if groups.is_empty() || rows >= CHUNK_ROWS {
                groups.push(Vec::new());
                rows = 0;
            }
            rows += p.num_rows();
            if let Some(g) = groups.last_mut() {
                g.push(p);
            }
        }
        groups
            .into_par_iter()
            .map(|g| self.compute(&g))
            .collect::<RunResult<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect())
    }

    fn compute(&self, partitions: &[RecordBatch]) -> RunResult<Option<RecordBatch>> {
        let Some(first) = partitions.first() else {
            return Ok(None);
        };
        let batch = concat_batches(&first.schema(), partitions)?;
        let n = batch.num_rows();
        let mut part = Vec::with_capacity(n);
        let mut start = 0;
        for p in partitions {
            part.extend(std::iter::repeat_n(
                (start, start + p.num_rows()),
                p.num_rows(),
            ));
            start += p.num_rows();
        }
        let peers = self.peers(&batch, &part)?;
        let chunk = Chunk { batch, part, peers };
        let mut columns = chunk.batch.columns().to_vec();
        for w in self.functions {
            columns.push(self.column(&chunk, w)?);
        }
        let columns = columns
            .into_iter()
            .zip(self.out.fields())
            .map(|(c, f)| {
                if c.data_type() == f.data_type() {
                    Ok(c)
                } else {
                    Ok(arrow::compute::cast(&c, f.data_type())?)
                }
            })
            .collect::<RunResult<Vec<_>>>()?;
        Ok(Some(RecordBatch::try_new(self.out.clone(), columns)?))
    }

    /// Each row's peer range: the rows of its partition with equal order values.
    fn peers(
        &self,
        batch: &RecordBatch,
        part: &[(usize, usize)],
    ) -> RunResult<Vec<(usize, usize)>> {
        let n = batch.num_rows();
        if self.order_columns.is_empty() {
            return Ok(part.to_vec());
        }
        let converter = RowConverter::new(
            self.order_columns
                .iter()
                .map(|&i| SortField::new(batch.column(i).data_type().clone()))
                .collect(),
        )?;
        let columns: Vec<ArrayRef> = self
            .order_columns
            .iter()
            .map(|&i| batch.column(i).clone())
            .collect();
        let rows = converter.convert_columns(&columns)?;
        let mut out = vec![(0, 0); n];
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < part[i].1 && rows.row(j) == rows.row(i) {
                j += 1;
            }
            for o in &mut out[i..j] {
                *o = (i, j);
            }
            i = j;
        }
        Ok(out)
    }

    fn column(&self, chunk: &Chunk, w: &WindowExpr) -> RunResult<ArrayRef> {
        let n = chunk.batch.num_rows();
        let ints = |f: &dyn Fn(usize) -> i64| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values((0..n).map(f)))
        };
        let floats = |f: &dyn Fn(usize) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values((0..n).map(f)))
        };
        let (part, peers) = (&chunk.part, &chunk.peers);
        Ok(match w.function.as_str() {
            "row_number" => ints(&|i| (i - part[i].0 + 1) as i64),
            "rank" => ints(&|i| (peers[i].0 - part[i].0 + 1) as i64),
            "dense_rank" => {
                let mut out = Vec::with_capacity(n);
                let mut rank = 0i64;
                for i in 0..n {
                    if i == part[i].0 {
                        rank = 0;
                    }
                    if i == peers[i].0 {
                        rank += 1;
                    }
                    out.push(rank);
                }
                Arc::new(Int64Array::from(out))
            }
            "percent_rank" => floats(&|i| {
                let len = part[i].1 - part[i].0;
                if len <= 1 {
                    0.0
                } else {
                    (peers[i].0 - part[i].0) as f64 / (len - 1) as f64
                }
            }),
            "cume_dist" => {
                floats(&|i| (peers[i].1 - part[i].0) as f64 / (part[i].1 - part[i].0) as f64)
            }
            "ntile" => {
                let buckets = literal_int(w, 0).unwrap_or(1).max(1) as usize;
                ints(&|i| ntile(i - part[i].0, part[i].1 - part[i].0, buckets) as i64)
            }
            "lag" | "lead" => self.shifted(chunk, w)?,
            "first_value" | "last_value" | "nth_value" => {
                let values = self.argument(chunk, w, 0)?;
                let frames = self.frames(chunk, &w.frame)?;
                let nth = literal_int(w, 1).unwrap_or(1).max(1) as usize;
                let picks: UInt32Array = frames
                    .iter()
                    .map(|&(lo, hi)| {
                        let at = match w.function.as_str() {
                            "first_value" => lo,
                            "last_value" => hi.wrapping_sub(1),
                            _ => lo + nth - 1,
                        };
                        (lo < hi && at >= lo && at < hi).then_some(at as u32)
                    })
                    .collect();
                take(values.as_ref(), &picks, None)?
            }
            _ => self.aggregate(chunk, w)?,
        })
    }

    /// The window expression's argument `i` over the chunk.
    fn argument(&self, chunk: &Chunk, w: &WindowExpr, i: usize) -> RunResult<ArrayRef> {
        let arg = w.args.get(i).ok_or_else(|| {
            RunError::new(format!(
                "internal error: `{}` lacks an argument",
                w.function
            ))
        })?;
        crate::expr::evaluate(arg, &chunk.batch)
    }

    /// `lag` / `lead`: the value `offset` rows away in the partition, or the default.
    fn shifted(&self, chunk: &Chunk, w: &WindowExpr) -> RunResult<ArrayRef> {
        let values = self.argument(chunk, w, 0)?;
        let offset = literal_int(w, 1).unwrap_or(1).max(0) as usize;
        let default = match w.args.get(2) {
            Some(_) => {
                let d = self.argument(chunk, w, 2)?;
                if d.data_type() == values.data_type() {
                    d
                } else {
                    arrow::compute::cast(&d, values.data_type())?
                }
            }
            None => new_null_array(values.data_type(), chunk.batch.num_rows()),
        };
        let lead = w.function == "lead";
        let picks: Vec<(usize, usize)> = (0..chunk.batch.num_rows())
            .map(|i| {
                let (start, end) = chunk.part[i];
                let at = if lead {
                    i.checked_add(offset).filter(|&j| j < end)
                } else {
                    i.checked_sub(offset).filter(|&j| j >= start)
                };
                match at {
                    Some(j) => (0, j),
                    None => (1, i),
                }
            })
            .collect();
        Ok(interleave(&[values.as_ref(), default.as_ref()], &picks)?)
    }

    /// Each row's frame as a range of chunk rows (empty when `lo >= hi`).
    fn frames(&self, chunk: &Chunk, frame: &WindowFrame) -> RunResult<Vec<(usize, usize)>> {
        let n = chunk.batch.num_rows();
        let range_keys = if frame.rows {
            None
        } else if [frame.start, frame.end]
            .iter()
            .any(|e| matches!(e, FrameEdge::Preceding(_) | FrameEdge::Following(_)))
        {
            let column = *self
                .order_columns
                .first()
                .ok_or_else(|| RunError::new("internal error: a range offset without an order"))?;
            Some(as_f64(chunk.batch.column(column))?)
        } else {
            None
        };
        let descending = self.order_by.first().is_some_and(|k| k.descending);
        let edge = |i: usize, e: FrameEdge, is_start: bool| -> usize {
            let (start, end) = chunk.part[i];
            let (p0, p1) = chunk.peers[i];
            match e {
                FrameEdge::UnboundedPreceding => start,
                FrameEdge::UnboundedFollowing => end,
                FrameEdge::CurrentRow if frame.rows => {
                    if is_start {
                        i
                    } else {
                        i + 1
                    }
                }
                FrameEdge::CurrentRow => {
                    if is_start {
                        p0
                    } else {
                        p1
                    }
                }
                FrameEdge::Preceding(d) | FrameEdge::Following(d) if frame.rows => {
                    // The row `d` away, then one past it for the end edge, kept within
                    // the partition (a frame wholly outside it is empty).
                    let d = d as i64;
                    let at = if matches!(e, FrameEdge::Preceding(_)) {
                        i as i64 - d
                    } else {
                        i as i64 + d
                    };
                    let at = if is_start { at } else { at + 1 };
                    at.clamp(start as i64, end as i64) as usize
                }
                FrameEdge::Preceding(d) | FrameEdge::Following(d) => {
                    let keys = range_keys.as_ref().map(|k| k.values());
                    let Some(keys) = keys else {
                        return if is_start { p0 } else { p1 };
                    };
                    let valid = |j: usize| {
                        range_keys.as_ref().is_some_and(|k| k.is_valid(j)) && !keys[j].is_nan()
                    };
                    if !valid(i) {
                        // A null or NaN order value: its frame is its peers.
                        return if is_start { p0 } else { p1 };
                    }
                    // The distance along the window's order: preceding is smaller in
                    // ascending order, larger in descending.
                    let forward = matches!(e, FrameEdge::Following(_));
                    let target = if forward != descending {
                        keys[i] + d
                    } else {
                        keys[i] - d
                    };
                    // Rows of the partition whose value is not yet past `target`.
                    let before = |j: usize| -> bool {
                        if !valid(j) {
                            // Nulls and NaN sort after the numbers (or before, with
                            // `nulls first`): they are never in a value's range.
                            return j < i;
                        }
                        let v = keys[j];
                        if is_start {
                            if descending { v > target } else { v < target }
                        } else if descending {
                            v >= target
                        } else {
                            v <= target
                        }
                    };
                    partition_point(start, end, before)
                }
            }
        };
        Ok((0..n)
            .map(|i| {
                let lo = edge(i, frame.start, true);
                let hi = edge(i, frame.end, false);
                (lo, hi.max(lo))
            })
            .collect())
    }

    /// An aggregate over each row's frame.
    fn aggregate(&self, chunk: &Chunk, w: &WindowExpr) -> RunResult<ArrayRef> {
        let kernel = Arc::new(super::aggregate::kernel_of(&w.function, &w.args)?);
        let values = super::aggregate::argument_column(&kernel, &w.args, |e| {
            crate::expr::evaluate(e, &chunk.batch)
        })?;
        let n = chunk.batch.num_rows();
        let out_type = w.data_type.to_arrow();
        let frames = self.frames(chunk, &w.frame)?;
        // The whole partition: one state per partition.
        if matches!(w.frame.start, FrameEdge::UnboundedPreceding)
            && matches!(w.frame.end, FrameEdge::UnboundedFollowing)
        {
            let mut ids = Vec::with_capacity(n);
            let mut id = 0u32;
            for i in 0..n {
                if i > 0 && chunk.part[i].0 == i {
                    id += 1;
                }
                ids.push(id);
            }
            let mut states = GroupStates::new(kernel);
            states.resize(id as usize + 1);
            states.update(&ids, values.as_ref())?;
            let result = states.finish(&out_type)?;
            return Ok(take(result.as_ref(), &UInt32Array::from(ids), None)?);
        }
        // From the partition's start to the row (or its last peer): one pass.
        if matches!(w.frame.start, FrameEdge::UnboundedPreceding)
            && matches!(w.frame.end, FrameEdge::CurrentRow)
            && let Some(out) = running(chunk, w, values.as_ref(), &out_type)?
        {
            return Ok(out);
        }
        if kernel.keeps_values() {
            let seen: usize = frames.iter().map(|(lo, hi)| hi - lo).sum();
            if seen > MAX_KEPT_VALUES {
                return Err(RunError::new(format!(
                    "`{}` over these frames would hold {seen} values at once (more than {MAX_KEPT_VALUES})",
                    w.function
                ))
                .with_help("use a smaller frame (`rows between 100 preceding and current row`), or compute it with `group` and join it back"));
            }
        }
        // The segment tree: level 0 holds each row's own state.
        let mut leaves = GroupStates::new(kernel);
        leaves.resize(n);
        let rows: Vec<u32> = (0..n as u32).collect();
        leaves.update(&rows, values.as_ref())?;
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().expect("a level");
            let mut up = below.empty_like();
            up.resize(below.len().div_ceil(2));
            let from: Vec<u32> = (0..below.len() as u32).collect();
            let into: Vec<u32> = from.iter().map(|f| f / 2).collect();
            up.merge_from(below, &from, &into);
            levels.push(up);
        }
        // Each frame as tree nodes, left to right.
        let mut nodes: Vec<Vec<(usize, u32)>> = Vec::with_capacity(n);
        for &(lo, hi) in &frames {
            let (mut l, mut h, mut level) = (lo, hi, 0usize);
            let (mut left, mut right) = (Vec::new(), Vec::new());
            while l < h {
                if l & 1 == 1 {
                    left.push((level, l as u32));
                    l += 1;
                }
                if h & 1 == 1 {
                    h -= 1;
                    right.push((level, h as u32));
                }
                l >>= 1;
                h >>= 1;
                level += 1;
            }
            left.extend(right.into_iter().rev());
            nodes.push(left);
        }
        let mut result = levels[0].empty_like();
        result.resize(n);
        let rounds = nodes.iter().map(Vec::len).max().unwrap_or(0);
        for round in 0..rounds {
            let mut by_level: Vec<(Vec<u32>, Vec<u32>)> =
                vec![(Vec::new(), Vec::new()); levels.len()];
            for (row, ns) in nodes.iter().enumerate() {
                if let Some(&(level, node)) = ns.get(round) {
                    by_level[level].0.push(node);
                    by_level[level].1.push(row as u32);
                }
            }
            for (level, (from, into)) in by_level.iter().enumerate() {
                if !from.is_empty() {
                    result.merge_from(&levels[level], from, into);
                }
            }
        }
        Ok(result.finish(&out_type)?)
    }
}

/// The first index of `lo..hi` for which `before` is false (`before` holds for a
/// prefix of the range).
fn partition_point(mut lo: usize, mut hi: usize, before: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// `count`, `sum`, `mean`, `min` and `max` from each partition's start to the row (to
/// its last peer for a `range` frame) in one pass over the chunk; `None` for the other
/// aggregates and argument types, which take the segment tree. The results are those of
/// the aggregate's states: int64 sums are exact (null when they overflow), floats add
/// in row order, min and max order floats as Arrow does (NaN above every number).
fn running(
    chunk: &Chunk,
    w: &WindowExpr,
    values: Option<&ArrayRef>,
    out_type: &A,
) -> RunResult<Option<ArrayRef>> {
    let n = chunk.batch.num_rows();
    let rows_frame = w.frame.rows;
    // Per row, the last row its value is read at.
    let at = |i: usize| if rows_frame { i } else { chunk.peers[i].1 - 1 };
    let f = w.function.as_str();
    let starts = |i: usize| chunk.part[i].0 == i;
    let column: ArrayRef = match (f, values.map(|v| v.data_type())) {
        ("count", _) => {
            let mut c = 0i64;
            let mut cum = Vec::with_capacity(n);
            for i in 0..n {
                if starts(i) {
                    c = 0;
                }
                if values.is_none_or(|v| v.is_valid(i)) {
                    c += 1;
                }
                cum.push(c);
            }
            Arc::new(Int64Array::from_iter_values((0..n).map(|i| cum[at(i)])))
        }
        ("sum", Some(A::Int64)) => {
            let v = values
                .map(|v| v.as_primitive::<Int64Type>())
                .expect("values");
            let mut acc: Option<i128> = None;
            let mut cum = Vec::with_capacity(n);
            for i in 0..n {
                if starts(i) {
                    acc = None;
                }
                if v.is_valid(i) {
                    acc = Some(acc.unwrap_or(0) + i128::from(v.value(i)));
                }
                cum.push(acc.and_then(|a| i64::try_from(a).ok()));
            }
            Arc::new((0..n).map(|i| cum[at(i)]).collect::<Int64Array>())
        }
        ("sum" | "mean", Some(A::Float64 | A::Int64)) | ("min" | "max", Some(A::Float64)) => {
            let v = arrow::compute::cast(values.expect("values"), &A::Float64)?;
            let v = v.as_primitive::<Float64Type>();
            let mut acc: Option<f64> = None;
            let mut count = 0u64;
            let mut cum = Vec::with_capacity(n);
            for i in 0..n {
                if starts(i) {
                    acc = None;
                    count = 0;
                }
                if v.is_valid(i) {
                    let x = v.value(i);
                    count += 1;
                    acc = Some(match (acc, f) {
                        (None, _) => x,
                        (Some(a), "sum" | "mean") => a + x,
                        (Some(a), "min") => {
                            if x.total_cmp(&a).is_lt() {
                                x
                            } else {
                                a
                            }
                        }
                        (Some(a), _) => {
                            if x.total_cmp(&a).is_gt() {
                                x
                            } else {
                                a
                            }
                        }
                    });
                }
                cum.push(match f {
                    "mean" => acc.map(|a| a / count as f64),
                    _ => acc,
                });
            }
            let out: ArrayRef = Arc::new((0..n).map(|i| cum[at(i)]).collect::<Float64Array>());
            if out.data_type() == out_type {
                out
            } else {
                arrow::compute::cast(&out, out_type)?
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(column))
}

/// Argument `i` when it is an integer literal.
fn literal_int(w: &WindowExpr, i: usize) -> Option<i64> {
    match w.args.get(i).map(|e| &e.kind) {
        Some(TypedExprKind::Literal(v)) => v.as_f64().map(|x| x as i64),
        _ => None,
    }
}

/// The 1-based bucket of row `j` of `len` rows cut into `buckets` (the first
/// `len % buckets` buckets one row larger), as SQL's `ntile`.
fn ntile(j: usize, len: usize, buckets: usize) -> usize {
    let size = len / buckets;
    let extra = len % buckets;
    let big = extra * (size + 1);
    if j < big {
        j / (size + 1) + 1
    } else {
        (j - big) / size.max(1) + extra + 1
    }
}

/// An order column as numbers: dates in days, timestamps in microseconds.
fn as_f64(column: &ArrayRef) -> RunResult<Float64Array> {
    Ok(match column.data_type() {
        A::Float64 => column.as_primitive::<Float64Type>().clone(),
        A::Int64 => column.as_primitive::<Int64Type>().unary(|v| v as f64),
        A::Date32 => column.as_primitive::<Date32Type>().unary(|v| v as f64),
        A::Timestamp(_, _) => {
            let micros = arrow::compute::cast(column, &A::Int64)?;
            micros.as_primitive::<Int64Type>().unary(|v| v as f64)
        }
        other => {
            return Err(RunError::new(format!(
                "internal error: a range frame over a column of type {other}"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::ntile;

    #[test]
    fn ntile_makes_the_first_buckets_one_larger() {
        let buckets: Vec<usize> = (0..10).map(|j| ntile(j, 10, 4)).collect();
        assert_eq!(buckets, [1, 1, 1, 2, 2, 2, 3, 3, 4, 4]);
        let few: Vec<usize> = (0..2).map(|j| ntile(j, 2, 5)).collect();
        assert_eq!(few, [1, 2]);
    }
}
