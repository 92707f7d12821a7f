//! Hardening: whatever a server, a description or a flag sends, a run ends bounded (a harness
//! guard, not a speed claim), with a documented exit status, reports that parse, accepted
//! snapshots untouched and no secret in any form. Each test attacks one class with inputs of
//! its own; servers are scripted fixtures on 127.0.0.1, written here from the facts.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use common::binary::{self, Run};
use serde_json::{Value, json};

/// A token in Coder's format, distinctive enough to find anywhere.
const TOKEN: &str = "hrdn3ng01x-Zq8TOKENsecretVALUE9xyW";
/// README: the documented exit statuses.
const CONTRACT_BROKEN: i32 = 3;
const COULD_NOT_RUN: i32 = 2;

/// What a scripted fixture answers: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);
type Script = Arc<dyn Fn(&str, &str) -> Answer + Send + Sync>;

/// A scripted server: the script sees method and path; the fixture counts requests in flight.
struct Fixture {
    base: String,
    paths: Arc<Mutex<Vec<String>>>,
    most_in_flight: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

/// How long the fixture holds a request to this path before it answers.
type Hold = Arc<dyn Fn(&str) -> Duration + Send + Sync>;

impl Fixture {
    async fn start(script: Script, hold: Duration) -> Self {
        Self::start_holding(script, Arc::new(move |_| hold)).await
    }

