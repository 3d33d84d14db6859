//! The Cranelift IR of every example's kernels (snapshotted under `snapshots/clif/`),
//! and for each stage that is not compiled, why.

mod common;

use common::*;
use sluice_compiler::plan::{FusedStep, PlanOp};

#[test]
fn every_example_kernel_is_snapshotted() {
    let mut examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .flatten()
        .map(|d| d.path())
        .filter(|p| p.join("pipeline.sluice").exists())
        .collect();
    examples.sort();
    let mut compiled = 0;
    for dir in examples {
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        let (_, optimized) = plans(&dir.join("pipeline.sluice"), &[]);
        let plan = &optimized.plan;
        let mut out = String::new();
        for node in plan.topological() {
            let n = &plan.graph[node];
            let steps = match &n.op {
                PlanOp::Stage { steps } => steps.clone(),
                PlanOp::Filter { .. } | PlanOp::Derive { .. } | PlanOp::Cast { .. } => {
                    vec![FusedStep {
                        op: n.op.clone(),
                        schema: n.schema.clone(),
                    }]
                }
                _ => continue,
            };
            let label = n
                .relation
                .clone()
                .unwrap_or_else(|| n.op.name().to_string());
            let input = &plan.graph[plan.inputs(node)[0]].schema;
            match sluice_compiler::codegen::compile_stage(&steps, input) {
                Ok(stage) => {
                    compiled += 1;
                    let clif = sluice_compiler::codegen::clif(&stage.program).expect("clif");
                    out.push_str(&format!("stage `{label}`: compiled\n{clif}\n"));
                }
                Err(reason) => {
                    out.push_str(&format!("stage `{label}`: not compiled: {reason}\n\n"))
                }
            }
        }
        insta::with_settings!({ snapshot_path => "../../snapshots/clif", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, out);
        });
    }
    assert!(compiled >= 1, "no example compiles a kernel");
}

/// A stage in the two-lane subset: its kernel's first loop works on `f64x2` pairs.
#[test]
fn a_two_lane_kernel_is_snapshotted() {
    let text = "source t = csv(\"t.csv\") { b: float64?, d: float64? }
let r = t | derive p = b * 1.5 - d / 2.0, q = sqrt(abs(b)) + coalesce(d, 0)
sink r -> console()
";
    let file = sluice_compiler::SourceFile::new("two_lanes.sluice", text);
    let compiled = sluice_compiler::compile(&file, &Default::default()).expect("compiles");
    let plan = sluice_runtime::optimize(&compiled.plan, &[]).plan;
    let node = plan
        .topological()
        .into_iter()
        .find(|n| matches!(plan.graph[*n].op, PlanOp::Derive { .. }))
        .expect("a derive");
    let steps = [FusedStep {
        op: plan.graph[node].op.clone(),
        schema: plan.graph[node].schema.clone(),
    }];
    let input = &plan.graph[plan.inputs(node)[0]].schema;
    let stage = sluice_compiler::codegen::compile_stage(&steps, input).expect("compiled");
    assert!(sluice_compiler::codegen::lanes::eligible(&stage.program));
    let clif = sluice_compiler::codegen::clif(&stage.program).expect("clif");
    assert!(clif.contains("f64x2"), "{clif}");
    insta::with_settings!({ snapshot_path => "../../snapshots/clif", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("two_lanes", clif);
    });
}
