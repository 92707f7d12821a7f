//! The device flow on the imitation, through the typed client and with raw bodies: codes,
//! every poll answer, approval linking the provider, and Go's JSON decode errors.
#![cfg(feature = "imitation")]

use coder_external_auth::imitation::{Imitation, ProviderConfig};
use coder_external_auth::{Client, ClientBuilder, Error, types};
use reqwest::StatusCode;

fn client(server: &Imitation) -> Client {
    ClientBuilder::new(server.base_url())
        .session_token(server.session_token().clone())
        .build()
        .unwrap()
}

/// The `(message, detail)` of an error answer, or a panic naming what came instead.
fn error_of<T: std::fmt::Debug>(
    result: Result<T, Error<types::Response>>,
) -> (u16, String, Option<String>) {
    match result {
        Err(Error::ErrorResponse(rv)) => {
            (rv.status().as_u16(), rv.message.clone(), rv.detail.clone())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn poll(
    client: &Client,
    provider: &str,
    code: &str,
) -> Result<(), (u16, String, Option<String>)> {
    let body = types::ExternalAuthDeviceExchange {
        device_code: code.to_owned(),
    };
    match client
        .post_external_auth_device_by_id(provider, &body)
        .await
    {
        Ok(rv) => {
            assert_eq!(rv.status(), StatusCode::NO_CONTENT);
            Ok(())
        }
        other => Err(error_of(other)),
    }
}

fn pending(detail: &str) -> Result<(), (u16, String, Option<String>)> {
    Err((
        400,
        "Failed to exchange device code.".to_owned(),
        Some(detail.to_owned()),
    ))
}

#[tokio::test]
async fn full_flow_through_the_typed_client() {
    let server = Imitation::builder()
        .enforce_poll_interval(false)
        .start()
        .await
        .unwrap();
    let control = server.control();
    let client = client(&server);
    client
        .delete_external_auth_user_link_by_id("github")
        .await
        .unwrap();
    let before = client
        .get_external_auth_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert!(!before.authenticated && before.device);

    let device = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(device.device_code.len(), 40);
    assert!(device.device_code.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(device.user_code.len(), 9);
    assert_eq!(device.verification_uri, "https://github.com/login/device");
    assert_eq!((device.expires_in, device.interval), (899, 5));
    let second = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert_ne!(second.device_code, device.device_code);
    assert_eq!(
        control.pending_user_codes(),
        [device.user_code.clone(), second.user_code.clone()]
    );

    assert_eq!(
        poll(&client, "github", &device.device_code).await,
        pending("authorization_pending")
    );
    assert!(control.approve(&device.user_code));
    assert_eq!(poll(&client, "github", &device.device_code).await, Ok(()));
    // Used up.
    assert_eq!(
        poll(&client, "github", &device.device_code).await,
        pending("incorrect_device_code")
    );

    let after = client
        .get_external_auth_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert!(after.authenticated);
    assert_eq!(after.user.unwrap().login, "octocat");
    let list = client.get_user_external_auths().await.unwrap().into_inner();
    let link = list
        .links
        .iter()
        .find(|l| l.provider_id == "github")
        .unwrap();
    assert!(link.authenticated);
    assert!(!link.has_refresh_token);
    assert_eq!(link.expires.to_rfc3339(), "0001-01-01T00:00:00+00:00");
    assert_eq!(link.created_at, link.updated_at);

    // Denied and expired codes are terminal.
    assert!(control.deny(&second.user_code));
    assert!(!control.approve(&second.user_code));
    assert_eq!(
        poll(&client, "github", &second.device_code).await,
        pending("access_denied")
    );
    let third = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    control.expire_device_codes();
    assert_eq!(
        poll(&client, "github", &third.device_code).await,
        pending("expired_token")
    );
    assert!(!control.approve(&third.user_code));
    assert!(control.pending_user_codes().is_empty());
    // A code from another provider, or made up, is incorrect.
    assert_eq!(
        poll(&client, "github", "0000").await,
        pending("incorrect_device_code")
    );
}

#[tokio::test]
async fn relinking_keeps_created_at() {
    let server = Imitation::builder()
        .auto_approve_after(1)
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let before = client.get_user_external_auths().await.unwrap().into_inner();
    let old = before
        .links
        .iter()
        .find(|l| l.provider_id == "github")
        .unwrap()
        .clone();
    let device = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(poll(&client, "github", &device.device_code).await, Ok(()));
    let after = client.get_user_external_auths().await.unwrap().into_inner();
    let new = after
        .links
        .iter()
        .find(|l| l.provider_id == "github")
        .unwrap();
    assert_eq!(new.created_at, old.created_at);
    assert!(new.updated_at >= old.updated_at);
    assert_eq!(after.links.len(), before.links.len());
}

#[tokio::test]
async fn slow_down_and_auto_approval() {
    let server = Imitation::builder()
        .auto_approve_after(3)
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let device = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        poll(&client, "github", &device.device_code).await,
        pending("authorization_pending")
    );
    assert_eq!(
        poll(&client, "github", &device.device_code).await,
        pending("slow_down")
    );
    // Interval enforced: the third poll is still too fast, so no approval yet.
    assert_eq!(
        poll(&client, "github", &device.device_code).await,
        pending("slow_down")
    );

    let fast = Imitation::builder()
        .auto_approve_after(2)
        .enforce_poll_interval(false)
        .device_interval(0)
        .start()
        .await
        .unwrap();
    let client = self::client(&fast);
    let device = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(device.interval, 0);
    assert_eq!(
        poll(&client, "github", &device.device_code).await,
        pending("authorization_pending")
    );
    assert_eq!(poll(&client, "github", &device.device_code).await, Ok(()));
}

#[tokio::test]
async fn non_device_providers() {
    let server = Imitation::start().await.unwrap();
    let client = client(&server);
    assert_eq!(
        error_of(client.get_external_auth_device_by_id("gitlab").await),
        (400, "Git auth device flow not supported.".to_owned(), None)
    );
    assert_eq!(
        poll(&client, "gitlab", "x").await,
        Err((
            400,
            "Git auth provider does not support device flow.".to_owned(),
            None
        ))
    );
    assert_eq!(
        error_of(client.get_external_auth_device_by_id("nope").await).0,
        404
    );
    // Any type can have the device flow when configured.
    let server = Imitation::builder()
        .provider(
            ProviderConfig::gitlab("gitlab")
                .device(true)
                .verification_uri("https://gitlab.example/device"),
        )
        .start()
        .await
        .unwrap();
    let device = self::client(&server)
        .get_external_auth_device_by_id("gitlab")
        .await
        .unwrap();
    assert_eq!(device.verification_uri, "https://gitlab.example/device");
}

/// Raw POST bodies: the decode error comes first, even for a provider without device flow.
#[tokio::test]
async fn body_is_decoded_before_device_support() {
    let server = Imitation::start().await.unwrap();
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let post = |provider: &str, body: &'static str| {
        http.post(format!(
            "{}/api/v2/external-auth/{provider}/device",
            server.base_url()
        ))
        .header("Coder-Session-Token", server.session_token().expose())
        .body(body)
        .send()
    };
    let cases = [
        ("", "EOF"),
        ("   ", "EOF"),
        ("{", "unexpected EOF"),
        ("x", "invalid character 'x' looking for beginning of value"),
        (
            "{\"device_code\":1}",
            "json: cannot unmarshal number into Go struct field ExternalAuthDeviceExchange.device_code of type string",
        ),
        (
            "[]",
            "json: cannot unmarshal array into Go value of type codersdk.ExternalAuthDeviceExchange",
        ),
    ];
    for provider in ["github", "gitlab"] {
        for (body, detail) in cases {
            let response = post(provider, body).await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{provider} {body:?}"
            );
            let text = response.text().await.unwrap();
            let want = format!(
                "{{\"message\":\"Request body must be valid JSON.\",\"detail\":{}}}\n",
                serde_json::to_string(detail).unwrap()
            );
            assert_eq!(text, want, "{provider} {body:?}");
        }
    }
    // Valid JSON without Content-Type, unknown fields and trailing data: decoded.
    let response = post("gitlab", "{\"device_code\":\"x\",\"extra\":[1]} trailing")
        .await
        .unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        "{\"message\":\"Git auth provider does not support device flow.\"}\n"
    );
    let response = post("github", "null").await.unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        "{\"message\":\"Failed to exchange device code.\",\"detail\":\"incorrect_device_code\"}\n"
    );
    // The 204: no body, no Content-Type, the root headers still there.
    let control = server.control();
    let device: serde_json::Value = http
        .get(format!(
            "{}/api/v2/external-auth/github/device",
            server.base_url()
        ))
        .header("Coder-Session-Token", server.session_token().expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(control.approve(device["user_code"].as_str().unwrap()));
    let body = format!("{{\"DEVICE_CODE\":{}}}", device["device_code"]);
    let response = http
        .post(format!(
            "{}/api/v2/external-auth/github/device",
            server.base_url()
        ))
        .header("Coder-Session-Token", server.session_token().expose())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.headers().get("x-coder-build-version").is_some());
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn typed_client_sees_auth_and_lookup_errors() {
    let server = Imitation::start().await.unwrap();
    let anonymous = ClientBuilder::new(server.base_url()).build().unwrap();
    let (status, message, detail) = error_of(anonymous.get_user_external_auths().await);
    assert_eq!(status, 401);
    assert_eq!(
        message,
        "You are signed out or your session has expired. Please sign in again to continue."
    );
    assert_eq!(
        detail.as_deref(),
        Some("Cookie \"coder_session_token\" or query parameter must be provided.")
    );
    let client = client(&server);
    assert_eq!(
        error_of(client.get_external_auth_by_id("nope").await),
        (
            404,
            "Resource not found or you do not have access to this resource".to_owned(),
            None
        )
    );
    let deleted = client
        .delete_external_auth_user_link_by_id("gitlab")
        .await
        .unwrap();
    assert!(deleted.token_revoked());
    assert_eq!(deleted.token_revocation_error(), None);
    assert_eq!(
        error_of(client.delete_external_auth_user_link_by_id("gitlab").await).0,
        404
    );
}

