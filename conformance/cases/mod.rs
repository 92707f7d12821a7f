//! What to send and what to expect: one case per operation and variant. The catalog lists
//! every variant a case can produce, sorted by operation_id; the plan turns it into concrete
//! requests for one target.

mod agent;
mod catalog;
mod plan;
mod variant;

use coder_external_auth::Operation;

pub use agent::{
    AgentQuery, UNKNOWN_AGENT_TOKEN, agent_token_cases, independent_agent_cases, is_linked,
    listen_case, removed_provider_case, template_version_case, user_id_cases,
};
pub use catalog::CATALOG;
pub use plan::{
    MAX_PROVIDERS_CHECKED, PlanInput, device_flow_cases, independent_cases, list_case,
    mutating_plan, read_only_plan,
};
pub use variant::variant_of;

/// Message of every 401 the auth middleware writes for a bad or missing token.
pub const SIGNED_OUT: &str =
    "You are signed out or your session has expired. Please sign in again to continue.";
/// Message of every 404 for an unknown provider or a missing link (no trailing period).
pub const NOT_FOUND: &str = "Resource not found or you do not have access to this resource";
/// A provider id that is valid by Coder's naming rule and never configured.
pub const UNKNOWN_PROVIDER: &str = "conformance-no-such-provider";
/// A token that breaks Coder's `<id>-<secret>` format (four parts).
pub const MALFORMED_TOKEN: &str = "not-a-session-token";
/// A well-formed token whose key id no deployment has issued.
pub const UNKNOWN_TOKEN: &str = "cnfrmnc000-0000000000000000000000";

/// Whether `id` is a provider id Coder can have configured (`codersdk.NameValid`: 1 to 32
/// letters and digits in hyphen-separated runs, not `new` or `create`). Only such ids go
/// into a request path: anything else (`..`, `%2e`, a newline) is a server's invention.
pub fn is_valid_provider_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .split('-')
            .all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_alphanumeric()))
        && id != "new"
        && id != "create"
}

/// Which token a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// The target's session token.
    Session,
    /// No token at all.
    Missing,
    /// [`MALFORMED_TOKEN`].
    Malformed,
    /// [`UNKNOWN_TOKEN`].
    Unknown,
    /// The workspace agent token given to the run (`--agent-token`, or the imitation's).
    Agent,
    /// [`UNKNOWN_AGENT_TOKEN`]: a UUID no deployment issued as an agent token.
    UnknownAgent,
}

/// The request a case sends; its operation follows from it.
#[derive(Clone, Debug)]
pub enum Call {
    List,
    GetById {
        provider: String,
    },
    Delete {
        provider: String,
    },
    GetDevice {
        provider: String,
    },
    PostDevice {
        provider: String,
        body: PostBody,
    },
    /// The workspace agent route, or with `legacy` its `/gitauth` alias.
    Agent {
        legacy: bool,
        query: AgentQuery,
    },
    /// A template version's providers; `user_id` as the query names it (2.36+ reads it).
    TemplateVersion {
        id: String,
        user_id: Option<String>,
    },
}

impl Call {
    pub fn operation(&self) -> Operation {
        match self {
            Call::List => Operation::GetUserExternalAuths,
            Call::GetById { .. } => Operation::GetExternalAuthById,
            Call::Delete { .. } => Operation::DeleteExternalAuthUserLinkById,
            Call::GetDevice { .. } => Operation::GetExternalAuthDeviceById,
            Call::PostDevice { .. } => Operation::PostExternalAuthDeviceById,
            Call::Agent { legacy: false, .. } => Operation::GetWorkspaceAgentExternalAuth,
            Call::Agent { legacy: true, .. } => Operation::RemovedGetWorkspaceAgentGitAuth,
            Call::TemplateVersion { .. } => Operation::GetExternalAuthByTemplateVersion,
        }
    }
}

/// The body of a POST device.
#[derive(Clone, Debug)]
pub enum PostBody {
    /// No body at all: the server must answer `Request body must be valid JSON.`
    Empty,
    /// `{"device_code": ...}`.
    Code(String),
}

