#![allow(clippy::panic)] // a failed expectation is a failed test
//! The standing oracle: every operator and every function of the language, run by Sluice
//! in all five configurations (`common::Configuration`) and by DuckDB on the same
//! generated tables, compared as bags of rows (or in order, where Sluice defines the
//! order). The tables hold what breaks engines: nulls, NaN, ±inf, ±0.0, extreme and
//! above-2^53 integers, empty and odd strings, dates and timestamps at the ends of their
//! ranges. Sluice writes them to Parquet once, so both engines read the same values.
//!
//! Where Sluice's semantics differ from DuckDB's on purpose (`x / 0` is null, `least`
//! propagates null, `as int64` truncates, ...), the SQL says Sluice's rule and
//! `docs/semantics.md` lists the difference, with Spark's behaviour beside it.
//!
//! DuckDB comes from Python (`tools/reference/duckdb_differential.py`): the
//! interpreter is `$SLUICE_PYTHON`, else `.venv/bin/python` (what `.ci/run` installs),
//! else `python3`. Without DuckDB the test prints a notice and passes, except under CI
//! (`CI` set), where it fails: there it must always run.

mod common;
use common::{Configuration, Rng, run_text};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rows of the main table `t`; `u` (for joins) has a third as many.
const ROWS: usize = 240;

const T_SCHEMA: &str = "{ id: int64, g: int64?, k: string?, x: float64?, y: float64?, i: int64?, j: int64?, s: string?, d: date?, ts: timestamp?, b: bool? }";
const U_SCHEMA: &str = "{ uid: int64, k: string?, g: int64?, w: float64? }";

fn pick<T: Clone>(rng: &mut Rng, items: &[T]) -> T {
    rng.pick(items).clone()
}

fn float(v: f64) -> Value {
    if v.is_nan() {
        json!("NaN")
    } else if v.is_infinite() {
        json!(if v > 0.0 { "inf" } else { "-inf" })
    } else {
        json!(v)
    }
}

/// The tables as JSON lines (which tell `""` from null, unlike CSV).
fn tables(rng: &mut Rng) -> (String, String) {
    let floats = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e308,
        -1e308,
        5e-324,
        1.5,
        -2.5,
        0.1,
        3.0,
        1e-300,
        2.5,
        -0.5,
        100.25,
        -7.0,
        9007199254740993.0,
    ];
    let ints = [
        i64::MIN,
        i64::MAX,
        9_007_199_254_740_993,
        -9_007_199_254_740_993,
        0,
        1,
        -1,
        7,
        42,
        -13,
        1_000_000_007,
        4_611_686_018_427_387_904,
    ];
    let keys = ["", " ", "a", "b", "ünï", "a,b", "A", "b"];
    let strings = [
        "",
        "  padded  ",
        "Hello",
        "WORLD",
        "ünïcödé ☃",
        "a;b;c",
        "x;;y",
        "2001-01-05",
        "01/05/2001",
        "1/5/2001",
        "NaN",
        "12",
        "-7",
        "3.5",
        "1999-12-31T23:59:59Z",
        "abcabc",
    ];
    let dates = [
        "0001-01-01",
        "9999-12-31",
        "1970-01-01",
        "2000-02-29",
        "1969-12-31",
        "2024-01-31",
        "2001-03-15",
        "2001-01-05",
    ];
    let stamps = [
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999Z",
        "2001-01-05T10:30:15.500000Z",
        "2262-04-11T23:47:16Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-02-29T12:00:00Z",
        "2001-03-15T00:00:00.000001Z",
    ];
    let mut t = String::new();
    for id in 0..ROWS {
        let null = |rng: &mut Rng| rng.chance(12);
        let row = json!({
            "id": id,
            "g": if null(rng) { Value::Null } else { json!(rng.below(6)) },
            "k": if null(rng) { Value::Null } else { json!(pick(rng, &keys)) },
            "x": if null(rng) { Value::Null } else { float(pick(rng, &floats)) },
            "y": if null(rng) { Value::Null } else { float((rng.below(41) as f64 - 20.0) / 4.0) },
            "i": if null(rng) { Value::Null } else { json!(pick(rng, &ints)) },
            "j": if null(rng) { Value::Null } else { json!(rng.below(11) as i64 - 5) },
            "s": if null(rng) { Value::Null } else { json!(pick(rng, &strings)) },
            "d": if null(rng) { Value::Null } else { json!(pick(rng, &dates)) },
            "ts": if null(rng) { Value::Null } else { json!(pick(rng, &stamps)) },
            "b": if null(rng) { Value::Null } else { json!(rng.chance(50)) },
        });
        t.push_str(&row.to_string());
        t.push('\n');
    }
    let mut u = String::new();
    for uid in 0..ROWS / 3 {
        let row = json!({
            "uid": uid,
            "k": if rng.chance(10) { Value::Null } else { json!(pick(rng, &keys)) },
            "g": if rng.chance(10) { Value::Null } else { json!(rng.below(8)) },
            "w": float(pick(rng, &floats)),
        });
        u.push_str(&row.to_string());
        u.push('\n');
    }
    (t, u)
}

/// One case: a Sluice chain over `t` (and `u`), the same in SQL, and whether Sluice
/// defines the row order.
struct Case {
    name: &'static str,
    sluice: String,
    sql: String,
    ordered: bool,
}

fn case(name: &'static str, sluice: &str, sql: &str) -> Case {
    Case {
        name,
        sluice: sluice.to_string(),
        sql: sql.to_string(),
        ordered: false,
    }
}

fn ordered(name: &'static str, sluice: &str, sql: &str) -> Case {
    Case {
        ordered: true,
        ..case(name, sluice, sql)
    }
}

/// `derive v = EXPR | select id, v` against `SELECT id, SQL AS v FROM t`.
fn scalar(name: &'static str, expr: &str, sql: &str) -> Case {
    case(
        name,
        &format!("t | derive v = {expr} | select id, v"),
        &format!("SELECT id, {sql} AS v FROM t"),
    )
}

/// Null when any of `args` is null, else `sql` (DuckDB's `least`/`greatest` skip nulls).
fn null_if_any(args: &[&str], sql: &str) -> String {
    let test: Vec<String> = args.iter().map(|a| format!("{a} IS NULL")).collect();
    format!("CASE WHEN {} THEN NULL ELSE {sql} END", test.join(" OR "))
}

