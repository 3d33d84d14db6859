//! Fault tests of whole runs: killed with SIGKILL at random points, interrupted with
//! SIGTERM, writing to a full disk, to read-only files, through symlinks and to FIFOs.
//! After any of them every output is entirely old or entirely new, and the next run
//! leaves no temporary behind.

#![allow(clippy::panic)] // a failed check is a failed test

mod common;

use common::sluice_in;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ROWS: usize = 60_000;

/// Three sinks of three formats, each row tagged with the run's `tag`.
const PIPELINE: &str = r#"pipeline faults
param tag: string = "old"
source t = csv("in.csv", header = true)
let tagged = t | derive tag = tag
let sorted = tagged | sort b desc
sink tagged -> csv("out/a.csv")
sink sorted -> jsonl("out/b.jsonl")
sink tagged -> csv("out/c.csv")
"#;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let mut csv = String::from("a,b\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{i},{}\n", i * 7 % 1000));
    }
    std::fs::write(dir.path().join("in.csv"), csv).expect("write");
    std::fs::write(dir.path().join("p.sluice"), PIPELINE).expect("write");
    dir
}

/// The tag of a whole output ("old" or "new"), or why it is neither.
fn tag_of(path: &Path) -> Result<&'static str, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let body = if path.extension().is_some_and(|e| e == "csv") {
        &lines[1..]
    } else {
        &lines[..]
    };
    if body.len() != ROWS {
        return Err(format!(
            "{}: {} rows, not {ROWS}",
            path.display(),
            body.len()
        ));
    }
    for tag in ["old", "new"] {
        if body.iter().all(|l| l.contains(tag)) {
            return Ok(tag);
        }
    }
    Err(format!("{}: rows of both runs", path.display()))
}

fn tags(dir: &Path) -> Vec<&'static str> {
    ["out/a.csv", "out/b.jsonl", "out/c.csv"]
        .iter()
        .map(|f| tag_of(&dir.join(f)).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("out"))
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".sluice-"))
        .collect()
}

