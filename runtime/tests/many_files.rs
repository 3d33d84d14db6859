//! Sources over many files: folders, globs, hive partitions (with pruning), files with
//! different columns, `filename`, and the CSV options real files need (`::`
//! delimiters, skipped lines, comments).

mod common;

use common::*;
use std::path::Path;

/// The earthquake file split into `decade=D/year=Y/part.csv` folders, each file with
/// the header; returns each year's file size.
fn split_by_year(data: &Path, into: &Path) -> std::collections::BTreeMap<i64, u64> {
    let text = std::fs::read_to_string(data.join("earthquakes/database.csv")).expect("data");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let mut by_year: std::collections::BTreeMap<i64, String> = Default::default();
    for line in lines {
        let date = line.split(',').next().expect("date");
        // `MM/DD/YYYY`, or an ISO timestamp in three rows.
        let year: i64 = if date.contains('/') {
            date.rsplit('/')
                .next()
                .expect("year")
                .parse()
                .expect("year")
        } else {
            date[..4].parse().expect("year")
        };
        let file = by_year.entry(year).or_insert_with(|| format!("{header}\n"));
        file.push_str(line);
        file.push('\n');
    }
    by_year
        .into_iter()
        .map(|(year, text)| {
            let folder = into.join(format!("decade={}/year={year}", year / 10 * 10));
            std::fs::create_dir_all(&folder).expect("folder");
            std::fs::write(folder.join("part-0.csv"), &text).expect("write");
            (year, text.len() as u64)
        })
        .collect()
}

#[test]
fn a_folder_of_partitioned_csvs_reads_as_the_one_file_does() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    split_by_year(&data, &dir.path().join("quakes"));
    let whole = data.join("earthquakes/database.csv");
    let text = format!(
        "source whole = csv(\"{}\")\n\
         source parts = csv(\"quakes/\")\n\
         let a = whole | derive year = coalesce(year(parse_date(Date, \"%m/%d/%Y\")), year(parse_timestamp(Date))) | group year {{ n = count(), m = max(Magnitude), d = min(Depth) }} | sort year\n\
         let b = parts | group year {{ n = count(), m = max(Magnitude), d = min(Depth) }} | sort year\n\
         sink a -> csv(\"a.csv\")\n\
         sink b -> csv(\"b.csv\")\n",
        whole.display()
    );
    for config in [
        Configuration::Default,
        Configuration::NoOptimize,
        Configuration::TinyThresholds,
    ] {
        let summary = run_text_in_morsels(dir.path(), &text, config, Some(16 << 10)).expect("runs");
        let parts = summary
            .sources
            .iter()
            .find(|s| s.name == "parts")
            .expect("parts");
        assert_eq!(parts.rows, 23_412);
        let a = std::fs::read_to_string(dir.path().join("a.csv")).expect("a");
        let b = std::fs::read_to_string(dir.path().join("b.csv")).expect("b");
        assert_eq!(a, b, "{config:?}");
        assert_eq!(a.lines().count(), 1 + 52, "52 years, 1965-2016");
    }
}

#[test]
fn a_filter_on_partition_columns_reads_only_the_matching_files() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let sizes = split_by_year(&data, &dir.path().join("quakes"));
    let text = "source q = csv(\"quakes/\")\n\
                let y = q | filter year == 2011 or (decade == 1970 and year < 1972) | group year { n = count() } | sort year\n\
                sink y -> csv(\"y.csv\")\n";
    let summary = run_text_in_morsels(dir.path(), text, Configuration::Default, Some(16 << 10))
        .expect("runs");
    let q = &summary.sources[0];
    assert_eq!(
        q.bytes_read,
        sizes[&2011] + sizes[&1970] + sizes[&1971],
        "only the three years' files are read"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("y.csv")).expect("y"),
        "year,n\n1970,345\n1971,386\n2011,713\n"
    );
    // A filter mixing a partition column and a file column is applied after reading.
    let text = "source q = csv(\"quakes/\")\n\
                let y = q | filter year == 2011 or Magnitude > 8.7 | group year { n = count() } | sort year\n\
                sink y -> csv(\"y.csv\")\n";
    run_text_in_morsels(dir.path(), text, Configuration::Default, Some(16 << 10)).expect("runs");
    let got = std::fs::read_to_string(dir.path().join("y.csv")).expect("y");
    assert!(
        got.contains("2011,713\n") && got.contains("2004,1\n"),
        "{got}"
    );
}

