//! The run's results as one serialisable model: each case's verdict from its judgement and
//! snapshot outcome, the summary and the exit status; and its renderings, the human report
//! (stderr), JSON, JUnit, SARIF and GitHub Actions. Secrets are masked in the model before any rendering.

pub mod baseline;
mod coverage;
mod github;
mod human;
mod junit;
mod output;
mod outputs;
mod sarif;
mod scrub;

use coder_external_auth::Operation;
use serde::{Deserialize, Serialize};

use crate::checks::{CheckResult, Judged};
use crate::exit::Exit;
use crate::observation::Observation;
use crate::snapshot::SnapshotOutcome;

pub use coverage::Coverage;
pub use output::{check_distinct, write as write_file};
pub use outputs::{Format, Outputs};

/// A case's final word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Fresh,
    Stale,
    New,
    Accepted,
    Failure,
    /// Could not complete: the network, a proxy, a rate limit or time stood in the way.
    Incomplete,
    Skipped,
    /// Every finding is accepted by an unexpired `--baseline` entry.
    Baselined,
}

impl Verdict {
    /// The right-aligned status word of the human report.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Fresh => "Fresh",
            Verdict::Stale => "Stale",
            Verdict::New => "New",
            Verdict::Accepted => "Accepted",
            Verdict::Failure => "Failure",
            Verdict::Incomplete => "Incomplete",
            Verdict::Skipped => "Skipped",
            Verdict::Baselined => "Baselined",
        }
    }
}

/// How the comparison with the accepted snapshot went, as reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnapshotStatus {
    #[serde(rename = "fresh")]
    Fresh,
    #[serde(rename = "stale")]
    Stale,
    #[serde(rename = "new")]
    New,
    #[serde(rename = "accepted (changed)")]
    AcceptedChanged,
    #[serde(rename = "accepted (unchanged)")]
    AcceptedUnchanged,
}

/// The snapshot a case was compared with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotReport {
    pub file: String,
    pub outcome: SnapshotStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl SnapshotReport {
    pub fn new(file: String, outcome: SnapshotOutcome) -> Self {
        let (outcome, diff) = match outcome {
            SnapshotOutcome::Fresh => (SnapshotStatus::Fresh, None),
            SnapshotOutcome::Stale { diff } => (SnapshotStatus::Stale, Some(diff)),
            SnapshotOutcome::New => (SnapshotStatus::New, None),
            SnapshotOutcome::Accepted { changed: true } => (SnapshotStatus::AcceptedChanged, None),
            SnapshotOutcome::Accepted { changed: false } => {
                (SnapshotStatus::AcceptedUnchanged, None)
            }
        };
        Self {
            file,
            outcome,
            diff,
        }
    }
}

/// One case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseReport {
    pub operation_id: Operation,
    pub label: String,
    pub variant: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub elapsed_ms: f64,
    pub checks: Vec<CheckResult>,
    pub drift: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotReport>,
    /// Why a skipped case did not run, or an incomplete one could not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts that were retried, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retries: Vec<String>,
    /// What is worth knowing but fails nothing (a slow answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Coder's error envelope, when the answer carried one: its own words for what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coder_said: Option<CoderSaid>,
    /// The findings a `--baseline` entry matched, expired or not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline: Vec<BaselineMark>,
}

/// A finding a `--baseline` entry matched.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BaselineMark {
    pub check: String,
    pub finding: String,
    pub reason: String,
    pub expires: chrono::NaiveDate,
    /// Past its date: the finding fails again.
    pub expired: bool,
}

/// One finding of the run: what the baseline matches and `--write-baseline` writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    pub operation_id: Operation,
    pub variant: String,
    pub label: String,
    /// A check kind, or `stale-snapshot` / `new-snapshot`.
    pub check: String,
    pub finding: String,
    /// Accepted by an unexpired `--baseline` entry: reported, never failed.
    pub baselined: bool,
    /// Matched an entry past its date.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<chrono::NaiveDate>,
}

