//! The Arrow IPC reader (files and streams) on random bytes: an error or a result,
//! never a panic. Seeds: any `.arrow` file written by a sink.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = common::run(
        "pipeline fuzz\nsource t = arrow(\"data.bin\")\nsink t -> csv(\"out.csv\")\n",
        data,
        Default::default(),
    );
});
