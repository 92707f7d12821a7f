//! An embedded imitation of Coder's external-auth ("Git") API: a real axum HTTP server on
//! loopback that answers the five `Git` operations as coderd does (coder-contract.md), and the
//! workspace agent's and a template version's external-auth routes (`agent.rs`), for the
//! conformance tool's default target and as a test double.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use coder_external_auth::imitation::Imitation;
//!
//! let server = Imitation::start().await?;
//! let client = coder_external_auth::ClientBuilder::new(server.base_url())
//!     .session_token(server.session_token().clone())
//!     .build()
//!     .expect("client");
//! let list = client.get_user_external_auths().await.expect("list");
//! assert_eq!(list.providers[0].id, "github");
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod agent;
mod agent_state;
mod auth;
mod config;
mod control;
mod csrf;
mod device;
mod file;
mod gojson;
mod gotime;
mod handlers;
mod host;
mod http_control;
mod listener;
mod ratelimit;
mod release;
mod reply;
mod routing;
mod service;
mod shared;
mod state;
mod uuid;
mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use agent::{LISTEN_MAX_WAIT, LISTEN_POLL_INTERVAL};
pub use agent_state::{
    AgentScope, ProviderReference, TEMPLATE_VERSION_WITH_PROVIDERS,
    TEMPLATE_VERSION_WITH_REMOVED_PROVIDER, TEMPLATE_VERSION_WITHOUT_PROVIDERS,
};
pub use config::{AppInstallation, Expiry, LinkSeed, ProviderConfig, ProviderUser, default_regex};
pub use control::{
    Control, MAX_ADDED_AGENTS, MAX_ADDED_SESSIONS, MAX_TEMPLATE_VERSIONS, MAX_UNCONFIGURED_LINKS,
};
pub use file::ConfigError;
pub use release::{Behaviour, DEFAULT_REVOKE_TYPES, RELEASE_CHANGES, ReleaseChange, build_version};
pub use shared::ResponseHook;

use crate::{AgentToken, CoderVersion, SessionToken};
use device::DeviceSettings;
use listener::Limits;
use release::Release;
use shared::Shared;
use state::Seed;

/// How long the default API key lives (Coder's default session duration).
const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

/// Configures an [`Imitation`]. The default is Coder-like: providers `github` (device flow,
/// linked, never expires), `gitlab` (linked, refreshable, expires in 2 h), `azure-devops`
/// (not linked) and `gitea` (linked, expired an hour ago, not refreshable); no rate limit;
/// device `interval` 5 s, enforced.
#[derive(Clone)]
pub struct ImitationBuilder {
    providers: Vec<ProviderConfig>,
    rate_limit: Option<(u32, Duration)>,
    device: DeviceSettings,
    hook: Option<ResponseHook>,
    coder_version: CoderVersion,
    limits: Limits,
    orphan_links: Vec<(String, LinkSeed)>,
    sessions: Vec<(String, chrono::Duration)>,
    http_control: bool,
    agents: Vec<(AgentToken, AgentScope)>,
    template_versions: Vec<(String, Vec<ProviderReference>)>,
    listen_max_wait: Duration,
}

impl std::fmt::Debug for ImitationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImitationBuilder")
            .field("providers", &self.providers)
            .field("rate_limit", &self.rate_limit)
            .field("device", &self.device)
            .field("hook", &self.hook.is_some())
            .field("coder_version", &self.coder_version)
            .field("limits", &self.limits)
            .field("orphan_links", &self.orphan_links)
            .field("sessions", &self.sessions.len())
            .field("http_control", &self.http_control)
            .field("agents", &self.agents)
            .field("template_versions", &self.template_versions)
            .field("listen_max_wait", &self.listen_max_wait)
            .finish()
    }
}

impl Default for ImitationBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImitationBuilder {
    /// The default deployment.
    pub fn new() -> Self {
        Self {
            providers: config::default_providers(),
            rate_limit: None,
            device: DeviceSettings {
                interval: 5,
                expires_in: 899,
                enforce_interval: true,
                auto_approve_after: None,
                token_expires_in: None,
                token_refresh: false,
            },
            hook: None,
            coder_version: CoderVersion::NEWEST_KNOWN,
            limits: Limits::default(),
            orphan_links: Vec::new(),
            sessions: Vec::new(),
            http_control: false,
            agents: Vec::new(),
            template_versions: agent_state::default_template_versions(),
            listen_max_wait: LISTEN_MAX_WAIT,
        }
    }

    /// Adds a workspace agent of the one user besides the generated one, with this token (a
    /// UUID in any form Coder accepts, else `start` fails) and scope.
    pub fn agent(mut self, token: impl Into<AgentToken>, scope: AgentScope) -> Self {
        self.agents.push((token.into(), scope));
        self
    }

