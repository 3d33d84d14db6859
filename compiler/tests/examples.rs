//! Every example: it compiles; its AST and plan are snapshotted; its DSL and YAML
//! forms give the same AST and the same plan; formatting is idempotent and keeps the AST.

mod common;

use common::*;
use sluice_compiler::SourceFile;
use sluice_compiler::plan::text;

#[test]
fn every_example_compiles_and_matches_its_snapshots() {
    let examples = examples();
    assert!(
        examples.len() >= 4,
        "expected DSL and YAML forms of two examples"
    );
    for path in examples {
        let file = load(&path);
        let compiled = sluice_compiler::compile(&file, &options())
            .unwrap_or_else(|d| panic!("{}: {d:#?}", file.name));
        assert!(
            compiled.warnings.is_empty(),
            "{}: {:?}",
            file.name,
            compiled.warnings
        );
        let name = snapshot_name(&path);
        insta::with_settings!({ snapshot_path => "../../snapshots/ast", prepend_module_to_snapshot => false }, {
            insta::assert_yaml_snapshot!(name.clone(), compiled.ast);
        });
        insta::with_settings!({ snapshot_path => "../../snapshots/plan", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, text::render(&compiled.plan, true));
        });
    }
}

#[test]
fn dsl_and_yaml_forms_give_the_same_ast_and_plan() {
    let examples = examples();
    let mut pairs = 0;
    for dsl in examples
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sluice"))
    {
        let yaml = dsl.with_extension("yaml");
        if !yaml.exists() {
            continue;
        }
        pairs += 1;
        let a = sluice_compiler::compile(&load(dsl), &options()).expect("dsl compiles");
        let b = sluice_compiler::compile(&load(&yaml), &options()).expect("yaml compiles");
        assert_eq!(a.ast, b.ast, "{} and its YAML differ", dsl.display());
        assert_eq!(text::render(&a.plan, true), text::render(&b.plan, true));
        assert_eq!(
            sluice_compiler::plan::json::render(&a.plan),
            sluice_compiler::plan::json::render(&b.plan)
        );
    }
    assert!(pairs >= 2);
}

#[test]
fn formatting_is_idempotent_and_round_trips() {
    let mut files = examples();
    files.extend(fixtures("ok"));
    files.extend(fixtures("err").into_iter().filter(|p| {
        // err fixtures that still parse (their errors are semantic) are formatted too
        let file = load(p);
        sluice_compiler::syntax::parse(&file)
            .1
            .iter()
            .all(|d| !d.is_error())
    }));
    for path in files {
        let file = load(&path);
        let (ast, diagnostics) = sluice_compiler::syntax::parse(&file);
        let ast = ast.unwrap_or_else(|| panic!("{}: {diagnostics:?}", file.name));
        let is_dsl = file.syntax() == sluice_compiler::source::Syntax::Dsl;
        let once = sluice_compiler::format::format(&ast, is_dsl.then_some(file.text.as_str()));
        let (again, d) = sluice_compiler::syntax::dsl::parse(&once);
        assert_eq!(
            again.as_ref(),
            Some(&ast),
            "{}: formatting changed the AST ({d:?}):\n{once}",
            file.name
        );
        let twice = sluice_compiler::format::format(again.as_ref().expect("parsed"), Some(&once));
        assert_eq!(once, twice, "{}: formatting is not idempotent", file.name);
        if is_dsl {
            let before = sluice_compiler::syntax::comments::extract(&file.text).len();
            let after = sluice_compiler::syntax::comments::extract(&once).len();
            assert_eq!(before, after, "{}: comments lost", file.name);
        }
        insta::with_settings!({ snapshot_path => "../../snapshots/fmt", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(snapshot_name(&path), once);
        });
    }
}

/// The must-show: inference types the real files right (skipped without ../shared/data).
#[test]
fn schema_inference_on_the_real_data() {
    let data = root().join("../shared/data");
    if !data.exists() {
        eprintln!("skipping: {} is absent", data.display());
        return;
    }
    let quakes = sluice_stdlib::io::infer(
        sluice_stdlib::io::Format::Csv,
        &data.join("earthquakes/database.csv"),
        &Default::default(),
    )
    .expect("earthquakes infer");
    assert_eq!(quakes.len(), 21);
    assert_eq!(
        quakes.field("Latitude").unwrap().to_string(),
        "Latitude: float64"
    );
    assert_eq!(quakes.field("Date").unwrap().to_string(), "Date: string");
    assert_eq!(
        quakes.field("Depth Seismic Stations").unwrap().to_string(),
        "`Depth Seismic Stations`: int64?"
    );
    for (example, input) in [
        ("earthquakes", "earthquakes/database.csv"),
        ("credit", "credit/cs-training.csv"),
    ] {
        for ext in ["sluice", "yaml"] {
            let path = root().join(format!("examples/{example}/pipeline.{ext}"));
            let mut opts = options();
            opts.params
                .push(("input".into(), data.join(input).display().to_string()));
            let compiled =
                sluice_compiler::compile(&load(&path), &opts).expect("compiles on the real data");
            let plan = text::render(&compiled.plan, true);
            let scan = plan
                .lines()
                .skip_while(|l| !l.contains("Scan"))
                .nth(1)
                .expect("scan schema")
                .trim()
                .to_string();
            insta::with_settings!({ snapshot_path => "../../snapshots/inferred", prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!(format!("{example}_real_data"), scan);
            });
        }
    }
}

#[test]
fn a_relation_used_twice_is_one_node_with_two_out_edges() {
    let path = root().join("examples/earthquakes/pipeline.sluice");
    let compiled = sluice_compiler::compile(&load(&path), &options()).expect("compiles");
    let plan = &compiled.plan;
    let shared: Vec<_> = plan
        .topological()
        .into_iter()
        .filter(|n| plan.graph[*n].relation.as_deref() == Some("earthquakes"))
        .collect();
    assert_eq!(shared.len(), 1, "one node for the relation");
    assert_eq!(
        plan.consumer_count(shared[0]),
        2,
        "read by yearly and top500"
    );
    assert_eq!(plan.sinks.len(), 2);
}

/// A `window` step written in YAML compiles to the DSL's plan.
#[test]
fn a_window_in_yaml_gives_the_dsl_plan() {
    let dsl = "source q = csv(\"compiler/tests/data/files_differ/2015.csv\")\n\
               let w = q | window by name order by id desc { rn = row_number(), run = sum(id) rows between 2 preceding and current row, near = count() range between 1 preceding and unbounded following }\n\
               sink w -> console\n";
    let yaml = "sources:\n  q: {csv: compiler/tests/data/files_differ/2015.csv}\n\
                relations:\n  w:\n    from: q\n    steps:\n      - window:\n          by: [name]\n          order: [id desc]\n          columns:\n            rn: row_number()\n            run: sum(id) rows between 2 preceding and current row\n            near: count() range between 1 preceding and unbounded following\n\
                sinks:\n  - {from: w, console: null}\n";
    let a = sluice_compiler::compile(&SourceFile::new("w.sluice", dsl.to_string()), &options())
        .expect("dsl compiles");
    let b = sluice_compiler::compile(&SourceFile::new("w.yaml", yaml.to_string()), &options())
        .unwrap_or_else(|d| panic!("yaml compiles: {d:#?}"));
    assert_eq!(a.ast, b.ast);
    assert_eq!(text::render(&a.plan, true), text::render(&b.plan, true));
    assert!(text::render(&a.plan, true).contains("rows between 2 preceding and current row"));
}
