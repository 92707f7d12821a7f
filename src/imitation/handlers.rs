//! The five handlers of coderd/externalauth.go, run against the in-memory state once the
//! request is authenticated and its provider found. The provider's own HTTP APIs (validate,
//! refresh, revoke, installations, device token) are imitated inline. Where releases differ,
//! the imitated [`Release`] decides.

use std::borrow::Cow;
use std::time::Instant;

use chrono::{DateTime, Utc};
use http::StatusCode;

use super::device::{DeviceSettings, DeviceStore};
use super::gotime;
use super::release::{Behaviour, Release};
use super::reply::Reply;
use super::state::{self, Link, Provider};
use super::wire::{
    DELETE_OK, DeleteBody, DeviceBody, ExternalAuthBody, LinkBody, ListBody, ProviderBody,
};

/// 404 from the provider lookup and from DELETE without a link (`httpapi.ResourceNotFound`).
pub(crate) const RESOURCE_NOT_FOUND: &str =
    "Resource not found or you do not have access to this resource";

/// DELETE of a missing link before 2.27.0: the inverted error branch, reached with the error
/// dbauthz wraps around the pre-fetch's `sql.ErrNoRows`.
const DELETE_FAILED: &str = "Failed to delete external auth link.";
const DELETE_NO_ROWS: &str = "fetch object: sql: no rows in result set";

/// The error `RefreshToken` gives for an expired token it will not or cannot refresh.
pub(crate) const REFRESH_DISABLED: &str =
    "token expired, refreshing is either disabled or refreshing failed and will not be retried";

/// What the validate URL answers while `fail_validation` is on.
pub(crate) const VALIDATION_FAILURE: &str = "status 500: body: {\"message\":\"Server Error\"}";

/// How long a refreshed token lives (GitLab's 2 hours).
const REFRESHED_LIFETIME: chrono::Duration = chrono::Duration::hours(2);

/// Outcome of `ValidateToken`.
enum Validation {
    Valid,
    Invalid,
    Failed(&'static str),
}

fn validate(provider: &Provider, link: &Link, now: DateTime<Utc>) -> Validation {
    if link.expired(now) {
        return Validation::Invalid;
    }
    if !provider.config.validate {
        return Validation::Valid;
    }
    if provider.faults.fail_validation {
        return Validation::Failed(VALIDATION_FAILURE);
    }
    if provider.faults.reject_token || !link.has_access_token {
        return Validation::Invalid;
    }
    Validation::Valid
}

/// GET /external-auth: refreshes and validates every link whose provider is configured.
pub(crate) fn list(
    providers: &[Provider],
    links: &mut [Link],
    release: &Release,
    now: DateTime<Utc>,
) -> Reply {
    let mut verdicts: Vec<(bool, Cow<'static, str>)> = Vec::with_capacity(links.len());
    for link in links.iter_mut() {
        let provider = providers.iter().find(|p| p.config.id == link.provider_id);
        let Some(provider) = provider.filter(|_| link.has_access_token) else {
            verdicts.push((false, Cow::Borrowed("")));
            continue;
        };
        if link.expired(now) {
            if provider.config.no_refresh || !link.has_refresh_token {
                verdicts.push((false, Cow::Borrowed(REFRESH_DISABLED)));
                continue;
            }
            let refreshed_at = gotime::db_time(now);
            link.expires = refreshed_at + REFRESHED_LIFETIME;
            link.updated_at = refreshed_at;
        }
        verdicts.push(match validate(provider, link, now) {
            Validation::Valid => (true, Cow::Borrowed("")),
            Validation::Invalid => (false, Cow::Borrowed("token failed to validate")),
            Validation::Failed(why) => (
                false,
                Cow::Owned(format!("validate external auth token: {why}")),
            ),
        });
    }
    let body = ListBody {
        providers: providers
            .iter()
            .map(|p| ProviderBody {
                id: &p.config.id,
                kind: &p.config.kind,
                device: p.config.device,
                display_name: &p.config.display_name,
                display_icon: &p.config.display_icon,
                allow_refresh: !p.config.no_refresh,
                allow_validate: p.config.validate,
                supports_revocation: release.revokes(&p.config),
                code_challenge_methods_supported: release
                    .has(Behaviour::PkceField)
                    .then_some(p.config.pkce.as_slice()),
            })
            .collect(),
        links: links
            .iter()
            .zip(verdicts)
            .map(|(link, (authenticated, validate_error))| LinkBody {
                provider_id: &link.provider_id,
                created_at: link.created_at,
                updated_at: link.updated_at,
                has_refresh_token: link.has_refresh_token,
                expires: link.expires,
                authenticated,
                validate_error,
            })
            .collect(),
    };
    Reply::json(StatusCode::OK, &body)
}

/// GET /external-auth/{id}: validation and app installations, never a refresh.
pub(crate) fn get_by_id(
    links: &[Link],
    provider: &Provider,
    release: &Release,
    now: DateTime<Utc>,
) -> Reply {
    let config = &provider.config;
    let mut body = ExternalAuthBody {
        authenticated: false,
        device: config.device,
        display_name: &config.display_name,
        // Coder's handler never sets it; only the list reads the revoke URL.
        supports_revocation: release
            .has(Behaviour::SupportsRevocationField)
            .then_some(false),
        user: None,
        app_installable: false,
        installations: &[],
        app_install_url: &config.app_install_url,
    };
    let Some(link) = links.iter().find(|l| l.provider_id == config.id) else {
        return Reply::json(StatusCode::OK, &body);
    };
    match validate(provider, link, now) {
        Validation::Failed(why) => {
            return Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Failed to validate token.",
                why,
            );
        }
        Validation::Invalid => {}
        Validation::Valid => {
            body.authenticated = true;
            // Only GitHub's validate answer is decoded into a user.
            if config.kind == "github" && config.validate {
                body.user = config.user.as_ref();
            }
        }
    }
    // The installations URL is called with the same token; GitHub answers 401 (so
    // "not installable") to one that is expired, empty or revoked.
    let token_usable = link.has_access_token && !link.expired(now) && !provider.faults.reject_token;
    if let Some(installations) = config.app_installations.as_deref().filter(|_| token_usable) {
        body.app_installable = true;
        body.installations = installations;
    }
    Reply::json(StatusCode::OK, &body)
}

/// DELETE /external-auth/{id}: removes the link, then revokes at the provider (from 2.27.0;
/// before, it answers `"OK"` and revokes nothing).
pub(crate) fn delete(links: &mut Vec<Link>, provider: &Provider, release: &Release) -> Reply {
    let reports_revocation = release.has(Behaviour::DeleteReportsRevocation);
    let Some(index) = state::link_index(links, &provider.config.id) else {
        return if reports_revocation {
            Reply::error(StatusCode::NOT_FOUND, RESOURCE_NOT_FOUND, "")
        } else {
            Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                DELETE_FAILED,
                DELETE_NO_ROWS,
            )
        };
    };
    links.remove(index);
    if !reports_revocation {
        return Reply::json(StatusCode::OK, &DELETE_OK);
    }
    let body = if release.revokes(&provider.config) != Some(true) {
        DeleteBody {
            token_revoked: false,
            token_revocation_error: None,
        }
    } else if provider.faults.fail_revocation {
        // GitHub's grant endpoint and RFC 7009 endpoints refuse differently.
        let answer = if provider.config.kind == "github" {
            "{\"message\":\"Forbidden\",\"documentation_url\":\"https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization\",\"status\":\"403\"}"
        } else {
            "{\"error\":\"unauthorized_client\",\"error_description\":\"You are not authorized to revoke this token\"}"
        };
        DeleteBody {
            token_revoked: false,
            token_revocation_error: Some(format!("failed to revoke token: 403 {answer}")),
        }
    } else {
        DeleteBody {
            token_revoked: true,
            token_revocation_error: None,
        }
    };
    Reply::json(StatusCode::OK, &body)
}

