//! The imitation's release table (`RELEASE_CHANGES`) held to the imitation over loopback: at
//! every release a row names, the imitation of the release just before and of that release
//! differ in exactly the behaviours recorded there, and as recorded. And the typed client
//! decodes what the imitation of each supported release answers.
#![cfg(feature = "imitation")]

use std::time::Duration;

use coder_external_auth::imitation::{
    Behaviour, Imitation, ImitationBuilder, LinkSeed, ProviderConfig, RELEASE_CHANGES,
    TEMPLATE_VERSION_WITH_PROVIDERS,
};
use coder_external_auth::types::DeleteExternalAuthResult;
use coder_external_auth::{ClientBuilder, CoderVersion, Error};
use serde_json::{Value, json};

/// The releases whose bodies the typed client must decode: one of each contract range and
/// of each row of the release table, the oldest and the newest.
const RELEASES: &[CoderVersion] = &[
    CoderVersion::new(2, 25, 0),
    CoderVersion::new(2, 26, 0),
    CoderVersion::new(2, 27, 0),
    CoderVersion::new(2, 29, 0),
    CoderVersion::new(2, 30, 0),
    CoderVersion::new(2, 32, 0),
    CoderVersion::new(2, 35, 1),
    CoderVersion::new(2, 36, 1),
];

/// The oldest release the imitation is asked for (the conformance tool refuses older ones).
const OLDEST: CoderVersion = CoderVersion::new(2, 25, 0);

/// The patch of the "release just before" a row: the table keys behaviours by minor release,
/// so even a late patch of the minor before must still lack the row's behaviour.
const LATE_PATCH: u32 = 99;

const JSON: &str = "application/json; charset=utf-8";
const NOT_FOUND: &str = "Resource not found or you do not have access to this resource";

/// A plain reqwest client, with the crate's (ring) crypto provider installed first because
/// reqwest is built without a default one.
fn http() -> reqwest::Client {
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn start(builder: ImitationBuilder, version: CoderVersion) -> Imitation {
    builder.coder_version(version).start().await.unwrap()
}

fn url(server: &Imitation, path: &str) -> String {
    format!("{}/api/v2{path}", server.base_url())
}

/// Status, Content-Type and body text of one request with the server's token.
async fn call(server: &Imitation, method: reqwest::Method, path: &str) -> (u16, String, String) {
    let answer = http()
        .request(method, url(server, path))
        .header("Coder-Session-Token", server.session_token().expose())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, answer.text().await.unwrap())
}

