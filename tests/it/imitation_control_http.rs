//! The control API over HTTP, through `conformance serve` as a test in another language would
//! drive it: the printed `IMITATION_CONTROL_URL`, approve and reset exactly as documented,
//! everything else `Control` does, JSON errors, `--no-control`, `--config` and
//! `--device-auto-approve-after`.
#![cfg(feature = "conformance")]

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// A hang guard for each wait, never a measurement.
const PATIENCE: Duration = Duration::from_secs(60);

struct Served {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    url: String,
    token: String,
    control: Option<String>,
}

impl Served {
    /// `conformance serve ARGS`; reads the control URL line only when `control` says one comes.
    async fn start(args: &[&str], control: bool) -> Served {
        let mut child = common::binary::async_command()
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = async || {
            tokio::time::timeout(PATIENCE, stdout.next_line())
                .await
                .expect("serve printed its lines")
                .unwrap()
                .expect("serve's stdout stayed open")
        };
        let url = next().await.strip_prefix("CODER_URL=").unwrap().to_owned();
        let token = next()
            .await
            .strip_prefix("CODER_SESSION_TOKEN=")
            .unwrap()
            .to_owned();
        let control = if control {
            let line = next().await;
            Some(
                line.strip_prefix("IMITATION_CONTROL_URL=")
                    .unwrap()
                    .to_owned(),
            )
        } else {
            None
        };
        Served {
            child,
            stdout,
            url,
            token,
            control,
        }
    }

    fn control(&self, path: &str) -> String {
        format!("{}{path}", self.control.as_deref().unwrap())
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v2{path}", self.url)
    }

    async fn stop(mut self) -> String {
        self.child.kill().await.unwrap();
        let mut rest = String::new();
        let mut inner = self.stdout.into_inner();
        let _ = inner.read_to_string(&mut rest).await;
        rest
    }
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap()
}

/// Status and JSON body (`Null` when empty).
async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

