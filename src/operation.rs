//! The one identity of each operation, named after the spec's `operationId`, with its route
//! (HTTP method and path template, held to the spec by a test): the conformance cases, the
//! catalog, the imitation's routing, the diff's scope and the snapshot file names all derive
//! from it.

use std::fmt;

/// An operation of the curated spec. [`Operation::id`] is its `operationId`; the generated
/// client's method of the same name is [`Operation::method`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    DeleteExternalAuthUserLinkById,
    GetExternalAuthById,
    GetExternalAuthByTemplateVersion,
    GetExternalAuthDeviceById,
    GetUserExternalAuths,
    GetWorkspaceAgentExternalAuth,
    PostExternalAuthDeviceById,
    RemovedGetWorkspaceAgentGitAuth,
}

impl Operation {
    /// Every operation, sorted by `operationId`.
    pub const ALL: [Operation; 8] = [
        Operation::DeleteExternalAuthUserLinkById,
        Operation::GetExternalAuthById,
        Operation::GetExternalAuthByTemplateVersion,
        Operation::GetExternalAuthDeviceById,
        Operation::GetUserExternalAuths,
        Operation::GetWorkspaceAgentExternalAuth,
        Operation::PostExternalAuthDeviceById,
        Operation::RemovedGetWorkspaceAgentGitAuth,
    ];

    /// The spec's `operationId` (kebab case).
    pub const fn id(self) -> &'static str {
        match self {
            Self::DeleteExternalAuthUserLinkById => "delete-external-auth-user-link-by-id",
            Self::GetExternalAuthById => "get-external-auth-by-id",
            Self::GetExternalAuthByTemplateVersion => "get-external-auth-by-template-version",
            Self::GetExternalAuthDeviceById => "get-external-auth-device-by-id",
            Self::GetUserExternalAuths => "get-user-external-auths",
            Self::GetWorkspaceAgentExternalAuth => "get-workspace-agent-external-auth",
            Self::PostExternalAuthDeviceById => "post-external-auth-device-by-id",
            Self::RemovedGetWorkspaceAgentGitAuth => "removed-get-workspace-agent-git-auth",
        }
    }

    /// The generated client's method for it: progenitor snake-cases the `operationId`.
    pub const fn method(self) -> &'static str {
        match self {
            Self::DeleteExternalAuthUserLinkById => "delete_external_auth_user_link_by_id",
            Self::GetExternalAuthById => "get_external_auth_by_id",
            Self::GetExternalAuthByTemplateVersion => "get_external_auth_by_template_version",
            Self::GetExternalAuthDeviceById => "get_external_auth_device_by_id",
            Self::GetUserExternalAuths => "get_user_external_auths",
            Self::GetWorkspaceAgentExternalAuth => "get_workspace_agent_external_auth",
            Self::PostExternalAuthDeviceById => "post_external_auth_device_by_id",
            Self::RemovedGetWorkspaceAgentGitAuth => "removed_get_workspace_agent_git_auth",
        }
    }

    /// The HTTP method the spec gives it.
    pub const fn http_method(self) -> http::Method {
        match self {
            Self::DeleteExternalAuthUserLinkById => http::Method::DELETE,
            Self::PostExternalAuthDeviceById => http::Method::POST,
            Self::GetExternalAuthById
            | Self::GetExternalAuthByTemplateVersion
            | Self::GetExternalAuthDeviceById
            | Self::GetUserExternalAuths
            | Self::GetWorkspaceAgentExternalAuth
            | Self::RemovedGetWorkspaceAgentGitAuth => http::Method::GET,
        }
    }

    /// Its path template as the spec writes it, from the server root
    /// (`/api/v2/external-auth/{externalauth}`).
    pub const fn path(self) -> &'static str {
        match self {
            Self::GetUserExternalAuths => "/api/v2/external-auth",
            Self::DeleteExternalAuthUserLinkById | Self::GetExternalAuthById => {
                "/api/v2/external-auth/{externalauth}"
            }
            Self::GetExternalAuthDeviceById | Self::PostExternalAuthDeviceById => {
                "/api/v2/external-auth/{externalauth}/device"
            }
            Self::GetExternalAuthByTemplateVersion => {
                "/api/v2/templateversions/{templateversion}/external-auth"
            }
            Self::GetWorkspaceAgentExternalAuth => "/api/v2/workspaceagents/me/external-auth",
            Self::RemovedGetWorkspaceAgentGitAuth => "/api/v2/workspaceagents/me/gitauth",
        }
    }

    /// Whether a request for it is safe to send again (after a broken connection, say): a GET
    /// changes nothing. A DELETE is idempotent in HTTP's sense but removes the caller's link,
    /// and the device POST spends a device code, so neither is repeated unasked.
    pub fn is_idempotent(self) -> bool {
        self.http_method() == http::Method::GET
    }

    /// The operation with this `operationId`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|operation| operation.id() == id)
    }

    /// The operation whose generated method is `method` (what [`crate::capture`] records).
    pub fn from_method(method: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|operation| operation.method() == method)
    }
}

/// Serialised as its `operationId`, as reports and snapshot names spell it.
impl serde::Serialize for Operation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for Operation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Operation::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown operationId {id:?}")))
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_sorted_by_operation_id_and_round_trips() {
        let ids: Vec<&str> = Operation::ALL.iter().map(|op| op.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        for operation in Operation::ALL {
            assert_eq!(Operation::from_id(operation.id()), Some(operation));
            assert_eq!(Operation::from_method(operation.method()), Some(operation));
            assert_eq!(operation.method(), operation.id().replace('-', "_"));
        }
    }

    #[test]
    fn all_is_exactly_the_spec_operations() {
        let spec: serde_json::Value =
            serde_json::from_str(include_str!("../openapi/coder-external-auth.json")).unwrap();
        let mut in_spec: Vec<(String, String, String)> = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if let Some(id) = operation["operationId"].as_str() {
                    in_spec.push((id.to_owned(), method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        in_spec.sort_unstable();
        let ours: Vec<(String, String, String)> = Operation::ALL
            .iter()
            .map(|op| {
                let method = op.http_method().as_str().to_owned();
                (op.id().to_owned(), method, op.path().to_owned())
            })
            .collect();
        assert_eq!(in_spec, ours);
    }

    /// What the runner retries today, by its calls: every GET, and neither the DELETE nor the
    /// device POST.
    #[test]
    fn the_reads_are_the_idempotent_ones() {
        let idempotent: Vec<Operation> = Operation::ALL
            .into_iter()
            .filter(|operation| operation.is_idempotent())
            .collect();
        assert_eq!(
            idempotent,
            [
                Operation::GetExternalAuthById,
                Operation::GetExternalAuthByTemplateVersion,
                Operation::GetExternalAuthDeviceById,
                Operation::GetUserExternalAuths,
                Operation::GetWorkspaceAgentExternalAuth,
                Operation::RemovedGetWorkspaceAgentGitAuth,
            ]
        );
    }
}
