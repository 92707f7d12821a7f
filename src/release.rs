//! Which Coder release a deployment runs: the one place that decides it, consulted by the
//! conformance plan and checks and by the imitation (which release it imitates).

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
    /// The newest release this crate's contract describes.
    pub const NEWEST_KNOWN: CoderVersion = CoderVersion::new(2, 36, 1);

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
}

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
