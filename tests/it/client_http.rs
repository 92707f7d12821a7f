//! The generated client over real loopback HTTP: every operation's success, the 204, error
//! bodies surfacing as the typed `Response`, the token header, and the redirect fence.

use crate::common;

use coder_external_auth::capture::Capture;
use coder_external_auth::types::ExternalAuthDeviceExchange;
use coder_external_auth::{Client, ClientBuilder, Error, Operation};
use common::{Canned, serve};

const TOKEN: &str = "abcdefghij-0123456789abcdefghijkl";

fn client(base: &str) -> Client {
    ClientBuilder::new(base)
        .session_token(TOKEN)
        .build()
        .unwrap()
}

#[tokio::test]
async fn list_sends_the_token_and_decodes() {
    let (base, seen) = serve(Canned::json(
        200,
        r#"{"providers":[{"id":"github","type":"github","device":true,"display_name":"GitHub","display_icon":"/icon/github.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":true,"code_challenge_methods_supported":["S256"]}],"links":[]}
"#,
    ))
    .await;
    let list = client(&base).get_user_external_auths().await.unwrap();
    assert_eq!(list.status(), 200);
    assert_eq!(list.providers[0].id, "github");
    let request = seen.lock().unwrap()[0].to_lowercase();
    assert!(
        request.starts_with("get /api/v2/external-auth http/1.1"),
        "{request}"
    );
    assert!(
        request.contains(&format!("coder-session-token: {TOKEN}")),
        "{request}"
    );
}

#[tokio::test]
async fn get_by_id_encodes_the_path_and_decodes_null_user() {
    let (base, seen) = serve(Canned::json(
        200,
        r#"{"authenticated":false,"device":false,"display_name":"GitHub","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#,
    ))
    .await;
    let status = client(&base).get_external_auth_by_id("a b").await.unwrap();
    assert!(!status.authenticated);
    assert_eq!(status.user, None);
    assert!(seen.lock().unwrap()[0].starts_with("GET /api/v2/external-auth/a%20b HTTP/1.1"));
}

#[tokio::test]
async fn delete_decodes_revocation_result() {
    let (base, seen) = serve(Canned::json(200, r#"{"token_revoked":true}"#)).await;
    let deleted = client(&base)
        .delete_external_auth_user_link_by_id("github")
        .await
        .unwrap();
    assert!(deleted.token_revoked());
    assert!(seen.lock().unwrap()[0].starts_with("DELETE /api/v2/external-auth/github HTTP/1.1"));
}

#[tokio::test]
async fn get_device_decodes() {
    let (base, _) = serve(Canned::json(
        200,
        r#"{"device_code":"d","user_code":"WDJB-MJHT","verification_uri":"https://github.com/login/device","expires_in":899,"interval":5}"#,
    ))
    .await;
    let device = client(&base)
        .get_external_auth_device_by_id("github")
        .await
        .unwrap();
    assert_eq!(device.user_code, "WDJB-MJHT");
}

#[tokio::test]
async fn post_device_sends_json_and_accepts_204() {
    let (base, seen) = serve(Canned::no_content()).await;
    let body = ExternalAuthDeviceExchange {
        device_code: "code-1".into(),
    };
    let done = client(&base)
        .post_external_auth_device_by_id("github", &body)
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
    let request = seen.lock().unwrap()[0].clone();
    assert!(request.starts_with("POST /api/v2/external-auth/github/device HTTP/1.1"));
    assert!(
        request
            .to_lowercase()
            .contains("content-type: application/json")
    );
    assert!(
        request.ends_with(r#"{"device_code":"code-1"}"#),
        "{request}"
    );
}

#[tokio::test]
async fn error_bodies_surface_as_typed_response() {
    let cases = [
        (
            400,
            r#"{"message":"Failed to exchange device code.","detail":"authorization_pending"}"#,
        ),
        (
            401,
            r#"{"message":"You are signed out or your session has expired. Please sign in again to continue.","detail":"API key is invalid."}"#,
        ),
        (
            404,
            r#"{"message":"Resource not found or you do not have access to this resource"}"#,
        ),
        (
            429,
            r#"{"message":"You've been rate limited for sending more than 512 requests in 1m0s."}"#,
        ),
        (
            500,
            r#"{"message":"Failed to validate token.","detail":"status 502: body: bad gateway"}"#,
        ),
    ];
    for (status, body) in cases {
        let (base, _) = serve(Canned::json(status, body)).await;
        let exchange = ExternalAuthDeviceExchange {
            device_code: "x".into(),
        };
        let err = client(&base)
            .post_external_auth_device_by_id("github", &exchange)
            .await
            .unwrap_err();
        let Error::ErrorResponse(response) = err else {
            panic!("{status}: expected a typed error body, got {err}");
        };
        assert_eq!(response.status(), status);
        let expected: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(response.message, expected["message"].as_str().unwrap());
        assert_eq!(response.detail.as_deref(), expected["detail"].as_str());
    }
}

#[tokio::test]
async fn undocumented_status_is_unexpected_response() {
    let (base, _) = serve(Canned::json(418, "{}")).await;
    let err = client(&base).get_user_external_auths().await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse(_)), "{err}");
}

#[tokio::test]
async fn capture_keeps_raw_bytes_and_caps_the_body() {
    let body = r#"{"token_revoked":false,"extra":"kept in the raw bytes"}"#;
    let (base, _) = serve(Canned::json(200, body)).await;
    let capture = Capture::recording(1024);
    let client = client(&base).with_capture(capture.clone());
    client
        .delete_external_auth_user_link_by_id("github")
        .await
        .unwrap();
    let recorded = capture.take();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].operation,
        Some(Operation::DeleteExternalAuthUserLinkById)
    );
    assert_eq!(&recorded[0].body[..], body.as_bytes());
    assert!(!recorded[0].truncated);

    let small = Capture::recording(10);
    let err = client
        .with_capture(small.clone())
        .delete_external_auth_user_link_by_id("github")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err}");
    let recorded = small.take();
    assert!(recorded[0].truncated);
    assert_eq!(recorded[0].body.len(), 10);
}

#[tokio::test]
async fn cross_origin_redirect_is_not_followed() {
    let (other, other_seen) = serve(Canned::json(200, r#"{"providers":[],"links":[]}"#)).await;
    let mut redirect = Canned::json(302, "");
    redirect
        .headers
        .push(("Location".into(), format!("{other}/api/v2/external-auth")));
    let (base, _) = serve(redirect).await;
    let err = client(&base).get_user_external_auths().await.unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedResponse(ref r) if r.status() == 302),
        "{err}"
    );
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "the other origin was contacted"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_communication_error_without_the_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&base).get_user_external_auths().await.unwrap_err();
    assert!(matches!(err, Error::CommunicationError(_)), "{err}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}
