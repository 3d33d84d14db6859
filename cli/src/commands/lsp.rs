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
    let (connection, threads) = lsp_server::Connection::stdio();
    let served = sluice_lsp::serve(&connection);
    drop(connection);
    let joined = threads.join();
    match (served, joined) {
        (Ok(()), Ok(())) => OK,
        (Err(e), _) => {
            errln!("error: {e}");
            FAILED
        }
        (_, Err(e)) => {
            errln!("error: {e}");
            FAILED
        }
    }
}
