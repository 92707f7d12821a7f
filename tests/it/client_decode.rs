//! Decoding realistic payloads (taken from the contract's examples and edge cases) through
//! the generated types, and rejecting payloads that break the contract.

use chrono::{TimeZone, Utc};
use coder_external_auth::types::{
    DeleteExternalAuthByIdResponse, ExternalAuth, ExternalAuthDevice, ExternalAuthDeviceExchange,
    ListUserExternalAuthResponse, Response,
};

#[test]
fn list_with_zero_time_offsets_and_pkce_quirk() {
    let body = r#"{"providers":[
        {"id":"github","type":"github","device":true,"display_name":"GitHub","display_icon":"/icon/github.svg","allow_refresh":true,"allow_validate":true,"supports_revocation":true,"code_challenge_methods_supported":["S256"]},
        {"id":"azure-devops","type":"azure-devops","device":false,"display_name":"Azure DevOps","display_icon":"/icon/azure-devops.svg","allow_refresh":true,"allow_validate":false,"supports_revocation":false,"code_challenge_methods_supported":[""]}],
      "links":[
        {"provider_id":"github","created_at":"2026-07-20T09:15:02.123456Z","updated_at":"2026-07-20T11:15:02.123456+02:00","has_refresh_token":false,"expires":"0001-01-01T00:00:00Z","authenticated":true,"validate_error":""},
        {"provider_id":"gone","created_at":"2026-07-20T09:15:02Z","updated_at":"2026-07-20T09:15:02Z","has_refresh_token":true,"expires":"2026-07-21T09:15:02.5Z","authenticated":false,"validate_error":"token failed to validate"}]}
"#;
    let list: ListUserExternalAuthResponse = serde_json::from_str(body).unwrap();
    assert_eq!(list.providers.len(), 2);
    assert_eq!(
        list.providers[1].code_challenge_methods_supported,
        vec![String::new()]
    );
    let github = &list.links[0];
    assert_eq!(
        github.expires,
        Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
        "Go zero time"
    );
    assert_eq!(
        github.updated_at, github.created_at,
        "+02:00 with microseconds is the same instant"
    );
    assert_eq!(list.links[1].validate_error, "token failed to validate");
}

