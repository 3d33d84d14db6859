//! Streams end to end through the `sluice` binary: a stream's result equals the batch
//! run over the same rows (less the late ones, which are counted and written), and a stream killed
//! with SIGKILL again and again, restarted each time, writes every row exactly once.

mod common;

use common::sluice_in;
use std::collections::BTreeMap;
use std::path::Path;

/// A small deterministic generator (the tests need no crate for it).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Seconds since 2026-01-01 (within the day) as a timestamp literal.
fn stamp(s: u64) -> String {
    assert!(s < 86_400, "the events stay within one day");
    format!(
        "2026-01-01T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Events in file order: roughly increasing times, some out of order by up to
/// `disorder` seconds, a few very late ones.
fn events(rng: &mut Rng, n: usize, disorder: u64) -> Vec<(u64, String, i64)> {
    let mut t = 0u64;
    (0..n)
        .map(|_| {
            t += rng.below(4);
            let late = rng.below(25) == 0;
            let at = if late {
                t.saturating_sub(200 + rng.below(100))
            } else {
                t.saturating_sub(rng.below(disorder + 1))
            };
            let key = ["a", "b", "c"][rng.below(3) as usize].to_string();
            (at, key, rng.below(100) as i64)
        })
        .collect()
}

fn csv_of(rows: &[(u64, String, i64)]) -> String {
    let mut s = String::from("ts,k,v\n");
    for (t, k, v) in rows {
        s.push_str(&format!("{},{k},{v}\n", stamp(*t)));
    }
    s
}

/// Every line of every file in a folder (headers dropped), sorted.
fn lines_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).expect("read part");
        out.extend(text.lines().skip(1).map(String::from));
    }
    out.sort();
    out
}

fn sorted_body(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("a sink file");
    let mut v: Vec<String> = text.lines().skip(1).map(String::from).collect();
    v.sort();
    v
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = sluice_in(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "sluice {args:?} failed:\n{stderr}");
    stderr
}

/// The stream pipeline and its batch twin: the same steps over a `source`.
fn pipelines(shape: u64, delay: u64) -> (String, String) {
    let body = match shape {
        // Narrow steps only.
        0 => "let out = events\n  | watermark ts delay DELAYs\n  | filter v % 3 != 0\n  | derive w = v * 2, day = date_trunc(\"minute\", ts)\n  | select ts, k, w, day\n".to_string(),
        // A tumbling window per key.
        1 => "let out = events\n  | watermark ts delay DELAYs\n  | group tumbling(ts, 1m), k { n = count(), total = sum(v), top = max(v) }\n".to_string(),
        // A sliding window, with a stream–static join first.
        2 => "let out = events\n  | watermark ts delay DELAYs\n  | join left names on k\n  | group sliding(ts, 1m, 20s), name { n = count(), mean_v = mean(v) }\n".to_string(),
        // An unwindowed group.
        3 => "let out = events\n  | watermark ts delay DELAYs\n  | join names on k\n  | group name { n = count(), s = sum(v) }\n".to_string(),
        // A distinct on the event time and a key (its state forgotten by the watermark).
        _ => "let out = events\n  | watermark ts delay DELAYs\n  | distinct ts, k\n".to_string(),
    }
    .replace("DELAY", &delay.to_string());
    let output = if shape == 0 || shape == 4 {
        "sink out -> csv(\"out/\", output = append)\n"
    } else {
        "sink out -> csv(\"out.csv\", output = complete)\n"
    };
    // The stream's watermark also hands over its late rows.
    let stream_body = body.replacen(
        &format!("delay {delay}s"),
        &format!("delay {delay}s (late = late_rows)"),
        1,
    );
    let stream = format!(
        "stream events = watch(\"in/\", format = csv, max_files_per_batch = 1) {{ ts: timestamp, k: string, v: int64 }}\nsource names = csv(\"names.csv\")\n{stream_body}{output}sink late_rows -> csv(\"late/\")\nsink progress -> csv(\"progress/\")\n"
    );
    let batch = format!(
        "source events = csv(\"kept.csv\") {{ ts: timestamp, k: string, v: int64 }}\nsource names = csv(\"names.csv\")\n{body}sink out -> csv(\"batch.csv\")\n"
    );
    (stream, batch)
}

