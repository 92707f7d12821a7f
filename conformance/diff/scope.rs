//! Which paths of a description are ours, and how its in-scope operations are collected into
//! the model: each path joined to its base, kept within the name bound, each operation
//! converted by the format's own reader.

use anyhow::{Context, bail};
use coder_external_auth::Operation as SpecOperation;

use super::model::{Api, OpKey, Operation};
use super::schema::kept;

/// The prefix the `Git` tag's operations live under (the list's path); paths elsewhere in a
/// full upstream swagger.json are none of our business, but for the other operations' own.
pub(crate) const SCOPE: &str = SpecOperation::GetUserExternalAuths.path();

/// The most in-scope operations one description may hold. Coder has five; every operation is
/// kept with its parameters and responses and keys every difference in it, so a description
/// of thousands (one generated path each) is refused rather than compared.
pub(crate) const MAX_OPERATIONS: usize = 256;

/// Whether a full path (basePath or server path already applied) is one of ours: under
/// [`SCOPE`], or exactly the path of an operation this crate describes outside it (the
/// workspace agent's route, its deprecated alias and a template version's providers). Only
/// those: the rest of `/workspaceagents` and `/templateversions` is not ours.
pub(crate) fn in_scope(path: &str) -> bool {
    path == SCOPE
        || path
            .strip_prefix(SCOPE)
            .is_some_and(|rest| rest.starts_with('/'))
        || SpecOperation::ALL
            .iter()
            .any(|operation| operation.path() == path)
}

/// Joins a base path (`/`, `/api/v2`, `/api/v2/`) and a path (`/external-auth`) into one full
/// path with single slashes, so both upstream basePath layouts land on the same key.
pub(crate) fn join_path(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    let joined = format!("{base}/{path}");
    let trimmed = joined.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// The in-scope operations of a description's `paths`, each path joined to `base` (Swagger's
/// `basePath`, or the path of OpenAPI's first server) and each operation converted by the
/// format's own `convert(path-level parameters, operation)`.
pub(crate) fn collect_operations(
    doc: &serde_json::Value,
    base: &str,
    methods: &[&str],
    mut convert: impl FnMut(Option<&serde_json::Value>, &serde_json::Value) -> anyhow::Result<Operation>,
) -> anyhow::Result<Api> {
    let mut api = Api::default();
    let Some(paths) = doc.get("paths").and_then(serde_json::Value::as_object) else {
        return Ok(api);
    };
    // The base prefixes every path: a long one would be copied once per path.
    kept("base path", base)?;
    for (path, item) in paths {
        let full = join_path(base, path);
        if !in_scope(&full) {
            continue;
        }
        kept("path", &full).with_context(|| format!("in path `{}…`", prefix(&full)))?;
        let shared = item.get("parameters");
        for method in methods {
            let Some(op) = item.get(*method) else {
                continue;
            };
            if api.operations.len() >= MAX_OPERATIONS {
                bail!(
                    "it has more than {MAX_OPERATIONS} operations under {SCOPE} (MAX_OPERATIONS, the limit per description); Coder has five"
                );
            }
            let key = OpKey::new(method, &full);
            let operation = convert(shared, op).with_context(|| format!("in operation {key}"))?;
            api.operations.insert(key, operation);
        }
    }
    Ok(api)
}

/// The first few characters of a text too long to quote whole.
fn prefix(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_base_path_layouts_give_the_same_full_path() {
        assert_eq!(
            join_path("/api/v2", "/external-auth"),
            "/api/v2/external-auth"
        );
        assert_eq!(
            join_path("/api/v2/", "/external-auth/{externalauth}"),
            "/api/v2/external-auth/{externalauth}"
        );
        assert_eq!(
            join_path("/", "/api/v2/external-auth"),
            "/api/v2/external-auth"
        );
        assert_eq!(
            join_path("", "/api/v2/external-auth/"),
            "/api/v2/external-auth"
        );
        assert_eq!(join_path("/", "/"), "/");
    }

    #[test]
    fn scope_is_the_prefix_at_a_segment_boundary() {
        assert!(in_scope("/api/v2/external-auth"));
        assert!(in_scope("/api/v2/external-auth/{externalauth}/device"));
        assert!(!in_scope("/api/v2/external-auth-other"));
        assert!(!in_scope("/api/v2/users/me"));
        assert!(in_scope("/api/v2/workspaceagents/me/gitauth"));
        assert!(in_scope(
            "/api/v2/templateversions/{templateversion}/external-auth"
        ));
        assert!(!in_scope("/api/v2/workspaceagents/me/manifest"));
        assert!(!in_scope("/api/v2/templateversions/{templateversion}"));
        assert!(!in_scope(
            "/api/v2/templateversions/{templateversion}/parameters"
        ));
        for operation in SpecOperation::ALL {
            assert!(in_scope(operation.path()), "{operation}");
        }
    }
}
