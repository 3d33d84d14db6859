#![allow(clippy::panic, clippy::unwrap_used)] // a failed expectation is a failed test
//! The JIT against the reference implementation: random stages (filters and derived
//! columns over int64, float64, bool, string, date, timestamp and duration columns) run
//! on random batches — with nulls, NaN, infinities, signed zeros, extreme integers,
//! dates and timestamps, empty and all-null batches, and arrays sliced to a non-zero
//! offset — must give the same rows, value for value (NaN is NaN, -0.0 is not 0.0, null
//! is null).

mod common;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, DurationMicrosecondArray, Float64Array, Int64Array,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::util::display::array_value_to_string;
use common::Rng;
use sluice_compiler::SourceFile;
use sluice_compiler::codegen::CompiledStage;
use sluice_compiler::plan::{FusedStep, PlanOp};
use sluice_runtime::operators::narrow::NarrowOp;
use sluice_stdlib::nan::canonical_nans;
use std::sync::Arc;

const INTS: [i64; 9] = [0, 1, -1, 2, 7, -13, i64::MAX, i64::MIN, 1 << 40];
const FLOATS: [f64; 11] = [
    0.0,
    -0.0,
    1.5,
    -2.5,
    0.5,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    -7.25,
    3.0,
];
const STRINGS: [&str; 6] = ["", "a", "ab", "abc", "b", "héllo"];
/// Day numbers: the epoch, around it, year 0, and the ends of the date range and of
/// the range a timestamp can hold.
const DAYS: [i32; 8] = [
    0,
    -1,
    19_000,
    -719_468,
    i32::MAX,
    i32::MIN,
    106_751_991,
    -106_751_992,
];
/// Microseconds: around the epoch, a day, the ends of the range, year 1.
const MICROS: [i64; 7] = [
    0,
    -1,
    86_400_000_000,
    i64::MAX,
    i64::MIN,
    1_700_000_000_123_456,
    -62_135_596_800_000_000,
];

/// A batch of `rows` rows (all null when `all_null`), sliced from a larger one.
fn batch(rng: &mut Rng, rows: usize, all_null: bool) -> RecordBatch {
    let pad = rng.below(5);
    let total = rows + pad + rng.below(3);
    let null = |rng: &mut Rng| all_null || rng.chance(20);
    let mut ints = Vec::new();
    let mut floats = Vec::new();
    let mut bools = Vec::new();
    let mut strings = Vec::new();
    let mut ints2 = Vec::new();
    let mut floats2 = Vec::new();
    let mut dates = Vec::new();
    let mut stamps = Vec::new();
    let mut durations = Vec::new();
    for _ in 0..total {
        dates.push((!null(rng)).then(|| {
            if rng.chance(70) {
                rng.below(2_000_000) as i32 - 1_000_000
            } else {
                DAYS[rng.below(DAYS.len())]
            }
        }));
        stamps.push((!null(rng)).then(|| {
            if rng.chance(70) {
                (rng.below(1 << 52) as i64 - (1 << 51)) * 3
            } else {
                MICROS[rng.below(MICROS.len())]
            }
        }));
        durations.push((!null(rng)).then(|| {
            if rng.chance(70) {
                (rng.below(2001) as i64 - 1000) * 3_600_000_000
            } else {
                MICROS[rng.below(MICROS.len())]
            }
        }));
        ints.push((!null(rng)).then(|| {
            if rng.chance(70) {
                rng.below(21) as i64 - 10
            } else {
                INTS[rng.below(INTS.len())]
            }
        }));
        ints2.push((!null(rng)).then(|| rng.below(7) as i64 - 3));
        floats.push((!null(rng)).then(|| FLOATS[rng.below(FLOATS.len())]));
        floats2.push((!null(rng)).then(|| {
            if rng.chance(50) {
                FLOATS[rng.below(FLOATS.len())]
            } else {
                rng.below(2001) as f64 / 8.0 - 125.0
            }
        }));
        bools.push((!null(rng)).then(|| rng.chance(50)));
        strings.push((!null(rng)).then(|| STRINGS[rng.below(STRINGS.len())]));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ints)),
        Arc::new(Int64Array::from(ints2)),
        // As every source gives them: one NaN, one zero (see `sluice_stdlib::nan`).
        canonical_nans(Arc::new(Float64Array::from(floats))),
        canonical_nans(Arc::new(Float64Array::from(floats2))),
        Arc::new(BooleanArray::from(bools)),
        Arc::new(StringArray::from(strings)),
        Arc::new(Date32Array::from(dates)),
        Arc::new(TimestampMicrosecondArray::from(stamps).with_timezone("UTC")),
        Arc::new(DurationMicrosecondArray::from(durations)),
    ];
    let schema = Arc::new(sluice_runtime::arrow_schema(&input_schema()));
    RecordBatch::try_new(schema, columns)
        .unwrap()
        .slice(pad, rows)
}

