//! `sluice check FILE...`: compile each file and report every diagnostic.

use super::{DiagnosticFormat, ERRORS, OK, ParamArgs, errln, print_diagnostics, read};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Pipeline files (.sluice, .yaml or .yml).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    params: ParamArgs,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t)]
    diagnostics: DiagnosticFormat,
}

pub fn run(args: Args) -> u8 {
    let mut code = OK;
    let options = args.params.options();
    for path in &args.files {
        let file = match read(path) {
            Ok(f) => f,
            Err(c) => {
                code = code.max(c);
                continue;
            }
        };
        match sluice_compiler::compile(&file, &options) {
            Ok(compiled) => {
                print_diagnostics(&file, &compiled.warnings, args.diagnostics);
                errln!(
                    "{}: ok ({} sinks)",
                    path.display(),
                    compiled.plan.sinks.len()
                );
            }
            Err(diagnostics) => {
                print_diagnostics(&file, &diagnostics, args.diagnostics);
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                errln!(
                    "{}: {errors} error{}",
                    path.display(),
                    if errors == 1 { "" } else { "s" }
                );
                code = code.max(ERRORS);
            }
        }
    }
    code
}
