//! The contract of one Coder release, derived from the curated spec's release annotations:
//! a property, response body or schema marked `x-coder-since: X` is sent from release X on
//! (and then always), one marked `x-coder-until: Y` up to, not including, release Y. The
//! releases between two annotated versions share one contract: a contract range.

use std::fmt;

use coder_external_auth::CoderVersion;
use serde_json::{Map, Value};

/// The oldest release this tool checks (older ones are refused, exit 2): the library's
/// support window, named here for the messages that quote it.
pub const OLDEST_SUPPORTED: CoderVersion = CoderVersion::OLDEST_SUPPORTED;

/// Releases that share one contract: from `from` up to, not including, `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractRange {
    pub from: CoderVersion,
    /// `None`: the newest contract, which also applies to releases newer than we know.
    pub until: Option<CoderVersion>,
}

impl ContractRange {
    /// `2.27-2.29`: the minor releases it covers, as snapshot file names carry it.
    pub fn tag(&self) -> String {
        let last = self
            .until
            .map_or(CoderVersion::NEWEST_KNOWN.minor, |until| {
                until.minor.saturating_sub(1)
            });
        format!(
            "{}.{}-{}.{}",
            self.from.major, self.from.minor, self.from.major, last
        )
    }

    pub fn is_newest(&self) -> bool {
        self.until.is_none()
    }
}

impl fmt::Display for ContractRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = self.tag().split_once('-').map_or_else(
            || (String::new(), String::new()),
            |(a, b)| (a.to_owned(), b.to_owned()),
        );
        if from == to {
            write!(f, "Coder {from}")
        } else {
            write!(f, "Coder {from} to {to}")
        }
    }
}

/// How the release was known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseSource {
    /// `--coder-version`.
    Given,
    /// What the deployment said (`X-Coder-Build-Version` or `/api/v2/buildinfo`), verbatim.
    Detected(String),
    /// Nothing said: the newest contract applies.
    Assumed,
}

/// The release a run checks against, and the contract that applies to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub version: CoderVersion,
    pub source: ReleaseSource,
    pub range: ContractRange,
}

/// Why a release cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooOld {
    pub version: CoderVersion,
    pub source: ReleaseSource,
}

impl Release {
    /// Decides the release once: what the user gave wins over what the deployment says;
    /// a deployment that says nothing (or nothing readable) gets the newest contract.
    pub fn resolve(
        doc: &Value,
        given: Option<CoderVersion>,
        detected: Option<&str>,
    ) -> Result<Release, TooOld> {
        let (version, source) = match (given, detected) {
            (Some(version), _) => (version, ReleaseSource::Given),
            (None, Some(text)) => match text.parse::<CoderVersion>() {
                Ok(version) => (version, ReleaseSource::Detected(text.to_owned())),
                Err(_) => (CoderVersion::NEWEST_KNOWN, ReleaseSource::Assumed),
            },
            (None, None) => (CoderVersion::NEWEST_KNOWN, ReleaseSource::Assumed),
        };
        if version < CoderVersion::OLDEST_SUPPORTED {
            return Err(TooOld { version, source });
        }
        Ok(Release {
            version,
            range: range_of(doc, version),
            source,
        })
    }

    /// Newer than any release this tool knows: the newest contract is applied, and a drift
    /// found is news.
    pub fn newer_than_known(&self) -> bool {
        (self.version.major, self.version.minor)
            > (
                CoderVersion::NEWEST_KNOWN.major,
                CoderVersion::NEWEST_KNOWN.minor,
            )
    }

    /// How reports name it: the verbatim version when the deployment said it.
    pub fn reported_version(&self) -> String {
        match &self.source {
            ReleaseSource::Detected(text) => text.clone(),
            ReleaseSource::Given | ReleaseSource::Assumed => self.version.to_string(),
        }
    }
}

/// Whether an annotated item is in `release`.
fn present(item: &Map<String, Value>, release: CoderVersion) -> bool {
    let version = |key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .and_then(|text| text.parse::<CoderVersion>().ok())
    };
    version("x-coder-since").is_none_or(|since| release >= since)
        && version("x-coder-until").is_none_or(|until| release < until)
}

/// Every version the spec's annotations name, sorted.
pub fn boundaries(doc: &Value) -> Vec<CoderVersion> {
    let mut found = Vec::new();
    collect_boundaries(doc, &mut found);
    found.sort();
    found.dedup();
    found
}

fn collect_boundaries(value: &Value, found: &mut Vec<CoderVersion>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if (key == "x-coder-since" || key == "x-coder-until")
                    && let Some(version) = item.as_str().and_then(|text| text.parse().ok())
                {
                    found.push(version);
                }
                collect_boundaries(item, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_boundaries(item, found)),
        _ => {}
    }
}