async fn get_json(server: &Imitation, path: &str) -> Value {
    let (status, _, text) = call(server, reqwest::Method::GET, path).await;
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// `key` of every listed provider, by id (`null` where the key is absent).
fn per_provider(list: &Value, key: &str, read: impl Fn(Option<&Value>) -> Value) -> Value {
    let providers = list["providers"].as_array().unwrap();
    Value::Object(
        providers
            .iter()
            .map(|p| (p["id"].as_str().unwrap().to_owned(), read(p.get(key))))
            .collect(),
    )
}

/// What shows `behaviour` on the imitation of `version`, summarised as JSON, from a server
/// started for the probe.
async fn probe(behaviour: Behaviour, version: CoderVersion) -> Value {
    match behaviour {
        Behaviour::SupportsRevocationField => {
            let server = start(Imitation::builder(), version).await;
            let list = get_json(&server, "/external-auth").await;
            let by_id = get_json(&server, "/external-auth/github").await;
            json!({
                "list": per_provider(&list, "supports_revocation", |v| v.is_some().into()),
                "by_id": by_id.get("supports_revocation").cloned().unwrap_or(Value::Null),
            })
        }
        Behaviour::DeleteReportsRevocation => {
            // gitea: linked, and no revoke URL in any release.
            let server = start(Imitation::builder(), version).await;
            let delete = || call(&server, reqwest::Method::DELETE, "/external-auth/gitea");
            let (status, content_type, body) = delete().await;
            let (again, again_type, again_body) = delete().await;
            json!({
                "first": [status, content_type, body],
                "again": [again, again_type, serde_json::from_str::<Value>(&again_body).unwrap()],
            })
        }
        Behaviour::TrimmedTokens => {
            let server = start(Imitation::builder(), version).await;
            let token = server.session_token().expose().to_owned();
            let client = http();
            let bearer = client
                .get(url(&server, "/external-auth"))
                .header("authorization", format!("Bearer  {token}"))
                .send()
                .await
                .unwrap();
            let access_token = client
                .get(url(
                    &server,
                    &format!("/external-auth?access_token=%20{token}"),
                ))
                .send()
                .await
                .unwrap();
            json!({
                "bearer": bearer.status().as_u16(),
                "access_token": access_token.status().as_u16(),
            })
        }
        Behaviour::DefaultRevokeUrls => {
            let builder = Imitation::builder()
                .no_providers()
                .provider(ProviderConfig::github("github"))
                .provider(ProviderConfig::gitlab("gitlab").linked(Some(LinkSeed::new())))
                .provider(ProviderConfig::new("slack", "slack"))
                .provider(ProviderConfig::azure_devops("azure-devops"));
            let server = start(builder, version).await;
            let list = get_json(&server, "/external-auth").await;
            let (_, _, deleted) =
                call(&server, reqwest::Method::DELETE, "/external-auth/gitlab").await;
            let deleted: Value = serde_json::from_str(&deleted).unwrap();
            json!({
                "list": per_provider(&list, "supports_revocation", |v| {
                    (v == Some(&Value::Bool(true))).into()
                }),
                "delete_revoked": deleted.get("token_revoked") == Some(&Value::Bool(true)),
            })
        }
        Behaviour::PkceField => {
            let server = start(Imitation::builder(), version).await;
            let list = get_json(&server, "/external-auth").await;
            per_provider(&list, "code_challenge_methods_supported", |v| {
                v.cloned().unwrap_or(Value::Null)
            })
        }
        Behaviour::AgentExpiresAt => {
            let server = start(Imitation::builder(), version).await;
            let agent = |id: &'static str| {
                http()
                    .get(url(
                        &server,
                        &format!("/workspaceagents/me/external-auth?id={id}"),
                    ))
                    .header("Coder-Session-Token", server.agent_token().expose())
                    .send()
            };
            // github: linked, never expiring; azure-devops: not linked.
            let linked: Value = agent("github").await.unwrap().json().await.unwrap();
            let unlinked: Value = agent("azure-devops").await.unwrap().json().await.unwrap();
            json!({
                "linked": linked.get("expires_at").cloned(),
                "unlinked": unlinked.get("expires_at").cloned(),
            })
        }
        Behaviour::TemplateVersionUserId => {
            let server = start(Imitation::builder(), version).await;
            let path = |user_id: &str| {
                format!(
                    "/templateversions/{TEMPLATE_VERSION_WITH_PROVIDERS}/external-auth?user_id={user_id}"
                )
            };
            let (malformed, _, body) = call(&server, reqwest::Method::GET, &path("abc")).await;
            let (me, _, _) = call(&server, reqwest::Method::GET, &path("me")).await;
            let other = get_json(&server, &path("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")).await;
            let authenticated: Vec<Value> = other
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["authenticated"].clone())
                .collect();
            json!({
                "malformed": [malformed, serde_json::from_str::<Value>(&body).unwrap().get("message").cloned()],
                "me": me,
                "another_user_authenticated": authenticated,
            })
        }
        Behaviour::RateLimitPerUser => {
            let builder = Imitation::builder().rate_limit(1, Duration::from_secs(60));
            let server = start(builder, version).await;
            let anonymous = http()
                .get(url(&server, "/external-auth"))
                .send()
                .await
                .unwrap();
            let (authenticated, _, _) = call(&server, reqwest::Method::GET, "/external-auth").await;
            json!({
                "anonymous": anonymous.status().as_u16(),
                "authenticated_after_it": authenticated,
            })
        }
    }
}

/// What the table's row says `probe` finds without (`false`) and with (`true`) the behaviour.
fn recorded(behaviour: Behaviour, has: bool) -> Value {
    match (behaviour, has) {
        (Behaviour::SupportsRevocationField, false) => json!({
            "list": {"github": false, "gitlab": false, "azure-devops": false, "gitea": false},
            "by_id": null,
        }),
        (Behaviour::SupportsRevocationField, true) => json!({
            "list": {"github": true, "gitlab": true, "azure-devops": true, "gitea": true},
            "by_id": false,
        }),
        (Behaviour::DeleteReportsRevocation, false) => json!({
            "first": [200, JSON, "\"OK\"\n"],
            "again": [500, JSON, {
                "message": "Failed to delete external auth link.",
                "detail": "fetch object: sql: no rows in result set",
            }],
        }),
        (Behaviour::DeleteReportsRevocation, true) => json!({
            "first": [200, JSON, "{\"token_revoked\":false}\n"],
            "again": [404, JSON, {"message": NOT_FOUND}],
        }),
        (Behaviour::TrimmedTokens, false) => json!({"bearer": 401, "access_token": 401}),
        (Behaviour::TrimmedTokens, true) => json!({"bearer": 200, "access_token": 200}),
        (Behaviour::DefaultRevokeUrls, has) => json!({
            "list": {"github": has, "gitlab": has, "slack": has, "azure-devops": false},
            "delete_revoked": has,
        }),
        (Behaviour::PkceField, false) => json!({
            "github": null, "gitlab": null, "azure-devops": null, "gitea": null,
        }),
        (Behaviour::PkceField, true) => json!({
            "github": ["S256"], "gitlab": ["S256"], "azure-devops": [""], "gitea": ["S256"],
        }),
        (Behaviour::RateLimitPerUser, false) => {
            json!({"anonymous": 401, "authenticated_after_it": 429})
        }
        (Behaviour::RateLimitPerUser, true) => {
            json!({"anonymous": 401, "authenticated_after_it": 200})
        }
        (Behaviour::AgentExpiresAt, false) => json!({"linked": null, "unlinked": null}),
        (Behaviour::AgentExpiresAt, true) => json!({
            "linked": "0001-01-01T00:00:00Z",
            "unlinked": "0001-01-01T00:00:00Z",
        }),
        // Ignored before: the caller's own answer (github and gitlab linked).
        (Behaviour::TemplateVersionUserId, false) => json!({
            "malformed": [200, null],
            "me": 200,
            "another_user_authenticated": [true, true],
        }),
        (Behaviour::TemplateVersionUserId, true) => json!({
            "malformed": [400, "Invalid user_id query parameter."],
            "me": 200,
            "another_user_authenticated": [false, false],
        }),
    }
}

