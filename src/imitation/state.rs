//! Everything the imitation remembers: the configured providers with their injected faults,
//! the caller's links (the `external_auth_links` rows), the API keys, outstanding device
//! authorizations and the rate-limit counters. One mutex guards it all.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use std::time::Duration;

use super::agent_state::{AgentSeed, AgentState};
use super::auth::{self, Session};
use super::config::{Expiry, LinkSeed, ProviderConfig};
use super::device::{DeviceSettings, DeviceStore};
use super::gotime;
use super::ratelimit::RateLimiter;

/// Faults a test can switch on per provider.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults {
    /// The validate URL answers 500.
    pub fail_validation: bool,
    /// The revoke URL answers 403.
    pub fail_revocation: bool,
    /// The validate URL answers 401: the token was revoked at the provider.
    pub reject_token: bool,
}

/// A configured provider and its faults.
#[derive(Clone, Debug)]
pub(crate) struct Provider {
    pub config: ProviderConfig,
    pub faults: Faults,
    /// `config.regex` compiled when a `match` query first needs it: most runs never ask, and
    /// compiling every provider's regex at every start was a tenth of the embedded check.
    matcher: OnceLock<Option<regex::Regex>>,
}

impl Provider {
    pub fn new(config: ProviderConfig) -> Self {
        Self {
            config,
            faults: Faults::default(),
            matcher: OnceLock::new(),
        }
    }

    /// Whether the provider's regex matches `url` (never, without a regex). The regex was
    /// checked when the imitation started.
    pub fn matches(&self, url: &str) -> bool {
        self.matcher
            .get_or_init(|| {
                self.config
                    .regex
                    .as_deref()
                    .and_then(|source| regex::Regex::new(source).ok())
            })
            .as_ref()
            .is_some_and(|regex| regex.is_match(url))
    }
}

/// One `external_auth_links` row for the caller.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    pub provider_id: String,
    pub has_access_token: bool,
    pub has_refresh_token: bool,
    /// Go's zero time when the token never expires.
    pub expires: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The provider's token response beside the token (see `LinkSeed::token_extra`); `None`
    /// where Coder stores none (a device-flow link).
    pub token_extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Link {
    pub fn from_seed(provider_id: &str, seed: &LinkSeed, now: DateTime<Utc>) -> Self {
        let expires = match seed.expiry {
            Expiry::Never => gotime::zero_time(),
            Expiry::At(at) => gotime::db_time(at),
            Expiry::In(d) => gotime::db_time(now + chrono_duration(d)),
            Expiry::Ago(d) => gotime::db_time(now - chrono_duration(d)),
        };
        let created_at = gotime::db_time(seed.created_at.unwrap_or(now));
        Self {
            provider_id: provider_id.to_owned(),
            has_access_token: seed.access_token,
            has_refresh_token: seed.refresh_token,
            expires,
            created_at,
            updated_at: seed.updated_at.map(gotime::db_time).unwrap_or(created_at),
            token_extra: Some(seed.token_extra.clone()),
        }
    }

    /// Whether the access token has an expiry and it has passed.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        !gotime::is_zero(&self.expires) && self.expires < now
    }
}

pub(crate) fn chrono_duration(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The whole server state.
#[derive(Debug)]
pub(crate) struct State {
    pub providers: Vec<Provider>,
    /// In insertion order, which stands in for the database's unspecified order.
    pub links: Vec<Link>,
    pub sessions: HashMap<String, Session>,
    pub devices: DeviceStore,
    pub device_settings: DeviceSettings,
    pub limiter: Option<RateLimiter>,
    /// Workspace agents, template versions and refresh faults (`agent_state.rs`).
    pub agents: AgentState,
    /// What the control API added, oldest first (its bounds evict these).
    pub added: AddedByControl,
}

/// Keys the control API added, oldest first: when one of its bounds is reached, the oldest
/// goes. What the server started with is never evicted (the printed token stays valid).
#[derive(Debug, Default)]
pub(crate) struct AddedByControl {
    pub sessions: std::collections::VecDeque<String>,
    pub agents: std::collections::VecDeque<String>,
    pub unconfigured_links: std::collections::VecDeque<String>,
}

impl State {
    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    pub fn provider_mut(&mut self, id: &str) -> Option<&mut Provider> {
        self.providers.iter_mut().find(|p| p.config.id == id)
    }

    pub fn link_index(&self, provider_id: &str) -> Option<usize> {
        link_index(&self.links, provider_id)
    }

    pub fn upsert_link(&mut self, link: Link) {
        upsert_link(&mut self.links, link);
    }
}

/// Where the caller's link to `provider_id` is in `links`.
pub(crate) fn link_index(links: &[Link], provider_id: &str) -> Option<usize> {
    links.iter().position(|l| l.provider_id == provider_id)
}

/// Inserts or replaces the caller's link for `link.provider_id`, keeping its position.
pub(crate) fn upsert_link(links: &mut Vec<Link>, link: Link) {
    match links.iter_mut().find(|l| l.provider_id == link.provider_id) {
        Some(existing) => *existing = link,
        None => links.push(link),
    }
}

/// What a server starts from, kept so a reset can return to it.
#[derive(Clone, Debug)]
pub(crate) struct Seed {
    pub providers: Vec<ProviderConfig>,
    /// Links to ids with no configured provider (providers carry their own).
    pub orphan_links: Vec<(String, LinkSeed)>,
    pub device: DeviceSettings,
    pub rate_limit: Option<(u32, Duration)>,
    /// API keys in Coder's format, each with its lifetime from start (negative: expired).
    pub sessions: Vec<(String, chrono::Duration)>,
    pub agents: AgentSeed,
}

impl Seed {
    /// The state at `now`: links and session expiries are computed from it.
    pub fn state(&self, now: DateTime<Utc>) -> State {
        let mut links: Vec<Link> = Vec::new();
        let seeded = self
            .providers
            .iter()
            .filter_map(|p| p.initial_link.as_ref().map(|seed| (p.id.as_str(), seed)))
            .chain(
                self.orphan_links
                    .iter()
                    .map(|(id, seed)| (id.as_str(), seed)),
            );
        for (provider_id, seed) in seeded {
            upsert_link(&mut links, Link::from_seed(provider_id, seed, now));
        }
        let sessions = self
            .sessions
            .iter()
            .filter_map(|(token, lifetime)| {
                let (id, secret) = auth::split_token(token).ok()?;
                let expires_at = now.checked_add_signed(*lifetime).unwrap_or(now);
                Some((
                    id.to_owned(),
                    Session {
                        secret: secret.to_owned(),
                        expires_at: gotime::db_time(expires_at),
                    },
                ))
            })
            .collect();
        State {
            providers: self
                .providers
                .iter()
                .map(|config| Provider::new(config.clone()))
                .collect(),
            links,
            sessions,
            devices: DeviceStore::default(),
            device_settings: self.device.clone(),
            limiter: self
                .rate_limit
                .map(|(requests, window)| RateLimiter::new(requests, window)),
            agents: self.agents.state(),
            added: AddedByControl::default(),
        }
    }
}
