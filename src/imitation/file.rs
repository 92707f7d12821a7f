//! The JSON configuration `conformance serve --config FILE` reads (format in the README, "The
//! imitation from any language"): providers, links, API keys, the rate limit and the device
//! settings, applied to an [`ImitationBuilder`].

use std::time::Duration;

use serde::Deserialize;

use super::ImitationBuilder;
use super::auth;
use super::config::ProviderConfig;
use super::http_control::LinkRequest;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Absent: the default deployment's providers and links.
    providers: Option<Vec<ProviderEntry>>,
    #[serde(default)]
    links: Vec<LinkRequest>,
    #[serde(default)]
    sessions: Vec<SessionEntry>,
    rate_limit: Option<RateLimitEntry>,
    device: Option<DeviceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    device: Option<bool>,
    validate: Option<bool>,
    revoke: Option<bool>,
    no_refresh: Option<bool>,
    display_name: Option<String>,
    display_icon: Option<String>,
    verification_uri: Option<String>,
    pkce: Option<Vec<String>>,
    regex: Option<String>,
    extra_token_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionEntry {
    token: String,
    /// Seconds from start (negative: already expired); default one day.
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitEntry {
    requests: u32,
    window_secs: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEntry {
    interval: Option<i64>,
    expires_in: Option<i64>,
    enforce_interval: Option<bool>,
    auto_approve_after: Option<u32>,
    /// The approved code's token: lifetime in seconds (absent: never expires) and whether it
    /// has a refresh token.
    token_expires_in: Option<i64>,
    token_refresh: Option<bool>,
}

/// A new API key's lifetime when the file names none (Coder's default session).
const DEFAULT_SESSION_SECS: i64 = 24 * 60 * 60;

impl ImitationBuilder {
    /// Applies a JSON configuration (the format `conformance serve --config` reads; see the
    /// README). Providers given replace the default ones; links, sessions, the rate limit and
    /// device settings are applied on top.
    pub fn config_json(mut self, text: &str) -> Result<Self, ConfigError> {
        let file: File = serde_json::from_str(text).map_err(|why| ConfigError(why.to_string()))?;
        if let Some(providers) = file.providers {
            self = self.no_providers();
            for entry in providers {
                if entry.id.is_empty() || entry.id.contains('/') {
                    return Err(ConfigError(format!(
                        "provider id {:?}: must be a non-empty path segment",
                        entry.id
                    )));
                }
                self = self.provider(entry.into_config());
            }
        }
        for link in file.links {
            let seed = link.seed();
            match self.providers.iter_mut().find(|p| p.id == link.provider_id) {
                Some(provider) => provider.initial_link = Some(seed),
                None if link.unconfigured => {
                    self = self.link_unconfigured(link.provider_id, seed);
                }
                None => {
                    return Err(ConfigError(format!(
                        "links: no provider {:?} is configured; add it to providers, or set \"unconfigured\": true",
                        link.provider_id
                    )));
                }
            }
        }
        for session in file.sessions {
            auth::split_token(&session.token).map_err(|why| {
                ConfigError(format!("sessions: token is not in Coder's format: {why}"))
            })?;
            let secs = session.expires_in.unwrap_or(DEFAULT_SESSION_SECS);
            let lifetime = chrono::Duration::try_seconds(secs).ok_or_else(|| {
                ConfigError(format!("sessions: expires_in {secs} is out of range"))
            })?;
            self = self.session(session.token, lifetime);
        }
        if let Some(limit) = file.rate_limit {
            if limit.requests == 0 || limit.window_secs == 0 {
                return Err(ConfigError(
                    "rate_limit: requests and window_secs must both be at least 1".to_owned(),
                ));
            }
            self = self.rate_limit(limit.requests, Duration::from_secs(limit.window_secs));
        }
        if let Some(device) = file.device {
            if let Some(interval) = device.interval {
                self = self.device_interval(interval);
            }
            if let Some(expires_in) = device.expires_in {
                self = self.device_expires_in(expires_in);
            }
            if let Some(on) = device.enforce_interval {
                self = self.enforce_poll_interval(on);
            }
            if let Some(polls) = device.auto_approve_after {
                self = self.auto_approve_after(polls);
            }
            if device.token_expires_in.is_some() || device.token_refresh.is_some() {
                self =
                    self.device_token(device.token_expires_in, device.token_refresh == Some(true));
            }
        }
        Ok(self)
    }
}

impl ProviderEntry {
    /// Coder's defaults for the type (GitHub's include the device flow), then the overrides.
    fn into_config(self) -> ProviderConfig {
        let mut config = if self.kind == "github" {
            ProviderConfig::github(self.id)
        } else {
            ProviderConfig::new(self.id, self.kind)
        };
        if let Some(on) = self.device {
            config = config.device(on);
        }
        if let Some(on) = self.validate {
            config = config.validate(on);
        }
        if let Some(on) = self.revoke {
            config = config.revoke(on);
        }
        if let Some(on) = self.no_refresh {
            config = config.no_refresh(on);
        }
        if let Some(name) = self.display_name {
            config = config.display_name(name);
        }
        if let Some(icon) = self.display_icon {
            config = config.display_icon(icon);
        }
        if let Some(uri) = self.verification_uri {
            config = config.verification_uri(uri);
        }
        if let Some(methods) = self.pkce {
            config = config.pkce(methods);
        }
        if let Some(regex) = self.regex {
            config = config.regex(Some(regex));
        }
        if let Some(keys) = self.extra_token_keys {
            config = config.extra_token_keys(keys);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_valid() {
        let text = include_str!("../../examples/imitation.json");
        let builder = ImitationBuilder::new().config_json(text).unwrap();
        assert_eq!(builder.providers.len(), 2);
        assert!(builder.providers[0].initial_link.is_some());
        assert!(builder.providers[1].initial_link.is_none());
        assert_eq!(builder.orphan_links.len(), 1);
        assert_eq!(builder.sessions.len(), 2);
    }

    #[test]
    fn the_real_coder_lanes_deployment_reads() {
        // What realcoder/lane writes to configure the imitation like the real deployment.
        let text = r#"{
          "providers": [
            { "id": "fake", "type": "fake", "validate": true, "revoke": true,
              "regex": "^(https?://)?example\\.com(/.*)?$", "extra_token_keys": ["scope"] },
            { "id": "fake-device", "type": "fake", "device": true,
              "verification_uri": "http://127.0.0.1:9/login/device" }
          ],
          "links": [{ "provider_id": "fake", "refresh_token": true, "expires_in": 7200,
                      "token_extra": { "scope": "repo" } }],
          "device": { "interval": 3, "auto_approve_after": 2, "token_expires_in": 7200, "token_refresh": true }
        }"#;
        let builder = ImitationBuilder::new().config_json(text).unwrap();
        let fake = &builder.providers[0];
        assert_eq!(fake.extra_token_keys, ["scope"]);
        assert_eq!(
            fake.regex.as_deref(),
            Some(r"^(https?://)?example\.com(/.*)?$")
        );
        let link = fake.initial_link.as_ref().unwrap();
        assert_eq!(link.token_extra["scope"], "repo");
        assert_eq!(builder.device.token_expires_in, Some(7200));
        assert!(builder.device.token_refresh);
    }

    #[test]
    fn the_readme_example_is_valid() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("```json\n{\n  \"providers\"")
            .expect("the README shows a configuration");
        let block = &readme[start + "```json\n".len()..];
        let block = &block[..block.find("```").expect("the block ends")];
        let builder = ImitationBuilder::new().config_json(block).unwrap();
        assert_eq!(builder.rate_limit, Some((60, Duration::from_secs(60))));
        assert_eq!(builder.device.auto_approve_after, Some(2));
    }

    #[test]
    fn mistakes_are_named() {
        let refuse = |text: &str| {
            ImitationBuilder::new()
                .config_json(text)
                .unwrap_err()
                .to_string()
        };
        assert!(refuse(r#"{"provider": []}"#).contains("unknown field `provider`"));
        assert!(refuse(r#"{"links": [{"provider_id": "nope"}]}"#).contains("\"nope\""));
        assert!(refuse(r#"{"sessions": [{"token": "short"}]}"#).contains("Coder's format"));
        assert!(refuse(r#"{"providers": [{"id": "a/b", "type": "x"}]}"#).contains("path segment"));
        assert!(
            ImitationBuilder::new()
                .config_json(r#"{"links": [{"provider_id": "gone", "unconfigured": true}]}"#)
                .is_ok()
        );
    }
}
