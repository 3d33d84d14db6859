//! `sluice fmt FILE`: print (or write, or check) the canonical DSL layout of a file.
//! A YAML file is converted to the DSL (`--to dsl`, the only target).

use super::{DiagnosticFormat, ERRORS, FAILED, OK, errln, out, print_diagnostics, read};
use sluice_compiler::source::Syntax;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Target {
    /// The Sluice DSL.
    #[default]
    Dsl,
}

#[derive(clap::Args)]
pub struct Args {
    /// The pipeline file (.sluice, or .yaml/.yml to convert).
    file: PathBuf,
    /// Exit 1 without writing if the file is not formatted.
    #[arg(long)]
    check: bool,
    /// Rewrite the file in place (DSL files only).
    #[arg(long, short, conflicts_with = "check")]
    write: bool,
    /// The output syntax.
    #[arg(long, value_enum, default_value_t)]
    to: Target,
}

pub fn run(args: Args) -> u8 {
    let file = match read(&args.file) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let (ast, diagnostics) = sluice_compiler::syntax::parse(&file);
    let errors: Vec<_> = diagnostics.into_iter().filter(|d| d.is_error()).collect();
    let Some(ast) = ast.filter(|_| errors.is_empty()) else {
        print_diagnostics(&file, &errors, DiagnosticFormat::Rich);
        return ERRORS;
    };
    let is_dsl = file.syntax() == Syntax::Dsl;
    let formatted = sluice_compiler::format::format(&ast, is_dsl.then_some(file.text.as_str()));
    if args.check {
        if is_dsl && formatted == file.text {
            return OK;
        }
        errln!(
            "{}: not formatted (run `sluice fmt --write {}`)",
            args.file.display(),
            args.file.display()
        );
        return ERRORS;
    }
    if args.write {
        if !is_dsl {
            errln!(
                "error: --write rewrites DSL files only; redirect the DSL of a YAML file to a .sluice file"
            );
            return FAILED;
        }
        let tmp = args.file.with_extension("sluice.fmt.tmp");
        if let Err(e) =
            std::fs::write(&tmp, &formatted).and_then(|_| std::fs::rename(&tmp, &args.file))
        {
            errln!("error: cannot write `{}`: {e}", args.file.display());
            let _ = std::fs::remove_file(&tmp);
            return FAILED;
        }
        return OK;
    }
    out!("{formatted}");
    OK
}
