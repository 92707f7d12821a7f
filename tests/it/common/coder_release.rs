//! A hand-written stand-in for a real Coder deployment of one release, built from the
//! per-release facts read from Coder's source at each tag (the rows of `RELEASE_CHANGES` in
//! src/release.rs and of openapi/README.md, each citing `tag:file:line`) and not from
//! the crate's imitation, so that the checker is proven against a server it did not shape.
//!
//! What it serves, as coderd of that release does: the five external-auth operations and
//! `/api/v2/buildinfo`; Go-style JSON (struct key order, compact, trailing newline,
//! `application/json; charset=utf-8`); `X-Coder-Build-Version` and `X-Content-Type-Options`
//! on every answer; the `/api/v2` rate-limit headers (keyed by IP and path before v2.32, by
//! user from v2.32); the auth middleware's token sources, 401 details and
//! `WWW-Authenticate`; the cookie CSRF rule; and the release's own bodies (DELETE's `"OK"`
//! and inverted 500 before v2.27, `supports_revocation` from v2.27 with defaults from v2.28,
//! `code_challenge_methods_supported` from v2.30).
//!
//! The deployment: providers `github` (type github, client id set, device flow on, app
//! installations) and `gitlab` (type gitlab, gitlab.com, no device flow); one user, linked to
//! `github` with a valid token (GitHub user octocat, one app installation). Nobody approves a
//! device code, so every exchange is pending (or, for a code never issued, refused).
//!
//! Each [`Breach`] makes the deployment break its release's contract in one named way.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The session token of the fixture's one user: `<10-char id>-<22-char secret>`.
pub const SESSION_TOKEN: &str = "fXt7Kq2Lm9-Rz4Wb8Nc1Vd5Hj3Gp6Ty0Q";
const KEY_ID: &str = "fXt7Kq2Lm9";
const KEY_SECRET: &str = "Rz4Wb8Nc1Vd5Hj3Gp6Ty0Q";
const USER_ID: &str = "3f6b0c1e-9a4d-4e2b-8c7f-5d1a2b3c4d5e";
const DEPLOYMENT_ID: &str = "6c0a4d1e-6f5b-4c3e-9d7a-2b1f0e9c8a77";
/// `CODER_API_RATE_LIMIT` at its default.
const RATE_LIMIT: u64 = 512;
/// Largest request body read (coderd reads the POST device body with a plain decoder; this
/// only keeps the fixture bounded).
const BODY_LIMIT: usize = 64 * 1024;

const SIGNED_OUT: &str =
    "You are signed out or your session has expired. Please sign in again to continue.";
const NOT_FOUND: &str = "Resource not found or you do not have access to this resource";

/// A Coder release as the fixture serves it.
#[derive(Clone, Copy, Debug)]
pub struct CoderRelease {
    pub minor: u32,
    pub patch: u32,
    /// `X-Coder-Build-Version` and buildinfo `version` of the release build
    /// (`v<tag>+<short commit>`, as Coder's release builds report it).
    pub build_version: &'static str,
    /// The tag's full commit, for buildinfo `external_url`.
    pub commit: &'static str,
    /// buildinfo `provisioner_api_version` (provisionerd/proto/version.go at the tag).
    pub provisioner_api_version: &'static str,
    /// The contract range the checker must name for it.
    pub contract: &'static str,
    /// The link's `created_at` and `updated_at`: example times, and
    /// at v2.26 and v2.32 times whose fraction Go trims (`.5Z`, none at all).
    pub linked_at: &'static str,
}