#[test]
fn killed_runs_leave_every_output_old_or_new_and_the_next_run_cleans_up() {
    let dir = setup();
    let first = sluice_in(dir.path(), &["run", "p.sluice"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(tags(dir.path()), ["old"; 3]);
    // How long a run takes here, to spread the kills over it.
    let started = Instant::now();
    let timed = sluice_in(dir.path(), &["run", "p.sluice", "--param", "tag=old"]);
    assert!(timed.status.success());
    let duration = started.elapsed().as_micros() as u64;
    let mut seed = 0x5EED_u64;
    let mut saw_new = 0;
    for kill in 0..24 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = Duration::from_micros((seed >> 33) % (duration + duration / 4).max(1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["run", "p.sluice", "--param", "tag=new"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        let now = tags(dir.path());
        let journal = leftovers(dir.path())
            .iter()
            .any(|n| n.ends_with(".journal"));
        // Killed between two renames, a journal is left and the next run finishes them.
        assert!(
            journal || now.iter().all(|t| *t == now[0]),
            "kill {kill} at {at:?}: outputs {now:?} without a journal"
        );
        if now[0] == "new" && !journal {
            saw_new += 1;
            // Back to all old for the next kill.
            let back = sluice_in(dir.path(), &["run", "p.sluice"]);
            assert!(back.status.success());
        }
    }
    let last = sluice_in(dir.path(), &["run", "p.sluice", "--param", "tag=new"]);
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
    assert_eq!(tags(dir.path()), ["new"; 3]);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    eprintln!("{saw_new} of 24 killed runs had already committed");
}

#[test]
fn sigterm_removes_the_temporaries_and_keeps_the_old_outputs() {
    let dir = setup();
    assert!(sluice_in(dir.path(), &["run", "p.sluice"]).status.success());
    for delay_ms in [20, 60, 120] {
        let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["run", "p.sluice", "--param", "tag=new"])
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().expect("wait");
        if out.status.success() {
            // It finished first: all new; make it old again.
            assert_eq!(tags(dir.path()), ["new"; 3]);
            assert!(sluice_in(dir.path(), &["run", "p.sluice"]).status.success());
            continue;
        }
        assert_eq!(
            tags(dir.path()),
            ["old"; 3],
            "after SIGTERM at {delay_ms} ms"
        );
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}

fn one_sink(dir: &Path, target: &str) -> Output {
    std::fs::write(
        dir.join("one.sluice"),
        format!(
            "pipeline one\nsource t = csv(\"in.csv\", header = true)\nsink t -> csv(\"{target}\")\n"
        ),
    )
    .expect("write");
    sluice_in(dir, &["run", "one.sluice"])
}

#[test]
fn read_only_files_symlinks_fifos_and_permissions_are_respected() {
    use std::os::unix::fs::PermissionsExt;
    let dir = setup();
    let d = dir.path();
    // A read-only file is not replaced.
    std::fs::write(d.join("ro.csv"), "keep\n").expect("write");
    std::fs::set_permissions(d.join("ro.csv"), std::fs::Permissions::from_mode(0o444))
        .expect("chmod");
    let out = one_sink(d, "ro.csv");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"));
    assert_eq!(
        std::fs::read_to_string(d.join("ro.csv")).expect("read"),
        "keep\n"
    );
    // A replaced file keeps its permissions.
    std::fs::write(d.join("private.csv"), "x\n").expect("write");
    std::fs::set_permissions(
        d.join("private.csv"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    assert!(one_sink(d, "private.csv").status.success());
    let mode = std::fs::metadata(d.join("private.csv"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A symlink is written through: the link stays, its target is replaced.
    std::fs::write(d.join("real.csv"), "x\n").expect("write");
    std::os::unix::fs::symlink("real.csv", d.join("link.csv")).expect("symlink");
    assert!(one_sink(d, "link.csv").status.success());
    assert!(
        std::fs::symlink_metadata(d.join("link.csv"))
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(d.join("real.csv"))
            .expect("read")
            .lines()
            .count(),
        ROWS + 1
    );
    // A FIFO is refused, without blocking.
    let fifo = d.join("fifo.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let out = one_sink(d, "fifo.csv");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("meta")
            .file_type()
            .is_fifo_like()
    );
    // Standard output is written at the end.
    let out = one_sink(d, "-");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("a,b\n0,0\n"));
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}
impl FifoLike for std::fs::FileType {
    fn is_fifo_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_fifo()
    }
}

#[test]
fn a_full_disk_fails_the_run_cleanly_and_keeps_the_old_output() {
    let dir = setup();
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).expect("dir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("notice: skipping the full-disk test, cannot mount a tmpfs here (not root?)");
        return;
    }
    std::fs::write(mount.join("out.csv"), "old\n").expect("write");
    let out = one_sink(dir.path(), "small/out.csv");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let _ = Command::new("umount").arg(&mount).status();
    assert!(!out.status.success());
    assert!(stderr.contains("No space left"), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
    // (The tmpfs is gone now; its content was checked by the message and exit code.)
}

/// A table large enough that sorting it needs well over 100 MiB.
fn big_table(dir: &Path) {
    let mut csv = String::from("k,v,s\n");
    let mut x: u64 = 7;
    for i in 0..1_500_000u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        csv.push_str(&format!("{},{i},xxxxxxxxxxxxxxxxxxxx{i}\n", x >> 34));
    }
    std::fs::write(dir.join("big.csv"), csv).expect("write");
    std::fs::write(
        dir.join("mem.sluice"),
        "pipeline mem\nsource t = csv(\"big.csv\", header = true)\nlet s = t | sort k\nlet g = t | group k { n = count() }\nsink s -> csv(\"s.csv\")\nsink g -> csv(\"g.csv\")\n",
    )
    .expect("write");
}

#[test]
fn a_memory_budget_spills_and_an_address_space_limit_is_an_error_not_an_abort() {
    let dir = tempfile::tempdir().expect("dir");
    big_table(dir.path());
    // Under a budget smaller than the data, sort and group spill and give the same rows.
    let unlimited = sluice_in(dir.path(), &["run", "-q", "mem.sluice"]);
    assert!(unlimited.status.success());
    let read = |f: &str| std::fs::read(dir.path().join(f)).expect("output");
    let (sorted, grouped) = (read("s.csv"), read("g.csv"));
    let out = sluice_in(
        dir.path(),
        &["run", "--memory-limit", "20MiB", "mem.sluice"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("spilled to disk"), "{stderr}");
    assert!(read("s.csv") == sorted && read("g.csv") == grouped);
    std::fs::remove_file(dir.path().join("s.csv")).expect("remove");
    // Under an address-space limit the process used to abort ("memory allocation failed").
    let limited = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 800000 && exec {} run mem.sluice",
            env!("CARGO_BIN_EXE_sluice")
        ))
        .current_dir(dir.path())
        .output()
        .expect("sh");
    let stderr = String::from_utf8_lossy(&limited.stderr).into_owned();
    assert_eq!(limited.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ulimit -v"), "{stderr}");
    assert!(
        !dir.path().join("s.csv").exists(),
        "no output of a failed run"
    );
}
