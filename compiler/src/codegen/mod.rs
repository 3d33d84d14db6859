//! Code generation: each fused stage of the optimized plan becomes one machine-code
//! kernel (Cranelift) that walks a partition's rows once, evaluating filters and derived
//! values without intermediate arrays.
//!
//! [`program`] resolves a stage into a straight-line per-row program (and decides what
//! the reference implementation precomputes: a hybrid stage); [`support`] says which
//! expression nodes compile; [`translate`] emits the CLIF; [`jit`] compiles it and is the
//! only module with `unsafe`. Kernels are cached per process by the program's signature,
//! so many partitions, or a stream's batches, compile once.

pub mod calendar;
pub mod jit;
pub mod lanes;
pub mod program;
pub mod support;
pub mod translate;

use crate::plan::FusedStep;
use sluice_stdlib::Schema;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub use jit::{InputView, Kernel, OutputBuffer, clif};
pub use program::{OutputSource, StageProgram};

/// A stage ready to run compiled.
#[derive(Debug)]
pub struct CompiledStage {
    pub program: StageProgram,
    pub kernel: Arc<Kernel>,
    /// Whether this process compiled it for this call (false: it came from the cache).
    pub fresh: bool,
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Kernel>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Kernel>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Compiles a fused stage reading `input`, or says why it cannot be.
pub fn compile_stage(steps: &[FusedStep], input: &Schema) -> Result<CompiledStage, String> {
    let program = program::build(steps, input)?;
    let key = program.signature();
    if let Some(kernel) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(CompiledStage {
            program,
            kernel,
            fresh: false,
        });
    }
    let kernel = Arc::new(jit::compile(&program)?);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, kernel.clone());
    }
    Ok(CompiledStage {
        program,
        kernel,
        fresh: true,
    })
}
