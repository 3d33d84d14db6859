//! The first `n` rows of each window partition, found without sorting the input: for a
//! window read only through `row_number() <= n` (see the optimizer's `window_top_n`).
//!
//! Each run of the input's partitions streams through a table of bounded lists, one per partition key,
//! keeping the `n` rows that come first by the window's order (ties by input position,
//! as the window breaks them); rows are held in Arrow's row format, so the table is
//! about groups × n rows whatever the input's size. The tables of the input's
//! partitions are merged the same way, and the kept rows go on to the window, which
//! sorts only them and numbers them exactly as it would have numbered them among all
//! rows.

use crate::error::{RunError, RunResult};
use crate::partitions::Partitions;
use crate::pipeline::Pipeline;
use arrow::array::{ArrayRef, RecordBatch};
use arrow::row::{RowConverter, SortField};
use hashbrown::HashMap;
use sluice_compiler::plan::SortKey;

/// A candidate row: its order key (row format, compares as the window orders; its first
/// 16 bytes as a number, compared first), its place in the input, and all its columns
/// (row format; `None` until the end of the batch it came in, when the rows that stayed
/// are converted together).
struct Candidate {
    prefix: u128,
    order: Box<[u8]>,
    position: u64,
    row: Option<Box<[u8]>>,
}

/// The first 16 bytes of `bytes` as a big-endian number (zeros past the end): comparing
/// these never contradicts comparing the bytes.
fn prefix_of(bytes: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = bytes.len().min(16);
    b[..n].copy_from_slice(&bytes[..n]);
    u128::from_be_bytes(b)
}

impl Candidate {
    fn before(&self, prefix: u128, order: &[u8], position: u64) -> bool {
        (self.prefix, &*self.order, self.position) < (prefix, order, position)
    }
}

/// A partition key: short ones (most) inline, without an allocation per lookup.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Short([u8; 16], u8),
    Long(Box<[u8]>),
}

fn key_of(bytes: &[u8]) -> Key {
    if bytes.len() <= 16 {
        let mut b = [0u8; 16];
        b[..bytes.len()].copy_from_slice(bytes);
        Key::Short(b, bytes.len() as u8)
    } else {
        Key::Long(bytes.into())
    }
}

/// One key's best rows so far, best first, and (once there are `n`) the worst one's
/// prefix, kept beside the key so that most rows are turned away without a look at the
/// list.
#[derive(Default)]
struct Slot {
    full: bool,
    worst: u128,
    kept: Vec<Candidate>,
}

/// Per partition key, its slot.
type Table = HashMap<Key, Slot>;

/// Offers a row to its key's best `n`: true when it is kept (for now). Only kept rows
/// allocate.
fn offer(table: &mut Table, key: Key, order: &[u8], position: u64, n: usize) -> bool {
    if n == 0 {
        return false;
    }
    let prefix = prefix_of(order);
    let slot = table.entry(key).or_default();
    if slot.full && prefix > slot.worst {
        return false;
    }
    let kept = &mut slot.kept;
    if kept.len() == n
        && kept
            .last()
            .is_some_and(|worst| worst.before(prefix, order, position))
    {
        return false;
    }
    let at = kept.partition_point(|c| c.before(prefix, order, position));
    kept.insert(
        at,
        Candidate {
            prefix,
            order: order.into(),
            position,
            row: None,
        },
    );
    kept.truncate(n);
    if kept.len() == n {
        slot.full = true;
        slot.worst = kept.last().map_or(u128::MAX, |w| w.prefix);
    }
    true
}

/// Merges another table's candidates into `table` (converted rows only).
fn merge(table: &mut Table, key: Key, candidates: Vec<Candidate>, n: usize) {
    let kept = &mut table.entry(key).or_default().kept;
    kept.extend(candidates);
    kept.sort_by(|a, b| (a.prefix, &a.order, a.position).cmp(&(b.prefix, &b.order, b.position)));
    kept.truncate(n);
}

fn column(batch: &RecordBatch, name: &str) -> RunResult<ArrayRef> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| RunError::new(format!("internal error: no column `{name}`")))
}