    /// Adds a template version (a UUID in any form Coder accepts, else `start` fails)
    /// referencing these providers in this order; a reference to an id that is not configured
    /// makes its external-auth route answer 404. The default deployment has three, see
    /// [`TEMPLATE_VERSION_WITH_PROVIDERS`] and its neighbours.
    pub fn template_version(
        mut self,
        id: impl Into<String>,
        references: Vec<ProviderReference>,
    ) -> Self {
        self.template_versions.push((id.into(), references));
        self
    }

    /// Starts without template versions.
    pub fn no_template_versions(mut self) -> Self {
        self.template_versions.clear();
        self
    }

    /// The longest a `listen` request is held (default [`LISTEN_MAX_WAIT`]; Coder has no
    /// limit).
    pub fn listen_max_wait(mut self, wait: Duration) -> Self {
        self.listen_max_wait = wait;
        self
    }

    /// Adds an API key besides the generated one: `token` in Coder's format
    /// (`<10 chars>-<22 chars>`, else `start` fails), valid for `lifetime` from start (and
    /// from each reset); a negative lifetime makes an already expired key.
    pub fn session(mut self, token: impl Into<String>, lifetime: chrono::Duration) -> Self {
        self.sessions.push((token.into(), lifetime));
        self
    }

    /// A link to a provider id that is not configured (one removed from the deployment after
    /// the user linked it); the list still shows such rows.
    pub fn link_unconfigured(mut self, provider_id: impl Into<String>, link: LinkSeed) -> Self {
        self.orphan_links.push((provider_id.into(), link));
        self
    }

    /// Serves the control API over HTTP under `/__imitation` on the same listener (default
    /// off; see the README's "The imitation from any language"). Only ever on a loopback
    /// address: elsewhere this setting is ignored, since the API needs no credentials.
    pub fn http_control(mut self, on: bool) -> Self {
        self.http_control = on;
        self
    }

    /// The Coder release to imitate (default [`CoderVersion::NEWEST_KNOWN`]): reported as
    /// `v{version}-imitation` in `X-Coder-Build-Version` and `/api/v2/buildinfo`, and its
    /// bodies, statuses, token parsing and rate-limit keys are that release's, as
    /// [`RELEASE_CHANGES`] lists them (the one place that decides them). A release before
    /// 2.25.0, the oldest supported, reports its own version but otherwise answers as 2.25.0.
    pub fn coder_version(mut self, version: CoderVersion) -> Self {
        self.coder_version = version;
        self
    }

    /// Starts from no providers at all (the list answers `{"providers":[],"links":[]}`).
    pub fn no_providers(mut self) -> Self {
        self.providers.clear();
        self
    }

    /// Adds a provider at the end, or replaces the one with the same id in place.
    pub fn provider(mut self, provider: ProviderConfig) -> Self {
        match self.providers.iter_mut().find(|p| p.id == provider.id) {
            Some(existing) => *existing = provider,
            None => self.providers.push(provider),
        }
        self
    }