async fn device_code(served: &Served, client: &reqwest::Client) -> (String, String) {
    let (status, body) = call(
        client
            .get(served.api("/external-auth/github/device"))
            .header("Coder-Session-Token", &served.token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["device_code"].as_str().unwrap().to_owned(),
        body["user_code"].as_str().unwrap().to_owned(),
    )
}

async fn poll(served: &Served, client: &reqwest::Client, device_code: &str) -> (u16, Value) {
    call(
        client
            .post(served.api("/external-auth/github/device"))
            .header("Coder-Session-Token", &served.token)
            .json(&json!({ "device_code": device_code })),
    )
    .await
}

async fn linked(served: &Served, client: &reqwest::Client) -> Vec<String> {
    let (status, body) = call(
        client
            .get(served.api("/external-auth"))
            .header("Coder-Session-Token", &served.token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["provider_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_and_reset_as_documented() {
    let served = Served::start(&[], true).await;
    let control_url = served.control.clone().unwrap();
    assert_eq!(control_url, format!("{}/__imitation", served.url));
    let client = http();

    let (device, user) = device_code(&served, &client).await;
    let (status, body) = poll(&served, &client, &device).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (400, Some("authorization_pending"))
    );
    let (status, body) = call(
        client
            .post(served.control("/device/approve"))
            .json(&json!({ "user_code": user })),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    // Approving twice: no longer pending.
    let (status, body) = call(
        client
            .post(served.control("/device/approve"))
            .json(&json!({ "user_code": user })),
    )
    .await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains(&user), "{body}");
    let (status, _) = call(
        client
            .post(served.control("/device/approve"))
            .json(&json!({ "user_code": "NONE-SUCH" })),
    )
    .await;
    assert_eq!(status, 404);

    // Change everything reset must undo: unlink, a fault, a device code, a rate limit.
    assert_eq!(
        call(client.delete(served.control("/links/gitlab"))).await.0,
        204
    );
    assert_eq!(
        call(
            client
                .post(served.control("/faults"))
                .json(&json!({ "provider_id": "github", "reject_token": true }))
        )
        .await
        .0,
        204
    );
    device_code(&served, &client).await;
    let before_reset = linked(&served, &client).await;
    assert!(!before_reset.contains(&"gitlab".to_owned()));

    let (status, body) = call(client.post(served.control("/reset"))).await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, state) = call(client.get(served.control("/device"))).await;
    assert_eq!(
        state,
        json!({ "pending_user_codes": [], "stored": 0, "auto_approve_after": null })
    );
    assert_eq!(
        linked(&served, &client).await,
        ["github", "gitlab", "gitea"]
    );
    let (_, github) = call(
        client
            .get(served.api("/external-auth/github"))
            .header("Coder-Session-Token", &served.token),
    )
    .await;
    assert_eq!(github["authenticated"], true, "the fault is gone: {github}");
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_control_does_with_json_errors() {
    let served = Served::start(&[], true).await;
    let client = http();

    // Links: add (configured or not), list, remove.
    let add = |body: Value| client.post(served.control("/links")).json(&body);
    assert_eq!(
        call(add(
            json!({ "provider_id": "azure-devops", "refresh_token": true, "expires_in": 3600 })
        ))
        .await
        .0,
        204
    );
    assert_eq!(
        call(add(json!({ "provider_id": "gone", "unconfigured": true })))
            .await
            .0,
        204
    );
    let (status, body) = call(add(json!({ "provider_id": "gone-too" }))).await;
    assert_eq!(status, 404);
    assert!(
        body["message"].as_str().unwrap().contains("\"gone-too\""),
        "{body}"
    );
    let (_, links) = call(client.get(served.control("/links"))).await;
    assert_eq!(
        links,
        json!({ "provider_ids": ["github", "gitlab", "gitea", "azure-devops", "gone"] })
    );
    assert_eq!(
        call(client.delete(served.control("/links/gone"))).await.0,
        204
    );
    let (status, body) = call(client.delete(served.control("/links/gone"))).await;
    assert_eq!(status, 404);
    assert!(body["message"].is_string());

    // Faults show in the API.
    let fault = json!({ "provider_id": "gitlab", "fail_validation": true });
    assert_eq!(
        call(client.post(served.control("/faults")).json(&fault))
            .await
            .0,
        204
    );
    let (status, body) = call(
        client
            .get(served.api("/external-auth/gitlab"))
            .header("Coder-Session-Token", &served.token),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (500, Some("Failed to validate token."))
    );
    let unknown = json!({ "provider_id": "nope", "reject_token": true });
    assert_eq!(
        call(client.post(served.control("/faults")).json(&unknown))
            .await
            .0,
        404
    );

    // Deny and expire device codes.
    let (device, user) = device_code(&served, &client).await;
    let deny = json!({ "user_code": user.to_lowercase() });
    assert_eq!(
        call(client.post(served.control("/device/deny")).json(&deny))
            .await
            .0,
        204
    );
    assert_eq!(
        poll(&served, &client, &device).await.1["detail"],
        "access_denied"
    );
    let (device, user) = device_code(&served, &client).await;
    let (_, state) = call(client.get(served.control("/device"))).await;
    assert_eq!(state["pending_user_codes"], json!([user]));
    assert_eq!(
        call(client.post(served.control("/device/expire"))).await.0,
        204
    );
    assert_eq!(
        poll(&served, &client, &device).await.1["detail"],
        "expired_token"
    );

    // Sessions: a new random one, a chosen one, an expired one, removal.
    let (status, body) = call(client.post(served.control("/sessions")).json(&json!({}))).await;
    assert_eq!(status, 201);
    let fresh = body["token"].as_str().unwrap().to_owned();
    let with = |token: &str| {
        client
            .get(served.api("/external-auth"))
            .header("Coder-Session-Token", token)
    };
    assert_eq!(call(with(&fresh)).await.0, 200);
    let expired = "expiredkey-0123456789abcdefghijkl";
    let body = json!({ "token": expired, "expires_in": -60 });
    assert_eq!(
        call(client.post(served.control("/sessions")).json(&body))
            .await
            .0,
        201
    );
    let (status, body) = call(with(expired)).await;
    assert_eq!(status, 401);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("API key expired at"),
        "{body}"
    );
    let (status, body) = call(
        client
            .post(served.control("/sessions"))
            .json(&json!({ "token": "bad" })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("Coder's format"),
        "{body}"
    );
    assert_eq!(
        call(client.delete(served.control(&format!("/sessions/{fresh}"))))
            .await
            .0,
        204
    );
    assert_eq!(call(with(&fresh)).await.0, 401);

    // Rate limit on, then off.
    let limit = json!({ "requests": 1, "window_secs": 3600 });
    assert_eq!(
        call(client.put(served.control("/rate-limit")).json(&limit))
            .await
            .0,
        204
    );
    assert_eq!(call(with(&served.token)).await.0, 200);
    assert_eq!(call(with(&served.token)).await.0, 429);
    assert_eq!(
        call(client.delete(served.control("/rate-limit"))).await.0,
        204
    );
    assert_eq!(call(with(&served.token)).await.0, 200);

    // Errors are JSON naming the problem.
    let (status, body) = call(client.post(served.control("/nope"))).await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("/__imitation/nope"),
        "{body}"
    );
    let (status, body) = call(client.get(served.control("/reset"))).await;
    assert_eq!(status, 405);
    assert!(body["message"].as_str().unwrap().contains("POST"), "{body}");
    let typo = json!({ "usercode": "X" });
    let (status, body) = call(client.post(served.control("/device/approve")).json(&typo)).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("usercode"),
        "{body}"
    );
    let (status, body) = call(client.post(served.control("/device/approve")).body("{")).await;
    assert_eq!(status, 400);
    assert!(body["message"].is_string());
    // Not from a browser page, not through a rebound DNS name.
    let (status, body) = call(
        client
            .post(served.control("/reset"))
            .header("origin", "http://evil.example"),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["message"].as_str().unwrap().contains("Origin"),
        "{body}"
    );
    let (status, body) = call(
        client
            .post(served.control("/reset"))
            .header("host", "rebound.example:80"),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["message"].as_str().unwrap().contains("loopback host"),
        "{body}"
    );
    let localhost = served.control("/device").replace("127.0.0.1", "localhost");
    assert_eq!(call(client.get(localhost)).await.0, 200);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_control_means_no_control() {
    let served = Served::start(&["--no-control"], false).await;
    let client = http();
    let reset = format!("{}/__imitation/reset", served.url);
    let (status, body) = call(client.post(&reset)).await;
    // What the imitation answers outside /api/v2.
    assert_eq!(status, 404);
    assert_eq!(body["message"], "Route not found.");
    let rest = served.stop().await;
    assert!(!rest.contains("IMITATION_CONTROL_URL"), "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_config_and_auto_approval() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/imitation.json");
    let served = Served::start(
        &["--config", example, "--device-auto-approve-after", "2"],
        true,
    )
    .await;
    let client = http();
    let (status, body) = call(
        client
            .get(served.api("/external-auth"))
            .header("Coder-Session-Token", "ci0example-0123456789abcdefghijkl"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["github", "gitlab"]);
    assert_eq!(body["providers"][1]["display_name"], "GitLab (self-hosted)");
    assert_eq!(linked(&served, &client).await, ["github", "retired-gitea"]);
    let (status, _) = call(
        client
            .get(served.api("/external-auth"))
            .header("Coder-Session-Token", "exp1redkey-0123456789abcdefghijkl"),
    )
    .await;
    assert_eq!(status, 401);

    // Interval 1 s, not enforced; approved on the second poll with no one approving.
    let (device, _) = device_code(&served, &client).await;
    assert_eq!(poll(&served, &client, &device).await.0, 400);
    assert_eq!(poll(&served, &client, &device).await.0, 204);

    // Reset returns to the file's state, not the default deployment's.
    let (status, _) = call(client.post(served.control("/reset"))).await;
    assert_eq!(status, 204);
    assert_eq!(linked(&served, &client).await, ["github", "retired-gitea"]);
    served.stop().await;
}

#[tokio::test]
async fn a_bad_config_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, r#"{"links": [{"provider_id": "nope"}]}"#).unwrap();
    let output = tokio::time::timeout(
        PATIENCE,
        common::binary::async_command()
            .args(["serve", "--config"])
            .arg(&path)
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--config"), "{stderr}");
    assert!(stderr.contains("\"nope\""), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// The agent side over HTTP: the printed agent token, a new agent with its scope, a template
/// version put and removed, refresh failures through `/faults`, and `listen` released by a link
/// made through the control API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_and_template_versions_through_the_control_api() {
    let mut served = Served::start(&[], true).await;
    let agent_token = tokio::time::timeout(PATIENCE, served.stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .strip_prefix("CODER_AGENT_TOKEN=")
        .unwrap()
        .to_owned();
    let client = http();
    let agent_get = |token: &str, query: &str| {
        client
            .get(served.api(&format!("/workspaceagents/me/external-auth?{query}")))
            .header("Coder-Session-Token", token)
    };
    let (status, body) = call(agent_get(&agent_token, "id=github")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "github");

    let (status, body) = call(
        client
            .post(served.control("/agents"))
            .json(&json!({ "scope": "no_user_data" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let limited = body["token"].as_str().unwrap().to_owned();
    assert_eq!(call(agent_get(&limited, "id=github")).await.0, 403);
    let (status, _) = call(client.delete(served.control(&format!("/agents/{limited}")))).await;
    assert_eq!(status, 204);
    assert_eq!(call(agent_get(&limited, "id=github")).await.0, 401);
    let (status, body) = call(
        client
            .post(served.control("/agents"))
            .json(&json!({"scope": "x"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let version = "11111111-2222-4333-8444-555555555555";
    let tv = served.api(&format!("/templateversions/{version}/external-auth"));
    let with_token =
        |request: reqwest::RequestBuilder| request.header("Coder-Session-Token", &served.token);
    assert_eq!(call(with_token(client.get(&tv))).await.0, 404);
    let (status, _) = call(
        client
            .put(served.control(&format!("/template-versions/{version}")))
            .json(&json!({ "providers": [{"provider_id": "azure-devops", "optional": true}] })),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = call(with_token(client.get(&tv))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["optional"], true);
    assert_eq!(body[0]["authenticated"], false);
    let (status, _) = call(
        client
            .put(served.control("/template-versions/not-a-uuid"))
            .json(&json!({ "providers": [] })),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) =
        call(client.delete(served.control(&format!("/template-versions/{version}")))).await;
    assert_eq!(status, 204);

    // gitlab's token is expired and refreshable; its token endpoint then fails.
    let (status, _) = call(client.post(served.control("/links")).json(&json!({
        "provider_id": "gitlab", "refresh_token": true, "expires_in": -60
    })))
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        client
            .post(served.control("/faults"))
            .json(&json!({ "provider_id": "gitlab", "fail_refresh": true })),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = call(agent_get(&agent_token, "id=gitlab")).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["message"], "Failed to refresh external auth token.");

    // A held listen is released by a link made through the control API.
    let held = tokio::spawn(agent_get(&agent_token, "id=azure-devops&listen").send());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(!held.is_finished());
    let (status, _) = call(
        client
            .post(served.control("/links"))
            .json(&json!({ "provider_id": "azure-devops" })),
    )
    .await;
    assert_eq!(status, 204);
    let response = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "azure-devops");
    served.stop().await;
}
