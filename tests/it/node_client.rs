//! The imitation driven by a client we did not write the protocol for: Node's own `fetch`
//! (tests/node/device_flow.mjs) against `conformance serve`, through the list, a provider's
//! status and the whole device flow to 204, approved through the control API. Skipped, with
//! the reason printed, where Node is missing.
#![cfg(feature = "conformance")]

use crate::common;

use std::path::Path;
use std::time::Duration;

/// A hang guard, never a measurement.
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn node_fetch_runs_the_device_flow_against_serve() {
    let node_version = std::process::Command::new("node").arg("--version").output();
    let Some(version) = node_version.ok().filter(|output| output.status.success()) else {
        eprintln!("skipped: node is not on PATH; the device-flow client test needs Node 18+");
        return;
    };
    eprintln!("node {}", String::from_utf8_lossy(&version.stdout).trim());

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deployment.json");
    std::fs::write(
        &config,
        r#"{"providers":[{"id":"github","type":"github"},{"id":"gitlab","type":"gitlab"}],
            "links":[],"device":{"interval":1,"enforce_interval":true}}"#,
    )
    .unwrap();
    let config = config.display().to_string();
    let mut served = common::binary::serve(&["--config", &config]).await;
    let env = [
        ("CODER_URL", served.url.clone()),
        ("CODER_SESSION_TOKEN", served.token.clone()),
        (
            "IMITATION_CONTROL_URL",
            served.control.clone().expect("control is on"),
        ),
    ];

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/device_flow.mjs");
    let run = tokio::process::Command::new("node")
        .arg(&script)
        .envs(env)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PATIENCE, run)
        .await
        .expect("the node client finished")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(output.status.success(), "node failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("204, linked"), "{stdout}");
    assert!(stdout.contains("the list shows the link"), "{stdout}");
    let _ = served.child.kill().await;
}
