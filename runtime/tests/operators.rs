#![allow(clippy::panic)] // a failed expectation is a failed test
//! Every operator end to end on tiny tables whose answers are worked out by hand.

use sluice_compiler::SourceFile;
use sluice_runtime::{JitMode, RunOptions};

const PEOPLE: &str = "id,name,dept,age,score\n1,ann,a,30,1.5\n2,bob,b,,2.5\n3,cid,a,41,\n4,dan,,25,4.0\n5,eve,c,30,NaN\n1,ann,a,30,1.5\n";
const DEPTS: &str = "dept,title\na,Alpha\nb,Beta\nd,Delta\n";

/// Runs `body` (relations and sinks) over the two tables, as written, optimized, and
/// optimized with every stage compiled; checks all give the same bytes and returns each
/// sink's CSV text.
fn run(body: &str, sinks: &[&str]) -> Vec<String> {
    let written = run_once(body, sinks, false, JitMode::Off);
    let optimized = run_once(body, sinks, true, JitMode::Off);
    assert_eq!(
        written, optimized,
        "the optimizer changed a result of:\n{body}"
    );
    let compiled = run_once(body, sinks, true, JitMode::On);
    assert_eq!(compiled, optimized, "the JIT changed a result of:\n{body}");
    optimized
}

fn run_once(body: &str, sinks: &[&str], optimize: bool, jit: JitMode) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("people.csv"), PEOPLE).expect("write");
    std::fs::write(dir.path().join("depts.csv"), DEPTS).expect("write");
    let d = dir.path().display();
    let mut text = format!(
        "param dir: string = \"{d}\"\nsource people = csv(dir + \"/people.csv\")\nsource depts = csv(dir + \"/depts.csv\")\n{body}\n"
    );
    for s in sinks {
        text.push_str(&format!("sink {s} -> csv(dir + \"/{s}.csv\")\n"));
    }
    let file = SourceFile::new("ops.sluice", text);
    let compiled = sluice_compiler::compile(&file, &Default::default());
    let compiled = match compiled {
        Ok(c) => c,
        Err(d) => panic!("{d:#?}"),
    };
    let plan = if optimize {
        let o = sluice_runtime::optimize(&compiled.plan, &[]);
        assert!(o.rolled_back.is_empty(), "{:?}", o.rolled_back);
        o.plan
    } else {
        compiled.plan
    };
    sluice_runtime::run(
        &plan,
        &RunOptions {
            morsel_bytes: Some(16),
            jit,
            ..Default::default()
        },
    )
    .expect("runs");
    sinks
        .iter()
        .map(|s| std::fs::read_to_string(dir.path().join(format!("{s}.csv"))).expect("output"))
        .collect()
}

fn one(body: &str) -> String {
    run(body, &["r"]).remove(0)
}

#[test]
fn filter_select_drop_derive_rename_cast() {
    assert_eq!(
        one("let r = people | filter age >= 30 and dept != \"b\" | select id, name"),
        "id,name\n1,ann\n3,cid\n5,eve\n1,ann\n"
    );
    assert_eq!(
        one("let r = people | drop name, dept, age, score | take 2"),
        "id\n1\n2\n"
    );
    assert_eq!(
        one(
            "let r = people | derive { half = age / 2, older = age + 1, big = score > 2 } | select id, half, older, big | take 3"
        ),
        "id,half,older,big\n1,15.0,31,false\n2,,,true\n3,20.5,42,\n"
    );
    assert_eq!(
        one(
            "let r = people | rename { name -> who } | cast { age: float64, id: string } | select id, who, age | take 1"
        ),
        "id,who,age\n1,ann,30.0\n"
    );
}

