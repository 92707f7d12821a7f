//! The known divergences between Coder's published Swagger and the curated spec
//! (openapi/known-divergences.json): each a deliberate, evidenced difference, matched exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, bail};
use serde::Deserialize;

use coder_external_auth::CoderVersion;

use super::compare::{Change, Kind, MAX_DIFFERENCE_BYTES};

/// The file: `divergences` plus free-form provenance keys (`$comment`, `upstream`) for readers.
#[derive(Debug, Deserialize)]
struct File {
    divergences: Vec<Entry>,
}

/// One cause of divergence and every place it shows. No wildcards: each `at` is the exact
/// operation and location a difference reports, so a new difference elsewhere (even in the
/// same operation) is drift, not known.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// A `Kind` key: `field_removed`, `became_optional`, ...
    pub kind: String,
    /// `<METHOD> <path>[ <location>]`, as the report prints before the colon.
    pub at: Vec<String>,
    /// Why the curated spec differs, in a sentence.
    pub reason: String,
    /// Where upstream shows it: source file and lines, coder-contract.md section.
    pub evidence: Vec<String>,
    /// The first release whose Swagger shows it (absent: every supported release).
    #[serde(default)]
    pub since: Option<String>,
    /// The first release whose Swagger no longer shows it (absent: still shown).
    #[serde(default)]
    pub until: Option<String>,
}

impl Entry {
    /// Whether `release`'s Swagger shows this divergence.
    fn applies_to(&self, release: CoderVersion) -> bool {
        let version =
            |text: &Option<String>| text.as_deref().and_then(|t| t.parse::<CoderVersion>().ok());
        version(&self.since).is_none_or(|since| release >= since)
            && version(&self.until).is_none_or(|until| release < until)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Known {
    /// Shared with the findings they cover, so an entry of many locations is never copied per
    /// finding.
    entries: Vec<Rc<Entry>>,
    /// (kind, at) to the entry listing it, so a lookup costs the same however long the file.
    index: BTreeMap<(String, String), usize>,
}

/// A known (at, kind) that matched no difference: upstream fixed it, or the curated spec now
/// agrees, and the entry should go.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stale {
    pub at: String,
    pub kind: String,
    pub reason: String,
}

impl Known {
    pub(crate) fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = super::load::read_file(path)
            .with_context(|| format!("cannot read the known divergences {}", path.display()))?;
        let text = String::from_utf8(bytes).with_context(|| {
            format!(
                "cannot read the known divergences {}: it is not UTF-8",
                path.display()
            )
        })?;
        Self::parse(&text).with_context(|| {
            format!(
                "{} is not a valid known-divergences file; fix the entry it names",
                path.display()
            )
        })
    }

