//! Fault injection: the real `conformance` binary against deliberately broken servers on
//! 127.0.0.1. Whatever the fault, the run must end in time, name the failing case and the
//! cause, write both reports, exit with the documented code, never panic and leak no secret.
//! `cargo test --test faults -- --nocapture` prints one row per fault:
//! `fault | verdicts | exit | seconds`.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::binary::{self, Run};
use common::hostile::{
    ACCESS_TOKEN, AGENT_TOKEN, Answer, DEVICE_CODE, Fault, Pki, Server, TEMPLATE_VERSION, TOKEN,
    USER_CODE,
};

/// A hang guard, not a speed claim: every run must end well within this.
const BOUND: Duration = Duration::from_secs(15);
/// README: the server broke the contract.
const CONTRACT_BROKEN: i32 = 3;
/// README: the tool could not run (bad flag, unusable target, unreadable snapshots).
const COULD_NOT_RUN: i32 = 2;

const LIST: &str = "get-user-external-auths list";
const VALID_LIST: &str = r#"{"providers":[],"links":[]}"#;

/// `conformance check` against `server` with the distinctive token and `timeout` seconds.
async fn check(server: &Server, timeout: &str, extra: &[&str]) -> Run {
    check_in(server, timeout, extra, binary::snapshot_copy()).await
}

async fn check_in(server: &Server, timeout: &str, extra: &[&str], dir: tempfile::TempDir) -> Run {
    let mut args = vec![
        "check",
        "--url",
        server.base.as_str(),
        "--token",
        TOKEN,
        "--timeout",
        timeout,
    ];
    args.extend_from_slice(extra);
    binary::run(&args, &[], dir).await
}

/// A control run: it conforms (0, or 1 where a shape is new) and no case failed, besides what
/// every run must show.
fn conforms(what: &str, run: &Run) {
    let code = run.code;
    finished(what, run, code);
    assert!(
        code == 0 || code == 1,
        "exit {code}; stderr:\n{}",
        run.stderr
    );
    assert!(
        run.cases().iter().all(|c| c["verdict"] != "failure"),
        "{}",
        run.stderr
    );
}

/// What every run must show, whatever the fault; prints the fault's table row first.
fn finished(fault: &str, run: &Run, code: i32) {
    eprintln!(
        "fault-table | {fault:<44} | {:<34} | {} | {:>5.2}",
        verdicts(run),
        run.code,
        run.elapsed.as_secs_f64()
    );
    assert!(
        !run.stderr.contains("panicked"),
        "{fault}: the harness panicked:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code, code,
        "{fault}: exit code; stderr:\n{}",
        run.stderr
    );
    assert!(run.elapsed < BOUND, "{fault}: took {:?}", run.elapsed);
    assert_eq!(
        run.json["exit_code"], code,
        "{fault}: the JSON report's exit_code; report:\n{:#}",
        run.json
    );
    assert!(
        run.junit.contains("<testsuites"),
        "{fault}: no JUnit report:\n{}",
        run.junit
    );
    assert_no_secrets(fault, run);
}