/// What a case requires of the response beyond the spec.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub status: u16,
    /// Exact `message` of an error body.
    pub message: Option<&'static str>,
    /// Exact `detail` of an error body.
    pub detail: Option<String>,
    /// A `WWW-Authenticate: Bearer ...` header must be present.
    pub www_authenticate: bool,
    /// Top-level keys whose values are stable contract strings and go into the shape.
    pub keep: &'static [&'static str],
    /// A further condition on the decoded body, with its description.
    pub body_condition: Option<BodyCondition>,
}

/// A condition on the JSON body, named for reports.
#[derive(Clone, Debug)]
pub struct BodyCondition {
    pub description: String,
    pub holds: fn(&serde_json::Value, &str) -> bool,
    /// The argument passed as the second parameter of `holds` (for example a provider id).
    pub argument: String,
}

/// One request and its expectations.
#[derive(Clone, Debug)]
pub struct Case {
    /// Readable label, unique within the operation: `github`, `no token`, ...
    pub label: String,
    pub credentials: Credentials,
    pub call: Call,
    pub expect: Expect,
    /// The variant, when the case fixes it; otherwise it comes from the response.
    pub variant: Option<&'static str>,
}

impl Case {
    pub fn new(label: impl Into<String>, call: Call) -> Self {
        Self {
            label: label.into(),
            credentials: Credentials::Session,
            call,
            expect: Expect {
                status: 200,
                ..Expect::default()
            },
            variant: None,
        }
    }

    /// The operation, from the call: the two cannot disagree.
    pub fn operation(&self) -> Operation {
        self.call.operation()
    }

    /// The snapshot variant is fixed by the case (error cases).
    pub fn variant(mut self, variant: &'static str) -> Self {
        self.variant = Some(variant);
        self
    }

    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.expect.status = status;
        self
    }

    /// An error body with this exact message, kept in the shape.
    pub fn message(mut self, message: &'static str) -> Self {
        self.expect.message = Some(message);
        self.expect.keep = if self.expect.detail.is_some() {
            &["message", "detail"]
        } else {
            &["message"]
        };
        self
    }

    /// An error body with this exact detail, kept in the shape.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.expect.detail = Some(detail.into());
        self.expect.keep = &["message", "detail"];
        self
    }

    pub fn www_authenticate(mut self) -> Self {
        self.expect.www_authenticate = true;
        self
    }

    pub fn body_condition(
        mut self,
        description: impl Into<String>,
        holds: fn(&serde_json::Value, &str) -> bool,
        argument: impl Into<String>,
    ) -> Self {
        self.expect.body_condition = Some(BodyCondition {
            description: description.into(),
            holds,
            argument: argument.into(),
        });
        self
    }

    /// `operation label`.
    #[cfg(test)]
    pub fn title(&self) -> String {
        format!("{} {}", self.operation(), self.label)
    }
}

/// The 401 every bad-token case expects, with the detail for that token.
pub fn unauthenticated(case: Case, credentials: Credentials) -> Case {
    let (variant, detail) = match credentials {
        Credentials::Missing => (
            "no-token",
            "Cookie \"coder_session_token\" or query parameter must be provided.".to_owned(),
        ),
        Credentials::Malformed => (
            "malformed-token",
            "Invalid API key format: incorrect amount of API key parts, expected 2 got 4"
                .to_owned(),
        ),
        Credentials::Unknown
        | Credentials::Session
        | Credentials::Agent
        | Credentials::UnknownAgent => ("unknown-token", "API key is invalid.".to_owned()),
    };
    case.credentials(credentials)
        .status(401)
        .message(SIGNED_OUT)
        .detail(detail)
        .www_authenticate()
        .variant(variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_follow_coders_name_rule() {
        for good in ["github", "azure-devops", "a", "A1-b2-C3", &"x".repeat(32)] {
            assert!(is_valid_provider_id(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "%2e%2e",
            "a/b",
            "-a",
            "a-",
            "a--b",
            "new",
            "create",
            "a\nb",
            &"x".repeat(33),
            "é",
        ] {
            assert!(!is_valid_provider_id(bad), "{bad:?}");
        }
    }
}