impl CaseReport {
    /// A case that ran: failed checks decide first, then the snapshot comparison.
    pub fn judged(
        observation: &Observation,
        judged: Judged,
        snapshot: Option<SnapshotReport>,
    ) -> Self {
        let verdict = if judged.incomplete.is_some() {
            Verdict::Incomplete
        } else if judged.failed() {
            Verdict::Failure
        } else {
            match snapshot.as_ref().map(|snapshot| snapshot.outcome) {
                None | Some(SnapshotStatus::Fresh) => Verdict::Fresh,
                Some(SnapshotStatus::Stale) => Verdict::Stale,
                Some(SnapshotStatus::New) => Verdict::New,
                Some(SnapshotStatus::AcceptedChanged | SnapshotStatus::AcceptedUnchanged) => {
                    Verdict::Accepted
                }
            }
        };
        Self {
            operation_id: observation.case.operation(),
            label: observation.case.label.clone(),
            variant: judged.variant,
            verdict,
            status: observation.status(),
            elapsed_ms: observation.elapsed.as_secs_f64() * 1000.0,
            checks: judged.checks,
            drift: judged.drift,
            snapshot,
            reason: judged.incomplete,
            retries: observation.retries.clone(),
            warnings: observation.warnings.clone(),
            coder_said: CoderSaid::of(observation),
            baseline: Vec::new(),
        }
    }

    /// A catalog variant the target did not exercise.
    pub fn skipped(operation: Operation, variant: &str, reason: String) -> Self {
        Self {
            operation_id: operation,
            label: "-".to_owned(),
            variant: variant.to_owned(),
            verdict: Verdict::Skipped,
            status: None,
            elapsed_ms: 0.0,
            checks: Vec::new(),
            drift: Vec::new(),
            snapshot: None,
            reason: Some(reason),
            retries: Vec::new(),
            warnings: Vec::new(),
            coder_said: None,
            baseline: Vec::new(),
        }
    }

    /// Findings of the failed checks, `check: finding`, each accepted one with its reason.
    pub fn failures(&self) -> impl Iterator<Item = String> + '_ {
        self.checks
            .iter()
            .filter(|check| !check.passed)
            .flat_map(move |check| {
                check.findings.iter().map(move |finding| {
                    let name = check.name.name();
                    match self.mark(name, finding) {
                        Some(mark) => format!("{name}: {finding}{}", mark.suffix()),
                        None => format!("{name}: {finding}"),
                    }
                })
            })
    }

    /// The baseline entry that matched this finding, if any.
    pub fn mark(&self, check: &str, finding: &str) -> Option<&BaselineMark> {
        self.baseline
            .iter()
            .find(|mark| mark.check == check && mark.finding == finding)
    }
}

impl BaselineMark {
    /// ` (baselined until …: reason)` or ` (baseline entry expired on …)`.
    pub fn suffix(&self) -> String {
        if self.expired {
            format!(" (baseline entry expired on {}: fails again)", self.expires)
        } else {
            format!(" (baselined until {}: {})", self.expires, self.reason)
        }
    }
}

/// Coder's error envelope as a response carried it: what Coder itself said went wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoderSaid {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl CoderSaid {
    /// The envelope of an error answer (4xx or 5xx with a string `message`), if it is one.
    pub fn of(observation: &Observation) -> Option<Self> {
        let response = observation.response.as_ref()?;
        if response.status() < 400 {
            return None;
        }
        let body = response.json()?;
        let message = body.get("message")?.as_str()?.to_owned();
        let detail = body
            .get("detail")
            .and_then(serde_json::Value::as_str)
            .filter(|detail| !detail.is_empty())
            .map(str::to_owned);
        Some(Self { message, detail })
    }

    /// `"message" (detail: "detail")`, control characters escaped.
    pub fn quoted(&self) -> String {
        let mut text = format!("\"{}\"", crate::text::line(&self.message));
        if let Some(detail) = &self.detail {
            text.push_str(&format!(" (detail: \"{}\")", crate::text::line(detail)));
        }
        text
    }
}

/// Why a run stopped before it could judge anything (exit 2), as every report states it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stopped {
    pub kind: StopKind,
    /// The first line the user reads.
    pub reason: String,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The list's status, when it was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// What Coder said, when its answer carried an error envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coder_said: Option<CoderSaid>,
}

/// The kinds of [`Stopped`], for dashboards that sort them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopKind {
    /// The target is not a Coder deployment.
    NotCoder,
    /// Coder, but the URL's path is not the deployment's root.
    NotApiRoot,
    /// Coder refused the session token.
    TokenRejected,
    /// Nothing answered (or not HTTP, or TLS was refused).
    Unreachable,
    /// A flag, a file, the release, or a limit.
    CouldNotRun,
}

impl Stopped {
    /// A stop with only a reason (the help, if any, on the lines after the first).
    pub fn new(kind: StopKind, text: &str) -> Self {
        let (reason, help) = match text.split_once('\n') {
            Some((reason, help)) => (reason.to_owned(), Some(help.trim().to_owned())),
            None => (text.to_owned(), None),
        };
        Self {
            kind,
            reason,
            help,
            status: None,
            content_type: None,
            coder_said: None,
        }
    }

