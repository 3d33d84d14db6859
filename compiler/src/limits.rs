//! The sizes Sluice accepts, in one place, and the stack every deep pass runs on.
//!
//! The parser rejects anything past these limits with a diagnostic (`E0105`), so every
//! later pass (resolver, optimizer, formatter, kernels, JIT) only ever sees trees of
//! bounded depth. Those passes recurse; [`DEEP_STACK`] is sized so that they cannot run
//! out of stack on anything the parser accepts, in debug builds too (a property test in
//! `cli/tests/limits.rs` checks this at the limits).

/// Brackets, calls, lists, `case` blocks and runs of prefix `-`/`not` nested in one
/// expression.
pub const MAX_NESTING: usize = 256;

/// The height of one expression's tree: `a + a + … + a` with 1,000 terms is 1,000 deep.
pub const MAX_EXPR_DEPTH: usize = 1_000;

/// Nodes in one expression (names, literals, operators, calls, list items).
pub const MAX_EXPR_NODES: usize = 100_000;

/// Operators on the longest path from a source to a sink (chained steps and lets).
pub const MAX_PLAN_DEPTH: usize = 2_000;

/// Bytes of one pipeline file.
pub const MAX_SOURCE_BYTES: usize = 16 << 20;

/// Declarations in one pipeline file.
pub const MAX_DECLARATIONS: usize = 10_000;

/// Partitions `repartition` and `@partition` may ask for.
pub const MAX_PARTITIONS: u64 = 65_536;

/// Stack of the thread that compiles, formats and explains (the CLI's and the language
/// server's). Threads reserve their stack as address space only; pages a pass does not
/// touch are never backed by memory.
pub const DEEP_STACK: usize = 64 << 20;

/// Stack of every worker thread of a run (kernels, the JIT's translation).
pub const WORKER_STACK: usize = 64 << 20;

/// Runs `work` on a thread with [`DEEP_STACK`] bytes of stack and returns its result,
/// or the error of starting the thread (a process's thread limit). A panic in `work` is
/// resumed on the calling thread.
pub fn with_deep_stack<T: Send>(work: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("sluice".into())
            .stack_size(DEEP_STACK)
            .spawn_scoped(scope, work)?;
        match handle.join() {
            Ok(value) => Ok(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
