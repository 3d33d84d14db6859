//! `sluice lsp`: the language server, over standard input and output.

use super::{FAILED, OK, errln};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Accepted for editors that pass it; standard input and output are the only
    /// transport.
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_: Args) -> u8 {
    // A bounded transport: malformed or oversized frames get an error reply, not an exit.
    let connection = sluice_lsp::transport::stdio();
    match sluice_lsp::serve(&connection) {
        Ok(()) => OK,
        Err(e) => {
            errln!("error: {e}");
            FAILED
        }
    }
}
