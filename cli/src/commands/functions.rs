//! `sluice functions`: prints the function reference (the text of docs/functions.md),
//! rendered from the catalogue the resolver checks calls against.

use super::{OK, out};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: Args) -> u8 {
    out!("{}", sluice_stdlib::functions::reference_markdown());
    OK
}
