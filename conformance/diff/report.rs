//! Renders a diff outcome: Cargo-like lines for people (stderr) and a JSON document for
//! machines (`--json PATH`). Pure: strings in, strings out.

use std::rc::Rc;

use coder_external_auth::CoderVersion;
use serde_json::{Value, json};

use super::classify::Severity;
use super::compare::Change;
use super::coverage::NotComparable;
use super::known::{Entry, Stale};

/// Which comparison ran: it decides what "new" means and so the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Curated spec (old) against upstream Swagger (new): known divergences vs drift.
    Upstream,
    /// Two versions of a description: breaking or not.
    Versions,
}

/// One side of the comparison, for the heading and the JSON.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    /// `curated`, `upstream`, `old`, `new`.
    pub role: &'static str,
    pub source: String,
    pub format: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub change: Change,
    pub severity: Severity,
    /// The entry of openapi/known-divergences.json that covers it (upstream mode only).
    pub known: Option<Rc<Entry>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub mode: Mode,
    pub old: Side,
    pub new: Side,
    pub findings: Vec<Finding>,
    pub stale: Vec<Stale>,
    /// Types one side uses that the other never mentions (upstream mode): compared with
    /// nothing, so listed rather than silently passed. Informational: no effect on the exit.
    pub not_comparable: Vec<NotComparable>,
    /// The known divergences a user can edit (upstream mode), for the hints.
    pub known_file: Option<String>,
    /// The curated spec a user can edit (upstream mode), for the hints.
    pub spec_file: Option<String>,
    /// The release whose contract was compared (upstream mode).
    pub release: Option<CoderVersion>,
    /// Without `--coder-version`: a release whose contract explains every difference, so the
    /// Swagger is most likely that release's.
    pub release_hint: Option<ReleaseHint>,
}

/// One root cause: its name and each entry of it with the findings it covers.
type RootCause<'a> = (&'a str, Vec<(&'a Rc<Entry>, Vec<&'a Finding>)>);

/// The releases whose contract explains a Swagger compared without `--coder-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReleaseHint {
    /// The first release of the range, which `--coder-version` takes.
    pub release: CoderVersion,
    /// The first release after it whose contract or known divergences differ, if any.
    pub until: Option<CoderVersion>,
}

impl std::fmt::Display for ReleaseHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.until {
            Some(until) => write!(f, "Coder {} up to (not including) {until}", self.release),
            None => write!(f, "Coder {} and later", self.release),
        }
    }
}

impl Outcome {
    pub(crate) fn new_drift(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.known.is_none())
    }

    /// The known findings grouped by root cause, in order of first appearance; within a cause,
    /// by entry, each with its findings.
    fn root_causes(&self) -> Vec<RootCause<'_>> {
        let mut causes: Vec<RootCause<'_>> = Vec::new();
        for finding in &self.findings {
            let Some(entry) = &finding.known else {
                continue;
            };
            let at = match causes.iter().position(|(cause, _)| *cause == entry.cause()) {
                Some(at) => at,
                None => {
                    causes.push((entry.cause(), Vec::new()));
                    causes.len() - 1
                }
            };
            let entries = &mut causes[at].1;
            match entries.iter_mut().find(|(e, _)| Rc::ptr_eq(e, entry)) {
                Some((_, findings)) => findings.push(finding),
                None => entries.push((entry, vec![finding])),
            }
        }
        causes
    }

    fn count(&self, severity: Severity) -> usize {
        self.relevant().filter(|f| f.severity == severity).count()
    }

    /// The findings a reader must act on: new drift upstream, every change between versions.
    fn relevant(&self) -> impl Iterator<Item = &Finding> {
        let upstream = self.mode == Mode::Upstream;
        self.findings
            .iter()
            .filter(move |f| !upstream || f.known.is_none())
    }
}

/// Width of the right-aligned status word, as Cargo does it.
const WORD: usize = 12;

fn line(word: &str, text: &str) -> String {
    format!("{word:>WORD$} {text}\n")
}

fn values(change: &Change) -> String {
    match (&change.old, &change.new) {
        (Some(old), Some(new)) => format!(" ({old} -> {new})"),
        (None, Some(new)) => format!(" ({new})"),
        (Some(old), None) => format!(" (was {old})"),
        (None, None) => String::new(),
    }
}

/// The words after the status word line up under its text.
const INDENT: &str = "             ";

/// How much of the known divergences the human report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Counts only: they are the settled part, as Cargo hides `Fresh` unless asked.
    Summary,
    /// For Coder's maintainers (`--suggest`): each root cause with its reasons, the evidence
    /// at the compared release and the change that would make upstream's Swagger true.
    RootCauses,
    /// `--verbose`: the same, with every difference each entry covers.
    Everything,
}

