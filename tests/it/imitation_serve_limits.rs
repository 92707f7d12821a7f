//! `conformance serve` under a low file-descriptor limit: more connections than it has
//! descriptors do not stop it, and it answers again once they close. Needs `prlimit`
//! (util-linux); skipped with a note where it is missing.
#![cfg(all(feature = "conformance", target_os = "linux"))]

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The child's descriptor limit: well under the connections opened.
const NOFILE: u32 = 64;
/// Connections opened at once: more than `NOFILE`, and fewer than `NOFILE` plus the accept
/// queue (1,024), so every handshake completes without SYN retries.
const CONNECTIONS: usize = 400;
/// A hang guard for each wait, never a measurement.
const PATIENCE: Duration = Duration::from_secs(60);

struct Served {
    child: Child,
    url: String,
    token: String,
}

/// Starts `conformance serve` with `NOFILE` descriptors; `None` when prlimit is unavailable.
async fn serve_with_few_descriptors() -> Option<Served> {
    let probe = Command::new("prlimit").arg("--version").output().await;
    if !probe.is_ok_and(|output| output.status.success()) {
        eprintln!("skipped: prlimit is not installed");
        return None;
    }
    let mut child = Command::new("prlimit")
        .arg(format!("--nofile={NOFILE}:{NOFILE}"))
        .arg(common::binary::PATH)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut token) = (None, None);
    while url.is_none() || token.is_none() {
        let line = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("serve printed its URL and token")
            .unwrap()
            .expect("serve's stdout stayed open");
        if let Some(value) = line.strip_prefix("CODER_URL=") {
            url = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("CODER_SESSION_TOKEN=") {
            token = Some(value.to_owned());
        }
    }
    Some(Served {
        child,
        url: url.unwrap(),
        token: token.unwrap(),
    })
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_connections_than_descriptors_do_not_stop_serve() {
    let Some(mut served) = serve_with_few_descriptors().await else {
        return;
    };
    let client = http();
    let list = format!("{}/api/v2/external-auth", served.url);
    let ok = client
        .get(&list)
        .header("Coder-Session-Token", &served.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let addr = served.url.trim_start_matches("http://").to_owned();
    let mut held = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        // The kernel completes the handshake whether or not serve can accept.
        match tokio::time::timeout(PATIENCE, TcpStream::connect(&addr)).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => break,
        }
    }
    assert!(
        held.len() > NOFILE as usize,
        "only {} connections opened",
        held.len()
    );
    drop(held);

    // Once they are gone it answers again, the authenticated list included.
    let answer = client
        .get(&list)
        .header("Coder-Session-Token", &served.token)
        .send()
        .await
        .expect("serve answers after running out of descriptors");
    assert_eq!(answer.status(), 200);
    assert!(
        served.child.try_wait().unwrap().is_none(),
        "serve is still running"
    );
    served.child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_past_the_descriptor_limit_are_outlasted() {
    let Some(mut served) = serve_with_few_descriptors().await else {
        return;
    };
    let addr = served.url.trim_start_matches("http://").to_owned();
    // Held open and silent for the whole test: serve must drop them itself (header-read
    // timeout) to get descriptors back for the client that follows.
    let mut silent = Vec::new();
    for _ in 0..2 * NOFILE {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    let answer = http()
        .get(format!("{}/api/v2/external-auth", served.url))
        .header("Coder-Session-Token", &served.token)
        .send()
        .await
        .expect("serve answers while silent connections outnumber its descriptors");
    assert_eq!(answer.status(), 200);
    drop(silent);
    served.child.kill().await.unwrap();
}
