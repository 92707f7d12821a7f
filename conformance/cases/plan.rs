//! Turns the catalog into concrete cases for one target, from what its list returned.
//! Read-only cases come first and may run concurrently; cases that change state come after.

use coder_external_auth::Behaviour;
use serde_json::Value;

use crate::releases::Release;

use super::{
    Call, Case, Credentials, NOT_FOUND, PostBody, UNKNOWN_PROVIDER, is_valid_provider_id,
    unauthenticated,
};

/// Most providers checked one by one: a real deployment has a handful, and a list of
/// thousands must not become thousands of requests. The report says when it cut.
pub const MAX_PROVIDERS_CHECKED: usize = 100;

/// A device code the provider never issued: the exchange must be refused.
const UNKNOWN_DEVICE_CODE: &str = "conformance-unknown-device-code";

/// A provider as the target's list reports it.
#[derive(Clone, Debug)]
pub struct ProviderInfo {
    pub id: String,
    pub device: bool,
    pub linked: bool,
}

/// What the plan needs to know about the target.
#[derive(Clone, Debug)]
pub struct PlanInput {
    /// The release whose contract the plan expects.
    pub release: Release,
    /// The listed providers whose ids can be requested, at most [`MAX_PROVIDERS_CHECKED`].
    pub providers: Vec<ProviderInfo>,
    /// How many providers the list named, valid or not.
    pub listed: usize,
    /// Providers whose link may be deleted.
    pub allow_delete: Vec<String>,
}

impl PlanInput {
    /// Reads providers and links from a list body.
    pub fn from_list(release: Release, list: &Value, allow_delete: Vec<String>) -> Self {
        let linked: Vec<&str> = list["links"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|link| link["provider_id"].as_str())
            .collect();
        let listed = list["providers"].as_array().map_or(0, Vec::len);
        let providers = list["providers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|provider| {
                let id = provider["id"]
                    .as_str()
                    .filter(|id| is_valid_provider_id(id))?;
                Some(ProviderInfo {
                    id: id.to_owned(),
                    device: provider["device"].as_bool().unwrap_or(false),
                    linked: linked.contains(&id),
                })
            })
            .take(MAX_PROVIDERS_CHECKED)
            .collect();
        Self {
            release,
            providers,
            listed,
            allow_delete,
        }
    }

    pub fn device_provider(&self) -> Option<&ProviderInfo> {
        self.providers.iter().find(|provider| provider.device)
    }

    fn non_device_provider(&self) -> Option<&ProviderInfo> {
        self.providers.iter().find(|provider| !provider.device)
    }
}

/// The list itself: every other case depends on what it returns.
pub fn list_case() -> Case {
    Case::new("list", Call::List).body_condition(
        "every provider id is a name Coder accepts (1 to 32 letters and digits in \
         hyphen-separated runs)",
        |body, _| {
            body["providers"].as_array().is_none_or(|providers| {
                providers
                    .iter()
                    .all(|provider| provider["id"].as_str().is_some_and(is_valid_provider_id))
            })
        },
        "",
    )
}

/// Read-only cases that need nothing from the list: they run beside it, and show whether the
/// target answers at all while the list takes its time. The agent and template-version routes'
/// made-up-value cases are among them.
pub fn independent_cases() -> Vec<Case> {
    let unknown_provider = || Call::GetById {
        provider: UNKNOWN_PROVIDER.to_owned(),
    };
    let mut cases = vec![
        unauthenticated(Case::new("no token", Call::List), Credentials::Missing),
        unauthenticated(
            Case::new("malformed token", Call::List),
            Credentials::Malformed,
        ),
        unauthenticated(Case::new("unknown token", Call::List), Credentials::Unknown),
        Case::new("unknown provider", unknown_provider())
            .status(404)
            .message(NOT_FOUND)
            .variant("unknown-provider"),
        unauthenticated(
            Case::new("unknown provider, no token", unknown_provider()),
            Credentials::Missing,
        ),
    ];
    cases.extend(super::independent_agent_cases());
    cases
}

/// Read-only cases built from the list, independent of each other: they run at once.
pub fn read_only_plan(input: &PlanInput) -> Vec<Case> {
    let mut cases: Vec<Case> = input
        .providers
        .iter()
        .map(|provider| {
            Case::new(
                &provider.id,
                Call::GetById {
                    provider: provider.id.clone(),
                },
            )
        })
        .collect();
    if let Some(first) = input.providers.first() {
        cases.push(
            Case::new(
                format!("{} empty body", first.id),
                Call::PostDevice {
                    provider: first.id.clone(),
                    body: PostBody::Empty,
                },
            )
            .status(400)
            .message("Request body must be valid JSON.")
            .detail("EOF")
            .variant("empty-body"),
        );
    }
    if let Some(device) = input.device_provider() {
        cases.push(
            Case::new(
                &device.id,
                Call::GetDevice {
                    provider: device.id.clone(),
                },
            )
            .variant("device-code"),
        );
        cases.push(
            Case::new(
                format!("{} unknown code", device.id),
                Call::PostDevice {
                    provider: device.id.clone(),
                    body: PostBody::Code(UNKNOWN_DEVICE_CODE.to_owned()),
                },
            )
            .status(400)
            .message("Failed to exchange device code.")
            .variant("unknown-code"),
        );
    }
    if let Some(plain) = input.non_device_provider() {
        cases.push(
            Case::new(
                &plain.id,
                Call::GetDevice {
                    provider: plain.id.clone(),
                },
            )
            .status(400)
            .message("Git auth device flow not supported.")
            .variant("not-supported"),
        );
        cases.push(
            Case::new(
                format!("{} not supported", plain.id),
                Call::PostDevice {
                    provider: plain.id.clone(),
                    body: PostBody::Code(UNKNOWN_DEVICE_CODE.to_owned()),
                },
            )
            .status(400)
            .message("Git auth provider does not support device flow.")
            .variant("not-supported"),
        );
    }
    cases
}

