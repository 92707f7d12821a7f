//! `check --baseline` and `--write-baseline`: accepted findings pass as notes, new ones fail,
//! an expired entry fails again and says so, an entry that matched nothing is stale.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use coder_external_auth::Operation;
use coder_external_auth::imitation::{Imitation, ResponseHook};
use common::binary::{Run, run, snapshot_copy};
use serde_json::{Value, json};

/// An imitation whose status by id (every variant) carries a key the spec does not know, and
/// whose list does too when `list_too`.
async fn drifting(list_too: bool) -> Imitation {
    let hook: ResponseHook = Arc::new(move |operation, _status, body| {
        let key = match operation {
            Operation::GetExternalAuthById => "surprise",
            Operation::GetUserExternalAuths if list_too => "also_new",
            _ => return,
        };
        if let Some(Value::Object(map)) = body {
            map.insert(key.into(), json!(1));
        }
    });
    Imitation::builder()
        .response_hook(hook)
        .start()
        .await
        .unwrap()
}

async fn check_live(server: &Imitation, extra: &[&str], dir: tempfile::TempDir) -> Run {
    let mut args = vec!["check", "--url", server.base_url()];
    args.extend_from_slice(extra);
    let token = server.session_token().expose().to_owned();
    run(&args, &[("CODER_SESSION_TOKEN", &token)], dir).await
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The run's findings as `(operation, check, finding, baselined)`.
fn findings(run: &Run) -> Vec<(String, String, String, bool)> {
    run.json["findings"]
        .as_array()
        .expect("findings in the JSON report")
        .iter()
        .map(|f| {
            (
                f["operation_id"].as_str().unwrap().to_owned(),
                f["check"].as_str().unwrap().to_owned(),
                f["finding"].as_str().unwrap().to_owned(),
                f["baselined"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn write_baseline(dir: &Path, entries: Value) -> std::path::PathBuf {
    let path = dir.join("accepted.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json!({"baseline": 1, "accepted": entries})).unwrap(),
    )
    .unwrap();
    path
}

/// Every distinct `(operation, variant, check, finding)` of a run, as baseline entries.
fn entries_for(run: &Run, expires: &str) -> Vec<Value> {
    let mut entries: Vec<Value> = Vec::new();
    for f in run.json["findings"].as_array().unwrap() {
        let entry = json!({
            "operation_id": f["operation_id"],
            "variant": f["variant"],
            "check": f["check"],
            "finding": f["finding"],
            "reason": "a fork adds it",
            "expires": expires,
        });
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
    entries
}

#[tokio::test(flavor = "multi_thread")]
async fn a_written_baseline_turns_exit_3_into_exit_0_with_the_findings_as_notes() {
    let server = drifting(false).await;
    let dir = snapshot_copy();
    let file = dir.path().join("baseline.json");
    let file_arg = path_str(&file).to_owned();
    let first = check_live(&server, &["--write-baseline", &file_arg], dir).await;
    assert_eq!(first.code, 3, "drift without a baseline:\n{}", first.stderr);
    assert!(
        findings(&first).iter().all(|f| !f.3),
        "nothing is baselined yet"
    );
    assert!(
        findings(&first)
            .iter()
            .any(|f| f.1 == "drift" && f.2.starts_with("/surprise: key not in the spec"))
    );

    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["baseline"], 1);
    let accepted = written["accepted"].as_array().unwrap();
    assert!(!accepted.is_empty());
    for entry in accepted {
        assert_eq!(entry["operation_id"], "get-external-auth-by-id", "{entry}");
        assert!(
            entry["check"] == "drift" || entry["check"] == "stale-snapshot",
            "{entry}"
        );
        assert!(entry["reason"].as_str().unwrap().starts_with("TODO"));
        assert!(entry["expires"].as_str().unwrap().len() == 10);
    }
    let token = server.session_token().expose().to_owned();
    assert!(!std::fs::read_to_string(&file).unwrap().contains(&token));

    // The loop: read it, give reasons, check with it.
    let dir = first.dir;
    let second = check_live(&server, &["--baseline", &file_arg], snapshot_copy()).await;
    assert_eq!(second.code, 0, "every finding accepted:\n{}", second.stderr);
    assert!(
        findings(&second).iter().all(|f| f.3),
        "{:?}",
        findings(&second)
    );
    assert!(second.json["summary"]["baselined"].as_u64().unwrap() > 0);
    assert_eq!(second.json["summary"]["failed"], 0);
    assert_eq!(second.json["baseline"]["stale"], 0);
    assert!(second.stderr.contains("   Baselined "), "{}", second.stderr);
    assert!(
        second.stderr.contains("(baselined until "),
        "{}",
        second.stderr
    );
    assert!(!second.junit.contains("<failure"), "{}", second.junit);
    assert!(
        second.junit.contains("note: baselined drift"),
        "{}",
        second.junit
    );
    drop(dir);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_finding_fails_beside_accepted_ones() {
    let only_by_id = drifting(false).await;
    let seen = check_live(&only_by_id, &[], snapshot_copy()).await;
    assert_eq!(seen.code, 3);
    only_by_id.shutdown().await;

    let server = drifting(true).await;
    let dir = snapshot_copy();
    let file = write_baseline(dir.path(), json!(entries_for(&seen, "2999-12-31")));
    let run = check_live(&server, &["--baseline", path_str(&file)], dir).await;
    assert_eq!(run.code, 3, "the list's new key fails:\n{}", run.stderr);
    let all = findings(&run);
    assert!(
        all.iter()
            .any(|f| f.0 == "get-user-external-auths" && f.2.contains("/also_new") && !f.3),
        "{all:?}"
    );
    assert!(
        all.iter()
            .filter(|f| f.0 == "get-external-auth-by-id")
            .all(|f| f.3),
        "{all:?}"
    );
    assert!(run.junit.contains("<failure"), "{}", run.junit);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_entry_fails_again_and_says_so() {
    let server = drifting(false).await;
    let seen = check_live(&server, &[], snapshot_copy()).await;
    let dir = snapshot_copy();
    let file = write_baseline(dir.path(), json!(entries_for(&seen, "2000-01-01")));
    let run = check_live(&server, &["--baseline", path_str(&file)], dir).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(findings(&run).iter().all(|f| !f.3));
    assert!(
        run.json["findings"][0]["expired"] == true,
        "{}",
        run.json["findings"]
    );
    assert!(
        run.stderr
            .contains("expired on 2000-01-01: its finding fails again"),
        "{}",
        run.stderr
    );
    assert!(run.json["baseline"]["expired"].as_u64().unwrap() > 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entry_that_matches_nothing_is_stale_and_changes_no_exit() {
    let server = drifting(false).await;
    let seen = check_live(&server, &[], snapshot_copy()).await;
    let mut entries = entries_for(&seen, "2999-12-31");
    entries.push(json!({
        "operation_id": "get-user-external-auths",
        "variant": "providers-and-links",
        "check": "drift",
        "finding": "/gone: key not in the spec (ListUserExternalAuthResponse)",
        "reason": "fixed upstream since",
        "expires": "2999-12-31",
    }));
    let dir = snapshot_copy();
    let file = write_baseline(dir.path(), json!(entries));
    let run = check_live(&server, &["--baseline", path_str(&file)], dir).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json["baseline"]["stale"], 1);
    let note = format!(
        "({}) matched no finding: it is stale",
        "get-user-external-auths [providers-and-links] drift: /gone: key not in the spec (ListUserExternalAuthResponse)"
    );
    assert!(run.stderr.contains(&note), "{}", run.stderr);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_shape_can_be_baselined_too() {
    let dir = snapshot_copy();
    let accepted = dir
        .path()
        .join("snapshots/get-external-auth-by-id@unknown-provider.snap");
    let edited = std::fs::read_to_string(&accepted)
        .unwrap()
        .replace("\"status\": 404", "\"status\": 410");
    std::fs::write(&accepted, edited).unwrap();
    let file = dir.path().join("baseline.json");
    let file_arg = path_str(&file).to_owned();
    let first = run(&["check", "--write-baseline", &file_arg], &[], dir).await;
    assert_eq!(first.code, 1, "{}", first.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("\"check\": \"stale-snapshot\""),
        "{written}"
    );
    let second = run(&["check", "--baseline", &file_arg], &[], first.dir).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn write_baseline_never_replaces_a_file_without_force() {
    let dir = snapshot_copy();
    let file = dir.path().join("baseline.json");
    std::fs::write(&file, "keep me").unwrap();
    let file_arg = path_str(&file).to_owned();
    let refused = run(&["check", "--write-baseline", &file_arg], &[], dir).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--write-baseline")
            && refused.stderr.contains("exists; pass --force"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let forced = run(
        &["check", "--write-baseline", &file_arg, "--force"],
        &[],
        refused.dir,
    )
    .await;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, json!({"baseline": 1, "accepted": []}));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_baseline_cannot_run_and_names_the_flag() {
    let dir = snapshot_copy();
    let file = write_baseline(
        dir.path(),
        json!([{"operation_id": "get-external-auth-by-id", "variant": "x", "check": "drift",
                "finding": "f", "reason": "", "expires": "2999-01-01"}]),
    );
    let run = run(&["check", "--baseline", path_str(&file)], &[], dir).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--baseline") && run.stderr.contains("give a reason"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_example_baseline_is_a_baseline() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/baseline.json"
    ))
    .unwrap();
    let example: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(example["baseline"], 1);
    for entry in example["accepted"].as_array().unwrap() {
        for key in [
            "operation_id",
            "variant",
            "check",
            "finding",
            "reason",
            "expires",
        ] {
            assert!(entry[key].is_string(), "{key} in {entry}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_may_not_overwrite_the_baseline_but_a_refresh_may() {
    let dir = snapshot_copy();
    let file = write_baseline(dir.path(), json!([]));
    let file_arg = path_str(&file).to_owned();
    let output = common::binary::command()
        .args(["check", "--baseline", &file_arg, "--json", &file_arg])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--baseline and --json name the same file"),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("\"baseline\": 1")
    );
    // Refreshing in place: read it, write the run's findings over it.
    let refreshed = run(
        &[
            "check",
            "--baseline",
            &file_arg,
            "--write-baseline",
            &file_arg,
            "--force",
        ],
        &[],
        dir,
    )
    .await;
    assert_eq!(refreshed.code, 0, "{}", refreshed.stderr);
}