#[test]
fn list_with_empty_arrays() {
    let list: ListUserExternalAuthResponse =
        serde_json::from_str(r#"{"providers":[],"links":[]}"#).unwrap();
    assert!(list.providers.is_empty() && list.links.is_empty());
}

#[test]
fn unlinked_status_has_null_user() {
    let body = r#"{"authenticated":false,"device":false,"display_name":"GitHub","supports_revocation":false,"user":null,"app_installable":false,"installations":[],"app_install_url":""}"#;
    let status: ExternalAuth = serde_json::from_str(body).unwrap();
    assert_eq!(status.user, None);
    assert!(status.installations.is_empty());
}

#[test]
fn linked_github_status_has_user_and_installations() {
    let body = r#"{"authenticated":true,"device":false,"display_name":"GitHub","supports_revocation":false,"user":{"id":583231,"login":"octocat","avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","profile_url":"https://github.com/octocat","name":"The Octocat"},"app_installable":true,"installations":[{"id":12345678,"account":{"id":0,"login":"coder","avatar_url":"","profile_url":"","name":""},"configure_url":""}],"app_install_url":""}"#;
    let status: ExternalAuth = serde_json::from_str(body).unwrap();
    let user = status.user.expect("user present");
    assert_eq!((user.id, user.login.as_str()), (583231, "octocat"));
    assert_eq!(status.installations[0].id, 12345678);
    assert_eq!(status.installations[0].account.login, "coder");
}

#[test]
fn user_id_is_64_bit() {
    let body = r#"{"authenticated":true,"device":false,"display_name":"GitHub","supports_revocation":false,"user":{"id":9007199254740993,"login":"x","avatar_url":"","profile_url":"","name":""},"app_installable":false,"installations":[],"app_install_url":""}"#;
    let status: ExternalAuth = serde_json::from_str(body).unwrap();
    assert_eq!(status.user.unwrap().id, 9_007_199_254_740_993);
}

#[test]
fn delete_response_with_and_without_revocation_error() {
    let ok: DeleteExternalAuthByIdResponse =
        serde_json::from_str(r#"{"token_revoked":true}"#).unwrap();
    assert!(ok.token_revoked);
    assert_eq!(ok.token_revocation_error, None);
    let failed: DeleteExternalAuthByIdResponse = serde_json::from_str(
        r#"{"token_revoked":false,"token_revocation_error":"failed to revoke token: 403 some error"}"#,
    )
    .unwrap();
    assert_eq!(
        failed.token_revocation_error.as_deref(),
        Some("failed to revoke token: 403 some error")
    );
}

#[test]
fn device_with_passthrough_zero_values() {
    let device: ExternalAuthDevice = serde_json::from_str(
        r#"{"device_code":"3584d83530557fdd1f46af8289938c8ef79f9dc5","user_code":"WDJB-MJHT","verification_uri":"https://github.com/login/device","expires_in":899,"interval":5}"#,
    )
    .unwrap();
    assert_eq!((device.expires_in, device.interval), (899, 5));
    let empty: ExternalAuthDevice = serde_json::from_str(
        r#"{"device_code":"","user_code":"","verification_uri":"","expires_in":0,"interval":0}"#,
    )
    .unwrap();
    assert_eq!(empty.interval, 0);
}

#[test]
fn error_envelope_with_optional_parts() {
    let bare: Response = serde_json::from_str(
        r#"{"message":"Resource not found or you do not have access to this resource"}"#,
    )
    .unwrap();
    assert_eq!(bare.detail, None);
    assert!(bare.validations.is_empty());
    let full: Response = serde_json::from_str(
        r#"{"message":"Failed to exchange device code.","detail":"authorization_pending","validations":[{"field":"device_code","detail":"required"}]}"#,
    )
    .unwrap();
    assert_eq!(full.detail.as_deref(), Some("authorization_pending"));
    assert_eq!(full.validations[0].field, "device_code");
}

#[test]
fn device_exchange_serialises_the_code() {
    let body = ExternalAuthDeviceExchange {
        device_code: "abc".into(),
    };
    assert_eq!(
        serde_json::to_string(&body).unwrap(),
        r#"{"device_code":"abc"}"#
    );
}

#[test]
fn missing_required_fields_are_rejected() {
    // `user` is required even though it may be null: a missing key is a contract break.
    let no_user = r#"{"authenticated":false,"device":false,"display_name":"GitHub","supports_revocation":false,"app_installable":false,"installations":[],"app_install_url":""}"#;
    let err = serde_json::from_str::<ExternalAuth>(no_user).unwrap_err();
    assert!(err.to_string().contains("missing field `user`"), "{err}");

    let no_links = r#"{"providers":[]}"#;
    let err = serde_json::from_str::<ListUserExternalAuthResponse>(no_links).unwrap_err();
    assert!(err.to_string().contains("missing field `links`"), "{err}");

    let no_message = r#"{"detail":"EOF"}"#;
    assert!(serde_json::from_str::<Response>(no_message).is_err());
}

#[test]
fn wrong_types_and_nulls_are_rejected() {
    type Rejects = fn(&str) -> bool;
    let cases: [(&str, Rejects); 4] = [
        (r#"{"token_revoked":"yes"}"#, |s| {
            serde_json::from_str::<DeleteExternalAuthByIdResponse>(s).is_err()
        }),
        (
            r#"{"device_code":"a","user_code":"b","verification_uri":"c","expires_in":"899","interval":5}"#,
            |s| serde_json::from_str::<ExternalAuthDevice>(s).is_err(),
        ),
        (r#"{"providers":null,"links":[]}"#, |s| {
            serde_json::from_str::<ListUserExternalAuthResponse>(s).is_err()
        }),
        (
            r#"{"providers":[],"links":[{"provider_id":"github","created_at":"yesterday","updated_at":"2026-07-20T09:15:02Z","has_refresh_token":false,"expires":"0001-01-01T00:00:00Z","authenticated":true,"validate_error":""}]}"#,
            |s| serde_json::from_str::<ListUserExternalAuthResponse>(s).is_err(),
        ),
    ];
    for (body, rejected) in cases {
        assert!(rejected(body), "accepted a contract break: {body}");
    }
}