/// A provider other than GitHub may issue device tokens with a lifetime and a refresh token
/// (Coder's oidctest does, and a real 2.36.1 then lists both); Coder stores no token_extra for
/// a device-flow link, so the agent route answers null even where the provider has extra
/// token keys (v2.36.1:coderd/externalauth.go L195, L214: `OAuthExtra: pqtype.NullRawMessage{}`).
#[tokio::test]
async fn device_tokens_as_the_provider_issues_them() {
    let server = Imitation::builder()
        .no_providers()
        .provider(
            ProviderConfig::new("fake-device", "fake")
                .device(true)
                .extra_token_keys(vec!["scope".into()]),
        )
        .auto_approve_after(1)
        .enforce_poll_interval(false)
        .device_token(Some(7200), true)
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let device = client
        .get_external_auth_device_by_id("fake-device")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        poll(&client, "fake-device", &device.device_code).await,
        Ok(())
    );
    let list = client.get_user_external_auths().await.unwrap().into_inner();
    let link = &list.links[0];
    assert!(link.has_refresh_token);
    let lifetime = link.expires - chrono::Utc::now();
    assert!(
        lifetime > chrono::Duration::minutes(119) && lifetime <= chrono::Duration::hours(2),
        "{lifetime:?}"
    );
    let agent = reqwest::Client::new()
        .get(format!(
            "{}/api/v2/workspaceagents/me/external-auth?id=fake-device",
            server.base_url()
        ))
        .header("Coder-Session-Token", server.agent_token().expose())
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(agent["token_extra"], serde_json::Value::Null, "{agent}");
    assert_ne!(agent["access_token"], "", "{agent}");
}
