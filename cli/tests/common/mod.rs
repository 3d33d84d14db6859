//! Helpers shared by the CLI's integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// `sluice ARGS` run in `dir`.
pub fn sluice_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("sluice runs")
}
