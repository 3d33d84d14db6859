//! Fuzzes both front ends, the resolver and the optimizer: no input may panic them,
//! whatever parses must format to text that parses to the same AST, and no optimizer
//! rule may break a plan that compiles.
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
        if let Ok(c) = sluice_compiler::compile(&file, &ResolveOptions::default()) {
            let o = sluice_compiler::optimize::optimize(&c.plan, Default::default());
            assert!(o.rolled_back.is_empty(), "{:?}", o.rolled_back);
        }
    }
});