/// Cases that change the target, one sequence per allowed provider: its DELETE, then the same
/// DELETE again, which must find no link. Each sequence runs in order; one provider's link is
/// not another's, so sequences may run at once.
pub fn mutating_plan(input: &PlanInput) -> Vec<Vec<Case>> {
    input
        .providers
        .iter()
        .filter(|provider| input.allow_delete.contains(&provider.id))
        .map(|provider| {
            let call = || Call::Delete {
                provider: provider.id.clone(),
            };
            let first = Case::new(&provider.id, call());
            vec![
                if provider.linked {
                    first
                } else {
                    no_link(first, &input.release)
                },
                no_link(
                    Case::new(format!("{} again", provider.id), call()),
                    &input.release,
                ),
            ]
        })
        .collect()
}

/// A DELETE with no link to delete: 404, or before v2.27.0 the inverted error branch's 500.
fn no_link(case: Case, release: &Release) -> Case {
    let case = case.variant("no-link");
    if release.version.has(Behaviour::DeleteReportsRevocation) {
        case.status(404).message(NOT_FOUND)
    } else {
        // The detail (`fetch object: sql: no rows in result set`) comes from the database
        // layer and is read from the source, not seen on a server: not held against it.
        case.status(500)
            .message("Failed to delete external auth link.")
    }
}

/// The device flow's cases for `provider`, in order: a poll before approval, the exchange
/// after it, then the provider's status and the list, which must both show the new link.
pub fn device_flow_cases(provider: &str, device_code: &str) -> DeviceFlowCases {
    let post = |label: &str| {
        Case::new(
            format!("{provider} {label}"),
            Call::PostDevice {
                provider: provider.to_owned(),
                body: PostBody::Code(device_code.to_owned()),
            },
        )
    };
    DeviceFlowCases {
        start: Case::new(
            format!("{provider} device flow"),
            Call::GetDevice {
                provider: provider.to_owned(),
            },
        )
        .variant("device-code"),
        pending: post("pending")
            .status(400)
            .message("Failed to exchange device code.")
            .detail("authorization_pending")
            .variant("pending"),
        approved: post("approved").status(204).variant("approved"),
        status_after: Case::new(
            format!("{provider} after device flow"),
            Call::GetById {
                provider: provider.to_owned(),
            },
        )
        .body_condition(
            "authenticated is true after the device flow",
            |body, _| body["authenticated"] == Value::Bool(true),
            "",
        ),
        list_after: Case::new(format!("after device flow for {provider}"), Call::List)
            .body_condition(
                "links include the provider after the device flow",
                |body, provider| {
                    body["links"].as_array().is_some_and(|links| {
                        links.iter().any(|link| link["provider_id"] == provider)
                    })
                },
                provider,
            ),
    }
}

/// The cases of one device flow, see [`device_flow_cases`].
pub struct DeviceFlowCases {
    pub start: Case,
    pub pending: Case,
    pub approved: Case,
    pub status_after: Case,
    pub list_after: Case,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn newest() -> Release {
        Release::resolve(crate::curated::spec(), None, None).unwrap()
    }

    fn input(allow_delete: &[&str]) -> PlanInput {
        let list = json!({
            "providers": [{"id": "github", "device": true}, {"id": "gitlab", "device": false}],
            "links": [{"provider_id": "github"}]
        });
        PlanInput::from_list(
            newest(),
            &list,
            allow_delete.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn read_only_plan_covers_every_provider_and_both_device_kinds() {
        let mut plan = independent_cases();
        plan.extend(read_only_plan(&input(&[])));
        let titles: Vec<String> = plan.iter().map(Case::title).collect();
        for expected in [
            "get-external-auth-by-id github",
            "get-external-auth-by-id gitlab",
            "get-external-auth-device-by-id github",
            "get-external-auth-device-by-id gitlab",
            "post-external-auth-device-by-id github empty body",
            "post-external-auth-device-by-id github unknown code",
            "post-external-auth-device-by-id gitlab not supported",
            "get-user-external-auths no token",
        ] {
            assert!(
                titles.iter().any(|t| t == expected),
                "missing {expected}: {titles:?}"
            );
        }
        assert!(!titles.iter().any(|t| t.starts_with("delete")));
    }

    /// Each planned DELETE's label and expected status.
    fn deletes(input: &PlanInput) -> Vec<(String, u16)> {
        mutating_plan(input)
            .iter()
            .flatten()
            .map(|case| (case.label.clone(), case.expect.status))
            .collect()
    }

    #[test]
    fn before_v2_27_a_missing_link_is_the_inverted_500() {
        let old = Release::resolve(
            crate::curated::spec(),
            Some("2.26.0".parse().unwrap()),
            None,
        )
        .unwrap();
        let mut input = input(&["github", "gitlab"]);
        input.release = old;
        assert_eq!(
            deletes(&input),
            [
                ("github".to_owned(), 200),
                ("github again".to_owned(), 500),
                ("gitlab".to_owned(), 500),
                ("gitlab again".to_owned(), 500),
            ]
        );
    }

    #[test]
    fn deletes_only_where_allowed_and_always_twice() {
        assert!(mutating_plan(&input(&[])).is_empty());
        assert_eq!(
            deletes(&input(&["github", "gitlab"])),
            [
                ("github".to_owned(), 200),
                ("github again".to_owned(), 404),
                ("gitlab".to_owned(), 404),
                ("gitlab again".to_owned(), 404),
            ]
        );
    }
}
