//! The CSV reader loses nothing in silence: text after a closing quote, an unclosed
//! quote, invalid UTF-8 and padded numbers are each what the mode makes of a bad (or
//! good) field; quotes inside unquoted fields do not disturb morsel cutting; a blank line
//! of a one-column file is a null. A property test: random CSV bytes read as one morsel
//! on one thread and as tiny morsels on one and eight threads give the same rows, the
//! same bad-row counts and the same first error.

mod common;

use common::{Configuration, Rng, run_text_in_morsels};
use proptest::prelude::*;

/// The output text and bad-row count of reading `bytes` in `mode`, or the error.
fn read(
    bytes: &[u8],
    mode: &str,
    config: Configuration,
    morsel: u64,
) -> Result<(String, u64), String> {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("in.csv"), bytes).expect("write");
    let text = format!(
        "pipeline q\nsource t = csv(\"in.csv\", header = true, mode = \"{mode}\") {{ a: string, b: int64, c: string }}\nsink t -> csv(\"out.csv\")\n"
    );
    let summary = run_text_in_morsels(dir.path(), &text, config, Some(morsel)).map_err(|e| {
        e.to_string()
            .replace(&dir.path().display().to_string(), "<dir>")
    })?;
    let out = std::fs::read_to_string(dir.path().join("out.csv")).expect("out");
    Ok((out, summary.sources[0].bad_rows))
}

fn permissive(bytes: &[u8]) -> (String, u64) {
    read(bytes, "permissive", Configuration::JitOffOneThread, 1 << 20).expect("permissive reads")
}

#[test]
fn text_after_a_closing_quote_makes_the_row_bad_in_every_mode() {
    let bytes = b"a,b,c\nx,1,\"abc\"def\ny,2,z\n";
    assert_eq!(permissive(bytes), ("a,b,c\nx,1,\ny,2,z\n".to_string(), 1));
    let dropped = read(
        bytes,
        "drop_malformed",
        Configuration::JitOffOneThread,
        1 << 20,
    );
    assert_eq!(dropped, Ok(("a,b,c\ny,2,z\n".to_string(), 1)));
    let err = read(bytes, "fail_fast", Configuration::JitOffOneThread, 1 << 20).expect_err("bad");
    assert!(
        err.contains("text after a closing quote") && err.contains(":2:"),
        "{err}"
    );
}

#[test]
fn an_unclosed_quote_and_invalid_utf8_are_bad_rows() {
    assert_eq!(
        permissive(b"a,b,c\nx,1,\"never closed\n"),
        ("a,b,c\nx,1,\n".to_string(), 1)
    );
    let (out, bad) = permissive(b"a,b,c\nx\xff,1,ok\n");
    assert_eq!((out.as_str(), bad), ("a,b,c\n,1,ok\n", 1));
    let err = read(
        b"a,b,c\nx\xff,1,ok\n",
        "fail_fast",
        Configuration::JitOffOneThread,
        1 << 20,
    )
    .expect_err("bad");
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn padded_numbers_read_as_they_infer() {
    assert_eq!(
        permissive(b"a,b,c\nx, 1 ,y\n"),
        ("a,b,c\nx,1,y\n".to_string(), 0)
    );
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("in.csv"), "n\n 1 \n 22\n").expect("write");
    let text = "pipeline q\nsource t = csv(\"in.csv\", header = true)\nlet s = t | derive m = n * 2\nsink s -> csv(\"out.csv\")\n";
    let summary = common::run_text(dir.path(), text, Configuration::JitOffOneThread).expect("run");
    assert_eq!(summary.sources[0].bad_rows, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).expect("out"),
        "n,m\n1,2\n22,44\n"
    );
}

#[test]
fn blank_lines_of_a_one_column_file_are_nulls() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("in.csv"), "v\n1\n\n3\n").expect("write");
    let text = "pipeline q\nsource t = csv(\"in.csv\", header = true)\nlet c = t | group { rows = count(), values = count(v) }\nsink c -> csv(\"out.csv\")\n";
    common::run_text(dir.path(), text, Configuration::JitOffOneThread).expect("run");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).expect("out"),
        "rows,values\n3,2\n"
    );
}

#[test]
fn a_quote_inside_an_unquoted_field_does_not_disturb_morsels() {
    let mut bytes = b"a,b,c\n".to_vec();
    for i in 0..3000 {
        bytes.extend_from_slice(format!("5'11\" tall,{i},x\ny,{i},\"two\nlines\"\n").as_bytes());
    }
    let one = read(&bytes, "fail_fast", Configuration::JitOffOneThread, 1 << 30);
    let tiny = read(&bytes, "fail_fast", Configuration::EightThreads, 100);
    assert!(one.is_ok(), "{one:?}");
    assert_eq!(one, tiny);
    assert_eq!(one.map(|(_, bad)| bad), Ok(0));
}

/// Random CSV-ish bytes: the characters that matter to the splitter, mostly.
fn random_csv(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng(seed);
    let alphabet: &[&[u8]] = &[
        b"a",
        b"1",
        b"22",
        b",",
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\n",
        b"\r\n",
        b" ",
        b"'",
        b"\xff",
        b"\xc3\xa9",
        b"x",
    ];
    let mut out = b"a,b,c\n".to_vec();
    while out.len() < len {
        out.extend_from_slice(alphabet[rng.below(alphabet.len())]);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tiny_morsels_and_threads_read_what_one_morsel_reads(seed in any::<u64>(), len in 8usize..400, mode in 0usize..3, morsel in 8u64..64) {
        let bytes = random_csv(seed, len);
        let mode = ["permissive", "drop_malformed", "fail_fast"][mode];
        let one = read(&bytes, mode, Configuration::JitOffOneThread, 1 << 30);
        for config in [Configuration::JitOffOneThread, Configuration::EightThreads] {
            let tiny = read(&bytes, mode, config, morsel);
            prop_assert_eq!(&one, &tiny, "{} in {:?} morsels of {}: {:?}", mode, config, morsel, String::from_utf8_lossy(&bytes));
        }
    }
}
