//! The language server's frame reader on random bytes: every frame is a message, an
//! error reply or the end, the reader always moves forward, and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_lsp::transport::{Frame, read_frame};

fuzz_target!(|data: &[u8]| {
    let mut input = std::io::Cursor::new(data);
    for _ in 0..=data.len() {
        match read_frame(&mut input) {
            Frame::End => return,
            Frame::Message(_) => {}
            Frame::Bad { skip, .. } => {
                let at = input.position();
                input.set_position(at.saturating_add(skip).min(data.len() as u64));
            }
        }
    }
    panic!("the frame reader did not reach the end");
});
