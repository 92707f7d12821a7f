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

/// One control endpoint: its method, its path after [`PREFIX`] (a final `{name}` segment
/// stands for any non-empty rest) and the function that answers it.
struct Endpoint {
    method: Method,
    path: &'static str,
    handler: fn(&Control, Request<'_>) -> Response,
}

/// What a handler reads of its request: the body, and the `{name}` segment of its path
/// (empty for a path without one).
struct Request<'a> {
    body: &'a [u8],
    segment: &'a str,
}

/// Every control endpoint. The dispatcher and the `405`'s list of methods read it, and a test
/// holds the README's table of control requests to it. Where one path takes several methods,
/// their order here is the order the `405` names them in.
const ENDPOINTS: &[Endpoint] = &[
    endpoint(Method::POST, "/reset", reset),
    endpoint(Method::POST, "/device/approve", approve),
    endpoint(Method::POST, "/device/deny", deny),
    endpoint(Method::POST, "/device/expire", expire_device_codes),
    endpoint(Method::GET, "/device", device),
    endpoint(Method::GET, "/links", links),
    endpoint(Method::POST, "/links", link),
    endpoint(Method::DELETE, "/links/{provider_id}", unlink),
    endpoint(Method::POST, "/faults", faults),
    endpoint(Method::POST, "/agents", new_agent),
    endpoint(Method::DELETE, "/agents/{token}", remove_agent),
    endpoint(Method::PUT, "/template-versions/{id}", template_version),
    endpoint(
        Method::DELETE,
        "/template-versions/{id}",
        remove_template_version,
    ),
    endpoint(Method::POST, "/sessions", new_session),
    endpoint(Method::DELETE, "/sessions/{token}", remove_session),
    endpoint(Method::PUT, "/rate-limit", set_rate_limit),
    endpoint(Method::DELETE, "/rate-limit", clear_rate_limit),
];

const fn endpoint(
    method: Method,
    path: &'static str,
    handler: fn(&Control, Request<'_>) -> Response,
) -> Endpoint {
    Endpoint {
        method,
        path,
        handler,
    }
}

impl Endpoint {
    /// The `{name}` segment when `rest` is this endpoint's path (`Some("")` for a path without
    /// one); `None` when it is another path.
    fn matches<'r>(&self, rest: &'r str) -> Option<&'r str> {
        match self.path.rsplit_once('{') {
            Some((prefix, _)) => rest
                .strip_prefix(prefix)
                .filter(|segment| !segment.is_empty()),
            None => (rest == self.path).then_some(""),
        }
    }
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
    let matching: Vec<(&Endpoint, &str)> = ENDPOINTS
        .iter()
        .filter_map(|endpoint| Some((endpoint, endpoint.matches(rest)?)))
        .collect();
    if matching.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            &format!(
                "no control endpoint {PREFIX}{rest}; the endpoints are listed in the README, \"The imitation from any language\""
            ),
        );
    }
    let Some(&(endpoint, segment)) = matching.iter().find(|(e, _)| e.method == *method) else {
        let names: Vec<&str> = matching.iter().map(|(e, _)| e.method.as_str()).collect();
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{PREFIX}{rest} takes {}, not {method}", names.join(" or ")),
        );
        if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response;
    };
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
    let request = Request {
        body: &bytes,
        segment,
    };
    (endpoint.handler)(&control, request)
}

/// `answer` given the request body as `T`, or the 400 that says what is wrong with it.
fn with_body<T: DeserializeOwned>(
    request: &Request<'_>,
    answer: impl FnOnce(T) -> Response,
) -> Response {
    match parse(request.body) {
        Ok(body) => answer(body),
        Err(why) => error(StatusCode::BAD_REQUEST, &why),
    }
}

fn reset(control: &Control, _: Request<'_>) -> Response {
    control.reset();
    no_content()
}

fn approve(control: &Control, request: Request<'_>) -> Response {
    decide(request, |user_code| control.approve(user_code))
}

fn deny(control: &Control, request: Request<'_>) -> Response {
    decide(request, |user_code| control.deny(user_code))
}

