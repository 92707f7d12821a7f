//! Coder's CSRF check (coderd/httpmw/csrf.go): a state-changing request to `/api` that carries
//! the session cookie must prove it is not a cross-site form post. Header-only clients never
//! meet it.

use http::{HeaderMap, Method};

use super::auth::{self, COOKIE, HEADER};

const GENERIC: &str = "Something is wrong with your CSRF token. Please refresh the page. If this error persists, try clearing your cookies.";

/// `Err(text)` with the `http.Error` text when the request fails the check.
///
/// The imitation never issues CSRF tokens, so `X-CSRF-TOKEN` never exempts a request.
pub(crate) fn check(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), String> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) || !path.starts_with("/api")
    {
        return Ok(());
    }
    let Some(cookie) = auth::cookie(headers, COOKIE) else {
        return Ok(());
    };
    let header = auth::header(headers, HEADER).unwrap_or("");
    let query_token = query.and_then(|q| auth::query_param(q, COOKIE));
    let bearer = auth::header(headers, "authorization")
        .and_then(|v| v.get(..7))
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer "));
    if header == cookie || query_token.as_deref() == Some(cookie) || bearer {
        return Ok(());
    }
    if !header.is_empty() {
        return Err(format!(
            "CSRF error encountered. Authentication via \"{COOKIE}\" cookie and \"{HEADER}\" header detected, but the values do not match. To resolve this issue ensure the values used in both match, or only use one of the authentication methods. You can also try clearing your cookies if this error persists."
        ));
    }
    Err(GENERIC.to_owned())
}
