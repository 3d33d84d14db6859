//! The CSV reader on random bytes, in each mode: with tiny morsels on one and on four
//! threads it must give what one morsel on one thread gives (rows, bad-row count, and
//! the first error), and never panic.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use sluice_runtime::RunOptions;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let mode = ["permissive", "drop_malformed", "fail_fast"][selector as usize % 3];
    let morsel = 16 + (selector as u64 / 3) % 64;
    let pipeline = format!(
        "pipeline fuzz\nsource t = csv(\"data.bin\", header = true, mode = \"{mode}\") {{ a: string, b: int64, c: float64 }}\nsink t -> csv(\"out.csv\")\n"
    );
    let one = common::run(
        &pipeline,
        bytes,
        RunOptions { threads: Some(1), morsel_bytes: Some(1 << 30), ..Default::default() },
    );
    for threads in [1, 4] {
        let tiny = common::run(
            &pipeline,
            bytes,
            RunOptions { threads: Some(threads), morsel_bytes: Some(morsel), ..Default::default() },
        );
        assert_eq!(one, tiny, "{mode}, morsels of {morsel} bytes on {threads} threads");
    }
});
