//! Every variant each operation's cases can produce, sorted by operation_id. A variant the
//! target does not exercise is reported as skipped; `conformance list` prints this table.

use coder_external_auth::Operation;

/// One operation's variants, with what produces each.
pub struct CatalogEntry {
    pub operation: Operation,
    pub variants: &'static [(&'static str, &'static str)],
}

pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        operation: Operation::DeleteExternalAuthUserLinkById,
        variants: &[
            ("deleted", "an allowed DELETE of a linked provider"),
            (
                "deleted-with-revocation-error",
                "an allowed DELETE whose revocation failed",
            ),
            ("no-link", "a second DELETE of the same provider (404)"),
        ],
    },
    CatalogEntry {
        operation: Operation::GetExternalAuthById,
        variants: &[
            (
                "authenticated",
                "a linked provider whose type gives no user",
            ),
            (
                "authenticated-with-user",
                "a linked GitHub provider without app installations",
            ),
            (
                "authenticated-with-user-and-installations",
                "a linked GitHub provider with app installations",
            ),
            ("no-token", "no token, unknown provider (401 wins over 404)"),
            (
                "not-authenticated",
                "a provider with no link or an expired token",
            ),
            (
                "unknown-provider",
                "a provider id that is not configured (404)",
            ),
        ],
    },
    CatalogEntry {
        operation: Operation::GetExternalAuthByTemplateVersion,
        variants: &[
            (
                "invalid-user-id",
                "2.36+: a `user_id` that is neither `me` nor a UUID (400)",
            ),
            (
                "no-providers",
                "a version that references no provider ([], never null)",
            ),
            ("no-token", "no token, not a UUID (401 wins over 400)"),
            ("not-a-uuid", "a path segment that is not a UUID (400)"),
            (
                "providers",
                "--template-version: a version that references providers",
            ),
            (
                "removed-provider",
                "a version that references a provider no longer configured (404)",
            ),
            (
                "unknown-version",
                "a UUID that is no template version (404)",
            ),
        ],
    },
    CatalogEntry {
        operation: Operation::GetExternalAuthDeviceById,
        variants: &[
            ("device-code", "a provider with the device flow"),
            ("not-supported", "a provider without the device flow (400)"),
        ],
    },
    CatalogEntry {
        operation: Operation::GetUserExternalAuths,
        variants: &[
            ("empty", "no providers configured"),
            ("malformed-token", "a token that is not <id>-<secret> (401)"),
            ("no-token", "no token (401)"),
            ("providers-and-links", "providers, and links for the caller"),
            ("providers-only", "providers, and no links for the caller"),
            (
                "unknown-token",
                "a well-formed token no deployment issued (401)",
            ),
        ],
    },
    CatalogEntry {
        operation: Operation::GetWorkspaceAgentExternalAuth,
        variants: &[
            ("id-and-match", "--agent-token: both id and match (400)"),
            (
                "linked",
                "--agent-token: a provider the owner is linked to (the token)",
            ),
            (
                "listen-linked",
                "--agent-listen: listen on a linked provider, answered at once",
            ),
            ("no-query", "--agent-token: neither id nor match (400)"),
            ("no-token", "no token (401, no WWW-Authenticate)"),
            ("session-token", "a session token, not a UUID (401)"),
            ("unknown-agent", "a UUID no deployment issued (401)"),
            (
                "unknown-provider",
                "--agent-token: an id that is not configured (404)",
            ),
            (
                "unlinked",
                "--agent-token: a provider the owner is not linked to (only url)",
            ),
        ],
    },
    CatalogEntry {
        operation: Operation::PostExternalAuthDeviceById,
        variants: &[
            (
                "approved",
                "--device-flow: the exchange after approval (204)",
            ),
            ("empty-body", "no body (400, detail EOF)"),
            ("not-supported", "a provider without the device flow (400)"),
            (
                "pending",
                "--device-flow: a poll before approval (400 authorization_pending)",
            ),
            (
                "unknown-code",
                "a device code the provider never issued (400)",
            ),
        ],
    },
    CatalogEntry {
        operation: Operation::RemovedGetWorkspaceAgentGitAuth,
        variants: &[
            (
                "linked",
                "--agent-token: the deprecated alias, a linked provider",
            ),
            ("no-token", "no token (401, no WWW-Authenticate)"),
            (
                "unlinked",
                "--agent-token: the deprecated alias, a provider not linked",
            ),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_operation_id_then_variant() {
        let ids: Vec<_> = CATALOG.iter().map(|entry| entry.operation.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for entry in CATALOG {
            let names: Vec<_> = entry.variants.iter().map(|(name, _)| *name).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{}", entry.operation);
        }
    }

    #[test]
    fn matches_the_spec_operations() {
        let contract =
            crate::contract::Contract::load(coder_external_auth::CoderVersion::NEWEST_KNOWN)
                .unwrap();
        let spec: Vec<_> = contract.operations().collect();
        let catalog: Vec<_> = CATALOG.iter().map(|entry| entry.operation).collect();
        assert_eq!(spec, catalog);
    }

    /// Every (operation, variant) the plan can produce: fixed by a case, or named from a
    /// response by `variant_of` for each state a response can be in.
    fn producible() -> std::collections::BTreeSet<(Operation, String)> {
        use super::super::{
            PlanInput, device_flow_cases, independent_cases, mutating_plan, read_only_plan,
        };
        use serde_json::json;

        let list = json!({
            "providers": [{"id": "github", "device": true}, {"id": "gitlab", "device": false}],
            "links": [{"provider_id": "github"}]
        });
        let release =
            crate::releases::Release::resolve(crate::curated::spec(), None, None).unwrap();
        let input = PlanInput::from_list(release, &list, vec!["github".into(), "gitlab".into()]);
        let flow = device_flow_cases("github", "code");
        let mut cases = independent_cases();
        cases.extend(read_only_plan(&input));
        cases.extend(mutating_plan(&input).into_iter().flatten());
        cases.extend([
            flow.start,
            flow.pending,
            flow.approved,
            flow.status_after,
            flow.list_after,
        ]);
        cases.push(super::super::list_case());
        cases.extend(super::super::independent_agent_cases());
        cases.extend(super::super::agent_token_cases(&[
            "github".into(),
            "gitlab".into(),
        ]));
        cases.push(super::super::listen_case("github"));
        cases.push(super::super::removed_provider_case("x"));
        cases.extend(super::super::user_id_cases("x", true));

        let mut produced = std::collections::BTreeSet::new();
        for case in &cases {
            if let Some(variant) = case.variant {
                produced.insert((case.operation(), variant.to_owned()));
            }
        }
        let responses = [
            (
                Operation::GetUserExternalAuths,
                200,
                json!({"providers": [{}], "links": [{}]}),
            ),
            (
                Operation::GetUserExternalAuths,
                200,
                json!({"providers": [{}], "links": []}),
            ),
            (
                Operation::GetUserExternalAuths,
                200,
                json!({"providers": [], "links": []}),
            ),
            (
                Operation::GetExternalAuthById,
                200,
                json!({"authenticated": false}),
            ),
            (
                Operation::GetExternalAuthById,
                200,
                json!({"authenticated": true, "user": null}),
            ),
            (
                Operation::GetExternalAuthById,
                200,
                json!({"authenticated": true, "user": {}, "installations": []}),
            ),
            (
                Operation::GetExternalAuthById,
                200,
                json!({"authenticated": true, "user": {}, "installations": [{}]}),
            ),
            (
                Operation::DeleteExternalAuthUserLinkById,
                200,
                json!({"token_revoked": true}),
            ),
            (
                Operation::DeleteExternalAuthUserLinkById,
                200,
                json!({"token_revoked": false, "token_revocation_error": "x"}),
            ),
            (Operation::DeleteExternalAuthUserLinkById, 404, json!({})),
            (Operation::GetExternalAuthDeviceById, 200, json!({})),
            (Operation::PostExternalAuthDeviceById, 204, json!(null)),
            (
                Operation::GetWorkspaceAgentExternalAuth,
                200,
                json!({"url": "", "access_token": "t"}),
            ),
            (
                Operation::GetWorkspaceAgentExternalAuth,
                200,
                json!({"url": "https://coder.example.com/external-auth/github"}),
            ),
            (
                Operation::RemovedGetWorkspaceAgentGitAuth,
                200,
                json!({"url": "", "access_token": "t"}),
            ),
            (
                Operation::RemovedGetWorkspaceAgentGitAuth,
                200,
                json!({"url": "https://coder.example.com/external-auth/github"}),
            ),
            (Operation::GetExternalAuthByTemplateVersion, 200, json!([])),
            (
                Operation::GetExternalAuthByTemplateVersion,
                200,
                json!([{}]),
            ),
            (
                Operation::GetExternalAuthByTemplateVersion,
                404,
                json!({"message": "The template version references a Git auth provider \"x\" that no longer exists."}),
            ),
        ];
        for (operation, status, body) in responses {
            produced.insert((
                operation,
                super::super::variant_of(operation, status, Some(&body)),
            ));
        }
        produced
    }

    #[test]
    fn the_catalog_is_exactly_what_the_plan_can_produce() {
        let catalog: std::collections::BTreeSet<(Operation, String)> = CATALOG
            .iter()
            .flat_map(|entry| {
                entry
                    .variants
                    .iter()
                    .map(|(variant, _)| (entry.operation, (*variant).to_owned()))
            })
            .collect();
        let produced = producible();
        let not_in_catalog: Vec<_> = produced.difference(&catalog).collect();
        let never_produced: Vec<_> = catalog.difference(&produced).collect();
        assert!(
            not_in_catalog.is_empty(),
            "the plan produces variants the catalog lacks: {not_in_catalog:?}"
        );
        assert!(
            never_produced.is_empty(),
            "catalog variants nothing produces: {never_produced:?}"
        );
    }

    #[test]
    fn every_catalog_variant_has_an_accepted_snapshot() {
        let accepted = crate::snapshot::Accepted::Embedded;
        let missing: Vec<String> = CATALOG
            .iter()
            .flat_map(|entry| {
                entry
                    .variants
                    .iter()
                    .filter(|(variant, _)| !accepted.has(entry.operation, variant))
                    .map(|(variant, _)| format!("{}@{variant}", entry.operation))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "catalog variants without an accepted snapshot (run `conformance check --snapshots snapshots --accept`): {missing:?}"
        );
    }

    #[test]
    fn every_accepted_snapshot_names_a_catalog_variant() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
        let unreferenced =
            crate::commands::list::unreferenced(&crate::snapshot::Accepted::Dir(dir)).unwrap();
        assert!(
            unreferenced.is_empty(),
            "snapshots/ holds files no catalog variant names: {unreferenced:?}"
        );
    }
}
