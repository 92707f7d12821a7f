//! `check --sarif PATH`: a SARIF 2.1.0 log with one result per finding, its rule the check
//! kind, its level from the verdict, the operation and variant as its logical location and
//! the spec as its physical one. With `CONFORMANCE_SARIF_DIR` set, the logs of the embedded
//! run and of a drifting fixture are also copied there, for `.ci/spec-tools.sh --sarif`
//! (Microsoft's SARIF Multitool).

use crate::common;

use std::sync::Arc;

use coder_external_auth::Operation;
use coder_external_auth::imitation::{Imitation, ResponseHook};
use common::binary::{Run, run, snapshot_copy};
use serde_json::{Value, json};

/// The required structure of SARIF 2.1.0 (the keys its schema requires, and the values this
/// tool promises), checked on every log.
fn assert_sarif(run: &Run) -> Value {
    let log: Value = serde_json::from_str(&run.sarif)
        .unwrap_or_else(|err| panic!("not JSON: {err}\n{}", run.sarif));
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "conformance");
    let rules = driver["rules"].as_array().expect("rules");
    for rule in rules {
        assert!(rule["id"].is_string(), "{rule}");
        assert_ne!(
            rule["id"].as_str().unwrap().to_lowercase(),
            rule["name"].as_str().unwrap().to_lowercase(),
            "SARIF1001: a rule's name differs from its id"
        );
        let help = rule["help"]["text"].as_str().unwrap();
        assert!(help.contains("README.md#"), "{rule}");
    }
    for result in runs[0]["results"].as_array().expect("results") {
        let rule = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule, "{result}");
        assert!(
            ["error", "warning", "note"].contains(&result["level"].as_str().unwrap()),
            "{result}"
        );
        assert!(result["message"]["text"].is_string(), "{result}");
        let location = &result["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            "openapi/coder-external-auth.json"
        );
        assert!(location["physicalLocation"]["region"]["startLine"].as_u64() > Some(0));
        let logical = &location["logicalLocations"][0];
        assert_eq!(
            logical["fullyQualifiedName"],
            format!(
                "{}@{}",
                result["properties"]["operation_id"].as_str().unwrap(),
                logical["name"].as_str().unwrap()
            )
        );
    }
    assert_eq!(
        runs[0]["invocations"][0]["exitCode"], run.code,
        "the invocation's exit code"
    );
    log
}

/// Copies a log for the Multitool when CI asks for it.
fn keep_for_ci(run: &Run, name: &str) {
    if let Some(dir) = std::env::var_os("CONFORMANCE_SARIF_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), &run.sarif).unwrap();
    }
}

fn results(log: &Value) -> &[Value] {
    log["runs"][0]["results"].as_array().unwrap()
}

async fn drifting() -> Imitation {
    let hook: ResponseHook = Arc::new(|operation, _status, body| {
        if operation == Operation::GetExternalAuthById
            && let Some(Value::Object(map)) = body
        {
            map.insert("surprise".into(), json!(1));
        }
    });
    Imitation::builder()
        .response_hook(hook)
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_run_is_a_sarif_log_without_results() {
    let run = run(&["check"], &[], snapshot_copy()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = assert_sarif(&run);
    assert!(results(&log).is_empty(), "{log}");
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    assert!(
        log["runs"][0]["properties"]["coverage"]
            .as_str()
            .unwrap()
            .contains("variants")
    );
    keep_for_ci(&run, "embedded.sarif");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drifting_target_gives_one_result_per_finding_and_baselined_ones_are_notes() {
    let server = drifting().await;
    let token = server.session_token().expose().to_owned();
    let dir = snapshot_copy();
    let baseline = dir.path().join("baseline.json");
    let baseline_arg = baseline.to_str().unwrap().to_owned();
    let first = run(
        &[
            "check",
            "--url",
            server.base_url(),
            "--write-baseline",
            &baseline_arg,
        ],
        &[("CODER_SESSION_TOKEN", &token)],
        dir,
    )
    .await;
    assert_eq!(first.code, 3, "{}", first.stderr);
    let log = assert_sarif(&first);
    let findings = first.json["findings"].as_array().unwrap();
    assert_eq!(results(&log).len(), findings.len());
    let drift: Vec<&Value> = results(&log)
        .iter()
        .filter(|result| result["ruleId"] == "drift")
        .collect();
    assert!(!drift.is_empty());
    assert!(drift.iter().all(|result| result["level"] == "error"));
    assert!(
        results(&log)
            .iter()
            .filter(|result| result["ruleId"] == "stale-snapshot")
            .all(|result| result["level"] == "warning")
    );
    assert!(!first.sarif.contains(&token));
    keep_for_ci(&first, "drifting.sarif");

    let second = run(
        &[
            "check",
            "--url",
            server.base_url(),
            "--baseline",
            &baseline_arg,
        ],
        &[("CODER_SESSION_TOKEN", &token)],
        snapshot_copy(),
    )
    .await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    let log = assert_sarif(&second);
    assert!(!results(&log).is_empty());
    assert!(
        results(&log)
            .iter()
            .all(|result| result["level"] == "note" && result["properties"]["baselined"] == true),
        "{log}"
    );
    keep_for_ci(&second, "baselined.sarif");
    drop(first);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_could_not_run_still_writes_a_log_that_says_so() {
    let run = run(
        &["check", "--url", "http://127.0.0.1:9", "--timeout", "2"],
        &[("CODER_SESSION_TOKEN", "nevershown-0123456789abcdefgh")],
        snapshot_copy(),
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let log = assert_sarif(&run);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["descriptor"]["id"],
        "unreachable"
    );
    assert!(!run.sarif.contains("nevershown-0123456789abcdefgh"));
    keep_for_ci(&run, "could-not-run.sarif");
}

#[tokio::test]
async fn the_sarif_path_may_not_be_another_reports() {
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same");
    let output = common::binary::command()
        .args(["check", "--json"])
        .arg(&same)
        .arg("--sarif")
        .arg(&same)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--json and --sarif name the same file"),
        "{stderr}"
    );
}