/// The report for people.
pub(crate) fn human(outcome: &Outcome, detail: Detail) -> String {
    let verbose = detail == Detail::Everything;
    let mut out = line(
        "Comparing",
        &format!(
            "{} {} ({}) with {} {} ({})",
            outcome.old.role,
            outcome.old.source,
            outcome.old.format,
            outcome.new.role,
            outcome.new.source,
            outcome.new.format
        ),
    );
    if outcome.mode == Mode::Upstream {
        let release = outcome
            .release
            .map_or_else(String::new, |r| format!(", as Coder {r}'s contract"));
        out.push_str(&line(
            "Direction",
            &format!(
                "curated -> upstream: the curated spec says what Coder's server does{release}; each difference is what \
                 upstream's Swagger says instead, so \"field removed\" is a field the server sends and the Swagger omits"
            ),
        ));
    }
    if let Some(hint) = outcome.release_hint {
        let drift = outcome.new_drift().count();
        out.push_str(&line(
            "Release",
            &format!(
                "the {drift} differences no known divergence explains for {} are all explained for {hint}: \
                 this is most likely an older release's Swagger, so they are not listed as drift",
                outcome.release.map_or_else(|| "the newest release".to_owned(), |r| r.to_string())
            ),
        ));
    }
    if detail != Detail::Summary {
        out.push_str(&root_causes(outcome, verbose));
    }
    for finding in &outcome.findings {
        let change = &finding.change;
        let text = format!("{}{}", change.id(), values(change));
        match (outcome.mode, &finding.known) {
            (Mode::Upstream, Some(_)) => {}
            (Mode::Upstream, None) if outcome.release_hint.is_some() => {}
            (Mode::Upstream, None) => {
                let tagged = format!("{text} [{}]", finding.severity.as_str());
                out.push_str(&line("Drift", &tagged));
            }
            (Mode::Versions, _) => {
                let word = match finding.severity {
                    Severity::Breaking => "Breaking",
                    Severity::NonBreaking => "Compatible",
                    Severity::Informational => "Cosmetic",
                };
                out.push_str(&line(word, &text));
            }
        }
    }
    // An older release's Swagger (a release hint) leaves entries of newer releases unmatched:
    // not news either.
    let stale = if outcome.release_hint.is_some() {
        &[][..]
    } else {
        &outcome.stale[..]
    };
    for stale in stale {
        let text = format!(
            "{}: {} (known divergence matched nothing)",
            stale.at,
            stale.kind.replace('_', " ")
        );
        out.push_str(&line("Stale", &text));
    }
    for blind in &outcome.not_comparable {
        let text = format!(
            "{} type {} (used by {}): not comparable, {}",
            blind.side,
            blind.name,
            blind.used_by(),
            blind.reason()
        );
        out.push_str(&line("Skipped", &text));
    }

    let (breaking, non_breaking, informational) = (
        outcome.count(Severity::Breaking),
        outcome.count(Severity::NonBreaking),
        outcome.count(Severity::Informational),
    );
    let severities =
        format!("{breaking} breaking, {non_breaking} non-breaking, {informational} informational");
    let total = outcome.findings.len();
    let summary = match outcome.mode {
        Mode::Upstream => {
            let known = total - outcome.new_drift().count();
            let causes = outcome.root_causes().len();
            let listed = match (known, detail) {
                (0, _) => String::new(),
                (_, Detail::Summary) => format!(
                    " in {causes} root causes (each with its evidence and the fix upstream: --suggest; every difference: --verbose)"
                ),
                _ => format!(" in {causes} root causes"),
            };
            format!(
                "{total} differences: {known} known{listed}, {} new drift ({severities}), {} stale known, {} types not comparable",
                outcome.new_drift().count(),
                outcome.stale.len(),
                outcome.not_comparable.len()
            )
        }
        Mode::Versions => format!("{total} differences: {severities}"),
    };
    out.push_str(&line("Compared", &summary));

    // What to do next, only when there is something to do.
    let known_file = outcome
        .known_file
        .as_deref()
        .unwrap_or("openapi/known-divergences.json");
    let spec_file = outcome
        .spec_file
        .as_deref()
        .unwrap_or("openapi/coder-external-auth.json");
    match outcome.mode {
        Mode::Upstream => {
            if let Some(hint) = outcome.release_hint {
                out.push_str(&format!(
                    "help: compare it as that release's: add --coder-version {} (or the exact release the Swagger came from)\n",
                    hint.release
                ));
            } else if outcome.new_drift().next().is_some() {
                out.push_str(&format!(
                    "help: upstream drifted from the curated spec: if the server does what upstream now says, follow it in \
                     {spec_file}; if upstream is wrong, record the divergence with its cause, reason, evidence and suggested \
                     fix in {known_file}\n"
                ));
            }
            if !outcome.stale.is_empty() && outcome.release_hint.is_none() {
                out.push_str(&format!(
                    "help: remove the stale entries from {known_file}: upstream and the curated spec now agree there\n"
                ));
            }
        }
        Mode::Versions => {
            if breaking > 0 {
                out.push_str(
                    "help: NEW breaks clients written against OLD: undo those changes, or release them as a breaking version\n",
                );
            }
        }
    }
    out
}

