//! Decoding third-party formats (Arrow IPC, Parquet) without trusting their decoders on
//! damaged input: some of their consistency checks are assertions, which panic on a
//! corrupted buffer. [`guarded`] runs a decoding step so that such a panic becomes an
//! error that names the file, and is not printed as a crash.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs a guarded decoding step.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

static QUIET_HOOK: Once = Once::new();

/// Runs `decode`; a panic inside it is returned as `Err` with the decoder's message.
/// The panic hook stays quiet for guarded steps only; every other panic is reported as
/// before.
pub fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, String> {
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let result = catch_unwind(AssertUnwindSafe(decode));
    GUARDED.with(|g| g.set(was));
    result.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the decoder failed".to_string())
    })
}

/// The error for a file a decoder could not make sense of.
pub fn damaged_message(path: &std::path::Path, format: &str, detail: &str) -> String {
    format!(
        "`{}` is damaged: it is not a valid {format} file ({detail})",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_other_work_goes_on() {
        let r: Result<(), String> = guarded(|| panic!("buffer too short"));
        assert_eq!(r.unwrap_err(), "buffer too short");
        assert_eq!(guarded(|| 7), Ok(7));
    }
}