/// The releases the fixture is checked at.
pub const RELEASES: [CoderRelease; 7] = [
    CoderRelease {
        minor: 25,
        patch: 0,
        build_version: "v2.25.0+e6ec957",
        commit: "e6ec95757ab9772b1f5f1ed8a49e6d2640927318",
        provisioner_api_version: "1.8",
        contract: "2.25-2.26",
        linked_at: "2025-08-10T09:15:02.123456Z",
    },
    CoderRelease {
        minor: 26,
        patch: 0,
        build_version: "v2.26.0+a056cb6",
        commit: "a056cb6577417b71f432084ff2a62a617a5246d9",
        provisioner_api_version: "1.9",
        contract: "2.25-2.26",
        linked_at: "2025-09-08T14:02:11.5Z",
    },
    CoderRelease {
        minor: 27,
        patch: 0,
        build_version: "v2.27.0+c0cd32c",
        commit: "c0cd32c2c4d583423be4cec2a6f9f30209cbce3b",
        provisioner_api_version: "1.10",
        contract: "2.27-2.29",
        linked_at: "2025-10-05T09:15:02.123456Z",
    },
    CoderRelease {
        minor: 29,
        patch: 0,
        build_version: "v2.29.0+ba71b32",
        commit: "ba71b321bceab3faa128d306e8de3612a673d6c1",
        provisioner_api_version: "1.12",
        contract: "2.27-2.29",
        linked_at: "2025-10-05T09:15:02.123456Z",
    },
    CoderRelease {
        minor: 30,
        patch: 0,
        build_version: "v2.30.0+43e67d1",
        commit: "43e67d12e278e13399cffc77f132e8e628339477",
        provisioner_api_version: "1.14",
        contract: "2.30-2.35",
        linked_at: "2026-02-10T09:15:02.123456Z",
    },
    CoderRelease {
        minor: 32,
        patch: 0,
        build_version: "v2.32.0+34584e9",
        commit: "34584e909bbe6f501fb2cbdc994325b4d3f9e2ef",
        provisioner_api_version: "1.16",
        contract: "2.30-2.35",
        linked_at: "2026-04-21T08:00:00Z",
    },
    CoderRelease {
        minor: 35,
        patch: 1,
        build_version: "v2.35.1+8b44bd6",
        commit: "8b44bd69290d17eacc0fbb865a8fa43c77bfadec",
        provisioner_api_version: "1.18",
        contract: "2.30-2.35",
        linked_at: "2026-02-10T09:15:02.123456Z",
    },
];

impl CoderRelease {
    /// The release `2.minor.patch`.
    pub fn get(minor: u32, patch: u32) -> Self {
        *RELEASES
            .iter()
            .find(|release| release.minor == minor && release.patch == patch)
            .unwrap_or_else(|| panic!("no fixture for v2.{minor}.{patch}"))
    }

    /// `v2.27.0`.
    pub fn tag(&self) -> String {
        format!("v2.{}.{}", self.minor, self.patch)
    }

    /// DELETE looks the link up first, 404 without one, and answers a body (#19775).
    fn delete_rewritten(&self) -> bool {
        self.minor >= 27
    }

    /// `supports_revocation` is in both structs (#19775).
    fn sends_supports_revocation(&self) -> bool {
        self.minor >= 27
    }

    /// Default revoke URLs are copied into the config (#20270, #20272).
    fn default_revoke_urls(&self) -> bool {
        self.minor >= 28
    }

    /// `code_challenge_methods_supported` in the list's providers (#21215).
    fn sends_code_challenge_methods(&self) -> bool {
        self.minor >= 30
    }

    /// Bearer and `access_token` values are trimmed (#19814).
    fn trims_bearer(&self) -> bool {
        self.minor >= 27
    }

    /// The rate limiter is keyed by user for a valid token (#22049).
    fn per_user_rate_limit(&self) -> bool {
        self.minor >= 32
    }

    /// Web push is always on, so buildinfo carries its public key (#24310).
    fn webpush(&self) -> bool {
        self.minor >= 33
    }
}

/// One way a deployment breaks its release's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breach {
    /// The list's providers carry `supports_revocation`, which no release before v2.27 sends.
    ListSendsSupportsRevocation,
    /// The list's providers carry `code_challenge_methods_supported`, which no release
    /// before v2.30 sends.
    ListSendsCodeChallengeMethods,
    /// DELETE answers `{"token_revoked":false}` where the release answers `"OK"`.
    DeleteAnswersObject,
    /// GET by id leaves out `supports_revocation`, which every release from v2.27 sends.
    ByIdOmitsSupportsRevocation,
    /// The list's links leave out `validate_error`.
    LinkOmitsValidateError,
    /// DELETE without a link answers the pre-v2.27 500 in a release that answers 404.
    MissingLinkDeleteIs500,
    /// GET by id's `user` carries an `email` no release sends.
    UserSendsEmail,
    /// GET by id's installation `account` carries an `email` no release sends.
    AccountSendsEmail,
    /// An unknown provider is a 400 instead of the 404.
    UnknownProviderIs400,
    /// An unknown provider's 404 is Go's plain-text `404 page not found`, not JSON.
    NotFoundAsText,
    /// The list's providers leave out `code_challenge_methods_supported`, which every
    /// release from v2.30 sends.
    ListOmitsCodeChallengeMethods,
    /// DELETE answers `"OK"` (the pre-v2.27 body) where the release answers an object.
    DeleteAnswersOk,
    /// The auth middleware's 401s come without `WWW-Authenticate` (as v2.24's did).
    NoChallenge,
}

