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
    /// The root cause this entry is one symptom of (entries sharing it are reported together);
    /// absent: the entry is a cause of its own.
    #[serde(default)]
    pub cause: Option<String>,
    /// A `Kind` key: `field_removed`, `became_optional`, ...
    pub kind: String,
    /// `<METHOD> <path>[ <location>]`, as the report prints before the colon.
    pub at: Vec<String>,
    /// Why the curated spec differs, in a sentence.
    pub reason: String,
    /// Where it shows: `vX.Y.Z:path:line[-line]` in Coder's source at that tag (with the text
    /// found there in backquotes), or a file of this repository.
    pub evidence: Vec<String>,
    /// The change to Coder's source (a swaggo annotation or struct tag) that would make its
    /// Swagger tell the truth, or why none is needed.
    #[serde(default)]
    pub suggest: Option<String>,
    /// The first release whose Swagger shows it (absent: every supported release).
    #[serde(default)]
    pub since: Option<String>,
    /// The first release whose Swagger no longer shows it (absent: still shown).
    #[serde(default)]
    pub until: Option<String>,
}

impl Entry {
    /// The root cause's name: `cause`, else the entry's kind.
    pub(crate) fn cause(&self) -> &str {
        self.cause.as_deref().unwrap_or(&self.kind)
    }

    /// The evidence to show for `release`: the references to Coder's source at the newest tag
    /// the entry cites that is not newer than `release` (else its oldest), and every
    /// reference to this repository. The tag is returned with them, as the reader must know
    /// which source they point into.
    pub(crate) fn evidence_at(&self, release: CoderVersion) -> (Option<CoderVersion>, Vec<&str>) {
        let tags: BTreeSet<CoderVersion> = self
            .evidence
            .iter()
            .filter_map(|e| Evidence::parse(e).upstream_tag())
            .collect();
        let tag = tags
            .range(..=release)
            .next_back()
            .or_else(|| tags.iter().next())
            .copied();
        let shown = self
            .evidence
            .iter()
            .filter(|e| match Evidence::parse(e).upstream_tag() {
                Some(at) => Some(at) == tag,
                None => true,
            })
            .map(String::as_str)
            .collect();
        (tag, shown)
    }

    /// Whether `release`'s Swagger shows this divergence.
    fn applies_to(&self, release: CoderVersion) -> bool {
        let version =
            |text: &Option<String>| text.as_deref().and_then(|t| t.parse::<CoderVersion>().ok());
        version(&self.since).is_none_or(|since| release >= since)
            && version(&self.until).is_none_or(|until| release < until)
    }
}

/// One evidence reference, as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Evidence<'a> {
    /// `vX.Y.Z:path:line[-line] …`: Coder's source at a tag.
    Upstream {
        tag: CoderVersion,
        path: &'a str,
        lines: (usize, usize),
        /// The text in the first pair of backquotes, which those lines contain.
        quoted: Option<&'a str>,
    },
    /// Anything else: the first word is a path in this repository.
    Repository { path: &'a str },
}

impl<'a> Evidence<'a> {
    pub(crate) fn parse(text: &'a str) -> Self {
        Self::upstream(text).unwrap_or_else(|| Evidence::Repository {
            path: text.split_whitespace().next().unwrap_or(""),
        })
    }

    fn upstream(text: &'a str) -> Option<Self> {
        let (reference, rest) = text.split_once(' ').unwrap_or((text, ""));
        let (tag, rest_ref) = reference.strip_prefix('v')?.split_once(':')?;
        let tag = tag.parse::<CoderVersion>().ok()?;
        let (path, lines) = rest_ref.rsplit_once(':')?;
        let (first, last) = lines.split_once('-').unwrap_or((lines, lines));
        let lines = (first.parse().ok()?, last.parse().ok()?);
        let quoted = rest
            .split_once('`')
            .and_then(|(_, after)| after.split_once('`'))
            .map(|(quoted, _)| quoted);
        Some(Evidence::Upstream {
            tag,
            path,
            lines,
            quoted,
        })
    }

    fn upstream_tag(&self) -> Option<CoderVersion> {
        match self {
            Evidence::Upstream { tag, .. } => Some(*tag),
            Evidence::Repository { .. } => None,
        }
    }
}