/// The cases; `other` is `u | select k, g` (for `union`).
fn cases() -> Vec<Case> {
    vec![
        // --- operators
        case(
            "filter_compare",
            "t | filter x > 2 | select id, x",
            "SELECT id, x FROM t WHERE x > 2",
        ),
        case(
            "filter_nan_equals_nan",
            "t | filter x == x and not (x < 0) | select id",
            "SELECT id FROM t WHERE x = x AND NOT (x < 0)",
        ),
        case(
            "filter_zero",
            "t | filter x == 0 | select id",
            "SELECT id FROM t WHERE x = 0",
        ),
        case(
            "filter_three_valued",
            "t | filter not (b and x > 0) or is_null(b) | select id",
            "SELECT id FROM t WHERE NOT (b AND x > 0) OR b IS NULL",
        ),
        case(
            "filter_in_list",
            "t | filter i in [1, 7, null] or g not in [1, 2] | select id",
            "SELECT id FROM t WHERE i IN (1, 7, NULL) OR g NOT IN (1, 2)",
        ),
        case(
            "filter_int_float",
            "t | filter i < y | select id",
            "SELECT id FROM t WHERE i < y",
        ),
        case(
            "filter_strings",
            "t | filter s >= \"a\" and k != \"\" | select id",
            "SELECT id FROM t WHERE s >= 'a' AND k <> ''",
        ),
        case(
            "filter_dates",
            "t | filter d < ts and d >= parse_date(\"1970-01-01\") | select id",
            "SELECT id FROM t WHERE d < ts AND d >= DATE '1970-01-01'",
        ),
        case(
            "select_drop_rename",
            "t | drop x, y | rename { k -> key } | select id, key, s",
            "SELECT id, k AS key, s FROM t",
        ),
        case(
            "cast_columns",
            "t | cast { g: float64, b: int64, id: string } | select id, g, b",
            "SELECT CAST(id AS VARCHAR), CAST(g AS DOUBLE), CAST(b AS BIGINT) FROM t",
        ),
        case(
            "distinct_rows",
            "t | select k, g | distinct",
            "SELECT DISTINCT k, g FROM t",
        ),
        case(
            "distinct_floats",
            "t | select x | distinct",
            "SELECT DISTINCT x FROM t",
        ),
        case(
            "distinct_on",
            "t | distinct k | select k, id",
            "SELECT k, min(id) FROM t GROUP BY k",
        ),
        case(
            "drop_null_some",
            "t | drop_null x, k | select id",
            "SELECT id FROM t WHERE x IS NOT NULL AND k IS NOT NULL",
        ),
        case(
            "drop_null_all",
            "t | drop_null | select id",
            "SELECT id FROM t WHERE COLUMNS(*) IS NOT NULL",
        ),
        case(
            "fill_null_constant",
            "t | fill_null { x = 0, s = \"none\", g = -1 } | select id, x, s, g",
            "SELECT id, coalesce(x, 0), coalesce(s, 'none'), coalesce(g, -1) FROM t",
        ),
        case(
            "fill_null_mean",
            "t | select id, y | fill_null mean",
            "SELECT id, coalesce(y, avg(y) OVER ()) FROM t",
        ),
        case(
            "fill_null_median",
            "t | select id, y | fill_null median",
            "SELECT id, coalesce(y, median(y) OVER ()) FROM t",
        ),
        ordered(
            "sort_floats",
            "t | sort x, id | select id, x",
            "SELECT id, x FROM t ORDER BY x ASC NULLS LAST, id",
        ),
        ordered(
            "sort_desc_nulls_first",
            "t | sort x desc nulls first, id desc | select id, x",
            "SELECT id, x FROM t ORDER BY x DESC NULLS FIRST, id DESC",
        ),
        ordered(
            "sort_strings_dates",
            "t | sort k, d desc, ts, id | select id",
            "SELECT id FROM t ORDER BY k NULLS LAST, d DESC NULLS LAST, ts NULLS LAST, id",
        ),
        ordered(
            "sort_ints_bools",
            "t | sort b nulls first, i desc, id | select id, i",
            "SELECT id, i FROM t ORDER BY b NULLS FIRST, i DESC NULLS LAST, id",
        ),
        ordered(
            "top_k",
            "t | sort y desc, id | take 17 | select id, y",
            "SELECT id, y FROM t ORDER BY y DESC NULLS LAST, id LIMIT 17",
        ),
        ordered(
            "take_in_file_order",
            "t | take 9 | select id",
            "SELECT id FROM t ORDER BY id LIMIT 9",
        ),
        case(
            "join_inner_names",
            "t | join u on k | select id, uid, k",
            "SELECT id, uid, t.k FROM t JOIN u ON t.k = u.k",
        ),
        case(
            "join_left",
            "t | join left u on g | select id, uid",
            "SELECT id, uid FROM t LEFT JOIN u ON t.g = u.g",
        ),
        case(
            "join_right",
            "t | join right u on g | select id, uid",
            "SELECT id, uid FROM t RIGHT JOIN u ON t.g = u.g",
        ),
        case(
            "join_full",
            "t | join full u on k, g | select id, uid",
            "SELECT id, uid FROM t FULL JOIN u ON t.k = u.k AND t.g = u.g",
        ),
        case(
            "join_semi",
            "t | join semi u on x == w | select id",
            "SELECT id FROM t SEMI JOIN u ON t.x = u.w",
        ),
        case(
            "join_anti",
            "t | join anti u on x == w | select id",
            "SELECT id FROM t ANTI JOIN u ON t.x = u.w",
        ),
        // --- richer joins (issue 15)
        case(
            "join_null_safe",
            "t | join u on k <=> k, g <=> g | select id, uid",
            "SELECT id, uid FROM t JOIN u ON t.k IS NOT DISTINCT FROM u.k AND t.g IS NOT DISTINCT FROM u.g",
        ),
        case(
            "join_expression_keys",
            "t | join left u on lower(k) == lower(k_right), j == g_right | select id, uid",
            "SELECT id, uid FROM t LEFT JOIN u ON lower(t.k) = lower(u.k) AND t.j = u.g",
        ),
        case(
            "join_non_equi",
            "t | filter id < 60 | join u on y < w | select id, uid",
            "SELECT id, uid FROM t JOIN u ON t.y < u.w WHERE t.id < 60",
        ),
        case(
            "join_left_with_condition",
            "t | join left u on g, x > w | select id, uid",
            "SELECT id, uid FROM t LEFT JOIN u ON t.g = u.g AND t.x > u.w",
        ),
        case(
            "join_full_with_condition",
            "t | join full u on g, j < w | select id, uid",
            "SELECT id, uid FROM t FULL JOIN u ON t.g = u.g AND t.j < u.w",
        ),
        case(
            "join_anti_with_condition",
            "t | join anti u on k, y > w or is_null(w) | select id",
            "SELECT id FROM t ANTI JOIN u ON t.k = u.k AND (t.y > u.w OR u.w IS NULL)",
        ),
        case(
            "join_asof",
            "t | join asof left u on k, j >= g_right | select id, g_right",
            "SELECT id, u.g FROM t ASOF LEFT JOIN u ON t.k = u.k AND t.j >= u.g",
        ),
        case(
            "join_asof_forward_within",
            "t | join asof u on k, j < g_right within 2 | select id, g_right",
            "SELECT id, g FROM (SELECT id, j, u.g AS g FROM t ASOF JOIN u ON t.k = u.k AND t.j < u.g) WHERE g - j <= 2",
        ),
        case(
            "join_float_keys",
            "t | join u on x == w | select id, uid",
            "SELECT id, uid FROM t JOIN u ON t.x = u.w",
        ),
        case(
            "union",
            "t | select k, g | union other",
            "SELECT k, g FROM t UNION ALL SELECT k, g FROM u",
        ),
        case(
            "explode_split",
            "t | derive p = split(s, \";\") | explode p | select id, p",
            "SELECT id, unnest(string_split(s, ';')) FROM t",
        ),
        case(
            "explode_with_position",
            "t | derive p = split(s, \";\") | explode p with position pos | select id, p, pos",
            "SELECT id, unnest(string_split(s, ';')), unnest(generate_series(1, len(string_split(s, ';')))) FROM t",
        ),
        ordered(
            "sort_by_expressions",
            "t | sort abs(j - 1) desc, lower(k) nulls first, id | select id, j, k",
            "SELECT id, j, k FROM t ORDER BY abs(j - 1) DESC NULLS LAST, lower(k) NULLS FIRST, id",
        ),
        ordered(
            "sort_by_an_expression_take",
            "t | sort y * j, id | take 7 | select id",
            "SELECT id FROM t ORDER BY y * j NULLS LAST, id LIMIT 7",
        ),
        // --- aggregates
        case(
            "group_counts",
            "t | group k { n = count(), values = count(x), kinds = count_distinct(x) }",
            "SELECT k, count(*), count(x), count(DISTINCT x) FROM t GROUP BY k",
        ),
        case(
            "group_float_keys",
            "t | group x { n = count() }",
            "SELECT x, count(*) FROM t GROUP BY x",
        ),
        case(
            "group_two_keys",
            "t | group g, b { n = count(), lo = min(y), hi = max(y) }",
            "SELECT g, b, count(*), min(y), max(y) FROM t GROUP BY g, b",
        ),
        case(
            "group_sum_int",
            "t | group g { total = sum(i), small = sum(j) }",
            "SELECT g, CASE WHEN sum(i) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN sum(i)::BIGINT END, sum(j) FROM t GROUP BY g",
        ),
        case(
            "group_sum_float",
            "t | group g { total = sum(x), m = mean(x) }",
            "SELECT g, sum(x), avg(x) FROM t GROUP BY g",
        ),
        case(
            "group_min_max_nan",
            "t | group g { lo = min(x), hi = max(x) }",
            "SELECT g, min(x), max(x) FROM t GROUP BY g",
        ),
        case(
            "group_min_max_others",
            "t | group g { a = min(s), z = max(s), first_day = min(d), last_ts = max(ts), any = max(b) }",
            "SELECT g, min(s), max(s), min(d), max(ts), max(b) FROM t GROUP BY g",
        ),
        case(
            "group_spread",
            "t | filter y > -100 | group g { sd = stddev(y), var = variance(y) }",
            "SELECT g, stddev_samp(y), var_samp(y) FROM t WHERE y > -100 GROUP BY g",
        ),
        case(
            "group_quantiles",
            "t | group g { med = median(x), q = quantile(y, 0.3) }",
            "SELECT g, median(x), quantile_cont(y, 0.3) FROM t GROUP BY g",
        ),
        case(
            "group_mean_int",
            "t | filter j != 0 | group g { m = mean(j) }",
            "SELECT g, avg(j) FROM t WHERE j <> 0 GROUP BY g",
        ),
        case(
            "group_first_last",
            "t | group g { f = first(x), l = last(s) }",
            "SELECT g, first(x ORDER BY id), last(s ORDER BY id) FROM t GROUP BY g",
        ),
        case(
            "group_collect",
            "t | filter g == 1 | group g { xs = collect(j) }",
            "SELECT g, list(j ORDER BY id) FILTER (WHERE j IS NOT NULL) FROM t WHERE g = 1 GROUP BY g",
        ),
        case(
            "aggregate_everything",
            "t | group { n = count(), s = sum(j), lo = min(x), hi = max(d) }",
            "SELECT count(*), sum(j), min(x), max(d) FROM t",
        ),
        case(
            "aggregate_nothing",
            "t | filter id < 0 | group { n = count(), s = sum(j), m = mean(y), lo = min(x) }",
            "SELECT count(*), sum(j), avg(y), min(x) FROM t WHERE id < 0",
        ),
        // --- arithmetic
        scalar("add_float", "x + y", "x + y"),
        scalar("sub_mul_float", "x * y - y", "x * y - y"),
        scalar("add_int_overflow", "i + j", "TRY(i + j)"),
        scalar("mul_int_overflow", "i * j", "TRY(i * j)"),
        scalar("neg_int", "-i", "TRY(-i)"),
        scalar("neg_float", "-x", "-x"),
        scalar(
            "divide",
            "x / j",
            "CASE WHEN j = 0 THEN NULL ELSE x / j END",
        ),
        scalar(
            "divide_ints",
            "i / j",
            "CASE WHEN j = 0 THEN NULL ELSE i::DOUBLE / j END",
        ),
        scalar(
            "modulo_ints",
            "i % j",
            "CASE WHEN j = 0 THEN NULL ELSE TRY(i % j) END",
        ),
        scalar(
            "modulo_floats",
            "y % j",
            "CASE WHEN j = 0 THEN NULL ELSE y % j END",
        ),
        scalar("int_float_mix", "j * 1.5 + i", "j * 1.5 + i"),
        scalar(
            "cast_float_to_int",
            "x as int64",
            "TRY(CAST(trunc(x) AS BIGINT))",
        ),
        scalar("cast_int_to_float", "i as float64", "CAST(i AS DOUBLE)"),
        scalar("cast_bool_int", "(b as int64) + 0", "CAST(b AS BIGINT)"),
        scalar(
            "cast_date_timestamp",
            "d as timestamp",
            "CAST(d AS TIMESTAMP)",
        ),
        scalar("cast_timestamp_date", "ts as date", "CAST(ts AS DATE)"),
        scalar(
            "cast_string_int",
            "s as int64",
            "CASE WHEN regexp_full_match(s, '-?[0-9]+') THEN TRY_CAST(s AS BIGINT) END",
        ),
        scalar(
            "cast_string_float",
            "s as float64",
            "CASE WHEN regexp_full_match(s, '-?[0-9.]+|NaN') THEN TRY_CAST(s AS DOUBLE) END",
        ),
        scalar("compare_to_null", "x > null", "x > NULL"),
        scalar(
            "case_when",
            "case when x > 1 then \"big\" when x < 0 then \"neg\" else \"other\" end",
            "CASE WHEN x > 1 THEN 'big' WHEN x < 0 THEN 'neg' ELSE 'other' END",
        ),
        scalar(
            "and_or_null",
            "(b and x > 0) or (not b and y < 0)",
            "(b AND x > 0) OR (NOT b AND y < 0)",
        ),
        scalar("string_plus", "s + k", "s || k"),
        scalar(
            "date_plus_duration",
            "d + 36h",
            "CAST(d + INTERVAL 36 HOUR AS DATE)",
        ),
        scalar(
            "timestamp_minus_duration",
            "ts - 90s",
            "ts - INTERVAL 90 SECOND",
        ),
        // --- functions
        scalar("is_null", "is_null(x)", "x IS NULL"),
        scalar("is_not_null", "is_not_null(s)", "s IS NOT NULL"),
        scalar("is_nan", "is_nan(x)", "isnan(x)"),
        scalar("is_nan_int", "is_nan(i)", "isnan(i)"),
        scalar("coalesce", "coalesce(x, y, 0)", "coalesce(x, y, 0)"),
        scalar("if", "if(x > y, x, y)", "CASE WHEN x > y THEN x ELSE y END"),
        scalar(
            "least",
            "least(x, y)",
            &null_if_any(&["x", "y"], "least(x, y)"),
        ),
        scalar(
            "greatest",
            "greatest(x, y, j)",
            &null_if_any(&["x", "y", "j"], "greatest(x, y, j)"),
        ),
        scalar("lower", "lower(s)", "lower(s)"),
        scalar("upper", "upper(s)", "upper(s)"),
        scalar("trim", "trim(s)", "trim(s)"),
        scalar("length", "length(s)", "length(s)"),
        scalar(
            "length_list",
            "length(split(s, \";\"))",
            "len(string_split(s, ';'))",
        ),
        scalar("contains", "contains(s, \"b\")", "contains(s, 'b')"),
        scalar(
            "starts_with",
            "starts_with(s, \"a\")",
            "starts_with(s, 'a')",
        ),
        scalar("ends_with", "ends_with(s, \"c\")", "ends_with(s, 'c')"),
        scalar(
            "replace",
            "replace(s, \"b\", \"XY\")",
            "replace(s, 'b', 'XY')",
        ),
        scalar(
            "regex_match",
            "regex_match(s, \"^[0-9]+$\")",
            "regexp_matches(s, '^[0-9]+$')",
        ),
        scalar("split", "split(s, \";\")", "string_split(s, ';')"),
        scalar("concat", "concat(s, \"-\", k)", "s || '-' || k"),
        scalar(
            "concat_ws",
            "concat_ws(\"+\", split(s, \";\"))",
            "array_to_string(string_split(s, ';'), '+')",
        ),
        scalar(
            "parse_date_iso",
            "parse_date(s)",
            "TRY_CAST(CASE WHEN length(s) = 10 THEN s WHEN substr(s, 11, 1) IN ('T', ' ') THEN substr(s, 1, 10) END AS DATE)",
        ),
        scalar(
            "parse_date_us",
            "parse_date(s, \"%m/%d/%Y\")",
            "CAST(TRY_STRPTIME(s, '%m/%d/%Y') AS DATE)",
        ),
        scalar(
            "parse_timestamp",
            "parse_timestamp(s)",
            "CASE WHEN length(s) > 10 THEN TRY_CAST(s AS TIMESTAMPTZ)::TIMESTAMP WHEN length(s) = 10 THEN TRY_CAST(s AS DATE)::TIMESTAMP END",
        ),
        scalar(
            "year_month_day",
            "year(d) * 10000 + month(d) * 100 + day(d)",
            "year(d) * 10000 + month(d) * 100 + day(d)",
        ),
        scalar(
            "timestamp_parts",
            "year(ts) * 10000 + month(ts) * 100 + day(ts)",
            "year(ts) * 10000 + month(ts) * 100 + day(ts)",
        ),
        scalar(
            "hour_minute_second",
            "hour(ts) * 10000 + minute(ts) * 100 + second(ts)",
            "hour(ts) * 10000 + minute(ts) * 100 + second(ts)",
        ),
        scalar("date_hour", "hour(d)", "hour(d)"),
        scalar(
            "date_diff_days",
            "date_diff(\"day\", d, ts)",
            "date_sub('day', CAST(d AS TIMESTAMP), ts)",
        ),
        scalar(
            "date_diff_months",
            "date_diff(\"month\", d, ts)",
            "date_sub('month', CAST(d AS TIMESTAMP), ts)",
        ),
        scalar(
            "date_diff_years",
            "date_diff(\"year\", d, parse_date(\"2001-02-28\"))",
            "date_sub('year', d, DATE '2001-02-28')",
        ),
        scalar(
            "date_diff_weeks_hours",
            "date_diff(\"week\", ts, parse_timestamp(\"2001-01-01T00:00:00Z\")) + date_diff(\"hour\", ts, parse_timestamp(\"2001-01-01T00:00:00Z\"))",
            "date_sub('week', ts, TIMESTAMP '2001-01-01') + date_sub('hour', ts, TIMESTAMP '2001-01-01')",
        ),
        scalar("abs", "abs(x) + abs(j)", "abs(x) + abs(j)"),
        scalar("abs_int", "abs(i)", "TRY(abs(i))"),
        scalar("sqrt", "sqrt(x)", "sqrt(x)"),
        scalar(
            "ln",
            "ln(y)",
            "CASE WHEN y < 0 THEN 'NaN'::DOUBLE WHEN y = 0 THEN '-inf'::DOUBLE ELSE ln(y) END",
        ),
        scalar("exp", "exp(y)", "exp(y)"),
        scalar("pow", "pow(y, j)", "pow(y, j)"),
        scalar("round", "round(y / 3)", "round(y / 3)"),
        scalar("round_digits", "round(x, 2)", "round(x, 2)"),
        scalar("floor_ceil", "floor(x) + ceil(y)", "floor(x) + ceil(y)"),
        ordered(
            "take_offset",
            "t | sort x desc, id | take 7 offset 11 | select id, x",
            "SELECT id, x FROM t ORDER BY x DESC NULLS LAST, id LIMIT 7 OFFSET 11",
        ),
        // --- more aggregates (issue 15)
        case(
            "aggregates_more",
            "t | group k { a = bool_and(b), o = bool_or(b), p = product(j), some = is_not_null(any_value(s)), pd = percentile_disc(y, 0.3), pd0 = percentile_disc(j, 0), aq = approx_quantile(y, 0.5), cs = list_sort(collect_set(g)), sa = string_agg(s, \"|\") }",
            "SELECT k, bool_and(b), bool_or(b), product(j), count(s) > 0, percentile_disc(0.3) WITHIN GROUP (ORDER BY y), percentile_disc(0) WITHIN GROUP (ORDER BY j), median(y), list_sort(list_distinct(list(g))), string_agg(s, '|' ORDER BY id) FROM t GROUP BY k",
        ),
        // --- aggregates of two columns and sketches (issue 15); DuckDB's corr is NaN
        // where Sluice's is null (fewer than two pairs, or x or y does not vary)
        case(
            "aggregates_two_columns",
            "t | group k { c = corr(y, j), cp = covar_pop(y, j), cs = covar_samp(j, y), amin = arg_min(id, y * 1000.0 + id), amax = arg_max(s, j * 1000 + id), ad = arg_max(d, x), acd = approx_count_distinct(s), acg = approx_count_distinct(g) }",
            "SELECT k, CASE WHEN isnan(corr(y, j)) THEN NULL ELSE corr(y, j) END, covar_pop(y, j), covar_samp(j, y), arg_min(id, y * 1000.0 + id), arg_max(s, j * 1000 + id), arg_max(d, x), count(DISTINCT s), count(DISTINCT g) FROM t GROUP BY k",
        ),
        // --- top-n per partition (issue 15): the window keeps only the first rows
        case(
            "window_top_two",
            "t | window by k order by y desc { rn = row_number() } | filter rn <= 2 | select id, k, rn",
            "SELECT id, k, rn FROM (SELECT id, k, row_number() OVER (PARTITION BY k ORDER BY y DESC NULLS LAST, id) AS rn FROM t) WHERE rn <= 2",
        ),
        case(
            "window_first_per_all",
            "t | window order by s nulls first, x { rn = row_number() } | filter 3 >= rn | select id, rn",
            "SELECT id, rn FROM (SELECT id, row_number() OVER (ORDER BY s NULLS FIRST, x NULLS LAST, id) AS rn FROM t) WHERE rn <= 3",
        ),
        // --- pivot and unpivot (issue 15); unpivot keeps nulls (DuckDB's UNPIVOT drops
        // them unless INCLUDE NULLS)
        case(
            "pivot",
            "t | pivot g in [0, 1, 5] by k { n = count(), s = sum(j), top = max(s) }",
            "SELECT k, count(*) FILTER (WHERE g = 0), sum(j) FILTER (WHERE g = 0), max(s) FILTER (WHERE g = 0), count(*) FILTER (WHERE g = 1), sum(j) FILTER (WHERE g = 1), max(s) FILTER (WHERE g = 1), count(*) FILTER (WHERE g = 5), sum(j) FILTER (WHERE g = 5), max(s) FILTER (WHERE g = 5) FROM t GROUP BY k",
        ),
        case(
            "pivot_one_item_no_keys",
            "t | pivot k in [\"a\", \"b\", \"\"] { m = mean(y) }",
            "SELECT avg(y) FILTER (WHERE k = 'a'), avg(y) FILTER (WHERE k = 'b'), avg(y) FILTER (WHERE k = '') FROM t",
        ),
        case(
            "pivot_named_constant_argument",
            "t | pivot g in [1, 2] by k { q = quantile(y, q = 0.25) }",
            "SELECT k, quantile_cont(y, 0.25) FILTER (WHERE g = 1), quantile_cont(y, 0.25) FILTER (WHERE g = 2) FROM t GROUP BY k",
        ),
        case(
            "unpivot",
            "t | select id, j, y, k | unpivot j, y into name, v",
            "SELECT id, k, 'j', j::DOUBLE FROM t UNION ALL SELECT id, k, 'y', y FROM t",
        ),
        scalar(
            "list_length",
            "list_length(split(s, \";\"))",
            "len(string_split(s, ';'))",
        ),
        case(
            "list_literal_column",
            "t | derive l = [j, i, 7] | select id, l",
            "SELECT id, [j, i, 7] FROM t",
        ),
        // --- grouping sets (issue 15)
        case(
            "rollup",
            "t | group rollup(k, g) { n = count(), s = sum(j), id = grouping_id(), r = max(y) - min(y) }",
            "SELECT k, g, count(*), sum(j), grouping_id(k, g), max(y) - min(y) FROM t GROUP BY ROLLUP (k, g)",
        ),
        case(
            "cube",
            "t | group cube(k, b, g) { n = count(), m = mean(y), id = grouping_id() }",
            "SELECT k, b, g, count(*), avg(y), grouping_id(k, b, g) FROM t GROUP BY CUBE (k, b, g)",
        ),
        case(
            "grouping_sets",
            "t | group grouping sets ((k, g), (b), ()) { c = count(y), top = max(s) }",
            "SELECT k, g, b, count(y), max(s) FROM t GROUP BY GROUPING SETS ((k, g), (b), ())",
        ),
        // --- expressions over aggregates (issue 15)
        case(
            "group_expressions",
            "t | group k { spread = max(y) - min(y), share = count(x) / count(), r = round(mean(y) * 2, 1), label = case when sum(j) > 0 then \"up\" else \"down\" end, key = concat(k, \"!\") }",
            "SELECT k, max(y) - min(y), CASE WHEN count(*) = 0 THEN NULL ELSE count(x) / count(*) END, round(avg(y) * 2, 1), CASE WHEN sum(j) > 0 THEN 'up' ELSE 'down' END, k || '!' FROM t GROUP BY k",
        ),
        // --- set operations and the cross join (issue 15)
        case(
            "set_intersect",
            "t | select k, g | intersect other",
            "SELECT k, g FROM t INTERSECT SELECT k, g FROM u",
        ),
        case(
            "set_except",
            "t | select k, g | except other",
            "SELECT k, g FROM t EXCEPT SELECT k, g FROM u",
        ),
        case(
            "set_union_distinct",
            "t | select k, g | union distinct other",
            "SELECT k, g FROM t UNION SELECT k, g FROM u",
        ),
        case(
            "set_union_by_name",
            "t | select id, k, x | union by name other",
            "SELECT id, k, x FROM t UNION ALL BY NAME SELECT k, g FROM u",
        ),
        case(
            "cross_join",
            "t | filter id < 12 | select id, k | join cross other",
            "SELECT t.id, t.k, o.k AS k_right, o.g FROM (SELECT id, k FROM t WHERE id < 12) t CROSS JOIN (SELECT k, g FROM u) o",
        ),
        // --- more scalars (issue 15)
        scalar("substr", "substr(s, j, 3)", "substring(s, j, 3)"),
        scalar("substr_rest", "substr(s, j)", "substring(s, j)"),
        scalar(
            "left_right",
            "concat(left(s, j), \"|\", right(s, j))",
            "left(s, j) || '|' || right(s, j)",
        ),
        scalar(
            "pad",
            "concat(lpad(k, 4, \"*\"), rpad(s, 3, \"-\"))",
            "lpad(k, 4, '*') || rpad(s, 3, '-')",
        ),
        scalar(
            "ltrim_rtrim",
            "concat(\"[\", ltrim(s), \"|\", rtrim(s), \"]\")",
            "'[' || ltrim(s) || '|' || rtrim(s) || ']'",
        ),
        scalar(
            "strpos",
            "strpos(s, \"c\") + strpos(k, \"\")",
            "strpos(s, 'c') + strpos(k, '')",
        ),
        scalar("repeat", "repeat(k, g)", "repeat(k, g)"),
        scalar(
            "split_part",
            "split_part(s, \";\", j)",
            "split_part(s, ';', j)",
        ),
        scalar(
            "regex_replace",
            "regex_replace(s, \"[aeiou;]\", \"_\")",
            "regexp_replace(s, '[aeiou;]', '_', 'g')",
        ),
        scalar(
            "regex_extract",
            "regex_extract(s, \"([0-9]+)[/-]([0-9]+)\", 2)",
            "CASE WHEN regexp_matches(s, '([0-9]+)[/-]([0-9]+)') THEN regexp_extract(s, '([0-9]+)[/-]([0-9]+)', 2) END",
        ),
        scalar(
            "like",
            "like(s, \"%a%\") or like(k, \"_\")",
            "s LIKE '%a%' OR k LIKE '_'",
        ),
        scalar("ilike", "ilike(s, \"h%\")", "s ILIKE 'h%'"),
        scalar(
            "md5_sha256",
            "concat(md5(s), sha256(k))",
            "md5(s) || sha256(k)",
        ),
        scalar("nullif", "nullif(g, 2)", "nullif(g, 2)"),
        scalar("between", "between(x, -1, 3)", "x BETWEEN -1 AND 3"),
        scalar(
            "sign_trunc",
            "sign(y) + sign(j) + trunc(y)",
            "sign(y) + sign(j) + trunc(y)",
        ),
        scalar(
            "log10_log2",
            "log10(abs(y) + 1) + log2(abs(j) + 1)",
            "log10(abs(y) + 1) + log2(abs(j) + 1)",
        ),
        scalar(
            "trigonometry",
            "sin(y) + cos(y) + tan(y) + asin(y / 5) + acos(y / 5) + atan(y) + atan2(y, j) + degrees(y) + radians(y)",
            "sin(y) + cos(y) + tan(y) + asin(y / 5) + acos(y / 5) + atan(y) + atan2(y, j) + degrees(y) + radians(y)",
        ),
        scalar(
            "date_trunc_date",
            "date_trunc(\"month\", d)",
            "CAST(date_trunc('month', d) AS DATE)",
        ),
        scalar(
            "date_trunc_week",
            "date_trunc(\"week\", d)",
            "CAST(date_trunc('week', d) AS DATE)",
        ),
        scalar(
            "date_trunc_quarter",
            "date_trunc(\"quarter\", d)",
            "CAST(date_trunc('quarter', d) AS DATE)",
        ),
        scalar(
            "date_trunc_timestamp",
            "date_trunc(\"hour\", ts)",
            "date_trunc('hour', ts)",
        ),
        scalar(
            "make_date",
            "make_date(2000 + j, g, 28 + j)",
            "TRY(make_date(2000 + j, g, 28 + j))",
        ),
        scalar(
            "strftime",
            "strftime(ts, \"%Y/%m/%d %H:%M\")",
            "strftime(ts, '%Y/%m/%d %H:%M')",
        ),
        scalar(
            "day_of_week_week_quarter",
            "day_of_week(d) * 1000 + week(d) * 10 + quarter(d)",
            "isodow(d) * 1000 + week(d) * 10 + quarter(d)",
        ),
        scalar("epoch", "epoch(ts)", "epoch(ts)"),
        scalar(
            "from_epoch",
            "from_epoch(j * 100000)",
            "make_timestamp(j * 100000 * 1000000)",
        ),
        scalar(
            "list_contains",
            "list_contains(split(s, \";\"), \"b\")",
            "list_contains(string_split(s, ';'), 'b')",
        ),
        scalar(
            "list_sort",
            "list_sort(split(s, \";\"))",
            "list_sort(string_split(s, ';'))",
        ),
        scalar(
            "list_distinct",
            "list_sort(list_distinct(split(s, \";\")))",
            "list_sort(list_distinct(string_split(s, ';')))",
        ),
        scalar(
            "list_index",
            "concat(split(s, \";\")[2], \"|\", split(s, \";\")[-1])",
            "string_split(s, ';')[2] || '|' || string_split(s, ';')[-1]",
        ),
        // --- window functions (ties broken by `id` where the function sees row order;
        // sums over `y`, quarters, so that every order of addition is exact)
        case(
            "window_ranking",
            "t | window by k order by g { w_r = rank(), w_dr = dense_rank(), w_pr = percent_rank(), w_cd = cume_dist() } | select id, w_r, w_dr, w_pr, w_cd",
            "SELECT id, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w FROM t WINDOW w AS (PARTITION BY k ORDER BY g)",
        ),
        case(
            "window_row_number_ntile",
            "t | window by k order by g desc, id { w_rn = row_number(), w_n3 = ntile(3), w_n50 = ntile(50) } | select id, w_rn, w_n3, w_n50",
            "SELECT id, row_number() OVER w, ntile(3) OVER w, ntile(50) OVER w FROM t WINDOW w AS (PARTITION BY k ORDER BY g DESC, id)",
        ),
        case(
            "window_lag_lead",
            "t | window by g order by id { w_a = lag(x), w_b = lag(s, 2), w_c = lead(j, 1, 0), w_d = lead(ts, 3) } | select id, w_a, w_b, w_c, w_d",
            "SELECT id, lag(x) OVER w, lag(s, 2) OVER w, lead(j, 1, 0) OVER w, lead(ts, 3) OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY id)",
        ),
        case(
            "window_running_aggregates",
            "t | window by k order by id { w_s = sum(y), w_c = count(x), w_n = count(), w_m = mean(y), w_lo = min(x), w_hi = max(d) } | select id, w_s, w_c, w_n, w_m, w_lo, w_hi",
            "SELECT id, sum(y) OVER w, count(x) OVER w, count(*) OVER w, avg(y) OVER w, min(x) OVER w, max(d) OVER w FROM t WINDOW w AS (PARTITION BY k ORDER BY id)",
        ),
        case(
            "window_rows_frames",
            "t | window by g order by id { w_s = sum(y) rows between 2 preceding and 1 following, w_f = first_value(x) rows between 1 preceding and 1 following, w_l = last_value(s) rows between current row and 2 following, w_v = nth_value(i, 2) rows between unbounded preceding and current row, w_e = sum(j) rows between 3 preceding and 2 preceding } | select id, w_s, w_f, w_l, w_v, w_e",
            "SELECT id, sum(y) OVER (w ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING), first_value(x) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), last_value(s) OVER (w ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING), nth_value(i, 2) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), sum(j) OVER (w ROWS BETWEEN 3 PRECEDING AND 2 PRECEDING) FROM t WINDOW w AS (PARTITION BY g ORDER BY id)",
        ),
        case(
            "window_range_frames",
            "t | window by k order by j { w_a = count() range between 2 preceding and 1 following, w_b = sum(y) range between current row and unbounded following, w_c = max(x) range between 1 following and 3 following } | select id, w_a, w_b, w_c",
            "SELECT id, count(*) OVER (w RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING), sum(y) OVER (w RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING), max(x) OVER (w RANGE BETWEEN 1 FOLLOWING AND 3 FOLLOWING) FROM t WINDOW w AS (PARTITION BY k ORDER BY j)",
        ),
        case(
            "window_range_descending",
            "t | window by g order by j desc { w_a = count() range between 1 preceding and current row, w_b = sum(y) range between 2 preceding and 2 following } | select id, w_a, w_b",
            "SELECT id, count(*) OVER (w RANGE BETWEEN 1 PRECEDING AND CURRENT ROW), sum(y) OVER (w RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) FROM t WINDOW w AS (PARTITION BY g ORDER BY j DESC)",
        ),
        case(
            "window_whole_partition",
            "t | window by k { w_s = sum(y), w_n = count(), w_md = median(y), w_cd = count_distinct(g), w_v = variance(y) } | select id, w_s, w_n, w_md, w_cd, w_v",
            "SELECT id, sum(y) OVER w, count(*) OVER w, median(y) OVER w, count(DISTINCT g) OVER w, var_samp(y) OVER w FROM t WINDOW w AS (PARTITION BY k)",
        ),
        case(
            "window_no_partition",
            "t | window order by g, id { w_rn = row_number(), w_s = sum(y) rows between 5 preceding and current row, w_q = quantile(y, 0.25) rows between 10 preceding and 10 following } | select id, w_rn, w_s, w_q",
            "SELECT id, row_number() OVER w, sum(y) OVER (w ROWS BETWEEN 5 PRECEDING AND CURRENT ROW), quantile_cont(y, 0.25) OVER (w ROWS BETWEEN 10 PRECEDING AND 10 FOLLOWING) FROM t WINDOW w AS (ORDER BY g, id)",
        ),
    ]
}