/// What stands between a healthy deployment and the client: none of it breaks the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weather {
    /// The list answers after this long (Coder 2.34+ refreshing linked tokens with retries).
    SlowList(std::time::Duration),
    /// The first request to each path is rate limited: 429 with `Retry-After: 1`.
    RateLimitedOnce,
    /// A proxy in front answers 503 with its own HTML page to everything (a restart).
    GatewayDown,
}

/// A running fixture; stopped when dropped.
pub struct Fixture {
    base_url: String,
    task: JoinHandle<()>,
}

impl Fixture {
    /// Serves `release`, breaking its contract in each of `breaches`, on 127.0.0.1:0.
    pub async fn start(release: CoderRelease, breaches: &[Breach]) -> Self {
        Self::start_with(release, breaches, true, None).await
    }

    /// Serves a healthy `release` in `weather`.
    pub async fn start_in(release: CoderRelease, weather: Weather) -> Self {
        Self::start_with(release, &[], true, Some(weather)).await
    }

    /// Serves `release` behind a proxy that drops `X-Coder-Build-Version` (the release is
    /// then known only from `/api/v2/buildinfo`).
    pub async fn behind_proxy_dropping_build_version(release: CoderRelease) -> Self {
        Self::start_with(release, &[], false, None).await
    }

    async fn start_with(
        release: CoderRelease,
        breaches: &[Breach],
        build_header: bool,
        weather: Option<Weather>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let deployment = Arc::new(Deployment {
            release,
            breaches: breaches.to_vec(),
            build_header,
            weather,
            access_url: base_url.clone(),
            state: Mutex::new(DeploymentState {
                github_linked: true,
                issued_device_codes: HashSet::new(),
                next_device_code: 0,
                windows: HashMap::new(),
                rate_limited_paths: HashSet::new(),
            }),
        });
        let app = Router::new().fallback(handle).with_state(deployment);
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Self { base_url, task }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Deployment {
    release: CoderRelease,
    breaches: Vec<Breach>,
    /// Whether `X-Coder-Build-Version` reaches the client.
    build_header: bool,
    weather: Option<Weather>,
    /// `--access-url`: the base of `resource_metadata` and buildinfo `dashboard_url`.
    access_url: String,
    state: Mutex<DeploymentState>,
}

struct DeploymentState {
    github_linked: bool,
    /// Device codes GitHub handed out; none is ever approved.
    issued_device_codes: HashSet<String>,
    next_device_code: u64,
    /// Rate-limit windows: key -> (window start, unix seconds; requests in it).
    windows: HashMap<String, (u64, u64)>,
    /// Paths already answered 429 once (`Weather::RateLimitedOnce`).
    rate_limited_paths: HashSet<String>,
}

impl Deployment {
    fn breaks(&self, breach: Breach) -> bool {
        self.breaches.contains(&breach)
    }
}

/// A configured provider, with what its config resolves to at the release.
struct Provider {
    id: &'static str,
    kind: &'static str,
    display_name: &'static str,
    display_icon: &'static str,
    device: bool,
    app_install_url: &'static str,
}

const PROVIDERS: [Provider; 2] = [
    Provider {
        id: "github",
        kind: "github",
        display_name: "GitHub",
        display_icon: "/icon/github.svg",
        device: true,
        app_install_url: "https://github.com/apps/coder-fixture/installations/new",
    },
    Provider {
        id: "gitlab",
        kind: "gitlab",
        display_name: "GitLab",
        display_icon: "/icon/gitlab.svg",
        device: false,
        app_install_url: "",
    },
];

/// A JSON object written as Go's encoder writes a struct: keys in field order, compact.
struct GoObject(String);

impl GoObject {
    fn new() -> Self {
        Self(String::from("{"))
    }

    fn raw(mut self, key: &str, json: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&go_string(key));
        self.0.push(':');
        self.0.push_str(json);
        self
    }

    fn str(self, key: &str, value: &str) -> Self {
        let value = go_string(value);
        self.raw(key, &value)
    }

    fn bool(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    fn int(self, key: &str, value: i64) -> Self {
        self.raw(key, &value.to_string())
    }

    fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// A string as Go's `json.Encoder` with HTML escaping writes it.
fn go_string(value: &str) -> String {
    serde_json::to_string(value)
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A response under construction: status, headers, body bytes.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Answer {
    /// `httpapi.Write`: the JSON, a newline, and the JSON content type.
    fn json(status: u16, json: String) -> Self {
        let mut body = json.into_bytes();
        body.push(b'\n');
        Self {
            status,
            headers: vec![("Content-Type", "application/json; charset=utf-8".to_owned())],
            body,
        }
    }

    /// A `codersdk.Response` (`detail` omitted when empty).
    fn error(status: u16, message: &str, detail: &str) -> Self {
        let mut body = GoObject::new().str("message", message);
        if !detail.is_empty() {
            body = body.str("detail", detail);
        }
        Self::json(status, body.done())
    }

    /// `http.Error`: text/plain, the text and a newline.
    fn text(status: u16, text: &str) -> Self {
        Self {
            status,
            headers: vec![
                ("Content-Type", "text/plain; charset=utf-8".to_owned()),
                ("X-Content-Type-Options", "nosniff".to_owned()),
            ],
            body: format!("{text}\n").into_bytes(),
        }
    }

    /// `rw.WriteHeader(status)`: nothing else.
    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

async fn handle(
    State(deployment): State<Arc<Deployment>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    match deployment.weather {
        Some(Weather::GatewayDown) => {
            return Response::builder()
                .status(503)
                .header("Content-Type", "text/html")
                .body(Body::from(
                    "<html><body><h1>503 Service Unavailable</h1></body></html>\n",
                ))
                .unwrap();
        }
        Some(Weather::RateLimitedOnce) => {
            let first = deployment
                .state
                .lock()
                .unwrap()
                .rate_limited_paths
                .insert(parts.uri.path().to_owned());
            if first {
                return Response::builder()
                    .status(429)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("Retry-After", "1")
                    .body(Body::from(
                        "{\"message\":\"You've been rate limited for sending more than 512 requests in 1m0s.\"}\n",
                    ))
                    .unwrap();
            }
        }
        // Only an authenticated list refreshes tokens; a 401 comes at once.
        Some(Weather::SlowList(delay))
            if parts.method == Method::GET
                && parts.uri.path() == "/api/v2/external-auth"
                && header_text(&parts.headers, "Coder-Session-Token").as_deref()
                    == Some(SESSION_TOKEN) =>
        {
            tokio::time::sleep(delay).await;
        }
        _ => {}
    }
    let answer = route(
        &deployment,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        peer,
    );
    let (answer, rate_headers) = answer;
    let mut builder = Response::builder().status(StatusCode::from_u16(answer.status).unwrap());
    // The root middleware adds these before anything can answer.
    if deployment.build_header {
        builder = builder.header("X-Coder-Build-Version", deployment.release.build_version);
    }
    builder = builder.header("X-Content-Type-Options", "nosniff");
    for (name, value) in rate_headers.into_iter().chain(answer.headers) {
        if name == "X-Content-Type-Options" {
            continue;
        }
        builder = builder.header(name, HeaderValue::from_str(&value).unwrap());
    }
    builder.body(Body::from(answer.body)).unwrap()
}

type RateHeaders = Vec<(&'static str, String)>;

/// Routes as coderd's chi tree does: CSRF, then `/api/v2` (rate limit), then auth, then the
/// provider lookup, then the handler.
fn route(
    deployment: &Deployment,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    peer: SocketAddr,
) -> (Answer, RateHeaders) {
    let path = uri.path();
    let query = uri.query().unwrap_or_default();
    if let Some(answer) = csrf(deployment, method, path, query, headers) {
        return (answer, Vec::new());
    }
    let Some(rest) = path.strip_prefix("/api/v2") else {
        return (Answer::text(404, "404 page not found"), Vec::new());
    };
    let token = token_from_request(deployment, headers, query);
    let valid_token = token.as_deref() == Some(SESSION_TOKEN);
    let rate_headers = rate_limit(deployment, peer, path, valid_token);

    let answer = if rest == "/buildinfo" {
        match *method {
            Method::GET => build_info(deployment),
            _ => Answer::empty(405).header("Allow", "GET".to_owned()),
        }
    } else if let Some(rest) = rest.strip_prefix("/external-auth") {
        external_auth(deployment, method, rest, token.as_deref(), body)
    } else if matches!(
        rest,
        "/workspaceagents/me/external-auth" | "/workspaceagents/me/gitauth"
    ) {
        workspace_agent(token.as_deref())
    } else if let Some(version) = rest
        .strip_prefix("/templateversions/")
        .and_then(|rest| rest.strip_suffix("/external-auth"))
    {
        template_version(deployment, token.as_deref(), version)
    } else {
        Answer::error(404, "Route not found.", "")
    };
    (answer, rate_headers)
}

/// `httpmw.CSRF`: a state-changing request carrying the session cookie must prove it came
/// from the cookie's owner (header or query equal to the cookie, or a Bearer header).
fn csrf(
    deployment: &Deployment,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Option<Answer> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) || !path.starts_with("/api")
    {
        return None;
    }
    let cookie = cookie(headers, "coder_session_token")?;
    let header_token = header_text(headers, "Coder-Session-Token");
    if header_token.as_deref() == Some(cookie.as_str())
        || query_value(query, "coder_session_token").as_deref() == Some(cookie.as_str())
    {
        return None;
    }
    let bearer = header_text(headers, "Authorization")
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("bearer "));
    if bearer && deployment.release.minor >= 25 {
        return None;
    }
    if header_token.is_some() {
        return Some(Answer::text(
            400,
            "CSRF error encountered. Authentication via \"coder_session_token\" cookie and \
             \"Coder-Session-Token\" header detected, but the values do not match. Please \
             remove one of these authentication methods or ensure they match.",
        ));
    }
    Some(Answer::text(
        400,
        "Something is wrong with your CSRF token. Please refresh the page. If this error \
         persists, try clearing your cookies.",
    ))
}

/// `APITokenFromRequest`: cookie, `?coder_session_token=`, `Coder-Session-Token`, then
/// (v2.25+) `Authorization: Bearer` and `?access_token=`; the first non-empty wins.
fn token_from_request(deployment: &Deployment, headers: &HeaderMap, query: &str) -> Option<String> {
    if let Some(value) = cookie(headers, "coder_session_token").filter(|v| !v.is_empty()) {
        return Some(value);
    }
    if let Some(value) = query_value(query, "coder_session_token").filter(|v| !v.is_empty()) {
        return Some(value);
    }
    if let Some(value) = header_text(headers, "Coder-Session-Token").filter(|v| !v.is_empty()) {
        return Some(value);
    }
    let trim = |value: &str| {
        if deployment.release.trims_bearer() {
            value.trim().to_owned()
        } else {
            value.to_owned()
        }
    };
    // net/http trims the header value itself.
    if let Some(value) = header_text(headers, "Authorization").map(|v| v.trim().to_owned())
        && value.to_ascii_lowercase().starts_with("bearer ")
    {
        return Some(trim(&value[7..]));
    }
    query_value(query, "access_token")
        .filter(|v| !v.is_empty())
        .map(|v| trim(&v))
}

/// `ExtractAPIKey` for the one user: `Err` is the 401 it writes.
fn authenticate(deployment: &Deployment, token: Option<&str>) -> Result<(), Answer> {
    let detail = match token {
        None | Some("") => {
            "Cookie \"coder_session_token\" or query parameter must be provided.".to_owned()
        }
        Some(token) => match split_api_token(token) {
            Err(why) => format!("Invalid API key format: {why}"),
            Ok((id, _)) if id != KEY_ID => "API key is invalid.".to_owned(),
            Ok((_, secret)) if secret != KEY_SECRET => "API key secret is invalid.".to_owned(),
            Ok(_) => return Ok(()),
        },
    };
    // SignedOutErrorMessage says "expired", so every one of these gets that challenge.
    let challenge = format!(
        "Bearer realm=\"coder\", error=\"invalid_token\", error_description=\"The access token \
         has expired\", resource_metadata={}",
        go_quote(&format!(
            "{}/.well-known/oauth-protected-resource",
            deployment.access_url
        ))
    );
    let answer = Answer::error(401, SIGNED_OUT, &detail);
    if deployment.breaks(Breach::NoChallenge) {
        return Err(answer);
    }
    Err(answer.header("WWW-Authenticate", challenge))
}

/// The agent route's own authentication (`httpmw.ExtractWorkspaceAgentAndLatestBuild`): this
/// deployment has no workspace agents, so a well-formed agent token is never authorized. No
/// `WWW-Authenticate` on any of these.
fn workspace_agent(token: Option<&str>) -> Answer {
    match token {
        None | Some("") => {
            Answer::error(401, "Cookie \"coder_session_token\" must be provided.", "")
        }
        Some(token) if !is_uuid(token) => Answer::error(
            401,
            "Workspace agent token invalid.",
            &format!(
                "An agent token must be a valid UUIDv4. (len {})",
                token.len()
            ),
        ),
        Some(_) => Answer::error(
            401,
            "Workspace agent not authorized.",
            "The agent cannot authenticate until the workspace provision job has been completed. \
             If the job is no longer running, this agent is invalid.",
        ),
    }
}

/// A template version's providers: session authentication, then the id as a UUID (google/uuid's
/// `Parse`), then the lookup; this deployment has no template versions.
fn template_version(deployment: &Deployment, token: Option<&str>, id: &str) -> Answer {
    if let Err(answer) = authenticate(deployment, token) {
        return answer;
    }
    if !is_uuid(id) {
        let detail = if [32, 36, 38, 45].contains(&id.len()) {
            "invalid UUID format".to_owned()
        } else {
            format!("invalid UUID length: {}", id.len())
        };
        return Answer::error(400, &format!("Invalid UUID {}.", go_quote(id)), &detail);
    }
    Answer::error(404, NOT_FOUND, "")
}

/// The canonical 36-character form: hex in 8-4-4-4-12 groups.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `SplitAPIToken`.
fn split_api_token(token: &str) -> Result<(&str, &str), String> {
    let parts: Vec<&str> = token.split('-').collect();
    if parts.len() != 2 {
        return Err(format!(
            "incorrect amount of API key parts, expected 2 got {}",
            parts.len()
        ));
    }
    if parts[0].len() != 10 {
        return Err(format!(
            "invalid API key ID length, expected 10 got {}",
            parts[0].len()
        ));
    }
    if parts[1].len() != 22 {
        return Err(format!(
            "invalid API key secret length, expected 22 got {}",
            parts[1].len()
        ));
    }
    Ok((parts[0], parts[1]))
}

/// Go's `%q` for the ASCII strings used here.
fn go_quote(value: &str) -> String {
    format!("{value:?}")
}

/// httprate's headers (512 a minute): keyed by IP and path before v2.32, by user and path
/// for a valid token from v2.32. Nothing here sends 512 requests, so no 429 is written.
fn rate_limit(deployment: &Deployment, peer: SocketAddr, path: &str, valid: bool) -> RateHeaders {
    let who = if deployment.release.per_user_rate_limit() && valid {
        USER_ID.to_owned()
    } else {
        peer.ip().to_string()
    };
    let key = format!("{who}:{path}:");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let window = now - now % 60;
    let mut state = deployment.state.lock().unwrap();
    let entry = state.windows.entry(key).or_insert((window, 0));
    if entry.0 != window {
        *entry = (window, 0);
    }
    entry.1 += 1;
    vec![
        ("X-RateLimit-Limit", RATE_LIMIT.to_string()),
        (
            "X-RateLimit-Remaining",
            RATE_LIMIT.saturating_sub(entry.1).to_string(),
        ),
        ("X-RateLimit-Reset", (window + 60).to_string()),
    ]
}

/// `GET /api/v2/buildinfo`: no auth.
fn build_info(deployment: &Deployment) -> Answer {
    let release = &deployment.release;
    let mut body = GoObject::new()
        .str(
            "external_url",
            &format!("https://github.com/coder/coder/commit/{}", release.commit),
        )
        .str("version", release.build_version)
        .str("dashboard_url", &deployment.access_url)
        .bool("telemetry", true)
        .bool("workspace_proxy", false)
        .str("agent_api_version", "1.0")
        .str("provisioner_api_version", release.provisioner_api_version)
        .str("upgrade_message", "")
        .str("deployment_id", DEPLOYMENT_ID);
    if release.webpush() {
        body = body.str(
            "webpush_public_key",
            "BKp3Yd0FQ2x7n1sVw9LmC4tR8uJ6eH5aZ0bN2cM7vX1yT3kP9oI4gU8fE6dS2aQ5wR7tY0uI3oP6aS9dF2gH4jK",
        );
    }
    Answer::json(200, body.done())
}

/// Everything under `/api/v2/external-auth`: auth, then the provider, then the handler.
fn external_auth(
    deployment: &Deployment,
    method: &Method,
    rest: &str,
    token: Option<&str>,
    body: &[u8],
) -> Answer {
    if let Err(answer) = authenticate(deployment, token) {
        return answer;
    }
    if rest.is_empty() || rest == "/" {
        return match *method {
            Method::GET => list(deployment),
            _ => Answer::empty(405).header("Allow", "GET".to_owned()),
        };
    }
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let (id, sub) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(provider) = PROVIDERS.iter().find(|provider| provider.id == id) else {
        if deployment.breaks(Breach::UnknownProviderIs400) {
            return Answer::error(400, &format!("Unknown external auth provider {id:?}."), "");
        }
        if deployment.breaks(Breach::NotFoundAsText) {
            return Answer::text(404, "404 page not found");
        }
        return Answer::error(404, NOT_FOUND, "");
    };
    match (sub, method.clone()) {
        ("", Method::GET) => by_id(deployment, provider),
        ("", Method::DELETE) => delete(deployment, provider),
        ("", _) => Answer::empty(405).header("Allow", "DELETE, GET".to_owned()),
        ("device", Method::GET) => device(deployment, provider),
        ("device", Method::POST) => exchange(deployment, provider, body),
        ("device", _) => Answer::empty(405).header("Allow", "GET, POST".to_owned()),
        _ => Answer::error(404, "Route not found.", ""),
    }
}

/// `supports_revocation` of a provider in the list at this release: from v2.28 GitHub (its
/// client id is set) and gitlab.com have default revoke URLs; at v2.27 none is applied.
fn revocable(deployment: &Deployment, _provider: &Provider) -> bool {
    deployment.release.default_revoke_urls()
}

/// `GET /api/v2/external-auth`.
fn list(deployment: &Deployment) -> Answer {
    let release = &deployment.release;
    let providers: Vec<String> = PROVIDERS
        .iter()
        .map(|provider| {
            let mut row = GoObject::new()
                .str("id", provider.id)
                .str("type", provider.kind)
                .bool("device", provider.device)
                .str("display_name", provider.display_name)
                .str("display_icon", provider.display_icon)
                .bool("allow_refresh", true)
                .bool("allow_validate", true);
            if release.sends_supports_revocation()
                || deployment.breaks(Breach::ListSendsSupportsRevocation)
            {
                row = row.bool("supports_revocation", revocable(deployment, provider));
            }
            if (release.sends_code_challenge_methods()
                || deployment.breaks(Breach::ListSendsCodeChallengeMethods))
                && !deployment.breaks(Breach::ListOmitsCodeChallengeMethods)
            {
                row = row.raw("code_challenge_methods_supported", "[\"S256\"]");
            }
            row.done()
        })
        .collect();
    let mut links = Vec::new();
    if deployment.state.lock().unwrap().github_linked {
        let mut link = GoObject::new()
            .str("provider_id", "github")
            .str("created_at", release.linked_at)
            .str("updated_at", release.linked_at)
            .bool("has_refresh_token", false)
            .str("expires", "0001-01-01T00:00:00Z")
            .bool("authenticated", true);
        if !deployment.breaks(Breach::LinkOmitsValidateError) {
            link = link.str("validate_error", "");
        }
        links.push(link.done());
    }
    Answer::json(
        200,
        GoObject::new()
            .raw("providers", &format!("[{}]", providers.join(",")))
            .raw("links", &format!("[{}]", links.join(",")))
            .done(),
    )
}

/// The GitHub user octocat as go-github reports it.
fn octocat(deployment: &Deployment) -> String {
    let mut user = GoObject::new()
        .int("id", 583231)
        .str("login", "octocat")
        .str(
            "avatar_url",
            "https://avatars.githubusercontent.com/u/583231?v=4",
        )
        .str("profile_url", "https://github.com/octocat")
        .str("name", "The Octocat");
    if deployment.breaks(Breach::UserSendsEmail) {
        user = user.str("email", "octocat@github.com");
    }
    user.done()
}

/// The account an app installation is on, as go-github reports it.
fn installation_account(deployment: &Deployment) -> String {
    let mut account = GoObject::new()
        .int("id", 583231)
        .str("login", "octocat")
        .str(
            "avatar_url",
            "https://avatars.githubusercontent.com/u/583231?v=4",
        )
        .str("profile_url", "https://github.com/octocat")
        .str("name", "");
    if deployment.breaks(Breach::AccountSendsEmail) {
        account = account.str("email", "octocat@github.com");
    }
    account.done()
}

/// `GET /api/v2/external-auth/{id}`.
fn by_id(deployment: &Deployment, provider: &Provider) -> Answer {
    let linked = provider.id == "github" && deployment.state.lock().unwrap().github_linked;
    let mut body = GoObject::new()
        .bool("authenticated", linked)
        .bool("device", provider.device)
        .str("display_name", provider.display_name);
    if deployment.release.sends_supports_revocation()
        && !deployment.breaks(Breach::ByIdOmitsSupportsRevocation)
    {
        // Never set by the handler.
        body = body.bool("supports_revocation", false);
    }
    let body = if linked {
        // The token validates against api.github.com/user, and /user/installations answers
        // 200 with one installation of the app on octocat's account.
        let installation = GoObject::new()
            .int("id", 41234567)
            .raw("account", &installation_account(deployment))
            .str(
                "configure_url",
                "https://github.com/settings/installations/41234567",
            )
            .done();
        body.raw("user", &octocat(deployment))
            .bool("app_installable", true)
            .raw("installations", &format!("[{installation}]"))
    } else {
        body.raw("user", "null")
            .bool("app_installable", false)
            .raw("installations", "[]")
    };
    Answer::json(
        200,
        body.str("app_install_url", provider.app_install_url).done(),
    )
}

/// `DELETE /api/v2/external-auth/{id}`.
fn delete(deployment: &Deployment, provider: &Provider) -> Answer {
    let release = &deployment.release;
    let had_link = {
        let mut state = deployment.state.lock().unwrap();
        let had = provider.id == "github" && state.github_linked;
        if had {
            state.github_linked = false;
        }
        had
    };
    if !had_link {
        if release.delete_rewritten() && !deployment.breaks(Breach::MissingLinkDeleteIs500) {
            return Answer::error(404, NOT_FOUND, "");
        }
        // The dbauthz pre-fetch finds no row; the inverted branch makes it a 500.
        return Answer::error(
            500,
            "Failed to delete external auth link.",
            "fetch object: sql: no rows in result set",
        );
    }
    if (!release.delete_rewritten() && !deployment.breaks(Breach::DeleteAnswersObject))
        || deployment.breaks(Breach::DeleteAnswersOk)
    {
        return Answer::json(200, go_string("OK"));
    }
    // From v2.28 GitHub's grant endpoint answers 204 to the revocation; at v2.27 there is no
    // revoke URL and nothing is called.
    let revoked = revocable(deployment, provider) && release.delete_rewritten();
    Answer::json(200, GoObject::new().bool("token_revoked", revoked).done())
}

/// `GET /api/v2/external-auth/{id}/device`: GitHub hands out a new code on every call.
fn device(deployment: &Deployment, provider: &Provider) -> Answer {
    if !provider.device {
        return Answer::error(400, "Git auth device flow not supported.", "");
    }
    let (device_code, user_code) = {
        let mut state = deployment.state.lock().unwrap();
        state.next_device_code += 1;
        let n = state.next_device_code;
        let device_code = format!("3584d83530557fdd1f46af8289938c8e{n:08x}");
        let user_code = format!("WDJB-{:04X}", 0x4D00 + n);
        state.issued_device_codes.insert(device_code.clone());
        (device_code, user_code)
    };
    Answer::json(
        200,
        GoObject::new()
            .str("device_code", &device_code)
            .str("user_code", &user_code)
            .str("verification_uri", "https://github.com/login/device")
            .int("expires_in", 899)
            .int("interval", 5)
            .done(),
    )
}

/// `POST /api/v2/external-auth/{id}/device`: the body first, then device support, then
/// GitHub's answer (200 with an `error` code, whose code becomes the detail).
fn exchange(deployment: &Deployment, provider: &Provider, body: &[u8]) -> Answer {
    let code = match decode_exchange(body) {
        Ok(code) => code,
        Err(detail) => return Answer::error(400, "Request body must be valid JSON.", &detail),
    };
    if !provider.device {
        return Answer::error(400, "Git auth provider does not support device flow.", "");
    }
    let issued = deployment
        .state
        .lock()
        .unwrap()
        .issued_device_codes
        .contains(&code);
    // Nobody approves in a test: an issued code stays pending.
    let error = if issued {
        "authorization_pending"
    } else {
        "incorrect_device_code"
    };
    Answer::error(400, "Failed to exchange device code.", error)
}

/// `json.NewDecoder(r.Body).Decode(&ExternalAuthDeviceExchange{})`: only the first value is
/// read; unknown fields are ignored. The texts are Go's for the common cases.
fn decode_exchange(body: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    if trimmed.is_empty() {
        return Err("EOF".to_owned());
    }
    let mut values = serde_json::Deserializer::from_str(trimmed).into_iter::<serde_json::Value>();
    let value = match values.next() {
        Some(Ok(value)) => value,
        Some(Err(err)) if err.is_eof() => return Err("unexpected EOF".to_owned()),
        Some(Err(_)) | None => {
            let first = trimmed.chars().next().unwrap_or(' ');
            return Err(format!(
                "invalid character '{first}' looking for beginning of value"
            ));
        }
    };
    let kind = |value: &serde_json::Value| match value {
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
        serde_json::Value::Null => "null",
    };
    match value {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::Object(map) => match map.get("device_code") {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(code)) => Ok(code.clone()),
            Some(other) => Err(format!(
                "json: cannot unmarshal {} into Go struct field ExternalAuthDeviceExchange.device_code of type string",
                kind(other)
            )),
        },
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type codersdk.ExternalAuthDeviceExchange",
            kind(&other)
        )),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The first value of `name` in the query, percent-decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 2;
            }
            (byte, _, _) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
