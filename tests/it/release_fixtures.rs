//! `conformance check` against independent, hand-written deployments of seven Coder releases
//! (tests/common/coder_release.rs, written from the per-release facts, not from the crate's
//! imitation): each healthy one conforms under its own release's contract, and each broken
//! one is caught, by the finding that names the breach.
#![cfg(feature = "conformance")]

use crate::common;

use crate::common::coder_release;

use std::time::Duration;

use coder_release::{Breach, CoderRelease, Fixture, SESSION_TOKEN};
use serde_json::Value;

/// What the harness waits for one run at most: far above what a run takes, so the machine's
/// load never decides a result.
const HARNESS_TIMEOUT: Duration = Duration::from_secs(600);

/// One `conformance check` run: the harness's, with what these tests ask of it.
type Checked = common::binary::Run;

/// The case of `operation` labelled `label`.
fn case<'a>(run: &'a Checked, operation: &str, label: &str) -> &'a Value {
    run.cases()
        .iter()
        .find(|case| case["operation_id"] == operation && case["label"] == label)
        .unwrap_or_else(|| panic!("no case {operation} {label:?}\n{}", run.stderr))
}

/// `file: outcome` of every snapshot comparison that was not fresh.
fn changed_snapshots(run: &Checked) -> Vec<String> {
    let mut out: Vec<String> = run
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

/// `conformance check --url <fixture> --allow-delete github --json <tmp>/r.json`, the token in
/// `CODER_SESSION_TOKEN` (never on the command line), against the snapshots the binary carries.
async fn check(fixture: &Fixture) -> Checked {
    let args = [
        "check",
        "--url",
        fixture.base_url(),
        "--allow-delete",
        "github",
    ];
    let env = [("CODER_SESSION_TOKEN", SESSION_TOKEN)];
    let checked = tokio::time::timeout(
        HARNESS_TIMEOUT,
        common::binary::run(&args, &env, common::binary::snapshot_copy()),
    )
    .await
    .expect("conformance finished");
    let report_text = checked.json.to_string();
    assert!(
        !checked.stderr.contains("panicked"),
        "a panic:\n{}",
        checked.stderr
    );
    for (name, text) in [
        ("stdout", &checked.stdout),
        ("stderr", &checked.stderr),
        ("the JSON report", &report_text),
    ] {
        assert!(
            !text.contains(SESSION_TOKEN),
            "the session token appears in {name}"
        );
    }
    assert!(
        checked.json.is_object(),
        "no JSON report; stderr:\n{}",
        checked.stderr
    );
    checked
}

/// The run names the release as the deployment reports it, and the contract range it is in.
fn assert_release_named(run: &Checked, release: &CoderRelease) {
    assert_eq!(
        run.json["coder_version"], release.build_version,
        "{}",
        run.stderr
    );
    assert_eq!(run.json["contract"], release.contract, "{}", run.stderr);
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
    println!(
        "{} healthy: exit {}; snapshots not fresh: {:?}",
        release.tag(),
        run.code,
        changed_snapshots(&run)
    );
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
        let case = case(&run, operation, label);
        assert_eq!(case["status"], status, "{operation} {label}: {case}");
    }
    assert_eq!(
        run.code,
        0,
        "{}: exit {}; snapshots not fresh:\n{}\n\nstderr:\n{}",
        release.tag(),
        run.code,
        changed_snapshots(&run).join("\n"),
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
    // Shown with --nocapture: what each breach produced.
    println!(
        "{} {breaches:?}: exit {}\n  {}",
        release.tag(),
        run.code,
        run.findings().join("\n  ")
    );
    assert_release_named(&run, &release);
    for expected in named {
        let case = case(&run, expected.operation, expected.label);
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

/// v2.25 is the first release whose 401s carry the Bearer challenge: one without it breaks
/// the contract.
#[tokio::test]
async fn v2_25_0_401_without_www_authenticate_breaks_the_contract() {
    caught(
        25,
        0,
        &[Breach::NoChallenge],
        &[Named {
            operation: "get-user-external-auths",
            label: "no token",
            check: "contract",
            needle: "WWW-Authenticate header missing",
        }],
    )
    .await;
}

/// The pre-v2.27 DELETE body from a v2.27 deployment.
#[tokio::test]
async fn v2_27_0_delete_answering_ok_breaks_the_schema() {
    caught(
        27,
        0,
        &[Breach::DeleteAnswersOk],
        &[Named {
            operation: "delete-external-auth-user-link-by-id",
            label: "github",
            check: "schema",
            needle: "OK",
        }],
    )
    .await;
}

/// A 404 that is not JSON.
#[tokio::test]
async fn v2_29_0_plain_text_404_is_the_wrong_content_type() {
    caught(
        29,
        0,
        &[Breach::NotFoundAsText],
        &[Named {
            operation: "get-external-auth-by-id",
            label: "unknown provider",
            check: "content-type",
            needle: "text/plain",
        }],
    )
    .await;
}

/// From v2.30 every provider carries `code_challenge_methods_supported`: leaving it out is
/// a missing required field (it would be right at v2.29).
#[tokio::test]
async fn v2_30_0_list_without_code_challenge_methods_breaks_the_schema() {
    caught(
        30,
        0,
        &[Breach::ListOmitsCodeChallengeMethods],
        &[Named {
            operation: "get-user-external-auths",
            label: "list",
            check: "schema",
            needle: "code_challenge_methods_supported",
        }],
    )
    .await;
}

/// Without `X-Coder-Build-Version` (a proxy dropped it), the release comes from
/// `/api/v2/buildinfo`, and the run is the same.
#[tokio::test]
async fn v2_32_0_behind_a_proxy_dropping_the_header_is_known_from_buildinfo() {
    let release = CoderRelease::get(32, 0);
    let fixture = Fixture::behind_proxy_dropping_build_version(release).await;
    let run = check(&fixture).await;
    assert_release_named(&run, &release);
    assert!(run.findings().is_empty(), "{}", run.findings().join("\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A plain reqwest client, with the crate's (ring) crypto provider installed first because
/// reqwest is built without a default one.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Status, the headers named, and the body as text.
async fn exchange(
    request: reqwest::RequestBuilder,
    headers: &[&str],
) -> (u16, Vec<Option<String>>, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let values = headers
        .iter()
        .map(|name| {
            response
                .headers()
                .get(*name)
                .map(|value| value.to_str().unwrap().to_owned())
        })
        .collect();
    (status, values, response.text().await.unwrap())
}

/// Example bodies of the list as each release sends it, with the one difference of this
/// deployment: GitHub has the device flow on.
fn documented_list(example: &str) -> String {
    example.replace(
        r#"{"id":"github","type":"github","device":false"#,
        r#"{"id":"github","type":"github","device":true"#,
    ) + "\n"
}

const LIST_2_25: &str = r#"{"providers":[{"id":"github","type":"github","device":false,"display_name":"GitHub","display_icon":"/icon/github.svg","allow_refresh":true,"allow_validate":true},{"id":"gitlab","type":"gitlab","device":false,"display_name":"GitLab","display_icon":"/icon/gitlab.svg","allow_refresh":true,"allow_validate":true}],"links":[{"provider_id":"github","created_at":"2025-08-10T09:15:02.123456Z","updated_at":"2025-08-10T09:15:02.123456Z","has_refresh_token":false,"expires":"0001-01-01T00:00:00Z","authenticated":true,"validate_error":""}]}"#;
const LIST_2_27: &str = r#"{"providers":[{"id":"github","type":"github","device":false,"display_name":"GitHub","display_icon":"/icon/github.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":false},{"id":"gitlab","type":"gitlab","device":false,"display_name":"GitLab","display_icon":"/icon/gitlab.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":false}],"links":[{"provider_id":"github","created_at":"2025-10-05T09:15:02.123456Z","updated_at":"2025-10-05T09:15:02.123456Z","has_refresh_token":false,"expires":"0001-01-01T00:00:00Z","authenticated":true,"validate_error":""}]}"#;
const LIST_2_30: &str = r#"{"providers":[{"id":"github","type":"github","device":false,"display_name":"GitHub","display_icon":"/icon/github.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":true,"code_challenge_methods_supported":["S256"]},{"id":"gitlab","type":"gitlab","device":false,"display_name":"GitLab","display_icon":"/icon/gitlab.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":true,"code_challenge_methods_supported":["S256"]}],"links":[{"provider_id":"github","created_at":"2026-02-10T09:15:02.123456Z","updated_at":"2026-02-10T09:15:02.123456Z","has_refresh_token":false,"expires":"0001-01-01T00:00:00Z","authenticated":true,"validate_error":""}]}"#;

/// The fixture is only as good as its fidelity: its bytes and headers are the documented
/// ones, release by release, before the checker is held to it.
#[tokio::test]
async fn the_fixture_sends_what_the_releases_send() {
    let client = http();
    let signed_out = r#"{"message":"You are signed out or your session has expired. Please sign in again to continue.","detail":"Cookie \"coder_session_token\" or query parameter must be provided."}"#;
    for (minor, patch, list) in [
        (25, 0, documented_list(LIST_2_25)),
        (27, 0, documented_list(LIST_2_27)),
        // "As v2.27, but both providers have supports_revocation:true."
        (
            29,
            0,
            documented_list(LIST_2_27).replace(
                r#""supports_revocation":false"#,
                r#""supports_revocation":true"#,
            ),
        ),
        (30, 0, documented_list(LIST_2_30)),
        (35, 1, documented_list(LIST_2_30)),
    ] {
        let release = CoderRelease::get(minor, patch);
        let fixture = Fixture::start(release, &[]).await;
        let base = fixture.base_url();
        let url = |path: &str| format!("{base}/api/v2{path}");
        let tag = release.tag();
        let authed =
            |request: reqwest::RequestBuilder| request.header("Coder-Session-Token", SESSION_TOKEN);
        let names = [
            "x-coder-build-version",
            "content-type",
            "x-ratelimit-limit",
            "www-authenticate",
        ];

        let (status, headers, body) =
            exchange(authed(client.get(url("/external-auth"))), &names).await;
        assert_eq!((status, body.as_str()), (200, list.as_str()), "{tag} list");
        assert_eq!(headers[0].as_deref(), Some(release.build_version), "{tag}");
        assert_eq!(
            headers[1].as_deref(),
            Some("application/json; charset=utf-8"),
            "{tag}"
        );
        assert_eq!(headers[2].as_deref(), Some("512"), "{tag}");

        let (status, headers, body) = exchange(client.get(url("/external-auth")), &names).await;
        assert_eq!((status, body), (401, format!("{signed_out}\n")), "{tag}");
        assert_eq!(headers[0].as_deref(), Some(release.build_version), "{tag}");
        assert_eq!(
            headers[3],
            Some(format!(
                r#"Bearer realm="coder", error="invalid_token", error_description="The access token has expired", resource_metadata="{base}/.well-known/oauth-protected-resource""#
            )),
            "{tag}"
        );

        // contract §4.2, "No link", with GitLab's names; no supports_revocation before v2.27.
        let mut gitlab = r#"{"authenticated":false,"device":false,"display_name":"GitLab","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#.to_owned();
        if minor < 27 {
            gitlab = gitlab.replace(r#""supports_revocation":false,"#, "");
        }
        let (status, _, body) =
            exchange(authed(client.get(url("/external-auth/gitlab"))), &names).await;
        assert_eq!((status, body), (200, gitlab + "\n"), "{tag} gitlab");

        let (status, _, body) = exchange(
            authed(client.post(url("/external-auth/github/device"))),
            &names,
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (
                400,
                "{\"message\":\"Request body must be valid JSON.\",\"detail\":\"EOF\"}\n"
            ),
            "{tag}"
        );

        let (status, _, body) = exchange(
            authed(client.get(url("/external-auth/conformance-no-such-provider"))),
            &names,
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (
                404,
                "{\"message\":\"Resource not found or you do not have access to this resource\"}\n"
            ),
            "{tag}"
        );

        let deleted = match minor {
            ..27 => "\"OK\"\n",
            27 => "{\"token_revoked\":false}\n",
            _ => "{\"token_revoked\":true}\n",
        };
        let (status, _, body) =
            exchange(authed(client.delete(url("/external-auth/github"))), &names).await;
        assert_eq!((status, body.as_str()), (200, deleted), "{tag} delete");
        let (status, _, body) =
            exchange(authed(client.delete(url("/external-auth/github"))), &names).await;
        let missing = if minor < 27 {
            (
                500,
                "{\"message\":\"Failed to delete external auth link.\",\"detail\":\"fetch object: sql: no rows in result set\"}\n",
            )
        } else {
            (
                404,
                "{\"message\":\"Resource not found or you do not have access to this resource\"}\n",
            )
        };
        assert_eq!((status, body.as_str()), missing, "{tag} delete again");

        let (status, headers, body) = exchange(client.get(url("/buildinfo")), &names).await;
        assert_eq!(status, 200, "{tag}");
        assert_eq!(headers[0].as_deref(), Some(release.build_version), "{tag}");
        let info: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(info["version"], release.build_version, "{tag}");
        assert_eq!(
            info.get("webpush_public_key").is_some(),
            minor >= 33,
            "{tag}"
        );
        if (minor, patch) == (25, 0) {
            let example = r#"{"external_url":"https://github.com/coder/coder/commit/e6ec95757ab9772b1f5f1ed8a49e6d2640927318","version":"v2.25.0+e6ec957","dashboard_url":"https://coder.example.com","telemetry":true,"workspace_proxy":false,"agent_api_version":"1.0","provisioner_api_version":"1.8","upgrade_message":"","deployment_id":"6c0a4d1e-6f5b-4c3e-9d7a-2b1f0e9c8a77"}"#;
            assert_eq!(
                body,
                example.replace("https://coder.example.com", base) + "\n"
            );
        }
    }
}

/// The auth middleware as each release runs it: the 401 details, the Bearer value trimmed
/// only from v2.27, the cookie CSRF rule, and the rate limiter keyed by IP before v2.32 and
/// by user from v2.32 (`RELEASE_CHANGES`: TrimmedTokens, RateLimitPerUser, with evidence).
#[tokio::test]
async fn the_fixture_reads_tokens_as_each_release_does() {
    let client = http();
    let detail = |body: &str| -> String {
        let body: Value = serde_json::from_str(body).unwrap();
        body["detail"].as_str().unwrap_or_default().to_owned()
    };
    for (minor, patch) in [(26, 0), (27, 0)] {
        let release = CoderRelease::get(minor, patch);
        let fixture = Fixture::start(release, &[]).await;
        let list = format!("{}/api/v2/external-auth", fixture.base_url());
        let tag = release.tag();
        for (token, expected) in [
            (
                "not-a-session-token",
                "Invalid API key format: incorrect amount of API key parts, expected 2 got 4",
            ),
            ("cnfrmnc000-0000000000000000000000", "API key is invalid."),
            (
                "fXt7Kq2Lm9-0000000000000000000000",
                "API key secret is invalid.",
            ),
            (
                "fXt7Kq2Lm9-short",
                "Invalid API key format: invalid API key secret length, expected 22 got 5",
            ),
        ] {
            let (status, _, body) =
                exchange(client.get(&list).header("Coder-Session-Token", token), &[]).await;
            assert_eq!((status, detail(&body).as_str()), (401, expected), "{tag}");
        }
        // Two spaces after "Bearer": the value keeps one before v2.27.
        let (status, _, body) = exchange(
            client
                .get(&list)
                .header("Authorization", format!("Bearer  {SESSION_TOKEN}")),
            &[],
        )
        .await;
        if minor < 27 {
            assert_eq!(
                (status, detail(&body).as_str()),
                (
                    401,
                    "Invalid API key format: invalid API key ID length, expected 10 got 11"
                ),
                "{tag}"
            );
        } else {
            assert_eq!(status, 200, "{tag}: {body}");
        }
        // A cookie-authenticated DELETE needs the header (or a Bearer) to match it.
        let gitlab = format!("{list}/gitlab");
        let cookie = format!("coder_session_token={SESSION_TOKEN}");
        let (status, headers, body) = exchange(
            client.delete(&gitlab).header("Cookie", &cookie),
            &["content-type"],
        )
        .await;
        assert_eq!(status, 400, "{tag}");
        assert_eq!(
            headers[0].as_deref(),
            Some("text/plain; charset=utf-8"),
            "{tag}"
        );
        assert!(
            body.starts_with("Something is wrong with your CSRF token."),
            "{body}"
        );
        let (status, _, _) = exchange(
            client
                .delete(&gitlab)
                .header("Cookie", &cookie)
                .header("Coder-Session-Token", SESSION_TOKEN),
            &[],
        )
        .await;
        // Past CSRF and auth: gitlab has no link.
        assert_eq!(status, if minor < 27 { 500 } else { 404 }, "{tag}");
    }

    for (minor, shared) in [(30, true), (32, false)] {
        let release = CoderRelease::get(minor, 0);
        let fixture = Fixture::start(release, &[]).await;
        let remaining = |request: reqwest::RequestBuilder| async {
            let (_, headers, _) =
                exchange(request, &["x-ratelimit-remaining", "x-ratelimit-reset"]).await;
            (headers[0].clone().unwrap(), headers[1].clone().unwrap())
        };
        // A fresh path (a fresh key) per attempt; a second attempt only when the minute's
        // window ended between the two requests.
        let mut checked = false;
        for provider in ["gitlab", "github"] {
            let url = format!("{}/api/v2/external-auth/{provider}", fixture.base_url());
            let (first, window) = remaining(
                client
                    .get(&url)
                    .header("Coder-Session-Token", SESSION_TOKEN),
            )
            .await;
            // The same path without a token: the same key (the IP) only before v2.32.
            let (second, same_window) = remaining(client.get(&url)).await;
            if window != same_window {
                continue;
            }
            assert_eq!(first, "511", "v2.{minor}.0");
            assert_eq!(second, if shared { "510" } else { "511" }, "v2.{minor}.0");
            checked = true;
            break;
        }
        assert!(checked, "v2.{minor}.0: a window ended inside both attempts");
    }
}
