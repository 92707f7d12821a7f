//! The variant of a response whose case does not fix one: named from the response's state
//! (linked, with user, ...), never from deployment data such as ids, hosts or times.

use coder_external_auth::Operation;
use serde_json::Value;

/// The variant for a response of `operation` with this status and body.
pub fn variant_of(operation: Operation, status: u16, body: Option<&Value>) -> String {
    let body = body.unwrap_or(&Value::Null);
    // One rule per operation, and no catch-all over operations: a new one does not compile
    // until it says how its answers divide into variants.
    let named = match operation {
        Operation::GetUserExternalAuths => list(status, body),
        Operation::GetExternalAuthById => provider(status, body),
        Operation::DeleteExternalAuthUserLinkById => delete(status, body),
        Operation::GetExternalAuthDeviceById => (status == 200).then_some("device-code"),
        Operation::PostExternalAuthDeviceById => (status == 204).then_some("approved"),
        Operation::GetWorkspaceAgentExternalAuth | Operation::RemovedGetWorkspaceAgentGitAuth => {
            agent(status, body)
        }
        Operation::GetExternalAuthByTemplateVersion => template_version(status, body),
    };
    named.map_or_else(|| format!("status-{status}"), str::to_owned)
}

fn non_empty(body: &Value, key: &str) -> bool {
    body.get(key)
        .and_then(Value::as_array)
        .is_some_and(|items| !items.is_empty())
}

fn list(status: u16, body: &Value) -> Option<&'static str> {
    (status == 200).then(|| {
        if non_empty(body, "links") {
            "providers-and-links"
        } else if non_empty(body, "providers") {
            "providers-only"
        } else {
            "empty"
        }
    })
}

fn provider(status: u16, body: &Value) -> Option<&'static str> {
    if status != 200 {
        return None;
    }
    if body.get("authenticated").and_then(Value::as_bool) != Some(true) {
        return Some("not-authenticated");
    }
    let user = body.get("user").is_some_and(|user| !user.is_null());
    Some(match (user, non_empty(body, "installations")) {
        (true, true) => "authenticated-with-user-and-installations",
        (true, false) => "authenticated-with-user",
        (false, _) => "authenticated",
    })
}

fn delete(status: u16, body: &Value) -> Option<&'static str> {
    match status {
        200 if body.get("token_revocation_error").is_some() => {
            Some("deleted-with-revocation-error")
        }
        200 => Some("deleted"),
        404 => Some("no-link"),
        _ => None,
    }
}

fn agent(status: u16, body: &Value) -> Option<&'static str> {
    (status == 200).then(|| {
        if body.get("url").and_then(Value::as_str) == Some("") {
            "linked"
        } else {
            "unlinked"
        }
    })
}

fn template_version(status: u16, body: &Value) -> Option<&'static str> {
    let removed_provider = || {
        body.get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("The template version references a Git auth provider"))
    };
    match status {
        200 if body.as_array().is_some_and(|items| items.is_empty()) => Some("no-providers"),
        200 => Some("providers"),
        404 if removed_provider() => Some("removed-provider"),
        _ => None,
    }
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
