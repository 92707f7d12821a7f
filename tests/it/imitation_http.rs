//! The imitation over real HTTP with raw requests: exact status, headers and body bytes for
//! every rule of the contract it imitates.
#![cfg(feature = "imitation")]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use coder_external_auth::Operation;
use coder_external_auth::imitation::{Expiry, Imitation, LinkSeed, ProviderConfig, ResponseHook};
use reqwest::{Client, Method, StatusCode};

const SIGNED_OUT: &str =
    "You are signed out or your session has expired. Please sign in again to continue.";

/// A plain reqwest client. reqwest is built without a default TLS crypto provider; the
/// crate's (ring) is installed first, as the crate's own client does.
fn http() -> Client {
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let response = req.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

fn url(server: &Imitation, path: &str) -> String {
    format!("{}{path}", server.base_url())
}

async fn get(server: &Imitation, path: &str) -> Answer {
    request(server, Method::GET, path, None).await
}

async fn request(server: &Imitation, method: Method, path: &str, body: Option<&str>) -> Answer {
    let mut req = http()
        .request(method, url(server, path))
        .header("Coder-Session-Token", server.session_token().expose());
    if let Some(body) = body {
        req = req.body(body.to_owned());
    }
    send(req).await
}

/// A JSON answer as Coder writes it: the content type, the two root headers, compact JSON
/// and one trailing newline.
fn assert_coder_json(answer: &Answer, status: StatusCode, body: &str) {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        answer.header("x-coder-build-version"),
        Some(newest_build_version().as_str())
    );
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(answer.body, format!("{body}\n"));
}

#[tokio::test]
async fn base_url_and_token_shapes() {
    let server = Imitation::start().await.unwrap();
    assert_eq!(server.base_url(), format!("http://{}", server.addr()));
    assert!(server.addr().ip().is_loopback());
    let token = server.session_token().expose();
    let (id, secret) = token.split_once('-').unwrap();
    assert_eq!((id.len(), secret.len()), (10, 22));
    assert!(!format!("{server:?}").contains(token));
    let other = Imitation::start().await.unwrap();
    assert_ne!(other.session_token().expose(), token);
    server.shutdown().await;
}