fn input_schema() -> sluice_stdlib::Schema {
    use sluice_stdlib::{DataType, Field};
    sluice_stdlib::Schema::new(vec![
        Field::new("i", DataType::Int64, true),
        Field::new("j", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("g", DataType::Float64, true),
        Field::new("b", DataType::Bool, true),
        Field::new("s", DataType::String, true),
        Field::new("d", DataType::Date, true),
        Field::new("ts", DataType::Timestamp, true),
        Field::new("u", DataType::Duration, true),
    ])
}

fn number(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.chance(30) {
        return match rng.below(6) {
            0 => "i".into(),
            1 => "j".into(),
            2 => "f".into(),
            3 => format!("{}", rng.below(9) as i64 - 4),
            4 => ["0.0", "-0.0", "2.5", "0.5", "1e308"][rng.below(5)].into(),
            _ => "i".into(),
        };
    }
    let a = number(rng, depth - 1);
    let b = number(rng, depth - 1);
    match rng.below(16) {
        14 | 15 => {
            let part = ["year", "month", "day", "hour", "minute", "second"][rng.below(6)];
            let t = point(rng);
            format!("{part}({})", temporal(rng, depth - 1, t))
        }
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 => format!("({a} * {b})"),
        3 => format!("({a} / {b})"),
        4 => format!("(i % {})", ["j", "0", "-1", "3"][rng.below(4)]),
        5 => format!("-{a}"),
        6 => format!("abs({a})"),
        7 => format!(
            "{}({a})",
            ["floor", "ceil", "round", "sqrt", "sign", "trunc"][rng.below(6)]
        ),
        8 => format!("coalesce({a}, {b})"),
        9 => format!("if({}, {a}, {b})", boolean(rng, 1)),
        10 => format!("{}({a}, {b})", ["least", "greatest"][rng.below(2)]),
        11 => format!("case when {} then {a} else {b} end", boolean(rng, 1)),
        12 => format!("({a} as {})", ["float64", "int64"][rng.below(2)]),
        _ => format!("length(s) + {a}"),
    }
}

fn boolean(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.chance(30) {
        return match rng.below(9) {
            0 => "b".into(),
            1 => format!("s == \"{}\"", STRINGS[rng.below(STRINGS.len())]),
            2 => format!("starts_with(s, \"{}\")", ["a", "", "ab", "h"][rng.below(4)]),
            3 => "s in [\"a\", \"abc\"]".into(),
            4 => format!("is_null({})", ["i", "f", "s", "b"][rng.below(4)]),
            5 => "is_nan(f)".into(),
            6 => format!("i in [1, -1, {}]", rng.below(5)),
            7 => "lower(s) == \"ab\"".into(),
            _ => format!("({} > 0)", number(rng, 0)),
        };
    }
    let ops = ["==", "!=", "<", "<=", ">", ">="];
    match rng.below(5) {
        0 => format!(
            "({} and {})",
            boolean(rng, depth - 1),
            boolean(rng, depth - 1)
        ),
        1 => format!(
            "({} or {})",
            boolean(rng, depth - 1),
            boolean(rng, depth - 1)
        ),
        2 => format!("not ({})", boolean(rng, depth - 1)),
        3 => format!("(b != ({}))", boolean(rng, depth - 1)),
        4 if rng.chance(30) => {
            let t = any_temporal(rng);
            format!(
                "({} {} {})",
                temporal(rng, depth - 1, t),
                ops[rng.below(ops.len())],
                temporal(rng, depth - 1, t)
            )
        }
        _ => format!(
            "({} {} {})",
            number(rng, depth - 1),
            ops[rng.below(ops.len())],
            number(rng, depth - 1)
        ),
    }
}

fn point(rng: &mut Rng) -> &'static str {
    ["date", "timestamp"][rng.below(2)]
}

fn any_temporal(rng: &mut Rng) -> &'static str {
    ["date", "timestamp", "duration"][rng.below(3)]
}

