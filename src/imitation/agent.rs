//! The external-auth routes outside the `Git` tag: the workspace agent's token lookup
//! (`/api/v2/workspaceagents/me/external-auth` and its deprecated alias `/gitauth`, called with
//! an agent token) with its `listen` long poll, and a template version's providers
//! (`/api/v2/templateversions/{templateversion}/external-auth`). As coderd/workspaceagents.go
//! L1957-2230 and coderd/templateversions.go L334-428 answer them.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, Method, StatusCode, header};
use serde::Serialize;

use super::agent_state::{AgentScope, AgentState, Hold};
use super::auth;
use super::gojson;
use super::gotime;
use super::handlers::{RESOURCE_NOT_FOUND, VALIDATION_FAILURE};
use super::reply::Reply;
use super::shared::Shared;
use super::state::{Link, Provider, State};
use super::uuid;

/// coderd's listen ticker: a held request looks at the link once a second, the first time one
/// second after it started waiting (coderd/workspaceagents.go L2149-2160).
pub const LISTEN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The longest the imitation holds a `listen` request (default; see
/// [`ImitationBuilder::listen_max_wait`](super::ImitationBuilder::listen_max_wait)). **Coder
/// has no such limit**: no deadline in the loop and no `WriteTimeout` (cli/server.go
/// L1245-1254), so a real server holds the request until the link appears or the client
/// leaves. The imitation stops after ten minutes so that a forgotten client cannot hold a
/// connection for ever, and then answers as coderd does when a held request's context ends
/// while the client is still connected (server shutdown): 200 with an empty body.
pub const LISTEN_MAX_WAIT: Duration = Duration::from_secs(10 * 60);

/// How long a refreshed token lives (GitLab's 2 hours), as in the `Git` handlers.
const REFRESHED_LIFETIME: chrono::Duration = chrono::Duration::hours(2);

/// The error chain `RefreshToken` reports while a provider's token endpoint is failing
/// ([`Control::fail_refresh`](super::Control::fail_refresh)).
pub(crate) const REFRESH_FAILURE: &str =
    "refresh external auth token: oauth2: cannot fetch token: 502 Bad Gateway";

/// The agent route's derived values; kept here, beside the route that hands them out.
impl AgentState {
    /// The access token the link holds: `""` when the row has none, otherwise a value that
    /// changes whenever the row is rewritten (a new link, a refresh), as a provider's would.
    fn access_token(&self, link: &Link) -> String {
        if !link.has_access_token {
            return String::new();
        }
        let mut hasher = DefaultHasher::new();
        (
            self.salt,
            &link.provider_id,
            link.updated_at.timestamp_micros(),
        )
            .hash(&mut hasher);
        format!("imitation_{:016x}", hasher.finish())
    }

    /// `<access URL>/external-auth/<id>`: the web page where the owner links the provider.
    fn link_url(&self, provider_id: &str) -> String {
        format!("{}/external-auth/{provider_id}", self.access_url)
    }
}

/// What `RefreshToken` made of the caller's link.
enum Refreshed {
    Valid,
    /// `InvalidTokenError`: expired and not refreshable, or rejected by the provider.
    Invalid,
    /// Any other error, with its chain.
    Failed(String),
}

/// coderd's `RefreshToken` on the caller's link: refresh an expired, refreshable token
/// (persisting it), then validate it when the provider has a validate URL.
fn refresh_token(
    provider: &Provider,
    link: &mut Link,
    failing_refresh: bool,
    now: DateTime<Utc>,
) -> Refreshed {
    if link.expired(now) {
        if provider.config.no_refresh || !link.has_refresh_token {
            return Refreshed::Invalid;
        }
        if failing_refresh {
            return Refreshed::Failed(REFRESH_FAILURE.to_owned());
        }
        let at = gotime::db_time(now);
        link.expires = at + REFRESHED_LIFETIME;
        link.updated_at = at;
    }
    validate(provider, link)
}

/// `ValidateToken`: no validate URL counts as valid.
fn validate(provider: &Provider, link: &Link) -> Refreshed {
    if !provider.config.validate {
        Refreshed::Valid
    } else if provider.faults.fail_validation {
        Refreshed::Failed(format!(
            "validate external auth token: {VALIDATION_FAILURE}"
        ))
    } else if provider.faults.reject_token || !link.has_access_token {
        Refreshed::Invalid
    } else {
        Refreshed::Valid
    }
}

/// `agentsdk.ExternalAuthResponse`, in Go field order, no omitempty.
#[derive(Serialize)]
struct AgentBody<'a> {
    access_token: &'a str,
    token_extra: Option<serde_json::Map<String, serde_json::Value>>,
    url: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    /// From 2.36.0 ([`Behaviour::AgentExpiresAt`](super::Behaviour::AgentExpiresAt)): the
    /// link's expiry in UTC, Go's zero time when it never expires and in the unlinked form.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    username: &'a str,
    password: &'a str,
}

