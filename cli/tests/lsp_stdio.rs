#![allow(clippy::unwrap_used, clippy::panic)] // a failed expectation is a failed test
//! `sluice lsp` end to end: the binary spawned, JSON-RPC spoken over its standard
//! input and output with LSP's Content-Length framing.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

fn send(stdin: &mut impl Write, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

fn receive(stdout: &mut impl BufRead) -> Value {
    let mut length = 0;
    loop {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    stdout.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// The server, spawned, with `initialize` sent (its reply not read yet).
fn start() -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    (child, stdin, stdout)
}

#[test]
fn the_server_speaks_json_rpc_over_stdio() {
    let (mut child, mut stdin, mut stdout) = start();
    let init = receive(&mut stdout);
    assert_eq!(init["id"], 1);
    assert_eq!(init["result"]["capabilities"]["definitionProvider"], true);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("file://{}/p.sluice", dir.path().display());
    let text = "source s = csv(\"x.csv\") { amount: float64 }\nlet r = s | filter amont > 1\nsink r -> console\n";
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "sluice", "version": 1, "text": text}}}),
    );
    let published = receive(&mut stdout);
    assert_eq!(published["method"], "textDocument/publishDiagnostics");
    let diagnostics = published["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": {"line": 1, "character": 19}, "end": {"line": 1, "character": 24}})
    );
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `amount`?")
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
    );
    assert_eq!(receive(&mut stdout)["id"], 2);
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// Malformed input never stops the server: each bad frame gets an error reply and the
/// next good one is answered; a FIFO named as a source and `model("/dev/zero")` are
/// refused without blocking or allocating.
#[test]
fn the_server_survives_malformed_frames_fifos_and_endless_files() {
    let (mut child, mut stdin, mut stdout) = start();
    assert_eq!(receive(&mut stdout)["id"], 1);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let bad_frames: [&[u8]; 5] = [
        b"Content-Length: 9\r\n\r\n{not json",
        b"Content-Length: -5\r\n\r\n",
        b"Content-Length: abc\r\n\r\n",
        b"Content-Length: 2\r\n\r\n[]",
        b"X-Header: 1\r\n\r\n",
    ];
    for frame in bad_frames {
        stdin.write_all(frame).unwrap();
        stdin.flush().unwrap();
        let reply = receive(&mut stdout);
        assert!(reply["error"]["code"].as_i64().unwrap() < 0, "{reply}");
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let uri = format!("file://{}/p.sluice", dir.path().display());
    let text = format!(
        "source s = csv(\"{}\")\nsource m = model(\"/dev/zero\")\nsink s -> console\n",
        fifo.display()
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "sluice", "version": 1, "text": text}}}),
    );
    let published = receive(&mut stdout);
    let messages: Vec<String> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("not a regular file")),
        "{messages:?}"
    );
    // An oversized frame is answered before its body is read past (here, to the end of
    // the input, which ends the server).
    stdin
        .write_all(b"Content-Length: 99999999999\r\n\r\n{}")
        .unwrap();
    stdin.flush().unwrap();
    let reply = receive(&mut stdout);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "{reply}"
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
