//! Turns the catalog into concrete cases for one target, from what its list returned.
//! Read-only cases come first and may run concurrently; cases that change state come after.

use serde_json::Value;

use super::{Call, Case, Credentials, NOT_FOUND, PostBody, UNKNOWN_PROVIDER, unauthenticated};

const LIST: &str = "get-user-external-auths";
const BY_ID: &str = "get-external-auth-by-id";
const DELETE: &str = "delete-external-auth-user-link-by-id";
const GET_DEVICE: &str = "get-external-auth-device-by-id";
const POST_DEVICE: &str = "post-external-auth-device-by-id";

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
#[derive(Clone, Debug, Default)]
pub struct PlanInput {
    pub providers: Vec<ProviderInfo>,
    /// Providers whose link may be deleted.
    pub allow_delete: Vec<String>,
}

impl PlanInput {
    /// Reads providers and links from a list body.
    pub fn from_list(list: &Value, allow_delete: Vec<String>) -> Self {
        let linked: Vec<&str> = list["links"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|link| link["provider_id"].as_str())
            .collect();
        let providers = list["providers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|provider| {
                let id = provider["id"].as_str()?;
                Some(ProviderInfo {
                    id: id.to_owned(),
                    device: provider["device"].as_bool().unwrap_or(false),
                    linked: linked.contains(&id),
                })
            })
            .collect();
        Self {
            providers,
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

/// A list of cases to run, in phases: each phase's cases are independent of each other.
pub type Plan = Vec<Vec<Case>>;

/// The list itself: every other case depends on what it returns.
pub fn list_case() -> Case {
    Case::new(LIST, "list", Call::List)
}

/// Read-only cases, in two phases: those that need nothing, and those built from the list.
pub fn read_only_plan(input: &PlanInput) -> Plan {
    let unknown_provider = || Call::GetById {
        provider: UNKNOWN_PROVIDER.to_owned(),
    };
    let independent = vec![
        unauthenticated(
            Case::new(LIST, "no token", Call::List),
            Credentials::Missing,
        ),
        unauthenticated(
            Case::new(LIST, "malformed token", Call::List),
            Credentials::Malformed,
        ),
        unauthenticated(
            Case::new(LIST, "unknown token", Call::List),
            Credentials::Unknown,
        ),
        Case::new(BY_ID, "unknown provider", unknown_provider())
            .status(404)
            .message(NOT_FOUND)
            .variant("unknown-provider"),
        unauthenticated(
            Case::new(BY_ID, "unknown provider, no token", unknown_provider()),
            Credentials::Missing,
        ),
    ];

    let mut from_list: Vec<Case> = input
        .providers
        .iter()
        .map(|provider| {
            Case::new(
                BY_ID,
                &provider.id,
                Call::GetById {
                    provider: provider.id.clone(),
                },
            )
        })
        .collect();
    if let Some(first) = input.providers.first() {
        from_list.push(
            Case::new(
                POST_DEVICE,
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
        from_list.push(
            Case::new(
                GET_DEVICE,
                &device.id,
                Call::GetDevice {
                    provider: device.id.clone(),
                },
            )
            .variant("device-code"),
        );
        from_list.push(
            Case::new(
                POST_DEVICE,
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
        from_list.push(
            Case::new(
                GET_DEVICE,
                &plain.id,
                Call::GetDevice {
                    provider: plain.id.clone(),
                },
            )
            .status(400)
            .message("Git auth device flow not supported.")
            .variant("not-supported"),
        );
        from_list.push(
            Case::new(
                POST_DEVICE,
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
    vec![independent, from_list]
}

/// Cases that change the target, one at a time: each allowed DELETE, then the same DELETE
/// again, which must find no link.
pub fn mutating_plan(input: &PlanInput) -> Vec<Case> {
    let mut cases = Vec::new();
    for provider in input
        .providers
        .iter()
        .filter(|provider| input.allow_delete.contains(&provider.id))
    {
        let call = || Call::Delete {
            provider: provider.id.clone(),
        };
        let first = Case::new(DELETE, &provider.id, call());
        cases.push(if provider.linked {
            first
        } else {
            first.status(404).message(NOT_FOUND).variant("no-link")
        });
        cases.push(
            Case::new(DELETE, format!("{} again", provider.id), call())
                .status(404)
                .message(NOT_FOUND)
                .variant("no-link"),
        );
    }
    cases
}

/// The device flow's cases for `provider`, in order: a poll before approval, the exchange
/// after it, then the provider's status and the list, which must both show the new link.
pub fn device_flow_cases(provider: &str, device_code: &str) -> DeviceFlowCases {
    let post = |label: &str| {
        Case::new(
            POST_DEVICE,
            format!("{provider} {label}"),
            Call::PostDevice {
                provider: provider.to_owned(),
                body: PostBody::Code(device_code.to_owned()),
            },
        )
    };
    DeviceFlowCases {
        start: Case::new(
            GET_DEVICE,
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
            BY_ID,
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
        list_after: Case::new(
            LIST,
            format!("after device flow for {provider}"),
            Call::List,
        )
        .body_condition(
            "links include the provider after the device flow",
            |body, provider| {
                body["links"]
                    .as_array()
                    .is_some_and(|links| links.iter().any(|link| link["provider_id"] == provider))
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

    fn input(allow_delete: &[&str]) -> PlanInput {
        let list = json!({
            "providers": [{"id": "github", "device": true}, {"id": "gitlab", "device": false}],
            "links": [{"provider_id": "github"}]
        });
        PlanInput::from_list(&list, allow_delete.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn read_only_plan_covers_every_provider_and_both_device_kinds() {
        let plan = read_only_plan(&input(&[]));
        let titles: Vec<String> = plan.iter().flatten().map(Case::title).collect();
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

    #[test]
    fn deletes_only_where_allowed_and_always_twice() {
        assert!(mutating_plan(&input(&[])).is_empty());
        let cases = mutating_plan(&input(&["github", "gitlab"]));
        let summary: Vec<(String, u16)> = cases
            .iter()
            .map(|case| (case.label.clone(), case.expect.status))
            .collect();
        assert_eq!(
            summary,
            [
                ("github".to_owned(), 200),
                ("github again".to_owned(), 404),
                ("gitlab".to_owned(), 404),
                ("gitlab again".to_owned(), 404),
            ]
        );
    }
}