/// The unlinked form: only `url` (and, where the release sends it, the zero `expires_at`).
fn unlinked(url: &str, with_expiry: bool) -> Reply {
    Reply::json(
        StatusCode::OK,
        &AgentBody {
            access_token: "",
            token_extra: None,
            url,
            kind: "",
            expires_at: with_expiry.then(|| gotime::rfc3339(&gotime::zero_time())),
            username: "",
            password: "",
        },
    )
}

/// The linked form, with git's username and password by type (`createExternalAuthResponse`,
/// compared case-sensitively), and the link's expiry where the release sends it.
fn linked(
    kind: &str,
    token: &str,
    expires: Option<DateTime<Utc>>,
    token_extra: Option<serde_json::Map<String, serde_json::Value>>,
) -> Reply {
    let (username, password) = match kind {
        "gitlab" => ("oauth2", token),
        "bitbucket-cloud" | "bitbucket-server" => ("x-token-auth", token),
        _ => (token, ""),
    };
    Reply::json(
        StatusCode::OK,
        &AgentBody {
            access_token: token,
            token_extra,
            url: "",
            kind,
            expires_at: expires.as_ref().map(gotime::rfc3339),
            username,
            password,
        },
    )
}

/// The agent route up to its first answer, under the state lock. `Err` is a `listen` request
/// to hold (see [`listen`]).
pub(crate) fn answer(
    state: &mut State,
    headers: &HeaderMap,
    query: Option<&str>,
    method: &Method,
    now: DateTime<Utc>,
    trim_tokens: bool,
    with_expiry: bool,
) -> Result<Reply, Hold> {
    // httpmw.ExtractWorkspaceAgentAndLatestBuild reads the token as the session middleware
    // does (trimmed from 2.27.0); no WWW-Authenticate on any of these.
    let Some(token) = auth::token_from_request(headers, query, trim_tokens) else {
        return Ok(Reply::error(
            StatusCode::UNAUTHORIZED,
            "Cookie \"coder_session_token\" must be provided.",
            "",
        ));
    };
    let Ok(agent) = uuid::parse(&token) else {
        return Ok(Reply::error(
            StatusCode::UNAUTHORIZED,
            "Workspace agent token invalid.",
            &format!(
                "An agent token must be a valid UUIDv4. (len {})",
                token.len()
            ),
        ));
    };
    let Some(scope) = state.agents.agents.get(&agent).copied() else {
        return Ok(Reply::error(
            StatusCode::UNAUTHORIZED,
            "Workspace agent not authorized.",
            "The agent cannot authenticate until the workspace provision job has been completed. If the job is no longer running, this agent is invalid.",
        ));
    };
    if method != Method::GET {
        return Ok(Reply::empty(StatusCode::METHOD_NOT_ALLOWED).with_header(header::ALLOW, "GET"));
    }
    let query = query.unwrap_or("");
    let param = |name| auth::query_param(query, name).unwrap_or_default();
    let mut matching = param("match");
    if matching.is_empty() {
        matching = param("url");
    }
    let id = param("id");
    if matching.is_empty() && id.is_empty() {
        return Ok(Reply::error(
            StatusCode::BAD_REQUEST,
            "'url' or 'id' must be provided!",
            "",
        ));
    }
    if !matching.is_empty() && !id.is_empty() {
        return Ok(Reply::error(
            StatusCode::BAD_REQUEST,
            "'url' and 'id' cannot be provided together!",
            "",
        ));
    }
    let listen = has_param(query, "listen");
    let Some(index) = find_provider(&state.providers, &id, &matching) else {
        return Ok(no_provider(&state.providers, &matching));
    };
    if scope == AgentScope::NoUserData {
        return Ok(Reply::error(
            StatusCode::FORBIDDEN,
            "Forbidden.",
            "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.",
        ));
    }
    let State {
        providers,
        links,
        agents,
        ..
    } = state;
    let provider = &providers[index];
    let provider_id = provider.config.id.clone();
    let url = agents.link_url(&provider_id);
    let hold = |previous| Hold {
        provider_id: provider_id.clone(),
        with_expiry,
        previous,
    };
    let Some(link) = links.iter_mut().find(|l| l.provider_id == provider_id) else {
        return if listen {
            Err(hold(None))
        } else {
            Ok(unlinked(&url, with_expiry))
        };
    };
    let failing = agents.failing_refresh.contains(&provider_id);
    match refresh_token(provider, link, failing, now) {
        Refreshed::Valid => Ok(linked(
            &provider.config.kind,
            &agents.access_token(link),
            with_expiry.then_some(link.expires),
            token_extra(provider, link),
        )),
        Refreshed::Invalid if listen => {
            let previous = (agents.access_token(link), link.expires);
            Err(hold(Some(previous)))
        }
        Refreshed::Invalid => Ok(unlinked(&url, with_expiry)),
        Refreshed::Failed(_) if listen => Err(hold(None)),
        Refreshed::Failed(detail) => Ok(Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to refresh external auth token.",
            &detail,
        )),
    }
}