/// The contract range `release` falls in.
pub fn range_of(doc: &Value, release: CoderVersion) -> ContractRange {
    let boundaries = boundaries(doc);
    let from = boundaries
        .iter()
        .copied()
        .filter(|boundary| *boundary <= release)
        .max()
        .unwrap_or(CoderVersion::OLDEST_SUPPORTED)
        .max(CoderVersion::OLDEST_SUPPORTED);
    let until = boundaries
        .iter()
        .copied()
        .find(|boundary| *boundary > release);
    ContractRange { from, until }
}

/// The spec as `release` honours it: annotated properties required where sent and gone
/// where not, bodies of other releases dropped from a `oneOf`, their schemas removed.
pub fn contract_of(doc: &Value, release: CoderVersion) -> Value {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = doc.clone();
    narrow(&mut out, &schemas, release);
    if let Some(schemas) = out
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|_, schema| schema.as_object().is_none_or(|s| present(s, release)));
    }
    drop_parameters_of_other_releases(&mut out, release);
    if let Some(info) = out.get_mut("info").and_then(Value::as_object_mut) {
        info.insert("version".to_owned(), Value::String(release.to_string()));
    }
    out
}

fn narrow(value: &mut Value, schemas: &Map<String, Value>, release: CoderVersion) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                let (kept, dropped): (Vec<_>, Vec<_>) = properties
                    .iter()
                    .filter(|(_, schema)| {
                        schema.get("x-coder-since").is_some()
                            || schema.get("x-coder-until").is_some()
                    })
                    .map(|(name, schema)| {
                        (
                            name.clone(),
                            schema.as_object().is_some_and(|s| present(s, release)),
                        )
                    })
                    .partition(|(_, present)| *present);
                let required = map
                    .entry("required")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(required) = required {
                    required.retain(|name| !dropped.iter().any(|(gone, _)| name == gone));
                    for (name, _) in &kept {
                        if !required.iter().any(|present| present == name) {
                            required.push(Value::String(name.clone()));
                        }
                    }
                }
                if let Some(Value::Object(properties)) = map.get_mut("properties") {
                    properties.retain(|name, _| !dropped.iter().any(|(gone, _)| name == gone));
                }
            }
            for key in ["oneOf", "anyOf"] {
                if let Some(Value::Array(members)) = map.get_mut(key) {
                    members.retain(|member| member_present(member, schemas, release));
                }
            }
            // A choice left with one member is that member.
            let single = ["oneOf", "anyOf"]
                .into_iter()
                .find_map(|key| match map.get(key) {
                    Some(Value::Array(members)) if members.len() == 1 => Some(members[0].clone()),
                    _ => None,
                });
            if let Some(member) = single {
                *value = member;
                narrow(value, schemas, release);
                return;
            }
            for item in map.values_mut() {
                narrow(item, schemas, release);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| narrow(item, schemas, release)),
        _ => {}
    }
}

/// A query parameter only some releases read (`x-coder-since` on it): gone from every
/// operation, and from the components, where the release does not read it.
fn drop_parameters_of_other_releases(doc: &mut Value, release: CoderVersion) {
    let Some(parameters) = doc
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let gone: Vec<String> = parameters
        .iter()
        .filter(|(_, parameter)| parameter.as_object().is_some_and(|p| !present(p, release)))
        .map(|(name, _)| format!("#/components/parameters/{name}"))
        .collect();
    parameters.retain(|_, parameter| parameter.as_object().is_none_or(|p| present(p, release)));
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        if let Some(Value::Array(list)) = operation.get_mut("parameters") {
            list.retain(|parameter| {
                let target = parameter.get("$ref").and_then(Value::as_str);
                target.is_none_or(|target| !gone.iter().any(|g| g == target))
                    && parameter.as_object().is_none_or(|p| present(p, release))
            });
        }
    }
}

