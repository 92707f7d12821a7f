//! Session-token authentication as Coder's `ExtractAPIKey` middleware does it: the five token
//! sources in precedence order, the token format check, and the exact 401 answers with their
//! `WWW-Authenticate` header.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use http::HeaderMap;

use super::gotime;
use super::host;

/// `codersdk.SessionTokenCookie`, also the query parameter name.
pub(crate) const COOKIE: &str = "coder_session_token";
/// `codersdk.SessionTokenHeader`.
pub(crate) const HEADER: &str = "Coder-Session-Token";

/// `SignedOutErrorMessage` in coderd/httpmw/apikey.go.
pub(crate) const SIGNED_OUT: &str =
    "You are signed out or your session has expired. Please sign in again to continue.";

/// One API key row: the secret and when it stops working.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a request was not authenticated: the 401 `detail`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rejection(pub String);

/// The token the request carries, from the first non-empty source in Coder's order
/// (`APITokenFromRequest`): cookie, `?coder_session_token=`, `Coder-Session-Token`,
/// `Authorization: Bearer`, `?access_token=`. `trim`: whether the last two are
/// whitespace-trimmed, as from 2.27.0 (`Behaviour::TrimmedTokens`).
pub(crate) fn token_from_request<'a>(
    headers: &'a HeaderMap,
    query: Option<&'a str>,
    trim: bool,
) -> Option<Cow<'a, str>> {
    if let Some(value) = cookie(headers, COOKIE).filter(|v| !v.is_empty()) {
        return Some(Cow::Borrowed(value));
    }
    if let Some(value) = query
        .and_then(|q| query_param(q, COOKIE))
        .filter(|v| !v.is_empty())
    {
        return Some(value);
    }
    if let Some(value) = header(headers, HEADER).filter(|v| !v.is_empty()) {
        return Some(Cow::Borrowed(value));
    }
    if let Some(value) = header(headers, "authorization").and_then(bearer) {
        // Go returns what follows the prefix even when nothing is left of it: a Bearer
        // header never falls through to `access_token`.
        let value = if trim { value.trim() } else { value };
        return Some(Cow::Borrowed(value)).filter(|v| !v.is_empty());
    }
    query
        .and_then(|q| query_param(q, "access_token"))
        .map(|v| match v {
            Cow::Borrowed(b) if trim => Cow::Borrowed(b.trim()),
            Cow::Owned(o) if trim => Cow::Owned(o.trim().to_owned()),
            untrimmed => untrimmed,
        })
        .filter(|v| !v.is_empty())
}

/// Checks a token against the known sessions: format, id, secret, expiry, in that order.
pub(crate) fn validate(
    token: Option<&str>,
    sessions: &HashMap<String, Session>,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    let Some(token) = token else {
        return Err(Rejection(format!(
            "Cookie \"{COOKIE}\" or query parameter must be provided."
        )));
    };
    let (id, secret) = split_token(token)
        .map_err(|reason| Rejection(format!("Invalid API key format: {reason}")))?;
    let Some(session) = sessions.get(id) else {
        return Err(Rejection("API key is invalid.".to_owned()));
    };
    if session.secret != secret {
        return Err(Rejection("API key secret is invalid.".to_owned()));
    }
    if session.expires_at < now {
        return Err(Rejection(format!(
            "API key expired at \"{}\".",
            gotime::time_string(&session.expires_at)
        )));
    }
    Ok(())
}

/// Coder's `SplitAPIToken`: exactly one `-`, a 10-byte id and a 22-byte secret.
pub(crate) fn split_token(token: &str) -> Result<(&str, &str), String> {
    let parts = token.split('-').count();
    let Some((id, secret)) = token.split_once('-').filter(|_| parts == 2) else {
        return Err(format!(
            "incorrect amount of API key parts, expected 2 got {parts}"
        ));
    };
    if id.len() != 10 {
        return Err(format!(
            "invalid API key ID length, expected 10 got {}",
            id.len()
        ));
    }
    if secret.len() != 22 {
        return Err(format!(
            "invalid API key secret length, expected 22 got {}",
            secret.len()
        ));
    }
    Ok((id, secret))
}

/// The `WWW-Authenticate` value for a 401 whose message or detail mentions expiry, which
/// every `SignedOutErrorMessage` does (that message contains "expired").
/// The Host is escaped and quoted as coderd's `%q` does (see `host.rs`); an HTTP/1.0 request
/// without one gets the listening address.
pub(crate) fn www_authenticate(headers: &HeaderMap, fallback_host: &str) -> String {
    let host = header(headers, "host").unwrap_or(fallback_host);
    format!(
        "Bearer realm=\"coder\", error=\"invalid_token\", error_description=\"The access token has expired\", resource_metadata={}",
        host::quoted_resource_metadata(host)
    )
}

/// The first value of a header as text (Go's `Header.Get`).
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What follows `Bearer ` in an `Authorization` value, the prefix matched
/// case-insensitively; untrimmed, as Go's `authHeader[7:]`.
fn bearer(value: &str) -> Option<&str> {
    let prefix = value.get(..7)?;
    if !prefix.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    value.get(7..)
}

