//! The test-side handle on a running imitation: approve or deny device codes, seed and remove
//! links, inject provider faults and add API keys, all through the server's own state.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;

use super::auth::{self, Session};
use super::config::LinkSeed;
use super::shared::Shared;
use super::state::Link;
use crate::{AgentToken, SessionToken};

/// Template versions the imitation keeps (oldest first out; those it started with count):
/// each may reference providers, so a client adding them for ever must not grow it for ever.
pub const MAX_TEMPLATE_VERSIONS: usize = 1_000;
/// API keys the control API may add (oldest added first out; the keys the server started
/// with, the printed token's among them, are never evicted).
pub const MAX_ADDED_SESSIONS: usize = 10_000;
/// Workspace agents the control API may add (oldest added first out).
pub const MAX_ADDED_AGENTS: usize = 10_000;
/// Links to unconfigured providers the control API may add (oldest added first out).
pub const MAX_UNCONFIGURED_LINKS: usize = 1_000;

/// A cheap, clonable handle onto a running imitation's state.
#[derive(Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("addr", &self.shared.addr)
            .finish()
    }
}

impl Control {
    /// Approves the pending device authorization with this user code (case-insensitive);
    /// false when there is none, or it was already decided or has expired.
    pub fn approve(&self, user_code: &str) -> bool {
        self.shared
            .lock()
            .devices
            .decide(user_code, true, Instant::now())
    }

    /// Denies it, so polls answer `access_denied`.
    pub fn deny(&self, user_code: &str) -> bool {
        self.shared
            .lock()
            .devices
            .decide(user_code, false, Instant::now())
    }

    /// Expires every outstanding device code, so polls answer `expired_token`.
    pub fn expire_device_codes(&self) {
        self.shared.lock().devices.expire_all(Instant::now());
    }

    /// User codes awaiting approval, oldest first.
    pub fn pending_user_codes(&self) -> Vec<String> {
        self.shared
            .lock()
            .devices
            .pending_user_codes(Instant::now())
    }

    /// After how many polls a device code is approved with no one approving it
    /// (`ImitationBuilder::auto_approve_after`), if it is.
    pub fn auto_approve_after(&self) -> Option<u32> {
        self.shared.lock().device_settings.auto_approve_after
    }

    /// How many device authorizations the server keeps (pending, decided or expired but not
    /// yet used up or forgotten); never more than the documented cap of 10,000.
    pub fn device_code_count(&self) -> usize {
        self.shared.lock().devices.len()
    }

    /// Creates or replaces the caller's link to a configured provider; false when no such
    /// provider is configured.
    pub fn link(&self, provider_id: &str, link: LinkSeed) -> bool {
        let mut state = self.shared.lock();
        if state.provider(provider_id).is_none() {
            return false;
        }
        state.upsert_link(Link::from_seed(provider_id, &link, Utc::now()));
        true
    }

    /// Creates a link to a provider id that is not configured (a provider removed from the
    /// deployment after the user linked it); the list still shows such rows.
    pub fn link_unconfigured(&self, provider_id: &str, link: LinkSeed) {
        let mut state = self.shared.lock();
        let new = state.link_index(provider_id).is_none();
        state.upsert_link(Link::from_seed(provider_id, &link, Utc::now()));
        if new {
            state
                .added
                .unconfigured_links
                .push_back(provider_id.to_owned());
        }
        while state.added.unconfigured_links.len() > MAX_UNCONFIGURED_LINKS {
            if let Some(oldest) = state.added.unconfigured_links.pop_front()
                && state.provider(&oldest).is_none()
                && let Some(index) = state.link_index(&oldest)
            {
                state.links.remove(index);
            }
        }
    }

    /// Removes the caller's link; false when there was none.
    pub fn unlink(&self, provider_id: &str) -> bool {
        let mut state = self.shared.lock();
        match state.link_index(provider_id) {
            Some(i) => {
                state.links.remove(i);
                true
            }
            None => false,
        }
    }

    /// Whether a provider with this id is configured.
    pub fn has_provider(&self, provider_id: &str) -> bool {
        self.shared.lock().provider(provider_id).is_some()
    }

    /// Ids of the providers the caller is linked to, in list order.
    pub fn linked_providers(&self) -> Vec<String> {
        let state = self.shared.lock();
        state.links.iter().map(|l| l.provider_id.clone()).collect()
    }

    /// While on, the provider's validate URL answers 500: GET by id gives 500
    /// `Failed to validate token.` and the list a `validate external auth token: ...` error.
    pub fn fail_validation(&self, provider_id: &str, fail: bool) -> bool {
        self.fault(provider_id, |f| f.fail_validation = fail)
    }

    /// While on, the provider's revoke URL answers 403: DELETE still unlinks, with
    /// `token_revoked:false` and a `token_revocation_error`.
    pub fn fail_revocation(&self, provider_id: &str, fail: bool) -> bool {
        self.fault(provider_id, |f| f.fail_revocation = fail)
    }

    /// While on, the provider rejects the linked token (as after a revocation at the
    /// provider): GET by id gives `authenticated:false`, the list `token failed to validate`.
    pub fn reject_token(&self, provider_id: &str, reject: bool) -> bool {
        self.fault(provider_id, |f| f.reject_token = reject)
    }

