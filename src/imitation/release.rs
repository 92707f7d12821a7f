//! The Coder release the imitation answers as: chosen once per server with
//! `ImitationBuilder::coder_version`, it names the build in every response header and in
//! `/api/v2/buildinfo`, and it is the one place where behaviour that differs between releases
//! is decided: [`RELEASE_CHANGES`], a table of behaviours keyed by the first release that has
//! them, each with its evidence (`tag:file:lines` in coder/coder, read at the release tags),
//! consulted by the handlers through [`Release::has`] and [`Release::revokes`].

use http::HeaderValue;
use serde::Serialize;

use super::config::ProviderConfig;
use crate::CoderVersion;

/// The `X-Coder-Build-Version` of an imitation of [`CoderVersion::NEWEST_KNOWN`] (the
/// default); other releases report `v{version}-imitation` the same way.
pub const BUILD_VERSION: &str = "v2.36.1-imitation";

/// Where `external_url` points: coderd reports the bare repository when its binary carries no
/// VCS revision, which is the imitation's case (it is not a build of Coder).
const EXTERNAL_URL: &str = "https://github.com/coder/coder";

/// A behaviour of the five operations that some supported releases have and older ones lack.
/// Each appears exactly once in [`RELEASE_CHANGES`], with the first release that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// `supports_revocation` is sent: in the list's `providers[]` (whether a revoke URL is
    /// configured) and in GET by id (always `false`). Absent before.
    SupportsRevocationField,
    /// DELETE answers `{"token_revoked":…}` after a best-effort revocation, and a missing link
    /// is 404. Before: 200 with the JSON string `"OK"`, nothing revoked, and a missing link
    /// takes the inverted error branch, 500 `Failed to delete external auth link.`.
    DeleteReportsRevocation,
    /// `Authorization: Bearer` and `?access_token=` values are whitespace-trimmed. Before, a
    /// padded token is malformed (401).
    TrimmedTokens,
    /// Coder's default revoke URLs apply (types in [`DEFAULT_REVOKE_TYPES`]): such providers
    /// report `supports_revocation: true` and DELETE revokes. Before, only an explicitly
    /// configured revoke URL counts.
    DefaultRevokeUrls,
    /// `code_challenge_methods_supported` is sent in the list's `providers[]`. Absent before.
    PkceField,
    /// The API rate limit counts a request with a valid token against its user. Before, the
    /// limiter runs ahead of authentication, so every request counts against its IP.
    RateLimitPerUser,
    /// The agent route's answer carries `expires_at`: the link's expiry in UTC, Go's zero time
    /// when it never expires and in the unlinked form. Absent before.
    AgentExpiresAt,
    /// The template-version route reads `user_id` (`me` or a UUID; 400 for anything else,
    /// 403 for a user the caller may not act for). Ignored before.
    TemplateVersionUserId,
}

impl Behaviour {
    /// Whether `release` has this behaviour: it is at or after the table's `since` for it.
    pub fn in_release(self, release: CoderVersion) -> bool {
        RELEASE_CHANGES
            .iter()
            .any(|change| change.behaviour == self && release >= change.since)
    }
}

/// One row of the release table: from `since` on, the imitation has `behaviour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseChange {
    /// The first release that has it.
    pub since: CoderVersion,
    pub behaviour: Behaviour,
    /// What a client sees change.
    pub what: &'static str,
    /// Where coder/coder shows it, as `tag:file:Lx-Ly`.
    pub evidence: &'static str,
}

