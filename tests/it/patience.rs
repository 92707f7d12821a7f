//! Patient with real deployments, and honest about what it could not check: a slow list is a
//! warning, a rate limit is waited out, a proxy standing in for a restarting Coder is "could
//! not complete" (exit 2), never a breach. Against the independent release fixture.
#![cfg(feature = "conformance")]

use crate::common;

use crate::common::coder_release;

use std::time::Duration;

use coder_release::{CoderRelease, Fixture, SESSION_TOKEN, Weather};

async fn check(fixture: &Fixture, extra: &[&str]) -> common::binary::Run {
    let mut args = vec!["check", "--url", fixture.base_url()];
    args.extend_from_slice(extra);
    common::binary::run(
        &args,
        &[("CODER_SESSION_TOKEN", SESSION_TOKEN)],
        common::binary::snapshot_copy(),
    )
    .await
}

fn list_case(run: &common::binary::Run) -> &serde_json::Value {
    run.cases()
        .iter()
        .find(|case| case["operation_id"] == "get-user-external-auths" && case["label"] == "list")
        .expect("the list case")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_but_correct_list_is_a_warning_not_a_failure() {
    let release = CoderRelease::get(35, 1);
    let fixture = Fixture::start_in(release, Weather::SlowList(Duration::from_millis(1500))).await;
    let run = check(&fixture, &["--timeout", "1"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warnings = list_case(&run)["warnings"].to_string();
    assert!(warnings.contains("slow: answered in 1."), "{warnings}");
    assert!(run.stderr.contains("warning: slow"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_is_waited_out_and_reported() {
    let release = CoderRelease::get(35, 1);
    let fixture = Fixture::start_in(release, Weather::RateLimitedOnce).await;
    let run = check(&fixture, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Every path was limited once; whichever case met it first waited and asked again.
    let retries: Vec<String> = run
        .cases()
        .iter()
        .flat_map(|case| case["retries"].as_array().cloned().unwrap_or_default())
        .map(|retry| retry.as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!retries.is_empty(), "{}", run.stderr);
    for retry in &retries {
        assert!(retry.contains("rate limited (429)"), "{retry}");
        assert!(retry.contains("retried after 1.00 s"), "{retry}");
    }
    assert!(
        run.stderr
            .contains("retried: attempt 1: rate limited (429)"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_standing_in_for_coder_is_unavailable_not_a_breach() {
    let release = CoderRelease::get(35, 1);
    let fixture = Fixture::start_in(release, Weather::GatewayDown).await;
    let run = check(&fixture, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.json["exit_code"], 2);
    let list = list_case(&run);
    assert_eq!(list["verdict"], "incomplete", "{list:#}");
    assert!(
        list["reason"]
            .as_str()
            .unwrap()
            .contains("target unavailable"),
        "{list:#}"
    );
    assert_eq!(list["retries"].as_array().unwrap().len(), 2, "{list:#}");
    assert!(!run.stderr.contains("Failure"), "{}", run.stderr);
}
