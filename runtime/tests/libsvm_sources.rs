#![allow(clippy::panic)] // a failed expectation is a failed test
//! LIBSVM sources on Spark's own MLlib samples (`../shared/data/spark-samples`): the
//! vectors read with Spark's width rule, models trained on them directly (no assembling),
//! a model file scoring another read of the data, and bad lines following the mode.

mod common;
use common::{Configuration, read_csv, run_text, shared_data};

fn samples() -> Option<std::path::PathBuf> {
    Some(shared_data()?.join("spark-samples"))
}

#[test]
fn vectors_take_the_largest_index_or_num_features_as_their_width() {
    let Some(dir) = samples() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "source d = libsvm(\"{0}/sample_libsvm_data.txt\")\n\
         source w = libsvm(\"{0}/sample_multiclass_classification_data.txt\", num_features = 6)\n\
         let widths = d | derive n = length(features) | group {{ rows = count(), n = max(n), lo = min(n), ones = sum(label) }}\n\
         let wide = w | derive n = length(features), last = features[6] | group {{ rows = count(), n = max(n), last = max(last) }}\n\
         sink widths -> csv(\"widths.csv\")\n\
         sink wide -> csv(\"wide.csv\")\n",
        dir.display()
    );
    for config in Configuration::ALL {
        if let Err(e) = run_text(out.path(), &text, config) {
            panic!("{config:?}: {e}");
        }
        // 100 rows of 692 features (Spark's width for this file), 57 labelled 1.
        assert_eq!(
            read_csv(&out.path().join("widths.csv"))[1],
            ["100", "692", "692", "57.0"]
        );
        // 150 rows (trailing spaces and left-out features included), 6 wide, the 6th
        // always zero.
        assert_eq!(
            read_csv(&out.path().join("wide.csv"))[1],
            ["150", "6", "0.0"]
        );
    }
}

#[test]
fn a_model_trains_on_the_vectors_and_its_file_scores_them_again() {
    let Some(dir) = samples() else { return };
    let out = tempfile::tempdir().expect("tempdir");
    let train = format!(
        "source d = libsvm(\"{}/sample_libsvm_data.txt\")\n\
         let train, test = d | split 0.7, 0.3 seed 7\n\
         model m = train | fit logistic_regression(label = label, features = [features])\n\
         let scored = test | predict m | evaluate binary(label = label)\n\
         sink scored -> csv(\"metrics.csv\")\n\
         sink m -> model(\"m.model\")\n",
        dir.display()
    );
    run_text(out.path(), &train, Configuration::Default).expect("train");
    let metrics = read_csv(&out.path().join("metrics.csv"));
    let accuracy = metrics[0]
        .iter()
        .position(|c| c == "accuracy")
        .expect("column");
    // Spark's LogisticRegression separates this data perfectly too.
    assert_eq!(metrics[1][accuracy], "1.0");
    let score = format!(
        "source d = libsvm(\"{}/sample_libsvm_data.txt\", num_features = 692)\n\
         source m = model(\"m.model\")\n\
         let scored = d | predict m | evaluate binary(label = label)\n\
         sink scored -> csv(\"again.csv\")\n",
        dir.display()
    );
    run_text(out.path(), &score, Configuration::Default).expect("score");
    assert!(read_csv(&out.path().join("again.csv"))[1][accuracy].starts_with("1"));
    // Vectors of another width are an error naming the widths, not a wrong answer.
    let wider = score.replace("num_features = 692", "num_features = 700");
    let e = run_text(out.path(), &wider, Configuration::Default).expect_err("width");
    assert!(
        e.to_string()
            .contains("reads 692 features but these rows give 700"),
        "{e}"
    );
}

#[test]
fn bad_lines_follow_the_mode_and_are_located() {
    let out = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        out.path().join("d.txt"),
        "1 1:2 3:1\n# a comment\n0 2:x\n\n1 3:1 2:2 # out of order\n-1 2:0.5\n",
    )
    .expect("write");
    let text = |mode: &str| {
        format!(
            "source d = libsvm(\"d.txt\", mode = \"{mode}\")\n\
             let s = d | derive w = length(features) | group {{ rows = count(), labelled = count(label), w = max(w) }}\n\
             sink s -> csv(\"s.csv\")\n"
        )
    };
    run_text(out.path(), &text("permissive"), Configuration::Default).expect("permissive");
    assert_eq!(read_csv(&out.path().join("s.csv"))[1], ["4", "2", "3"]);
    run_text(out.path(), &text("drop_malformed"), Configuration::Default).expect("drop");
    assert_eq!(read_csv(&out.path().join("s.csv"))[1], ["2", "2", "3"]);
    let e = run_text(out.path(), &text("fail_fast"), Configuration::Default).expect_err("fail");
    let message = e.to_string();
    assert!(message.contains("d.txt:3:3"), "{message}");
    assert!(message.contains("`x` is not a number"), "{message}");
}
