//! The Parquet reader on random bytes: an error or a result, never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = common::run(
        "pipeline fuzz\nsource t = parquet(\"data.bin\")\nsink t -> csv(\"out.csv\")\n",
        data,
        Default::default(),
    );
});
