//! `check --har` and `proxy`: a HAR recorded through the proxy while `check` drives every
//! operation (the device flow included) against `conformance serve` judges clean; the same
//! file with a drifted body exits 3 naming the entry; every class of bad HAR ends bounded
//! with an error naming the file or the entry; secrets reach no output.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use base64::Engine;
use common::binary::{async_command, command};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

/// A template version the imitation is told about, shaped like the accepted snapshot's.
const TEMPLATE_VERSION: &str = "11111111-2222-4333-8444-555555555555";

/// A running child and the `NAME=value` lines it announced.
struct Announced {
    child: tokio::process::Child,
    values: std::collections::HashMap<String, String>,
}

async fn start(args: &[&str], lines: usize) -> Announced {
    let mut child = async_command()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut values = std::collections::HashMap::new();
    for _ in 0..lines {
        let line = tokio::time::timeout(Duration::from_secs(60), reader.next_line())
            .await
            .expect("announced within 60 s")
            .unwrap()
            .expect("stdout stayed open");
        let (name, value) = line.split_once('=').expect("NAME=value");
        values.insert(name.to_owned(), value.to_owned());
    }
    Announced { child, values }
}

/// Records a HAR through the proxy while `check` drives every operation against the
/// imitation; returns the directory (out.har, proxy.json) and the secrets that were in play.
async fn record() -> (tempfile::TempDir, Vec<String>, Output) {
    let dir = tempfile::tempdir().unwrap();
    let serve = start(&["serve", "--device-auto-approve-after", "1"], 4).await;
    let (url, token, agent, control) = (
        serve.values["CODER_URL"].clone(),
        serve.values["CODER_SESSION_TOKEN"].clone(),
        serve.values["CODER_AGENT_TOKEN"].clone(),
        serve.values["IMITATION_CONTROL_URL"].clone(),
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let put = client
        .put(format!("{control}/template-versions/{TEMPLATE_VERSION}"))
        .body(
            r#"{"providers":[{"provider_id":"github","optional":true},{"provider_id":"gitlab"}]}"#,
        )
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let har = dir.path().join("out.har");
    let json = dir.path().join("proxy.json");
    let proxy = start(
        &[
            "proxy",
            "--upstream",
            &url,
            "--har-out",
            har.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        1,
    )
    .await;
    let proxy_url = proxy.values["PROXY_URL"].clone();
    let check = async_command()
        .args([
            "check",
            "--url",
            &proxy_url,
            "--device-flow",
            "--agent-listen",
        ])
        .args(["--allow-delete", "github", "--allow-delete", "gitlab"])
        .args(["--template-version", TEMPLATE_VERSION])
        .env("CODER_SESSION_TOKEN", &token)
        .env("CODER_AGENT_TOKEN", &agent)
        .env("CI", "true")
        .output()
        .await
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "check through the proxy:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let pid = proxy.child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let stopped = tokio::time::timeout(Duration::from_secs(30), proxy.child.wait_with_output())
        .await
        .expect("the proxy stops on SIGINT")
        .unwrap();
    drop(serve);
    (dir, vec![token, agent], stopped)
}

fn check_har(paths: &[&Path], extra: &[&str]) -> Output {
    let mut command = command();
    command.arg("check").env("CI", "true");
    for path in paths {
        command.arg("--har").arg(path);
    }
    command.args(extra).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_har_recorded_through_the_proxy_judges_clean_and_a_drifted_body_exits_3() {
    let (dir, secrets, proxy) = record().await;
    let proxy_stderr = stderr(&proxy);
    assert_eq!(proxy.status.code(), Some(0), "proxy:\n{proxy_stderr}");
    let har_path = dir.path().join("out.har");
    let har_text = std::fs::read_to_string(&har_path).unwrap();
    let proxy_report = std::fs::read_to_string(dir.path().join("proxy.json")).unwrap();
    let har: Value = serde_json::from_str(&har_text).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert!(entries.len() >= 40, "{} entries", entries.len());

    let report_path = dir.path().join("har.json");
    let judged = check_har(&[&har_path], &["--json", report_path.to_str().unwrap()]);
    let judged_stderr = stderr(&judged);
    assert_eq!(judged.status.code(), Some(0), "{judged_stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let operations: std::collections::BTreeSet<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["operation_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations.len(),
        8,
        "every operation judged: {operations:?}"
    );
    let variants: Vec<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| format!("{}@{}", case["operation_id"], case["variant"]).replace('"', ""))
        .collect();
    for expected in [
        "post-external-auth-device-by-id@approved",
        "get-external-auth-device-by-id@device-code",
        "get-user-external-auths@no-token",
        "get-workspace-agent-external-auth@listen-linked",
        "delete-external-auth-user-link-by-id@no-link",
    ] {
        assert!(
            variants.iter().any(|v| v == expected),
            "{expected} in {variants:?}"
        );
    }
    // Fresh means compared with an accepted snapshot and matched.
    let fresh_with_snapshot = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["verdict"] == "fresh" && case["snapshot"]["outcome"] == "fresh")
        .count();
    assert!(fresh_with_snapshot >= 30, "{fresh_with_snapshot}");
    for secret in &secrets {
        for (name, text) in [
            ("out.har", &har_text),
            ("proxy.json", &proxy_report),
            ("proxy stderr", &proxy_stderr),
            ("check --har stderr", &judged_stderr),
        ] {
            assert!(!text.contains(secret.as_str()), "a token in {name}");
        }
    }
    assert!(
        har_text.contains("\"value\": \"***\""),
        "credential headers replaced"
    );

    // Drift: a key the spec does not know in the list's body.
    let mut drifted = har.clone();
    let index = entries
        .iter()
        .position(|entry| {
            entry["request"]["url"] == "/api/v2/external-auth" && entry["response"]["status"] == 200
        })
        .expect("a list answered 200");
    let body = &mut drifted["log"]["entries"][index]["response"]["content"]["text"];
    let mut value: Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
    value["surprise"] = json!(true);
    *body = json!(value.to_string());
    let drifted_path = dir.path().join("drifted.har");
    std::fs::write(&drifted_path, drifted.to_string()).unwrap();
    let judged = check_har(&[&drifted_path], &[]);
    let text = stderr(&judged);
    assert_eq!(judged.status.code(), Some(3), "{text}");
    assert!(text.contains(&format!("entries[{index}]")), "{text}");
    assert!(text.contains("/surprise: key not in the spec"), "{text}");
}

/// A HAR of `entries` in a temporary directory.
fn har_file(dir: &Path, name: &str, entries: Vec<Value>) -> PathBuf {
    let path = dir.join(name);
    let har = json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}});
    std::fs::write(&path, har.to_string()).unwrap();
    path
}

