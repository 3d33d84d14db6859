//! The language server's stdio transport: LSP frames (`Content-Length` headers, then a
//! JSON-RPC body) read from standard input with every size bounded, so no message can
//! exhaust memory or stop the server. A frame that is too large, has a bad or missing
//! length, or holds invalid JSON gets a JSON-RPC error reply (`-32700`/`-32600`), and
//! reading resumes at the next frame; end of input ends the server.

use lsp_server::{Connection, Message};
use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex};

/// The largest frame accepted (a document of tens of MiB, as JSON).
pub const MAX_FRAME_BYTES: u64 = 64 << 20;

/// The longest header line read.
const MAX_HEADER_LINE: usize = 4096;

/// A connection over standard input and output: the server's end, served by a reader
/// and a writer thread that live as long as the process.
pub fn stdio() -> Connection {
    let (server, client) = Connection::memory();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let out = stdout.clone();
    let receiver = client.receiver;
    std::thread::spawn(move || {
        for message in receiver {
            if write_message(&out, &message).is_err() {
                return;
            }
        }
    });
    let sender = client.sender;
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            match read_frame(&mut input) {
                Frame::End => return,
                Frame::Message(m) => {
                    if sender.send(m).is_err() {
                        return;
                    }
                }
                Frame::Bad {
                    code,
                    message,
                    skip,
                } => {
                    let _ = write_error(&stdout, code, &message);
                    // The oversized body is read past, not kept.
                    let _ = std::io::copy(&mut Read::take(&mut input, skip), &mut std::io::sink());
                }
            }
        }
    });
    server
}

/// One frame of input.
#[derive(Debug)]
pub enum Frame {
    Message(Message),
    /// A frame that cannot be read: the reply's code and message, and how many bytes
    /// of body to read past after replying.
    Bad {
        code: i32,
        message: String,
        skip: u64,
    },
    End,
}

/// Reads the next frame from `input`.
pub fn read_frame(input: &mut impl BufRead) -> Frame {
    let mut length: Option<Result<u64, String>> = None;
    let mut saw_header = false;
    loop {
        let line = match read_line(input) {
            Line::End => return Frame::End,
            Line::TooLong => {
                return Frame::Bad {
                    code: -32600,
                    message: format!("a header line longer than {MAX_HEADER_LINE} bytes"),
                    skip: 0,
                };
            }
            Line::Text(l) => l,
        };
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        // Found anywhere in the line, so that reading resynchronises after a body whose
        // length was wrong.
        let lower = trimmed.to_ascii_lowercase();
        if let Some(at) = lower.rfind("content-length:") {
            let value = trimmed[at + "content-length:".len()..].trim();
            length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| format!("invalid Content-Length `{value}`")),
            );
        }
    }
    let length = match length {
        None => {
            return Frame::Bad {
                code: -32600,
                message: "a frame without a Content-Length header".into(),
                skip: 0,
            };
        }
        Some(Err(message)) => {
            return Frame::Bad {
                code: -32600,
                message,
                skip: 0,
            };
        }
        Some(Ok(n)) if n > MAX_FRAME_BYTES => {
            return Frame::Bad {
                code: -32600,
                message: format!(
                    "a frame of {n} bytes; the limit is {MAX_FRAME_BYTES} (the frame is skipped)"
                ),
                skip: n,
            };
        }
        Some(Ok(n)) => n,
    };
    let mut body = Vec::with_capacity(length as usize);
    if (&mut *input).take(length).read_to_end(&mut body).is_err() || body.len() as u64 != length {
        return Frame::End;
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Err(e) => Frame::Bad {
            code: -32700,
            message: format!("the body is not JSON: {e}"),
            skip: 0,
        },
        Ok(value) => match serde_json::from_value::<Message>(value) {
            Ok(m) => Frame::Message(m),
            Err(e) => Frame::Bad {
                code: -32600,
                message: format!("not a JSON-RPC request, response or notification: {e}"),
                skip: 0,
            },
        },
    }
}

enum Line {
    Text(String),
    TooLong,
    End,
}

/// One header line, at most [`MAX_HEADER_LINE`] bytes; a longer one is skipped to its
/// end.
fn read_line(input: &mut impl BufRead) -> Line {
    let mut line = Vec::new();
    loop {
        let (done, used) = match input.fill_buf() {
            Err(_) => return Line::End,
            Ok([]) => {
                return if line.is_empty() {
                    Line::End
                } else {
                    Line::Text(String::from_utf8_lossy(&line).into_owned())
                };
            }
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    if line.len() <= MAX_HEADER_LINE {
                        line.extend_from_slice(&buf[..=i]);
                    }
                    (true, i + 1)
                }
                None => {
                    if line.len() <= MAX_HEADER_LINE {
                        line.extend_from_slice(buf);
                    }
                    (false, buf.len())
                }
            },
        };
        input.consume(used);
        if done {
            return if line.len() > MAX_HEADER_LINE {
                Line::TooLong
            } else {
                Line::Text(String::from_utf8_lossy(&line).into_owned())
            };
        }
    }
}

fn write_message(out: &Mutex<std::io::Stdout>, message: &Message) -> std::io::Result<()> {
    let mut out = out
        .lock()
        .map_err(|_| std::io::Error::other("stdout lock"))?;
    message.write(&mut *out)?;
    out.flush()
}

fn write_error(out: &Mutex<std::io::Stdout>, code: i32, message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    })
    .to_string();
    let mut out = out
        .lock()
        .map_err(|_| std::io::Error::other("stdout lock"))?;
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}