/// The rows of `input` that are among the first `n` of their partition by `order_by`.
pub fn first_rows(
    input: &Pipeline<'_>,
    partition_by: &[String],
    order_by: &[SortKey],
    n: usize,
) -> RunResult<Partitions> {
    let schema = input.schema.clone();
    let field = |name: &str| -> RunResult<arrow::datatypes::DataType> {
        Ok(schema
            .field_with_name(name)
            .map_err(|_| RunError::new(format!("internal error: no column `{name}`")))?
            .data_type()
            .clone())
    };
    let keys = RowConverter::new(
        partition_by
            .iter()
            .map(|k| Ok(SortField::new(field(k)?)))
            .collect::<RunResult<_>>()?,
    )?;
    let order = RowConverter::new(
        order_by
            .iter()
            .map(|k| {
                Ok(SortField::new_with_options(
                    field(&k.column)?,
                    arrow::compute::SortOptions {
                        descending: k.descending,
                        nulls_first: k.nulls_first,
                    },
                ))
            })
            .collect::<RunResult<_>>()?,
    )?;
    let whole = RowConverter::new(
        schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    // One table per thread's run of consecutive partitions (positions are the run's
    // number, then the row's place in the run: in input order across runs), so a table
    // sees many rows of each key whatever the partitions' size.
    let tables = input.fold_in_runs(
        rayon::current_num_threads(),
        |run| (Table::new(), (run as u64) << 40),
        |(table, next), batch| {
            let n_rows = batch.num_rows();
            if n_rows == 0 {
                return Ok(());
            }
            let key_columns = partition_by
                .iter()
                .map(|k| column(&batch, k))
                .collect::<RunResult<Vec<_>>>()?;
            let key_rows = if key_columns.is_empty() {
                None
            } else {
                Some(keys.convert_columns(&key_columns)?)
            };
            let order_columns = order_by
                .iter()
                .map(|k| column(&batch, &k.column))
                .collect::<RunResult<Vec<_>>>()?;
            let order_rows = if order_columns.is_empty() {
                None
            } else {
                Some(order.convert_columns(&order_columns)?)
            };
            let first = *next;
            let mut entered: Vec<usize> = Vec::new();
            for r in 0..n_rows {
                let key: &[u8] = key_rows.as_ref().map_or(&[], |k| k.row(r).data());
                let by: &[u8] = order_rows.as_ref().map_or(&[], |o| o.row(r).data());
                if offer(table, key_of(key), by, first + r as u64, n) {
                    entered.push(r);
                }
            }
            *next += n_rows as u64;
            // The rows of this batch still kept: converted together, then filled in.
            let mut still = Vec::new();
            for &r in &entered {
                let key: &[u8] = key_rows.as_ref().map_or(&[], |k| k.row(r).data());
                if table
                    .get(&key_of(key))
                    .is_some_and(|slot| slot.kept.iter().any(|c| c.position == first + r as u64))
                {
                    still.push(r as u32);
                }
            }
            if still.is_empty() {
                return Ok(());
            }
            let picked = arrow::compute::take_record_batch(
                &batch,
                &arrow::array::UInt32Array::from(still.clone()),
            )?;
            let rows = whole.convert_columns(picked.columns())?;
            for (i, &r) in still.iter().enumerate() {
                let key: &[u8] = key_rows.as_ref().map_or(&[], |k| k.row(r as usize).data());
                if let Some(c) = table.get_mut(&key_of(key)).and_then(|slot| {
                    slot.kept
                        .iter_mut()
                        .find(|c| c.position == first + u64::from(r))
                }) {
                    c.row = Some(rows.row(i).data().into());
                }
            }
            Ok(())
        },
    )?;
    let mut merged = Table::new();
    for (table, _) in tables {
        for (key, slot) in table {
            merge(&mut merged, key, slot.kept, n);
        }
    }
    // In input order, so that the window breaks ties as it would among all rows.
    let mut kept: Vec<Candidate> = merged.into_values().flat_map(|s| s.kept).collect();
    kept.sort_unstable_by_key(|c| c.position);
    let parser = whole.parser();
    let rows: Vec<Box<[u8]>> = kept.into_iter().filter_map(|c| c.row).collect();
    let columns = whole.convert_rows(rows.iter().map(|r| parser.parse(r)))?;
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(Partitions::new(schema, vec![vec![batch]]))
}