/// By `id`: the first with that exact id. By `match`: the last whose regex matches.
fn find_provider(providers: &[Provider], id: &str, matching: &str) -> Option<usize> {
    if !id.is_empty() {
        return providers.iter().position(|p| p.config.id == id);
    }
    providers
        .iter()
        .rposition(|provider| provider.matches(matching))
}

/// The 404 when nothing matched (an unknown `id` reads `for the url ""`).
fn no_provider(providers: &[Provider], matching: &str) -> Reply {
    let detail = if providers.is_empty() {
        "External auth provider not found.".to_owned()
    } else {
        let regexes: Vec<String> = providers
            .iter()
            .filter_map(|p| {
                let source = p.config.regex.as_deref()?;
                Some(format!("{}={}", p.config.id, gojson::go_quote(source)))
            })
            .collect();
        format!(
            "The configured external auth provider have regex filters that do not match the url. Provider url regex: {}",
            regexes.join(",")
        )
    };
    Reply::error(
        StatusCode::NOT_FOUND,
        &format!(
            "No matching external auth provider found in Coder for the url {}.",
            gojson::go_quote(matching)
        ),
        &detail,
    )
}

/// Go's `Query().Has`: the name appears, with or without a value.
fn has_param(query: &str, name: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair.split_once('=').map_or(pair, |(key, _)| key) == name)
}

/// The long poll: once every [`LISTEN_POLL_INTERVAL`], the linked form as soon as the link
/// holds a new token that validates. coderd never refreshes here (an expired token waits for a
/// new link) and only logs validation errors. Dropped when the client goes away (the
/// connection ends), so nothing is written then. On server shutdown or after the max wait:
/// 200 with an empty body, as coderd's handler returning without writing.
pub(crate) async fn listen(shared: &Shared, hold: Hold) -> Reply {
    let max_wait = shared.lock().agents.listen_max_wait;
    let deadline = tokio::time::Instant::now() + max_wait;
    let mut stopped = shared.stopped.clone();
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + LISTEN_POLL_INTERVAL,
        LISTEN_POLL_INTERVAL,
    );
    let mut previous = hold.previous;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = tokio::time::sleep_until(deadline) => return Reply::empty(StatusCode::OK),
            _ = stopped.wait_for(|stopped| *stopped) => return Reply::empty(StatusCode::OK),
        }
        let now = Utc::now();
        let state = shared.lock();
        let Some(provider) = state.provider(&hold.provider_id) else {
            continue;
        };
        let Some(link) = state
            .links
            .iter()
            .find(|l| l.provider_id == hold.provider_id)
        else {
            continue;
        };
        if link.expired(now) {
            continue;
        }
        let current = (state.agents.access_token(link), link.expires);
        if previous.as_ref() == Some(&current) {
            continue;
        }
        let verdict = validate(provider, link);
        if matches!(verdict, Refreshed::Valid) {
            let (token, expires) = &current;
            return linked(
                &provider.config.kind,
                token,
                hold.with_expiry.then_some(*expires),
                token_extra(provider, link),
            );
        }
        previous = Some(current);
    }
}

/// `token_extra` as coderd stores it with the link: null without `extra_token_keys`, else
/// each key with the provider's value or null.
fn token_extra(
    provider: &Provider,
    link: &Link,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let keys = &provider.config.extra_token_keys;
    let stored = link.token_extra.as_ref()?;
    (!keys.is_empty()).then(|| {
        keys.iter()
            .map(|key| {
                let value = stored.get(key).cloned();
                (key.clone(), value.unwrap_or(serde_json::Value::Null))
            })
            .collect()
    })
}

