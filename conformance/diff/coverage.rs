//! What the comparison cannot see: named types that one side's operations use and the other
//! side's operations never mention. The diff compares shapes where both sides put them, so the
//! fields of such a type are compared with nothing; saying so keeps a silent pass honest.
//! Informational only: it never changes the exit status.

use std::collections::BTreeMap;

use super::model::{Api, OpKey};

/// A type one side uses for these operations that the other side does not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NotComparable {
    /// The side that uses it (`curated`, `upstream`).
    pub side: &'static str,
    /// The side that lacks it.
    pub other: &'static str,
    /// As its side names it: `ListUserExternalAuthResponse`, `codersdk.Foo`.
    pub name: String,
    /// The operations whose schemas reference it, sorted.
    pub operations: Vec<OpKey>,
}

impl NotComparable {
    /// Why it is listed, in a sentence.
    pub(crate) fn reason(&self) -> String {
        format!(
            "{}'s operations never name it, so its fields are compared with nothing",
            self.other
        )
    }

    /// `GET /api/v2/external-auth`, or `5 operations`.
    pub(crate) fn used_by(&self) -> String {
        match self.operations.as_slice() {
            [only] => only.to_string(),
            many => format!("{} operations", many.len()),
        }
    }
}

/// The types of `a` missing from `b`, then those of `b` missing from `a`, each sorted by name.
/// Names match without a Go package prefix: upstream's `codersdk.ExternalAuth` is the curated
/// `ExternalAuth`.
pub(crate) fn not_comparable(
    (a_side, a): (&'static str, &Api),
    (b_side, b): (&'static str, &Api),
) -> Vec<NotComparable> {
    let (a_types, b_types) = (types(a), types(b));
    let missing = |side, other, have: &Types, lack: &Types| {
        have.iter()
            .filter(|(bare, _)| !lack.contains_key(*bare))
            .map(|(_, (name, operations))| NotComparable {
                side,
                other,
                name: name.clone(),
                operations: operations.clone(),
            })
            .collect::<Vec<_>>()
    };
    let mut out = missing(a_side, b_side, &a_types, &b_types);
    out.extend(missing(b_side, a_side, &b_types, &a_types));
    out
}

/// Bare name to (the name as written, the operations using it).
type Types = BTreeMap<String, (String, Vec<OpKey>)>;

fn types(api: &Api) -> Types {
    let mut out = Types::new();
    for (key, operation) in &api.operations {
        for name in &operation.types {
            let bare = name
                .rsplit_once('.')
                .map_or(name.as_str(), |(_, bare)| bare);
            out.entry(bare.to_owned())
                .or_insert_with(|| (name.clone(), Vec::new()))
                .1
                .push(key.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::model::Operation;

    fn api(operations: &[(&str, &[&str])]) -> Api {
        let mut api = Api::default();
        for (path, types) in operations {
            let operation = Operation {
                types: types.iter().map(|t| t.to_string()).collect(),
                ..Operation::default()
            };
            api.operations.insert(OpKey::new("get", path), operation);
        }
        api
    }

    #[test]
    fn types_one_side_lacks_are_listed_from_both_sides() {
        let curated = api(&[
            (
                "/api/v2/external-auth",
                &["ListResponse", "Link", "Response"],
            ),
            (
                "/api/v2/external-auth/{externalauth}",
                &["Auth", "Response"],
            ),
        ]);
        let upstream = api(&[
            ("/api/v2/external-auth", &["codersdk.Link"]),
            (
                "/api/v2/external-auth/{externalauth}",
                &["codersdk.Auth", "codersdk.New"],
            ),
        ]);
        let found = not_comparable(("curated", &curated), ("upstream", &upstream));
        let listed: Vec<(&str, &str, String)> = found
            .iter()
            .map(|n| (n.side, n.name.as_str(), n.used_by()))
            .collect();
        assert_eq!(
            listed,
            [
                (
                    "curated",
                    "ListResponse",
                    "GET /api/v2/external-auth".to_owned()
                ),
                ("curated", "Response", "2 operations".to_owned()),
                (
                    "upstream",
                    "codersdk.New",
                    "GET /api/v2/external-auth/{externalauth}".to_owned()
                ),
            ]
        );
        assert_eq!(
            found[0].reason(),
            "upstream's operations never name it, so its fields are compared with nothing"
        );
    }

    #[test]
    fn identical_sides_have_nothing_to_list() {
        let curated = api(&[("/api/v2/external-auth", &["Link"])]);
        assert!(not_comparable(("old", &curated), ("new", &curated)).is_empty());
    }
}