/// Every release-dependent behaviour the imitation imitates, oldest first. A release has a
/// behaviour when it is at or after the row's `since`; nothing else in the imitation compares
/// versions.
pub const RELEASE_CHANGES: &[ReleaseChange] = &[
    ReleaseChange {
        since: CoderVersion::new(2, 27, 0),
        behaviour: Behaviour::SupportsRevocationField,
        what: "`supports_revocation` appears in the list's providers (revoke URL configured) and in GET by id (always false)",
        evidence: "v2.27.0:codersdk/externalauth.go:L51-65, L96-105; v2.27.0:coderd/externalauth.go:L418-429",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 27, 0),
        behaviour: Behaviour::DeleteReportsRevocation,
        what: "DELETE answers {\"token_revoked\":…} and 404 for a missing link (was 200 \"OK\", and 500 `Failed to delete external auth link.` with detail `fetch object: sql: no rows in result set`)",
        evidence: "v2.26.0:coderd/externalauth.go:L91-113; v2.26.0:coderd/database/dbauthz/dbauthz.go:L831-834, L1512-1517; v2.27.0:coderd/externalauth.go:L92-136",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 27, 0),
        behaviour: Behaviour::TrimmedTokens,
        what: "Bearer and access_token values are TrimSpace'd (a padded token was malformed)",
        evidence: "v2.26.0:coderd/httpmw/apikey.go:L733; v2.27.0:coderd/httpmw/apikey.go:L730-741",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 28, 0),
        behaviour: Behaviour::DefaultRevokeUrls,
        what: "default revoke URLs for github (with a client id), gitlab and slack: supports_revocation true in the list, and DELETE revokes",
        evidence: "v2.27.0:coderd/externalauth/externalauth.go:L807-850 (no RevokeURL copy); v2.28.0:coderd/externalauth/externalauth.go:L783-786, L820-822, L877-879",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 30, 0),
        behaviour: Behaviour::PkceField,
        what: "`code_challenge_methods_supported` appears in the list's providers (never null; [\"\"] for types without PKCE)",
        evidence: "v2.30.0:codersdk/externalauth.go:L96-106; v2.30.0:coderd/externalauth.go:L419-431",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 32, 0),
        behaviour: Behaviour::RateLimitPerUser,
        what: "the rate limit counts a request with a valid token against its user (was always its IP: the limiter ran before authentication)",
        evidence: "v2.31.0:coderd/httpmw/ratelimit.go:L32-71; v2.32.0:coderd/httpmw/ratelimit.go:L32-94; v2.32.0:coderd/coderd.go:L937, L970-975",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 36, 0),
        behaviour: Behaviour::AgentExpiresAt,
        what: "the agent route's answer carries `expires_at` (UTC; `0001-01-01T00:00:00Z` when the token never expires and in the unlinked form)",
        evidence: "v2.36.1:codersdk/agentsdk/agentsdk.go:L727-729; v2.36.1:coderd/workspaceagents.go:L2378-2404, L2114-2116; absent at v2.35.1:codersdk/agentsdk/agentsdk.go:L722-732",
    },
    ReleaseChange {
        since: CoderVersion::new(2, 36, 0),
        behaviour: Behaviour::TemplateVersionUserId,
        what: "the template-version route reads `user_id` (`me` or a UUID; otherwise 400 `Invalid user_id query parameter.`; 403 `Forbidden.` for a user the caller may not create a workspace for)",
        evidence: "v2.36.1:coderd/templateversions.go:L332, L342-368; absent at v2.35.1:coderd/templateversions.go:L334-345",
    },
];

/// The provider types Coder gives a default revoke URL once [`Behaviour::DefaultRevokeUrls`]
/// applies. GitHub's needs a client id, which every imitated GitHub provider has.
pub const DEFAULT_REVOKE_TYPES: &[&str] = &["github", "gitlab", "slack"];

/// The release imitated.
#[derive(Clone, Debug)]
pub(crate) struct Release {
    version: CoderVersion,
    /// `v{version}-imitation`: Coder's `v<tag>` form with a pre-release tag saying it is not
    /// a real build, so a version check parses it and a human is not misled.
    build_version: String,
    header: HeaderValue,
}

/// The subset of `codersdk.BuildInfoResponse` the imitation can state truthfully, in the Go
/// struct's field order. `agent_api_version`, `provisioner_api_version`, `upgrade_message`,
/// `deployment_id` and `webpush_public_key` are left out: the imitation has none of them.
#[derive(Serialize)]
pub(crate) struct BuildInfoBody<'a> {
    pub external_url: &'a str,
    pub version: &'a str,
    pub dashboard_url: &'a str,
    pub telemetry: bool,
    pub workspace_proxy: bool,
}

impl Release {
    pub fn new(version: CoderVersion) -> Self {
        let build_version = format!("v{version}-imitation");
        // Digits, dots, `v` and `-imitation` always make a valid header value; the fallback
        // only keeps this path free of panics.
        let header = HeaderValue::from_str(&build_version)
            .unwrap_or_else(|_| HeaderValue::from_static(BUILD_VERSION));
        Self {
            version,
            build_version,
            header,
        }
    }

    pub fn version(&self) -> CoderVersion {
        self.version
    }