/// Approves or denies the pending authorization the body's user code names.
fn decide(request: Request<'_>, decide: impl FnOnce(&str) -> bool) -> Response {
    with_body(&request, |request: UserCode| {
        if decide(&request.user_code) {
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
    })
}

fn expire_device_codes(control: &Control, _: Request<'_>) -> Response {
    control.expire_device_codes();
    no_content()
}

fn device(control: &Control, _: Request<'_>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "pending_user_codes": control.pending_user_codes(),
            "stored": control.device_code_count(),
            "auto_approve_after": control.auto_approve_after(),
        }),
    )
}

fn links(control: &Control, _: Request<'_>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({ "provider_ids": control.linked_providers() }),
    )
}

fn link(control: &Control, request: Request<'_>) -> Response {
    with_body(&request, |request: LinkRequest| {
        if request.unconfigured {
            control.link_unconfigured(&request.provider_id, request.seed());
            no_content()
        } else if control.link(&request.provider_id, request.seed()) {
            no_content()
        } else {
            unknown_provider(&request.provider_id)
        }
    })
}

fn unlink(control: &Control, request: Request<'_>) -> Response {
    let id = request.segment;
    if control.unlink(id) {
        no_content()
    } else {
        error(
            StatusCode::NOT_FOUND,
            &format!("the caller has no link to {id:?}; GET {PREFIX}/links lists them"),
        )
    }
}

fn faults(control: &Control, request: Request<'_>) -> Response {
    with_body(&request, |request: Faults| {
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
    })
}

fn new_agent(control: &Control, request: Request<'_>) -> Response {
    with_body(&request, |request: NewAgent| {
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
    })
}

fn remove_agent(control: &Control, request: Request<'_>) -> Response {
    if control.remove_agent(&AgentToken::new(request.segment)) {
        no_content()
    } else {
        error(StatusCode::NOT_FOUND, "no workspace agent has that token")
    }
}

fn template_version(control: &Control, request: Request<'_>) -> Response {
    let id = request.segment;
    with_body(&request, |request: TemplateVersion| {
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
    })
}

fn remove_template_version(control: &Control, request: Request<'_>) -> Response {
    if control.remove_template_version(request.segment) {
        no_content()
    } else {
        error(StatusCode::NOT_FOUND, "no template version has that id")
    }
}

fn new_session(control: &Control, request: Request<'_>) -> Response {
    with_body(&request, |request: NewSession| {
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
    })
}

fn remove_session(control: &Control, request: Request<'_>) -> Response {
    if control.remove_session(request.segment) {
        no_content()
    } else {
        error(StatusCode::NOT_FOUND, "no API key has that token's id")
    }
}

fn set_rate_limit(control: &Control, request: Request<'_>) -> Response {
    with_body(&request, |request: RateLimit| {
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
    })
}

fn clear_rate_limit(control: &Control, _: Request<'_>) -> Response {
    control.set_rate_limit(None);
    no_content()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_final_segment_takes_any_non_empty_rest() {
        let unlink = &ENDPOINTS
            .iter()
            .find(|e| e.path == "/links/{provider_id}")
            .unwrap();
        assert_eq!(unlink.matches("/links/github"), Some("github"));
        assert_eq!(unlink.matches("/links/a/b"), Some("a/b"));
        assert_eq!(unlink.matches("/links/"), None);
        assert_eq!(unlink.matches("/links"), None);
        let links = &ENDPOINTS.iter().find(|e| e.path == "/links").unwrap();
        assert_eq!(links.matches("/links"), Some(""));
        assert_eq!(links.matches("/links/github"), None);
    }

    /// The README's table of control requests names exactly the endpoints of [`ENDPOINTS`],
    /// each once, so neither can gain or lose one alone.
    #[test]
    fn readme_lists_every_endpoint() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("### The imitation from any language")
            .nth(1)
            .expect("README section \"The imitation from any language\"");
        let mut listed: Vec<String> = section
            .lines()
            .skip_while(|line| !line.starts_with("| request | body | does |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .flat_map(|line| {
                let request = line.split('|').nth(1).unwrap_or_default().to_owned();
                request
                    .split(',')
                    .map(|one| one.trim().trim_matches('`').to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut table: Vec<String> = ENDPOINTS
            .iter()
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        listed.sort();
        table.sort();
        assert_eq!(listed, table);
    }
}
