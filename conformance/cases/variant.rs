//! The variant of a response whose case does not fix one: named from the response's state
//! (linked, with user, ...), never from deployment data such as ids, hosts or times.

use coder_external_auth::Operation;
use serde_json::Value;

/// The variant for a response of `operation` with this status and body.
pub fn variant_of(operation: Operation, status: u16, body: Option<&Value>) -> String {
    let body = body.unwrap_or(&Value::Null);
    let non_empty = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    let truthy = |key: &str| body.get(key).and_then(Value::as_bool) == Some(true);
    let variant = match (operation, status) {
        (Operation::GetUserExternalAuths, 200) if non_empty("links") => "providers-and-links",
        (Operation::GetUserExternalAuths, 200) if non_empty("providers") => "providers-only",
        (Operation::GetUserExternalAuths, 200) => "empty",
        (Operation::GetExternalAuthById, 200) if !truthy("authenticated") => "not-authenticated",
        (Operation::GetExternalAuthById, 200) => {
            let user = body.get("user").is_some_and(|user| !user.is_null());
            match (user, non_empty("installations")) {
                (true, true) => "authenticated-with-user-and-installations",
                (true, false) => "authenticated-with-user",
                (false, _) => "authenticated",
            }
        }
        (Operation::DeleteExternalAuthUserLinkById, 200)
            if body.get("token_revocation_error").is_some() =>
        {
            "deleted-with-revocation-error"
        }
        (Operation::DeleteExternalAuthUserLinkById, 200) => "deleted",
        (Operation::DeleteExternalAuthUserLinkById, 404) => "no-link",
        (Operation::GetExternalAuthDeviceById, 200) => "device-code",
        (Operation::PostExternalAuthDeviceById, 204) => "approved",
        (
            Operation::GetWorkspaceAgentExternalAuth | Operation::RemovedGetWorkspaceAgentGitAuth,
            200,
        ) if body.get("url").and_then(Value::as_str) == Some("") => "linked",
        (
            Operation::GetWorkspaceAgentExternalAuth | Operation::RemovedGetWorkspaceAgentGitAuth,
            200,
        ) => "unlinked",
        (Operation::GetExternalAuthByTemplateVersion, 200)
            if body.as_array().is_some_and(|a| a.is_empty()) =>
        {
            "no-providers"
        }
        (Operation::GetExternalAuthByTemplateVersion, 200) => "providers",
        (Operation::GetExternalAuthByTemplateVersion, 404)
            if body
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| {
                    m.starts_with("The template version references a Git auth provider")
                }) =>
        {
            "removed-provider"
        }
        _ => return format!("status-{status}"),
    };
    variant.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn by_id_variants_follow_the_response_state() {
        let op = Operation::GetExternalAuthById;
        let unlinked = json!({"authenticated": false, "user": null, "installations": []});
        let linked = json!({"authenticated": true, "user": null, "installations": []});
        let with_user = json!({"authenticated": true, "user": {"id": 1}, "installations": []});
        let full = json!({"authenticated": true, "user": {"id": 1}, "installations": [{}]});
        assert_eq!(variant_of(op, 200, Some(&unlinked)), "not-authenticated");
        assert_eq!(variant_of(op, 200, Some(&linked)), "authenticated");
        assert_eq!(
            variant_of(op, 200, Some(&with_user)),
            "authenticated-with-user"
        );
        assert_eq!(
            variant_of(op, 200, Some(&full)),
            "authenticated-with-user-and-installations"
        );
    }

    #[test]
    fn list_and_delete_variants() {
        let list = Operation::GetUserExternalAuths;
        assert_eq!(
            variant_of(list, 200, Some(&json!({"providers": [], "links": []}))),
            "empty"
        );
        assert_eq!(
            variant_of(list, 200, Some(&json!({"providers": [{}], "links": []}))),
            "providers-only"
        );
        let delete = Operation::DeleteExternalAuthUserLinkById;
        assert_eq!(
            variant_of(
                delete,
                200,
                Some(&json!({"token_revoked": false, "token_revocation_error": "x"}))
            ),
            "deleted-with-revocation-error"
        );
        assert_eq!(variant_of(delete, 404, None), "no-link");
        assert_eq!(variant_of(delete, 500, None), "status-500");
    }
}
