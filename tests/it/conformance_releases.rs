//! `conformance` against the imitation of each supported release: `check --coder-version X`
//! (embedded imitation, embedded snapshots) passes and names the release in its JSON report,
//! and `serve --coder-version X` is detected as X by a `check --url` of it.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// Each release checked, with the contract range its report must name.
const RELEASES: &[(&str, &str)] = &[
    ("2.25.0", "2.25-2.26"),
    ("2.26.0", "2.25-2.26"),
    ("2.27.0", "2.27-2.29"),
    ("2.29.0", "2.27-2.29"),
    ("2.30.0", "2.30-2.35"),
    ("2.32.0", "2.30-2.35"),
    ("2.35.1", "2.30-2.35"),
];

/// How long one run or one announcement may take; a run is well under a second.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn conformance() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_conformance"));
    command
        .env_remove("CODER_URL")
        .env_remove("CODER_SESSION_TOKEN")
        .env_remove("INSTA_UPDATE")
        .kill_on_drop(true);
    command
}

/// Runs `conformance check <args> --json <tmp>`; the exit code, stderr and the report.
async fn check(args: &[&str]) -> (Option<i32>, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = tokio::time::timeout(
        RUN_LIMIT,
        conformance()
            .arg("check")
            .args(args)
            .arg("--json")
            .arg(&report)
            .output(),
    )
    .await
    .expect("check finished in time")
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = std::fs::read_to_string(&report)
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap_or_else(|_| panic!("no report; stderr:\n{stderr}"));
    (output.status.code(), stderr, json)
}

#[tokio::test(flavor = "multi_thread")]
async fn check_of_each_imitated_release_passes_and_names_it() {
    for (version, contract) in RELEASES {
        let (code, stderr, report) = check(&["--coder-version", version]).await;
        assert_eq!(code, Some(0), "{version}:\n{stderr}");
        assert_eq!(report["coder_version"], *version, "{version}");
        assert_eq!(report["contract"], *contract, "{version}");
        assert_eq!(report["summary"]["failed"], 0, "{version}: {report}");
        assert!(
            report["target"]
                .as_str()
                .unwrap()
                .ends_with("(embedded imitation)"),
            "{version}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_served_release_is_detected_by_check() {
    let mut child = conformance()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--coder-version",
            "2.26.0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut value = async |key: &str| {
        let line = tokio::time::timeout(RUN_LIMIT, lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        line.strip_prefix(&format!("{key}=")).unwrap().to_owned()
    };
    let url = value("CODER_URL").await;
    let token = value("CODER_SESSION_TOKEN").await;
    let (code, stderr, report) = check(&["--url", &url, "--token", &token]).await;
    assert_eq!(code, Some(0), "{stderr}");
    // Detected from X-Coder-Build-Version, and reported as the server said it.
    assert_eq!(report["coder_version"], "v2.26.0-imitation");
    assert_eq!(report["contract"], "2.25-2.26");
    assert_eq!(report["summary"]["failed"], 0, "{report}");
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_a_release_older_than_supported() {
    let output = tokio::time::timeout(
        RUN_LIMIT,
        conformance()
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--coder-version",
                "2.24.0",
            ])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("serve refused in time")
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--coder-version 2.24.0"), "{stderr}");
}