/// Each root cause: its name and how many differences it explains, then per entry the reason,
/// (with `places`) each difference, the evidence at the compared release and the suggestion.
fn root_causes(outcome: &Outcome, places: bool) -> String {
    let mut out = String::new();
    let release = outcome.release.unwrap_or(CoderVersion::NEWEST_KNOWN);
    for (cause, entries) in outcome.root_causes() {
        let count: usize = entries.iter().map(|(_, findings)| findings.len()).sum();
        out.push_str(&line(
            "Cause",
            &format!("{cause} ({count} known differences)"),
        ));
        for (entry, findings) in entries {
            out.push_str(&format!("{INDENT}{}\n", entry.reason));
            if places {
                for finding in findings {
                    let change = &finding.change;
                    out.push_str(&line(
                        "Known",
                        &format!("{}{}", change.id(), values(change)),
                    ));
                }
            }
            let (tag, evidence) = entry.evidence_at(release);
            if let Some(tag) = tag.filter(|tag| *tag != release) {
                let text = format!(
                    "(Coder's source as cited, at v{tag}: the nearest release to {release})"
                );
                out.push_str(&line("Evidence", &text));
            }
            for (index, reference) in evidence.iter().enumerate() {
                let word = if index == 0 && tag.is_none_or(|tag| tag == release) {
                    "Evidence"
                } else {
                    ""
                };
                out.push_str(&line(word, reference));
            }
            if let Some(suggest) = &entry.suggest {
                out.push_str(&line("Suggest", suggest));
            }
        }
    }
    out
}

