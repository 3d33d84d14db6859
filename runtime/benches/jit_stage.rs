#![allow(clippy::unwrap_used, clippy::panic)] // a benchmark: a failure is a crash
//! One fused stage — a filter and two derived columns, eleven arithmetic, comparison and
//! boolean operations — over 10 M in-memory rows in batches of 65,536, on one thread:
//! the reference implementation (Arrow kernels, operator by operator) against the
//! compiled kernel. Prints the compile time too, and writes the data to
//! `bench/data/jit_stage.parquet` for `bench/jit_peers.py` (DuckDB and Polars).
//!
//! Run: `cargo bench -p sluice-runtime --bench jit_stage` (ROWS=... to change the size).

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use sluice_compiler::SourceFile;
use sluice_compiler::codegen::CompiledStage;
use sluice_compiler::plan::{FusedStep, PlanOp};
use sluice_runtime::operators::narrow::NarrowOp;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 65_536;

const PIPELINE: &str =
    "source t = csv(\"unused.csv\") { a: int64?, b: float64?, c: int64?, d: float64? }
let r = t
  | filter a > 10 and b < 500.0 and not (c == 3)
  | derive x = a * 2 + c, y = b * 1.5 - d / 2.0
sink r -> console()
";

fn data(rows: usize) -> Vec<RecordBatch> {
    let mut state = 42u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("a", arrow::datatypes::DataType::Int64, true),
        arrow::datatypes::Field::new("b", arrow::datatypes::DataType::Float64, true),
        arrow::datatypes::Field::new("c", arrow::datatypes::DataType::Int64, true),
        arrow::datatypes::Field::new("d", arrow::datatypes::DataType::Float64, true),
    ]));
    let mut out = Vec::new();
    let mut left = rows;
    while left > 0 {
        let n = left.min(BATCH);
        left -= n;
        let a: Int64Array = (0..n)
            .map(|_| {
                let r = next();
                (r % 20 != 0).then_some((r % 100) as i64)
            })
            .collect();
        let b: Float64Array = (0..n)
            .map(|_| Some((next() % 1000) as f64 * 0.75))
            .collect();
        let c: Int64Array = (0..n).map(|_| Some((next() % 10) as i64)).collect();
        let d: Float64Array = (0..n)
            .map(|_| {
                let r = next();
                (r % 10 != 0).then_some((r % 97) as f64)
            })
            .collect();
        let columns: Vec<ArrayRef> = vec![Arc::new(a), Arc::new(b), Arc::new(c), Arc::new(d)];
        out.push(RecordBatch::try_new(schema.clone(), columns).unwrap());
    }
    out
}

/// Derived float64 values only (no filter): the two-lane subset.
const FLOAT_PIPELINE: &str =
    "source t = csv(\"unused.csv\") { a: int64?, b: float64?, c: int64?, d: float64? }
let r = t
  | derive p = b * 1.5 - d / 2.0, q = sqrt(abs(b - d)) + coalesce(d, 0.0), r = floor(b / 3.0) * d
sink r -> console()
";

fn stage(pipeline: &str) -> (Vec<FusedStep>, sluice_stdlib::Schema) {
    let compiled = sluice_compiler::compile(
        &SourceFile::new("bench.sluice", pipeline),
        &Default::default(),
    )
    .unwrap();
    // The filter stays in the stage (not in a scan) so that the stage holds all of it.
    let optimized = sluice_runtime::optimize(&compiled.plan, &["predicate_pushdown".into()]);
    let plan = optimized.plan;
    for node in plan.topological() {
        let n = &plan.graph[node];
        let steps = match &n.op {
            PlanOp::Stage { steps } => steps.clone(),
            // A lone narrow operator is a stage of one step.
            PlanOp::Filter { .. } | PlanOp::Derive { .. } => vec![FusedStep {
                op: n.op.clone(),
                schema: n.schema.clone(),
            }],
            _ => continue,
        };
        return (steps, plan.graph[plan.inputs(node)[0]].schema.clone());
    }
    panic!("no fused stage");
}

fn reference_ops<'a>(
    steps: &'a [FusedStep],
    input: &'a sluice_stdlib::Schema,
) -> Vec<NarrowOp<'a>> {
    let mut schema = input;
    steps
        .iter()
        .map(|s| {
            let out = Arc::new(sluice_runtime::arrow_schema(&s.schema));
            let op = NarrowOp::from_plan(&s.op, schema, out).unwrap();
            schema = &s.schema;
            op
        })
        .collect()
}

fn run_reference(ops: &[NarrowOp], batches: &[RecordBatch]) -> usize {
    batches
        .iter()
        .map(|b| {
            let mut b = b.clone();
            for op in ops {
                b = op.apply(b, 0, 0).unwrap();
            }
            b.num_rows()
        })
        .sum()
}

