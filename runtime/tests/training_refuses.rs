//! Training refuses what cannot be fitted instead of looping or writing a model that
//! does not read back: an infinite feature (`1e400` in a CSV) is an error naming the
//! column, for every estimator, and the model file already there is kept; a model
//! whose fit has a zero smoothing still reads back.

mod common;

use common::{Configuration, run_text};
use std::sync::mpsc;
use std::time::Duration;

fn run_within(dir: &std::path::Path, text: &str) -> Result<(), String> {
    let (send, receive) = mpsc::channel();
    let (dir, text) = (dir.to_path_buf(), text.to_string());
    std::thread::spawn(move || {
        let r = run_text(&dir, &text, Configuration::JitOffOneThread).map_err(|e| e.to_string());
        let _ = send.send(r.map(|_| ()));
    });
    receive
        .recv_timeout(Duration::from_secs(120))
        .expect("training finished (it used to loop forever)")
}

#[test]
fn an_infinite_feature_is_refused_by_every_estimator_and_the_old_model_is_kept() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("t.csv"),
        "x,y,label\n1,2,0\n1e400,3,1\n2,4,0\n3,1,1\n4,2,0\n",
    )
    .expect("write");
    for fit in [
        "logistic_regression(label = label, features = [x, y], max_iter = 2)",
        "linear_regression(label = label, features = [x, y])",
        "kmeans(k = 2, features = [x, y])",
        "naive_bayes(label = label, features = [x, y], kind = multinomial)",
        "naive_bayes(label = label, features = [x, y], kind = gaussian)",
        "decision_tree(label = label, features = [x, y])",
    ] {
        let model = dir.path().join("m.model");
        std::fs::write(&model, "the old model").expect("write");
        let text = format!(
            "pipeline p\nsource t = csv(\"t.csv\", header = true)\nmodel m = t | fit {fit}\nsink m -> model(\"m.model\")\n"
        );
        let err = run_within(dir.path(), &text).expect_err(fit);
        assert!(err.contains("`x` is infinite"), "{fit}: {err}");
        assert_eq!(
            std::fs::read_to_string(&model).expect("model"),
            "the old model",
            "{fit}: the old model is kept"
        );
    }
}

#[test]
fn an_infinite_label_is_refused_and_a_zero_smoothing_reads_back() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("t.csv"),
        "x,y,label\n1,0,0\n0,3,1\n2,0,0\n3,1,1\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("r.csv"), "x,y\n1,2\n2,1e400\n").expect("write");
    let err = run_within(
        dir.path(),
        "pipeline p\nsource t = csv(\"r.csv\", header = true)\nmodel m = t | fit linear_regression(label = y, features = [x])\nsink m -> model(\"r.model\")\n",
    )
    .expect_err("infinite label");
    assert!(err.contains("label `y` is infinite"), "{err}");
    run_within(
        dir.path(),
        "pipeline p\nsource t = csv(\"t.csv\", header = true)\nmodel m = t | fit naive_bayes(label = label, features = [x, y], kind = multinomial, smoothing = 0.0)\nsink m -> model(\"nb.model\")\n",
    )
    .expect("fit");
    run_within(
        dir.path(),
        "pipeline p\nsource t = csv(\"t.csv\", header = true)\nsource m = model(\"nb.model\")\nlet s = t | predict m\nsink s -> csv(\"s.csv\")\n",
    )
    .expect("the model reads back and scores");
}
