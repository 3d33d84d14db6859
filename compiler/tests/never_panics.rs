//! Property test: no input panics the parsers, the resolver, the formatter or the
//! optimizer (whatever compiles is optimized, and no rule may be rolled back).

mod common;

use proptest::prelude::*;
use sluice_compiler::{ResolveOptions, SourceFile};

fn check(text: &str) {
    for name in ["p.sluice", "p.yaml"] {
        let file = SourceFile::new(name, text);
        let (ast, _) = sluice_compiler::syntax::parse(&file);
        if let Some(ast) = ast {
            let _ = sluice_compiler::format::format(&ast, Some(text));
        }
        let compiled = sluice_compiler::compile(
            &file,
            &ResolveOptions {
                params: vec![],
                base_dir: Some("/nonexistent".into()),
            },
        );
        if let Ok(c) = compiled {
            let o = sluice_compiler::optimize::optimize(&c.plan, Default::default());
            assert!(o.rolled_back.is_empty(), "{:?}\n{text}", o.rolled_back);
        }
    }
}

fn seeds() -> Vec<String> {
    let mut out: Vec<String> = common::examples()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    out.extend(
        common::fixtures("ok")
            .iter()
            .chain(common::fixtures("err").iter())
            .map(|p| std::fs::read_to_string(p).expect("read")),
    );
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn tokens_of_the_language(parts in prop::collection::vec(prop::sample::select(vec![
        "let ", "source ", "sink ", "param ", "pipeline ", "x", "`a b`", " = ", " | ", "filter ", "derive ", "group ",
        "{", "}", "(", ")", "[", "]", ",", "->", "==", "+", "-", "*", "/", "\"s\"", "'t'", "1", "2.5", "1e9", "10s",
        "csv(\"f.csv\")", "@cache(memory)", "\n", "#c\n", "case when ", " then ", " end", " as int64", " in ", "null",
        "sort ", " desc", "take ", "join left ", " on ", "split ", "seed ", ":", "?", "- ", "steps:", "from: ",
    ]), 0..40)) {
        check(&parts.concat());
    }

    #[test]
    fn mutated_examples(index in 0usize..64, cut in 0usize..4000, insert in "\\PC{0,8}") {
        let seeds = seeds();
        let seed = &seeds[index % seeds.len()];
        let mut at = cut.min(seed.len());
        while !seed.is_char_boundary(at) { at -= 1; }
        let text = format!("{}{}{}", &seed[..at], insert, &seed[at..]);
        check(&text);
    }
}
