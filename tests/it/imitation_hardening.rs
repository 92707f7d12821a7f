//! The imitation's bounds over loopback: the device-code store stays capped, slow and silent
//! connections are dropped while others are answered, more connections than the cap wait
//! rather than stop the server, and a client-chosen Host cannot inject into a header. Every
//! wait has a generous harness deadline; no test asserts how long anything took.
#![cfg(feature = "imitation")]

use std::time::Duration;

use coder_external_auth::imitation::Imitation;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The documented cap on stored device codes (README, "The imitation's limits").
const MAX_DEVICE_CODES: usize = 10_000;
/// How long any one wait in these tests may take before the test fails: a hang guard only.
const PATIENCE: Duration = Duration::from_secs(60);

fn http() -> reqwest::Client {
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap()
}

/// Reads until the server closes the connection; what it sent, or `None` past the deadline.
async fn read_to_close(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(seen)
}

/// One raw request (the caller adds `Connection: close`) and everything the server sent back.
async fn raw(server: &Imitation, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let answer = read_to_close(&mut stream)
        .await
        .expect("the server answered");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn buildinfo_answers(base_url: &str) {
    let answer = http()
        .get(format!("{base_url}/api/v2/buildinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// One GET device call; its device code.
async fn issue(client: reqwest::Client, url: &str, token: &str) -> String {
    let body: serde_json::Value = client
        .get(url)
        .header("Coder-Session-Token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["device_code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_codes_stay_capped_over_many_get_device_calls() {
    let server = Imitation::builder()
        .enforce_poll_interval(false)
        .start()
        .await
        .unwrap();
    let control = server.control();
    let url = format!("{}/api/v2/external-auth/github/device", server.base_url());
    let token = server.session_token().expose().to_owned();
    let first = issue(http(), &url, &token).await;
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (url, token) = (url.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let client = http();
            for _ in 0..(MAX_DEVICE_CODES + 2_000) / 4 {
                issue(client.clone(), &url, &token).await;
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(control.device_code_count(), MAX_DEVICE_CODES);
    let newest = issue(http(), &url, &token).await;
    assert_eq!(control.device_code_count(), MAX_DEVICE_CODES);

    // The oldest code was forgotten; the newest still polls as pending.
    let poll = |code: String| {
        let url = url.clone();
        let token = token.clone();
        async move {
            let body: serde_json::Value = http()
                .post(&url)
                .header("Coder-Session-Token", &token)
                .json(&serde_json::json!({ "device_code": code }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["detail"].as_str().unwrap_or_default().to_owned()
        }
    };
    assert_eq!(poll(first).await, "incorrect_device_code");
    assert_eq!(poll(newest).await, "authorization_pending");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_dropped_while_others_are_answered() {
    let server = Imitation::builder()
        .header_read_timeout(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // A header byte every 100 ms, never finishing the head.
    let trickle = tokio::spawn(async move {
        let head = b"GET /api/v2/buildinfo HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    buildinfo_answers(server.base_url()).await;

    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the slow client was never dropped");
    let _ = tokio::time::timeout(PATIENCE, trickle).await;
    buildinfo_answers(server.base_url()).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_stalled_connections_are_closed() {
    let server = Imitation::builder()
        .header_read_timeout(Duration::from_secs(1))
        .idle_timeout(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let mut silent = Vec::new();
    for _ in 0..50 {
        silent.push(TcpStream::connect(server.addr()).await.unwrap());
    }
    // A kept-alive connection that goes quiet after one answer.
    let mut kept = TcpStream::connect(server.addr()).await.unwrap();
    kept.write_all(b"GET /api/v2/buildinfo HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // A body that stops arriving: no byte moves, so the idle timeout closes it.
    let mut stalled = TcpStream::connect(server.addr()).await.unwrap();
    stalled
        .write_all(
            b"POST /api/v2/external-auth/github/device HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"device",
        )
        .await
        .unwrap();
    buildinfo_answers(server.base_url()).await;
    for stream in &mut silent {
        let seen = read_to_close(stream)
            .await
            .expect("a silent connection was closed");
        assert!(seen.is_empty(), "nothing is sent to a silent connection");
    }
    let seen = read_to_close(&mut kept)
        .await
        .expect("the kept-alive connection was closed");
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200 OK"));
    assert!(
        read_to_close(&mut stalled).await.is_some(),
        "the stalled body was dropped"
    );
    buildinfo_answers(server.base_url()).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_and_the_server_keeps_answering() {
    let server = Imitation::builder()
        .header_read_timeout(Duration::from_secs(1))
        .max_connections(4)
        .start()
        .await
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..12 {
        held.push(TcpStream::connect(server.addr()).await.unwrap());
    }
    // Served once the silent ones are dropped, four at a time.
    buildinfo_answers(server.base_url()).await;
    for stream in &mut held {
        assert!(read_to_close(stream).await.is_some());
    }
    // A connection over the cap still gets its answer once it is accepted.
    let mut waiting = Vec::new();
    for _ in 0..8 {
        let base = server.base_url().to_owned();
        waiting.push(tokio::spawn(async move { buildinfo_answers(&base).await }));
    }
    for task in waiting {
        task.await.unwrap();
    }
    server.shutdown().await;
}

#[tokio::test]
async fn host_headers_go_would_refuse_never_reach_a_handler() {
    let server = Imitation::start().await.unwrap();
    for host in ["evil\", error=\"injected", "a b", "x/y", "x\\y", "<x>"] {
        let answer = raw(
            &server,
            format!(
                "GET /api/v2/external-auth HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{host:?}: {answer}"
        );
        assert!(
            answer.ends_with("\r\n\r\n400 Bad Request: malformed Host header"),
            "{answer}"
        );
        assert!(
            !answer.to_ascii_lowercase().contains("www-authenticate"),
            "{answer}"
        );
    }
    let two = raw(
        &server,
        b"GET /api/v2/external-auth HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        two.ends_with("400 Bad Request: too many Host headers"),
        "{two}"
    );
    let none = raw(
        &server,
        b"GET /api/v2/external-auth HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        none.ends_with("400 Bad Request: missing required Host header"),
        "{none}"
    );

    // HTTP/1.0 may omit it: the listening address stands in.
    let old = raw(&server, b"GET /api/v2/external-auth HTTP/1.0\r\n\r\n").await;
    assert!(
        old.contains(&format!(
            "resource_metadata=\"http://{}/.well-known/oauth-protected-resource\"",
            server.addr()
        )),
        "{old}"
    );
    // A valid Host is URL-escaped as Go's url.URL writes it, then quoted.
    let escaped = raw(
        &server,
        b"GET /api/v2/external-auth HTTP/1.1\r\nHost: [fe80::1%en0]:8080\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        escaped.contains(
            "resource_metadata=\"http://[fe80::1%25en0]:8080/.well-known/oauth-protected-resource\"\r\n"
        ),
        "{escaped}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_provider_regex_that_does_not_parse_is_refused_at_start_and_names_the_provider() {
    let broken = Imitation::builder().provider(
        coder_external_auth::imitation::ProviderConfig::github("corp-github")
            .regex(Some("(github")),
    );
    let err = match broken.start().await {
        Ok(_) => panic!("an imitation with an unparsable provider regex started"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("\"corp-github\"") && err.contains("invalid regex"),
        "{err}"
    );
}
