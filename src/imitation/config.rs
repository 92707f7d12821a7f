//! What the imitation is configured with: providers modelled on Coder's per-type defaults
//! (coderd/externalauth/externalauth.go) and the links they start with.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The provider's user, as GitHub's validate URL would describe it (`codersdk.ExternalAuthUser`;
/// serialises in Go field order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderUser {
    pub id: i64,
    pub login: String,
    pub avatar_url: String,
    pub profile_url: String,
    pub name: String,
}

impl ProviderUser {
    /// GitHub's documentation user.
    pub fn octocat() -> Self {
        Self {
            id: 583231,
            login: "octocat".to_owned(),
            avatar_url: "https://avatars.githubusercontent.com/u/583231?v=4".to_owned(),
            profile_url: "https://github.com/octocat".to_owned(),
            name: "The Octocat".to_owned(),
        }
    }
}

/// A GitHub app installation (`codersdk.ExternalAuthAppInstallation`; Go field order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppInstallation {
    pub id: i64,
    pub account: ProviderUser,
    pub configure_url: String,
}

/// When a link's token expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Go's zero time (`0001-01-01T00:00:00Z`): the token never expires.
    Never,
    /// This instant.
    At(DateTime<Utc>),
    /// This long after the link is made.
    In(Duration),
    /// This long before the link is made (already expired).
    Ago(Duration),
}

/// A link between the caller and a provider, as the database row would hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSeed {
    pub(crate) access_token: bool,
    pub(crate) refresh_token: bool,
    pub(crate) expiry: Expiry,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) updated_at: Option<DateTime<Utc>>,
    /// What the provider's token response held beside the token (read for the provider's
    /// `extra_token_keys`).
    pub(crate) token_extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for LinkSeed {
    fn default() -> Self {
        Self::new()
    }
}

impl LinkSeed {
    /// An access token, no refresh token, never expires, created and updated when linked.
    pub fn new() -> Self {
        Self {
            access_token: true,
            refresh_token: false,
            expiry: Expiry::Never,
            created_at: None,
            updated_at: None,
            token_extra: serde_json::Map::new(),
        }
    }

    /// The values of the provider's token response beside the token, as a provider with
    /// `extra_token_keys` reports them (`{"scope": "repo"}`).
    pub fn token_extra(mut self, extra: serde_json::Map<String, serde_json::Value>) -> Self {
        self.token_extra = extra;
        self
    }

    /// Whether the row holds an access token (Coder skips validation of empty ones).
    pub fn access_token(mut self, present: bool) -> Self {
        self.access_token = present;
        self
    }

    /// Whether the row holds a refresh token (`has_refresh_token`).
    pub fn refresh_token(mut self, present: bool) -> Self {
        self.refresh_token = present;
        self
    }

    /// When the access token expires.
    pub fn expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = expiry;
        self
    }

    /// `created_at` (default: when linked). Stored at microsecond precision.
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = Some(at);
        self
    }

    /// `updated_at` (default: `created_at`). Stored at microsecond precision.
    pub fn updated_at(mut self, at: DateTime<Utc>) -> Self {
        self.updated_at = Some(at);
        self
    }
}

/// One configured external-auth provider.
///
/// The constructors take Coder's defaults for the type; the setters override them the way
/// `CODER_EXTERNAL_AUTH_<n>_*` settings would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderConfig {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) display_name: String,
    pub(crate) display_icon: String,
    pub(crate) device: bool,
    pub(crate) verification_uri: String,
    pub(crate) validate: bool,
    pub(crate) user: Option<ProviderUser>,
    /// `None`: Coder's default for the type in the imitated release (see `release.rs`).
    pub(crate) revoke: Option<bool>,
    pub(crate) app_installations: Option<Vec<AppInstallation>>,
    pub(crate) app_install_url: String,
    pub(crate) pkce: Vec<String>,
    pub(crate) no_refresh: bool,
    pub(crate) initial_link: Option<LinkSeed>,
    /// What the agent route's `match` is tested against; `None`: reachable by `id` only.
    pub(crate) regex: Option<String>,
    /// Coder's `extra_token_keys`: the agent route's `token_extra` holds each of them.
    pub(crate) extra_token_keys: Vec<String>,
}

