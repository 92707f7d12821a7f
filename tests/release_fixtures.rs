//! `conformance check` against independent, hand-written deployments of seven Coder releases
//! (tests/common/coder_release.rs, written from the per-release facts, not from the crate's
//! imitation): each healthy one conforms under its own release's contract, and each broken
//! one is caught, by the finding that names the breach.
#![cfg(feature = "conformance")]

#[path = "common/coder_release.rs"]
mod coder_release;

use std::time::Duration;

use coder_release::{Breach, CoderRelease, Fixture, SESSION_TOKEN};
use serde_json::Value;

/// What the harness waits for one run at most: far above what a run takes, so the machine's
/// load never decides a result.
const HARNESS_TIMEOUT: Duration = Duration::from_secs(600);

/// One `conformance check` run and what it left behind.
struct Checked {
    code: i32,
    stdout: String,
    stderr: String,
    report: Value,
    report_text: String,
}

impl Checked {
    /// Every case of the JSON report.
    fn cases(&self) -> &[Value] {
        self.report["cases"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The case of `operation` labelled `label`.
    fn case(&self, operation: &str, label: &str) -> &Value {
        self.cases()
            .iter()
            .find(|case| case["operation_id"] == operation && case["label"] == label)
            .unwrap_or_else(|| panic!("no case {operation} {label:?}\n{}", self.stderr))
    }

    /// `operation label: check: finding` for every finding of every failed check.
    fn findings(&self) -> Vec<String> {
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

    /// `file: outcome` of every snapshot comparison that was not fresh.
    fn changed_snapshots(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .cases()
            .iter()
            .filter_map(|case| {
                let snapshot = case.get("snapshot")?;
                (snapshot["outcome"] != "fresh").then(|| {
                    format!(
                        "{}: {}",
                        snapshot["file"].as_str().unwrap_or_default(),
                        snapshot["outcome"].as_str().unwrap_or_default()
                    )
                })
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// `conformance check --url <fixture> --allow-delete github --json <tmp>/r.json`, the token in
/// `CODER_SESSION_TOKEN` (never on the command line), against the snapshots the binary carries.
async fn check(fixture: &Fixture) -> Checked {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args([
            "check",
            "--url",
            fixture.base_url(),
            "--allow-delete",
            "github",
        ])
        .arg("--json")
        .arg(&json_path)
        .env("CODER_SESSION_TOKEN", SESSION_TOKEN)
        .env("CI", "true")
        .env_remove("CODER_URL")
        .env_remove("INSTA_UPDATE")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(HARNESS_TIMEOUT, output)
        .await
        .expect("conformance finished")
        .unwrap();
    let report_text = std::fs::read_to_string(&json_path).unwrap_or_default();
    let checked = Checked {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        report: serde_json::from_str(&report_text).unwrap_or(Value::Null),
        report_text,
    };
    assert!(
        !checked.stderr.contains("panicked"),
        "a panic:\n{}",
        checked.stderr
    );
    for (name, text) in [
        ("stdout", &checked.stdout),
        ("stderr", &checked.stderr),
        ("the JSON report", &checked.report_text),
    ] {
        assert!(
            !text.contains(SESSION_TOKEN),
            "the session token appears in {name}"
        );
    }
    assert!(
        checked.report.is_object(),
        "no JSON report; stderr:\n{}",
        checked.stderr
    );
    checked
}

/// The run names the release as the deployment reports it, and the contract range it is in.
fn assert_release_named(run: &Checked, release: &CoderRelease) {
    assert_eq!(
        run.report["coder_version"], release.build_version,
        "{}",
        run.stderr
    );
    assert_eq!(run.report["contract"], release.contract, "{}", run.stderr);
    assert!(
        run.stderr.contains(release.build_version),
        "the human report does not name {}:\n{}",
        release.build_version,
        run.stderr
    );
}

/// A healthy deployment of `2.minor.patch` conforms: no finding, the release named, every
/// operation exercised with the statuses that release answers, exit 0.
async fn conforms(minor: u32, patch: u32) {
    let release = CoderRelease::get(minor, patch);
    let fixture = Fixture::start(release, &[]).await;
    let run = check(&fixture).await;
    assert_release_named(&run, &release);
    let findings = run.findings();
    assert!(
        findings.is_empty(),
        "{}: findings against a healthy deployment:\n{}\n\nstderr:\n{}",
        release.tag(),
        findings.join("\n"),
        run.stderr
    );
    let missing_link = if minor >= 27 { 404 } else { 500 };
    for (operation, label, status) in [
        ("get-user-external-auths", "list", 200),
        ("get-user-external-auths", "no token", 401),
        ("get-user-external-auths", "malformed token", 401),
        ("get-user-external-auths", "unknown token", 401),
        ("get-external-auth-by-id", "unknown provider", 404),
        ("get-external-auth-by-id", "unknown provider, no token", 401),
        ("get-external-auth-by-id", "github", 200),
        ("get-external-auth-by-id", "gitlab", 200),
        ("get-external-auth-device-by-id", "github", 200),
        ("get-external-auth-device-by-id", "gitlab", 400),
        ("post-external-auth-device-by-id", "github empty body", 400),
        (
            "post-external-auth-device-by-id",
            "github unknown code",
            400,
        ),
        (
            "post-external-auth-device-by-id",
            "gitlab not supported",
            400,
        ),
        ("delete-external-auth-user-link-by-id", "github", 200),
        (
            "delete-external-auth-user-link-by-id",
            "github again",
            missing_link,
        ),
    ] {
        let case = run.case(operation, label);
        assert_eq!(case["status"], status, "{operation} {label}: {case}");
    }
    assert_eq!(
        run.code,
        0,
        "{}: exit {}; snapshots not fresh:\n{}\n\nstderr:\n{}",
        release.tag(),
        run.code,
        run.changed_snapshots().join("\n"),
        run.stderr
    );
}

/// What a breach must produce: a failed check of this kind on this case, whose finding
/// contains `needle`.
struct Named {
    operation: &'static str,
    label: &'static str,
    check: &'static str,
    needle: &'static str,
}

/// A deployment of `2.minor.patch` that breaks its contract in `breaches` exits 3, with
/// every breach named by its finding (in the JSON report and on stderr).
async fn caught(minor: u32, patch: u32, breaches: &[Breach], named: &[Named]) {
    let release = CoderRelease::get(minor, patch);
    let fixture = Fixture::start(release, breaches).await;
    let run = check(&fixture).await;
    assert_release_named(&run, &release);
    for expected in named {
        let case = run.case(expected.operation, expected.label);
        let found = case["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|check| check["name"] == expected.check && check["passed"] == false)
            .flat_map(|check| check["findings"].as_array().cloned().unwrap_or_default())
            .filter_map(|finding| finding.as_str().map(str::to_owned))
            .find(|finding| finding.contains(expected.needle));
        let Some(finding) = found else {
            panic!(
                "{} {breaches:?}: no {} finding naming {:?} on {} {}; findings:\n{}",
                release.tag(),
                expected.check,
                expected.needle,
                expected.operation,
                expected.label,
                run.findings().join("\n")
            );
        };
        assert_eq!(case["verdict"], "failure", "{case}");
        assert!(
            run.stderr.contains(&finding),
            "the human report does not show {finding:?}:\n{}",
            run.stderr
        );
    }
    assert_eq!(
        run.code,
        3,
        "{} {breaches:?}: findings:\n{}\n\nstderr:\n{}",
        release.tag(),
        run.findings().join("\n"),
        run.stderr
    );
}

#[tokio::test]
async fn v2_25_0_conforms() {
    conforms(25, 0).await;
}

#[tokio::test]
async fn v2_26_0_conforms() {
    conforms(26, 0).await;
}

#[tokio::test]
async fn v2_27_0_conforms() {
    conforms(27, 0).await;
}

#[tokio::test]
async fn v2_29_0_conforms() {
    conforms(29, 0).await;
}

#[tokio::test]
async fn v2_30_0_conforms() {
    conforms(30, 0).await;
}

#[tokio::test]
async fn v2_32_0_conforms() {
    conforms(32, 0).await;
}

#[tokio::test]
async fn v2_35_1_conforms() {
    conforms(35, 1).await;
}

/// A field from a later release is drift for this one (`supports_revocation` is v2.27's).
#[tokio::test]
async fn v2_25_0_sending_supports_revocation_is_drift() {
    caught(
        25,
        0,
        &[Breach::ListSendsSupportsRevocation],
        &[Named {
            operation: "get-user-external-auths",
            label: "list",
            check: "drift",
            needle: "/providers/0/supports_revocation",
        }],
    )
    .await;
}

/// v2.27's DELETE body from a v2.26 deployment: its contract is the string `"OK"`.
#[tokio::test]
async fn v2_26_0_delete_answering_an_object_breaks_the_schema() {
    caught(
        26,
        0,
        &[Breach::DeleteAnswersObject],
        &[Named {
            operation: "delete-external-auth-user-link-by-id",
            label: "github",
            check: "schema",
            needle: "token_revoked",
        }],
    )
    .await;
}

/// From v2.27 GET by id always sends `supports_revocation`; leaving it out is a missing
/// required field (it would not be one at v2.26).
#[tokio::test]
async fn v2_27_0_by_id_without_supports_revocation_breaks_the_schema() {
    caught(
        27,
        0,
        &[Breach::ByIdOmitsSupportsRevocation],
        &[Named {
            operation: "get-external-auth-by-id",
            label: "gitlab",
            check: "schema",
            needle: "supports_revocation",
        }],
    )
    .await;
}

/// `code_challenge_methods_supported` is v2.30's: a v2.29 deployment that sends it drifts.
#[tokio::test]
async fn v2_29_0_sending_code_challenge_methods_is_drift() {
    caught(
        29,
        0,
        &[Breach::ListSendsCodeChallengeMethods],
        &[Named {
            operation: "get-user-external-auths",
            label: "list",
            check: "drift",
            needle: "/providers/0/code_challenge_methods_supported",
        }],
    )
    .await;
}

/// A link without `validate_error` misses a field every release sends.
#[tokio::test]
async fn v2_30_0_link_without_validate_error_breaks_the_schema() {
    caught(
        30,
        0,
        &[Breach::LinkOmitsValidateError],
        &[Named {
            operation: "get-user-external-auths",
            label: "list",
            check: "schema",
            needle: "validate_error",
        }],
    )
    .await;
}

/// The pre-v2.27 500 for a missing link is a wrong status from v2.27 on.
#[tokio::test]
async fn v2_32_0_missing_link_delete_as_500_is_the_wrong_status() {
    caught(
        32,
        0,
        &[Breach::MissingLinkDeleteIs500],
        &[Named {
            operation: "delete-external-auth-user-link-by-id",
            label: "github again",
            check: "status",
            needle: "expected status 404, got 500",
        }],
    )
    .await;
}

/// Two breaches at once, both named: an undocumented key inside an installation's account,
/// and an unknown provider answered with an undocumented status.
#[tokio::test]
async fn v2_35_1_account_email_and_unknown_provider_400_are_both_named() {
    caught(
        35,
        1,
        &[Breach::AccountSendsEmail, Breach::UnknownProviderIs400],
        &[
            Named {
                operation: "get-external-auth-by-id",
                label: "github",
                check: "drift",
                needle: "/installations/0/account/email",
            },
            Named {
                operation: "get-external-auth-by-id",
                label: "unknown provider",
                check: "status",
                needle: "expected status 404, got 400",
            },
        ],
    )
    .await;
}

/// An undocumented key inside `user`, which the spec declares nullable (`anyOf` of the user
/// and null), is drift like any other.
#[tokio::test]
async fn v2_35_1_user_email_is_drift() {
    caught(
        35,
        1,
        &[Breach::UserSendsEmail],
        &[Named {
            operation: "get-external-auth-by-id",
            label: "github",
            check: "drift",
            needle: "/user/email",
        }],
    )
    .await;
}
