//! The one handler every request reaches, which applies Coder's middleware order by hand:
//! CSRF, rate limit, authentication, provider lookup, and only then method and route
//! matching (chi runs the middleware before it matches methods).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::response::Response;
use chrono::Utc;
use http::{HeaderName, Request, StatusCode, header};

use super::agent;
use super::auth::{self, SIGNED_OUT};
use super::control::Control;
use super::csrf;
use super::gojson;
use super::gotime;
use super::handlers::{self, RESOURCE_NOT_FOUND};
use super::host;
use super::http_control;
use super::ratelimit::Caller;
use super::release::{Behaviour, Release};
use super::reply::Reply;
use super::routing::{self, Operation, Route};
use super::shared::Shared;
use super::state::State;

/// The largest POST body read; Coder reads any size, but nothing legitimate comes close.
const MAX_BODY: usize = 1 << 20;

/// How long a whole request body may take to arrive (the largest is [`MAX_BODY`]); one
/// trickled a byte at a time keeps the connection busy but not past this.
pub(crate) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers one request from `peer`.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    peer: SocketAddr,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(why) = host::check(parts.version, &parts.method, &parts.headers) {
        return bad_host(why);
    }
    let path = routing::clean(parts.uri.path());
    if shared.http_control
        && let Some(rest) = path.strip_prefix(http_control::PREFIX)
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let control = Control {
            shared: Arc::clone(&shared),
        };
        return http_control::answer(control, &parts.method, &parts.headers, rest, body).await;
    }
    let route = routing::route(&path);
    let operation = routing::operation(&route, &parts.method).ok();
    // Decoding first is safe: the result is only looked at after auth and provider lookup.
    let decoded = if operation == Some(Operation::PostExternalAuthDeviceById) {
        Some(read_body(body).await)
    } else {
        None
    };
    let mut reply = respond(&shared, &parts, &path, &route, peer, decoded);
    if let Some(hold) = reply.hold.take() {
        // The headers already decided (rate limit) go on whatever the wait ends with.
        let headers = std::mem::take(&mut reply.headers);
        reply = agent::listen(&shared, hold).await;
        reply.headers = headers;
    }
    if let (Some(hook), Some(operation)) = (&shared.hook, operation) {
        reply.apply_hook(hook, operation);
    }
    reply.into_response(shared.release.header())
}

/// Go's net/http answer to a request it refuses before any handler runs: plain text, the
/// connection closed, none of coderd's headers.
fn bad_host(why: &str) -> Response {
    let mut response = Response::new(Body::from(format!("400 Bad Request: {why}")));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    response
}

async fn read_body(body: Body) -> Result<String, String> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => gojson::decode_device_exchange(&bytes),
        // Go's MaxBytesReader wording, for a body over the limit.
        Ok(Err(_)) => Err("http: request body too large".to_owned()),
        // Go's wording for a read past its deadline.
        Err(_) => Err("i/o timeout".to_owned()),
    }
}

fn respond(
    shared: &Shared,
    parts: &http::request::Parts,
    path: &str,
    route: &Route<'_>,
    peer: SocketAddr,
    decoded: Option<Result<String, String>>,
) -> Reply {
    let headers = &parts.headers;
    let query = parts.uri.query();
    if let Err(text) = csrf::check(&parts.method, path, headers, query) {
        return Reply::text(StatusCode::BAD_REQUEST, &text);
    }
    if *route == Route::Outside {
        return route_not_found();
    }
    let now = Utc::now();
    let instant = Instant::now();
    let release = &shared.release;
    let token = auth::token_from_request(headers, query, release.has(Behaviour::TrimmedTokens));
    let mut state = shared.lock();
    let authenticated = auth::validate(token.as_deref(), &state.sessions, now);

    let mut limit_headers = Vec::new();
    if let Some(limiter) = state.limiter.as_mut() {
        // Before 2.32.0 the limiter ran ahead of authentication, so it never saw the user.
        let caller = match authenticated {
            Ok(()) if release.has(Behaviour::RateLimitPerUser) => Caller::User,
            _ => Caller::Ip(peer.ip()),
        };
        let verdict = limiter.hit(caller, path, instant);
        let reset = now.timestamp() + i64::try_from(verdict.resets_in.as_secs()).unwrap_or(0);
        limit_headers.push(("x-ratelimit-limit", limiter.limit.to_string()));
        limit_headers.push(("x-ratelimit-remaining", verdict.remaining.to_string()));
        limit_headers.push(("x-ratelimit-reset", reset.to_string()));
        if !verdict.allowed {
            let message = format!(
                "You've been rate limited for sending more than {} requests in {}.",
                limiter.limit,
                gotime::duration(limiter.window)
            );
            let retry = verdict.resets_in.as_secs().max(1).to_string();
            let reply = Reply::error(StatusCode::TOO_MANY_REQUESTS, &message, "")
                .with_header(header::RETRY_AFTER, &retry);
            return with_limit_headers(reply, limit_headers);
        }
    }
    let reply = match route {
        Route::Outside | Route::ApiNotFound => route_not_found(),
        Route::BuildInfo => {
            drop(state);
            build_info(shared, &parts.method)
        }
        Route::Agent { .. } => {
            let trim = release.has(Behaviour::TrimmedTokens);
            let with_expiry = release.has(Behaviour::AgentExpiresAt);
            match agent::answer(
                &mut state,
                headers,
                query,
                &parts.method,
                now,
                trim,
                with_expiry,
            ) {
                Ok(reply) => reply,
                Err(hold) => {
                    let mut reply = Reply::empty(StatusCode::OK);
                    reply.hold = Some(hold);
                    reply
                }
            }
        }
        Route::List | Route::Provider { .. } | Route::TemplateVersion { .. } => {
            if let Err(rejection) = authenticated {
                drop(state);
                let www = auth::www_authenticate(headers, &shared.addr.to_string());
                Reply::error(StatusCode::UNAUTHORIZED, SIGNED_OUT, &rejection.0)
                    .with_header(header::WWW_AUTHENTICATE, &www)
            } else {
                dispatch(
                    &mut state,
                    release,
                    route,
                    (&parts.method, query),
                    decoded,
                    now,
                    instant,
                )
            }
        }
    };
    with_limit_headers(reply, limit_headers)
}