/// A `oneOf`/`anyOf` member is in the release when it (or the schema it references) is.
fn member_present(member: &Value, schemas: &Map<String, Value>, release: CoderVersion) -> bool {
    let Some(map) = member.as_object() else {
        return true;
    };
    let target = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
        .and_then(|name| schemas.get(name))
        .and_then(Value::as_object);
    present(map, release) && target.is_none_or(|schema| present(schema, release))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        serde_json::from_str(crate::curated::SPEC).unwrap()
    }

    fn v(text: &str) -> CoderVersion {
        text.parse().unwrap()
    }

    #[test]
    fn the_release_is_decided_once_and_old_ones_refused() {
        let doc = spec();
        let detected = Release::resolve(&doc, None, Some("v2.29.0+1f3c9a2")).unwrap();
        assert_eq!(detected.version, v("2.29.0"));
        assert_eq!(detected.reported_version(), "v2.29.0+1f3c9a2");
        assert_eq!(detected.range.tag(), "2.27-2.29");
        let given = Release::resolve(&doc, Some(v("2.26.1")), Some("v2.35.1+8b44bd6")).unwrap();
        assert_eq!(
            (given.version, given.source),
            (v("2.26.1"), ReleaseSource::Given)
        );
        let silent = Release::resolve(&doc, None, Some("not a version")).unwrap();
        assert_eq!(silent.source, ReleaseSource::Assumed);
        assert_eq!(silent.version, CoderVersion::NEWEST_KNOWN);
        let newer = Release::resolve(&doc, None, Some("v2.38.0-devel+abc1234")).unwrap();
        assert!(newer.newer_than_known() && newer.range.is_newest());
        assert!(!detected.newer_than_known());
        assert_eq!(
            Release::resolve(&doc, None, Some("v2.24.6+aaaaaaa")),
            Err(TooOld {
                version: v("2.24.6"),
                source: ReleaseSource::Detected("v2.24.6+aaaaaaa".into())
            })
        );
        assert!(Release::resolve(&doc, None, Some("v0.0.0-devel")).is_err());
    }

    #[test]
    fn every_release_boundary_of_the_spec_is_a_row_of_the_release_table() {
        use coder_external_auth::imitation::RELEASE_CHANGES;
        for boundary in boundaries(&spec()) {
            assert!(
                RELEASE_CHANGES
                    .iter()
                    .any(|change| change.since == boundary),
                "the spec changes at {boundary}, but src/imitation/release.rs has no row for it"
            );
        }
    }

    #[test]
    fn the_newest_known_release_is_the_newest_the_real_coder_lane_runs() {
        let newest = include_str!("../realcoder/releases")
            .lines()
            .rfind(|line| !line.starts_with('#') && !line.trim().is_empty())
            .expect("realcoder/releases lists releases");
        assert_eq!(v(newest), CoderVersion::NEWEST_KNOWN);
    }

    #[test]
    fn ranges_follow_the_annotations() {
        let doc = spec();
        assert_eq!(boundaries(&doc), [v("2.27.0"), v("2.30.0"), v("2.36.0")]);
        assert_eq!(range_of(&doc, v("2.25.0")).tag(), "2.25-2.26");
        assert_eq!(range_of(&doc, v("2.26.6")).tag(), "2.25-2.26");
        assert_eq!(range_of(&doc, v("2.27.0")).tag(), "2.27-2.29");
        assert_eq!(range_of(&doc, v("2.29.19")).tag(), "2.27-2.29");
        assert_eq!(range_of(&doc, v("2.30.0")).tag(), "2.30-2.35");
        assert_eq!(range_of(&doc, v("2.35.6")).tag(), "2.30-2.35");
        assert_eq!(range_of(&doc, v("2.36.1")).tag(), "2.36-2.36");
        assert!(range_of(&doc, v("2.40.0")).is_newest());
        assert_eq!(
            range_of(&doc, v("2.27.3")).to_string(),
            "Coder 2.27 to 2.29"
        );
    }

    #[test]
    fn annotated_fields_are_required_where_sent_and_absent_elsewhere() {
        let doc = spec();
        let provider = |release: &str| {
            contract_of(&doc, v(release))["components"]["schemas"]["ExternalAuthLinkProvider"]
                .clone()
        };
        let has = |schema: &Value, name: &str| {
            (
                schema["properties"].get(name).is_some(),
                schema["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == name),
            )
        };
        assert_eq!(
            has(&provider("2.26.0"), "supports_revocation"),
            (false, false)
        );
        assert_eq!(
            has(&provider("2.27.0"), "supports_revocation"),
            (true, true)
        );
        assert_eq!(
            has(&provider("2.29.0"), "code_challenge_methods_supported"),
            (false, false)
        );
        assert_eq!(
            has(&provider("2.30.0"), "code_challenge_methods_supported"),
            (true, true)
        );
        assert_eq!(has(&provider("2.26.0"), "id"), (true, true));
    }

    #[test]
    fn the_delete_body_is_the_one_of_its_release() {
        let doc = spec();
        let result = |release: &str| {
            contract_of(&doc, v(release))["components"]["schemas"]["DeleteExternalAuthResult"]
                .clone()
        };
        assert_eq!(
            result("2.26.0")["$ref"],
            "#/components/schemas/DeleteExternalAuthOk"
        );
        assert_eq!(
            result("2.27.0")["$ref"],
            "#/components/schemas/DeleteExternalAuthByIDResponse"
        );
        let old = contract_of(&doc, v("2.25.0"));
        assert!(
            old.pointer("/components/schemas/DeleteExternalAuthByIDResponse")
                .is_none()
        );
        assert_eq!(old["info"]["version"], "2.25.0");
    }
}
