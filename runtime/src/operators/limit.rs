//! `take N`: the first N rows in the relation's order (after a `sort`, a top-k runs
//! instead: see `topk.rs`).

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
