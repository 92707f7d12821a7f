//! Every variant each operation's cases can produce, sorted by operation_id. A variant the
//! target does not exercise is reported as skipped; `conformance list` prints this table.

/// One operation's variants, with what produces each.
pub struct CatalogEntry {
    pub operation_id: &'static str,
    pub variants: &'static [(&'static str, &'static str)],
}

pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        operation_id: "delete-external-auth-user-link-by-id",
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
        operation_id: "get-external-auth-by-id",
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
        operation_id: "get-external-auth-device-by-id",
        variants: &[
            ("device-code", "a provider with the device flow"),
            ("not-supported", "a provider without the device flow (400)"),
        ],
    },
    CatalogEntry {
        operation_id: "get-user-external-auths",
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
        operation_id: "post-external-auth-device-by-id",
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
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_operation_id_then_variant() {
        let ids: Vec<_> = CATALOG.iter().map(|entry| entry.operation_id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for entry in CATALOG {
            let names: Vec<_> = entry.variants.iter().map(|(name, _)| *name).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{}", entry.operation_id);
        }
    }

    #[test]
    fn matches_the_spec_operations() {
        let contract = crate::contract::Contract::load().unwrap();
        let spec: Vec<_> = contract.operation_ids().collect();
        let catalog: Vec<_> = CATALOG.iter().map(|entry| entry.operation_id).collect();
        assert_eq!(spec, catalog);
    }
}