#[test]
fn files_with_different_columns_are_matched_by_name_when_asked() {
    let files: &[(&str, &[u8])] = &[
        ("in/a.csv", b"id,name\n1,x\n2,y\n"),
        ("in/b.csv", b"label,id\nfirst,3\n"),
        ("in/sub/c.csv", b"id\n4\n"),
        ("in/_SUCCESS", b""),
    ];
    let text = "source s = csv(\"in/\", union_by_name = true, filename = true)\n\
                let t = s | derive f = replace(filename, \"\\\\\", \"/\") | select id, name, label, f\n\
                sink t -> csv(\"out.csv\")\n";
    let out = run_everywhere(files, text, &["out.csv"]);
    assert_eq!(
        out[0],
        "id,name,label,f\n1,x,,in/a.csv\n2,y,,in/a.csv\n3,,first,in/b.csv\n4,,,in/sub/c.csv\n"
    );
}

#[test]
fn globs_of_parquet_and_json_lines_files_read_as_one_relation() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Parquet files written by Sluice itself, in hive folders.
    for (day, rows) in [("2024-01-01", "1,a\n2,b\n"), ("2024-01-02", "3,c\n")] {
        std::fs::write(dir.path().join("in.csv"), format!("n,s\n{rows}")).expect("write");
        std::fs::create_dir_all(dir.path().join(format!("events/day={day}"))).expect("dir");
        let text = format!(
            "source i = csv(\"in.csv\")\nsink i -> parquet(\"events/day={day}/part-0.parquet\")\n"
        );
        run_text(dir.path(), &text, Configuration::Default).expect("writes");
    }
    std::fs::create_dir_all(dir.path().join("logs")).expect("dir");
    std::fs::write(dir.path().join("logs/1.jsonl"), "{\"n\": 1}\n").expect("write");
    std::fs::write(
        dir.path().join("logs/2.jsonl"),
        "{\"n\": 2.5, \"s\": \"q\"}\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("logs/skip.txt"), "not json").expect("write");
    let text = "source e = parquet(\"events/*/*.parquet\")\n\
                source l = jsonl(\"logs/*.jsonl\")\n\
                let late = e | filter day > date(\"2024-01-01\")\n\
                sink late -> csv(\"late.csv\")\n\
                sink l -> csv(\"l.csv\")\n";
    let text = text.replace(
        "date(\"2024-01-01\")",
        "parse_date(\"2024-01-01\", \"%Y-%m-%d\")",
    );
    for config in Configuration::ALL {
        let summary = run_text(dir.path(), &text, config).expect("runs");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("late.csv")).expect("late"),
            "n,s,day\n3,c,2024-01-02\n",
            "{config:?}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("l.csv")).expect("l"),
            "n,s\n1.0,\n2.5,q\n"
        );
        if config == Configuration::Default {
            let e = summary.sources.iter().find(|s| s.name == "e").expect("e");
            assert_eq!(e.rows, 1, "the first day's file is pruned");
        }
    }
}

#[test]
fn multi_byte_delimiters_skipped_lines_and_comments() {
    let files: &[(&str, &[u8])] = &[(
        "r.dat",
        b"exported 2024-01-01, \"draft\nversion 2\nuser::movie::title\n# a comment with a \"quote\n1::10::\"Heat :: the film\"\n2::20::Up\n#\n3::30::a:b\n",
    )];
    let text = "source r = csv(\"r.dat\", delimiter = \"::\", skip_rows = 2, comment = \"#\")\n\
                sink r -> csv(\"out.csv\")\n";
    let out = run_everywhere(files, text, &["out.csv"]);
    assert_eq!(
        out[0],
        "user,movie,title\n1,10,Heat :: the film\n2,20,Up\n3,30,a:b\n"
    );
}

#[test]
fn movielens_ratings_read_with_their_double_colon_delimiter() {
    let Some(data) = shared_data() else { return };
    let path = data.join("spark-samples/sample_movielens_ratings.txt");
    let text = format!(
        "source r = csv(\"{}\", delimiter = \"::\", header = false) {{ user: int64, movie: int64, rating: float64, ts: int64 }}\n\
         let s = r | group {{ n = count(), users = count_distinct(user), movies = count_distinct(movie), lo = min(rating), hi = max(rating) }}\n\
         sink s -> csv(\"s.csv\")\n",
        path.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = run_text(dir.path(), &text, Configuration::Default).expect("runs");
    assert_eq!(summary.sources[0].bad_rows, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.csv")).expect("s"),
        "n,users,movies,lo,hi\n1501,30,100,1.0,5.0\n"
    );
}