#[test]
fn distinct_fill_null_drop_null() {
    assert_eq!(
        one("let r = people | distinct | select id"),
        "id\n1\n2\n3\n4\n5\n"
    );
    // A one-column row holding null is written `""` so it is not a blank line.
    assert_eq!(
        one("let r = people | distinct dept | select dept"),
        "dept\na\nb\n\"\"\nc\n"
    );
    // mean of age over 30, 41, 25, 30, 30 = 31.2; median of score over 1.5, 2.5, 4.0, NaN, 1.5
    assert_eq!(
        one(
            "let r = people | fill_null { age = mean, dept = \"none\", score = 0 } | select dept, age, score"
        ),
        "dept,age,score\na,30.0,1.5\nb,31.2,2.5\na,41.0,0.0\nnone,25.0,4.0\nc,30.0,NaN\na,30.0,1.5\n"
    );
    assert_eq!(
        one("let r = people | fill_null { age = mode } | select age | take 2"),
        "age\n30\n30\n"
    );
    assert_eq!(
        one("let r = people | drop_null age, dept | select id"),
        "id\n1\n3\n5\n1\n"
    );
}

#[test]
fn group_with_every_aggregate() {
    let out = one(
        "let r = people | group dept { n = count(), ages = count(age), ids = count_distinct(id), total = sum(age), mean_age = mean(age), \
         youngest = min(age), oldest = max(name), sd = stddev(age), var = variance(age), med = median(age), q = quantile(age, 0.5), \
         first_name = first(name), last_name = last(name) }",
    );
    // stddev is checked with a tolerance: Welford's update and a two-pass formula can
    // differ in the last bit. sqrt(40.333...) = 6.350852961085883...
    let sd: f64 = out
        .lines()
        .nth(1)
        .expect("row a")
        .split(',')
        .nth(8)
        .expect("sd")
        .parse()
        .expect("float");
    assert!((sd - 6.350852961085883).abs() < 1e-12, "{sd}");
    let out = out.replace(&sd.to_string(), "SD");
    assert_eq!(
        out,
        "dept,n,ages,ids,total,mean_age,youngest,oldest,sd,var,med,q,first_name,last_name\n\
         a,3,3,2,101,33.666666666666664,30,cid,SD,40.333333333333336,30.0,30.0,ann,ann\n\
         b,1,0,1,,,,bob,,,,,bob,bob\n\
         ,1,1,1,25,25.0,25,dan,,,25.0,25.0,dan,dan\n\
         c,1,1,1,30,30.0,30,eve,,,30.0,30.0,eve,eve\n"
    );
    assert_eq!(
        one("let r = people | filter id > 100 | group { n = count(), s = sum(age) }"),
        "n,s\n0,\n"
    );
}

#[test]
fn sort_take_and_top_k() {
    assert_eq!(
        one("let r = people | sort age desc, id | select id, age"),
        "id,age\n3,41\n1,30\n1,30\n5,30\n4,25\n2,\n"
    );
    assert_eq!(
        one("let r = people | sort age nulls first | select id | take 2"),
        "id\n2\n4\n"
    );
    // NaN sorts above every number.
    assert_eq!(
        one("let r = people | sort score desc | select id, score | take 2"),
        "id,score\n5,NaN\n4,4.0\n"
    );
}

#[test]
fn joins_of_every_kind() {
    let people = "let p = people | distinct | select id, dept";
    let sinks = ["inner", "left", "right", "full", "semi", "anti"];
    let body = format!(
        "{people}\nlet inner = p | join depts on dept\nlet left = p | join left depts on dept\nlet right = p | join right depts on dept\n\
         let full = p | join full depts on dept\nlet semi = p | join semi depts on dept\nlet anti = p | join anti depts on dept"
    );
    let out = run(&body, &sinks);
    assert_eq!(out[0], "id,dept,title\n1,a,Alpha\n2,b,Beta\n3,a,Alpha\n");
    assert_eq!(
        out[1],
        "id,dept,title\n1,a,Alpha\n2,b,Beta\n3,a,Alpha\n4,,\n5,c,\n"
    );
    assert_eq!(
        out[2],
        "id,dept,title\n1,a,Alpha\n2,b,Beta\n3,a,Alpha\n,d,Delta\n"
    );
    assert_eq!(
        out[3],
        "id,dept,title\n1,a,Alpha\n2,b,Beta\n3,a,Alpha\n4,,\n5,c,\n,d,Delta\n"
    );
    assert_eq!(out[4], "id,dept\n1,a\n2,b\n3,a\n");
    assert_eq!(out[5], "id,dept\n4,\n5,c\n");
    let renamed = one(
        "let d = depts | rename { dept -> code }\nlet r = people | filter id < 3 | join d on dept == code | select id, code, title",
    );
    assert_eq!(renamed, "id,code,title\n1,a,Alpha\n2,b,Beta\n1,a,Alpha\n");
}

