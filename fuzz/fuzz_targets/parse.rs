//! Fuzzes both front ends and the resolver: no input may panic them, and whatever
//! parses must format to text that parses to the same AST.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_compiler::{ResolveOptions, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["fuzz.sluice", "fuzz.yaml"] {
        let file = SourceFile::new(name, text);
        let (ast, _) = sluice_compiler::syntax::parse(&file);
        if let Some(ast) = &ast {
            let formatted = sluice_compiler::format::format(ast, Some(text));
            let (again, _) = sluice_compiler::syntax::dsl::parse(&formatted);
            if name.ends_with(".sluice") {
                assert_eq!(again.as_ref(), Some(ast), "formatting changed the AST:\n{formatted}");
            }
        }
        let _ = sluice_compiler::compile(&file, &ResolveOptions::default());
    }
});
