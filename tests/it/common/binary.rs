//! Runs the `conformance` binary the way a user or CI does, with its reports in a temporary
//! directory and a private copy of the accepted snapshots (tests never write to the repo's).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// What one run left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub json: serde_json::Value,
    pub junit: String,
    /// The SARIF log (`--sarif`), as text.
    pub sarif: String,
    pub elapsed: Duration,
    pub dir: TempDir,
}

impl Run {
    /// The cases of the JSON report.
    pub fn cases(&self) -> &[serde_json::Value] {
        self.json["cases"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Every finding of every failed check, as `operation label: check: finding`.
    pub fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for case in self.cases() {
            for check in case["checks"].as_array().into_iter().flatten() {
                for finding in check["findings"].as_array().into_iter().flatten() {
                    out.push(format!(
                        "{} {}: {}: {}",
                        case["operation_id"].as_str().unwrap_or_default(),
                        case["label"].as_str().unwrap_or_default(),
                        check["name"].as_str().unwrap_or_default(),
                        finding.as_str().unwrap_or_default()
                    ));
                }
            }
        }
        out
    }

    /// Every text the run produced: stdout, stderr, both reports and every file in the
    /// snapshot directory.
    pub fn all_output(&self) -> String {
        let mut all = format!(
            "{}\n{}\n{}\n{}\n{}\n",
            self.stdout, self.stderr, self.json, self.junit, self.sarif
        );
        for entry in std::fs::read_dir(self.snapshots()).unwrap() {
            all.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
        }
        all
    }

    pub fn snapshots(&self) -> PathBuf {
        self.dir.path().join("snapshots")
    }
}

/// The binary under test.
pub const PATH: &str = env!("CARGO_BIN_EXE_conformance");

/// The one way tests start the binary: its target, token and snapshot settings come only from
/// what each test passes, never from the environment the tests happen to run in.
pub fn command() -> std::process::Command {
    let mut command = std::process::Command::new(PATH);
    for inherited in [
        "CODER_URL",
        "CODER_SESSION_TOKEN",
        "CODER_AGENT_TOKEN",
        "INSTA_UPDATE",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
    ] {
        command.env_remove(inherited);
    }
    command
}

/// [`command`], for async tests.
pub fn async_command() -> tokio::process::Command {
    let mut command = tokio::process::Command::from(command());
    command.kill_on_drop(true);
    command
}

/// A running `conformance serve` and what it announced on stdout.
pub struct Served {
    pub child: tokio::process::Child,
    pub url: String,
    pub token: String,
    /// `IMITATION_CONTROL_URL`, unless started with `--no-control`.
    pub control: Option<String>,
}

/// Starts `conformance serve ARGS` and reads its announcement (`CODER_URL=…`,
/// `CODER_SESSION_TOKEN=…` and, unless `--no-control`, `IMITATION_CONTROL_URL=…`).
pub async fn serve(args: &[&str]) -> Served {
    use tokio::io::AsyncBufReadExt;
    let mut child = async_command()
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let announced = if args.contains(&"--no-control") { 2 } else { 3 };
    let mut values = std::collections::HashMap::new();
    for _ in 0..announced {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("serve announced itself within 60 s")
            .unwrap()
            .expect("serve's stdout stayed open");
        let (name, value) = line.split_once('=').expect("NAME=value");
        values.insert(name.to_owned(), value.to_owned());
    }
    Served {
        child,
        url: values.remove("CODER_URL").expect("CODER_URL"),
        token: values
            .remove("CODER_SESSION_TOKEN")
            .expect("CODER_SESSION_TOKEN"),
        control: values.remove("IMITATION_CONTROL_URL"),
    }
}

/// A temporary directory holding a copy of the crate's accepted snapshots.
pub fn snapshot_copy() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("snapshots");
    std::fs::create_dir(&target).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "snap") {
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Runs `conformance <args> --snapshots <copy> --json <dir>/report.json --junit <dir>/junit.xml
/// --sarif <dir>/report.sarif` with `CI=true`, so nothing is written to the snapshot directory.
pub async fn run(args: &[&str], env: &[(&str, &str)], dir: TempDir) -> Run {
    run_in(args, env, dir, true).await
}

/// The same, as on a developer's machine: `CI` unset.
pub async fn run_outside_ci(args: &[&str], env: &[(&str, &str)], dir: TempDir) -> Run {
    run_in(args, env, dir, false).await
}

async fn run_in(args: &[&str], env: &[(&str, &str)], dir: TempDir, ci: bool) -> Run {
    let json_path = dir.path().join("report.json");
    let junit_path = dir.path().join("junit.xml");
    let sarif_path = dir.path().join("report.sarif");
    let mut command = async_command();
    command
        .args(args)
        .arg("--snapshots")
        .arg(dir.path().join("snapshots"))
        .arg("--json")
        .arg(&json_path)
        .arg("--junit")
        .arg(&junit_path)
        .arg("--sarif")
        .arg(&sarif_path);
    if ci {
        command.env("CI", "true");
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("conformance finished within 60 s")
        .unwrap();
    let json = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        json,
        junit: std::fs::read_to_string(&junit_path).unwrap_or_default(),
        sarif: std::fs::read_to_string(&sarif_path).unwrap_or_default(),
        elapsed: started.elapsed(),
        dir,
    }
}