/// The machine report: every difference with its identity, severity and standing.
pub(crate) fn json(outcome: &Outcome, exit_code: u8) -> Value {
    let side =
        |side: &Side| json!({"role": side.role, "source": side.source, "format": side.format});
    let differences: Vec<Value> = outcome
        .findings
        .iter()
        .map(|finding| {
            let change = &finding.change;
            let status = match (outcome.mode, &finding.known) {
                (Mode::Upstream, Some(_)) => "known",
                (Mode::Upstream, None) => "drift",
                (Mode::Versions, _) => "change",
            };
            json!({
                "id": change.id(),
                "key": change.key(),
                "operation": change.operation.to_string(),
                "location": change.location.to_string(),
                "kind": change.kind.key(),
                "severity": finding.severity.as_str(),
                "old": change.old,
                "new": change.new,
                "status": status,
                "known": finding.known.is_some(),
                "cause": finding.known.as_ref().map(|k| k.cause()),
                "reason": finding.known.as_ref().map(|k| k.reason.clone()),
                "evidence": finding.known.as_ref().map(|k| k.evidence.clone()),
                "suggest": finding.known.as_ref().and_then(|k| k.suggest.clone()),
            })
        })
        .collect();
    let all = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let stale: Vec<Value> = outcome
        .stale
        .iter()
        .map(|s| json!({"at": s.at, "kind": s.kind, "reason": s.reason}))
        .collect();
    let not_comparable: Vec<Value> = outcome
        .not_comparable
        .iter()
        .map(|n| {
            json!({
                "type": n.name,
                "side": n.side,
                "operations": n.operations.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "severity": Severity::Informational.as_str(),
                "reason": n.reason(),
            })
        })
        .collect();
    let release = outcome.release.unwrap_or(CoderVersion::NEWEST_KNOWN);
    let root_causes: Vec<Value> = outcome
        .root_causes()
        .into_iter()
        .map(|(cause, entries)| {
            let entries: Vec<Value> = entries
                .into_iter()
                .map(|(entry, findings)| {
                    let (tag, evidence) = entry.evidence_at(release);
                    json!({
                        "kind": entry.kind,
                        "reason": entry.reason,
                        "evidence_tag": tag.map(|tag| format!("v{tag}")),
                        "evidence": evidence,
                        "suggest": entry.suggest,
                        "differences": findings.iter().map(|f| f.change.id()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({"cause": cause, "entries": entries})
        })
        .collect();
    json!({
        "mode": match outcome.mode { Mode::Upstream => "upstream", Mode::Versions => "versions" },
        "direction": match outcome.mode {
            Mode::Upstream => "curated -> upstream: each difference is what upstream's Swagger says where the curated spec says what the server does",
            Mode::Versions => "old -> new",
        },
        "coder_version": outcome.release.map(|r| r.to_string()),
        "release_hint": outcome.release_hint.map(|hint| hint.release.to_string()),
        "root_causes": root_causes,
        "old": side(&outcome.old),
        "new": side(&outcome.new),
        "differences": differences,
        "stale_known": stale,
        "not_comparable": not_comparable,
        "summary": {
            "differences": outcome.findings.len(),
            "known": outcome.findings.iter().filter(|f| f.known.is_some()).count(),
            "new": if outcome.mode == Mode::Upstream { outcome.new_drift().count() } else { outcome.findings.len() },
            // Over every difference, then over the new ones (upstream: drift; versions: all).
            "breaking": all(Severity::Breaking),
            "non_breaking": all(Severity::NonBreaking),
            "informational": all(Severity::Informational),
            "new_breaking": outcome.count(Severity::Breaking),
            "new_non_breaking": outcome.count(Severity::NonBreaking),
            "new_informational": outcome.count(Severity::Informational),
            "stale_known": outcome.stale.len(),
            "not_comparable": outcome.not_comparable.len(),
        },
        "exit_code": exit_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare::{Kind, Location};
    use crate::diff::model::OpKey;

    fn outcome(known: bool) -> Outcome {
        let change = Change {
            operation: OpKey::new("get", "/api/v2/external-auth/{externalauth}/device"),
            location: Location::ResponseBody {
                status: "200".into(),
                field: "interval".into(),
            },
            kind: Kind::TypeChanged,
            old: Some("integer (int64)".into()),
            new: Some("string".into()),
        };
        let entry = Entry {
            cause: Some("integer-formats".into()),
            suggest: Some("format:\"int64\"".into()),
            kind: "type_changed".into(),
            at: vec![change.at()],
            reason: "because".into(),
            evidence: vec!["somewhere L1".into()],
            since: None,
            until: None,
        };
        Outcome {
            mode: Mode::Upstream,
            old: Side {
                role: "curated",
                source: "spec.json".into(),
                format: "OpenAPI 3.0.3".into(),
            },
            new: Side {
                role: "upstream",
                source: "swagger.json".into(),
                format: "Swagger 2.0".into(),
            },
            findings: vec![Finding {
                change,
                severity: Severity::Breaking,
                known: known.then(|| Rc::new(entry)),
            }],
            stale: Vec::new(),
            not_comparable: Vec::new(),
            known_file: None,
            spec_file: None,
            release: Some(CoderVersion::new(2, 35, 1)),
            release_hint: None,
        }
    }

    #[test]
    fn drift_is_a_right_aligned_line_with_its_severity_and_a_hint() {
        let text = human(&outcome(false), Detail::Summary);
        assert!(text.contains(
            "       Drift GET /api/v2/external-auth/{externalauth}/device 200 response body interval: type changed (integer (int64) -> string) [breaking]\n"
        ), "{text}");
        assert!(text.contains("    Compared 1 differences: 0 known, 1 new drift (1 breaking, 0 non-breaking, 0 informational), 0 stale known"), "{text}");
        assert!(text.contains("help: upstream drifted"), "{text}");
    }

    #[test]
    fn known_lines_show_only_when_verbose() {
        assert!(!human(&outcome(true), Detail::Summary).contains("Known GET"));
        assert!(!human(&outcome(true), Detail::RootCauses).contains("Known GET"));
        assert!(human(&outcome(true), Detail::Everything).contains("       Known GET"));
        assert!(!human(&outcome(true), Detail::Summary).contains("help:"));
    }

    #[test]
    fn root_causes_carry_reason_evidence_at_the_release_and_suggestion() {
        let text = human(&outcome(true), Detail::RootCauses);
        assert!(
            text.contains("       Cause integer-formats (1 known differences)\n"),
            "{text}"
        );
        assert!(text.contains("             because\n"), "{text}");
        assert!(text.contains("    Evidence somewhere L1\n"), "{text}");
        assert!(text.contains("     Suggest format:\"int64\"\n"), "{text}");
        assert!(text.contains("   Direction curated -> upstream"), "{text}");
    }

    #[test]
    fn json_carries_identity_severity_and_reason() {
        let report = json(&outcome(true), 0);
        let difference = &report["differences"][0];
        assert_eq!(difference["kind"], "type_changed");
        assert_eq!(difference["severity"], "breaking");
        assert_eq!(difference["status"], "known");
        assert_eq!(difference["reason"], "because");
        assert_eq!(difference["location"], "200 response body interval");
        assert_eq!(report["summary"]["new"], 0);
        assert_eq!(report["summary"]["breaking"], 1);
        assert_eq!(report["summary"]["new_breaking"], 0);
    }
}
