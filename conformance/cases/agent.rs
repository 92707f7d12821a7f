//! Cases for the two external-auth routes outside the `Git` tag: the workspace agent's token
//! lookup (and its `/gitauth` alias), which needs an agent token, and a template version's
//! providers, which needs a template version id. Cases that need neither (the 400s, 401s and
//! 404s a client can provoke with made-up values) always run.

use serde_json::Value;

use super::{Call, Case, Credentials, NOT_FOUND, UNKNOWN_PROVIDER, unauthenticated};

/// A well-formed agent token (a UUID) no deployment has issued.
pub const UNKNOWN_AGENT_TOKEN: &str = "00000000-0000-4000-8000-00000000c0de";
/// A template version id that is not a UUID: 22 bytes, so `invalid UUID length: 22`.
pub const NOT_A_UUID: &str = "conformance-not-a-uuid";
/// A UUID no deployment has as a template version.
pub const UNKNOWN_TEMPLATE_VERSION: &str = "00000000-0000-4000-8000-0000c0de0000";

/// The agent route's query: exactly one of `id` and `match` is what the server wants.
#[derive(Clone, Debug, Default)]
pub struct AgentQuery {
    pub id: Option<String>,
    pub matching: Option<String>,
    /// Sent as `listen=true`; presence alone makes the server hold the request.
    pub listen: bool,
}

impl AgentQuery {
    pub fn by_id(id: &str) -> Self {
        Self {
            id: Some(id.to_owned()),
            ..Self::default()
        }
    }
}

fn agent(query: AgentQuery) -> Call {
    Call::Agent {
        legacy: false,
        query,
    }
}

/// Agent-route and template-version cases that need no agent token and no version id.
pub fn independent_agent_cases() -> Vec<Case> {
    let by_id = || agent(AgentQuery::by_id("github"));
    vec![
        Case::new("no token", by_id())
            .credentials(Credentials::Missing)
            .status(401)
            .message("Cookie \"coder_session_token\" must be provided.")
            .variant("no-token"),
        Case::new("session token", by_id())
            .credentials(Credentials::Session)
            .status(401)
            .message("Workspace agent token invalid.")
            .detail("An agent token must be a valid UUIDv4. (len 33)")
            .variant("session-token"),
        Case::new("unknown agent", by_id())
            .credentials(Credentials::UnknownAgent)
            .status(401)
            .message("Workspace agent not authorized.")
            .detail(
                "The agent cannot authenticate until the workspace provision job has been \
                 completed. If the job is no longer running, this agent is invalid.",
            )
            .variant("unknown-agent"),
        Case::new(
            "no token",
            Call::Agent {
                legacy: true,
                query: AgentQuery::by_id("github"),
            },
        )
        .credentials(Credentials::Missing)
        .status(401)
        .message("Cookie \"coder_session_token\" must be provided.")
        .variant("no-token"),
        Case::new(
            "not a uuid",
            Call::TemplateVersion {
                id: NOT_A_UUID.to_owned(),
                user_id: None,
            },
        )
        .status(400)
        .message("Invalid UUID \"conformance-not-a-uuid\".")
        .detail("invalid UUID length: 22")
        .variant("not-a-uuid"),
        Case::new(
            "unknown version",
            Call::TemplateVersion {
                id: UNKNOWN_TEMPLATE_VERSION.to_owned(),
                user_id: None,
            },
        )
        .status(404)
        .message(NOT_FOUND)
        .variant("unknown-version"),
        unauthenticated(
            Case::new(
                "no token",
                Call::TemplateVersion {
                    id: NOT_A_UUID.to_owned(),
                    user_id: None,
                },
            ),
            Credentials::Missing,
        ),
    ]
}

