//! Damaged input files are errors that name the file, never a crash and never fewer
//! rows in silence: Arrow IPC files and streams and Parquet files with bytes flipped,
//! and an Arrow stream cut at a message boundary.

mod common;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::{Configuration, Rng, run_text};
use std::sync::Arc;

fn batch(from: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
    ]));
    let ids: Vec<i64> = (from..from + 100).collect();
    let names: Vec<Option<String>> = ids.iter().map(|i| Some(format!("n{i}"))).collect();
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(names)),
        ],
    )
    .expect("batch")
}

/// An Arrow IPC stream of two batches, and the length after the first one.
fn stream() -> (Vec<u8>, usize) {
    let mut bytes = Vec::new();
    let mut w =
        arrow::ipc::writer::StreamWriter::try_new(&mut bytes, &batch(0).schema()).expect("writer");
    w.write(&batch(0)).expect("write");
    w.flush().expect("flush");
    let first = w.get_ref().len();
    w.write(&batch(100)).expect("write");
    w.finish().expect("finish");
    drop(w);
    (bytes, first)
}

fn arrow_file() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut w =
        arrow::ipc::writer::FileWriter::try_new(&mut bytes, &batch(0).schema()).expect("writer");
    w.write(&batch(0)).expect("write");
    w.write(&batch(100)).expect("write");
    w.finish().expect("finish");
    drop(w);
    bytes
}

fn parquet_file() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, batch(0).schema(), None).expect("writer");
    w.write(&batch(0)).expect("write");
    w.flush().expect("flush");
    w.write(&batch(100)).expect("write");
    w.close().expect("close");
    bytes
}

const PIPELINE: &str = "pipeline damaged\nsource t = FORMAT(\"data.bin\")\nlet c = t | group name { n = count(), s = sum(id) }\nsink c -> csv(\"out.csv\")\n";

fn run(dir: &tempfile::TempDir, format: &str, bytes: &[u8]) -> Result<usize, String> {
    std::fs::write(dir.path().join("data.bin"), bytes).expect("write");
    let text = PIPELINE.replace("FORMAT", format);
    // A damaged header may already fail the compile; that is a diagnostic, not a crash.
    let file = sluice_compiler::SourceFile::new("damaged.sluice", text.clone());
    let resolve = sluice_compiler::ResolveOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    if let Err(d) = sluice_compiler::compile(&file, &resolve) {
        return Err(d[0].message.clone());
    }
    // The default configuration: `--jit auto` also opens the file to count its rows.
    run_text(dir.path(), &text, Configuration::Default)
        .map(|s| s.sinks.iter().map(|k| k.rows as usize).sum())
        .map_err(|e| e.to_string())
}

#[test]
fn an_arrow_stream_cut_at_a_message_boundary_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let (bytes, first) = stream();
    assert_eq!(run(&dir, "arrow", &bytes), Ok(200));
    let err = run(&dir, "arrow", &bytes[..first]).expect_err("cut short");
    assert!(err.contains("end-of-stream marker"), "{err}");
    assert!(err.contains("data.bin"), "{err}");
}

#[test]
fn flipped_bytes_in_arrow_and_parquet_files_never_crash() {
    let dir = tempfile::tempdir().expect("dir");
    let (stream, _) = stream();
    let mut rng = Rng(13);
    for (format, original) in [
        ("arrow", stream),
        ("arrow", arrow_file()),
        ("parquet", parquet_file()),
    ] {
        assert_eq!(run(&dir, format, &original), Ok(200), "{format} intact");
        for _ in 0..150 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next_u64() as u8;
            }
            // Either an error naming the file or a result; a panic fails the test.
            if let Err(e) = run(&dir, format, &bytes) {
                assert!(!e.contains("internal error"), "{format}: {e}");
            }
        }
    }
}

/// Inputs the fuzz targets (fuzz/) found crashing a reader, kept as fixtures: each is an
/// error or a result now. `runtime/tests/fixtures/fuzz/*.arrow|*.parquet|*.jsonl`.
#[test]
fn inputs_the_fuzzers_found_read_without_crashing() {
    let dir = tempfile::tempdir().expect("dir");
    let fixtures = common::root().join("runtime/tests/fixtures/fuzz");
    let mut read = 0;
    for entry in std::fs::read_dir(fixtures).expect("fixtures").flatten() {
        let path = entry.path();
        let Some(format) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let bytes = std::fs::read(&path).expect("fixture");
        if let Err(e) = run(&dir, format, &bytes) {
            assert!(!e.contains("internal error"), "{}: {e}", path.display());
        }
        read += 1;
    }
    assert!(read > 0);
}
