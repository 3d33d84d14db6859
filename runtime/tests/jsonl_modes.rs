//! JSON lines follow the source's `mode` as CSV does: a bad line is a row of nulls
//! (`permissive`), dropped (`drop_malformed`), or the error at `file:line`
//! (`fail_fast`); both others count it and `bad_rows` keeps it.

mod common;

use common::{Configuration, run_text};

const LINES: &str = "{\"a\": 1, \"s\": \"x\"}\n{\"a\": 2, \"s\": \"y\"}\n{\"a\": \"three\", \"s\": \"z\"}\nnot json\n{\"a\": 5, \"s\": \"w\"}\n";

fn read(mode: &str) -> Result<(String, u64, String), String> {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("in.jsonl"), LINES).expect("write");
    let text = format!(
        "pipeline j\nsource t = jsonl(\"in.jsonl\", mode = \"{mode}\", bad_rows = \"bad.csv\") {{ a: int64, s: string }}\nsink t -> csv(\"out.csv\")\n"
    );
    let summary = run_text(dir.path(), &text, Configuration::JitOffOneThread).map_err(|e| {
        e.to_string()
            .replace(&dir.path().display().to_string(), "<dir>")
    })?;
    let out = std::fs::read_to_string(dir.path().join("out.csv")).expect("out");
    let bad = std::fs::read_to_string(dir.path().join("bad.csv")).expect("bad rows");
    Ok((out, summary.sources[0].bad_rows, bad))
}

#[test]
fn bad_lines_follow_the_mode_with_their_line_numbers() {
    let (out, count, bad) = read("permissive").expect("permissive");
    assert_eq!(out, "a,s\n1,x\n2,y\n,\n,\n5,w\n");
    assert_eq!(count, 2);
    assert!(bad.starts_with("line,reason,text\n3,"), "{bad}");
    assert!(bad.contains("\n4,"), "{bad}");
    let (out, count, _) = read("drop_malformed").expect("drop");
    assert_eq!((out.as_str(), count), ("a,s\n1,x\n2,y\n5,w\n", 2));
    let err = read("fail_fast").expect_err("fail fast");
    assert!(err.starts_with("<dir>/in.jsonl:3"), "{err}");
}
