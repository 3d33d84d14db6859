//! One module per `sluice` command, and what they share: reading files, parsing
//! `--param` flags, printing diagnostics.

pub mod check;
pub mod explain;
pub mod fmt;
pub mod run;

use sluice_compiler::diagnostics::{RenderStyle, render, render_short};
use sluice_compiler::{Diagnostic, ResolveOptions, SourceFile};
use std::io::IsTerminal;
use std::path::Path;

pub const OK: u8 = 0;
pub const ERRORS: u8 = 1;
pub const FAILED: u8 = 2;

/// `--param name=value`, repeatable.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ParamArgs {
    /// Override a param: --param name=value (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, found `{s}`")),
    }
}

impl ParamArgs {
    pub fn options(&self) -> ResolveOptions {
        ResolveOptions {
            params: self.params.clone(),
            base_dir: None,
        }
    }
}

/// How diagnostics are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiagnosticFormat {
    /// A report with the source lines and labels.
    #[default]
    Rich,
    /// One line per diagnostic: file:line:col: error[CODE]: message.
    Short,
}

pub fn read(path: &Path) -> Result<SourceFile, u8> {
    SourceFile::read(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        FAILED
    })
}

pub fn print_diagnostics(file: &SourceFile, diagnostics: &[Diagnostic], format: DiagnosticFormat) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in diagnostics {
        match format {
            DiagnosticFormat::Rich => eprint!(
                "{}",
                render(
                    d,
                    file,
                    RenderStyle {
                        color,
                        unicode: true,
                        width: 100
                    }
                )
            ),
            DiagnosticFormat::Short => eprintln!("{}", render_short(d, file)),
        }
    }
}
