//! Which operation a request is for, decided the way chi's router tree would: paths are
//! matched raw (no percent-decoding, like chi on `RawPath`), repeated slashes collapsed
//! (coderd's `singleSlashMW`), and method matching left to the caller because chi runs the
//! auth and provider middleware first.

use std::borrow::Cow;

use http::Method;

pub(crate) use crate::Operation;

/// Where a path leads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// Outside `/api/v2`: not part of the imitation (the real server serves its web UI).
    Outside,
    /// Under `/api/v2` but no route: 404 after the rate limit.
    ApiNotFound,
    /// `/api/v2/buildinfo`: no authentication, as in coderd.
    BuildInfo,
    /// `/api/v2/external-auth`.
    List,
    /// `/api/v2/external-auth/{id}...`.
    Provider { id: &'a str, rest: Rest },
    /// `/api/v2/workspaceagents/me/external-auth`, or with `legacy` its alias `/gitauth`.
    /// Other `/workspaceagents` paths are not imitated (`Route not found.`).
    Agent { legacy: bool },
    /// `/api/v2/templateversions/{id}...`: `external_auth` when the rest is `/external-auth`;
    /// other sub-paths pass authentication and the version lookup before their 404.
    TemplateVersion { id: &'a str, external_auth: bool },
}

/// What follows `/{externalauth}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rest {
    Root,
    Device,
    Unknown,
}

/// Collapses runs of `/`, as coderd does before routing.
pub(crate) fn clean(path: &str) -> Cow<'_, str> {
    if !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    let mut previous_slash = false;
    for c in path.chars() {
        if c == '/' && previous_slash {
            continue;
        }
        previous_slash = c == '/';
        out.push(c);
    }
    Cow::Owned(out)
}

/// Classifies a cleaned path.
pub(crate) fn route(path: &str) -> Route<'_> {
    let Some(api) = path.strip_prefix("/api/v2") else {
        return Route::Outside;
    };
    if !(api.is_empty() || api.starts_with('/')) {
        return Route::Outside;
    }
    if api == "/buildinfo" {
        return Route::BuildInfo;
    }
    match api {
        "/workspaceagents/me/external-auth" => return Route::Agent { legacy: false },
        "/workspaceagents/me/gitauth" => return Route::Agent { legacy: true },
        _ => {}
    }
    if let Some(rest) = api.strip_prefix("/templateversions/")
        && !rest.is_empty()
    {
        let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
        return Route::TemplateVersion {
            id,
            external_auth: tail == "external-auth",
        };
    }
    let Some(rest) = api.strip_prefix("/external-auth") else {
        return Route::ApiNotFound;
    };
    // chi's Mount serves both `/external-auth` and `/external-auth/`.
    let rest = match rest {
        "" | "/" => return Route::List,
        _ => match rest.strip_prefix('/') {
            Some(rest) => rest,
            None => return Route::ApiNotFound,
        },
    };
    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let rest = match tail {
        "" => Rest::Root,
        "device" => Rest::Device,
        _ => Rest::Unknown,
    };
    Route::Provider { id, rest }
}

impl Route<'_> {
    /// The spec's operations at this route, in the order coderd registers them with chi (its
    /// 405 names their methods in that order); none for a route that is no operation's.
    pub(crate) fn operations(&self) -> &'static [Operation] {
        match self {
            Route::List => &[Operation::GetUserExternalAuths],
            Route::Provider {
                rest: Rest::Root, ..
            } => &[
                Operation::GetExternalAuthById,
                Operation::DeleteExternalAuthUserLinkById,
            ],
            Route::Provider {
                rest: Rest::Device, ..
            } => &[
                Operation::GetExternalAuthDeviceById,
                Operation::PostExternalAuthDeviceById,
            ],
            Route::Agent { legacy: false } => &[Operation::GetWorkspaceAgentExternalAuth],
            Route::Agent { legacy: true } => &[Operation::RemovedGetWorkspaceAgentGitAuth],
            Route::TemplateVersion {
                external_auth: true,
                ..
            } => &[Operation::GetExternalAuthByTemplateVersion],
            Route::Outside
            | Route::ApiNotFound
            | Route::BuildInfo
            | Route::Provider {
                rest: Rest::Unknown,
                ..
            }
            | Route::TemplateVersion {
                external_auth: false,
                ..
            } => &[],
        }
    }
}

