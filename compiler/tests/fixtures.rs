//! Fixtures split by outcome: `ok/` compiles with no diagnostic; each `err/` file
//! produces the code its first line names (`# expect: E0200`), and its rendered
//! diagnostics are snapshotted.

mod common;

use common::*;
use sluice_compiler::diagnostics::{RenderStyle, render};

#[test]
fn ok_fixtures_compile_cleanly() {
    for path in fixtures("ok") {
        let file = load(&path);
        match sluice_compiler::compile(&file, &options()) {
            Ok(c) => assert!(c.warnings.is_empty(), "{}: {:?}", file.name, c.warnings),
            Err(d) => panic!(
                "{}: {}",
                file.name,
                d.iter()
                    .map(|d| render(d, &file, RenderStyle::plain()))
                    .collect::<String>()
            ),
        }
    }
}

#[test]
fn err_fixtures_report_their_expected_code() {
    let fixtures = fixtures("err");
    assert!(fixtures.len() >= 15);
    for path in fixtures {
        let file = load(&path);
        let expected = file
            .text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("first line names the code")
            .trim()
            .to_string();
        let diagnostics = match sluice_compiler::compile(&file, &options()) {
            Ok(c) => c.warnings,
            Err(d) => d,
        };
        assert!(
            diagnostics.iter().any(|d| d.code.as_str() == expected),
            "{}: expected {expected}, got {:?}",
            file.name,
            diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        );
        let rendered: String = diagnostics
            .iter()
            .map(|d| render(d, &file, RenderStyle::plain()))
            .collect::<Vec<_>>()
            .join("\n");
        insta::with_settings!({ snapshot_path => "../../snapshots/diagnostics", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(snapshot_name(&path), rendered);
        });
    }
}

#[test]
fn every_error_of_a_file_is_reported() {
    let file = load(
        &fixtures("err")
            .into_iter()
            .find(|p| p.ends_with("many_errors.sluice"))
            .expect("fixture"),
    );
    let diagnostics = sluice_compiler::compile(&file, &options()).expect_err("has errors");
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0200", "E0300", "E0200"]);
}

/// Each independent mistake of one chain is reported, and nothing that follows from
/// them (`x` and `Lattitude` after the failed steps raise nothing more).
#[test]
fn every_mistake_of_a_chain_is_reported_once() {
    let file = load(
        &fixtures("err")
            .into_iter()
            .find(|p| p.ends_with("chain_of_mistakes.sluice"))
            .expect("fixture"),
    );
    let diagnostics = sluice_compiler::compile(&file, &options()).expect_err("has errors");
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unknown column `Magnitde`",
            "unknown column `Depht`",
            "unknown column `Lattitude`"
        ]
    );
}

#[test]
fn the_misspelt_column_is_located_with_a_suggestion() {
    let file = load(
        &fixtures("err")
            .into_iter()
            .find(|p| p.ends_with("unknown_column.sluice"))
            .expect("fixture"),
    );
    let d = sluice_compiler::compile(&file, &options()).expect_err("error");
    assert_eq!(file.line_col(d[0].primary.span.start), (3, 20));
    assert_eq!(d[0].help.as_deref(), Some("did you mean `Magnitude`?"));
    let yaml = load(
        &fixtures("err")
            .into_iter()
            .find(|p| p.ends_with("yaml_unknown_column.yaml"))
            .expect("fixture"),
    );
    let d = sluice_compiler::compile(&yaml, &options()).expect_err("error");
    assert_eq!(yaml.line_col(d[0].primary.span.start), (8, 17));
    assert_eq!(yaml.slice(d[0].primary.span), "Magnitdue");
}
