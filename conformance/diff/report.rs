//! Renders a diff outcome: Cargo-like lines for people (stderr) and a JSON document for
//! machines (`--json PATH`). Pure: strings in, strings out.

use std::rc::Rc;

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
    /// Where the known divergences were read from (upstream mode), for the hints.
    pub known_file: Option<String>,
}

impl Outcome {
    pub(crate) fn new_drift(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.known.is_none())
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

/// The report for people. Known divergences are listed only with `verbose`: they are the
/// settled part, and Cargo likewise hides `Fresh` unless asked.
pub(crate) fn human(outcome: &Outcome, verbose: bool) -> String {
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
    for finding in &outcome.findings {
        let change = &finding.change;
        let text = format!("{}{}", change.id(), values(change));
        match (outcome.mode, &finding.known) {
            (Mode::Upstream, Some(_)) if verbose => out.push_str(&line("Known", &text)),
            (Mode::Upstream, Some(_)) => {}
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
    for stale in &outcome.stale {
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
            let listed = if verbose || known == 0 {
                ""
            } else {
                " (listed with --verbose)"
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
    match outcome.mode {
        Mode::Upstream => {
            if outcome.new_drift().next().is_some() {
                out.push_str(&format!(
                    "help: upstream drifted from the curated spec: follow it in {}, or, if upstream is wrong, \
                     record the divergence with its reason and evidence in {known_file}\n",
                    outcome.old.source
                ));
            }
            if !outcome.stale.is_empty() {
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
                "reason": finding.known.as_ref().map(|k| k.reason.clone()),
                "evidence": finding.known.as_ref().map(|k| k.evidence.clone()),
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
    json!({
        "mode": match outcome.mode { Mode::Upstream => "upstream", Mode::Versions => "versions" },
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
        }
    }

    #[test]
    fn drift_is_a_right_aligned_line_with_its_severity_and_a_hint() {
        let text = human(&outcome(false), false);
        assert!(text.contains(
            "       Drift GET /api/v2/external-auth/{externalauth}/device 200 response body interval: type changed (integer (int64) -> string) [breaking]\n"
        ), "{text}");
        assert!(text.contains("    Compared 1 differences: 0 known, 1 new drift (1 breaking, 0 non-breaking, 0 informational), 0 stale known"), "{text}");
        assert!(text.contains("help: upstream drifted"), "{text}");
    }

    #[test]
    fn known_lines_show_only_when_verbose() {
        assert!(!human(&outcome(true), false).contains("Known GET"));
        assert!(human(&outcome(true), true).contains("       Known GET"));
        assert!(!human(&outcome(true), false).contains("help:"));
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