/// A value as both engines' output is compared.
#[derive(Clone, Debug)]
enum Cell {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
    Date(i32),
    Instant(i64),
    Duration(i64),
    List(Vec<Cell>),
}

impl Cell {
    fn of(v: &Value) -> Cell {
        use sluice_stdlib::io::value_types::{
            parse_iso_date, parse_iso_duration, parse_iso_timestamp,
        };
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Cell::Int(i128::from(i)),
                (_, Some(u)) => Cell::Int(i128::from(u)),
                _ => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => match s.as_str() {
                "NaN" => Cell::Float(f64::NAN),
                "inf" => Cell::Float(f64::INFINITY),
                "-inf" => Cell::Float(f64::NEG_INFINITY),
                _ => {
                    if let Some(t) = parse_iso_timestamp(s) {
                        Cell::Instant(t)
                    } else if let Some(d) = parse_iso_date(s) {
                        Cell::Date(d)
                    } else if let Some(d) = s
                        .starts_with(['P', '-'])
                        .then(|| parse_iso_duration(s))
                        .flatten()
                    {
                        Cell::Duration(d)
                    } else {
                        Cell::Text(s.clone())
                    }
                }
            },
            Value::Array(items) => Cell::List(items.iter().map(Cell::of).collect()),
            Value::Object(_) => Cell::Text(v.to_string()),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn same(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Int(a), Cell::Int(b)) => a == b,
            (Cell::List(a), Cell::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            _ => match (self.number(), other.number()) {
                (Some(a), Some(b)) => {
                    (a.is_nan() && b.is_nan())
                        || a == b
                        || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
                }
                _ => match (self, other) {
                    (Cell::Null, Cell::Null) => true,
                    (Cell::Bool(a), Cell::Bool(b)) => a == b,
                    (Cell::Text(a), Cell::Text(b)) => a == b,
                    (Cell::Date(a), Cell::Date(b)) => a == b,
                    (Cell::Instant(a), Cell::Instant(b))
                    | (Cell::Duration(a), Cell::Duration(b)) => a == b,
                    _ => false,
                },
            },
        }
    }

