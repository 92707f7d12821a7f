//! Coverage in every output: the embedded run reaches every catalog variant; a live target
//! without a device provider names the device variants it cannot reach, and why.

use crate::common;

use coder_external_auth::imitation::{Imitation, LinkSeed, ProviderConfig};
use common::binary::{run, snapshot_copy};
use serde_json::Value;

/// `(operation, variant) -> (coverage, reason)` from the JSON report.
fn variants(json: &Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for operation in json["coverage"]["operations"].as_array().expect("coverage") {
        for variant in operation["variants"].as_array().unwrap() {
            out.push((
                operation["operation_id"].as_str().unwrap().to_owned(),
                variant["variant"].as_str().unwrap().to_owned(),
                variant["coverage"].as_str().unwrap().to_owned(),
                variant["reason"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_run_covers_every_variant() {
    let summary = tempfile::tempdir().unwrap();
    let summary_path = summary.path().join("summary.md");
    let run = run(
        &["check"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary_path.to_str().unwrap()),
        ],
        snapshot_copy(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let coverage = &run.json["coverage"];
    assert_eq!(
        coverage["variants_seen"], coverage["variants"],
        "{coverage}"
    );
    assert!(coverage["variants"].as_u64().unwrap() >= 40);
    assert!(
        variants(&run.json).iter().all(|v| v.2 == "seen"),
        "{:?}",
        variants(&run.json)
    );
    // Statuses: documented ones, and the run saw at least 200, 401 and 404 of each read.
    let statuses = coverage["statuses"].as_u64().unwrap();
    let seen = coverage["statuses_seen"].as_u64().unwrap();
    assert!(seen > 0 && seen < statuses, "{coverage}");
    let figure = format!(
        "Coverage {} of {} variants, {seen} of {statuses} documented statuses",
        coverage["variants"], coverage["variants"]
    );
    assert!(run.stderr.contains(&figure), "{figure} in\n{}", run.stderr);
    let summary_text = std::fs::read_to_string(&summary_path).unwrap();
    assert!(
        summary_text.contains(&format!(
            "**Coverage**: {} of {} variants, {seen} of {statuses} documented statuses.",
            coverage["variants"], coverage["variants"]
        )),
        "{summary_text}"
    );
    assert!(run.junit.contains("coverage.variants"), "{}", run.junit);
    // A status no case provokes says so.
    let list = run.json["coverage"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation_id"] == "get-user-external-auths")
        .unwrap();
    let rate_limited = list["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == 429)
        .unwrap();
    assert_eq!(rate_limited["coverage"], "not-seen");
    assert!(
        rate_limited["reason"]
            .as_str()
            .unwrap()
            .contains("rate limit"),
        "{rate_limited}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_without_a_device_provider_names_what_it_cannot_reach() {
    let server = Imitation::builder()
        .no_providers()
        .provider(ProviderConfig::gitlab("gitlab").linked(Some(LinkSeed::new())))
        .start()
        .await
        .unwrap();
    let token = server.session_token().expose().to_owned();
    let run = run(
        &["check", "--url", server.base_url()],
        &[("CODER_SESSION_TOKEN", &token)],
        snapshot_copy(),
    )
    .await;
    assert!(run.json["coverage"].is_object(), "{}", run.stderr);
    let all = variants(&run.json);
    let device_code = all
        .iter()
        .find(|v| v.0 == "get-external-auth-device-by-id" && v.1 == "device-code")
        .unwrap();
    assert_eq!(device_code.2, "not-reachable");
    assert_eq!(device_code.3, "a provider with the device flow");
    for variant in ["pending", "approved"] {
        let polled = all
            .iter()
            .find(|v| v.0 == "post-external-auth-device-by-id" && v.1 == variant)
            .unwrap();
        assert_eq!(polled.2, "not-reachable", "{polled:?}");
        assert!(polled.3.starts_with("--device-flow: "), "{polled:?}");
    }
    let not_supported = all
        .iter()
        .find(|v| v.0 == "get-external-auth-device-by-id" && v.1 == "not-supported")
        .unwrap();
    assert_eq!(not_supported.2, "seen");
    let coverage = &run.json["coverage"];
    assert!(
        coverage["variants_seen"].as_u64() < coverage["variants"].as_u64(),
        "{coverage}"
    );
    assert!(run.stderr.contains(&format!(
        "    Coverage {} of {} variants",
        coverage["variants_seen"], coverage["variants"]
    )));
    server.shutdown().await;
}

#[tokio::test]
async fn list_shows_the_statuses_each_variant_answers() {
    let output = common::binary::command().arg("list").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("  status    429")
            && stdout.contains("no case provokes it: it needs a rate limit"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("  status    404") && line.contains("unknown-provider")),
        "{stdout}"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("    Coverage "), "{stderr}");
}