/// Counts of the verdicts of the cases that ran, or why none did.
fn verdicts(run: &Run) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for case in run.cases() {
        let verdict = case["verdict"].as_str().unwrap_or("?");
        if verdict != "skipped" {
            *counts.entry(verdict).or_default() += 1;
        }
    }
    if counts.is_empty() {
        return if run.json.is_null() {
            "no report".to_owned()
        } else {
            "could not run".to_owned()
        };
    }
    counts
        .iter()
        .map(|(verdict, count)| format!("{count} {verdict}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Zero occurrences of the token (or its secret half), device code or user code in stdout,
/// stderr and every file the run left (reports, snapshots, pending snapshots).
fn assert_no_secrets(fault: &str, run: &Run) {
    let secret_half = TOKEN.split_once('-').unwrap().1;
    let mut texts = vec![
        ("stdout".to_owned(), run.stdout.clone()),
        ("stderr".to_owned(), run.stderr.clone()),
    ];
    collect_files(run.dir.path(), &mut texts);
    for (name, text) in &texts {
        for secret in [
            TOKEN,
            secret_half,
            DEVICE_CODE,
            USER_CODE,
            AGENT_TOKEN,
            ACCESS_TOKEN,
        ] {
            assert!(
                !text.contains(secret),
                "{fault}: {secret:?} leaked into {name}:\n{text}"
            );
        }
    }
}

fn collect_files(dir: &Path, texts: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, texts);
        } else if let Ok(bytes) = std::fs::read(&path) {
            texts.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

/// Some finding of `case` (`operation_id label`) in check `check` contains `needle`.
fn assert_finding(run: &Run, case: &str, check: &str, needle: &str) {
    let prefix = format!("{case}: {check}: ");
    let findings = run.findings();
    assert!(
        findings
            .iter()
            .any(|finding| finding.starts_with(&prefix) && finding.contains(needle)),
        "no {check} finding of {case} contains {needle:?}; findings:\n{}",
        findings.join("\n")
    );
}

/// The named check of the case passed.
fn assert_passed(run: &Run, case: &str, check: &str) {
    let case_json = case_named(run, case);
    let passed = case_json["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == check)
        .map(|c| c["passed"] == true);
    assert_eq!(
        passed,
        Some(true),
        "{case}: {check} did not pass: {case_json:#}"
    );
}

/// The case has no check of that name: it was not run.
fn assert_no_check(run: &Run, case: &str, check: &str) {
    let case_json = case_named(run, case);
    assert!(
        case_json["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["name"] != check),
        "{case}: {check} was run: {case_json:#}"
    );
}

/// The case `operation_id label` of the JSON report.
fn case_named<'a>(run: &'a Run, case: &str) -> &'a serde_json::Value {
    let found = run.cases().iter().find(|c| {
        format!(
            "{} {}",
            c["operation_id"].as_str().unwrap_or_default(),
            c["label"].as_str().unwrap_or_default()
        ) == case
    });
    found.unwrap_or_else(|| panic!("no case {case} in {:#}", run.json))
}

/// The failing case is named in the human report on stderr and in the JUnit report.
fn assert_named(run: &Run, case: &str) {
    let (operation, label) = case.split_once(' ').unwrap();
    // A breach is a JUnit failure; a case that could not complete, an error.
    let (word, element) = match case_named(run, case)["verdict"].as_str() {
        Some("incomplete") => ("Incomplete", "<error"),
        _ => ("Failure", "<failure"),
    };
    assert!(
        run.stderr.contains(word) && run.stderr.contains(case),
        "stderr does not name the {word} case {case}:\n{}",
        run.stderr
    );
    assert!(
        run.junit.contains(operation) && run.junit.contains(label) && run.junit.contains(element),
        "JUnit does not show {case} as {element}:\n{}",
        run.junit
    );
}

/// The case's verdict in the JSON report.
fn assert_verdict(run: &Run, case: &str, verdict: &str) {
    assert_eq!(
        case_named(run, case)["verdict"],
        verdict,
        "{case}: verdict; report:\n{:#}",
        run.json
    );
}

/// A note of the JSON report (why nothing ran) contains `needle`, and so does stderr.
fn assert_could_not_run_because(run: &Run, needle: &str) {
    let notes: Vec<&str> = run.json["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|note| note.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|note| note.starts_with("could not run") && note.contains(needle)),
        "no could-not-run note contains {needle:?}: {notes:?}"
    );
    assert!(
        run.stderr.contains(needle),
        "stderr does not say {needle:?}:\n{}",
        run.stderr
    );
}

// Broken bodies and headers: the server answers, wrongly. Exit 3.

#[tokio::test]
async fn html_with_200_from_a_server_that_is_not_coder() {
    let server = Server::start(Fault::Answer(
        Answer::new(
            200,
            Some("text/html; charset=utf-8"),
            "<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>",
        )
        .anonymous(),
    ))
    .await;
    let run = check(&server, "2", &[]).await;
    // Not Coder is not a breach of Coder's contract: nothing is judged.
    finished("HTML with 200, not Coder", &run, COULD_NOT_RUN);
    assert!(
        run.stderr
            .starts_with("error: this is not a Coder deployment: "),
        "{}",
        run.stderr
    );
    assert_could_not_run_because(&run, "200 (text/html; charset=utf-8)");
    assert_eq!(run.json["stopped"]["kind"], "not-coder");
}

#[tokio::test]
async fn html_with_200_from_coder_is_not_its_api_root() {
    let server = Server::start(Fault::Answer(Answer::new(
        200,
        Some("text/html; charset=utf-8"),
        "<!doctype html><html><head><title>Coder</title></head></html>",
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    // Coder's web UI answers every path outside its API: the URL's path is wrong.
    finished("HTML with 200, from Coder", &run, COULD_NOT_RUN);
    assert!(
        run.stderr
            .starts_with("error: --url is a Coder deployment, but not its root: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.json["stopped"]["kind"], "not-api-root");
}

#[tokio::test]
async fn truncated_json() {
    let server = Server::start(Fault::Answer(Answer::json(
        200,
        r#"{"providers":[{"id":"github","type":"git"#,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("truncated JSON", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "schema", "body is not JSON");
    assert_finding(&run, LIST, "typed-decode", "could not decode");
    assert_passed(&run, LIST, "content-type");
}

#[tokio::test]
async fn json_with_wrong_types() {
    let server = Server::start(Fault::Answer(Answer::json(
        200,
        r#"{"providers":"github","links":7}"#,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("JSON with wrong types", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "schema", "/providers");
    assert_finding(&run, LIST, "schema", "/links");
    assert_finding(&run, LIST, "typed-decode", "could not decode");
}

#[tokio::test]
async fn valid_json_as_text_plain() {
    let server = Server::start(Fault::Answer(Answer::new(
        200,
        Some("text/plain; charset=utf-8"),
        VALID_LIST,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("valid JSON as text/plain", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "content-type", "text/plain");
    assert_passed(&run, LIST, "schema");
    assert_named(&run, LIST);
}

#[tokio::test]
async fn no_content_with_a_body() {
    let server = Server::start(Fault::Answer(Answer::new(
        204,
        Some("application/json"),
        VALID_LIST,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("204 with a body", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "status", "status 204 is not documented");
    assert_finding(&run, LIST, "status", "expected status 200, got 204");
}

#[tokio::test]
async fn server_error_as_html() {
    let server = Server::start(Fault::Answer(Answer::new(
        500,
        Some("text/html"),
        "<html><body><h1>500 Internal Server Error</h1></body></html>",
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("500 with an HTML page", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "status", "expected status 200, got 500");
    assert_finding(&run, LIST, "content-type", "text/html");
    assert_finding(&run, LIST, "schema", "body is not JSON");
}

#[tokio::test]
async fn error_body_without_message() {
    let server = Server::start(Fault::Answer(Answer::json(
        404,
        r#"{"detail":"no such provider"}"#,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("JSON error body without message", &run, CONTRACT_BROKEN);
    let unknown = "get-external-auth-by-id unknown provider";
    assert_finding(&run, unknown, "schema", "message");
    assert_finding(&run, unknown, "contract", "message: expected");
    assert_finding(&run, LIST, "status", "expected status 200, got 404");
    assert_named(&run, unknown);
}

#[tokio::test]
async fn invalid_utf8() {
    let mut body = br#"{"providers":[],"links":[],"x":""#.to_vec();
    body.extend_from_slice(b"\xff\xfe\"}");
    let server = Server::start(Fault::Answer(Answer::new(
        200,
        Some("application/json"),
        body,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("invalid UTF-8", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "schema", "body is not UTF-8");
}

#[tokio::test]
async fn duplicate_keys() {
    let server = Server::start(Fault::Answer(Answer::json(
        200,
        r#"{"providers":[],"links":[],"providers":[]}"#,
    )))
    .await;
    let run = check(&server, "2", &[]).await;
    finished("duplicate keys", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "schema", "duplicate keys: /providers");
}

// Broken transport.

#[tokio::test]
async fn reset_mid_body() {
    let server = Server::start(Fault::ResetMidBody).await;
    let run = check(&server, "2", &[]).await;
    // A broken connection is the network's doing (retried, then reported), not a breach.
    finished("connection reset mid-body", &run, COULD_NOT_RUN);
    assert_verdict(&run, LIST, "incomplete");
    assert_finding(&run, LIST, "response", "body incomplete");
    assert_finding(&run, LIST, "response", "reset");
    assert_no_check(&run, LIST, "schema");
    assert_named(&run, LIST);
}

#[tokio::test]
async fn reset_before_the_head() {
    let server = Server::start(Fault::ResetBeforeHead).await;
    let run = check(&server, "2", &[]).await;
    finished("connection reset before any head", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "/api/v2/external-auth");
}

#[tokio::test]
async fn accepts_and_never_answers() {
    let server = Server::start(Fault::Silent).await;
    let run = check(&server, "1", &[]).await;
    finished("accepts, never answers (--timeout 1)", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "timed out");
    assert!(
        run.elapsed < Duration::from_secs(8),
        "took {:?}",
        run.elapsed
    );
}

#[tokio::test]
async fn answers_the_list_then_never_again() {
    let server = Server::start(Fault::SilentAfterList).await;
    let run = check(&server, "1", &[]).await;
    // The target answered the list, then time ran out: the run could not complete (exit 2),
    // and nothing says the contract was broken.
    finished(
        "answers the list, then hangs (--timeout 1)",
        &run,
        COULD_NOT_RUN,
    );
    assert_passed(&run, LIST, "schema");
    let by_id = "get-external-auth-by-id github";
    assert_finding(&run, by_id, "response", "timed out");
    assert_named(&run, by_id);
    assert_verdict(&run, by_id, "incomplete");
    assert!(
        run.elapsed < Duration::from_secs(8),
        "took {:?}",
        run.elapsed
    );
}

#[tokio::test]
async fn not_http_at_all() {
    let server = Server::start(Fault::NotHttp).await;
    let run = check(&server, "2", &[]).await;
    finished("not HTTP at all (an SSH banner)", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "invalid HTTP");
}

#[tokio::test]
async fn body_dripped_slower_than_the_timeout() {
    let server = Server::start(Fault::Drip {
        every: Duration::from_millis(200),
    })
    .await;
    let run = check(&server, "1", &[]).await;
    finished(
        "body dripped a byte at a time (--timeout 1)",
        &run,
        COULD_NOT_RUN,
    );
    assert_finding(&run, LIST, "response", "body incomplete");
    assert_finding(&run, LIST, "response", "timed out");
    // A partial body is not judged as if it were the answer.
    assert_no_check(&run, LIST, "schema");
    assert!(
        run.elapsed < Duration::from_secs(8),
        "took {:?}",
        run.elapsed
    );
}

#[tokio::test]
async fn fifty_megabyte_body() {
    const SIZE: usize = 50 * 1024 * 1024;
    let server = Server::start(Fault::Huge { bytes: SIZE }).await;
    let run = check(&server, "5", &[]).await;
    finished("50 MB body", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "response", "exceeds the 1048576 byte cap");
    assert_no_check(&run, LIST, "schema");
    assert_passed(&run, LIST, "typed-decode");
    // The harness stops reading at the cap: what the server got out is that, plus what the
    // kernel's socket buffers hold, far from the 50 MB it offered.
    let written = server.body_bytes_written();
    assert!(!written.is_empty());
    for bytes in &written {
        assert!(
            *bytes < 20 * 1024 * 1024,
            "a connection took {bytes} bytes of the body: {written:?}"
        );
    }
    eprintln!(
        "fault-table |   (largest body taken on one connection: {:.1} MiB of 50)",
        *written.iter().max().unwrap() as f64 / (1024.0 * 1024.0)
    );
}

// Redirects: followed only within the target's origin, and not for ever.

#[tokio::test]
async fn redirect_to_another_origin_never_carries_the_token() {
    let other = Server::start(Fault::Coder).await;
    let server = Server::start(Fault::RedirectTo(other.base.clone())).await;
    let run = check(&server, "2", &[]).await;
    finished("redirect to another origin", &run, CONTRACT_BROKEN);
    for request in other.requests() {
        assert!(
            !request.head.contains(TOKEN),
            "the other origin received the session token:\n{}",
            request.head
        );
    }
    assert_finding(&run, LIST, "status", "302");
    let location = format!(
        "redirect to \"{}/api/v2/external-auth\" not followed",
        other.base
    );
    assert_finding(&run, LIST, "status", &location);
    assert_named(&run, LIST);
    eprintln!(
        "fault-table |   (requests the other origin received: {})",
        other.requests().len()
    );
}

#[tokio::test]
async fn redirect_loop() {
    let server = Server::start(Fault::RedirectLoop).await;
    let run = check(&server, "2", &[]).await;
    finished("redirect loop", &run, CONTRACT_BROKEN);
    assert_finding(&run, LIST, "status", "302");
    assert_finding(&run, LIST, "status", "not followed");
    assert_finding(&run, LIST, "status", "at most 10");
    // At most ten hops per case, then the 302 is judged as it is.
    let cases = run
        .cases()
        .iter()
        .filter(|c| c["verdict"] != "skipped")
        .count();
    // Plus one more request, also bounded: the release probe (/api/v2/buildinfo), for a
    // server that names no release in its headers.
    let requests = server.requests().len();
    assert!(
        requests <= 11 * (cases + 1),
        "{requests} requests for {cases} cases and the release probe"
    );
}

// TLS.

#[tokio::test]
async fn tls_with_an_untrusted_certificate() {
    let pki = Pki::new();
    let server = Server::start_tls(Fault::Coder, pki.server.clone()).await;
    let run = check(&server, "2", &[]).await;
    finished("TLS, untrusted certificate", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "invalid peer certificate: UnknownIssuer");
    assert_could_not_run_because(&run, "--ca-cert");
}

#[tokio::test]
async fn tls_trusted_through_ca_cert() {
    let pki = Pki::new();
    let server = Server::start_tls(Fault::Coder, pki.server.clone()).await;
    let dir = binary::snapshot_copy();
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, &pki.ca_pem).unwrap();
    let pem = pem.display().to_string();
    let run = check_in(&server, "2", &["--ca-cert", &pem], dir).await;
    // Conforming: 0 when every shape matches the accepted snapshots, 1 when some are new.
    conforms("TLS, --ca-cert with the private CA", &run);
    assert!(server.requests().len() >= 10);
}

// Well-behaved servers, to prove the fakes (and the redaction) right.

#[tokio::test]
async fn well_behaved_coder_is_a_control() {
    let server = Server::start(Fault::Coder).await;
    let run = check(&server, "2", &[]).await;
    conforms("control: a well-behaved server", &run);
}

#[tokio::test]
async fn echoed_token_is_redacted_everywhere() {
    let server = Server::start(Fault::EchoToken).await;
    let run = check(&server, "2", &[]).await;
    finished(
        "server echoes the token (header, body)",
        &run,
        CONTRACT_BROKEN,
    );
    // The echo did reach the report, masked.
    assert_finding(
        &run,
        "get-user-external-auths no token",
        "content-type",
        "charset is ***",
    );
    assert_finding(
        &run,
        "get-user-external-auths no token",
        "contract",
        "token *** rejected",
    );
    assert!(
        server.requests().iter().any(|r| r.head.contains(TOKEN)),
        "the server never saw the token it should echo"
    );
}

#[tokio::test]
async fn device_and_user_codes_are_redacted_everywhere() {
    let server = Server::start(Fault::CoderLeakingCodes).await;
    let run = check(&server, "2", &[]).await;
    finished(
        "server repeats device and user codes",
        &run,
        CONTRACT_BROKEN,
    );
    let device = "get-external-auth-device-by-id github";
    assert_finding(&run, device, "content-type", "charset is ***");
    assert_finding(&run, device, "schema", "/interval");
    assert_finding(
        &run,
        "post-external-auth-device-by-id github unknown code",
        "contract",
        "device code *** for ***",
    );
}

// Bad command-line input: exit 2, with the flag named, reports still written where the
// command line parsed.

#[tokio::test]
async fn invalid_url() {
    let dir = binary::snapshot_copy();
    let args = ["check", "--url", "not a url", "--token", TOKEN];
    let run = binary::run(&args, &[], dir).await;
    finished("CLI: invalid --url", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "--url");
    assert_could_not_run_because(&run, "invalid base URL");
}

#[tokio::test]
async fn unknown_flag() {
    let run = binary::run(
        &[
            "check",
            "--url",
            "http://127.0.0.1:9",
            "--token",
            TOKEN,
            "--frobnicate",
        ],
        &[],
        binary::snapshot_copy(),
    )
    .await;
    eprintln!(
        "fault-table | {:<44} | {:<34} | {} | {:>5.2}",
        "CLI: unknown flag",
        verdicts(&run),
        run.code,
        run.elapsed.as_secs_f64()
    );
    assert_eq!(run.code, COULD_NOT_RUN, "{}", run.stderr);
    assert!(run.stderr.contains("--frobnicate"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // clap stops before anything runs: no report to write, and nothing leaks.
    assert!(run.json.is_null());
    assert_no_secrets("CLI: unknown flag", &run);
}

#[tokio::test]
async fn snapshot_directory_is_a_file() {
    let server = Server::start(Fault::Coder).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("snapshots"), "not a directory").unwrap();
    let run = check_in(&server, "2", &[], dir).await;
    finished("CLI: --snapshots names a file", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "--snapshots");
    assert!(
        server.requests().is_empty(),
        "requests sent before the flags were checked"
    );
}

#[tokio::test]
async fn ca_cert_that_is_not_pem() {
    let server = Server::start(Fault::Coder).await;
    let dir = binary::snapshot_copy();
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, "this is not a certificate").unwrap();
    let pem = pem.display().to_string();
    let run = check_in(&server, "2", &["--ca-cert", &pem], dir).await;
    finished("CLI: --ca-cert is not PEM", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "--ca-cert: invalid CA certificate");
    assert!(
        !run.stderr.contains("--url"),
        "blames --url:\n{}",
        run.stderr
    );
}

#[tokio::test]
async fn zero_timeout() {
    let server = Server::start(Fault::Coder).await;
    let run = check(&server, "0", &[]).await;
    finished("CLI: --timeout 0", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "--timeout");
}

#[tokio::test]
async fn allow_delete_of_an_unknown_provider() {
    let server = Server::start(Fault::Coder).await;
    let run = check(&server, "2", &["--allow-delete", "githib"]).await;
    finished(
        "CLI: --allow-delete of an unknown provider",
        &run,
        COULD_NOT_RUN,
    );
    assert_could_not_run_because(&run, "--allow-delete githib");
    assert_could_not_run_because(&run, "github, gitlab");
    assert!(
        server.requests().iter().all(|r| r.method != "DELETE"),
        "a DELETE was sent"
    );
}

#[tokio::test]
async fn token_that_cannot_be_a_header() {
    let server = Server::start(Fault::Coder).await;
    let token = format!("{TOKEN}\n");
    let args = [
        "check",
        "--url",
        server.base.as_str(),
        "--token",
        token.as_str(),
    ];
    let run = binary::run(&args, &[], binary::snapshot_copy()).await;
    finished("CLI: --token with a newline", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "--token: the session token contains characters");
    assert!(
        !run.stderr.contains("--url"),
        "blames --url:\n{}",
        run.stderr
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn tls_with_ca_cert_of_another_ca() {
    let (pki, other) = (Pki::new(), Pki::new());
    let server = Server::start_tls(Fault::Coder, pki.server.clone()).await;
    let dir = binary::snapshot_copy();
    let pem = dir.path().join("other-ca.pem");
    std::fs::write(&pem, &other.ca_pem).unwrap();
    let pem = pem.display().to_string();
    let run = check_in(&server, "2", &["--ca-cert", &pem], dir).await;
    finished("TLS, --ca-cert of another CA", &run, COULD_NOT_RUN);
    assert_could_not_run_because(&run, "invalid peer certificate");
    assert_could_not_run_because(&run, "the CA given with --ca-cert did not vouch for it");
}

// The agent route and the template-version route.

/// The agent flags for a run against a `Fault::Coder`-like server.
const AGENT_FLAGS: [&str; 7] = [
    "--agent-token",
    AGENT_TOKEN,
    "--template-version",
    TEMPLATE_VERSION,
    "--agent-listen",
    "--agent-listen-timeout",
    "2",
];

#[tokio::test]
async fn agent_routes_of_a_well_behaved_coder_conform() {
    let server = Server::start(Fault::Coder).await;
    let run = check(&server, "2", &AGENT_FLAGS).await;
    conforms("control: agent and template-version routes", &run);
    let ran: Vec<&str> = run
        .cases()
        .iter()
        .filter(|c| c["verdict"] != "skipped")
        .filter_map(|c| c["operation_id"].as_str())
        .collect();
    for operation in [
        "get-workspace-agent-external-auth",
        "removed-get-workspace-agent-git-auth",
        "get-external-auth-by-template-version",
    ] {
        assert!(ran.contains(&operation), "{operation} did not run: {ran:?}");
    }
    // The agent token went only where the agent route is.
    for request in server.requests() {
        if request.head.contains(AGENT_TOKEN) {
            assert!(
                request.path.starts_with("/api/v2/workspaceagents/me/"),
                "{}",
                request.path
            );
        }
    }
}

#[tokio::test]
async fn without_agent_flags_the_agent_cases_are_skipped_with_the_flag_named() {
    let server = Server::start(Fault::Coder).await;
    let run = check(&server, "2", &[]).await;
    finished("control: no agent token", &run, run.code);
    assert!(run.stderr.contains("--agent-token"), "{}", run.stderr);
    assert!(run.stderr.contains("--template-version"), "{}", run.stderr);
    assert!(!server.requests().iter().any(|r| r.path.contains("listen")));
}

#[tokio::test]
async fn agent_secrets_echoed_by_the_server_are_redacted_everywhere() {
    let server = Server::start(Fault::CoderEchoingAgentSecrets).await;
    let run = check(&server, "2", &AGENT_FLAGS).await;
    // Every agent case now fails (400s with the wrong messages), and nothing leaks.
    finished(
        "server echoes agent secrets (header, body)",
        &run,
        CONTRACT_BROKEN,
    );
    // The linked answer itself conforms: the token it carries is masked, not absent.
    assert!(run.stderr.contains("[linked]"), "{}", run.stderr);
}

#[tokio::test]
async fn agent_answer_with_wrong_types_is_a_schema_failure_without_leaks() {
    let server = Server::start(Fault::CoderAgentWrongTypes).await;
    let run = check(&server, "2", &AGENT_FLAGS).await;
    finished("agent answer with wrong types", &run, CONTRACT_BROKEN);
    assert_finding(
        &run,
        "get-workspace-agent-external-auth github",
        "schema",
        "username",
    );
}

#[tokio::test]
async fn a_listen_that_never_answers_is_bounded_by_the_client() {
    let server = Server::start(Fault::CoderHangingListen).await;
    let run = check(&server, "2", &AGENT_FLAGS).await;
    // The listen case is incomplete (timed out), which is exit 2; everything else ran.
    finished("listen never answered", &run, COULD_NOT_RUN);
    assert_finding(
        &run,
        "get-workspace-agent-external-auth github listen",
        "response",
        "timed out",
    );
    assert!(
        run.elapsed < Duration::from_secs(10),
        "took {:?}",
        run.elapsed
    );
}
