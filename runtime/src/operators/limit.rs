//! `take N [offset M]`: the first N rows in the relation's order (`run`; after a
//! `sort`, a top-k runs instead: see `topk.rs`), and the rows after the first M (`skip`).

use crate::error::RunResult;
use crate::partitions::Partitions;

pub fn run(input: &Partitions, count: usize) -> RunResult<Partitions> {
    let mut left = count;
    let mut out = Vec::new();
    for batch in input.batches() {
        if left == 0 {
            break;
        }
        let n = batch.num_rows().min(left);
        out.push(batch.slice(0, n));
        left -= n;
    }
    Ok(Partitions::new(input.schema.clone(), vec![out]))
}

/// The rows after the first `count`, in order (`take N offset M`).
pub fn skip(input: &Partitions, count: usize) -> RunResult<Partitions> {
    let mut left = count;
    let mut out = Vec::new();
    for batch in input.batches() {
        if left >= batch.num_rows() {
            left -= batch.num_rows();
            continue;
        }
        out.push(batch.slice(left, batch.num_rows() - left));
        left = 0;
    }
    Ok(Partitions::new(input.schema.clone(), vec![out]))
}
