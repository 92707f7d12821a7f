//! `conformance check` end to end: against the embedded imitation with the committed
//! snapshots, against a drifting imitation, and the promises about secrets and state.

use crate::common;

use std::sync::Arc;

use coder_external_auth::Operation;
use coder_external_auth::imitation::{Imitation, ResponseHook};
use common::binary::{Run, run, run_outside_ci, snapshot_copy};
use serde_json::{Value, json};

/// `conformance check --url <server> <extra>` with the server's token in the environment.
async fn check_live(server: &Imitation, extra: &[&str], dir: tempfile::TempDir) -> Run {
    let mut args = vec!["check", "--url", server.base_url()];
    args.extend_from_slice(extra);
    let token = server.session_token().expose().to_owned();
    run(&args, &[("CODER_SESSION_TOKEN", &token)], dir).await
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_imitation_conforms_and_matches_the_committed_snapshots() {
    let run = run(&["check"], &[], snapshot_copy()).await;
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let summary = &run.json["summary"];
    assert_eq!(summary["failed"], 0, "{}", run.stderr);
    assert_eq!(summary["stale"], 0, "{}", run.stderr);
    assert_eq!(summary["new"], 0, "{}", run.stderr);
    assert!(summary["fresh"].as_u64().unwrap() >= 20, "{summary}");
    // Every operation was exercised, mutating ones included.
    for operation in [
        "delete-external-auth-user-link-by-id",
        "get-external-auth-by-id",
        "get-external-auth-device-by-id",
        "get-user-external-auths",
        "post-external-auth-device-by-id",
    ] {
        assert!(
            run.cases()
                .iter()
                .any(|case| case["operation_id"] == operation && case["verdict"] == "fresh"),
            "{operation} not exercised"
        );
    }
    for variant in [
        "pending",
        "approved",
        "deleted",
        "deleted-with-revocation-error",
        "no-link",
    ] {
        assert!(
            run.cases()
                .iter()
                .any(|case| case["variant"] == variant && case["verdict"] == "fresh"),
            "variant {variant} not exercised:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("    Finished "), "{}", run.stderr);
    assert!(run.junit.contains("<testsuites"), "{}", run.junit);
    assert!(!run.junit.contains("<failure"), "{}", run.junit);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_argument_runs_check_on_the_imitation() {
    let run = run(&[], &[], snapshot_copy()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.json["target"]
            .as_str()
            .unwrap()
            .contains("embedded imitation")
    );
}

/// Extra field, missing field, wrong type, wrong status: one of each, each named.
#[tokio::test(flavor = "multi_thread")]
async fn a_drifting_server_breaks_the_contract_with_each_finding_named() {
    let hook: ResponseHook = Arc::new(|operation, status, body| match operation {
        Operation::GetExternalAuthById => {
            if let Some(Value::Object(map)) = body {
                map.insert("surprise".into(), json!(1));
            }
        }
        Operation::GetUserExternalAuths => {
            if let Some(Value::Object(map)) = body
                && let Some(Value::Array(providers)) = map.get_mut("providers")
            {
                for provider in providers {
                    provider.as_object_mut().unwrap().remove("display_icon");
                }
            }
        }
        Operation::GetExternalAuthDeviceById => {
            if let Some(Value::Object(map)) = body
                && map.contains_key("interval")
            {
                map.insert("interval".into(), json!("5"));
            }
        }
        Operation::DeleteExternalAuthUserLinkById if status.as_u16() == 200 => {
            *status = http::StatusCode::ACCEPTED;
        }
        _ => {}
    });
    let server = Imitation::builder()
        .response_hook(hook)
        .start()
        .await
        .unwrap();
    let run = check_live(&server, &["--allow-delete", "github"], snapshot_copy()).await;
    assert_eq!(run.code, 3, "stderr:\n{}", run.stderr);
    let findings = run.findings().join("\n");
    for expected in [
        "get-external-auth-by-id github: drift: /surprise: key not in the spec",
        "get-user-external-auths list: schema: /providers/0: \"display_icon\" is a required property",
        "get-external-auth-device-by-id github: schema: /interval: \"5\" is not of type \"integer\"",
        "get-external-auth-device-by-id github: typed-decode",
        "delete-external-auth-user-link-by-id github: status: status 202 is not documented",
    ] {
        assert!(
            findings.contains(expected),
            "missing {expected:?} in:\n{findings}"
        );
    }
    assert!(run.stderr.contains("     Failure "), "{}", run.stderr);
    assert!(run.junit.contains("<failure"), "{}", run.junit);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_output_report_or_snapshot_holds_a_secret() {
    let server = Imitation::start().await.unwrap();
    // Accept into an empty directory, so snapshot files are written and scanned too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("snapshots")).unwrap();
    let run = check_live(&server, &["--allow-delete", "github", "--accept"], dir).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read_dir(run.snapshots()).unwrap().count() > 10);
    let all = run.all_output();
    let token = server.session_token().expose();
    assert!(!all.contains(token), "the session token leaked");
    let user_codes = server.control().pending_user_codes();
    assert!(
        !user_codes.is_empty(),
        "the run started no device authorization"
    );
    for user_code in user_codes {
        assert!(!all.contains(&user_code), "a user code leaked");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_run_changes_nothing_on_the_target() {
    let server = Imitation::start().await.unwrap();
    let token = server.session_token().expose().to_owned();
    let links = || async {
        let client = coder_external_auth::ClientBuilder::new(server.base_url())
            .session_token(token.clone())
            .build()
            .unwrap();
        let list = client.get_user_external_auths().await.unwrap().into_inner();
        let mut links: Vec<(String, bool)> = list
            .links
            .into_iter()
            .map(|link| (link.provider_id, link.has_refresh_token))
            .collect();
        links.sort();
        links
    };
    let before = links().await;
    let run = run(
        &["check", "--url", server.base_url()],
        &[("CODER_SESSION_TOKEN", &token)],
        snapshot_copy(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(links().await, before);
    assert!(!run.cases().iter().any(|case| {
        case["operation_id"] == "delete-external-auth-user-link-by-id"
            && case["verdict"] != "skipped"
    }));
    assert!(run.stderr.contains("DELETE not run"), "{}", run.stderr);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_delete_of_an_unlisted_provider_cannot_run() {
    let server = Imitation::start().await.unwrap();
    let run = check_live(&server, &["--allow-delete", "githb"], snapshot_copy()).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--allow-delete githb"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json["exit_code"], 2, "the report is still written");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_target_cannot_run_and_still_writes_reports() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = run(
        &["check", "--url", &url, "--timeout", "2"],
        &[("CODER_SESSION_TOKEN", "abcdefghij-0123456789abcdefghijkl")],
        snapshot_copy(),
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the target"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json["exit_code"], 2);
    assert!(run.junit.contains("<testsuites"), "{}", run.junit);
    assert!(
        !run.all_output()
            .contains("abcdefghij-0123456789abcdefghijkl")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_url_without_a_token_cannot_run() {
    let run = run(
        &["check", "--url", "http://127.0.0.1:9"],
        &[],
        snapshot_copy(),
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--url needs a session token"),
        "{}",
        run.stderr
    );
}

/// A snapshot copy whose accepted `get-external-auth-by-id@unknown-provider` shape says 410
/// where the imitation answers 404; also returns that edited file's text.
fn snapshot_copy_with_a_stale_shape() -> (tempfile::TempDir, String) {
    let dir = snapshot_copy();
    let accepted = dir
        .path()
        .join("snapshots/get-external-auth-by-id@unknown-provider.snap");
    let edited = std::fs::read_to_string(&accepted)
        .unwrap()
        .replace("\"status\": 404", "\"status\": 410");
    assert_ne!(
        edited,
        std::fs::read_to_string(&accepted).unwrap(),
        "nothing edited"
    );
    std::fs::write(&accepted, &edited).unwrap();
    (dir, edited)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_shape_is_left_pending_for_review_and_never_accepted() {
    let (dir, edited) = snapshot_copy_with_a_stale_shape();

    let run = run_outside_ci(&["check"], &[], dir).await;
    assert_eq!(run.code, 1, "only a shape changed:\n{}", run.stderr);
    let stale = run
        .cases()
        .iter()
        .find(|case| case["verdict"] == "stale")
        .expect("a stale case");
    assert_eq!(stale["variant"], "unknown-provider");
    let diff = stale["snapshot"]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  \"status\": 410") && diff.contains("+  \"status\": 404"),
        "{diff}"
    );
    assert!(run.stderr.contains("cargo insta review"), "{}", run.stderr);
    // The accepted file is untouched; the observed shape waits beside it.
    let snapshots = run.snapshots();
    assert_eq!(
        std::fs::read_to_string(snapshots.join("get-external-auth-by-id@unknown-provider.snap"))
            .unwrap(),
        edited
    );
    let pending = snapshots.join("get-external-auth-by-id@unknown-provider.snap.new");
    assert!(
        std::fs::read_to_string(pending)
            .unwrap()
            .contains("\"status\": 404")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn under_ci_a_changed_shape_writes_nothing() {
    let (dir, edited) = snapshot_copy_with_a_stale_shape();
    let run = run(&["check"], &[], dir).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let written: Vec<_> = std::fs::read_dir(run.snapshots())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snap.new"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
    let accepted = run
        .snapshots()
        .join("get-external-auth-by-id@unknown-provider.snap");
    assert_eq!(std::fs::read_to_string(accepted).unwrap(), edited);
}

/// The agent route against an imitation as a live target: `--agent-token` from the
/// environment, `--template-version` and `--agent-listen`; every agent and template-version
/// case runs, and neither the agent token nor any access token the route handed out (they are
/// also the usernames) reaches an output.
#[tokio::test(flavor = "multi_thread")]
async fn agent_cases_run_with_the_flags_and_leak_no_token() {
    let server = Imitation::start().await.unwrap();
    // What the route hands out, read before the run with the same agent token.
    let agent = coder_external_auth::ClientBuilder::new(server.base_url())
        .build()
        .unwrap()
        .with_agent_token(server.agent_token())
        .unwrap();
    let mut access_tokens = Vec::new();
    for id in ["github", "gitlab"] {
        let answer = agent
            .get_workspace_agent_external_auth(Some(id), None, None, None)
            .await
            .unwrap()
            .into_inner();
        assert!(!answer.access_token.is_empty());
        access_tokens.push(answer.access_token);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("snapshots")).unwrap();
    let version = coder_external_auth::imitation::TEMPLATE_VERSION_WITH_PROVIDERS;
    let mut args = vec!["check", "--url", server.base_url()];
    args.extend(["--template-version", version, "--agent-listen", "--accept"]);
    let session = server.session_token().expose().to_owned();
    let agent_token = server.agent_token().expose().to_owned();
    let run = run(
        &args,
        &[
            ("CODER_SESSION_TOKEN", &session),
            ("CODER_AGENT_TOKEN", &agent_token),
        ],
        dir,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for wanted in [
        "get-workspace-agent-external-auth github [linked]",
        "get-workspace-agent-external-auth azure-devops [unlinked]",
        "get-workspace-agent-external-auth github listen [listen-linked]",
        "removed-get-workspace-agent-git-auth github [linked]",
        "[providers]",
        "get-external-auth-by-template-version not a uuid [not-a-uuid]",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "{wanted} missing:\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("--agent-token"), "{}", run.stderr);
    let all = run.all_output();
    assert!(!all.contains(&agent_token), "the agent token leaked");
    for token in access_tokens {
        assert!(!all.contains(&token), "an access token leaked");
    }
    server.shutdown().await;
}

/// A provider with `extra_token_keys` (Slack's `authed_user`, a `scope`): the agent route's
/// `token_extra` is an object whose keys are the deployment's data, where the accepted shapes
/// were made without one. The contract says it is free-form, so a healthy deployment is not
/// "Stale": before shapes asked the contract, this run exited 1 on the agent cases (as
/// against a real Coder 2.36.1 whose provider returns a `scope`).
#[tokio::test(flavor = "multi_thread")]
async fn extra_token_keys_are_data_not_a_changed_shape() {
    use coder_external_auth::imitation::{LinkSeed, ProviderConfig};
    let extra = json!({"scope": "repo read:user", "authed_user": {"id": "U1"}});
    let server = Imitation::builder()
        .no_providers()
        .provider(
            ProviderConfig::new("slack", "slack")
                .extra_token_keys(vec!["authed_user".into(), "scope".into()])
                .linked(Some(
                    LinkSeed::new().token_extra(extra.as_object().unwrap().clone()),
                )),
        )
        .start()
        .await
        .unwrap();
    let agent = server.agent_token().expose().to_owned();
    let run = check_live(&server, &["--agent-token", &agent], snapshot_copy()).await;
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let linked: Vec<&Value> = run
        .cases()
        .iter()
        .filter(|case| case["variant"] == "linked")
        .collect();
    assert!(!linked.is_empty(), "{}", run.stderr);
    for case in linked {
        assert_eq!(case["verdict"], "fresh", "{case}");
    }
    // The values are secrets: none reaches any output.
    assert!(!run.all_output().contains("repo read:user"));
    assert!(!run.all_output().contains("U1\""));
}
