//! The optimizer: rewrites a checked logical plan into the one an expert would write by
//! hand, without changing any result.
//!
//! Each rule is one [`OptimizerRule`] in its own file. The driver runs the *rewrite*
//! rules in order, pass after pass, until a pass changes nothing (or [`MAX_PASSES`]),
//! then the *placement* rules once (they decide how the final plan is shared and fused).
//! After every rule it recomputes the schemas and checks that the plan is still
//! consistent and that every sink receives exactly the schema it did before; a rule
//! that breaks this is rolled back and reported, so a bug in one rule can cost speed,
//! never a wrong result. Any rule can be switched off by name.
//!
//! ```text
//! rewrite (to a fixpoint): constant_folding → shared_subplans → predicate_pushdown
//!                          → limit_pushdown → top_k → window_top_n → projection_pushdown
//! placement (once):        cache_placement → fusion
//! ```

mod cache_placement;
mod constant_folding;
mod fusion;
mod limit_pushdown;
mod predicate_pushdown;
mod projection_pushdown;
mod shared_subplans;
mod top_k;
mod window_top_n;

#[cfg(test)]
mod test_support;

pub use cache_placement::CachePlacement;
pub use constant_folding::ConstantFolding;
pub use fusion::Fusion;
pub use limit_pushdown::LimitPushdown;
pub use predicate_pushdown::PredicatePushdown;
pub use projection_pushdown::ProjectionPushdown;
pub use shared_subplans::SharedSubplans;
pub use top_k::TopK;
pub use window_top_n::WindowTopN;

use crate::plan::{ConstValue, LogicalPlan, TypedExpr};

/// The most rewrite passes the driver runs.
pub const MAX_PASSES: usize = 10;

/// Evaluates an expression without columns to a constant, with the runtime's reference
/// semantics (the runtime provides it; the compiler cannot run kernels itself). `None`
/// when the value has no literal form (a date, say) or cannot be computed.
pub trait ConstantEvaluator {
    fn evaluate(&self, expr: &TypedExpr) -> Option<ConstValue>;
}

/// What a rule may use besides the plan.
#[derive(Clone, Copy, Default)]
pub struct RuleContext<'a> {
    pub evaluator: Option<&'a dyn ConstantEvaluator>,
}

/// One optimizer rule.
pub trait OptimizerRule {
    /// The name `--disable-rule` takes.
    fn name(&self) -> &'static str;
    /// What the rule does, in one line.
    fn summary(&self) -> &'static str;
    /// Rewrites the plan in place and describes each change (nothing when it changed
    /// nothing). Schemas are recomputed by the driver afterwards; a rule that needs
    /// fresh schemas part-way refreshes them itself.
    fn rewrite(&self, plan: &mut LogicalPlan, context: RuleContext<'_>) -> Vec<String>;
}

/// The rewrite rules, in the order a pass runs them.
pub fn rewrite_rules() -> Vec<Box<dyn OptimizerRule>> {
    vec![
        Box::new(ConstantFolding),
        Box::new(SharedSubplans),
        Box::new(PredicatePushdown),
        Box::new(LimitPushdown),
        Box::new(TopK),
        Box::new(WindowTopN),
        Box::new(ProjectionPushdown),
    ]
}

/// The placement rules, run once after the rewrite passes.
pub fn placement_rules() -> Vec<Box<dyn OptimizerRule>> {
    vec![Box::new(CachePlacement), Box::new(Fusion)]
}

/// Every rule's name and summary, in the order the driver runs them.
pub fn rules() -> Vec<(&'static str, &'static str)> {
    rewrite_rules()
        .iter()
        .chain(placement_rules().iter())
        .map(|r| (r.name(), r.summary()))
        .collect()
}

/// How to optimize.
#[derive(Clone, Copy, Default)]
pub struct OptimizeOptions<'a> {
    /// Rules not to run, by name.
    pub disabled: &'a [String],
    pub evaluator: Option<&'a dyn ConstantEvaluator>,
}

/// A change a rule made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    pub rule: &'static str,
    /// 1-based rewrite pass; 0 for the placement rules.
    pub pass: usize,
    pub effect: String,
}

/// The optimized plan and how it came about.
#[derive(Clone, Debug)]
pub struct Optimized {
    pub plan: LogicalPlan,
    pub fired: Vec<Firing>,
    /// Rules whose rewrite was undone because it broke the plan (a bug; reported so it
    /// can be fixed, while the run goes on with the plan from before that rule).
    pub rolled_back: Vec<String>,
    /// Rewrite passes run.
    pub passes: usize,
}

/// Names that `--disable-rule` accepts but no rule has: the unknown ones, for an error.
pub fn unknown_rules(names: &[String]) -> Vec<String> {
    let known: Vec<&str> = rules().iter().map(|(n, _)| *n).collect();
    names
        .iter()
        .filter(|n| !known.contains(&n.as_str()))
        .cloned()
        .collect()
}