/// A random expression of temporal type `t` ("date", "timestamp" or "duration").
fn temporal(rng: &mut Rng, depth: usize, t: &str) -> String {
    if depth == 0 || rng.chance(30) {
        return match t {
            "date" => "d".into(),
            "timestamp" => "ts".into(),
            _ if rng.chance(50) => "u".into(),
            _ => ["1d", "3h", "-2w", "90s", "5us"][rng.below(5)].into(),
        };
    }
    let same = |rng: &mut Rng| temporal(rng, depth - 1, t);
    match rng.below(6) {
        0 => format!("coalesce({}, {})", same(rng), same(rng)),
        1 => format!("if({}, {}, {})", boolean(rng, 0), same(rng), same(rng)),
        2 => format!(
            "{}({}, {})",
            ["least", "greatest"][rng.below(2)],
            same(rng),
            same(rng)
        ),
        _ if t == "duration" => match rng.below(5) {
            0 => {
                let (a, b) = (point(rng), point(rng));
                format!(
                    "({} - {})",
                    temporal(rng, depth - 1, a),
                    temporal(rng, depth - 1, b)
                )
            }
            1 => format!("({} + {})", same(rng), same(rng)),
            2 => format!("({} * {})", same(rng), ["j", "3", "-1"][rng.below(3)]),
            3 => format!("({} * {})", ["j", "2"][rng.below(2)], same(rng)),
            _ => format!("-{}", same(rng)),
        },
        3 => format!("({} + {})", temporal(rng, depth - 1, "duration"), same(rng)),
        _ => format!(
            "({} {} {})",
            same(rng),
            ["+", "-"][rng.below(2)],
            temporal(rng, depth - 1, "duration")
        ),
    }
}

/// A random float64 expression of the two-lane subset (over `f` and `g`).
fn float_only(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.chance(25) {
        return match rng.below(5) {
            0 | 1 => "f".into(),
            2 => "g".into(),
            3 => ["0.0", "-0.0", "2.5", "1e308", "1e-300"][rng.below(5)].into(),
            _ => "3.0".into(),
        };
    }
    let a = float_only(rng, depth - 1);
    let b = float_only(rng, depth - 1);
    match rng.below(9) {
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 => format!("({a} * {b})"),
        3 => format!("({a} / {b})"),
        4 => format!("-{a}"),
        5 => format!("{}({a})", ["abs", "sqrt", "floor", "ceil"][rng.below(4)]),
        6 => format!("coalesce({a}, {b})"),
        7 => format!("coalesce({a}, {b}, 0)"),
        _ => format!("({a} * 2)"),
    }
}

/// A random stage of the two-lane subset: derived float64 values, no filter.
fn two_lane_stage(rng: &mut Rng) -> (Vec<FusedStep>, String) {
    let mut body = String::from("let r = t");
    for k in 0..1 + rng.below(3) {
        body.push_str(&format!(
            "\n  | derive x{k} = {}, g = {}",
            float_only(rng, 3),
            float_only(rng, 2)
        ));
    }
    stage_of(&body)
}

/// A random fused stage: its steps, from a compiled and optimized pipeline.
fn stage(rng: &mut Rng) -> (Vec<FusedStep>, String) {
    let mut body = String::from("let r = t");
    for k in 0..1 + rng.below(4) {
        match rng.below(5) {
            4 => {
                let t = any_temporal(rng);
                body.push_str(&format!("\n  | derive w{k} = {}", temporal(rng, 3, t)));
            }
            0 => body.push_str(&format!("\n  | filter {}", boolean(rng, 2))),
            1 => body.push_str(&format!(
                "\n  | derive x{k} = {}, y{k} = {}",
                number(rng, 3),
                boolean(rng, 2)
            )),
            2 => body.push_str(&format!("\n  | derive i = {}", number(rng, 2))),
            _ => body.push_str(&format!(
                "\n  | derive z{k} = {} | drop_null z{k}",
                number(rng, 2)
            )),
        }
    }
    stage_of(&body)
}