/// Cases with the agent token: each provider by id (linked or not, as the owner's links
/// are), the alias for the first, and the query rules.
pub fn agent_token_cases(providers: &[String]) -> Vec<Case> {
    let mut cases: Vec<Case> = providers
        .iter()
        .map(|id| Case::new(id, agent(AgentQuery::by_id(id))).credentials(Credentials::Agent))
        .collect();
    // The alias for the first and the last provider: on a deployment with both kinds, one is
    // usually linked and the other not.
    let mut ends: Vec<&String> = providers
        .first()
        .into_iter()
        .chain(providers.last())
        .collect();
    ends.dedup();
    for id in ends {
        cases.push(
            Case::new(
                id,
                Call::Agent {
                    legacy: true,
                    query: AgentQuery::by_id(id),
                },
            )
            .credentials(Credentials::Agent),
        );
    }
    cases.extend([
        Case::new("no query", agent(AgentQuery::default()))
            .credentials(Credentials::Agent)
            .status(400)
            .message("'url' or 'id' must be provided!")
            .variant("no-query"),
        Case::new(
            "id and match",
            agent(AgentQuery {
                id: Some("github".to_owned()),
                matching: Some("https://github.com".to_owned()),
                listen: false,
            }),
        )
        .credentials(Credentials::Agent)
        .status(400)
        .message("'url' and 'id' cannot be provided together!")
        .variant("id-and-match"),
        Case::new(
            "unknown provider",
            agent(AgentQuery::by_id(UNKNOWN_PROVIDER)),
        )
        .credentials(Credentials::Agent)
        .status(404)
        .message("No matching external auth provider found in Coder for the url \"\".")
        .variant("unknown-provider"),
    ]);
    cases
}

/// `listen` on a provider the agent route just answered as linked: answered at once.
pub fn listen_case(provider: &str) -> Case {
    Case::new(
        format!("{provider} listen"),
        agent(AgentQuery {
            listen: true,
            ..AgentQuery::by_id(provider)
        }),
    )
    .credentials(Credentials::Agent)
    .variant("listen-linked")
    .body_condition(
        "a linked provider is answered at once, in the linked form (url \"\")",
        |body, _| body["url"] == "" && body["access_token"] != "",
        "",
    )
}

/// The template version's providers; the variant follows the answer.
pub fn template_version_case(id: &str) -> Case {
    Case::new(
        format!("version {id}"),
        Call::TemplateVersion {
            id: id.to_owned(),
            user_id: None,
        },
    )
}

/// `user_id` on a version the caller can read, with values that need no other user: `me`
/// (the caller, as without it) and a value that is no UUID, which releases that read
/// `user_id` refuse with 400 and older ones ignore.
pub fn user_id_cases(id: &str, reads_user_id: bool) -> Vec<Case> {
    let with = |user_id: &str| Call::TemplateVersion {
        id: id.to_owned(),
        user_id: Some(user_id.to_owned()),
    };
    let me = Case::new(format!("version {id} user_id me"), with("me"));
    let malformed = Case::new(format!("version {id} user_id not a uuid"), with(NOT_A_UUID));
    let malformed = if reads_user_id {
        malformed
            .status(400)
            .message("Invalid user_id query parameter.")
            .detail("invalid UUID length: 22")
            .variant("invalid-user-id")
    } else {
        malformed
    };
    vec![me, malformed]
}

/// A template version that references a provider the deployment no longer has: the whole
/// request fails (the imitation's [`TEMPLATE_VERSION_WITH_REMOVED_PROVIDER`] references
/// `bitbucket`).
///
/// [`TEMPLATE_VERSION_WITH_REMOVED_PROVIDER`]: coder_external_auth::imitation::TEMPLATE_VERSION_WITH_REMOVED_PROVIDER
pub fn removed_provider_case(id: &str) -> Case {
    template_version_case(id)
        .status(404)
        .message(
            "The template version references a Git auth provider \"bitbucket\" that no longer exists.",
        )
        .detail("You'll need to update the template version to use a different provider.")
        .variant("removed-provider")
}

/// Whether an agent-route answer is the linked form.
pub fn is_linked(body: &Value) -> bool {
    body["url"] == "" && body["access_token"].as_str().is_some_and(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_values_have_the_lengths_the_messages_name() {
        assert_eq!(NOT_A_UUID.len(), 22);
        for uuid in [UNKNOWN_AGENT_TOKEN, UNKNOWN_TEMPLATE_VERSION] {
            assert_eq!(uuid.len(), 36);
            assert_eq!(uuid.matches('-').count(), 4);
        }
    }
}