const TOKEN: &str = "hArTok0001-Sixteen0SecretChars0x";

fn entry(method: &str, url: &str, status: i64, content: Value) -> Value {
    json!({
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "time": 3.5,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Coder-Session-Token", "value": TOKEN},
                        {"name": "Cookie", "value": format!("coder_session_token={TOKEN}; other=1")}],
            "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Content-Type", "value": "application/json"},
                        {"name": "X-Coder-Build-Version", "value": "v2.36.1"}],
            "cookies": [], "content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 3, "receive": 0}
    })
}

fn list(content: Value) -> Value {
    entry(
        "GET",
        "https://coder.example.com/api/v2/external-auth",
        200,
        content,
    )
}

const EMPTY_LIST: &str = r#"{"providers":[],"links":[]}"#;

#[test]
fn a_base64_body_is_decoded_and_judged_and_other_entries_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(EMPTY_LIST);
    let page = entry(
        "GET",
        "https://coder.example.com/workspaces",
        200,
        json!({"size": 3, "text": "<p>", "mimeType": "text/html"}),
    );
    let path = har_file(
        dir.path(),
        "b.har",
        vec![
            page,
            list(
                json!({"size": 27, "mimeType": "application/json", "text": encoded, "encoding": "base64"}),
            ),
        ],
    );
    let output = check_har(&[&path], &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("1 exchange(s) judged; 1 not of the contract's operations ignored"),
        "{text}"
    );
    assert!(
        !text.contains(TOKEN) && !text.contains("Sixteen0SecretChars0x"),
        "{text}"
    );
}

#[test]
fn a_non_utf8_body_fails_the_schema_and_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(b"{\"providers\":[\xff]}");
    let path = har_file(
        dir.path(),
        "n.har",
        vec![
            list(json!({"size": 5, "text": EMPTY_LIST})),
            list(json!({"size": 5, "text": encoded, "encoding": "base64"})),
        ],
    );
    let output = check_har(&[&path], &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("entries[1]"), "{text}");
}