    /// The reason and the help, as stderr shows them.
    pub fn text(&self) -> String {
        match &self.help {
            Some(help) => format!("{}\n{help}", self.reason),
            None => self.reason.clone(),
        }
    }
}

/// Counts by verdict.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub cases: usize,
    pub fresh: usize,
    pub stale: usize,
    pub new: usize,
    pub accepted: usize,
    pub failed: usize,
    #[serde(default)]
    pub incomplete: usize,
    pub skipped: usize,
    /// Cases whose every finding a `--baseline` entry accepted.
    #[serde(default)]
    pub baselined: usize,
}

impl Summary {
    fn of(cases: &[CaseReport]) -> Self {
        let mut summary = Summary {
            cases: cases.len(),
            ..Summary::default()
        };
        for case in cases {
            *match case.verdict {
                Verdict::Fresh => &mut summary.fresh,
                Verdict::Stale => &mut summary.stale,
                Verdict::New => &mut summary.new,
                Verdict::Accepted => &mut summary.accepted,
                Verdict::Failure => &mut summary.failed,
                Verdict::Incomplete => &mut summary.incomplete,
                Verdict::Skipped => &mut summary.skipped,
                Verdict::Baselined => &mut summary.baselined,
            } += 1;
        }
        summary
    }

    /// The exit status these counts mean.
    fn exit(&self) -> Exit {
        // A breach is news even when other cases could not complete.
        if self.failed > 0 {
            Exit::ContractBroken
        } else if self.incomplete > 0 {
            Exit::CouldNotRun
        } else if self.stale + self.new > 0 {
            Exit::Changes
        } else {
            Exit::Success
        }
    }
}

/// What a run checked: the target, the release and contract, the accepted snapshots.
#[derive(Clone, Debug, Default)]
pub struct RunSubject {
    pub target: String,
    pub coder_version: Option<String>,
    pub contract: String,
    pub snapshots: String,
}

/// The whole run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunReport {
    pub tool: String,
    pub version: String,
    pub target: String,
    /// The Coder release checked against: as the deployment reported it, or as given.
    #[serde(default)]
    pub coder_version: Option<String>,
    /// The releases whose contract was applied (`2.27-2.29`).
    pub contract: String,
    pub snapshots: String,
    pub summary: Summary,
    pub exit_code: Exit,
    pub elapsed_ms: f64,
    pub notes: Vec<String>,
    pub cases: Vec<CaseReport>,
    /// Pending `.snap.new` files left for review.
    pub pending_snapshots: usize,
    /// Why the run stopped before judging anything, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// The command that runs this check again, as the user gave it (no secret: tokens come
    /// from the environment), for the hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun: Option<String>,
    /// Every finding, each marked whether a `--baseline` entry accepted it.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The `--baseline` file and what it matched, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineSummary>,
    /// Per operation, the catalog variants and documented statuses seen, not seen and not
    /// reachable on this target; absent when the run stopped before judging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl RunReport {
    /// The report of a run, with the summary and exit status its cases mean.
    pub fn new(
        run: RunSubject,
        cases: Vec<CaseReport>,
        notes: Vec<String>,
        elapsed_ms: f64,
        pending_snapshots: usize,
    ) -> Self {
        let summary = Summary::of(&cases);
        let findings = baseline::findings(&cases);
        Self {
            tool: "conformance".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            target: run.target,
            coder_version: run.coder_version,
            contract: run.contract,
            snapshots: run.snapshots,
            exit_code: summary.exit(),
            summary,
            elapsed_ms,
            notes,
            cases,
            pending_snapshots,
            stopped: None,
            rerun: None,
            findings,
            baseline: None,
            coverage: None,
        }
    }

    /// A run that could not go ahead: no cases, the reason as a note and as `stopped`, exit 2.
    pub fn could_not_run(run: RunSubject, stopped: Stopped, elapsed_ms: f64) -> Self {
        Self {
            exit_code: Exit::CouldNotRun,
            ..Self::new(
                run,
                Vec::new(),
                vec![format!("could not run: {}", stopped.text())],
                elapsed_ms,
                0,
            )
        }
        .with_stopped(stopped)
    }

    fn with_stopped(mut self, stopped: Stopped) -> Self {
        self.stopped = Some(stopped);
        self
    }

    pub fn exit(&self) -> Exit {
        self.exit_code
    }

    /// Whether the run compared with the set compiled into the binary.
    pub fn snapshots_embedded(&self) -> bool {
        self.snapshots == crate::snapshot::Accepted::Embedded.describe()
    }
}
