//! Which Coder release a deployment runs, and what each release does differently: the one
//! home of release knowledge. The support window ([`CoderVersion::OLDEST_SUPPORTED`] to
//! [`CoderVersion::NEWEST_KNOWN`]) and the behaviour table ([`RELEASE_CHANGES`], one row per
//! behaviour, with its evidence) are consulted by the conformance plan and checks and by the
//! imitation through [`CoderVersion::has`]; the spec's `x-coder-since` boundaries are held to
//! the table by a test (conformance/releases.rs).

use std::fmt;
use std::str::FromStr;

/// A Coder release, `major.minor.patch`, read from `X-Coder-Build-Version` or
/// `/api/v2/buildinfo` (`v2.29.0+1f3c9a2`, `v2.36.0-devel+abc1234`) or given by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoderVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl CoderVersion {
    /// The newest release this crate's contract describes (`realcoder/releases` ends with
    /// it: a test holds the two together).
    pub const NEWEST_KNOWN: CoderVersion = CoderVersion::new(2, 36, 1);
    /// The oldest release in support: the contract, the checker and the imitation describe
    /// every release from here to [`CoderVersion::NEWEST_KNOWN`].
    pub const OLDEST_SUPPORTED: CoderVersion = CoderVersion::new(2, 25, 0);

    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Whether this release is `since` or later.
    pub fn at_least(self, since: CoderVersion) -> bool {
        self >= since
    }

    /// Whether this release has `behaviour`: it is at or after the table's `since` for it.
    /// Every "since which release" question (the conformance plan and checks, the imitation)
    /// is asked here.
    pub fn has(self, behaviour: Behaviour) -> bool {
        RELEASE_CHANGES
            .iter()
            .any(|change| change.behaviour == behaviour && self >= change.since)
    }
}

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

/// Why a version string is not a Coder release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError(String);

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a Coder release: expected MAJOR.MINOR.PATCH, as in 2.29.0 or v2.29.0+1f3c9a2",
            self.0
        )
    }
}

impl std::error::Error for VersionError {}

impl FromStr for CoderVersion {
    type Err = VersionError;

    /// Accepts an optional `v`, then `MAJOR.MINOR.PATCH`; a pre-release (`-devel`) or build
    /// suffix (`+abc1234`) is ignored, since the contract follows the release line.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || VersionError(text.chars().take(64).collect());
        let core = text.trim().strip_prefix('v').unwrap_or(text.trim());
        let core = core.split(['-', '+']).next().unwrap_or_default();
        let mut parts = core.split('.').map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            part.parse::<u32>().map_err(|_| error())
        });
        let (Some(major), Some(minor), Some(patch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        Ok(Self::new(major?, minor?, patch?))
    }
}

impl fmt::Display for CoderVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
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
            // Every row is inside the support window, after its oldest release.
            assert!(change.since > CoderVersion::OLDEST_SUPPORTED, "{change:?}");
            assert!(change.since <= CoderVersion::NEWEST_KNOWN, "{change:?}");
        }
        assert_eq!(rows, [1; BEHAVIOURS]);
        assert!(RELEASE_CHANGES.is_sorted_by_key(|change| change.since));
    }

    use super::*;

    #[test]
    fn parses_release_dev_and_plain_forms() {
        let parse = |text: &str| text.parse::<CoderVersion>();
        assert_eq!(parse("v2.29.0+1f3c9a2"), Ok(CoderVersion::new(2, 29, 0)));
        assert_eq!(
            parse("v2.36.0-devel+abc1234"),
            Ok(CoderVersion::new(2, 36, 0))
        );
        assert_eq!(parse("2.35.1"), Ok(CoderVersion::new(2, 35, 1)));
        assert_eq!(parse("v2.35.1-imitation"), Ok(CoderVersion::new(2, 35, 1)));
        for bad in [
            "",
            "v",
            "2.35",
            "2.35.1.4",
            "x.1.2",
            "2..1",
            "2.35.99999999999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(CoderVersion::new(2, 30, 0).at_least(CoderVersion::new(2, 27, 0)));
        assert!(!CoderVersion::new(2, 26, 6).at_least(CoderVersion::new(2, 27, 0)));
    }
}