/// `GET /api/v2/templateversions/{templateversion}/external-auth`, after the session token was
/// accepted: the UUID, the version, then each reference in order. `external_auth` is false for
/// any other sub-path (`Route not found.` once the version is found).
pub(crate) fn template_version(
    state: &mut State,
    segment: &str,
    external_auth: bool,
    request: TemplateVersionRequest<'_>,
    now: DateTime<Utc>,
) -> Reply {
    let TemplateVersionRequest {
        method,
        query,
        reads_user_id,
    } = request;
    let id = match uuid::parse(segment) {
        Ok(id) => id,
        Err(why) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid UUID {}.", gojson::go_quote(segment)),
                &why,
            );
        }
    };
    let State {
        providers,
        links,
        agents,
        ..
    } = state;
    let Some((_, references)) = agents.template_versions.iter().find(|(v, _)| *v == id) else {
        return Reply::error(StatusCode::NOT_FOUND, RESOURCE_NOT_FOUND, "");
    };
    if !external_auth {
        return Reply::error(StatusCode::NOT_FOUND, "Route not found.", "");
    }
    if method != Method::GET {
        return Reply::empty(StatusCode::METHOD_NOT_ALLOWED).with_header(header::ALLOW, "GET");
    }
    // From 2.36.0 `user_id` names whose links to report; read after the version is found.
    let mut for_caller = true;
    if reads_user_id {
        let owner = auth::query_param(query.unwrap_or(""), "user_id").unwrap_or_default();
        if !owner.is_empty() && owner != "me" {
            if let Err(why) = uuid::parse(&owner) {
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "Invalid user_id query parameter.",
                    &why,
                );
            }
            // The imitation's caller is the deployment's owner (as Coder's first user is),
            // who may act for any user; no other user has links here.
            for_caller = false;
        }
    }
    let mut body = Vec::with_capacity(references.len());
    for reference in references {
        let Some(provider) = providers
            .iter()
            .find(|p| p.config.id == reference.provider_id)
        else {
            return Reply::error(
                StatusCode::NOT_FOUND,
                &format!(
                    "The template version references a Git auth provider {} that no longer exists.",
                    gojson::go_quote(&reference.provider_id)
                ),
                "You'll need to update the template version to use a different provider.",
            );
        };
        let authenticated = match links
            .iter_mut()
            .filter(|_| for_caller)
            .find(|l| l.provider_id == provider.config.id)
        {
            None => false,
            Some(link) => {
                let failing = agents.failing_refresh.contains(&provider.config.id);
                match refresh_token(provider, link, failing, now) {
                    Refreshed::Valid => true,
                    Refreshed::Invalid => false,
                    Refreshed::Failed(detail) => {
                        return Reply::error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "Failed to refresh external auth token.",
                            &detail,
                        );
                    }
                }
            }
        };
        body.push(TemplateVersionBody {
            id: &provider.config.id,
            kind: &provider.config.kind,
            display_name: &provider.config.display_name,
            display_icon: &provider.config.display_icon,
            authenticate_url: agents.link_url(&provider.config.id),
            authenticated,
            optional: reference.optional,
        });
    }
    Reply::json(StatusCode::OK, &body)
}

/// What the template-version route reads of a request besides the version.
pub(crate) struct TemplateVersionRequest<'a> {
    pub method: &'a Method,
    pub query: Option<&'a str>,
    /// The release reads `user_id` ([`Behaviour::TemplateVersionUserId`](super::Behaviour::TemplateVersionUserId)).
    pub reads_user_id: bool,
}

/// `codersdk.TemplateVersionExternalAuth`, in Go field order.
#[derive(Serialize)]
struct TemplateVersionBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    display_name: &'a str,
    display_icon: &'a str,
    authenticate_url: String,
    authenticated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    optional: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_is_presence_only() {
        for query in ["listen", "listen=", "listen=false", "a=1&listen=0"] {
            assert!(has_param(query, "listen"), "{query}");
        }
        for query in ["", "listening=1", "x=listen"] {
            assert!(!has_param(query, "listen"), "{query}");
        }
    }

    #[test]
    fn credentials_by_type() {
        let body = |kind| match linked(kind, "tok", None, None).payload {
            super::super::reply::Payload::Json(bytes) => String::from_utf8(bytes).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            body("gitlab"),
            "{\"access_token\":\"tok\",\"token_extra\":null,\"url\":\"\",\"type\":\"gitlab\",\"username\":\"oauth2\",\"password\":\"tok\"}\n"
        );
        assert!(
            body("bitbucket-server").contains("\"username\":\"x-token-auth\",\"password\":\"tok\"")
        );
        assert!(body("GitLab").contains("\"username\":\"tok\",\"password\":\"\""));
        assert!(body("github").contains("\"username\":\"tok\",\"password\":\"\""));
    }
}
