//! The server a run checks: a live deployment named by `--url`, or the embedded imitation
//! started on loopback for the length of the run, imitating the release `--coder-version`
//! names (else the newest known).

use anyhow::Context;
use coder_external_auth::imitation::{Imitation, ImitationBuilder, LinkSeed, ProviderConfig};
use coder_external_auth::{CoderVersion, SessionToken};

use crate::cases::{Call, Case};

/// Where a run sends its requests.
pub struct Target {
    pub base_url: String,
    pub token: SessionToken,
    /// The imitation's handle when the target is the embedded imitation.
    pub imitation: Option<ImitationTarget>,
}

/// The running imitation.
pub struct ImitationTarget {
    pub server: Imitation,
}

impl Target {
    /// A live deployment.
    pub fn live(base_url: String, token: SessionToken) -> Self {
        Self {
            base_url,
            token,
            imitation: None,
        }
    }

    /// Starts the embedded imitation of one scene, imitating `release` (default: the newest
    /// known), as the main deployment does.
    pub async fn scene(scene: &Scene, release: Option<CoderVersion>) -> anyhow::Result<Self> {
        let server = imitating((scene.deployment)(), release)
            .start()
            .await
            .with_context(|| {
                format!("start the embedded imitation ({}) on 127.0.0.1", scene.name)
            })?;
        Ok(Self {
            base_url: server.base_url().to_owned(),
            token: server.session_token().clone(),
            imitation: Some(ImitationTarget { server }),
        })
    }

    /// Starts the embedded imitation of `release` (default: the newest known), set up so
    /// that one run exercises every variant it can: deletes and the device flow are allowed
    /// (nothing real changes), polls are approved on the second try without waiting out the
    /// interval, and GitLab's revocation fails so the revocation-error variant is seen (in
    /// releases where GitLab revokes: 2.28.0 on).
    pub async fn imitation(release: Option<CoderVersion>) -> anyhow::Result<Self> {
        let builder = Imitation::builder()
            .auto_approve_after(2)
            .enforce_poll_interval(false);
        let server = imitating(builder, release)
            .start()
            .await
            .context("start the embedded imitation on 127.0.0.1")?;
        server.control().fail_revocation("gitlab", true);
        Ok(Self {
            base_url: server.base_url().to_owned(),
            token: server.session_token().clone(),
            imitation: Some(ImitationTarget { server }),
        })
    }

    pub fn is_imitation(&self) -> bool {
        self.imitation.is_some()
    }

    /// How reports name the target.
    pub fn describe(&self) -> String {
        match self.imitation {
            Some(_) => format!("{} (embedded imitation)", self.base_url),
            None => coder_external_auth::redacted_url(&self.base_url),
        }
    }

    /// Stops the imitation, if any.
    pub async fn shutdown(self) {
        if let Some(imitation) = self.imitation {
            imitation.server.shutdown().await;
        }
    }
}

/// The builder set to imitate `release`, when one is named.
fn imitating(builder: ImitationBuilder, release: Option<CoderVersion>) -> ImitationBuilder {
    match release {
        Some(version) => builder.coder_version(version),
        None => builder,
    }
}

/// A further embedded deployment in a state the main one cannot be in at the same time, and
/// the cases that show it: with them, one run against the embedded imitation exercises every
/// variant in the catalog.
pub struct Scene {
    /// Said after each case's label.
    pub name: &'static str,
    pub deployment: fn() -> ImitationBuilder,
    pub cases: fn() -> Vec<Case>,
}

/// The scenes besides the main deployment.
pub const SCENES: &[Scene] = &[
    Scene {
        name: "no providers configured",
        deployment: || Imitation::builder().no_providers(),
        cases: || vec![Case::new("list", Call::List)],
    },
    Scene {
        name: "nothing linked yet",
        deployment: || {
            let mut builder = Imitation::builder().no_providers();
            for provider in ["github", "gitlab"] {
                let config = match provider {
                    "github" => ProviderConfig::github(provider),
                    _ => ProviderConfig::gitlab(provider),
                };
                builder = builder.provider(config.linked(None));
            }
            builder
        },
        cases: || vec![Case::new("list", Call::List)],
    },
    Scene {
        name: "GitHub linked, no app installed",
        deployment: || {
            Imitation::builder().no_providers().provider(
                ProviderConfig::github("github")
                    .no_app_installations()
                    .linked(Some(LinkSeed::new())),
            )
        },
        cases: || {
            vec![Case::new(
                "github",
                Call::GetById {
                    provider: "github".to_owned(),
                },
            )]
        },
    },
];