    pub(crate) fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = serde_json::from_str(text)?;
        let mut seen = BTreeMap::new();
        // Each location may carry its entry's reason and evidence into the report, as a known
        // difference or a stale one: held to the budget of the differences themselves.
        let mut attached = 0usize;
        for (index, entry) in file.divergences.iter().enumerate() {
            let name = format!("entry {index} ({})", entry.kind);
            if !Kind::KEYS.contains(&entry.kind.as_str()) {
                bail!("{name}: unknown kind; one of {}", Kind::KEYS.join(", "));
            }
            if entry.at.is_empty() {
                bail!("{name}: `at` lists no location");
            }
            // An entry without a reason and evidence is a silenced difference, not a known one.
            if entry.reason.trim().is_empty() || entry.evidence.iter().all(|e| e.trim().is_empty())
            {
                bail!("{name}: needs a reason and evidence");
            }
            for (key, value) in [("since", &entry.since), ("until", &entry.until)] {
                if let Some(text) = value
                    && let Err(why) = text.parse::<CoderVersion>()
                {
                    bail!("{name}: `{key}`: {why}");
                }
            }
            let carried = entry.kind.len()
                + entry.reason.len()
                + entry.evidence.iter().map(String::len).sum::<usize>();
            for at in &entry.at {
                attached = attached.saturating_add(at.len().saturating_add(carried));
                if attached > MAX_DIFFERENCE_BYTES {
                    bail!(
                        "{name}: with each location's reason and evidence the file comes to more than {} MiB of report \
                         (MAX_DIFFERENCE_BYTES, the limit for one comparison); shorten the entries",
                        MAX_DIFFERENCE_BYTES / (1024 * 1024)
                    );
                }
                if seen
                    .insert((entry.kind.clone(), at.clone()), index)
                    .is_some()
                {
                    bail!("{name}: `{at}` is listed twice for this kind");
                }
            }
        }
        Ok(Self {
            entries: file.divergences.into_iter().map(Rc::new).collect(),
            index: seen,
        })
    }

    /// Only the entries `release`'s Swagger shows: the others are neither matched nor stale.
    pub(crate) fn for_release(mut self, release: CoderVersion) -> Self {
        self.entries.retain(|entry| entry.applies_to(release));
        // The kept entries' places, indexed afresh (parse already refused duplicates).
        self.index = self
            .entries
            .iter()
            .enumerate()
            .flat_map(|(index, entry)| {
                entry
                    .at
                    .iter()
                    .map(move |at| ((entry.kind.clone(), at.clone()), index))
            })
            .collect();
        self
    }

    pub(crate) fn lookup(&self, change: &Change) -> Option<&Rc<Entry>> {
        let key = (change.kind.key().to_owned(), change.at());
        self.index
            .get(&key)
            .and_then(|&index| self.entries.get(index))
    }

    /// Every (at, kind) that none of `changes` matched, in file order.
    pub(crate) fn stale(&self, changes: &[Change]) -> Vec<Stale> {
        let matched: BTreeSet<(String, &str)> =
            changes.iter().map(|c| (c.at(), c.kind.key())).collect();
        let mut out = Vec::new();
        for entry in &self.entries {
            for at in &entry.at {
                if !matched.contains(&(at.clone(), entry.kind.as_str())) {
                    out.push(Stale {
                        at: at.clone(),
                        kind: entry.kind.clone(),
                        reason: entry.reason.clone(),
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare::Location;
    use crate::diff::model::OpKey;

    const FILE: &str = r#"{"divergences": [{
        "kind": "became_optional",
        "at": ["GET /api/v2/external-auth/{externalauth} 200 response body user.id"],
        "reason": "Go value fields are always present.",
        "evidence": ["codersdk/externalauth.go L114-120"]
    }]}"#;

    fn change(field: &str, kind: Kind) -> Change {
        Change {
            operation: OpKey::new("get", "/api/v2/external-auth/{externalauth}"),
            location: Location::ResponseBody {
                status: "200".into(),
                field: field.into(),
            },
            kind,
            old: None,
            new: None,
        }
    }

    #[test]
    fn matches_only_the_exact_location_and_kind() {
        let known = Known::parse(FILE).unwrap();
        assert!(
            known
                .lookup(&change("user.id", Kind::BecameOptional))
                .is_some()
        );
        assert!(
            known
                .lookup(&change("user.login", Kind::BecameOptional))
                .is_none()
        );
        assert!(
            known
                .lookup(&change("user.id", Kind::TypeChanged))
                .is_none()
        );
        assert!(
            known
                .stale(&[change("user.id", Kind::BecameOptional)])
                .is_empty()
        );
        let stale = known.stale(&[]);
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].kind, "became_optional");
    }

    #[test]
    fn an_entry_scoped_to_releases_is_neither_matched_nor_stale_outside_them() {
        let scoped = FILE.replace(
            r#""reason""#,
            r#""since": "2.27.0", "until": "2.30.0", "reason""#,
        );
        let at = |release: &str| {
            Known::parse(&scoped)
                .unwrap()
                .for_release(release.parse().unwrap())
        };
        let matching = [change("user.id", Kind::BecameOptional)];
        assert!(at("2.27.0").lookup(&matching[0]).is_some());
        assert!(at("2.29.9").stale(&[]).len() == 1);
        for outside in ["2.26.9", "2.30.0"] {
            assert!(at(outside).lookup(&matching[0]).is_none(), "{outside}");
            assert!(at(outside).stale(&[]).is_empty(), "{outside}");
        }
        let bad = FILE.replace(r#""reason""#, r#""since": "soon", "reason""#);
        assert!(format!("{:#}", Known::parse(&bad).unwrap_err()).contains("since"));
    }

    #[test]
    fn refuses_entries_without_reason_unknown_kinds_and_duplicates() {
        let no_reason = FILE.replace("Go value fields are always present.", " ");
        assert!(format!("{:#}", Known::parse(&no_reason).unwrap_err()).contains("reason"));
        let bad_kind = FILE.replace("became_optional", "anything");
        assert!(format!("{:#}", Known::parse(&bad_kind).unwrap_err()).contains("unknown kind"));
        let twice = FILE.replace(
            r#""at": ["GET /api/v2/external-auth/{externalauth} 200 response body user.id"]"#,
            r#""at": ["X", "X"]"#,
        );
        assert!(format!("{:#}", Known::parse(&twice).unwrap_err()).contains("twice"));
        let extra = FILE.replace(r#""kind""#, r#""wildcard": true, "kind""#);
        assert!(Known::parse(&extra).is_err());
    }
}