    /// Turns on Coder's API rate limit: `requests` per `window`, per caller and path (the
    /// caller is the user for a valid token from 2.32.0, else the client IP).
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = Some((requests, window));
        self
    }

    /// Approves a pending device authorization on its `polls`-th POST poll.
    pub fn auto_approve_after(mut self, polls: u32) -> Self {
        self.device.auto_approve_after = Some(polls);
        self
    }

    /// The token a provider issues for an approved device code: its lifetime (`None`, the
    /// default: never expires, as GitHub's device tokens) and whether a refresh token comes
    /// with it (default: no, as GitHub's).
    pub fn device_token(mut self, expires_in: Option<i64>, refresh: bool) -> Self {
        self.device.token_expires_in = expires_in;
        self.device.token_refresh = refresh;
        self
    }

    /// The `interval` GET device reports, in seconds (default 5).
    pub fn device_interval(mut self, secs: i64) -> Self {
        self.device.interval = secs;
        self
    }

    /// The `expires_in` GET device reports and the codes' lifetime, in seconds (default 899).
    pub fn device_expires_in(mut self, secs: i64) -> Self {
        self.device.expires_in = secs;
        self
    }

    /// Whether polling faster than the interval answers `slow_down` (default true).
    pub fn enforce_poll_interval(mut self, on: bool) -> Self {
        self.device.enforce_interval = on;
        self
    }

    /// Rewrites responses before they are sent (drift injection).
    pub fn response_hook(mut self, hook: ResponseHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// How long a request head may take to arrive, counted from when the server starts
    /// waiting for it (a new connection, or the end of the previous response); the connection
    /// is closed when it runs out (default 10 s). Also how long a kept-alive connection may sit
    /// silent.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// How long a connection may go without a byte moving either way before it is closed
    /// (default 30 s): a request body that stops arriving, a client that stops reading.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// Connections served at once (default 256, at least 1); further connections wait to be
    /// accepted until one closes.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections.max(1);
        self
    }

    /// Starts on `127.0.0.1` on a free port.
    pub async fn start(self) -> std::io::Result<Imitation> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`. Must be called inside a tokio runtime; the server runs as a task.
    pub async fn start_on(self, addr: SocketAddr) -> std::io::Result<Imitation> {
        let listener = listener::bind(addr)?;
        let addr = listener.local_addr()?;
        let token = control::random_token();
        for (extra, _) in &self.sessions {
            auth::split_token(extra).map_err(|why| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("session token is not in Coder's format: {why}"),
                )
            })?;
        }
        let mut sessions = vec![(token.expose().to_owned(), SESSION_LIFETIME)];
        sessions.extend(self.sessions);
        let invalid = |what: &str, why: String| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{what} is not a UUID: {why}"),
            )
        };
        let agent_token = AgentToken::new(uuid::new_v4());
        let mut agents = vec![(agent_token.expose().to_owned(), AgentScope::All)];
        for (extra, scope) in &self.agents {
            let id = uuid::parse(extra.expose()).map_err(|why| invalid("agent token", why))?;
            agents.push((id, *scope));
        }
        let mut template_versions = Vec::with_capacity(self.template_versions.len());
        for (id, references) in self.template_versions {
            let id = uuid::parse(&id).map_err(|why| invalid("template version id", why))?;
            template_versions.push((id, references));
        }
        for provider in &self.providers {
            if let Some(source) = &provider.regex {
                // Parsed, not compiled: a provider's regex is compiled when first used.
                regex_syntax::Parser::new().parse(source).map_err(|why| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("provider {:?}: invalid regex: {why}", provider.id),
                    )
                })?;
            }
        }
        let agents = agent_state::AgentSeed {
            agents,
            template_versions,
            access_url: format!("http://{addr}"),
            salt: rand::random(),
            listen_max_wait: self.listen_max_wait,
        };
        let seed = Seed {
            providers: self.providers,
            orphan_links: self.orphan_links,
            device: self.device,
            rate_limit: self.rate_limit,
            sessions,
            agents,
        };
        let (stop, stopped) = watch::channel(false);
        let state = seed.state(Utc::now());
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            hook: self.hook,
            release: Release::new(self.coder_version),
            seed,
            http_control: self.http_control && addr.ip().is_loopback(),
            addr,
            stopped: stopped.clone(),
        });
        let task = tokio::spawn(listener::run(
            listener,
            Arc::clone(&shared),
            self.limits,
            stopped,
        ));
        Ok(Imitation {
            addr,
            base_url: format!("http://{addr}"),
            token,
            agent_token,
            control: Control { shared },
            stop,
            task: Some(task),
        })
    }
}

/// A running imitation. Dropping it stops the server (without waiting);
/// [`shutdown`](Self::shutdown) stops it and waits for open connections to finish.
pub struct Imitation {
    addr: SocketAddr,
    base_url: String,
    token: SessionToken,
    agent_token: AgentToken,
    control: Control,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Imitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Imitation")
            .field("base_url", &self.base_url)
            .field("session_token", &self.token)
            .field("agent_token", &self.agent_token)
            .finish()
    }
}

impl Imitation {
    /// A builder with the default deployment.
    pub fn builder() -> ImitationBuilder {
        ImitationBuilder::new()
    }

    /// The default deployment on `127.0.0.1` on a free port.
    pub async fn start() -> std::io::Result<Imitation> {
        ImitationBuilder::new().start().await
    }

    /// `http://127.0.0.1:PORT`: no trailing slash and no `/api/v2`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A valid API key, random per start, expiring in 24 hours.
    pub fn session_token(&self) -> &SessionToken {
        &self.token
    }

    /// The token of a workspace agent of the same user (scope `all`), random per start: what
    /// the agent route needs.
    pub fn agent_token(&self) -> &AgentToken {
        &self.agent_token
    }

    /// The Coder release it imitates.
    pub fn coder_version(&self) -> CoderVersion {
        self.control.shared.release.version()
    }

    /// Its `X-Coder-Build-Version`, also the `version` of `/api/v2/buildinfo`.
    pub fn build_version(&self) -> &str {
        self.control.shared.release.build_version()
    }

    /// The control API's base URL (`http://127.0.0.1:PORT/__imitation`) when it is served
    /// over HTTP: asked for with [`ImitationBuilder::http_control`] and bound to loopback.
    pub fn control_url(&self) -> Option<String> {
        self.control
            .shared
            .http_control
            .then(|| format!("{}{}", self.base_url, http_control::PREFIX))
    }

    /// A handle onto the server's state.
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// Stops accepting connections and waits for the open ones to finish.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Imitation {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
