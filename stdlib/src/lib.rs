//! The catalogue shared by Sluice's compiler and runtime.
//!
//! It depends on neither of them. It holds:
//! - [`types`]: the logical column types and schemas every stage agrees on;
//! - [`functions`]: the signature (and documentation) of every scalar and aggregate
//!   function of the language, which the resolver type-checks calls against;
//! - [`kernels`]: the reference implementation of every scalar function, over Arrow
//!   arrays ([`value`] holds the argument type);
//! - [`io`]: the data formats Sluice reads and writes, and schema inference for them;
//! - [`ml`]: feature transformers, estimators and metrics for the ML operators;
//! - [`nan`]: the one NaN every float column holds.

pub mod aggregates;
pub mod functions;
pub mod io;
pub mod kernels;
pub mod ml;
pub mod nan;
pub mod types;
pub mod value;

pub use types::{DataType, Field, Schema};
