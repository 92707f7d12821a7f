//! The server a run checks: a live deployment named by `--url`, or the embedded imitation
//! started on loopback for the length of the run, imitating the release `--coder-version`
//! names (else the newest known), or one of the imitation's further scenes.

use anyhow::Context;
use coder_external_auth::imitation::{Imitation, ImitationBuilder};
use coder_external_auth::{AgentToken, CoderVersion, SessionToken};

use crate::options::RunOptions;
use crate::policy::Policy;
use crate::scenes::Scene;
use crate::secrets::Secrets;

/// Where a run sends its requests.
pub struct Target {
    pub base_url: String,
    pub tokens: Tokens,
    /// The imitation's handle when the target is the embedded imitation.
    pub imitation: Option<ImitationTarget>,
}

/// The tokens a run presents: the session token, and a workspace agent's when there is one
/// (the user's `--agent-token`, or the imitation's own). One road for both: the runner's
/// clients are built from it, and [`Tokens::register`] makes both secrets.
#[derive(Clone)]
pub struct Tokens {
    pub session: SessionToken,
    pub agent: Option<AgentToken>,
}

impl Tokens {
    /// Both tokens become secrets no output may contain.
    pub fn register(&self, secrets: &Secrets) {
        secrets.add_session_token(&self.session);
        if let Some(agent) = &self.agent {
            secrets.add_agent_token(agent);
        }
    }
}

/// The running imitation.
pub struct ImitationTarget {
    pub server: Imitation,
}

impl Target {
    /// A live deployment.
    pub fn live(base_url: String, session: SessionToken, agent: Option<AgentToken>) -> Self {
        Self {
            base_url,
            tokens: Tokens { session, agent },
            imitation: None,
        }
    }

    /// The policy a run on this target follows: decided here, once.
    pub fn policy(&self, options: &RunOptions) -> Policy {
        match self.imitation {
            Some(_) => Policy::imitation(),
            None => Policy::live(options),
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
        Ok(Self::of_imitation(server))
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
        Ok(Self::of_imitation(server))
    }

    fn of_imitation(server: Imitation) -> Self {
        Self {
            base_url: server.base_url().to_owned(),
            tokens: Tokens {
                session: server.session_token().clone(),
                agent: Some(server.agent_token().clone()),
            },
            imitation: Some(ImitationTarget { server }),
        }
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
