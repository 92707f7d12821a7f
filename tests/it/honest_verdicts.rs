//! Verdicts that blame the right party: a rejected or expired token, a server that is not
//! Coder, `/api/v2` pasted onto the URL and a path Coder does not serve its API at are exit 2
//! with a first line that says so; a path prefix behind a proxy works as a base URL; CI's
//! artefacts (annotation, JUnit, summary) say the same on exit 2. Everything on loopback.

use crate::common;

use std::sync::Arc;

use coder_external_auth::Operation;
use coder_external_auth::imitation::{Imitation, ResponseHook};
use common::binary::{self, Run};
use common::{Canned, serve};
use serde_json::json;

/// A token the target does not know, distinctive so a leak is found by grep.
const WRONG_TOKEN: &str = "wr0ngt0ken-Zq8honestVERDICTsecre9";
/// Coder's 401 message for every session-token problem.
const SIGNED_OUT: &str =
    "You are signed out or your session has expired. Please sign in again to continue.";

/// `check --url URL` with `token` in the environment (reports in the run's directory).
async fn check(url: &str, token: &str, env: &[(&str, &str)]) -> Run {
    let mut all = vec![("CODER_SESSION_TOKEN", token)];
    all.extend_from_slice(env);
    binary::run(&["check", "--url", url], &all, binary::snapshot_copy()).await
}

/// The first line the user reads.
fn first_line(run: &Run) -> &str {
    run.stderr.lines().next().unwrap_or_default()
}

