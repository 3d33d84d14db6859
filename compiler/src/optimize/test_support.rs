//! Helpers for the rules' before/after tests: compile a small pipeline whose sources
//! declare their schemas (no data file needed), run one rule to its fixpoint, and print
//! the plan before and after with what fired. Snapshots go to `snapshots/rules/`.

use super::{OptimizerRule, RuleContext};
use crate::plan::LogicalPlan;
use crate::{ResolveOptions, SourceFile};
use std::fmt::Write;

/// The plan of a pipeline text (panics on a compile error: fixtures are known good).
pub fn plan(text: &str) -> LogicalPlan {
    let file = SourceFile::new("fixture.sluice", text);
    match crate::compile(&file, &ResolveOptions::default()) {
        Ok(c) => c.plan,
        Err(d) => panic!("fixture does not compile: {d:?}"),
    }
}

/// Runs `rules` in order, repeatedly, until none changes anything; returns the plan
/// before and after, each node with its schema, and each change made.
pub fn before_after(rules: &[&dyn OptimizerRule], text: &str) -> String {
    let mut plan = plan(text);
    let mut out = String::from("before:\n");
    out.push_str(&crate::plan::text::render(&plan, true));
    let mut fired = Vec::new();
    for _ in 0..super::MAX_PASSES {
        let mut changed = false;
        for rule in rules {
            let effects = rule.rewrite(&mut plan, RuleContext::default());
            changed |= !effects.is_empty();
            fired.extend(effects.into_iter().map(|e| format!("{}: {e}", rule.name())));
            plan.remove_unreachable();
            plan.refresh_schemas().expect("consistent plan");
        }
        if !changed {
            break;
        }
    }
    out.push_str("\nafter:\n");
    out.push_str(&crate::plan::text::render(&plan, true));
    out.push_str("\nfired:\n");
    for f in fired {
        let _ = writeln!(out, "  {f}");
    }
    out
}

/// Snapshots `before_after` under `snapshots/rules/` as `<rule>__<case>`.
#[macro_export]
macro_rules! assert_rule_snapshot {
    ($name:expr, $rules:expr, $text:expr) => {
        insta::with_settings!({
            snapshot_path => "../../../snapshots/rules",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $crate::optimize::test_support::before_after($rules, $text));
        });
    };
}
