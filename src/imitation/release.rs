//! The Coder release the imitation answers as: chosen once per server with
//! `ImitationBuilder::coder_version`, it names the build in every response header and in
//! `/api/v2/buildinfo`. What differs between releases is decided by the crate's one release
//! table ([`RELEASE_CHANGES`], in `src/release.rs`), consulted by the handlers through
//! [`Release::has`] and [`Release::revokes`].

use http::HeaderValue;
use serde::Serialize;

use super::config::ProviderConfig;
use crate::CoderVersion;
pub use crate::release::{Behaviour, RELEASE_CHANGES, ReleaseChange};

/// Where `external_url` points: coderd reports the bare repository when its binary carries no
/// VCS revision, which is the imitation's case (it is not a build of Coder).
const EXTERNAL_URL: &str = "https://github.com/coder/coder";

/// The provider types Coder gives a default revoke URL once [`Behaviour::DefaultRevokeUrls`]
/// applies. GitHub's needs a client id, which every imitated GitHub provider has.
pub const DEFAULT_REVOKE_TYPES: &[&str] = &["github", "gitlab", "slack"];

/// The `X-Coder-Build-Version` an imitation of `version` reports: Coder's `v<tag>` form with
/// a pre-release tag saying it is not a real build (`v2.36.1-imitation` for
/// [`CoderVersion::NEWEST_KNOWN`], the default), so a version check parses it and a human is
/// not misled. Derived, never typed: a new newest release changes it by itself.
pub fn build_version(version: CoderVersion) -> String {
    format!("v{version}-imitation")
}

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
        let build_version = build_version(version);
        // Digits, dots, `v` and `-imitation` always make a valid header value; the fallback
        // only keeps this path free of panics.
        let header = HeaderValue::from_str(&build_version)
            .unwrap_or_else(|_| HeaderValue::from_static("v0.0.0-imitation"));
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
        self.version.has(behaviour)
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
        let newest = CoderVersion::NEWEST_KNOWN;
        assert_eq!(release.build_version(), format!("v{newest}-imitation"));
        assert_eq!(release.header(), release.build_version());
        // Whatever the imitation reports, the crate's own version parser reads it back.
        let older = Release::new(CoderVersion::new(2, 26, 6));
        assert_eq!(older.build_version(), "v2.26.6-imitation");
        assert_eq!(
            older.build_version().parse::<CoderVersion>(),
            Ok(CoderVersion::new(2, 26, 6))
        );
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