/// Exit 2, a report saying why, a JUnit file with an error case (never an empty, green one),
/// and `secret` nowhere, raw or escaped.
fn stopped(run: &Run, kind: &str, secret: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.json["exit_code"], 2, "{:#}", run.json);
    assert_eq!(run.json["stopped"]["kind"], kind, "{:#}", run.json);
    let junit = roxmltree::Document::parse(&run.junit).expect("the JUnit report is XML");
    let root = junit.root_element();
    assert_eq!(root.attribute("errors"), Some("1"), "{}", run.junit);
    let error = junit
        .descendants()
        .find(|node| node.has_tag_name("error"))
        .unwrap_or_else(|| panic!("no <error> in {}", run.junit));
    assert_eq!(error.attribute("type"), Some(kind), "{}", run.junit);
    let all = run.all_output();
    for form in [
        secret.to_owned(),
        serde_json::to_string(secret).unwrap(),
        secret
            .split_once('-')
            .map_or(secret, |(_, half)| half)
            .to_owned(),
    ] {
        assert!(!all.contains(&form), "{form} leaked:\n{all}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_rejected_with_coders_own_words() {
    let server = Imitation::start().await.unwrap();
    let run = check(server.base_url(), WRONG_TOKEN, &[]).await;
    stopped(&run, "token-rejected", WRONG_TOKEN);
    assert!(
        first_line(&run).starts_with("error: the session token was rejected: Coder answered 401"),
        "{}",
        run.stderr
    );
    // Coder's message and detail, quoted, in the first line and in the JSON.
    assert!(first_line(&run).contains(SIGNED_OUT), "{}", run.stderr);
    assert!(
        first_line(&run).contains("(detail: \"API key is invalid.\")"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json["stopped"]["coder_said"]["message"], SIGNED_OUT);
    assert_eq!(
        run.json["stopped"]["coder_said"]["detail"],
        "API key is invalid."
    );
    assert_eq!(run.json["stopped"]["status"], 401);
    assert!(run.stderr.contains("coder tokens create"), "{}", run.stderr);
    assert!(!run.stderr.contains("broke the contract"), "{}", run.stderr);
    assert!(run.cases().is_empty(), "nothing is judged: {:#}", run.json);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_rejected_naming_the_expiry() {
    let server = Imitation::start().await.unwrap();
    let expired = server
        .control()
        .new_session(chrono::Utc::now() - chrono::Duration::hours(1));
    let run = check(server.base_url(), expired.expose(), &[]).await;
    stopped(&run, "token-rejected", expired.expose());
    assert!(
        first_line(&run).starts_with("error: the session token was rejected: Coder answered 401"),
        "{}",
        run.stderr
    );
    let detail = run.json["stopped"]["coder_said"]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(detail.starts_with("API key expired at "), "{detail}");
    assert!(first_line(&run).contains(detail), "{}", run.stderr);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_coder_quotes_back_is_masked_in_its_words() {
    // A Coder (it names its release) whose 401 repeats the token in message and detail.
    let mut canned = Canned::json(
        401,
        &json!({"message": format!("API key {WRONG_TOKEN} is unknown"),
                "detail": format!("no key \"{WRONG_TOKEN}\"")})
        .to_string(),
    );
    canned
        .headers
        .push(("X-Coder-Build-Version".into(), "v2.35.1+canned".into()));
    let (base, _seen) = serve(canned).await;
    let run = check(&base, WRONG_TOKEN, &[]).await;
    stopped(&run, "token-rejected", WRONG_TOKEN);
    assert!(
        first_line(&run).contains("\"API key *** is unknown\""),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.json["stopped"]["coder_said"]["message"],
        "API key *** is unknown"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_server_that_is_not_coder_is_told_apart() {
    let canned = Canned {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: b"<!doctype html><title>It works!</title>".to_vec(),
    };
    let (base, seen) = serve(canned).await;
    let run = check(&base, WRONG_TOKEN, &[]).await;
    stopped(&run, "not-coder", WRONG_TOKEN);
    assert!(
        first_line(&run).starts_with("error: this is not a Coder deployment: "),
        "{}",
        run.stderr
    );
    assert!(
        first_line(&run).contains("answered 200 (text/html; charset=utf-8)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("without /api/v2"), "{}", run.stderr);
    assert!(run.stderr.contains("keep the prefix"), "{}", run.stderr);
    // It was asked whether it is Coder.
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|request| request.starts_with("GET /api/v2/buildinfo ")),
        "{seen:?}"
    );
    assert!(run.cases().is_empty(), "nothing is judged: {:#}", run.json);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_url_ending_in_api_v2_is_refused_before_any_request() {
    let (base, seen) = serve(Canned::json(200, "{}")).await;
    for suffix in ["/api/v2", "/api/v2/", "/api/v2/external-auth"] {
        let url = format!("{base}{suffix}");
        let run = check(&url, WRONG_TOKEN, &[]).await;
        stopped(&run, "not-api-root", WRONG_TOKEN);
        assert!(
            first_line(&run).starts_with(&format!(
                "error: --url {url} ends in /api/v2: give the deployment's root, {base} "
            )),
            "{}",
            run.stderr
        );
    }
    assert!(seen.lock().unwrap().is_empty(), "a request was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_coder_does_not_serve_its_api_at_is_not_a_breach() {
    let server = Imitation::start().await.unwrap();
    let token = server.session_token().expose().to_owned();
    let url = format!("{}/coder", server.base_url());
    let run = check(&url, &token, &[]).await;
    stopped(&run, "not-api-root", &token);
    assert!(
        first_line(&run).starts_with("error: --url is a Coder deployment, but not its root: "),
        "{}",
        run.stderr
    );
    assert!(
        first_line(&run).contains("/coder/api/v2/external-auth answered 404"),
        "{}",
        run.stderr
    );
    assert!(
        first_line(&run).contains("\"Route not found.\""),
        "{}",
        run.stderr
    );
    server.shutdown().await;
}

/// A reverse proxy on 127.0.0.1:0 that serves `upstream` under `/coder` (stripping it) and
/// answers 404 elsewhere; returns its base URL and the paths it was asked for.
async fn prefix_proxy(upstream: String) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::response::Response;

    type Shared = (String, reqwest::Client, Arc<std::sync::Mutex<Vec<String>>>);
    async fn forward(State((upstream, http, paths)): State<Shared>, request: Request) -> Response {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        paths.lock().unwrap().push(path.clone());
        let Some(rest) = path.strip_prefix("/coder") else {
            return Response::builder().status(404).body(Body::empty()).unwrap();
        };
        let method = request.method().clone();
        let mut headers = request.headers().clone();
        headers.remove(axum::http::header::HOST);
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap();
        let answer = http
            .request(method, format!("{upstream}{rest}"))
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        response
            .body(Body::from(answer.bytes().await.unwrap()))
            .unwrap()
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let paths: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    // reqwest is built here without a default TLS provider; plain HTTP still wants one named.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let app = axum::Router::new()
        .fallback(forward)
        .with_state((upstream, http, paths.clone()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, paths)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_prefix_behind_a_proxy_works_as_the_base_url() {
    let server = Imitation::start().await.unwrap();
    let token = server.session_token().expose().to_owned();
    let (proxy, paths) = prefix_proxy(server.base_url().to_owned()).await;
    for url in [format!("{proxy}/coder"), format!("{proxy}/coder/")] {
        let run = check(&url, &token, &[]).await;
        assert_eq!(run.code, 0, "{url}:\n{}", run.stderr);
        assert!(
            first_line(&run).contains(&format!(
                "Checking {url}: Coder v{}-imitation",
                coder_external_auth::CoderVersion::NEWEST_KNOWN
            )),
            "{}",
            run.stderr
        );
        assert!(run.json["stopped"].is_null(), "{:#}", run.json);
        let fresh = run
            .cases()
            .iter()
            .filter(|case| case["verdict"] == "fresh")
            .count();
        assert!(fresh >= 10, "{}", run.stderr);
    }
    let paths = paths.lock().unwrap().clone();
    assert!(
        paths.iter().all(|path| path.starts_with("/coder/api/v2/")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|path| path == "/coder/api/v2/external-auth"),
        "{paths:?}"
    );
    server.shutdown().await;
}

/// The workflow commands of a run's stdout: `(level, title, message)`, message unescaped.
fn workflow_commands(stdout: &str) -> Vec<(String, String, String)> {
    let unescape = |text: &str| {
        text.replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("::")?;
            let (command, message) = rest.split_once("::")?;
            let (level, properties) = command.split_once(' ')?;
            let title = properties.strip_prefix("title=")?;
            Some((level.to_owned(), unescape(title), unescape(message)))
        })
        .collect()
}

/// `check` as in a GitHub Actions job: the annotations on stdout, the summary file's text.
async fn check_in_actions(url: &str, token: &str) -> (Run, String) {
    let summary_dir = tempfile::tempdir().unwrap();
    let summary = summary_dir.path().join("summary.md");
    let run = check(
        url,
        token,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    )
    .await;
    let text = std::fs::read_to_string(&summary).unwrap_or_default();
    (run, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn on_exit_2_ci_is_told_why_in_an_annotation_junit_and_the_summary() {
    let server = Imitation::start().await.unwrap();
    let (run, summary) = check_in_actions(server.base_url(), WRONG_TOKEN).await;
    stopped(&run, "token-rejected", WRONG_TOKEN);
    let commands = workflow_commands(&run.stdout);
    let (level, title, message) = commands
        .first()
        .unwrap_or_else(|| panic!("no workflow command on stdout:\n{}", run.stdout));
    assert_eq!(level, "error");
    assert_eq!(title, "conformance could not run (token-rejected)");
    assert!(
        message.starts_with("the session token was rejected: "),
        "{message}"
    );
    assert!(message.contains("API key is invalid."), "{message}");
    // The summary states the situation in words.
    assert!(summary.contains("**The check could not run**"), "{summary}");
    assert!(
        summary.contains("the session token was rejected"),
        "{summary}"
    );
    assert!(summary.contains("Exit status **2**"), "{summary}");
    assert!(!summary.contains("Coder unknown"), "{summary}");
    assert!(!summary.contains("contract of Coder ."), "{summary}");
    assert!(!summary.contains(WRONG_TOKEN), "{summary}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_exit_2_for_a_server_that_is_not_coder_ci_is_told_too() {
    let (base, _seen) = serve(Canned {
        status: 404,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body: b"404 page not found\n".to_vec(),
    })
    .await;
    let (run, summary) = check_in_actions(&base, WRONG_TOKEN).await;
    stopped(&run, "not-coder", WRONG_TOKEN);
    let commands = workflow_commands(&run.stdout);
    assert!(
        commands
            .iter()
            .any(|(level, title, message)| level == "error"
                && title == "conformance could not run (not-coder)"
                && message.starts_with("this is not a Coder deployment: ")),
        "{commands:?}"
    );
    assert!(
        summary.contains("this is not a Coder deployment"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_lists_failures_first_with_findings_labels_and_coders_words() {
    // get-external-auth-by-id answers 410 with Coder's envelope for one provider.
    let hook: ResponseHook = Arc::new(|operation, status, body| {
        let gitlab = body
            .as_ref()
            .is_some_and(|body| body["display_name"] == "GitLab");
        if operation == Operation::GetExternalAuthById && gitlab {
            *status = http::StatusCode::GONE;
            *body = Some(json!({"message": "Provider retired.", "detail": "gitlab is gone"}));
        }
    });
    let server = Imitation::builder()
        .response_hook(hook)
        .start()
        .await
        .unwrap();
    let token = server.session_token().expose().to_owned();
    let (run, summary) = check_in_actions(server.base_url(), &token).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let failures = summary
        .find("### Failures")
        .unwrap_or_else(|| panic!("no failures section:\n{summary}"));
    let table = summary.find("| operation | case |").expect("the table");
    assert!(failures < table, "{summary}");
    assert!(summary.contains("expected status"), "{summary}");
    assert!(
        summary.contains("Coder said: \"Provider retired.\" (detail: \"gitlab is gone\")"),
        "{summary}"
    );
    // The first row of the table is a failure, and rows carry the case's label.
    let first_row = summary[table..].lines().nth(2).unwrap_or_default();
    assert!(first_row.contains("| Failure |"), "{summary}");
    assert!(first_row.contains("| gitlab |"), "{first_row}");
    // The human report and the JSON carry Coder's words too.
    assert!(
        run.stderr
            .contains("Coder said: \"Provider retired.\" (detail: \"gitlab is gone\")"),
        "{}",
        run.stderr
    );
    let case = run
        .cases()
        .iter()
        .find(|case| case["verdict"] == "failure" && case["coder_said"].is_object())
        .unwrap_or_else(|| panic!("no failed case with coder_said: {:#}", run.json));
    assert_eq!(case["coder_said"]["detail"], "gitlab is gone");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_exit_2_for_an_unreachable_target_ci_is_told_too() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (run, summary) = check_in_actions(&url, WRONG_TOKEN).await;
    stopped(&run, "unreachable", WRONG_TOKEN);
    assert!(
        first_line(&run).starts_with("error: cannot reach the target: "),
        "{}",
        run.stderr
    );
    let commands = workflow_commands(&run.stdout);
    assert!(
        commands
            .iter()
            .any(|(level, title, message)| level == "error"
                && title == "conformance could not run (unreachable)"
                && message.starts_with("cannot reach the target: ")),
        "{commands:?}"
    );
    assert!(summary.contains("cannot reach the target"), "{summary}");
}