#[test]
fn a_non_utf8_file_and_a_truncated_file_name_the_entry_they_break_in() {
    let dir = tempfile::tempdir().unwrap();
    let good = har_file(
        dir.path(),
        "g.har",
        vec![
            list(json!({"text": EMPTY_LIST})),
            list(json!({"text": EMPTY_LIST})),
        ],
    );
    let text = std::fs::read(&good).unwrap();
    let second = text.windows(9).rposition(|w| w == b"\"request\"").unwrap();
    // Cut in the middle of the second entry.
    let truncated = dir.path().join("t.har");
    std::fs::write(&truncated, &text[..second + 40]).unwrap();
    let output = check_har(&[&truncated], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("log.entries[1]: EOF"),
        "{}",
        stderr(&output)
    );
    // A byte that is no UTF-8 inside the second entry's URL.
    let mut broken = text.clone();
    let at = second
        + broken[second..]
            .windows(4)
            .position(|w| w == b"http")
            .unwrap();
    broken[at] = 0xff;
    let non_utf8 = dir.path().join("u.har");
    std::fs::write(&non_utf8, &broken).unwrap();
    let output = check_har(&[&non_utf8], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("log.entries[1]"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn entries_with_no_response_or_an_unknown_encoding_are_incomplete_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut no_response = list(json!({}));
    no_response.as_object_mut().unwrap().remove("response");
    let aborted = entry("GET", "/api/v2/external-auth/github", 0, json!({"size": 0}));
    let gzip = list(json!({"size": 9, "text": "H4sIAAAA", "encoding": "gzip"}));
    let no_text = list(json!({"size": 27, "mimeType": "application/json"}));
    let path = har_file(
        dir.path(),
        "m.har",
        vec![no_response, aborted, gzip, no_text],
    );
    let output = check_har(&[&path], &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    for needle in [
        "entries[0]: the HAR records no response",
        "entries[1]: the HAR records no response (status 0",
        "content.encoding \"gzip\" is not one this tool reads",
        "the HAR holds no body text (content.size 27)",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn a_huge_file_a_fifo_and_dev_zero_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.har");
    // Sparse: a gigabyte on paper, nothing on disk.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let output = check_har(&[&huge], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("larger than 256 MiB, the most it may have"),
        "{}",
        stderr(&output)
    );
    let output = check_har(&[Path::new("/dev/zero")], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--har /dev/zero: it is not a regular file"),
        "{}",
        stderr(&output)
    );
    let fifo = dir.path().join("fifo.har");
    common::mkfifo(&fifo);
    let output = check_har(&[&fifo], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_har_without_contract_entries_and_a_body_over_the_cap_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let page = entry(
        "GET",
        "https://coder.example.com/api/v2/users/me",
        200,
        json!({"text": "{}"}),
    );
    let path = har_file(dir.path(), "none.har", vec![page]);
    let output = check_har(&[&path], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("none of its 1 entries is a call of the contract's operations")
    );
    let big = format!(
        r#"{{"providers":[],"links":[],"pad":"{}"}}"#,
        "x".repeat(2 << 20)
    );
    let path = har_file(dir.path(), "big.har", vec![list(json!({"text": big}))]);
    let output = check_har(&[&path], &[]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("body exceeds the 1048576 byte cap"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn secrets_in_headers_query_and_bodies_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let access = "gho_HARxACCESSxTOKENx1234567";
    // A server echoing the token and an access token in an error (the finding quotes it).
    let echoed = json!({"message": format!("bad {TOKEN} {access}"), "detail": ""});
    let mut login = entry(
        "POST",
        "/api/v2/users/login",
        201,
        json!({"text": json!({"session_token": access}).to_string()}),
    );
    login["request"]["headers"] = json!([]);
    let by_id = entry(
        "GET",
        &format!("/api/v2/external-auth/github?coder_session_token={TOKEN}"),
        404,
        json!({"text": echoed.to_string()}),
    );
    let path = har_file(dir.path(), "s.har", vec![login, by_id]);
    let report = dir.path().join("s.json");
    let junit = dir.path().join("s.xml");
    let output = check_har(
        &[&path],
        &[
            "--json",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    let all = format!(
        "{}{}{}{}",
        stderr(&output),
        String::from_utf8_lossy(&output.stdout),
        std::fs::read_to_string(&report).unwrap(),
        std::fs::read_to_string(&junit).unwrap()
    );
    assert!(all.contains("bad *** ***"), "{all}");
    for secret in [TOKEN, "Sixteen0SecretChars0x", access] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}

#[test]
fn a_har_never_writes_snapshots_unless_accept_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().join("snapshots");
    std::fs::create_dir(&snapshots).unwrap();
    let path = har_file(dir.path(), "a.har", vec![list(json!({"text": EMPTY_LIST}))]);
    let mut command = command();
    let output = command
        .args(["check", "--har"])
        .arg(&path)
        .arg("--snapshots")
        .arg(&snapshots)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "new snapshot: {}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_dir(&snapshots).unwrap().count(),
        0,
        "nothing written, not even .snap.new"
    );
    let output = check_har(
        &[&path],
        &["--snapshots", snapshots.to_str().unwrap(), "--accept"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        snapshots
            .join("get-user-external-auths@empty.snap")
            .is_file()
    );
}