impl ProviderConfig {
    /// A provider of any `type` with Coder's defaults for it: display name and icon, whether
    /// it has a validate URL, and the PKCE list (`[""]` for the types Coder gives
    /// `PKCEChallengeMethodNone`). Whether it has a revoke URL is Coder's default for the type
    /// in the release imitated (github, gitlab and slack from 2.28.0, none before; see
    /// [`RELEASE_CHANGES`](super::RELEASE_CHANGES)). No device flow, no app installations,
    /// not linked.
    pub fn new(id: impl Into<String>, kind: impl Into<String>) -> Self {
        let kind = kind.into();
        let (display_name, display_icon, validate, pkce_none) = match kind.as_str() {
            "github" => ("GitHub", "/icon/github.svg", true, false),
            "gitlab" => ("GitLab", "/icon/gitlab.svg", true, false),
            "bitbucket-cloud" => ("BitBucket", "/icon/bitbucket.svg", true, true),
            "bitbucket-server" => ("Bitbucket Server", "/icon/bitbucket.svg", true, true),
            "azure-devops" => ("Azure DevOps", "/icon/azure-devops.svg", false, true),
            "azure-devops-entra" => (
                "Azure DevOps (Entra)",
                "/icon/azure-devops.svg",
                false,
                true,
            ),
            "gitea" => ("Gitea", "/icon/gitea.svg", true, false),
            "jfrog" => ("JFrog", "/icon/jfrog.svg", true, true),
            "slack" => ("Slack", "/icon/slack.svg", false, true),
            // Coder's fallbacks for a custom type: the type as name, the key emoji as icon.
            _ => ("", "/emojis/1f511.png", false, false),
        };
        let display_name = if display_name.is_empty() {
            kind.clone()
        } else {
            display_name.to_owned()
        };
        Self {
            id: id.into(),
            display_name,
            display_icon: display_icon.to_owned(),
            device: false,
            verification_uri: String::new(),
            validate,
            user: (kind == "github").then(ProviderUser::octocat),
            revoke: None,
            app_installations: None,
            app_install_url: String::new(),
            pkce: vec![if pkce_none { "" } else { "S256" }.to_owned()],
            no_refresh: false,
            initial_link: None,
            regex: default_regex(&kind).map(str::to_owned),
            extra_token_keys: Vec::new(),
            kind,
        }
    }

    /// `extra_token_keys`: the keys of the provider's token response Coder keeps with a link
    /// and the agent route answers as `token_extra` (each the link's value for it, or null).
    /// Empty (the default for every type but Slack in Coder): `token_extra` is null.
    pub fn extra_token_keys(mut self, keys: Vec<String>) -> Self {
        self.extra_token_keys = keys;
        self
    }

    /// The `regex` the workspace agent route matches `match` against (default: Coder's for
    /// the type, see [`default_regex`]; `None`: the provider is reachable by `id` only). Rust's
    /// `regex` syntax, which for these patterns is Go's RE2. A pattern that does not compile
    /// never matches.
    pub fn regex(mut self, regex: Option<impl Into<String>>) -> Self {
        self.regex = regex.map(Into::into);
        self
    }

    /// GitHub as Coder's default GitHub provider: device flow on, validation returning
    /// octocat, Coder's default revocation (from 2.28.0), one app installation.
    pub fn github(id: impl Into<String>) -> Self {
        Self::new(id, "github")
            .device(true)
            .app_installations(vec![AppInstallation {
                id: 12345678,
                account: ProviderUser {
                    id: 0,
                    login: "coder".to_owned(),
                    avatar_url: String::new(),
                    profile_url: String::new(),
                    name: String::new(),
                },
                configure_url: String::new(),
            }])
    }

    /// GitLab with Coder's defaults: validation, revocation from 2.28.0, no device flow.
    pub fn gitlab(id: impl Into<String>) -> Self {
        Self::new(id, "gitlab")
    }

    /// Azure DevOps with Coder's defaults: no validation, no revocation, PKCE `[""]`.
    pub fn azure_devops(id: impl Into<String>) -> Self {
        Self::new(id, "azure-devops")
    }

