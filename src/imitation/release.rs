//! The Coder release the imitation answers as: chosen once per server with
//! `ImitationBuilder::coder_version`, it names the build in every response header and in
//! `/api/v2/buildinfo`, and it is the one place where behaviour that differs between releases
//! is decided (one method per difference, consulted by the handlers).

use http::HeaderValue;
use serde::Serialize;

use crate::CoderVersion;

/// The `X-Coder-Build-Version` of an imitation of [`CoderVersion::NEWEST_KNOWN`] (the
/// default); other releases report `v{version}-imitation` the same way.
pub const BUILD_VERSION: &str = "v2.35.1-imitation";

/// Where `external_url` points: coderd reports the bare repository when its binary carries no
/// VCS revision, which is the imitation's case (it is not a build of Coder).
const EXTERNAL_URL: &str = "https://github.com/coder/coder";

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
}
