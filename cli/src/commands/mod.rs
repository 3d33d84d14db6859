//! One module per `sluice` command, and what they share: reading files, parsing
//! `--param` flags, printing diagnostics.

pub mod check;
pub mod explain;
pub mod fmt;
pub mod functions;
pub mod lsp;
pub mod run;

use sluice_compiler::diagnostics::{RenderStyle, render, render_short};
use sluice_compiler::{Diagnostic, ResolveOptions, SourceFile};
use std::io::IsTerminal;
use std::path::Path;

/// `print!` that ends the process quietly when standard output is closed (`sluice
/// explain x | head`), as Unix tools do, instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => { $crate::commands::write_out(&format!($($arg)*)) };
}

/// `println!`, ending quietly on a closed standard output like [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::commands::write_out(&format!("{}\n", format!($($arg)*))) };
}

/// `eprint!` that ignores a closed standard error (`sluice run x 2>&1 | head`).
macro_rules! err {
    ($($arg:tt)*) => { $crate::commands::write_err(&format!($($arg)*)) };
}

/// `eprintln!`, ignoring a closed standard error like [`err!`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::commands::write_err(&format!("{}\n", format!($($arg)*))) };
}

pub(crate) use {err, errln, out, outln};

/// Writes to standard error; there is nowhere to report a failure to do so.
pub fn write_err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes to standard output; a closed pipe ends the process with success and nothing
/// printed, any other failure with exit code 2 and a message.
pub fn write_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(OK));
        }
        errln!("error: cannot write to standard output: {e}");
        std::process::exit(i32::from(FAILED));
    }
}

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

/// `--memory-limit` and `--spill-dir`, for the commands that run a pipeline.
#[derive(clap::Args)]
pub struct MemoryArgs {
    /// Memory budget for the operators, such as 4GiB: sort spills sorted runs to disk to
    /// stay inside it; distinct, group, join and repartition stop with an error instead of
    /// going past it (default: 80% of the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = sluice_runtime::memory::parse_size)]
    pub memory_limit: Option<u64>,
    /// Where operators spill to disk (default: the system's temporary folder).
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<std::path::PathBuf>,
}

/// `--no-optimize`, `--disable-rule NAME`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct OptimizeArgs {
    /// Run the plan as written: no optimizer rule at all.
    #[arg(long)]
    pub no_optimize: bool,
    /// Switch one optimizer rule off (repeatable); `sluice explain --rules` lists them.
    #[arg(long = "disable-rule", value_name = "RULE")]
    pub disabled: Vec<String>,
}

impl OptimizeArgs {
    /// The plan to run: optimized unless switched off. An unknown rule name is an error
    /// (exit code 2) that lists the known ones.
    pub fn apply(
        &self,
        plan: &sluice_compiler::plan::LogicalPlan,
    ) -> Result<sluice_compiler::optimize::Optimized, u8> {
        let unknown = sluice_compiler::optimize::unknown_rules(&self.disabled);
        if !unknown.is_empty() {
            let known: Vec<&str> = sluice_compiler::optimize::rules()
                .iter()
                .map(|(n, _)| *n)
                .collect();
            errln!(
                "error: no optimizer rule named {}\n  help: the rules are {}",
                unknown
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                known.join(", ")
            );
            return Err(FAILED);
        }
        if self.no_optimize {
            return Ok(sluice_compiler::optimize::Optimized {
                plan: plan.clone(),
                fired: Vec::new(),
                rolled_back: Vec::new(),
                passes: 0,
            });
        }
        let optimized = sluice_runtime::optimize(plan, &self.disabled);
        for r in &optimized.rolled_back {
            errln!("warning: optimizer rule rolled back (please report): {r}");
        }
        Ok(optimized)
    }
}

/// `--jit on|off|auto`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JitFlag {
    /// Compile every fused stage that can be compiled.
    On,
    /// Run every stage with the reference implementation.
    Off,
    /// Compile a stage when its rows repay the compile time.
    #[default]
    Auto,
}

impl JitFlag {
    pub fn mode(self) -> sluice_runtime::JitMode {
        match self {
            JitFlag::On => sluice_runtime::JitMode::On,
            JitFlag::Off => sluice_runtime::JitMode::Off,
            JitFlag::Auto => sluice_runtime::JitMode::Auto,
        }
    }
}

/// The rules that fired, one per line, for `--verbose`.
pub fn render_firings(optimized: &sluice_compiler::optimize::Optimized) -> String {
    let mut out = String::new();
    if optimized.fired.is_empty() {
        out.push_str("no optimizer rule changed the plan\n");
    }
    for f in &optimized.fired {
        let pass = if f.pass == 0 {
            "placement".to_string()
        } else {
            format!("pass {}", f.pass)
        };
        out.push_str(&format!("  [{pass}] {}: {}\n", f.rule, f.effect));
    }
    out
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
        errln!("error: cannot read `{}`: {e}", path.display());
        FAILED
    })
}

pub fn print_diagnostics(file: &SourceFile, diagnostics: &[Diagnostic], format: DiagnosticFormat) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in diagnostics {
        match format {
            DiagnosticFormat::Rich => err!(
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
            DiagnosticFormat::Short => errln!("{}", render_short(d, file)),
        }
    }
}
