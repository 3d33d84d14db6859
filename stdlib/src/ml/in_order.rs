//! Deterministic parallel combination. Rayon's `reduce` adds partial results in a tree
//! whose shape depends on how work was stolen, and float addition is not associative,
//! so the same fit could differ in its last bits from run to run (and a model file
//! with it). [`ReduceInOrder::reduce_in_order`] computes the parts in parallel but
//! combines them left to right in chunk order: for a given thread count *and* any other,
//! a fit is the same on every run, since chunks are fixed-size row ranges.

use rayon::prelude::*;

pub trait ReduceInOrder: IndexedParallelIterator {
    /// Like rayon's `reduce`, combining the items left to right in their order.
    fn reduce_in_order<Id, Op>(self, identity: Id, op: Op) -> Self::Item
    where
        Id: Fn() -> Self::Item,
        Op: Fn(Self::Item, Self::Item) -> Self::Item,
    {
        let parts: Vec<Self::Item> = self.collect();
        parts.into_iter().fold(identity(), op)
    }
}

impl<I: IndexedParallelIterator> ReduceInOrder for I {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_the_same_on_every_run() {
        let values: Vec<f64> = (0..200_000).map(|i| 1.0 / (1.0 + i as f64)).collect();
        let sum = || {
            values
                .par_chunks(1000)
                .map(|c| c.iter().sum::<f64>())
                .reduce_in_order(|| 0.0, |a, b| a + b)
        };
        let first = sum();
        let sequential = values
            .chunks(1000)
            .map(|c| c.iter().sum::<f64>())
            .fold(0.0, |a, b| a + b);
        assert_eq!(first.to_bits(), sequential.to_bits());
        for _ in 0..20 {
            assert_eq!(sum().to_bits(), first.to_bits());
        }
    }
}
