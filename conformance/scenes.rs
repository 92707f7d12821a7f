//! The embedded imitation's further scenes: deployments in states the main one cannot be in
//! at the same time, each with the cases that show it. With them, one run against the
//! embedded imitation exercises every variant in the catalog. Which scenes a run has is part
//! of its [`crate::policy::Policy`] (a live target has none).

use coder_external_auth::imitation::{Imitation, ImitationBuilder, LinkSeed, ProviderConfig};

use crate::cases::{Call, Case};

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