fn behaviours() -> Vec<Behaviour> {
    RELEASE_CHANGES
        .iter()
        .map(|change| change.behaviour)
        .collect()
}

#[tokio::test]
async fn each_row_is_exactly_what_changes_at_its_release() {
    let mut releases: Vec<CoderVersion> = RELEASE_CHANGES.iter().map(|c| c.since).collect();
    releases.dedup();
    for since in releases {
        let before = CoderVersion::new(since.major, since.minor - 1, LATE_PATCH);
        for behaviour in behaviours() {
            let row = RELEASE_CHANGES
                .iter()
                .find(|c| c.since == since && c.behaviour == behaviour);
            let old = probe(behaviour, before).await;
            let new = probe(behaviour, since).await;
            match row {
                Some(row) => {
                    assert_eq!(old, recorded(behaviour, false), "{before}: {row:?}");
                    assert_eq!(new, recorded(behaviour, true), "{since}: {row:?}");
                }
                None => assert_eq!(
                    old, new,
                    "{behaviour:?} differs between {before} and {since}, which the table does not record"
                ),
            }
        }
    }
}

#[tokio::test]
async fn the_oldest_release_has_no_row_and_the_newest_every_row() {
    for behaviour in behaviours() {
        assert_eq!(
            probe(behaviour, OLDEST).await,
            recorded(behaviour, false),
            "{behaviour:?}"
        );
        assert_eq!(
            probe(behaviour, CoderVersion::NEWEST_KNOWN).await,
            recorded(behaviour, true),
            "{behaviour:?}"
        );
    }
}

#[tokio::test]
async fn the_typed_client_decodes_every_release() {
    let since = |minor| CoderVersion::new(2, minor, 0);
    for &version in RELEASES {
        let server = start(Imitation::builder(), version).await;
        let client = ClientBuilder::new(server.base_url())
            .session_token(server.session_token().clone())
            .build()
            .unwrap();
        let has_field = version >= since(27);
        let list = client.get_user_external_auths().await.unwrap();
        assert_eq!(list.providers.len(), 4, "{version}");
        for provider in &list.providers {
            assert_eq!(
                provider.supports_revocation.is_some(),
                has_field,
                "{version} {}",
                provider.id
            );
            // Never empty where sent (`[""]` for types without PKCE), so empty means absent.
            assert_eq!(
                provider.code_challenge_methods_supported.is_empty(),
                version < since(30),
                "{version} {}",
                provider.id
            );
        }
        let github = list.providers.iter().find(|p| p.id == "github").unwrap();
        let revokes = version >= since(28);
        assert_eq!(
            github.supports_revocation,
            has_field.then_some(revokes),
            "{version}"
        );
        assert!(!list.links.is_empty(), "{version}");

        let by_id = client.get_external_auth_by_id("github").await.unwrap();
        assert!(by_id.authenticated && by_id.user.is_some(), "{version}");
        assert_eq!(
            by_id.supports_revocation,
            has_field.then_some(false),
            "{version}"
        );

        let deleted = client
            .delete_external_auth_user_link_by_id("github")
            .await
            .unwrap();
        match &*deleted {
            DeleteExternalAuthResult::Ok(_) => assert!(!has_field, "{version}"),
            DeleteExternalAuthResult::ByIdResponse(_) => assert!(has_field, "{version}"),
        }
        assert_eq!(deleted.token_revoked(), revokes, "{version}");
        assert_eq!(deleted.token_revocation_error(), None, "{version}");

        let again = client
            .delete_external_auth_user_link_by_id("github")
            .await
            .unwrap_err();
        let Error::ErrorResponse(response) = again else {
            panic!("{version}: expected a typed error body, got {again}");
        };
        let (status, message) = if has_field {
            (reqwest::StatusCode::NOT_FOUND, NOT_FOUND)
        } else {
            (
                reqwest::StatusCode::INTERNAL_SERVER_ERROR,
                "Failed to delete external auth link.",
            )
        };
        assert_eq!(
            (response.status(), response.message.as_str()),
            (status, message),
            "{version}"
        );
        server.shutdown().await;
    }
}
