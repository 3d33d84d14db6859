//! Caching: a relation read twice is computed once; `@cache(disk)` goes through Arrow
//! IPC files in the cache directory, which is removed unless kept.

use sluice_compiler::SourceFile;
use sluice_runtime::RunOptions;

fn pipeline(dir: &std::path::Path, hint: &str) -> SourceFile {
    std::fs::write(dir.join("in.csv"), "k,v\na,1\nb,2\na,3\n").expect("write");
    let d = dir.display();
    SourceFile::new(
        "cache.sluice",
        format!(
            "source s = csv(\"{d}/in.csv\")\nlet shared = s | filter v > 1 {hint}\nlet a = shared | group k {{ n = count() }}\n\
             let b = shared | sort v desc\nsink a -> csv(\"{d}/a.csv\")\nsink b -> csv(\"{d}/b.csv\")\n"
        ),
    )
}

fn run(
    dir: &std::path::Path,
    hint: &str,
    keep: bool,
) -> (sluice_runtime::RunSummary, std::path::PathBuf) {
    let cache = dir.join("cache");
    let compiled =
        sluice_compiler::compile(&pipeline(dir, hint), &Default::default()).expect("compiles");
    let options = RunOptions {
        cache_dir: Some(cache.clone()),
        keep_cache: keep,
        ..Default::default()
    };
    (
        sluice_runtime::run(
            &sluice_runtime::optimize(&compiled.plan, &[]).plan,
            &options,
        )
        .expect("runs"),
        cache,
    )
}

#[test]
fn a_shared_relation_is_computed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (summary, cache) = run(dir.path(), "", false);
    assert_eq!(summary.cache_hits, 1);
    assert_eq!(summary.sources[0].rows, 3, "the source was read once");
    assert!(!cache.exists(), "memory caching writes nothing");
}

#[test]
fn disk_cache_goes_through_ipc_files_and_is_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (summary, cache) = run(dir.path(), "@cache(disk)", true);
    assert_eq!(summary.cache_hits, 1);
    let files: Vec<_> = std::fs::read_dir(&cache).expect("kept").flatten().collect();
    assert!(
        !files.is_empty()
            && files
                .iter()
                .all(|f| f.path().extension().is_some_and(|e| e == "arrow"))
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.csv")).expect("a"),
        "k,n\nb,1\na,1\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.csv")).expect("b"),
        "k,v\na,3\nb,2\n"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (_, cache) = run(dir.path(), "@cache(memory_and_disk)", false);
    assert!(!cache.exists(), "removed at the end of the run");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.csv")).expect("b"),
        "k,v\na,3\nb,2\n"
    );
}
