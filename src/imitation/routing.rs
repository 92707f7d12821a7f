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

/// The operation for a route and method, or the methods the route allows. `BuildInfo` is no
/// operation of the spec: the service answers it itself.
pub(crate) fn operation(
    route: &Route<'_>,
    method: &Method,
) -> Result<Operation, &'static [&'static str]> {
    match (route, method.as_str()) {
        (Route::List, "GET") => Ok(Operation::GetUserExternalAuths),
        (Route::List, _) => Err(&["GET"]),
        (
            Route::Provider {
                rest: Rest::Root, ..
            },
            "GET",
        ) => Ok(Operation::GetExternalAuthById),
        (
            Route::Provider {
                rest: Rest::Root, ..
            },
            "DELETE",
        ) => Ok(Operation::DeleteExternalAuthUserLinkById),
        (
            Route::Provider {
                rest: Rest::Root, ..
            },
            _,
        ) => Err(&["GET", "DELETE"]),
        (
            Route::Provider {
                rest: Rest::Device, ..
            },
            "GET",
        ) => Ok(Operation::GetExternalAuthDeviceById),
        (
            Route::Provider {
                rest: Rest::Device, ..
            },
            "POST",
        ) => Ok(Operation::PostExternalAuthDeviceById),
        (
            Route::Provider {
                rest: Rest::Device, ..
            },
            _,
        ) => Err(&["GET", "POST"]),
        (Route::Agent { legacy: false }, "GET") => Ok(Operation::GetWorkspaceAgentExternalAuth),
        (Route::Agent { legacy: true }, "GET") => Ok(Operation::RemovedGetWorkspaceAgentGitAuth),
        (Route::Agent { .. }, _) => Err(&["GET"]),
        (
            Route::TemplateVersion {
                external_auth: true,
                ..
            },
            "GET",
        ) => Ok(Operation::GetExternalAuthByTemplateVersion),
        (
            Route::TemplateVersion {
                external_auth: true,
                ..
            },
            _,
        ) => Err(&["GET"]),
        _ => Err(&[]),
    }
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
        assert_eq!(operation(&list, &Method::POST), Err(&["GET"][..]));
        let dev = route("/api/v2/external-auth/x/device");
        assert_eq!(
            operation(&dev, &Method::POST),
            Ok(Operation::PostExternalAuthDeviceById)
        );
        assert_eq!(operation(&dev, &Method::DELETE), Err(&["GET", "POST"][..]));
    }
}