    fn fault(&self, provider_id: &str, set: impl FnOnce(&mut super::state::Faults)) -> bool {
        match self.shared.lock().provider_mut(provider_id) {
            Some(provider) => {
                set(&mut provider.faults);
                true
            }
            None => false,
        }
    }

    /// Adds an API key. The token must have Coder's format (`<10 chars>-<22 chars>`); false
    /// otherwise. A second key with the same id replaces the first, which is how a test
    /// makes a "wrong secret" token: add one, then present another secret.
    pub fn add_session(&self, token: &str, expires_at: DateTime<Utc>) -> bool {
        let Ok((id, secret)) = auth::split_token(token) else {
            return false;
        };
        let mut state = self.shared.lock();
        let replaced = state.sessions.insert(
            id.to_owned(),
            Session {
                secret: secret.to_owned(),
                expires_at: crate::imitation::gotime::db_time(expires_at),
            },
        );
        if replaced.is_none() {
            state.added.sessions.push_back(id.to_owned());
        }
        while state.added.sessions.len() > MAX_ADDED_SESSIONS {
            if let Some(oldest) = state.added.sessions.pop_front() {
                state.sessions.remove(&oldest);
            }
        }
        true
    }

    /// Creates a new random API key expiring at `expires_at`.
    pub fn new_session(&self, expires_at: DateTime<Utc>) -> SessionToken {
        let token = random_token();
        self.add_session(token.expose(), expires_at);
        token
    }

    /// Turns Coder's API rate limit on (`requests` per `window`, per caller and path) or off,
    /// with fresh counters.
    pub fn set_rate_limit(&self, limit: Option<(u32, std::time::Duration)>) {
        self.shared.lock().limiter =
            limit.map(|(requests, window)| super::ratelimit::RateLimiter::new(requests, window));
    }

    /// Returns to the state the server started in: configured providers without faults,
    /// their initial links, the initial API keys (the printed token stays valid, its lifetime
    /// counted afresh), no device codes, the initial rate limit with fresh counters.
    pub fn reset(&self) {
        let fresh = self.shared.seed.state(Utc::now());
        *self.shared.lock() = fresh;
    }

    /// Adds a workspace agent of the one user with a new random token, and returns it.
    pub fn new_agent(&self, scope: super::AgentScope) -> AgentToken {
        let token = super::uuid::new_v4();
        let mut state = self.shared.lock();
        state.agents.agents.insert(token.clone(), scope);
        state.added.agents.push_back(token.clone());
        while state.added.agents.len() > MAX_ADDED_AGENTS {
            if let Some(oldest) = state.added.agents.pop_front() {
                state.agents.agents.remove(&oldest);
            }
        }
        AgentToken::new(token)
    }

    /// Removes an agent (its token then answers 401 `Workspace agent not authorized.`);
    /// false when there was none.
    pub fn remove_agent(&self, token: &AgentToken) -> bool {
        let Ok(id) = super::uuid::parse(token.expose()) else {
            return false;
        };
        self.shared.lock().agents.agents.remove(&id).is_some()
    }

    /// Adds or replaces a template version (any UUID form Coder accepts; false otherwise)
    /// referencing these providers in this order, configured or not.
    pub fn template_version(&self, id: &str, references: Vec<super::ProviderReference>) -> bool {
        let Ok(id) = super::uuid::parse(id) else {
            return false;
        };
        let mut state = self.shared.lock();
        let versions = &mut state.agents.template_versions;
        match versions.iter_mut().find(|(v, _)| *v == id) {
            Some(existing) => existing.1 = references,
            None => versions.push((id, references)),
        }
        if versions.len() > MAX_TEMPLATE_VERSIONS {
            let excess = versions.len() - MAX_TEMPLATE_VERSIONS;
            versions.drain(..excess);
        }
        true
    }

    /// Removes a template version; false when there was none.
    pub fn remove_template_version(&self, id: &str) -> bool {
        let Ok(id) = super::uuid::parse(id) else {
            return false;
        };
        let mut state = self.shared.lock();
        let versions = &mut state.agents.template_versions;
        let before = versions.len();
        versions.retain(|(v, _)| *v != id);
        versions.len() != before
    }

    /// While on, refreshing the provider's expired tokens fails (its token endpoint is down):
    /// the agent route and the template-version route answer 500
    /// `Failed to refresh external auth token.` for an expired, refreshable link (a `listen`
    /// request waits instead). False when no such provider is configured.
    pub fn fail_refresh(&self, provider_id: &str, fail: bool) -> bool {
        let mut state = self.shared.lock();
        if state.provider(provider_id).is_none() {
            return false;
        }
        let failing = &mut state.agents.failing_refresh;
        if fail {
            failing.insert(provider_id.to_owned());
        } else {
            failing.remove(provider_id);
        }
        true
    }

    /// Removes the API key with this token's id; false when there was none.
    pub fn remove_session(&self, token: &str) -> bool {
        let id = token.split('-').next().unwrap_or_default();
        self.shared.lock().sessions.remove(id).is_some()
    }
}

/// A random token in Coder's format.
pub(crate) fn random_token() -> SessionToken {
    let mut rng = rand::rng();
    let mut part = |n: usize| -> String {
        (&mut rng)
            .sample_iter(Alphanumeric)
            .take(n)
            .map(char::from)
            .collect()
    };
    let id = part(10);
    let secret = part(22);
    SessionToken::new(format!("{id}-{secret}"))
}