/// The fused stage of a pipeline `body` over the test's columns.
fn stage_of(body: &str) -> (Vec<FusedStep>, String) {
    let text = format!(
        "source t = csv(\"none.csv\") {{ i: int64?, j: int64?, f: float64?, g: float64?, b: bool?, s: string?, d: date?, ts: timestamp?, u: duration? }}\n{body}\nsink r -> console()\n"
    );
    let file = SourceFile::new("jit.sluice", text.clone());
    let compiled = sluice_compiler::compile(&file, &Default::default())
        .unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    // Fusion only: constant folding would take away what the kernel must compute.
    let optimized = sluice_compiler::optimize::optimize(
        &compiled.plan,
        sluice_compiler::optimize::OptimizeOptions {
            disabled: &[
                "constant_folding".to_string(),
                "predicate_pushdown".to_string(),
                "projection_pushdown".to_string(),
            ],
            evaluator: None,
        },
    );
    let plan = optimized.plan;
    let steps = plan
        .graph
        .node_weights()
        .find_map(|n| match &n.op {
            PlanOp::Stage { steps } => Some(steps.clone()),
            PlanOp::Filter { .. } | PlanOp::Derive { .. } => Some(vec![FusedStep {
                op: n.op.clone(),
                schema: n.schema.clone(),
            }]),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no stage in\n{text}"));
    (steps, text)
}

fn reference(steps: &[FusedStep], batch: &RecordBatch) -> RecordBatch {
    let input = input_schema();
    let mut schema = &input;
    let mut b = batch.clone();
    for step in steps {
        let out = Arc::new(sluice_runtime::arrow_schema(&step.schema));
        let op = NarrowOp::from_plan(&step.op, schema, out).unwrap();
        b = op.apply(b, 0, 0).unwrap();
        schema = &step.schema;
    }
    b
}

fn cells(b: &RecordBatch) -> Vec<Vec<String>> {
    (0..b.num_rows())
        .map(|r| {
            b.columns()
                .iter()
                .map(|c| {
                    if c.is_null(r) {
                        "null".to_string()
                    } else if let Some(f) = c.as_any().downcast_ref::<Float64Array>() {
                        format!("{:?}", f.value(r))
                    } else if let Some(t) = c.as_any().downcast_ref::<TimestampMicrosecondArray>() {
                        format!("{}us", t.value(r))
                    } else if let Some(d) = c.as_any().downcast_ref::<Date32Array>() {
                        format!("day {}", d.value(r))
                    } else if let Some(u) = c.as_any().downcast_ref::<DurationMicrosecondArray>() {
                        format!("{}us long", u.value(r))
                    } else {
                        array_value_to_string(c.as_ref(), r).unwrap()
                    }
                })
                .collect()
        })
        .collect()
}

/// Random stages per test run: `SLUICE_JIT_CASES`, 400 by default.
fn cases() -> u64 {
    std::env::var("SLUICE_JIT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// Runs `steps` compiled against the reference on six random batches of `rng`; returns
/// how many batches it compared.
fn compare(rng: &mut Rng, kernel: &CompiledStage, steps: &[FusedStep], label: &str) -> usize {
    let schema = Arc::new(sluice_runtime::arrow_schema(&steps.last().unwrap().schema));
    for shape in 0..6 {
        let (rows, all_null) = match shape {
            0 => (0, false),
            1 => (1 + rng.below(4), true),
            _ => (1 + rng.below(40), false),
        };
        let input = batch(rng, rows, all_null);
        let want = reference(steps, &input);
        let got = sluice_runtime::operators::compiled::apply(kernel, &schema, &input).unwrap();
        assert_eq!(
            cells(&got),
            cells(&want),
            "{label}, {rows} rows:\ninput:\n{}",
            arrow::util::pretty::pretty_format_batches(std::slice::from_ref(&input)).unwrap()
        );
    }
    6
}

#[test]
fn two_lane_kernels_match_the_reference_on_random_batches() {
    let cases = cases() / 2;
    let mut batches = 0;
    for seed in 0..cases {
        let mut rng = Rng(seed);
        let (steps, text) = two_lane_stage(&mut rng);
        let kernel = match sluice_compiler::codegen::compile_stage(&steps, &input_schema()) {
            Ok(kernel) => kernel,
            // Only renames (`x = f`): nothing for a kernel to do.
            Err(e) if e.contains("nothing") => continue,
            Err(e) => panic!("seed {seed}: {e}\n{text}"),
        };
        assert!(
            sluice_compiler::codegen::lanes::eligible(&kernel.program),
            "seed {seed}: not in the two-lane subset:\n{text}"
        );
        batches += compare(&mut rng, &kernel, &steps, &format!("seed {seed}\n{text}"));
    }
    eprintln!("{cases} two-lane stages, {batches} batches compared");
}

#[test]
fn compiled_stages_match_the_reference_on_random_batches() {
    let cases = cases();
    let mut compiled = 0;
    let mut batches = 0;
    for seed in 0..cases {
        let mut rng = Rng(seed);
        let (steps, text) = stage(&mut rng);
        let Ok(kernel) = sluice_compiler::codegen::compile_stage(&steps, &input_schema()) else {
            continue;
        };
        compiled += 1;
        batches += compare(&mut rng, &kernel, &steps, &format!("seed {seed}\n{text}"));
    }
    eprintln!("{compiled} of {cases} stages compiled, {batches} batches compared");
    assert!(
        compiled * 2 > cases,
        "too few stages compiled: {compiled} of {cases}"
    );
}
