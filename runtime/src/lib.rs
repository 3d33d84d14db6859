//! The Sluice runtime: executes a checked logical plan over Arrow record batches, in
//! parallel with rayon.
//!
//! Data moves as [`Partitions`]: ordered lists of batches. A scan cuts its file into
//! *morsels* whose layout does not depend on the thread count, so results (and their
//! order) are the same with any `--threads`. Narrow operators (filter, derive, select,
//! ...) run batch by batch inside a pipeline that starts at a scan or a materialized
//! relation; wide operators (group, sort, join, distinct, ...) are pipeline breakers in
//! `operators/`, one per file. A relation read by two consumers is computed once.

pub mod cache;
pub mod constant_evaluator;
pub mod error;
pub mod executor;
pub mod expr;
pub mod io;
pub mod jit_cost;
pub mod memory;
pub mod operators;
pub mod partitions;
pub mod physical;
pub mod pipeline;
pub mod relation;
pub mod spill;
pub mod stream;
pub mod summary;
pub mod tuning;

pub use constant_evaluator::optimize;
pub use error::{DataLocation, RunError, RunResult};
pub use executor::{JitMode, RunOptions, run};
pub use partitions::Partitions;
pub use summary::RunSummary;
pub use tuning::Tuning;

/// The Arrow schema of a language schema.
pub fn arrow_schema(schema: &sluice_stdlib::Schema) -> arrow::datatypes::Schema {
    arrow::datatypes::Schema::new(
        schema
            .fields
            .iter()
            .map(|f| arrow::datatypes::Field::new(&f.name, f.data_type.to_arrow(), true))
            .collect::<Vec<_>>(),
    )
}
