//! Sinks that write folders: `partition_by` (hive folders, read back with pruning) and
//! the save modes `overwrite`, `append` and `error_if_exists`.

mod common;

use common::*;
use std::path::Path;

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("list") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).expect("under").display().to_string());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_partitioned_parquet_output_reads_back_whole_and_with_pruning() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let quakes = data.join("earthquakes/database.csv");
    let write = format!(
        "source q = csv(\"{}\")\n\
         let t = q | derive year = coalesce(year(parse_date(Date, \"%m/%d/%Y\")), year(parse_timestamp(Date))) | select ID, year, Type, Magnitude\n\
         sink t -> parquet(\"out/quakes\", partition_by = [year, Type])\n\
         sink t -> csv(\"all.csv\")\n",
        quakes.display()
    );
    run_text_in_morsels(dir.path(), &write, Configuration::Default, Some(64 << 10))
        .expect("writes");
    let files = files_under(&dir.path().join("out/quakes"));
    assert!(files.contains(&"year=2011/Type=Earthquake/part-00000.parquet".to_string()));
    assert!(files.contains(&"year=1996/Type=Nuclear Explosion/part-00000.parquet".to_string()));
    // Read back: the same rows (the key columns restored from the folders, last).
    let read = "source p = parquet(\"out/quakes/\")\n\
                let back = p | select ID, year, Type, Magnitude | sort ID\n\
                source a = csv(\"all.csv\")\n\
                let orig = a | sort ID\n\
                sink back -> csv(\"back.csv\")\n\
                sink orig -> csv(\"orig.csv\")\n";
    for config in Configuration::ALL {
        run_text_in_morsels(dir.path(), read, config, Some(64 << 10)).expect("reads");
        let back = std::fs::read_to_string(dir.path().join("back.csv")).expect("back");
        let orig = std::fs::read_to_string(dir.path().join("orig.csv")).expect("orig");
        assert_eq!(back, orig, "{config:?}");
        assert_eq!(back.lines().count(), 23_413);
    }
    // A filter on the keys opens only the matching folders' files.
    let pruned = "source p = parquet(\"out/quakes/\")\n\
                  let y = p | filter year == 2011 and Type == \"Earthquake\" | group { n = count() }\n\
                  sink y -> csv(\"y.csv\")\n";
    let summary = run_text(dir.path(), pruned, Configuration::Default).expect("reads");
    assert_eq!(
        summary.sources[0].rows, 713,
        "only the one file's rows are read"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("y.csv")).expect("y"),
        "n\n713\n"
    );
}

#[test]
fn every_text_format_partitions_and_reads_back_nulls_and_odd_values() {
    let input = "k,v,x\na/b,1,10\n,2,20\na/b,3,30\nc=d,4,40\n";
    for format in ["csv", "jsonl", "parquet", "tsv"] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("in.csv"), input).expect("input");
        let text = format!(
            "source i = csv(\"in.csv\")\nsink i -> {format}(\"out\", partition_by = [k])\n"
        );
        run_text(dir.path(), &text, Configuration::Default).expect("writes");
        let files = files_under(&dir.path().join("out"));
        assert_eq!(
            files,
            [
                format!("k=__HIVE_DEFAULT_PARTITION__/part-00000.{format}"),
                format!("k=a%2Fb/part-00000.{format}"),
                format!("k=c%3Dd/part-00000.{format}"),
            ],
            "{format}"
        );
        let back = format!(
            "source o = {format}(\"out/\")\nlet s = o | select k, v, x | sort v\nsink s -> csv(\"back.csv\")\n"
        );
        run_text(dir.path(), &back, Configuration::Default).expect("reads");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("back.csv")).expect("back"),
            input,
            "{format}"
        );
    }
}

#[test]
fn overwrite_replaces_the_folder_and_append_only_adds_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |rows: &str, mode: &str| {
        std::fs::write(dir.path().join("in.csv"), format!("k,v\n{rows}")).expect("input");
        let text = format!(
            "source i = csv(\"in.csv\")\nsink i -> csv(\"out\", partition_by = [k], mode = {mode})\n"
        );
        run_text(dir.path(), &text, Configuration::Default)
    };
    write("a,1\nb,2\n", "overwrite").expect("first");
    write("a,3\n", "overwrite").expect("second");
    assert_eq!(
        files_under(&dir.path().join("out")),
        ["k=a/part-00000.csv"],
        "the old folder is gone"
    );
    write("a,4\nc,5\n", "append").expect("append");
    let files = files_under(&dir.path().join("out"));
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/k=a/part-00000.csv")).expect("old"),
        "v\n3\n",
        "appending never rewrites an old file"
    );
    let back = "source o = csv(\"out/\")\nlet s = o | sort v\nsink s -> csv(\"back.csv\")\n";
    run_text(dir.path(), back, Configuration::Default).expect("reads");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("back.csv")).expect("back"),
        "v,k\n3,a\n4,a\n5,c\n"
    );
    // error_if_exists refuses, and leaves everything as it was.
    let err = write("z,9\n", "error_if_exists").expect_err("refused");
    assert!(err.to_string().contains("error_if_exists"), "{err}");
    assert_eq!(files_under(&dir.path().join("out")).len(), 3);
    // No temporary is left beside the folder.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".sluice-")), "{names:?}");
}

#[test]
fn a_single_file_sink_with_error_if_exists_refuses_an_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.csv"), "k\n1\n").expect("input");
    std::fs::write(dir.path().join("out.csv"), "old\n").expect("old");
    let text = "source i = csv(\"in.csv\")\nsink i -> csv(\"out.csv\", mode = error_if_exists)\n";
    let err = run_text(dir.path(), text, Configuration::Default).expect_err("refused");
    assert!(err.to_string().contains("exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).expect("old"),
        "old\n"
    );
}