/// GET /external-auth/{id}/device: a new authorization at the provider on every call.
pub(crate) fn device_get(
    devices: &mut DeviceStore,
    settings: &DeviceSettings,
    provider: &Provider,
    now: Instant,
) -> Reply {
    if !provider.config.device {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "Git auth device flow not supported.",
            "",
        );
    }
    let issued = devices.issue(&provider.config.id, settings, now);
    Reply::json(
        StatusCode::OK,
        &DeviceBody {
            device_code: &issued.device_code,
            user_code: &issued.user_code,
            verification_uri: &provider.config.verification_uri,
            expires_in: settings.expires_in,
            interval: settings.interval,
        },
    )
}

/// POST /external-auth/{id}/device: the body (already decoded, or Go's decode error), then
/// device support, then one exchange; success upserts the link.
pub(crate) fn device_post(
    links: &mut Vec<Link>,
    devices: &mut DeviceStore,
    settings: &DeviceSettings,
    provider: &Provider,
    body: Result<String, String>,
    now: DateTime<Utc>,
    instant: Instant,
) -> Reply {
    let device_code = match body {
        Ok(code) => code,
        Err(detail) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "Request body must be valid JSON.",
                &detail,
            );
        }
    };
    if !provider.config.device {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "Git auth provider does not support device flow.",
            "",
        );
    }
    let provider_id = &provider.config.id;
    if let Err(code) = devices.poll(provider_id, &device_code, settings, instant) {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "Failed to exchange device code.",
            code,
        );
    }
    let now = gotime::db_time(now);
    let created_at = links
        .iter()
        .find(|l| l.provider_id == *provider_id)
        .map_or(now, |l| l.created_at);
    // GitHub's device tokens (the default) carry no expires_in, so the expiry is Go's zero
    // time. Coder stores no token_extra for a device-flow link (the column stays NULL).
    let expires = settings
        .token_expires_in
        .map_or_else(gotime::zero_time, |secs| {
            now + chrono::Duration::try_seconds(secs).unwrap_or(chrono::Duration::zero())
        });
    state::upsert_link(
        links,
        Link {
            provider_id: provider_id.clone(),
            has_access_token: true,
            has_refresh_token: settings.token_refresh,
            expires,
            created_at,
            updated_at: now,
            token_extra: None,
        },
    );
    Reply::empty(StatusCode::NO_CONTENT)
}