    /// The value of `X-Coder-Build-Version` (and of `version` in buildinfo).
    pub fn build_version(&self) -> &str {
        &self.build_version
    }

    pub fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// Whether this release has `behaviour` (see [`RELEASE_CHANGES`]).
    pub fn has(&self, behaviour: Behaviour) -> bool {
        behaviour.in_release(self.version)
    }

    /// Whether `provider` has a revoke URL in this release: the one configured for it, else
    /// Coder's default for its type once defaults apply. `None` before
    /// [`Behaviour::SupportsRevocationField`]: the release knows no revocation at all.
    pub fn revokes(&self, provider: &ProviderConfig) -> Option<bool> {
        if !self.has(Behaviour::SupportsRevocationField) {
            return None;
        }
        Some(provider.revoke.unwrap_or_else(|| {
            self.has(Behaviour::DefaultRevokeUrls)
                && DEFAULT_REVOKE_TYPES.contains(&provider.kind.as_str())
        }))
    }

    /// `GET /api/v2/buildinfo`; `dashboard_url` is the access URL, as coderd reports it.
    pub fn build_info<'a>(&'a self, dashboard_url: &'a str) -> BuildInfoBody<'a> {
        BuildInfoBody {
            external_url: EXTERNAL_URL,
            version: &self.build_version,
            dashboard_url,
            telemetry: false,
            workspace_proxy: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_release_keeps_the_published_build_version() {
        let release = Release::new(CoderVersion::NEWEST_KNOWN);
        assert_eq!(release.build_version(), BUILD_VERSION);
        assert_eq!(release.header(), BUILD_VERSION);
        // Whatever the imitation reports, the crate's own version parser reads it back.
        let older = Release::new(CoderVersion::new(2, 26, 6));
        assert_eq!(older.build_version(), "v2.26.6-imitation");
        assert_eq!(
            older.build_version().parse::<CoderVersion>(),
            Ok(CoderVersion::new(2, 26, 6))
        );
    }

    /// Each behaviour's position in an exhaustive list: a new behaviour does not compile
    /// until it is counted here, and then the test below wants its row.
    fn index(behaviour: Behaviour) -> usize {
        match behaviour {
            Behaviour::SupportsRevocationField => 0,
            Behaviour::DeleteReportsRevocation => 1,
            Behaviour::TrimmedTokens => 2,
            Behaviour::DefaultRevokeUrls => 3,
            Behaviour::PkceField => 4,
            Behaviour::RateLimitPerUser => 5,
            Behaviour::AgentExpiresAt => 6,
            Behaviour::TemplateVersionUserId => 7,
        }
    }
    const BEHAVIOURS: usize = 8;

    #[test]
    fn every_behaviour_has_exactly_one_row_oldest_first() {
        let mut rows = [0; BEHAVIOURS];
        for change in RELEASE_CHANGES {
            rows[index(change.behaviour)] += 1;
            assert!(!change.evidence.is_empty() && !change.what.is_empty());
            // Every row is a release the imitation can be asked for, and newer than 2.25.0.
            assert!(change.since > CoderVersion::new(2, 25, 0), "{change:?}");
            assert!(change.since <= CoderVersion::NEWEST_KNOWN, "{change:?}");
        }
        assert_eq!(rows, [1; BEHAVIOURS]);
        assert!(RELEASE_CHANGES.is_sorted_by_key(|change| change.since));
    }

    #[test]
    fn revocation_follows_the_release_and_the_configuration() {
        let at = |minor| Release::new(CoderVersion::new(2, minor, 0));
        let github = ProviderConfig::github("github");
        let azure = ProviderConfig::azure_devops("azure-devops");
        let explicit = ProviderConfig::azure_devops("azure-devops").revoke(true);
        assert_eq!(at(26).revokes(&github), None);
        assert_eq!(at(26).revokes(&explicit), None);
        assert_eq!(at(27).revokes(&github), Some(false));
        assert_eq!(at(27).revokes(&explicit), Some(true));
        assert_eq!(at(28).revokes(&github), Some(true));
        assert_eq!(at(28).revokes(&azure), Some(false));
        assert_eq!(at(35).revokes(&github.clone().revoke(false)), Some(false));
        assert_eq!(
            at(35).revokes(&github.revoke(false).default_revoke()),
            Some(true)
        );
        assert!(!at(29).has(Behaviour::PkceField) && at(30).has(Behaviour::PkceField));
    }
}
