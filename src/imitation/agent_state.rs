//! What the imitation remembers for the routes outside the `Git` tag (`agent.rs`): the workspace
//! agents and their scopes, the template versions with the providers each references, the
//! refresh faults, and a held `listen` request. Data only, so the state and the reply can
//! hold it while the agent route (which reads both) depends on them and not the other way.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Template version of the default deployment that references `github` and, optionally,
/// `gitlab`.
pub const TEMPLATE_VERSION_WITH_PROVIDERS: &str = "7c5a6a52-8f0e-4d3b-9a61-0b8f4c2e1d01";
/// Template version of the default deployment that references no provider (`[]`).
pub const TEMPLATE_VERSION_WITHOUT_PROVIDERS: &str = "7c5a6a52-8f0e-4d3b-9a61-0b8f4c2e1d02";
/// Template version of the default deployment that references `github` and `bitbucket`, a
/// provider that is no longer configured: 404 for the whole request.
pub const TEMPLATE_VERSION_WITH_REMOVED_PROVIDER: &str = "7c5a6a52-8f0e-4d3b-9a61-0b8f4c2e1d03";

/// What an agent may do with the owner's data: its Terraform `coder_agent.api_key_scope`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AgentScope {
    /// `all`: the agent acts as the workspace owner.
    #[default]
    All,
    /// `no_user_data`: the owner's personal data is off limits, so the agent route answers
    /// 403 `Forbidden.` once a provider is found.
    NoUserData,
}

/// A provider a template version references (a `coder_external_auth` data source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderReference {
    pub provider_id: String,
    /// `optional = true` in the template: the answer carries `"optional":true`.
    pub optional: bool,
}

impl ProviderReference {
    /// A provider the template requires.
    pub fn required(provider_id: impl Into<String>) -> Self {
        Self {
            provider_id: provider_id.into(),
            optional: false,
        }
    }

    /// A provider the template marks optional.
    pub fn optional(provider_id: impl Into<String>) -> Self {
        Self {
            provider_id: provider_id.into(),
            optional: true,
        }
    }
}

/// What the agent side of a server starts from, kept so a reset returns to it.
#[derive(Clone, Debug)]
pub(crate) struct AgentSeed {
    /// Agent tokens (canonical UUIDs), all bound to the one user, with their scopes.
    pub agents: Vec<(String, AgentScope)>,
    /// Template version ids (canonical UUIDs) with the providers each references, in order.
    pub template_versions: Vec<(String, Vec<ProviderReference>)>,
    /// The deployment's access URL (`http://127.0.0.1:PORT`), for the links' `url`.
    pub access_url: String,
    /// Makes the imitated access tokens differ between servers.
    pub salt: u64,
    pub listen_max_wait: Duration,
}

impl AgentSeed {
    pub fn state(&self) -> AgentState {
        AgentState {
            agents: self.agents.iter().cloned().collect(),
            template_versions: self.template_versions.clone(),
            failing_refresh: HashSet::new(),
            access_url: self.access_url.clone(),
            salt: self.salt,
            listen_max_wait: self.listen_max_wait,
        }
    }
}

/// The default deployment's template versions.
pub(crate) fn default_template_versions() -> Vec<(String, Vec<ProviderReference>)> {
    vec![
        (
            TEMPLATE_VERSION_WITH_PROVIDERS.to_owned(),
            vec![
                ProviderReference::required("github"),
                ProviderReference::optional("gitlab"),
            ],
        ),
        (TEMPLATE_VERSION_WITHOUT_PROVIDERS.to_owned(), Vec::new()),
        (
            TEMPLATE_VERSION_WITH_REMOVED_PROVIDER.to_owned(),
            vec![
                ProviderReference::required("github"),
                ProviderReference::required("bitbucket"),
            ],
        ),
    ]
}

/// Agents, template versions and refresh faults.
#[derive(Debug)]
pub(crate) struct AgentState {
    pub agents: HashMap<String, AgentScope>,
    pub template_versions: Vec<(String, Vec<ProviderReference>)>,
    /// Providers whose token endpoint fails: refreshing an expired token is a 500.
    pub failing_refresh: HashSet<String>,
    /// The deployment's access URL, for the links' `url`.
    pub access_url: String,
    /// Makes the imitated access tokens differ between servers.
    pub salt: u64,
    pub listen_max_wait: Duration,
}

/// A `listen` request on the agent route that must wait for a link (`agent::listen` holds it).
/// Here, beside the agent state, so that a [`Reply`](super::reply::Reply) can carry it
/// without knowing the agent route.
#[derive(Debug)]
pub(crate) struct Hold {
    pub provider_id: String,
    /// Whether the answer carries `expires_at` (the release's).
    pub with_expiry: bool,
    /// The token and expiry the loop must see change ("previous" in coderd): the link whose
    /// refresh said invalid, otherwise nothing.
    pub previous: Option<(String, DateTime<Utc>)>,
}
