//! The YAML front end and the resolver on random text: diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_compiler::{ResolveOptions, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = SourceFile::new("fuzz.yaml", text);
    let _ = sluice_compiler::compile(&file, &ResolveOptions::default());
});