/// Batch ≡ stream: random rows cut into random micro-batches (files read one per
/// batch), out of order within the watermark's delay and a few far behind it.
#[test]
fn a_stream_gives_the_batch_result_over_its_rows_less_the_late_ones() {
    for case in 0..10u64 {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case + 1).wrapping_mul(0x1234_5678_9abc));
        let delay = 10 + rng.below(30);
        let count = 60 + rng.below(200) as usize;
        let rows = events(&mut rng, count, delay);
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir(d.join("in")).expect("in");
        std::fs::write(d.join("names.csv"), "k,name\na,Alpha\nb,Beta\nc,Gamma\n").expect("names");
        // Cut into files; compute which rows the watermark makes late.
        let mut at = 0;
        let mut file = 0;
        let mut kept = Vec::new();
        let mut late_rows = Vec::new();
        let mut max_seen: Option<u64> = None;
        while at < rows.len() {
            let take = (1 + rng.below(40) as usize).min(rows.len() - at);
            let part = &rows[at..at + take];
            std::fs::write(d.join(format!("in/f{file:04}.csv")), csv_of(part)).expect("part");
            let watermark = max_seen.map(|m| m.saturating_sub(delay));
            for r in part {
                if watermark.is_some_and(|w| r.0 < w) && max_seen.is_some_and(|m| m >= delay) {
                    late_rows.push(r.clone());
                } else {
                    kept.push(r.clone());
                }
            }
            for r in part {
                if !(watermark.is_some_and(|w| r.0 < w) && max_seen.is_some_and(|m| m >= delay)) {
                    max_seen = Some(max_seen.map_or(r.0, |m| m.max(r.0)));
                }
            }
            at += take;
            file += 1;
        }
        std::fs::write(d.join("kept.csv"), csv_of(&kept)).expect("kept");
        let shape = case % 5;
        let (stream, batch) = pipelines(shape, delay);
        std::fs::write(d.join("stream.sluice"), &stream).expect("stream");
        std::fs::write(d.join("batch.sluice"), &batch).expect("batch");
        run_ok(d, &["run", "stream.sluice", "--until", "idle", "--quiet"]);
        run_ok(d, &["run", "batch.sluice", "--quiet"]);
        let expected = sorted_body(&d.join("batch.csv"));
        let got = if shape == 0 || shape == 4 {
            lines_in(&d.join("out"))
        } else {
            sorted_body(&d.join("out.csv"))
        };
        assert_eq!(
            got, expected,
            "case {case} (shape {shape}, delay {delay}s):\n{stream}"
        );
        let counted: u64 = lines_in(&d.join("progress"))
            .iter()
            .map(|l| {
                l.rsplit(',')
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!(
            counted,
            late_rows.len() as u64,
            "case {case}: late rows counted"
        );
        let mut want_late: Vec<String> = csv_of(&late_rows)
            .lines()
            .skip(1)
            .map(String::from)
            .collect();
        want_late.sort();
        assert_eq!(
            lines_in(&d.join("late")),
            want_late,
            "case {case}: the late rows themselves"
        );
        assert_eq!(
            lines_in(&d.join("progress")).len(),
            file,
            "one progress row per batch"
        );
    }
}