#[test]
fn union_explode_sample_split_repartition() {
    assert_eq!(
        one(
            "let a = people | filter id == 1 | select id, name\nlet b = people | filter id == 2 | select name, id\nlet r = a | union b"
        ),
        "id,name\n1,ann\n1,ann\n2,bob\n"
    );
    assert_eq!(
        one(
            "let r = people | filter id == 1 | take 1 | derive parts = split(\"x y\", \" \") | explode parts | select id, parts"
        ),
        "id,parts\n1,x\n1,y\n"
    );
    let all = one("let r = people | sample 1.0");
    assert_eq!(all.lines().count(), 7);
    assert_eq!(
        one("let r = people | sample 0.0"),
        "id,name,dept,age,score\n"
    );
    let out = run("let a, b = people | split 0.5, 0.5 seed 3", &["a", "b"]);
    assert_eq!(
        out[0].lines().count() + out[1].lines().count() - 2,
        6,
        "every row in exactly one part"
    );
    let strat = run(
        "let a, b = people | fill_null { dept = \"z\" } | split 0.5, 0.5 seed 1 stratify dept",
        &["a", "b"],
    );
    assert_eq!(
        strat[0].lines().filter(|l| l.contains(",a,")).count(),
        1,
        "stratum a (3 rows) split 1/2:\n{}",
        strat[0]
    );
    let parts =
        one("let r = people | repartition hash(dept, 3) | group dept { n = count() } | sort dept");
    assert_eq!(parts, "dept,n\na,3\nb,1\nc,1\n,1\n", "nulls sort last");
}

#[test]
fn other_sink_and_source_formats_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("people.csv"), PEOPLE).expect("write");
    let d = dir.path().display();
    let write = format!(
        "source people = csv(\"{d}/people.csv\")\nsink people -> parquet(\"{d}/p.parquet\")\nsink people -> arrow(\"{d}/p.arrow\")\n\
         sink people -> jsonl(\"{d}/p.jsonl\")\nsink people -> json(\"{d}/p.json\")\nsink people -> tsv(\"{d}/p.tsv\")\n"
    );
    let c = sluice_compiler::compile(&SourceFile::new("w.sluice", write), &Default::default())
        .expect("compiles");
    sluice_runtime::run(&c.plan, &RunOptions::default()).expect("writes");
    for format in ["parquet", "arrow", "jsonl", "tsv"] {
        let read = format!(
            "source s = {format}(\"{d}/p.{format}\")\nlet r = s | group {{ n = count(), total = sum(age) }}\nsink r -> csv(\"{d}/{format}.csv\")\n"
        );
        let c = sluice_compiler::compile(&SourceFile::new("r.sluice", read), &Default::default())
            .unwrap_or_else(|e| panic!("{format}: {e:#?}"));
        sluice_runtime::run(&c.plan, &RunOptions::default()).expect("reads");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(format!("{format}.csv"))).expect("out"),
            "n,total\n6,156\n",
            "{format}"
        );
    }
    let json = std::fs::read_to_string(dir.path().join("p.json")).expect("json");
    assert!(json.starts_with("[{\"id\":1,\"name\":\"ann\""), "{json}");
}