#[tokio::test]
async fn list_of_the_default_deployment() {
    let server = Imitation::start().await.unwrap();
    let answer = get(&server, "/api/v2/external-auth").await;
    assert_eq!(answer.status, StatusCode::OK);
    let providers = r#"{"providers":[{"id":"github","type":"github","device":true,"display_name":"GitHub","display_icon":"/icon/github.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":true,"code_challenge_methods_supported":["S256"]},{"id":"gitlab","type":"gitlab","device":false,"display_name":"GitLab","display_icon":"/icon/gitlab.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":true,"code_challenge_methods_supported":["S256"]},{"id":"azure-devops","type":"azure-devops","device":false,"display_name":"Azure DevOps","display_icon":"/icon/azure-devops.svg","allow_refresh":true,"allow_validate":false,"supports_revocation":false,"code_challenge_methods_supported":[""]},{"id":"gitea","type":"gitea","device":false,"display_name":"Gitea","display_icon":"/icon/gitea.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":false,"code_challenge_methods_supported":["S256"]}],"links":["#;
    assert!(answer.body.starts_with(providers), "{}", answer.body);
    assert!(answer.body.ends_with("]}\n"));
    let links = answer.json()["links"].as_array().unwrap().clone();
    let ids: Vec<_> = links
        .iter()
        .map(|l| l["provider_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["github", "gitlab", "gitea"]);
    let keys: Vec<_> = {
        // Key order as written, not as serde_json's sorted map would give it.
        let start = answer.body.find("\"links\":[{").unwrap() + 10;
        let first = &answer.body[start..answer.body[start..].find('}').unwrap() + start];
        first
            .split(',')
            .map(|kv| kv.split(':').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        keys,
        [
            "\"provider_id\"",
            "\"created_at\"",
            "\"updated_at\"",
            "\"has_refresh_token\"",
            "\"expires\"",
            "\"authenticated\"",
            "\"validate_error\""
        ]
    );
    let github = &links[0];
    assert_eq!(github["expires"], "0001-01-01T00:00:00Z");
    assert_eq!(github["has_refresh_token"], false);
    assert_eq!(github["authenticated"], true);
    assert_eq!(github["validate_error"], "");
    assert_eq!(github["created_at"], github["updated_at"]);
    let created = github["created_at"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && !created.ends_with("0Z"),
        "{created}"
    );
    let gitlab = &links[1];
    assert_eq!(gitlab["has_refresh_token"], true);
    assert_eq!(gitlab["authenticated"], true);
    let expires: chrono::DateTime<Utc> = gitlab["expires"].as_str().unwrap().parse().unwrap();
    assert!(expires > Utc::now() + chrono::Duration::minutes(100));
    let gitea = &links[2];
    assert_eq!(gitea["authenticated"], false);
    assert_eq!(
        gitea["validate_error"],
        "token expired, refreshing is either disabled or refreshing failed and will not be retried"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn list_refreshes_an_expired_refreshable_link() {
    let server = Imitation::start().await.unwrap();
    let control = server.control();
    let old = Utc::now() - chrono::Duration::days(2);
    assert!(
        control.link(
            "gitlab",
            LinkSeed::new()
                .refresh_token(true)
                .expiry(Expiry::Ago(Duration::from_secs(60)))
                .created_at(old)
        )
    );
    let links = get(&server, "/api/v2/external-auth").await.json()["links"].clone();
    let gitlab = links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["provider_id"] == "gitlab")
        .unwrap();
    assert_eq!(gitlab["authenticated"], true);
    assert_eq!(gitlab["validate_error"], "");
    let expires: chrono::DateTime<Utc> = gitlab["expires"].as_str().unwrap().parse().unwrap();
    let updated: chrono::DateTime<Utc> = gitlab["updated_at"].as_str().unwrap().parse().unwrap();
    let created: chrono::DateTime<Utc> = gitlab["created_at"].as_str().unwrap().parse().unwrap();
    assert!(expires > Utc::now());
    assert!(updated > created + chrono::Duration::days(1));

    // No refresh allowed: the same expired link stays unauthenticated.
    let server = Imitation::builder()
        .provider(
            ProviderConfig::gitlab("gitlab")
                .no_refresh(true)
                .linked(Some(
                    LinkSeed::new()
                        .refresh_token(true)
                        .expiry(Expiry::Ago(Duration::from_secs(60))),
                )),
        )
        .start()
        .await
        .unwrap();
    let list = get(&server, "/api/v2/external-auth").await.json();
    let gitlab = &list["links"][1];
    assert_eq!(list["providers"][1]["allow_refresh"], false);
    assert_eq!(gitlab["authenticated"], false);
    assert!(
        gitlab["validate_error"]
            .as_str()
            .unwrap()
            .starts_with("token expired,")
    );
}

#[tokio::test]
async fn list_validation_faults_and_orphans() {
    let server = Imitation::start().await.unwrap();
    let control = server.control();
    assert!(control.fail_validation("github", true));
    assert!(control.reject_token("gitlab", true));
    control.link_unconfigured("removed", LinkSeed::new());
    assert!(!control.link("removed", LinkSeed::new()));
    let list = get(&server, "/api/v2/external-auth").await.json();
    let link = |id: &str| {
        list["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["provider_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        link("github")["validate_error"],
        "validate external auth token: status 500: body: {\"message\":\"Server Error\"}"
    );
    assert_eq!(link("gitlab")["validate_error"], "token failed to validate");
    assert_eq!(link("removed")["authenticated"], false);
    assert_eq!(link("removed")["validate_error"], "");
    assert_eq!(list["providers"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn empty_deployment() {
    let server = Imitation::builder().no_providers().start().await.unwrap();
    let answer = get(&server, "/api/v2/external-auth").await;
    assert_coder_json(&answer, StatusCode::OK, r#"{"providers":[],"links":[]}"#);
}

#[tokio::test]
async fn get_by_id_variants() {
    let server = Imitation::start().await.unwrap();
    let control = server.control();
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/github").await,
        StatusCode::OK,
        r#"{"authenticated":true,"device":true,"display_name":"GitHub","supports_revocation":false,"user":{"id":583231,"login":"octocat","avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","profile_url":"https://github.com/octocat","name":"The Octocat"},"app_installable":true,"installations":[{"id":12345678,"account":{"id":0,"login":"coder","avatar_url":"","profile_url":"","name":""},"configure_url":""}],"app_install_url":""}"#,
    );
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/gitlab").await,
        StatusCode::OK,
        r#"{"authenticated":true,"device":false,"display_name":"GitLab","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#,
    );
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/azure-devops").await,
        StatusCode::OK,
        r#"{"authenticated":false,"device":false,"display_name":"Azure DevOps","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#,
    );
    // Expired: not authenticated, no refresh here.
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/gitea").await,
        StatusCode::OK,
        r#"{"authenticated":false,"device":false,"display_name":"Gitea","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#,
    );
    // An azure-devops link (no validate URL) authenticates without a user.
    assert!(control.link("azure-devops", LinkSeed::new()));
    let azure = get(&server, "/api/v2/external-auth/azure-devops")
        .await
        .json();
    assert_eq!(
        (azure["authenticated"].clone(), azure["user"].clone()),
        (true.into(), serde_json::Value::Null)
    );
    // A github token rejected by GitHub: no user, not installable.
    control.reject_token("github", true);
    let github = get(&server, "/api/v2/external-auth/github").await.json();
    assert_eq!(github["authenticated"], false);
    assert_eq!(github["user"], serde_json::Value::Null);
    assert_eq!(github["app_installable"], false);
    assert_eq!(github["installations"], serde_json::json!([]));
    control.reject_token("github", false);
    control.fail_validation("github", true);
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/github").await,
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"message":"Failed to validate token.","detail":"status 500: body: {\"message\":\"Server Error\"}"}"#,
    );
    // Unlinked github: the base object.
    control.fail_validation("github", false);
    assert!(control.unlink("github"));
    assert!(!control.unlink("github"));
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/github").await,
        StatusCode::OK,
        r#"{"authenticated":false,"device":true,"display_name":"GitHub","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#,
    );
}

#[tokio::test]
async fn delete_revokes_after_unlinking() {
    let server = Imitation::start().await.unwrap();
    let control = server.control();
    let del = |path: &'static str| request(&server, Method::DELETE, path, None);
    assert_coder_json(
        &del("/api/v2/external-auth/github").await,
        StatusCode::OK,
        r#"{"token_revoked":true}"#,
    );
    assert_coder_json(
        &del("/api/v2/external-auth/github").await,
        StatusCode::NOT_FOUND,
        r#"{"message":"Resource not found or you do not have access to this resource"}"#,
    );
    assert!(control.link("azure-devops", LinkSeed::new()));
    assert_coder_json(
        &del("/api/v2/external-auth/azure-devops").await,
        StatusCode::OK,
        r#"{"token_revoked":false}"#,
    );
    control.fail_revocation("gitlab", true);
    assert_coder_json(
        &del("/api/v2/external-auth/gitlab").await,
        StatusCode::OK,
        r#"{"token_revoked":false,"token_revocation_error":"failed to revoke token: 403 {\"error\":\"unauthorized_client\",\"error_description\":\"You are not authorized to revoke this token\"}"}"#,
    );
    assert_eq!(control.linked_providers(), ["gitea"]);
    let list = get(&server, "/api/v2/external-auth").await.json();
    assert_eq!(list["links"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_provider_and_routes() {
    let server = Imitation::start().await.unwrap();
    let not_found =
        r#"{"message":"Resource not found or you do not have access to this resource"}"#;
    let route = r#"{"message":"Route not found."}"#;
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/nope").await,
        StatusCode::NOT_FOUND,
        not_found,
    );
    // Case-sensitive.
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/GitHub").await,
        StatusCode::NOT_FOUND,
        not_found,
    );
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/nope/device").await,
        StatusCode::NOT_FOUND,
        not_found,
    );
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/nope/foo").await,
        StatusCode::NOT_FOUND,
        not_found,
    );
    assert_coder_json(
        &get(&server, "/api/v2/external-auth/github/foo").await,
        StatusCode::NOT_FOUND,
        route,
    );
    assert_coder_json(
        &get(&server, "/api/v2/nothing-here").await,
        StatusCode::NOT_FOUND,
        route,
    );
    // Repeated slashes collapse; a trailing slash on the list still lists.
    assert_eq!(
        get(&server, "/api/v2//external-auth//github").await.status,
        StatusCode::OK
    );
    assert!(
        get(&server, "/api/v2/external-auth/")
            .await
            .body
            .starts_with("{\"providers\":")
    );
    // Unauthenticated: the unknown sub-route is never reached.
    let anonymous = send(http().get(url(&server, "/api/v2/external-auth/github/foo"))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn method_not_allowed_after_auth_and_lookup() {
    let server = Imitation::start().await.unwrap();
    let put = request(&server, Method::PUT, "/api/v2/external-auth/github", None).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.body, "");
    assert_eq!(put.header("content-type"), None);
    assert_eq!(
        put.header("x-coder-build-version"),
        Some(newest_build_version().as_str())
    );
    assert_eq!(put.header("x-content-type-options"), Some("nosniff"));
    let allowed: Vec<_> = put
        .headers
        .get_all("allow")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(allowed, ["GET", "DELETE"]);
    assert_eq!(
        request(&server, Method::PUT, "/api/v2/external-auth/nope", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        request(
            &server,
            Method::DELETE,
            "/api/v2/external-auth/github/device",
            None
        )
        .await
        .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        request(&server, Method::POST, "/api/v2/external-auth", None)
            .await
            .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let anonymous = send(http().put(url(&server, "/api/v2/external-auth/github"))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

fn assert_401(answer: &Answer, host: &str, detail: &str) {
    // Built by hand: serde_json's map would sort `detail` before `message`.
    let body = format!(
        r#"{{"message":"{SIGNED_OUT}","detail":{}}}"#,
        serde_json::to_string(detail).unwrap()
    );
    assert_coder_json(answer, StatusCode::UNAUTHORIZED, &body);
    assert_eq!(
        answer.header("www-authenticate").unwrap(),
        format!(
            "Bearer realm=\"coder\", error=\"invalid_token\", error_description=\"The access token has expired\", resource_metadata=\"http://{host}/.well-known/oauth-protected-resource\""
        )
    );
}

#[tokio::test]
async fn authentication_failures() {
    let server = Imitation::start().await.unwrap();
    let host = server.addr().to_string();
    let list = url(&server, "/api/v2/external-auth");
    let with = |token: &str| http().get(&list).header("Coder-Session-Token", token);
    assert_401(
        &send(http().get(&list)).await,
        &host,
        "Cookie \"coder_session_token\" or query parameter must be provided.",
    );
    // An unknown provider, unauthenticated, is 401 not 404.
    let anonymous = send(http().get(url(&server, "/api/v2/external-auth/nope"))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_401(
        &send(with("nodash")).await,
        &host,
        "Invalid API key format: incorrect amount of API key parts, expected 2 got 1",
    );
    assert_401(
        &send(with("a-b-c")).await,
        &host,
        "Invalid API key format: incorrect amount of API key parts, expected 2 got 3",
    );
    assert_401(
        &send(with("abc-0123456789abcdefghijkl")).await,
        &host,
        "Invalid API key format: invalid API key ID length, expected 10 got 3",
    );
    assert_401(
        &send(with("abcdefghij-0123")).await,
        &host,
        "Invalid API key format: invalid API key secret length, expected 22 got 4",
    );
    assert_401(
        &send(with("zzzzzzzzzz-0123456789abcdefghijkl")).await,
        &host,
        "API key is invalid.",
    );
    let (id, _) = server.session_token().expose().split_once('-').unwrap();
    assert_401(
        &send(with(&format!("{id}-0123456789abcdefghijkl"))).await,
        &host,
        "API key secret is invalid.",
    );
    let control = server.control();
    let expired_at = chrono::DateTime::parse_from_rfc3339("2026-07-01T10:00:00.25Z")
        .unwrap()
        .to_utc();
    assert!(control.add_session("expiredkey-0123456789abcdefghijkl", expired_at));
    assert!(!control.add_session("bad", expired_at));
    assert_401(
        &send(with("expiredkey-0123456789abcdefghijkl")).await,
        &host,
        "API key expired at \"2026-07-01 10:00:00.25 +0000 UTC\".",
    );
    let fresh = control.new_session(Utc::now() + chrono::Duration::hours(1));
    assert_eq!(send(with(fresh.expose())).await.status, StatusCode::OK);
    assert!(control.remove_session(fresh.expose()));
    assert_eq!(
        send(with(fresh.expose())).await.status,
        StatusCode::UNAUTHORIZED
    );
    // resource_metadata follows the Host header.
    let hosted = send(http().get(&list).header("host", "coder.example.com")).await;
    assert!(
        hosted
            .header("www-authenticate")
            .unwrap()
            .contains("\"http://coder.example.com/.well-known/oauth-protected-resource\"")
    );
}

#[tokio::test]
async fn every_token_source_and_precedence() {
    let server = Imitation::start().await.unwrap();
    let good = server.session_token().expose().to_owned();
    let stale = "stalestale-0123456789abcdefghijkl";
    let list = url(&server, "/api/v2/external-auth");
    let c = http();
    let ok = StatusCode::OK;
    let cases: Vec<(reqwest::RequestBuilder, StatusCode)> = vec![
        (
            c.get(&list)
                .header("cookie", format!("coder_session_token={good}")),
            ok,
        ),
        (c.get(format!("{list}?coder_session_token={good}")), ok),
        (c.get(&list).header("Coder-Session-Token", &good), ok),
        (
            c.get(&list)
                .header("authorization", format!("bearer   {good}  ")),
            ok,
        ),
        (
            c.get(&list)
                .header("authorization", format!("Bearer {good}")),
            ok,
        ),
        (c.get(format!("{list}?access_token={good}")), ok),
        // A stale cookie beats a valid header.
        (
            c.get(&list)
                .header("cookie", format!("coder_session_token={stale}"))
                .header("Coder-Session-Token", &good),
            StatusCode::UNAUTHORIZED,
        ),
        // The query beats the header; the header beats Bearer; Bearer beats access_token.
        (
            c.get(format!("{list}?coder_session_token={stale}"))
                .header("Coder-Session-Token", &good),
            StatusCode::UNAUTHORIZED,
        ),
        (
            c.get(&list)
                .header("Coder-Session-Token", stale)
                .header("authorization", format!("Bearer {good}")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            c.get(format!("{list}?access_token={good}"))
                .header("authorization", format!("Bearer {stale}")),
            StatusCode::UNAUTHORIZED,
        ),
        // Empty sources are skipped.
        (
            c.get(format!("{list}?coder_session_token="))
                .header("cookie", "coder_session_token=")
                .header("Coder-Session-Token", &good),
            ok,
        ),
        (
            c.get(&list)
                .header("authorization", format!("Basic {good}")),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (i, (req, want)) in cases.into_iter().enumerate() {
        let answer = send(req).await;
        assert_eq!(answer.status, want, "case {i}: {}", answer.body);
    }
    let stale_answer = send(
        c.get(&list)
            .header("cookie", format!("coder_session_token={stale}"))
            .header("Coder-Session-Token", &good),
    )
    .await;
    assert_eq!(stale_answer.json()["detail"], "API key is invalid.");
}

#[tokio::test]
async fn csrf_on_cookie_authenticated_writes() {
    let server = Imitation::start().await.unwrap();
    let good = server.session_token().expose().to_owned();
    let path = url(&server, "/api/v2/external-auth/github");
    let c = http();
    let answer = send(
        c.delete(&path)
            .header("cookie", format!("coder_session_token={good}")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        answer.body,
        "Something is wrong with your CSRF token. Please refresh the page. If this error persists, try clearing your cookies.\n"
    );
    let mismatch = send(
        c.delete(&path)
            .header("cookie", format!("coder_session_token={good}"))
            .header("Coder-Session-Token", "different"),
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert!(mismatch.body.starts_with("CSRF error encountered. Authentication via \"coder_session_token\" cookie and \"Coder-Session-Token\" header detected, but the values do not match."));
    // Matching header: exempt, and the delete goes through.
    let matching = send(
        c.delete(&path)
            .header("cookie", format!("coder_session_token={good}"))
            .header("Coder-Session-Token", &good),
    )
    .await;
    assert_coder_json(&matching, StatusCode::OK, r#"{"token_revoked":true}"#);
    // Cookie GETs are never checked.
    let read = send(
        c.get(&path)
            .header("cookie", format!("coder_session_token={good}")),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_comes_before_auth() {
    let server = Imitation::builder()
        .rate_limit(3, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            get(&server, "/api/v2/external-auth").await.status,
            StatusCode::OK
        );
    }
    let limited = get(&server, "/api/v2/external-auth").await;
    assert_coder_json(
        &limited,
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"message":"You've been rate limited for sending more than 3 requests in 1m0s."}"#,
    );
    assert!(limited.header("retry-after").is_some());
    // Per path: another path still has budget.
    assert_eq!(
        get(&server, "/api/v2/external-auth/github").await.status,
        StatusCode::OK
    );
    // Anonymous callers are counted by address, separately from the user.
    let anonymous = || send(http().get(url(&server, "/api/v2/external-auth/github")));
    for _ in 0..3 {
        assert_eq!(anonymous().await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(anonymous().await.status, StatusCode::TOO_MANY_REQUESTS);

    let server = Imitation::builder()
        .rate_limit(1, Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    get(&server, "/api/v2/external-auth").await;
    let limited = get(&server, "/api/v2/external-auth").await;
    assert_eq!(
        limited.json()["message"],
        "You've been rate limited for sending more than 1 requests in 1.5s."
    );
}

#[tokio::test]
async fn go_html_escaping_in_bodies() {
    let server = Imitation::builder()
        .provider(ProviderConfig::new("custom", "a<b>&c").display_icon("/x?a=1&b=<2>"))
        .start()
        .await
        .unwrap();
    let answer = get(&server, "/api/v2/external-auth/custom").await;
    assert!(
        answer
            .body
            .contains(r#""display_name":"a\u003cb\u003e\u0026c""#),
        "{}",
        answer.body
    );
    let list = get(&server, "/api/v2/external-auth").await;
    assert!(
        list.body
            .contains(r#""display_icon":"/x?a=1\u0026b=\u003c2\u003e""#)
    );
    assert!(list.body.contains(r#""type":"a\u003cb\u003e\u0026c""#));
    // A custom type's defaults: its name, the key emoji, PKCE S256, nothing else.
    let custom = &list.json()["providers"][4];
    assert_eq!(custom["display_icon"], "/x?a=1&b=<2>");
    assert_eq!(custom["allow_validate"], false);
    assert_eq!(custom["supports_revocation"], false);
    assert_eq!(
        custom["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}

#[tokio::test]
async fn response_hook_rewrites_operations_only() {
    let hook: ResponseHook = Arc::new(|operation, status, body| {
        if operation == Operation::GetExternalAuthById
            && let Some(serde_json::Value::Object(map)) = body
        {
            map.remove("user");
            map.insert("extra".to_owned(), serde_json::json!(1));
        }
        if operation == Operation::DeleteExternalAuthUserLinkById {
            *status = http::StatusCode::ACCEPTED;
        }
    });
    let server = Imitation::builder()
        .response_hook(hook)
        .start()
        .await
        .unwrap();
    let answer = get(&server, "/api/v2/external-auth/gitlab").await;
    assert_coder_json(
        &answer,
        StatusCode::OK,
        r#"{"authenticated":true,"device":false,"display_name":"GitLab","supports_revocation":false,"app_installable":false,"installations":[],"app_install_url":"","extra":1}"#,
    );
    let deleted = request(
        &server,
        Method::DELETE,
        "/api/v2/external-auth/gitlab",
        None,
    )
    .await;
    assert_coder_json(&deleted, StatusCode::ACCEPTED, r#"{"token_revoked":true}"#);
    // Untouched operations keep their bytes.
    let list = get(&server, "/api/v2/external-auth").await;
    assert!(
        list.body
            .starts_with("{\"providers\":[{\"id\":\"github\",\"type\":\"github\",")
    );
}

/// What an imitation of the newest known release names itself: `v<release>-imitation`.
fn newest_build_version() -> String {
    format!(
        "v{}-imitation",
        coder_external_auth::CoderVersion::NEWEST_KNOWN
    )
}
