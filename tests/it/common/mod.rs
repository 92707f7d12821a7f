//! A one-purpose HTTP/1.1 server for client tests: answers every request with one canned
//! response and hands back the raw request heads it received.

#![allow(dead_code)]

pub mod binary;
pub mod coder_release;
pub mod hostile;

/// Makes a FIFO at `path` (for the tests that a named input or output is never waited on).
pub fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(
        made.is_ok_and(|status| status.success()),
        "mkfifo {}",
        path.display()
    );
}

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A canned answer: status line, extra headers, body.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// What the server saw: each request's head and body, as text.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// Starts the server on 127.0.0.1:0; returns its base URL and the requests it receives.
pub async fn serve(canned: Canned) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let canned = canned.clone();
            let record = record.clone();
            tokio::spawn(async move {
                let request = read_request(&mut socket).await;
                record.lock().unwrap().push(request);
                let mut head = format!("HTTP/1.1 {} Canned\r\n", canned.status);
                for (name, value) in &canned.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                if canned.status != 204 {
                    head.push_str(&format!("Content-Length: {}\r\n", canned.body.len()));
                }
                head.push_str("Connection: close\r\n\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&canned.body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, seen)
}

/// Reads one request: the head, then as many body bytes as Content-Length says.
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&data).to_string()
}