/// Optimizes a plan.
pub fn optimize(plan: &LogicalPlan, options: OptimizeOptions<'_>) -> Optimized {
    let mut out = Optimized {
        plan: plan.clone(),
        fired: Vec::new(),
        rolled_back: Vec::new(),
        passes: 0,
    };
    let context = RuleContext {
        evaluator: options.evaluator,
    };
    let enabled = |r: &dyn OptimizerRule| !options.disabled.iter().any(|d| d == r.name());
    let rewrite = rewrite_rules();
    for pass in 1..=MAX_PASSES {
        out.passes = pass;
        let mut changed = false;
        for rule in rewrite.iter().filter(|r| enabled(r.as_ref())) {
            changed |= apply(rule.as_ref(), pass, &mut out, context);
        }
        if !changed {
            break;
        }
    }
    for rule in placement_rules().iter().filter(|r| enabled(r.as_ref())) {
        apply(rule.as_ref(), 0, &mut out, context);
    }
    out
}

/// Runs one rule, checks the result, and keeps it or rolls it back.
fn apply(
    rule: &dyn OptimizerRule,
    pass: usize,
    out: &mut Optimized,
    context: RuleContext<'_>,
) -> bool {
    let before = out.plan.clone();
    let effects = rule.rewrite(&mut out.plan, context);
    if effects.is_empty() {
        out.plan = before;
        return false;
    }
    out.plan.remove_unreachable();
    if let Err(problem) = check(&before, &mut out.plan) {
        out.rolled_back
            .push(format!("{} (pass {pass}): {problem}", rule.name()));
        out.plan = before;
        return false;
    }
    out.fired.extend(effects.into_iter().map(|effect| Firing {
        rule: rule.name(),
        pass,
        effect,
    }));
    true
}

/// Recomputes the schemas and checks every sink still gets what it got before.
fn check(before: &LogicalPlan, after: &mut LogicalPlan) -> Result<(), String> {
    after.refresh_schemas()?;
    if before.sinks != after.sinks {
        return Err("the sinks changed".into());
    }
    for &sink in &after.sinks {
        if !after.graph.contains_node(sink) {
            return Err("a sink was removed".into());
        }
        let (was, is) = (&before.graph[sink].schema, &after.graph[sink].schema);
        if was != is {
            return Err(format!(
                "the schema reaching a sink changed from {was} to {is}"
            ));
        }
    }
    Ok(())
}

/// The most single moves a rule makes in one rewrite (a guard; real plans need few).
const MAX_MOVES: usize = 1000;

/// Applies `step` to the first node (in topological order) where it makes a move, then
/// looks again from the start, until no node allows one: each move can open the next.
/// `after` runs after each move (to refresh schemas, say); returns each move's effect.
pub(crate) fn move_until_settled(
    plan: &mut LogicalPlan,
    step: impl Fn(&mut LogicalPlan, petgraph::stable_graph::NodeIndex) -> Option<String>,
    after: impl Fn(&mut LogicalPlan) -> Result<(), String>,
) -> Vec<String> {
    let mut effects = Vec::new();
    for _ in 0..MAX_MOVES {
        let Some(effect) = plan.topological().into_iter().find_map(|n| step(plan, n)) else {
            break;
        };
        effects.push(effect);
        if after(plan).is_err() {
            break;
        }
    }
    effects
}

/// The conjuncts of a predicate (`a and b and c` → `[a, b, c]`), left to right, without
/// recursion.
pub fn conjuncts(predicate: &TypedExpr) -> Vec<TypedExpr> {
    use crate::plan::TypedExprKind;
    use crate::syntax::ast::BinaryOp;
    let mut out = Vec::new();
    let mut pending = vec![predicate];
    while let Some(e) = pending.pop() {
        match &e.kind {
            TypedExprKind::Binary {
                op: BinaryOp::And,
                left,
                right,
            } => {
                pending.push(right);
                pending.push(left);
            }
            _ => out.push(e.clone()),
        }
    }
    out
}

/// The conjunction of predicates (`None` for none), as a balanced tree that keeps their
/// order: merging thousands of filters gives a predicate of logarithmic depth.
pub fn conjunction(predicates: Vec<TypedExpr>) -> Option<TypedExpr> {
    use crate::plan::TypedExprKind;
    use crate::syntax::ast::BinaryOp;
    let mut level = predicates;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut items = level.into_iter();
        while let Some(a) = items.next() {
            next.push(match items.next() {
                Some(b) => TypedExpr {
                    nullable: a.nullable || b.nullable,
                    data_type: sluice_stdlib::DataType::Bool,
                    kind: TypedExprKind::Binary {
                        op: BinaryOp::And,
                        left: Box::new(a),
                        right: Box::new(b),
                    },
                },
                None => a,
            });
        }
        level = next;
    }
    level.pop()
}

/// The columns an expression reads.
pub(crate) fn columns_of(e: &TypedExpr) -> Vec<String> {
    let mut out = Vec::new();
    e.columns(&mut out);
    out
}