fn run_kernel(stage: &CompiledStage, schema: &SchemaRef, batches: &[RecordBatch]) -> usize {
    batches
        .iter()
        .map(|b| {
            sluice_runtime::operators::compiled::apply(stage, schema, b)
                .unwrap()
                .num_rows()
        })
        .sum()
}

/// The derive-only float stage three ways: reference kernels, the scalar kernel, and
/// the two-lane (f64x2) kernel — the measurement behind using vector types.
fn vector_lanes(batches: &[RecordBatch], rows: usize) {
    let (steps, input) = stage(FLOAT_PIPELINE);
    let ops = reference_ops(&steps, &input);
    let schema = Arc::new(sluice_runtime::arrow_schema(&steps.last().unwrap().schema));
    let program = sluice_compiler::codegen::program::build(&steps, &input).unwrap();
    assert!(sluice_compiler::codegen::lanes::eligible(&program));
    let kernel = |two_lanes| CompiledStage {
        program: program.clone(),
        kernel: Arc::new(sluice_compiler::codegen::jit::compile_with(&program, two_lanes).unwrap()),
        fresh: true,
    };
    let (scalar, two) = (kernel(false), kernel(true));
    let (reference, n_ref) = best_of(5, || run_reference(&ops, batches));
    let (scalar_time, n_scalar) = best_of(5, || run_kernel(&scalar, &schema, batches));
    let (two_time, n_two) = best_of(5, || run_kernel(&two, &schema, batches));
    assert!(n_ref == n_scalar && n_scalar == n_two);
    println!();
    println!("derive-only float64 stage (3 values, 9 operations), {rows} rows, one thread:");
    println!("| kernel | time (ms) | vs reference | compile (ms) |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| sluice reference kernels | {:.1} | 1.00× | |",
        reference.as_secs_f64() * 1e3
    );
    for (name, d, k) in [
        ("sluice JIT, scalar", scalar_time, &scalar),
        ("sluice JIT, two lanes (f64x2)", two_time, &two),
    ] {
        println!(
            "| {name} | {:.1} | {:.2}× | {:.3} |",
            d.as_secs_f64() * 1e3,
            reference.as_secs_f64() / d.as_secs_f64(),
            k.kernel.compile_time.as_secs_f64() * 1e3
        );
    }
}

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        rows = f();
        best = best.min(t.elapsed());
    }
    (best, rows)
}

fn main() {
    let rows: usize = std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let batches = data(rows);
    let (steps, input) = stage(PIPELINE);
    let reference_ops = reference_ops(&steps, &input);
    let compile_started = Instant::now();
    let compiled = sluice_compiler::codegen::compile_stage(&steps, &input).unwrap();
    let first_compile = compile_started.elapsed();
    let schema = Arc::new(sluice_runtime::arrow_schema(&steps.last().unwrap().schema));
    let (reference, kept_ref) = best_of(5, || run_reference(&reference_ops, &batches));
    let (jit, kept_jit) = best_of(5, || run_kernel(&compiled, &schema, &batches));
    assert_eq!(kept_ref, kept_jit);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "rows: {rows} in batches of {BATCH}, {kept_jit} pass the filter; one thread, best of 5"
    );
    println!("| engine | time (ms) | rows/s (M) | vs reference |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, d) in [("sluice reference kernels", reference), ("sluice JIT", jit)] {
        println!(
            "| {name} | {:.1} | {:.0} | {:.2}× |",
            ms(d),
            rows as f64 / d.as_secs_f64() / 1e6,
            reference.as_secs_f64() / d.as_secs_f64()
        );
    }
    // A second kernel (another constant, so not from the cache): the steady-state cost.
    let mut other = steps.clone();
    if let PlanOp::Filter { predicate } = &mut other[0].op {
        *predicate = sluice_compiler::plan::TypedExpr {
            kind: sluice_compiler::plan::TypedExprKind::Unary {
                op: sluice_compiler::syntax::ast::UnaryOp::Not,
                operand: Box::new(predicate.clone()),
            },
            ..predicate.clone()
        };
    }
    let warm = sluice_compiler::codegen::compile_stage(&other, &input).unwrap();
    println!(
        "compile: first kernel {:.3} ms (includes setting up the target), next kernel {:.3} ms; {:.3} ms for the first call including the program build",
        ms(compiled.kernel.compile_time),
        ms(warm.kernel.compile_time),
        ms(first_compile)
    );
    vector_lanes(&batches, rows);
    if let Some(path) = std::env::var_os("JIT_STAGE_PARQUET") {
        let file = std::fs::File::create(&path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), None).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        w.close().unwrap();
        println!("data written to {}", std::path::Path::new(&path).display());
    }
}