/// Kill -9 at random moments, restart, and the union of the outputs is the
/// uninterrupted run's: no row lost, none twice.
#[test]
fn a_stream_killed_again_and_again_writes_each_row_once() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let rows = events(&mut rng, 3000, 20);
    let make = || {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir(d.join("in")).expect("in");
        std::fs::write(d.join("names.csv"), "k,name\na,Alpha\nb,Beta\nc,Gamma\n").expect("names");
        for (i, chunk) in rows.chunks(50).enumerate() {
            std::fs::write(d.join(format!("in/f{i:04}.csv")), csv_of(chunk)).expect("part");
        }
        std::fs::write(
            d.join("p.sluice"),
            "stream events = watch(\"in/\", format = csv, max_files_per_batch = 1) { ts: timestamp, k: string, v: int64 }\n\
             source names = csv(\"names.csv\")\n\
             let enriched = events | watermark ts delay 20s | join left names on k\n\
             let windows = enriched | group tumbling(ts, 1m), name { n = count(), total = sum(v) }\n\
             let changed = enriched | group k { n = count() }\n\
             let firsts = enriched | distinct k, ts\n\
             sink enriched -> csv(\"out/rows/\")\n\
             sink windows -> csv(\"out/windows/\", output = append)\n\
             sink changed -> csv(\"out/changed/\", output = update)\n\
             sink firsts -> csv(\"out/firsts/\")\n",
        )
        .expect("pipeline");
        dir
    };
    let reference = make();
    run_ok(
        reference.path(),
        &["run", "p.sluice", "--until", "idle", "--quiet"],
    );
    let crashed = make();
    let exe = env!("CARGO_BIN_EXE_sluice");
    let mut kills = 0;
    for _ in 0..200 {
        let mut child = std::process::Command::new(exe)
            .args(["run", "p.sluice", "--until", "idle", "--quiet"])
            .current_dir(crashed.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(5 + rng.below(60)));
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        child.kill().expect("kill -9");
        let _ = child.wait();
        kills += 1;
        if kills >= 25 {
            break;
        }
    }
    assert!(
        kills >= 20,
        "only {kills} kills happened: the run ended too soon to test"
    );
    run_ok(
        crashed.path(),
        &["run", "p.sluice", "--until", "idle", "--quiet"],
    );
    for sink in ["rows", "windows", "changed", "firsts"] {
        let want = lines_in(&reference.path().join("out").join(sink));
        let got = lines_in(&crashed.path().join("out").join(sink));
        assert!(!want.is_empty(), "{sink}: the reference wrote nothing");
        let count = |v: &[String]| {
            let mut m = BTreeMap::new();
            for l in v {
                *m.entry(l.clone()).or_insert(0) += 1;
            }
            m
        };
        assert_eq!(count(&got), count(&want), "{sink}: after {kills} kills");
    }
}

/// A socket stream reads the lines a real TCP server sends on loopback; a line whose end
/// arrives later waits for it.
#[test]
fn a_socket_stream_reads_lines_from_a_tcp_server() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        conn.write_all(b"alpha\nbeta\nga").expect("write");
        conn.flush().expect("flush");
        std::thread::sleep(std::time::Duration::from_millis(400));
        conn.write_all(b"mma\ndelta\n").expect("write");
        conn.flush().expect("flush");
        // Keep the connection until the client is done.
        std::thread::sleep(std::time::Duration::from_millis(1500));
    });
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("p.sluice"),
        format!(
            "stream lines = socket(\"127.0.0.1:{port}\", every = 100ms)\n\
             let sized = lines | derive n = length(value)\n\
             sink sized -> csv(\"out/\")\n"
        ),
    )
    .expect("pipeline");
    run_ok(dir.path(), &["run", "p.sluice", "--until", "2", "--quiet"]);
    server.join().expect("server");
    assert_eq!(
        lines_in(&dir.path().join("out")),
        vec!["alpha,5", "beta,4", "delta,5", "gamma,5"]
    );
}

/// A watched folder's half-written file (under a `.` name) is not read; once renamed
/// into place it is read, once.
#[test]
fn a_watched_file_is_read_once_it_is_renamed_into_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join("in")).expect("in");
    std::fs::write(d.join("in/a.csv"), "k,v\na,1\nb,2\n").expect("a");
    std::fs::write(d.join("in/.b.csv.tmp"), "k,v\nc,3\nd,").expect("half-written");
    std::fs::write(
        d.join("p.sluice"),
        "stream rows = watch(\"in/\", format = csv) { k: string, v: int64 }\nsink rows -> csv(\"out/\")\n",
    )
    .expect("pipeline");
    run_ok(d, &["run", "p.sluice", "--until", "idle", "--quiet"]);
    assert_eq!(lines_in(&d.join("out")), vec!["a,1", "b,2"]);
    std::fs::write(d.join("in/.b.csv.tmp"), "k,v\nc,3\nd,4\n").expect("complete");
    std::fs::rename(d.join("in/.b.csv.tmp"), d.join("in/b.csv")).expect("rename");
    run_ok(d, &["run", "p.sluice", "--until", "idle", "--quiet"]);
    assert_eq!(lines_in(&d.join("out")), vec!["a,1", "b,2", "c,3", "d,4"]);
}