    /// The provider id (the `{externalauth}` path segment).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Device flow on or off. GitHub's verification URI is used unless
    /// [`verification_uri`](Self::verification_uri) sets another.
    pub fn device(mut self, on: bool) -> Self {
        self.device = on;
        if on && self.verification_uri.is_empty() {
            self.verification_uri = "https://github.com/login/device".to_owned();
        }
        self
    }

    /// The `verification_uri` GET device reports.
    pub fn verification_uri(mut self, uri: impl Into<String>) -> Self {
        self.verification_uri = uri.into();
        self
    }

    /// Whether a validate URL is configured (`allow_validate`). For type `github` the
    /// validation answers with octocat unless [`user`](Self::user) says otherwise.
    pub fn validate(mut self, on: bool) -> Self {
        self.validate = on;
        self
    }

    /// The user GitHub-type validation returns (`None`: validation gives no user).
    pub fn user(mut self, user: Option<ProviderUser>) -> Self {
        self.user = user;
        self
    }

    /// Whether a revoke URL is configured (`supports_revocation`), whatever Coder's default
    /// for the type. Releases before 2.27.0 know no revocation, so there it changes nothing.
    pub fn revoke(mut self, on: bool) -> Self {
        self.revoke = Some(on);
        self
    }

    /// Back to Coder's default revoke URL for the type in the release imitated (the default).
    pub fn default_revoke(mut self) -> Self {
        self.revoke = None;
        self
    }

    /// An app installations URL answering with these installations (`app_installable`).
    pub fn app_installations(mut self, installations: Vec<AppInstallation>) -> Self {
        self.app_installations = Some(installations);
        self
    }

    /// No app installations URL.
    pub fn no_app_installations(mut self) -> Self {
        self.app_installations = None;
        self
    }

    /// `app_install_url` (default `""`).
    pub fn app_install_url(mut self, url: impl Into<String>) -> Self {
        self.app_install_url = url.into();
        self
    }

    /// `display_name`.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }

    /// `display_icon`.
    pub fn display_icon(mut self, icon: impl Into<String>) -> Self {
        self.display_icon = icon.into();
        self
    }

    /// `code_challenge_methods_supported`, as given (use `[""]` for Coder's "none" quirk).
    pub fn pkce<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.pkce = methods.into_iter().map(Into::into).collect();
        self
    }

    /// Refreshing disabled (`allow_refresh: false`).
    pub fn no_refresh(mut self, on: bool) -> Self {
        self.no_refresh = on;
        self
    }

    /// The link the caller starts with (`None`: not linked).
    pub fn linked(mut self, link: Option<LinkSeed>) -> Self {
        self.initial_link = link;
        self
    }
}

/// Coder's default `regex` for a provider type with its cloud host
/// (coderd/externalauth/externalauth.go L947-1312). Self-hosted GitLab, Bitbucket Server and
/// Gitea derive theirs from `auth_url`, which the imitation does not model: Gitea gets the
/// `gitea.com` default and Bitbucket Server none. JFrog, Slack and custom types have none.
pub fn default_regex(kind: &str) -> Option<&'static str> {
    match kind {
        "github" => Some(r"^(https?://)?github\.com(/.*)?$"),
        "gitlab" => Some(r"^(https?://)?gitlab\.com(/.*)?$"),
        "bitbucket-cloud" => Some(r"^(https?://)?bitbucket\.org(/.*)?$"),
        "azure-devops" | "azure-devops-entra" => Some(r"^(https?://)?dev\.azure\.com(/.*)?$"),
        "gitea" => Some(r"^(https?://)?gitea\.com(/.*)?$"),
        _ => None,
    }
}

/// The deployment [`Imitation::start`](super::Imitation::start) serves, in config order.
pub(crate) fn default_providers() -> Vec<ProviderConfig> {
    vec![
        ProviderConfig::github("github").linked(Some(LinkSeed::new())),
        ProviderConfig::gitlab("gitlab").linked(Some(
            LinkSeed::new()
                .refresh_token(true)
                .expiry(Expiry::In(Duration::from_secs(2 * 3600))),
        )),
        ProviderConfig::azure_devops("azure-devops"),
        // An expired link that cannot be refreshed, so the list shows a validate_error.
        ProviderConfig::new("gitea", "gitea").linked(Some(
            LinkSeed::new().expiry(Expiry::Ago(Duration::from_secs(3600))),
        )),
    ]
}
