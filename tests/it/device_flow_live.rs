//! `check --device-flow` against Coder's imitation as a live target, the way CI runs it: with
//! no terminal, a target that approves by itself (`--device-auto-approve-after`) is checked
//! without the user code ever being shown; one that waits for a person runs until its deadline,
//! saying so, and still shows the code nowhere;
//! with a terminal, the prompt gives the control API call that approves the code.

use crate::common;

use std::process::Output;
use std::sync::{Arc, Mutex};

use coder_external_auth::Operation;
use coder_external_auth::imitation::{Imitation, ImitationBuilder, ResponseHook};
use common::binary;

/// Whether a util-linux tool is there; the tests that need it say why they skip.
fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The imitation as a live target with its control API, recording every user code it hands
/// out.
async fn imitation(builder: ImitationBuilder) -> (Imitation, Arc<Mutex<Vec<String>>>) {
    let codes: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = codes.clone();
    let hook: ResponseHook = Arc::new(move |operation, _, body| {
        if operation == Operation::GetExternalAuthDeviceById
            && let Some(code) = body.as_ref().and_then(|body| body["user_code"].as_str())
        {
            record.lock().unwrap().push(code.to_owned());
        }
    });
    let server = builder
        .http_control(true)
        .response_hook(hook)
        .start()
        .await
        .unwrap();
    (server, codes)
}

/// `check --url URL --device-flow ARGS` in a new session, so with no controlling terminal.
fn check_without_terminal(server: &Imitation, args: &[&str]) -> Output {
    let mut command = std::process::Command::new("setsid");
    command
        .arg("-w")
        .arg(binary::PATH)
        .args(["check", "--url", server.base_url(), "--device-flow"])
        .args(args)
        .env_clear()
        .env("CODER_SESSION_TOKEN", server.session_token().expose())
        .stdin(std::process::Stdio::null());
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_terminal_a_target_that_approves_by_itself_is_checked() {
    if !have("setsid") {
        eprintln!("skipped: util-linux `setsid` is not installed");
        return;
    }
    let (server, codes) = imitation(
        Imitation::builder()
            .auto_approve_after(1)
            .enforce_poll_interval(false),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let output = check_without_terminal(&server, &["--json", json.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("the target approves each code by itself on poll 1"),
        "{stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let approved = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["variant"] == "approved")
        .unwrap_or_else(|| panic!("no approved exchange:\n{stderr}"));
    assert_eq!(approved["verdict"], "fresh", "{approved:#}");
    // The flow ran (a code was handed out), and its code is in no output.
    let codes = codes.lock().unwrap().clone();
    assert!(!codes.is_empty());
    let report = report.to_string();
    for code in &codes {
        for output in [&*stdout, &*stderr, &report] {
            assert!(!output.contains(code.as_str()), "{code} shown:\n{output}");
        }
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_terminal_a_target_that_waits_for_a_person_runs_out_its_deadline() {
    if !have("setsid") {
        eprintln!("skipped: util-linux `setsid` is not installed");
        return;
    }
    let (server, codes) = imitation(Imitation::builder().enforce_poll_interval(false)).await;
    let output = check_without_terminal(&server, &["--device-flow-deadline", "2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Nobody approved: incomplete (2), said so, and the code was shown nowhere.
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no terminal to show the user code on"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not approved within the device-flow deadline"),
        "{stderr}"
    );
    let codes = codes.lock().unwrap().clone();
    assert!(!codes.is_empty(), "the flow did not start");
    for code in &codes {
        assert!(!stdout.contains(code.as_str()) && !stderr.contains(code.as_str()));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_the_imitation_prompt_gives_the_call_that_approves() {
    if !have("script") {
        eprintln!("skipped: util-linux `script` is not installed (the prompt needs a tty)");
        return;
    }
    let (server, codes) = imitation(Imitation::builder().enforce_poll_interval(false)).await;
    let control = server.control_url().expect("the control API");
    let command = format!(
        "{} check --url {} --device-flow --device-flow-deadline 60",
        binary::PATH,
        server.base_url()
    );
    let mut script = tokio::process::Command::new("script");
    script
        .args(["-qefc", &command, "/dev/null"])
        .env_clear()
        .env("CODER_SESSION_TOKEN", server.session_token().expose())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let child = script.output();
    // Play the user: approve every pending code through the control API (the read-only
    // cases start one too) until the run ends.
    let approver = async {
        loop {
            for code in server.control().pending_user_codes() {
                server.control().approve(&code);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        tokio::select! {
            output = child => output,
            () = approver => unreachable!(),
        }
    })
    .await
    .expect("the device flow ended within 60 s");
    let output = output.unwrap();
    // What the terminal showed (script copies the tty's text to its stdout).
    let shown = String::from_utf8_lossy(&output.stdout);
    // The flow's own code: the last one handed out.
    let code = codes.lock().unwrap().last().cloned().expect("a user code");
    let call =
        format!("curl -s -X POST {control}/device/approve -d '{{\"user_code\": \"{code}\"}}'");
    assert!(shown.contains(&call), "{shown}");
    assert!(!shown.contains("github.com/login/device"), "{shown}");
    assert_eq!(output.status.code(), Some(0), "{shown}");
    server.shutdown().await;
}
