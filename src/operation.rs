//! The one identity of each operation, named after the spec's `operationId`: the conformance
//! cases, the catalog, the imitation's routing and the snapshot file names all derive from it.

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
        let mut in_spec: Vec<&str> = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        in_spec.sort_unstable();
        let ours: Vec<&str> = Operation::ALL.iter().map(|op| op.id()).collect();
        assert_eq!(in_spec, ours);
    }
}