/// The operation for a route and method (by the operation's own method), or the operations
/// the route has, whose methods it allows (none: no route). `BuildInfo` is no operation of
/// the spec: the service answers it itself.
pub(crate) fn operation(
    route: &Route<'_>,
    method: &Method,
) -> Result<Operation, &'static [Operation]> {
    let operations = route.operations();
    operations
        .iter()
        .copied()
        .find(|operation| operation.http_method() == method)
        .ok_or(operations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_like_chi() {
        assert_eq!(route("/api/v2/external-auth"), Route::List);
        assert_eq!(route("/api/v2/external-auth/"), Route::List);
        assert_eq!(
            route("/api/v2/external-auth/github"),
            Route::Provider {
                id: "github",
                rest: Rest::Root
            }
        );
        assert_eq!(
            route("/api/v2/external-auth/github/"),
            Route::Provider {
                id: "github",
                rest: Rest::Root
            }
        );
        assert_eq!(
            route("/api/v2/external-auth/github/device"),
            Route::Provider {
                id: "github",
                rest: Rest::Device
            }
        );
        assert_eq!(
            route("/api/v2/external-auth/github/device/x"),
            Route::Provider {
                id: "github",
                rest: Rest::Unknown
            }
        );
        assert_eq!(route("/api/v2/buildinfo"), Route::BuildInfo);
        assert_eq!(
            route("/api/v2/workspaceagents/me/external-auth"),
            Route::Agent { legacy: false }
        );
        assert_eq!(
            route("/api/v2/workspaceagents/me/gitauth"),
            Route::Agent { legacy: true }
        );
        assert_eq!(
            route("/api/v2/workspaceagents/me/other"),
            Route::ApiNotFound
        );
        assert_eq!(
            route("/api/v2/templateversions/x/external-auth"),
            Route::TemplateVersion {
                id: "x",
                external_auth: true
            }
        );
        assert_eq!(
            route("/api/v2/templateversions/x"),
            Route::TemplateVersion {
                id: "x",
                external_auth: false
            }
        );
        assert_eq!(route("/api/v2/templateversions/"), Route::ApiNotFound);
        assert_eq!(route("/api/v2/buildinfo/"), Route::ApiNotFound);
        assert_eq!(route("/api/v2/external-authx"), Route::ApiNotFound);
        assert_eq!(route("/api/v2/users/me"), Route::ApiNotFound);
        assert_eq!(route("/api/v2"), Route::ApiNotFound);
        assert_eq!(route("/api/v2x"), Route::Outside);
        assert_eq!(route("/"), Route::Outside);
        assert_eq!(
            clean("//api///v2/external-auth//github"),
            "/api/v2/external-auth/github"
        );
    }

    #[test]
    fn methods() {
        let list = route("/api/v2/external-auth");
        assert_eq!(
            operation(&list, &Method::GET),
            Ok(Operation::GetUserExternalAuths)
        );
        assert_eq!(
            operation(&list, &Method::POST),
            Err(&[Operation::GetUserExternalAuths][..])
        );
        let dev = route("/api/v2/external-auth/x/device");
        assert_eq!(
            operation(&dev, &Method::POST),
            Ok(Operation::PostExternalAuthDeviceById)
        );
        let allowed: Vec<Method> = operation(&dev, &Method::DELETE)
            .unwrap_err()
            .iter()
            .map(|operation| operation.http_method())
            .collect();
        assert_eq!(allowed, [Method::GET, Method::POST]);
        assert_eq!(
            operation(&route("/api/v2/users/me"), &Method::GET),
            Err(&[][..])
        );
    }

    /// Each operation is routed to at its spec path (parameters filled in) and method, so the
    /// routes and `Operation::path` cannot drift apart.
    #[test]
    fn every_operation_is_routed_at_its_spec_path() {
        for expected in Operation::ALL {
            let path = expected
                .path()
                .replace("{externalauth}", "github")
                .replace("{templateversion}", "7c5a6a52-8f0e-4d3b-9a61-0b8f4c2e1d01");
            assert!(
                !path.contains('{'),
                "{path}: a parameter this test does not fill"
            );
            let route = route(&path);
            assert_eq!(
                operation(&route, &expected.http_method()),
                Ok(expected),
                "{path}"
            );
            assert!(route.operations().contains(&expected), "{path}");
            for other in route.operations() {
                assert_eq!(other.path(), expected.path(), "{other} shares {path}");
            }
        }
    }
}