    async fn start_holding(script: Script, hold: Hold) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most_in_flight = Arc::new(AtomicUsize::new(0));
        let (seen, now, most) = (paths.clone(), in_flight.clone(), most_in_flight.clone());
        let app = axum::Router::new().fallback(move |request: Request| {
            let (script, seen, now, most, hold) = (
                script.clone(),
                seen.clone(),
                now.clone(),
                most.clone(),
                hold.clone(),
            );
            async move {
                let path = request.uri().to_string();
                seen.lock().unwrap().push(path.clone());
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(hold(&path)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                let (status, headers, body) = script(request.method().as_str(), &path);
                let mut response = Response::new(Body::from(body));
                *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                for (name, value) in headers {
                    response.headers_mut().append(
                        axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        axum::http::HeaderValue::from_str(&value).unwrap(),
                    );
                }
                response
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base: format!("http://{addr}"),
            paths,
            most_in_flight,
            _task: task,
        }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

fn json_answer(status: u16, body: &Value) -> Answer {
    (
        status,
        vec![
            (
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            ),
            ("x-coder-build-version".into(), "v2.35.1+8b44bd6".into()),
        ],
        format!("{body}\n").into_bytes(),
    )
}

fn provider(id: &str, device: bool) -> Value {
    json!({"id": id, "type": "github", "device": device, "display_name": "GitHub",
           "display_icon": "/icon/github.svg", "allow_refresh": true, "allow_validate": true,
           "supports_revocation": true, "code_challenge_methods_supported": ["S256"]})
}

fn unlinked() -> Value {
    json!({"authenticated": false, "device": true, "display_name": "GitHub",
           "supports_revocation": false, "user": null, "app_installable": false,
           "installations": [], "app_install_url": ""})
}

fn not_found() -> Value {
    json!({"message": "Resource not found or you do not have access to this resource"})
}

/// `conformance check --url <fixture>` with the token in the environment.
async fn check(base: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--url", base, "--timeout", "3"];
    args.extend_from_slice(extra);
    binary::run(
        &args,
        &[("CODER_SESSION_TOKEN", TOKEN)],
        binary::snapshot_copy(),
    )
    .await
}

/// What every run must show: no panic, the status, both reports parse.
fn assert_sound(what: &str, run: &Run, code: i32) {
    assert!(
        !run.stderr.contains("panicked"),
        "{what}: panicked:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code, code,
        "{what}: exit status; stderr:\n{}",
        run.stderr
    );
    assert_eq!(
        run.json["exit_code"], code,
        "{what}: the JSON report:\n{:#}",
        run.json
    );
    roxmltree::Document::parse(&run.junit)
        .unwrap_or_else(|err| panic!("{what}: the JUnit report is not XML: {err}\n{}", run.junit));
    let sarif: Value = serde_json::from_str(&run.sarif)
        .unwrap_or_else(|err| panic!("{what}: the SARIF log is not JSON: {err}\n{}", run.sarif));
    assert_eq!(sarif["version"], "2.1.0", "{what}");
    assert_eq!(
        sarif["$schema"], "https://json.schemastore.org/sarif-2.1.0.json",
        "{what}"
    );
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["exitCode"], code,
        "{what}: the SARIF log's exit code"
    );
}

/// Every form a secret can take in an output: raw, JSON-escaped, XML-escaped.
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let xml = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    vec![secret.to_owned(), json[1..json.len() - 1].to_owned(), xml]
}

fn assert_no_secret(what: &str, run: &Run, secret: &str) {
    let all = run.all_output();
    for form in forms(secret) {
        assert!(
            !all.contains(&form),
            "{what}: {form:?} appears in the output:\n{all}"
        );
    }
}

/// A tiny deterministic generator (xorshift), so every run attacks with the same inputs.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A secret of `len` characters drawn from those that break naive masking.
    fn secret(&mut self, len: usize) -> String {
        const HARD: &[char] = &[
            '"', '\\', '\t', '<', '&', '\'', '>', ':', 'e', '/', 'Z', '7', 'é', '%', '{', ' ',
        ];
        (0..len)
            .map(|_| HARD[(self.next() % HARD.len() as u64) as usize])
            .collect()
    }
}

/// A Coder whose device codes are `device` and `user`, and which echoes them (and the
/// token) where reports quote values.
fn echoing_coder(device: String, user: String) -> Script {
    Arc::new(move |method, path| {
        let path = path.split('?').next().unwrap_or_default().to_owned();
        match (method, path.as_str()) {
            ("GET", "/api/v2/external-auth") => json_answer(
                200,
                &json!({"providers": [provider("github", true)], "links": []}),
            ),
            ("GET", "/api/v2/external-auth/github") => json_answer(200, &unlinked()),
            ("GET", "/api/v2/external-auth/github/device") => json_answer(
                200,
                &json!({"device_code": device, "user_code": user,
                        "verification_uri": "https://github.com/login/device",
                        "expires_in": 899, "interval": 5}),
            ),
            ("POST", "/api/v2/external-auth/github/device") => json_answer(
                400,
                &json!({"message": format!("Failed to exchange device code {device} for {user}, token {TOKEN}"),
                        "detail": user, device.clone(): TOKEN}),
            ),
            _ => json_answer(404, &not_found()),
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn masking_holds_for_any_secret_and_every_report_parses() {
    let mut generator = Seeded(0x5eed_c0de_2026_1125);
    for round in 0..8 {
        // Lengths on both sides of the masking threshold, including one character.
        let device = generator.secret([1, 3, 9, 24][round % 4]);
        let user = generator.secret([12, 1, 7, 40][round % 4]);
        let fixture =
            Fixture::start(echoing_coder(device.clone(), user.clone()), Duration::ZERO).await;
        let run = check(&fixture.base, &[]).await;
        let what = format!("round {round} (device {device:?}, user {user:?})");
        assert_sound(&what, &run, CONTRACT_BROKEN);
        assert_no_secret(&what, &run, TOKEN);
        for secret in [&device, &user] {
            if secret.chars().count() >= 8 {
                assert_no_secret(&what, &run, secret);
            } else {
                let notes = run.json["notes"].to_string();
                assert!(
                    notes.contains("shorter than 8 characters"),
                    "{what}: {notes}"
                );
            }
        }
        // The accepted snapshots are untouched: the run was under CI and failed anyway.
        let copy = run.snapshots();
        for entry in std::fs::read_dir(&copy).unwrap() {
            let path = entry.unwrap().path();
            let original = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("snapshots")
                .join(path.file_name().unwrap());
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(&original).unwrap(),
                "{what}: {} changed",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn durations_from_flags_are_bounded_not_overflowed() {
    for (flag, value) in [
        ("--device-flow-deadline", "9223372036854775807"),
        ("--device-flow-deadline", "18446744073709551615"),
        ("--timeout", "1e300"),
        ("--list-timeout", "1e300"),
        ("--timeout", "NaN"),
        ("--list-timeout", "-1"),
    ] {
        let flag_value = format!("{flag}={value}");
        let args = ["check", "--url", "http://127.0.0.1:9", &flag_value];
        let env = [("CODER_SESSION_TOKEN", TOKEN)];
        let run = binary::run(&args, &env, binary::snapshot_copy()).await;
        let what = format!("{flag} {value}");
        assert_sound(&what, &run, COULD_NOT_RUN);
        assert!(run.stderr.contains(flag), "{what}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_go_exactly_where_the_user_said() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::start(
        echoing_coder("d".repeat(40), "ABCD-EFGH".into()),
        Duration::ZERO,
    )
    .await;
    let args = |json: &Path, junit: &Path| -> Vec<String> {
        vec![
            "check".into(),
            "--url".into(),
            fixture.base.clone(),
            "--json".into(),
            json.display().to_string(),
            "--junit".into(),
            junit.display().to_string(),
        ]
    };
    let conformance = |args: Vec<String>| {
        common::binary::command()
            .args(args)
            .env("CODER_SESSION_TOKEN", TOKEN)
            .env("CI", "true")
            .output()
            .unwrap()
    };

    // Through a symlink: never. A link a pull request planted at a report path could point
    // anywhere; the run refuses it, names the flag, and the link's target is not created.
    let target = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = conformance(args(&link, &dir.path().join("junit.xml")));
    assert_eq!(output.status.code(), Some(COULD_NOT_RUN));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--json") && stderr.contains("symbolic link"),
        "{stderr}"
    );
    assert!(!target.exists());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // The other reports still got written, and say why the run ends with exit 2.
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    roxmltree::Document::parse(&junit).unwrap();

    // `-` is stdout: one JSON document there (annotations, under Actions, go to stderr).
    let output = common::binary::command()
        .args(args(Path::new("-"), &dir.path().join("j2.xml")))
        .env("CODER_SESSION_TOKEN", TOKEN)
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not one JSON document: {err}\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(report["exit_code"], output.status.code().unwrap());
    assert!(String::from_utf8_lossy(&output.stderr).contains("::error"));

    // The same path twice is refused, naming both flags.
    let same = dir.path().join("same");
    let output = conformance(args(&same, &same));
    assert_eq!(output.status.code(), Some(COULD_NOT_RUN));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--json") && stderr.contains("--junit"),
        "{stderr}"
    );

    // A FIFO is refused at once instead of waiting for a reader.
    let fifo = dir.path().join("fifo");
    common::mkfifo(&fifo);
    let output = conformance(args(&fifo, &dir.path().join("j.xml")));
    assert_eq!(output.status.code(), Some(COULD_NOT_RUN));
    assert!(String::from_utf8_lossy(&output.stderr).contains("FIFO"));

    // A character device is refused, and left as it was.
    let output = conformance(args(Path::new("/dev/null"), &dir.path().join("k.xml")));
    assert_eq!(output.status.code(), Some(COULD_NOT_RUN));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device_like()
    );

    // Nothing else is left behind: no temporary files beside the reports.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp") || name.starts_with(".conformance-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `is_char_device` lives in an extension trait; one name keeps the assertion readable.
trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_char_device()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_list_costs_a_bounded_number_of_requests_and_connections() {
    // Within the 1 MiB a body may take (a longer list is itself a failure, at the cap).
    const LISTED: usize = 3_000;
    let providers: Vec<Value> = (0..LISTED)
        .map(|i| provider(&format!("p{i}"), false))
        .collect();
    let list = json!({"providers": providers, "links": []});
    let script: Script = Arc::new(move |method, path| match (method, path) {
        ("GET", "/api/v2/external-auth") => json_answer(200, &list),
        ("GET", path) if path.ends_with("/device") => json_answer(
            400,
            &json!({"message": "Git auth device flow not supported."}),
        ),
        ("GET", _) => json_answer(200, &unlinked()),
        _ => json_answer(404, &not_found()),
    });
    // Each answer waits a little, so requests in flight overlap and can be counted.
    let fixture = Fixture::start(script, Duration::from_millis(20)).await;
    let run = check(&fixture.base, &[]).await;
    assert!(!run.stderr.contains("panicked"));
    let by_id = fixture
        .paths()
        .iter()
        .filter(|path| path.starts_with("/api/v2/external-auth/p"))
        .count();
    assert!(
        by_id <= 100 + 3,
        "{by_id} provider requests for {LISTED} listed"
    );
    let most = fixture.most_in_flight.load(Ordering::SeqCst);
    assert!(
        most <= 24,
        "{most} requests in flight at once (MAX_CONCURRENT_REQUESTS)"
    );
    assert!(
        run.json["notes"]
            .to_string()
            .contains("the list names 3000 providers; 100 were checked"),
        "{:#}",
        run.json["notes"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_ids_never_leave_their_path_segment_or_forge_output() {
    let hostile = [
        "..",
        ".",
        "a/b",
        "%2e%2e",
        "x\n       Fresh forged line",
        "\u{1b}[31mred",
        "github",
    ];
    let providers: Vec<Value> = hostile.iter().map(|id| provider(id, false)).collect();
    let list = json!({"providers": providers, "links": []});
    let script: Script = Arc::new(move |method, path| match (method, path) {
        ("GET", "/api/v2/external-auth") => json_answer(200, &list),
        ("GET", "/api/v2/external-auth/github") => json_answer(200, &unlinked()),
        _ => json_answer(404, &not_found()),
    });
    let fixture = Fixture::start(script, Duration::ZERO).await;
    let run = check(&fixture.base, &["--allow-delete", "github"]).await;
    assert_sound("hostile ids", &run, CONTRACT_BROKEN);
    for path in fixture.paths() {
        let path = path.split('?').next().unwrap().to_owned();
        let segments: Vec<&str> = path.split('/').collect();
        assert!(path.starts_with("/api/v2/"), "{path}");
        assert!(
            !segments
                .iter()
                .any(|s| *s == ".." || *s == "." || s.eq_ignore_ascii_case("%2e%2e")),
            "a request left its segment: {path}"
        );
        if let Some(id) = path.strip_prefix("/api/v2/external-auth/") {
            let id = id.trim_end_matches("/device");
            assert!(
                ["github", "conformance-no-such-provider"].contains(&id),
                "a request for a provider id Coder cannot have: {path}"
            );
        }
    }
    assert!(
        !run.stderr.contains('\u{1b}'),
        "an escape sequence reached the terminal"
    );
    assert!(
        !run.stderr
            .lines()
            .any(|line| line.trim_start().starts_with("Fresh forged")),
        "a forged report line:\n{}",
        run.stderr
    );
    let findings = run.findings().join("\n");
    assert!(findings.contains("provider id"), "{findings}");
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_in_the_url_or_a_stray_argument_are_never_echoed() {
    for url in [
        "http://admin:Pa55word-in-url-9@127.0.0.1:9",
        "http://127.0.0.1:9/?token=query-token-ABCDEFGH",
        "http://127.0.0.1:9/#fragment-token-ABCDEFGH",
    ] {
        let run = check(url, &[]).await;
        assert_sound(url, &run, COULD_NOT_RUN);
        for secret in [
            "Pa55word-in-url-9",
            "query-token-ABCDEFGH",
            "fragment-token-ABCDEFGH",
        ] {
            assert_no_secret(url, &run, secret);
        }
    }
    let output = common::binary::command()
        .args(["check", TOKEN])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(COULD_NOT_RUN));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(TOKEN), "{stderr}");
    assert!(stderr.contains("unexpected argument"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_or_an_empty_file_among_the_snapshots_is_refused_at_once() {
    for (name, make) in [("fifo", "mkfifo"), ("empty", "touch")] {
        let dir = binary::snapshot_copy();
        let path = dir
            .path()
            .join("snapshots/get-user-external-auths@providers-and-links.snap");
        std::fs::remove_file(&path).unwrap();
        assert!(
            std::process::Command::new(make)
                .arg(&path)
                .status()
                .unwrap()
                .success()
        );
        let run = binary::run(&["check"], &[], dir).await;
        assert_sound(name, &run, COULD_NOT_RUN);
        assert!(
            run.stderr.contains("not a regular file") || run.stderr.contains("is empty"),
            "{name}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("cargo insta"),
            "{name}: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_head_over_the_limit_is_the_server_breaking_http() {
    let script: Script = Arc::new(|_, _| {
        let mut answer = json_answer(200, &json!({"providers": [], "links": []}));
        for i in 0..64 {
            answer
                .1
                .push((format!("x-padding-{i}"), "p".repeat(8 * 1024)));
        }
        answer
    });
    let fixture = Fixture::start(script, Duration::ZERO).await;
    let run = check(&fixture.base, &[]).await;
    assert_sound("oversized head", &run, CONTRACT_BROKEN);
    let findings = run.findings().join("\n");
    assert!(findings.contains("message head is too large"), "{findings}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_interval_from_the_server_is_bounded_not_overflowed() {
    // The device flow against a live target shows the user code on a terminal: `script` lends
    // the run one.
    if !std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
    {
        eprintln!("skipped: util-linux `script` is not installed (the device flow needs a tty)");
        return;
    }
    for interval in [json!(u64::MAX), json!(i64::MAX), json!(9.9e300)] {
        let device = json!({"device_code": "d".repeat(40), "user_code": "ABCD-EFGH",
            "verification_uri": "https://github.com/login/device", "expires_in": 899,
            "interval": interval});
        let script: Script = Arc::new(move |method, path| {
            let path = path.split('?').next().unwrap_or_default().to_owned();
            match (method, path.as_str()) {
                ("GET", "/api/v2/external-auth") => json_answer(
                    200,
                    &json!({"providers": [provider("github", true)], "links": []}),
                ),
                ("GET", "/api/v2/external-auth/github") => json_answer(200, &unlinked()),
                ("GET", "/api/v2/external-auth/github/device") => json_answer(200, &device),
                ("POST", "/api/v2/external-auth/github/device") => json_answer(
                    400,
                    &json!({"message": "Failed to exchange device code.", "detail": "slow_down"}),
                ),
                _ => json_answer(404, &not_found()),
            }
        });
        let fixture = Fixture::start(script, Duration::ZERO).await;
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let command = format!(
            "{} check --url {} --device-flow --device-flow-deadline 3 --json {}",
            common::binary::PATH,
            fixture.base,
            report.display()
        );
        let run = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::process::Command::new("script")
                .args(["-qec", &command, "/dev/null"])
                .env("CODER_SESSION_TOKEN", TOKEN)
                .env("CI", "true")
                .env_remove("GITHUB_ACTIONS")
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("the run ended")
        .unwrap();
        let text = String::from_utf8_lossy(&run.stdout);
        assert!(!text.contains("panicked"), "interval {interval}: {text}");
        let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        // The exchange was never approved: that case could not complete (this fixture breaks
        // the contract elsewhere too, so the run's status is the breach's).
        let approved = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|case| case["label"] == "github approved")
            .unwrap_or_else(|| panic!("interval {interval}: no exchange case: {report:#}"));
        assert_eq!(approved["verdict"], "incomplete", "{approved:#}");
        assert!(
            approved["reason"]
                .as_str()
                .unwrap()
                .contains("not approved"),
            "{approved:#}"
        );
        assert!([COULD_NOT_RUN, CONTRACT_BROKEN].contains(&run.status.code().unwrap()));
    }
}

// Round three: each class fixed at its mechanism, attacked with inputs of its own.

/// The words the report itself is made of: verdicts, snapshot outcomes, check kinds, stop
/// kinds, operation ids, variants, SARIF levels.
const REPORT_WORDS: &[&str] = &[
    "fresh",
    "stale",
    "failure",
    "schema",
    "status",
    "error",
    "note",
    "warning",
    "skipped",
    "incomplete",
    "content-type",
    "typed-decode",
    "not-coder",
    "get-external-auth-by-id",
    "get-user-external-auths",
    "not-authenticated",
    "unknown-provider",
    "accepted (changed)",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_equal_to_a_report_word_never_silences_a_report() {
    for pair in REPORT_WORDS.chunks(2) {
        let (device, user) = (
            pair[0].to_owned(),
            pair.get(1).unwrap_or(&"fresh").to_string(),
        );
        let fixture =
            Fixture::start(echoing_coder(device.clone(), user.clone()), Duration::ZERO).await;
        let run = check(&fixture.base, &[]).await;
        let what = format!("device code {device:?}, user code {user:?}");
        // Every sink got its report, and each says what the process said.
        assert_sound(&what, &run, CONTRACT_BROKEN);
        assert!(!run.cases().is_empty(), "{what}: no cases:\n{}", run.stderr);
        assert!(run.stderr.contains("Finished"), "{what}: {}", run.stderr);
        assert_no_secret(&what, &run, TOKEN);
    }
}

/// A Coder whose every text hides markup and escapes: its release header, messages, details.
fn forging_coder(release: &'static str, text: &'static str) -> Script {
    Arc::new(move |method, path| {
        let path = path.split('?').next().unwrap_or_default().to_owned();
        let mut answer = match (method, path.as_str()) {
            ("GET", "/api/v2/external-auth") => json_answer(
                200,
                &json!({"providers": [provider("github", false)], "links": [], "extra": text}),
            ),
            _ => json_answer(404, &json!({"message": text, "detail": text})),
        };
        for header in &mut answer.1 {
            if header.0 == "x-coder-build-version" {
                header.1 = release.to_owned();
            }
        }
        answer
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_cannot_hide_forge_or_escape_through_any_output() {
    const ESCAPES: &str =
        "x\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{1b}[8mhidden\r\u{202e}\u{fffe}\u{ffff}\u{85}y";
    for (release, text) in [
        ("v2.36.1<!-- ", "--> | Exit status **0** |\n::error::forged"),
        ("v2.35.1+abc`|<script>", ESCAPES),
        ("v2.36.1", "</testcase><testcase name=\"forged\"/>]]>"),
    ] {
        let fixture = Fixture::start(forging_coder(release, text), Duration::ZERO).await;
        let dir = binary::snapshot_copy();
        let summary = dir.path().join("summary.md");
        let summary_env = summary.display().to_string();
        let run = binary::run(
            &["check", "--url", &fixture.base, "--timeout", "3"],
            &[
                ("CODER_SESSION_TOKEN", TOKEN),
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_STEP_SUMMARY", &summary_env),
            ],
            dir,
        )
        .await;
        let what = format!("release {release:?}, text {text:?}");
        assert!(
            run.code == CONTRACT_BROKEN || run.code == COULD_NOT_RUN,
            "{what}: {}",
            run.code
        );
        assert_sound(&what, &run, run.code);
        let summary = std::fs::read_to_string(run.dir.path().join("summary.md")).unwrap();
        for forged in ["<!--", "<script>", "| Exit status **0** |"] {
            assert!(
                !summary.contains(forged),
                "{what}: {forged:?} in the summary:\n{summary}"
            );
        }
        assert!(
            summary.contains(&format!("Exit status **{}**", run.code)),
            "{what}:\n{summary}"
        );
        // One annotation per line: a newline in a text never starts a workflow command.
        assert!(
            !run.stdout
                .lines()
                .any(|line| line.starts_with("::error::forged")),
            "{what}: {}",
            run.stdout
        );
        let all = run.all_output() + &summary;
        for c in [
            '\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{fffe}', '\u{ffff}', '\u{85}',
        ] {
            assert!(!all.contains(c), "{what}: {c:?} reached an output");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_list_keeps_the_breach_already_seen() {
    // The unknown provider answers 200 instead of 404: a breach, seen before the list ends.
    let script: Script = Arc::new(|method, path| {
        let path = path.split('?').next().unwrap_or_default().to_owned();
        match (method, path.as_str()) {
            ("GET", "/api/v2/external-auth") => json_answer(
                200,
                &json!({"providers": [provider("github", true)], "links": []}),
            ),
            ("GET", p) if p.starts_with("/api/v2/external-auth/") => json_answer(200, &unlinked()),
            _ => json_answer(404, &not_found()),
        }
    });
    let hold: Hold = Arc::new(|path| {
        if path == "/api/v2/external-auth" {
            Duration::from_secs(4)
        } else {
            Duration::ZERO
        }
    });
    let fixture = Fixture::start_holding(script, hold).await;
    let run = check(&fixture.base, &["--list-timeout", "1"]).await;
    assert_sound("a stalled list", &run, CONTRACT_BROKEN);
    let cases = run.cases();
    assert!(
        cases
            .iter()
            .any(|case| case["verdict"] == "failure" && case["label"] == "unknown provider"),
        "{:#}",
        run.json
    );
    assert!(
        cases.iter().any(|case| case["verdict"] == "incomplete"),
        "the list is reported as incomplete: {:#}",
        run.json
    );
    assert!(run.json["notes"].to_string().contains("--list-timeout"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_duration_flag_has_one_bound() {
    for flag in [
        "--agent-listen-timeout",
        "--device-flow-deadline",
        "--timeout",
        "--list-timeout",
    ] {
        for value in ["18446744073709551615", "3601", "0", "inf", "-0.5"] {
            let flag_value = format!("{flag}={value}");
            let args = ["check", "--url", "http://127.0.0.1:9", &flag_value];
            let env = [("CODER_SESSION_TOKEN", TOKEN)];
            let run = binary::run(&args, &env, binary::snapshot_copy()).await;
            let what = format!("{flag} {value}");
            assert_sound(&what, &run, COULD_NOT_RUN);
            assert!(
                run.stderr.contains(flag) && run.stderr.contains("at most 3600"),
                "{what}: {}",
                run.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn named_inputs_that_are_not_regular_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    common::mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    for (args, flag) in [
        (
            vec![
                "check",
                "--url",
                "http://127.0.0.1:9",
                "--ca-cert",
                fifo.as_str(),
            ],
            "--ca-cert",
        ),
        (
            vec![
                "check",
                "--url",
                "http://127.0.0.1:9",
                "--ca-cert",
                "/dev/zero",
            ],
            "--ca-cert",
        ),
        (vec!["check", "--baseline", fifo.as_str()], "--baseline"),
        (vec!["serve", "--config", fifo.as_str()], "--config"),
        (vec!["serve", "--config", "/dev/zero"], "--config"),
    ] {
        let started = std::time::Instant::now();
        let output = tokio::time::timeout(
            Duration::from_secs(30),
            common::binary::async_command()
                .args(&args)
                .env("CODER_SESSION_TOKEN", TOKEN)
                .env("CI", "true")
                .output(),
        )
        .await
        .unwrap_or_else(|_| panic!("{args:?} hung"))
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(COULD_NOT_RUN),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(flag) && stderr.contains("not a regular file"),
            "{args:?}: {stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_summary_that_is_not_a_regular_file_or_is_full_ends_with_exit_2_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("summary.fifo");
    common::mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    for summary in [fifo.as_str(), "/dev/full"] {
        let run = binary::run(
            &["check"],
            &[("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", summary)],
            binary::snapshot_copy(),
        )
        .await;
        // The JSON report is written last and says what the process said.
        assert_sound(summary, &run, COULD_NOT_RUN);
        assert!(
            run.stderr.contains("GITHUB_STEP_SUMMARY"),
            "{summary}: {}",
            run.stderr
        );
        assert!(
            run.json["notes"]
                .to_string()
                .contains("could not write an output"),
            "{summary}: {:#}",
            run.json
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_or_full_stdout_or_stderr_never_panics() {
    // `list | head -1`: the reader goes away; the list ends quietly.
    let mut child = common::binary::async_command()
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    // stderr on a full disk: exit 2 and a JSON report saying so.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let status = common::binary::async_command()
        .args(["check", "--json", json.to_str().unwrap()])
        .env("CI", "true")
        .stdout(std::process::Stdio::null())
        .stderr(full)
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(COULD_NOT_RUN));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["exit_code"], COULD_NOT_RUN);
    assert!(report["notes"].to_string().contains("stderr"), "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_traffic_never_goes_through_a_proxy_from_the_environment() {
    // A "proxy" that records whoever reaches it.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = proxy.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let fixture = Fixture::start(
        echoing_coder("d".repeat(40), "ABCD-EFGH".into()),
        Duration::ZERO,
    )
    .await;
    let mut env = vec![("CODER_SESSION_TOKEN", TOKEN)];
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        env.push((name, proxy_url.as_str()));
    }
    let run = binary::run(
        &["check", "--url", &fixture.base, "--timeout", "3"],
        &env,
        binary::snapshot_copy(),
    )
    .await;
    assert_sound("a proxy in the environment", &run, CONTRACT_BROKEN);
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the proxy was reached");
    assert!(!fixture.paths().is_empty());
    // The embedded imitation too.
    let run = binary::run(&["check"], &env, binary::snapshot_copy()).await;
    assert_sound("the imitation with a proxy in the environment", &run, 0);
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the proxy was reached");
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_never_shows_what_a_url_carries_besides_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("diff.json");
    for url in [
        "http://alice:pa55w0rd-SECRET@127.0.0.1:9/swagger.json?token=q7TOKENq7&x=1",
        "http://127.0.0.1:9/swagger.json?access_token=q7TOKENq7#frag-SECRET",
    ] {
        let output = common::binary::async_command()
            .args(["diff", "--upstream", url, "--timeout", "2", "--json"])
            .arg(&json)
            .output()
            .await
            .unwrap();
        let all = String::from_utf8_lossy(&output.stderr).into_owned()
            + &String::from_utf8_lossy(&output.stdout)
            + &std::fs::read_to_string(&json).unwrap_or_default();
        assert_eq!(output.status.code(), Some(COULD_NOT_RUN), "{all}");
        for secret in ["pa55w0rd", "q7TOKENq7", "SECRET", "alice"] {
            assert!(!all.contains(secret), "{url}: {secret} shown:\n{all}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn links_planted_among_the_snapshots_are_never_written_through() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    let name = "get-user-external-auths@providers-and-links.snap";

    // A pending file that is a link, beside an accepted snapshot that no longer matches.
    let dir = binary::snapshot_copy();
    let snapshots = dir.path().join("snapshots");
    let accepted = snapshots.join(name);
    let text = std::fs::read_to_string(&accepted).unwrap();
    std::fs::write(
        &accepted,
        text.replace("\"providers\"", "\"providers_renamed\""),
    )
    .unwrap();
    std::os::unix::fs::symlink(&victim, snapshots.join(format!("{name}.new"))).unwrap();
    let run = binary::run_outside_ci(&["check"], &[], dir).await;
    assert_sound("a linked .snap.new", &run, COULD_NOT_RUN);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

    // --accept where an accepted snapshot is a dangling link: nothing is created at its end.
    let dir = binary::snapshot_copy();
    let snapshots = dir.path().join("snapshots");
    std::fs::remove_file(snapshots.join(name)).unwrap();
    let planted = outside.path().join("planted");
    std::os::unix::fs::symlink(&planted, snapshots.join(name)).unwrap();
    let run = binary::run(&["check", "--accept"], &[], dir).await;
    assert_sound("a dangling link under --accept", &run, COULD_NOT_RUN);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(!planted.exists(), "--accept wrote through a link");

    // A link to a file outside is not read as an accepted snapshot either.
    let dir = binary::snapshot_copy();
    let snapshots = dir.path().join("snapshots");
    let copy = outside.path().join("copy.snap");
    std::fs::rename(snapshots.join(name), &copy).unwrap();
    std::os::unix::fs::symlink(&copy, snapshots.join(name)).unwrap();
    let run = binary::run(&["check"], &[], dir).await;
    assert_sound("a link to an accepted snapshot", &run, COULD_NOT_RUN);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
}
