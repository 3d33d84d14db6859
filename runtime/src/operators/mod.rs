//! The operators: [`narrow`] ones run inside pipelines batch by batch; each wide one
//! (a pipeline breaker) has its own file.

pub mod aggregate;
pub mod aggregate_spill;
pub mod asof_join;
pub mod compiled;
pub mod distinct;
pub mod evaluate;
pub mod fill_null;
pub mod fit;
pub mod group_keys;
pub mod join;
pub mod join_spill;
pub mod limit;
pub mod narrow;
pub mod predict;
pub mod repartition;
pub mod sort;
pub mod split;
pub mod topk;
pub mod union;
pub mod window;
pub mod window_top_n;

/// A uniform number in [0, 1) for a row, from a seed and the row's place: the same on
/// every run and with every thread count.
pub fn row_fraction(seed: u64, partition: usize, row: u64) -> f64 {
    let mut z = seed ^ ((partition as u64) << 40) ^ row.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
