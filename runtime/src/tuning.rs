//! The operators' size thresholds: when a hash aggregation merges its partial tables in
//! parallel, and how large the pieces are that the operators build, sort and spill.
//! Runs use [`Tuning::default`]; tests make every threshold tiny so that the paths meant
//! for large data run on small inputs too, and must give the same rows.

/// Thresholds, in groups or rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Partial aggregation tables with fewer groups than this in all are merged on one
    /// thread; more are merged in parallel by hash partition.
    pub serial_merge_groups: usize,
    /// The most one operator's reservation may hold before it spills (`None`: as much
    /// as the memory pool has).
    pub operator_memory: Option<u64>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            serial_merge_groups: 1 << 16,
            operator_memory: None,
        }
    }
}

impl Tuning {
    /// Every threshold at its smallest: for tests.
    pub fn tiny() -> Self {
        Tuning {
            serial_merge_groups: 1,
            operator_memory: Some(1),
        }
    }
}
