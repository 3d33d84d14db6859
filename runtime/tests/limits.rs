//! The parser's limits hold the whole way through: every expression and plan up to the
//! limits of `sluice_compiler::limits` checks, formats back to itself, optimizes and
//! runs, through the reference kernels and the JIT, on the stack the CLI gives its
//! threads; one step past a limit is a diagnostic (`E0105`), never a crash.

#![allow(clippy::panic)] // a failed check is a failed test

mod common;

use common::{Configuration, run_text};
use proptest::prelude::*;
use sluice_compiler::limits::{MAX_EXPR_DEPTH, MAX_NESTING, MAX_PLAN_DEPTH, with_deep_stack};
use sluice_compiler::{Code, ResolveOptions, SourceFile};

/// One level of a generated expression around the inner text `x`, and the nesting it
/// adds (brackets, calls, `case`, prefix operators).
fn wrap(kind: u8, x: &str) -> (String, usize) {
    match kind % 7 {
        0 => (format!("{x} + a"), 0),
        1 => (format!("abs({x})"), 1),
        2 => (format!("coalesce({x}, 0)"), 1),
        3 => (format!("({x}) - a"), 1),
        4 => (format!("-({x})"), 1),
        5 => (format!("case when a > 0 then {x} else 0 end"), 1),
        _ => (format!("{x} as int64"), 0),
    }
}

/// The expression the levels describe, innermost first, with nesting kept within
/// [`MAX_NESTING`] (a level that would pass it becomes `+ a`). Its tree is
/// `levels.len() + 1` deep.
fn expression(levels: &[u8]) -> String {
    let mut text = "a".to_string();
    let mut nesting = 0;
    for &kind in levels {
        let (wrapped, adds) = wrap(kind, &text);
        if nesting + adds > MAX_NESTING {
            text = wrap(0, &text).0;
        } else {
            nesting += adds;
            text = wrapped;
        }
    }
    text
}

fn pipeline(expr: &str, steps: usize) -> String {
    let mut text =
        String::from("pipeline limits\nsource t = csv(\"t.csv\", header = true)\nlet x = t\n");
    text.push_str(&format!("  | derive c = {expr}\n"));
    for _ in 0..steps {
        text.push_str("  | filter a > 0\n");
    }
    text.push_str("sink x -> csv(\"out.csv\")\n");
    text
}

fn table() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.csv"), "a\n1\n2\n-3\n").expect("write");
    dir
}

fn in_dir(dir: &tempfile::TempDir) -> ResolveOptions {
    ResolveOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..ResolveOptions::default()
    }
}

/// Everything a user's command does with a pipeline, on the CLI's stack.
fn check_format_optimize_run(text: &str) {
    let text = text.to_string();
    with_deep_stack(move || {
        let dir = table();
        let file = SourceFile::new("limits.sluice", text.clone());
        let compiled = sluice_compiler::compile(&file, &in_dir(&dir))
            .unwrap_or_else(|d| panic!("rejected at the limits: {:?}", d[0].message));
        let formatted = sluice_compiler::format::format(&compiled.ast, Some(&text));
        let (again, d) = sluice_compiler::syntax::dsl::parse(&formatted);
        assert!(
            d.is_empty(),
            "the formatted text does not parse: {:?}",
            d[0].message
        );
        assert_eq!(
            again.as_ref(),
            Some(&compiled.ast),
            "formatting changed the AST"
        );
        for config in [Configuration::JitOffOneThread, Configuration::JitOn] {
            run_text(dir.path(), &text, config).unwrap_or_else(|e| panic!("{config:?}: {e}"));
            let out = std::fs::read_to_string(dir.path().join("out.csv")).expect("output");
            assert_eq!(out.lines().count(), 3, "{config:?}: header and two rows");
        }
    })
    .expect("thread");
}

fn rejected_with_limit(text: &str) -> String {
    let text = text.to_string();
    with_deep_stack(move || {
        let dir = table();
        let file = SourceFile::new("limits.sluice", text);
        let d = sluice_compiler::compile(&file, &in_dir(&dir)).expect_err("past the limit");
        assert_eq!(d[0].code, Code::LimitExceeded, "{}", d[0].message);
        d[0].message.clone()
    })
    .expect("thread")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random shapes, up to the depth limit and the nesting limit.
    #[test]
    fn expressions_up_to_the_limits_run(levels in prop::collection::vec(0u8..7, 1..MAX_EXPR_DEPTH)) {
        check_format_optimize_run(&pipeline(&expression(&levels), 1));
    }
}

#[test]
fn expressions_at_the_limits_run_and_one_more_is_a_diagnostic() {
    // The deepest chain, and the deepest nesting of each kind.
    let chain = vec![0u8; MAX_EXPR_DEPTH - 1];
    check_format_optimize_run(&pipeline(&expression(&chain), 1));
    for kind in 1..6u8 {
        let nested = vec![kind; MAX_NESTING];
        check_format_optimize_run(&pipeline(&expression(&nested), 1));
    }
    let message = rejected_with_limit(&pipeline(&expression(&vec![0u8; MAX_EXPR_DEPTH]), 1));
    assert!(message.contains("1001 levels deep"), "{message}");
    let parens = format!(
        "{}a{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    rejected_with_limit(&pipeline(&parens, 1));
    let negations = format!("{}a", "- ".repeat(MAX_NESTING + 1));
    rejected_with_limit(&pipeline(&negations, 1));
    let nots = format!("{}a > 0", "not ".repeat(MAX_NESTING + 1));
    rejected_with_limit(&pipeline(&nots, 1));
}

#[test]
fn plans_at_the_depth_limit_run_and_deeper_ones_are_a_diagnostic() {
    // source, derive, the filters and the sink: the limit exactly.
    check_format_optimize_run(&pipeline("a", MAX_PLAN_DEPTH - 3));
    let message = rejected_with_limit(&pipeline("a", MAX_PLAN_DEPTH));
    assert!(message.contains("operators deep"), "{message}");
}

#[test]
fn partition_counts_are_bounded_at_compile_time() {
    let text = "pipeline p\nsource t = csv(\"t.csv\", header = true)\nlet x = t | repartition 100000000\nsink x -> csv(\"out.csv\")\n";
    let message = rejected_with_limit(text);
    assert!(message.contains("at most 65536"), "{message}");
}

#[test]
fn a_huge_unknown_name_is_reported_without_a_suggestion_search() {
    // "did you mean" is quadratic in the name's length; past 256 characters it is not
    // tried (the diagnostic is still given).
    let name = "b".repeat(100_000);
    let near = format!("{name}c");
    assert_eq!(
        sluice_compiler::diagnostics::suggest(&name, [near.as_str()]),
        None
    );
    assert_eq!(
        sluice_compiler::diagnostics::suggest("amont", ["amount"]),
        Some("amount")
    );
}

/// A string function asked for more than a string can hold stops the run with a message
/// about the data (not an internal error), and writes nothing.
#[test]
fn a_string_over_the_size_limit_is_a_diagnostic_not_an_internal_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.csv"), "s,n\nabc,1000000000\n").expect("input");
    for expr in ["repeat(s, n)", "lpad(s, n, \"x\")"] {
        let text = format!(
            "source i = csv(\"in.csv\")\nlet t = i | derive big = {expr}\nsink t -> csv(\"out.csv\")\n"
        );
        let err = run_text(dir.path(), &text, Configuration::Default).expect_err("refused");
        let message = err.to_string();
        assert!(
            message.contains("1 GiB") && !message.contains("internal error"),
            "{message}"
        );
        assert!(!dir.path().join("out.csv").exists());
    }
}
