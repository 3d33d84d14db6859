//! The physical plan of every example, optimized (snapshotted): stages, breakers and
//! exchanges.

mod common;

use common::*;
use sluice_compiler::{ResolveOptions, SourceFile};
use sluice_runtime::physical::{PhysicalOp, lower, render};

fn lowered(
    example: &str,
) -> (
    sluice_compiler::Compiled,
    sluice_runtime::physical::PhysicalPlan,
) {
    let path = root().join(format!("examples/{example}/pipeline.sluice"));
    let file = SourceFile::read(&path).expect("read");
    let compiled = sluice_compiler::compile(
        &file,
        &ResolveOptions {
            params: vec![],
            base_dir: Some(root()),
        },
    )
    .expect("compiles");
    let optimized = sluice_runtime::optimize(&compiled.plan, &[]);
    let physical = lower(&optimized.plan);
    let compiled = sluice_compiler::Compiled {
        plan: optimized.plan,
        ..compiled
    };
    (compiled, physical)
}

#[test]
fn examples_lower_to_their_snapshotted_physical_plans() {
    for example in ["earthquakes", "credit", "features"] {
        let (compiled, physical) = lowered(example);
        insta::with_settings!({ snapshot_path => "../../snapshots/physical", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(example, render(&physical, &compiled.plan));
        });
    }
}

#[test]
fn the_shared_earthquake_relation_fans_out_instead_of_being_kept() {
    let (_, physical) = lowered("earthquakes");
    let fan_outs = physical
        .nodes
        .iter()
        .filter(|n| matches!(n.op, PhysicalOp::FanOut { .. }))
        .count();
    assert_eq!(fan_outs, 1);
    assert!(
        physical.nodes.iter().all(|n| n.cache.is_none()),
        "nothing is materialized to be shared"
    );
}