/// The first cookie called `name` across all `Cookie` headers (Go's `Request.Cookie`).
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| {
            let value = value.trim();
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value)
        })
}

/// The first value of a query parameter, percent- and `+`-decoded (Go's `Query().Get`);
/// pairs with a bad escape are skipped, as Go's parser drops them.
pub(crate) fn query_param<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((unescape(key)?, unescape(value)?))
        })
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

fn unescape(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains(['%', '+']) {
        return Some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const GOOD: &str = "abcdefghij-0123456789abcdefghijkl";

    #[test]
    fn split_token_reports_go_errors() {
        assert_eq!(
            split_token(GOOD),
            Ok(("abcdefghij", "0123456789abcdefghijkl"))
        );
        assert_eq!(
            split_token("nodash").unwrap_err(),
            "incorrect amount of API key parts, expected 2 got 1"
        );
        assert_eq!(
            split_token("a-b-c").unwrap_err(),
            "incorrect amount of API key parts, expected 2 got 3"
        );
        assert_eq!(
            split_token("short-0123456789abcdefghijkl").unwrap_err(),
            "invalid API key ID length, expected 10 got 5"
        );
        assert_eq!(
            split_token("abcdefghij-short").unwrap_err(),
            "invalid API key secret length, expected 22 got 5"
        );
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn sources_in_precedence_order() {
        let all = headers(&[
            ("cookie", "other=1; coder_session_token=from-cookie"),
            ("coder-session-token", "from-header"),
            ("authorization", "Bearer from-bearer"),
        ]);
        let q = Some("coder_session_token=from-query&access_token=from-access");
        assert_eq!(
            token_from_request(&all, q, true).as_deref(),
            Some("from-cookie")
        );
        let no_cookie = headers(&[
            ("coder-session-token", "from-header"),
            ("authorization", "Bearer from-bearer"),
        ]);
        assert_eq!(
            token_from_request(&no_cookie, q, true).as_deref(),
            Some("from-query")
        );
        assert_eq!(
            token_from_request(&no_cookie, Some("access_token=x"), true).as_deref(),
            Some("from-header")
        );
        let bearer_only = headers(&[("authorization", "bEaReR   spaced  ")]);
        assert_eq!(
            token_from_request(&bearer_only, Some("access_token=x"), true).as_deref(),
            Some("spaced")
        );
        assert_eq!(
            token_from_request(&HeaderMap::new(), Some("access_token=%20a%2Bb+"), true).as_deref(),
            Some("a+b")
        );
        let empty_cookie = headers(&[("cookie", "coder_session_token="), (HEADER, "h")]);
        assert_eq!(
            token_from_request(&empty_cookie, None, true).as_deref(),
            Some("h")
        );
        assert_eq!(token_from_request(&HeaderMap::new(), None, true), None);
    }

    #[test]
    fn padded_tokens_are_trimmed_only_when_asked() {
        let padded = headers(&[("authorization", "Bearer  tok ")]);
        assert_eq!(
            token_from_request(&padded, None, false).as_deref(),
            Some(" tok ")
        );
        assert_eq!(
            token_from_request(&padded, None, true).as_deref(),
            Some("tok")
        );
        let query = Some("access_token=%20tok");
        let none = HeaderMap::new();
        assert_eq!(
            token_from_request(&none, query, false).as_deref(),
            Some(" tok")
        );
        assert_eq!(
            token_from_request(&none, query, true).as_deref(),
            Some("tok")
        );
        // A Bearer header with nothing left after trimming is no token, not a fallback.
        let blank = headers(&[("authorization", "Bearer  ")]);
        assert_eq!(
            token_from_request(&blank, Some("access_token=x"), true),
            None
        );
    }

    #[test]
    fn validation_order_and_messages() {
        let now = Utc::now();
        let mut sessions = HashMap::new();
        sessions.insert(
            "abcdefghij".to_owned(),
            Session {
                secret: "0123456789abcdefghijkl".to_owned(),
                expires_at: now + chrono::Duration::hours(1),
            },
        );
        assert_eq!(validate(Some(GOOD), &sessions, now), Ok(()));
        assert_eq!(
            validate(None, &sessions, now).unwrap_err().0,
            "Cookie \"coder_session_token\" or query parameter must be provided."
        );
        assert_eq!(
            validate(Some("zzzzzzzzzz-0123456789abcdefghijkl"), &sessions, now)
                .unwrap_err()
                .0,
            "API key is invalid."
        );
        assert_eq!(
            validate(Some("abcdefghij-0123456789abcdefghijkX"), &sessions, now)
                .unwrap_err()
                .0,
            "API key secret is invalid."
        );
        let later = now + chrono::Duration::hours(2);
        let expired = validate(Some(GOOD), &sessions, later).unwrap_err().0;
        assert!(expired.starts_with("API key expired at \""), "{expired}");
        assert!(expired.ends_with(" +0000 UTC\"."), "{expired}");
    }
}