#[derive(Debug, Default, Clone)]
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

    /// Every release an entry's `since` or `until` names.
    pub(crate) fn boundaries(&self) -> Vec<CoderVersion> {
        self.entries
            .iter()
            .flat_map(|entry| [&entry.since, &entry.until])
            .filter_map(|text| text.as_deref()?.parse().ok())
            .collect()
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

    /// The carried file's evidence, every reference: a file of this repository that exists,
    /// or Coder's source at a named tag and lines. Where Coder's module for that tag is in Go's
    /// module cache (the real-Coder lane puts it there), the file has those lines and they
    /// hold the quoted text; elsewhere the test says how many it could not open.
    #[test]
    fn every_evidence_reference_resolves() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("openapi/known-divergences.json")).unwrap();
        let known = Known::parse(&text).unwrap();
        let modules = std::env::var_os("GOMODCACHE")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join("go/pkg/mod")))
            .map(|cache| cache.join("github.com/coder/coder"));
        let (mut verified, mut unopened) = (0, BTreeSet::new());
        for entry in &known.entries {
            let name = format!("{} {:?}", entry.kind, entry.at.first());
            assert!(entry.cause.is_some(), "{name}: no cause");
            assert!(entry.suggest.is_some(), "{name}: no suggestion");
            for reference in &entry.evidence {
                match Evidence::parse(reference) {
                    Evidence::Repository { path } => assert!(
                        root.join(path).is_file(),
                        "{name}: {reference:?} names no file of this repository"
                    ),
                    Evidence::Upstream {
                        tag,
                        path,
                        lines: (first, last),
                        quoted,
                    } => {
                        assert!(first >= 1 && first <= last, "{name}: {reference:?}: lines");
                        let quoted = quoted
                            .unwrap_or_else(|| panic!("{name}: {reference:?} quotes no text"));
                        let Some(file) = modules
                            .as_ref()
                            .map(|m| m.join(format!("v2@v{tag}")).join(path))
                            .filter(|file| file.parent().is_some_and(Path::exists))
                        else {
                            unopened.insert(format!("v{tag}"));
                            continue;
                        };
                        let source = std::fs::read_to_string(&file)
                            .unwrap_or_else(|e| panic!("{name}: {reference:?}: {e}"));
                        let cited: Vec<&str> = source
                            .lines()
                            .skip(first - 1)
                            .take(last - first + 1)
                            .collect();
                        assert_eq!(
                            cited.len(),
                            last - first + 1,
                            "{name}: {reference:?}: past the end of {path}"
                        );
                        assert!(
                            cited.iter().any(|line| line.contains(quoted)),
                            "{name}: {reference:?}: lines {first}-{last} of {path} at v{tag} do not hold `{quoted}`"
                        );
                        verified += 1;
                    }
                }
            }
        }
        eprintln!(
            "{verified} upstream references verified in Coder's source; not in the module cache: {unopened:?}"
        );
    }

    #[test]
    fn evidence_is_shown_at_the_nearest_cited_release() {
        let entry = Entry {
            cause: None,
            kind: "field_removed".into(),
            at: vec!["X".into()],
            reason: "r".into(),
            evidence: vec![
                "v2.35.1:a.go:3 `x`".into(),
                "v2.36.1:a.go:4 `x`".into(),
                "openapi/README.md row 1".into(),
            ],
            suggest: None,
            since: None,
            until: None,
        };
        let at = |release: &str| entry.evidence_at(release.parse().unwrap());
        assert_eq!(
            at("2.35.3"),
            (
                Some(CoderVersion::new(2, 35, 1)),
                vec!["v2.35.1:a.go:3 `x`", "openapi/README.md row 1"]
            )
        );
        assert_eq!(at("2.36.1").0, Some(CoderVersion::new(2, 36, 1)));
        assert_eq!(
            at("2.25.0").0,
            Some(CoderVersion::new(2, 35, 1)),
            "the oldest when none is older"
        );
        assert_eq!(entry.cause(), "field_removed");
        assert_eq!(
            Evidence::parse("v2.35.1:coderd/x.go:10-12 `a b` (why)"),
            Evidence::Upstream {
                tag: CoderVersion::new(2, 35, 1),
                path: "coderd/x.go",
                lines: (10, 12),
                quoted: Some("a b")
            }
        );
    }
}