/// `GET /api/v2/buildinfo`, which coderd serves without authentication.
fn build_info(shared: &Shared, method: &http::Method) -> Reply {
    if method != http::Method::GET {
        return method_not_allowed(&[http::Method::GET]);
    }
    let dashboard_url = format!("http://{}", shared.addr);
    Reply::json(StatusCode::OK, &shared.release.build_info(&dashboard_url))
}

/// After authentication: provider lookup, then method and sub-route, then the handler. The
/// provider found here is the one the handler works on.
fn dispatch(
    state: &mut State,
    release: &Release,
    route: &Route<'_>,
    (method, query): (&http::Method, Option<&str>),
    decoded: Option<Result<String, String>>,
    now: chrono::DateTime<Utc>,
    instant: Instant,
) -> Reply {
    let State {
        providers,
        links,
        devices,
        device_settings,
        ..
    } = state;
    if let Route::TemplateVersion { id, external_auth } = route {
        let request = agent::TemplateVersionRequest {
            method,
            query,
            reads_user_id: release.has(Behaviour::TemplateVersionUserId),
        };
        return agent::template_version(state, id, *external_auth, request, now);
    }
    let Route::Provider { id, .. } = route else {
        return match routing::operation(route, method) {
            Ok(Operation::GetUserExternalAuths) => handlers::list(providers, links, release, now),
            Ok(_) | Err([]) => route_not_found(),
            Err(allowed) => method_not_allowed_for(allowed),
        };
    };
    let Some(provider) = providers.iter().find(|p| p.config.id == *id) else {
        return Reply::error(StatusCode::NOT_FOUND, RESOURCE_NOT_FOUND, "");
    };
    match routing::operation(route, method) {
        Ok(Operation::GetExternalAuthById) => handlers::get_by_id(links, provider, release, now),
        Ok(Operation::DeleteExternalAuthUserLinkById) => handlers::delete(links, provider, release),
        Ok(Operation::GetExternalAuthDeviceById) => {
            handlers::device_get(devices, device_settings, provider, instant)
        }
        Ok(Operation::PostExternalAuthDeviceById) => {
            let body = decoded.unwrap_or_else(|| Err("EOF".to_owned()));
            handlers::device_post(
                links,
                devices,
                device_settings,
                provider,
                body,
                now,
                instant,
            )
        }
        // routing never maps a provider path to the list or the other routes.
        Ok(
            Operation::GetUserExternalAuths
            | Operation::GetExternalAuthByTemplateVersion
            | Operation::GetWorkspaceAgentExternalAuth
            | Operation::RemovedGetWorkspaceAgentGitAuth,
        )
        | Err([]) => route_not_found(),
        Err(allowed) => method_not_allowed_for(allowed),
    }
}

fn route_not_found() -> Reply {
    Reply::error(StatusCode::NOT_FOUND, "Route not found.", "")
}

/// chi's default 405: status only, with the allowed methods.
fn method_not_allowed(allowed: &[http::Method]) -> Reply {
    let mut reply = Reply::empty(StatusCode::METHOD_NOT_ALLOWED);
    for method in allowed {
        reply = reply.with_header(header::ALLOW, method.as_str());
    }
    reply
}

/// The 405 of a route whose operations are `allowed`: their methods, in route order.
fn method_not_allowed_for(allowed: &[Operation]) -> Reply {
    let methods: Vec<http::Method> = allowed.iter().map(|op| op.http_method()).collect();
    method_not_allowed(&methods)
}

fn with_limit_headers(mut reply: Reply, headers: Vec<(&'static str, String)>) -> Reply {
    for (name, value) in headers {
        reply = reply.with_header(HeaderName::from_static(name), &value);
    }
    reply
}
