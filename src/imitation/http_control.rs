//! The control API over HTTP, for tests written in any language: everything [`Control`] does,
//! under [`PREFIX`] on the imitation's own listener. Real Coder serves its web UI (never an
//! API) outside `/api/v2`, so the prefix cannot shadow a Coder route. It takes no credentials,
//! which is why the server only offers it on loopback.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::response::Response;
use chrono::Utc;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::agent_state::{AgentScope, ProviderReference};
use super::config::{Expiry, LinkSeed};
use super::control::Control;
use crate::AgentToken;

/// Where the control API lives.
pub(crate) const PREFIX: &str = "/__imitation";

/// The largest control request body read; every legitimate one is under a hundred bytes.
const MAX_CONTROL_BODY: usize = 64 * 1024;

/// How long a control request body may take to arrive.
const CONTROL_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A new API key's lifetime when the request names none (Coder's default session).
const DEFAULT_SESSION_SECS: i64 = 24 * 60 * 60;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserCode {
    user_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkRequest {
    pub provider_id: String,
    #[serde(default = "yes")]
    pub access_token: bool,
    #[serde(default)]
    pub refresh_token: bool,
    /// Seconds until the token expires; negative: expired that long ago; absent: never.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Link a provider id that is not configured.
    #[serde(default)]
    pub unconfigured: bool,
    /// The provider's token response beside the token, for `extra_token_keys`.
    #[serde(default)]
    pub token_extra: serde_json::Map<String, serde_json::Value>,
}

fn yes() -> bool {
    true
}

impl LinkRequest {
    pub fn seed(&self) -> LinkSeed {
        let expiry = match self.expires_in {
            None => Expiry::Never,
            Some(secs) if secs >= 0 => Expiry::In(Duration::from_secs(secs.unsigned_abs())),
            Some(secs) => Expiry::Ago(Duration::from_secs(secs.unsigned_abs())),
        };
        LinkSeed::new()
            .access_token(self.access_token)
            .refresh_token(self.refresh_token)
            .expiry(expiry)
            .token_extra(self.token_extra.clone())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Faults {
    provider_id: String,
    fail_validation: Option<bool>,
    fail_revocation: Option<bool>,
    reject_token: Option<bool>,
    fail_refresh: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSession {
    token: Option<String>,
    /// Seconds until it expires (negative: already expired); default one day.
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgent {
    /// `all` (default) or `no_user_data`.
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateVersion {
    providers: Vec<Reference>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reference {
    provider_id: String,
    #[serde(default)]
    optional: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimit {
    requests: u32,
    window_secs: u64,
}

/// Answers one control request; `rest` is the path after [`PREFIX`].
pub(crate) async fn answer(
    control: Control,
    method: &Method,
    headers: &HeaderMap,
    rest: &str,
    body: Body,
) -> Response {
    if let Err(why) = from_a_local_tool(headers) {
        return error(StatusCode::FORBIDDEN, why);
    }
    let rest = rest.trim_end_matches('/');
    let (allowed, segment): (&[Method], Option<&str>) = match rest {
        "/reset" | "/device/approve" | "/device/deny" | "/device/expire" | "/faults"
        | "/sessions" | "/agents" => (&[Method::POST], None),
        "/device" => (&[Method::GET], None),
        "/links" => (&[Method::GET, Method::POST], None),
        "/rate-limit" => (&[Method::PUT, Method::DELETE], None),
        _ => match rest.split_once('/').map(|(_, r)| r.split_once('/')) {
            Some(Some(("links", id))) if !id.is_empty() => (&[Method::DELETE], Some(id)),
            Some(Some(("sessions", token))) if !token.is_empty() => {
                (&[Method::DELETE], Some(token))
            }
            Some(Some(("agents", token))) if !token.is_empty() => (&[Method::DELETE], Some(token)),
            Some(Some(("template-versions", id))) if !id.is_empty() => {
                (&[Method::PUT, Method::DELETE], Some(id))
            }
            _ => {
                return error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no control endpoint {PREFIX}{rest}; the endpoints are listed in the README, \"The imitation from any language\""
                    ),
                );
            }
        },
    };
    if !allowed.contains(method) {
        let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{PREFIX}{rest} takes {}, not {method}", names.join(" or ")),
        );
        if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response;
    }
    let bytes =
        match tokio::time::timeout(CONTROL_BODY_TIMEOUT, to_bytes(body, MAX_CONTROL_BODY)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("request body over {MAX_CONTROL_BODY} bytes"),
                );
            }
            Err(_) => return error(StatusCode::REQUEST_TIMEOUT, "request body too slow"),
        };
    match (method.as_str(), rest, segment) {
        ("POST", "/reset", _) => {
            control.reset();
            no_content()
        }
        ("POST", "/device/approve" | "/device/deny", _) => {
            let request: UserCode = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            let approve = rest == "/device/approve";
            let decided = if approve {
                control.approve(&request.user_code)
            } else {
                control.deny(&request.user_code)
            };
            if decided {
                no_content()
            } else {
                error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no pending device authorization has user code {:?}; GET {PREFIX}/device lists them",
                        request.user_code
                    ),
                )
            }
        }
        ("POST", "/device/expire", _) => {
            control.expire_device_codes();
            no_content()
        }
        ("GET", "/device", _) => json(
            StatusCode::OK,
            &serde_json::json!({
                "pending_user_codes": control.pending_user_codes(),
                "stored": control.device_code_count(),
                "auto_approve_after": control.auto_approve_after(),
            }),
        ),
        ("GET", "/links", _) => json(
            StatusCode::OK,
            &serde_json::json!({ "provider_ids": control.linked_providers() }),
        ),
        ("POST", "/links", _) => {
            let request: LinkRequest = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            if request.unconfigured {
                control.link_unconfigured(&request.provider_id, request.seed());
                no_content()
            } else if control.link(&request.provider_id, request.seed()) {
                no_content()
            } else {
                unknown_provider(&request.provider_id)
            }
        }
        ("DELETE", _, Some(id)) if rest.starts_with("/links/") => {
            if control.unlink(id) {
                no_content()
            } else {
                error(
                    StatusCode::NOT_FOUND,
                    &format!("the caller has no link to {id:?}; GET {PREFIX}/links lists them"),
                )
            }
        }
        ("POST", "/faults", _) => {
            let request: Faults = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            let id = &request.provider_id;
            if !control.has_provider(id) {
                return unknown_provider(id);
            }
            if let Some(on) = request.fail_validation {
                control.fail_validation(id, on);
            }
            if let Some(on) = request.fail_revocation {
                control.fail_revocation(id, on);
            }
            if let Some(on) = request.reject_token {
                control.reject_token(id, on);
            }
            if let Some(on) = request.fail_refresh {
                control.fail_refresh(id, on);
            }
            no_content()
        }
        ("POST", "/agents", _) => {
            let request: NewAgent = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            let scope = match request.scope.as_deref() {
                None | Some("all") => AgentScope::All,
                Some("no_user_data") => AgentScope::NoUserData,
                Some(other) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        &format!("scope {other:?} is neither \"all\" nor \"no_user_data\""),
                    );
                }
            };
            let token = control.new_agent(scope);
            json(
                StatusCode::CREATED,
                &serde_json::json!({ "token": token.expose() }),
            )
        }
        ("DELETE", _, Some(token)) if rest.starts_with("/agents/") => {
            if control.remove_agent(&AgentToken::new(token)) {
                no_content()
            } else {
                error(StatusCode::NOT_FOUND, "no workspace agent has that token")
            }
        }
        ("PUT", _, Some(id)) if rest.starts_with("/template-versions/") => {
            let request: TemplateVersion = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            let references = request
                .providers
                .into_iter()
                .map(|r| ProviderReference {
                    provider_id: r.provider_id,
                    optional: r.optional,
                })
                .collect();
            if control.template_version(id, references) {
                no_content()
            } else {
                error(StatusCode::BAD_REQUEST, "a template version id is a UUID")
            }
        }
        ("DELETE", _, Some(id)) if rest.starts_with("/template-versions/") => {
            if control.remove_template_version(id) {
                no_content()
            } else {
                error(StatusCode::NOT_FOUND, "no template version has that id")
            }
        }
        ("POST", "/sessions", _) => {
            let request: NewSession = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            let secs = request.expires_in.unwrap_or(DEFAULT_SESSION_SECS);
            let expires_at = chrono::Duration::try_seconds(secs)
                .and_then(|lifetime| Utc::now().checked_add_signed(lifetime))
                .unwrap_or_else(Utc::now);
            let token = match request.token {
                Some(token) if control.add_session(&token, expires_at) => token,
                Some(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "token is not in Coder's format: 10 characters, '-', 22 characters",
                    );
                }
                None => control.new_session(expires_at).expose().to_owned(),
            };
            json(StatusCode::CREATED, &serde_json::json!({ "token": token }))
        }
        ("DELETE", _, Some(token)) if rest.starts_with("/sessions/") => {
            if control.remove_session(token) {
                no_content()
            } else {
                error(StatusCode::NOT_FOUND, "no API key has that token's id")
            }
        }
        ("PUT", "/rate-limit", _) => {
            let request: RateLimit = match parse(&bytes) {
                Ok(request) => request,
                Err(why) => return error(StatusCode::BAD_REQUEST, &why),
            };
            if request.requests == 0 || request.window_secs == 0 {
                return error(
                    StatusCode::BAD_REQUEST,
                    "requests and window_secs must both be at least 1; DELETE turns the limit off",
                );
            }
            control.set_rate_limit(Some((
                request.requests,
                Duration::from_secs(request.window_secs),
            )));
            no_content()
        }
        ("DELETE", "/rate-limit", _) => {
            control.set_rate_limit(None);
            no_content()
        }
        _ => error(
            StatusCode::NOT_FOUND,
            &format!("no control endpoint {method} {PREFIX}{rest}"),
        ),
    }
}

/// Loopback is not enough on its own: a web page in the developer's browser can send simple
/// POSTs to 127.0.0.1, and a rebound DNS name can reach it too. Browsers mark both (an
/// `Origin` header; a Host that is not a loopback name), and test clients send neither.
fn from_a_local_tool(headers: &HeaderMap) -> Result<(), &'static str> {
    if headers.contains_key(header::ORIGIN) {
        return Err("the control API does not answer browsers (the request has an Origin header)");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(
            "the control API answers only requests addressed to a loopback host (127.0.0.1, [::1] or localhost)",
        )
    }
}

/// The body as `T`, or what is wrong with it.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|why| format!("request body: {why}"))
}

fn unknown_provider(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "no provider {id:?} is configured; GET /api/v2/external-auth lists them, and links take \"unconfigured\": true for an id that is not"
        ),
    )
}

fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    json(status, &serde_json::json!({ "message": message }))
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