    /// A key that sorts rows the same way on both sides (floats to 9 digits).
    fn key(&self) -> String {
        match self {
            Cell::Null => "~null".into(),
            Cell::Int(i) => format!("n{:+.8e}", *i as f64),
            Cell::Float(f) if f.is_nan() => "nNaN".into(),
            Cell::Float(f) => format!("n{f:+.8e}"),
            Cell::List(items) => items.iter().map(Cell::key).collect::<Vec<_>>().join("|"),
            other => format!("{other:?}"),
        }
    }
}

fn rows_of(values: &[Vec<Value>], ordered: bool) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = values
        .iter()
        .map(|r| r.iter().map(Cell::of).collect())
        .collect();
    if !ordered {
        rows.sort_by_key(|r| r.iter().map(Cell::key).collect::<Vec<_>>());
    }
    rows
}

/// Sluice's JSON-lines output as rows of `names` (its JSON writer leaves null fields out).
fn sluice_rows(path: &Path, names: &[String]) -> Vec<Vec<Value>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let map: serde_json::Map<String, Value> =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            names
                .iter()
                .map(|n| map.get(n).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect()
}

fn python() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("SLUICE_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            common::root().join(".venv/bin/python"),
            PathBuf::from("python3"),
        ])
        .collect();
    candidates.into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn duckdb(python: &Path, tables: &[(&str, PathBuf)], cases: &[Case]) -> BTreeMap<String, Value> {
    use std::io::Write;
    let request = json!({
        "tables": tables.iter().map(|(n, p)| (n.to_string(), json!(p.display().to_string()))).collect::<serde_json::Map<_, _>>(),
        "queries": cases.iter().map(|c| (c.name.to_string(), json!(c.sql))).collect::<serde_json::Map<_, _>>(),
    });
    let mut child = std::process::Command::new(python)
        .arg(common::root().join("tools/reference/duckdb_differential.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("request written");
    let out = child.wait_with_output().expect("duckdb answers");
    assert!(out.status.success(), "the DuckDB runner failed");
    serde_json::from_slice(&out.stdout).expect("DuckDB's answers are JSON")
}

/// Runs `cases` in Sluice (each configuration) and in DuckDB over the Parquet `tables`
/// and asserts they agree; `prelude` declares relations the cases share.
fn agree(
    python: &Path,
    dir: &Path,
    tables: &[(&str, PathBuf)],
    prelude: &str,
    cases: &[Case],
    configurations: &[Configuration],
) {
    let answers = duckdb(python, tables, cases);
    let mut pipeline = String::new();
    for (name, path) in tables {
        pipeline.push_str(&format!(
            "source {name} = parquet(\"{}\")\n",
            path.display()
        ));
    }
    pipeline.push_str(prelude);
    for c in cases {
        pipeline.push_str(&format!(
            "let {} = {}\nsink {} -> jsonl(\"out/{}.jsonl\")\n",
            c.name, c.sluice, c.name, c.name
        ));
    }
    let file = sluice_compiler::SourceFile::new("differential.sluice", pipeline.clone());
    let options = sluice_compiler::ResolveOptions {
        params: Default::default(),
        base_dir: Some(dir.to_path_buf()),
    };
    let compiled = sluice_compiler::compile(&file, &options).unwrap_or_else(|d| {
        let at = d.first().map_or(0, |x| x.primary.span.start);
        let from = pipeline[..at].rfind("\nlet ").unwrap_or(0);
        panic!(
            "{d:#?}\nnear: {}",
            &pipeline[from..(at + 80).min(pipeline.len())]
        )
    });
    let columns = |name: &str| -> Vec<String> {
        let node = compiled
            .plan
            .graph
            .node_indices()
            .find(|n| compiled.plan.graph[*n].relation.as_deref() == Some(name))
            .expect("relation");
        compiled.plan.graph[node]
            .schema
            .names()
            .map(str::to_string)
            .collect()
    };

    let mut failures = Vec::new();
    let mut compared = 0;
    for &config in configurations {
        let out = dir.join("out");
        let _ = std::fs::remove_dir_all(&out);
        if let Err(e) = run_text(dir, &pipeline, config) {
            failures.push(format!("{config:?}: the pipeline failed: {e}"));
            continue;
        }
        for c in cases {
            let answer = &answers[c.name];
            let Some(expected) = answer.get("rows").and_then(Value::as_array) else {
                failures.push(format!(
                    "{}: DuckDB failed: {}\n  SQL: {}",
                    c.name, answer["error"], c.sql
                ));
                continue;
            };
            let expected: Vec<Vec<Value>> = expected
                .iter()
                .map(|r| r.as_array().cloned().unwrap_or_default())
                .collect();
            let path = out.join(format!("{}.jsonl", c.name));
            let got = sluice_rows(&path, &columns(c.name));
            let (want, have) = (rows_of(&expected, c.ordered), rows_of(&got, c.ordered));
            compared += 1;
            let first_difference =
                (0..want.len().max(have.len())).find(|&r| match (want.get(r), have.get(r)) {
                    (Some(a), Some(b)) => {
                        a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !x.same(y))
                    }
                    _ => true,
                });
            if let Some(r) = first_difference {
                failures.push(format!(
                    "{config:?}: {} differs ({} rows from DuckDB, {} from Sluice), first at row {r}:\n  DuckDB: {:?}\n  Sluice: {:?}\n  Sluice: {}\n  SQL:    {}",
                    c.name,
                    want.len(),
                    have.len(),
                    want.get(r),
                    have.get(r),
                    c.sluice,
                    c.sql
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} comparisons differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(compared, cases.len() * configurations.len());
}

#[test]
fn every_operator_and_function_agrees_with_duckdb() {
    let Some(python) = python() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI must run the DuckDB differential: no Python with duckdb (run .ci/run, or set SLUICE_PYTHON)"
            );
        }
        eprintln!(
            "notice: skipping the DuckDB differential test: no Python with duckdb (pip install duckdb, or set SLUICE_PYTHON)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(0x5EED_D1FF);
    let (t, u) = tables(&mut rng);
    std::fs::write(dir.path().join("t.jsonl"), t).expect("write t");
    std::fs::write(dir.path().join("u.jsonl"), u).expect("write u");
    let convert = format!(
        "source t = jsonl(\"t.jsonl\") {T_SCHEMA}\nsource u = jsonl(\"u.jsonl\") {U_SCHEMA}\nsink t -> parquet(\"t.parquet\")\nsink u -> parquet(\"u.parquet\")\n"
    );
    run_text(dir.path(), &convert, Configuration::Default).expect("tables written");

    let cases = cases();
    agree(
        &python,
        dir.path(),
        &[
            ("t", dir.path().join("t.parquet")),
            ("u", dir.path().join("u.parquet")),
        ],
        "let other = u | select k, g\n",
        &cases,
        &Configuration::ALL,
    );
    eprintln!(
        "duckdb differential: {} cases x {} configurations agree",
        cases.len(),
        Configuration::ALL.len()
    );
}

/// The relational-breadth must-show: a running total and a rank per key on the real
/// earthquake data equal DuckDB's (the data as Sluice reads it, written to Parquet so
/// both engines see the same values).
#[test]
fn running_totals_and_ranks_on_the_earthquakes_agree_with_duckdb() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let Some(python) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the DuckDB differential: no Python with duckdb"
        );
        eprintln!("notice: skipping: no Python with duckdb");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let convert = format!(
        "source q = csv(\"{}\")\n\
         let e = q | derive year = coalesce(year(parse_date(Date, \"%m/%d/%Y\")), year(parse_timestamp(Date))) | select ID, year, Type, `Magnitude Type`, Magnitude, Depth\n\
         sink e -> parquet(\"e.parquet\")\n",
        data.join("earthquakes/database.csv").display()
    );
    run_text(dir.path(), &convert, Configuration::Default).expect("converted");
    let cases = vec![
        case(
            "quake_running_totals",
            "e | window by year order by ID { n = count(), total = sum(Magnitude), deepest = max(Depth) } | select ID, n, total, deepest",
            "SELECT ID, count(*) OVER w, sum(Magnitude) OVER w, max(Depth) OVER w FROM e WINDOW w AS (PARTITION BY year ORDER BY ID)",
        ),
        case(
            "quake_ranks",
            "e | window by Type, `Magnitude Type` order by Magnitude desc { r = rank(), dr = dense_rank(), rn = row_number() } | filter r <= 3 | select ID, r, dr",
            "SELECT ID, r, dr FROM (SELECT ID, rank() OVER w AS r, dense_rank() OVER w AS dr FROM e WINDOW w AS (PARTITION BY Type, \"Magnitude Type\" ORDER BY Magnitude DESC)) WHERE r <= 3",
        ),
        case(
            "quake_moving_average",
            "e | window by year order by Magnitude, ID { avg5 = mean(Depth) rows between 2 preceding and 2 following } | select ID, avg5",
            "SELECT ID, avg(Depth) OVER (PARTITION BY year ORDER BY Magnitude, ID ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) FROM e",
        ),
    ];
    agree(
        &python,
        dir.path(),
        &[("e", dir.path().join("e.parquet"))],
        "",
        &cases,
        &[
            Configuration::Default,
            Configuration::NoOptimize,
            Configuration::TinyThresholds,
        ],
    );
}
