//! The run's results as one serialisable model, and its three renderings: the human report
//! (stderr), JSON and JUnit. Every rendering passes through the secrets filter at the sink.

mod human;
mod junit;

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::checks::CheckResult;
use crate::exit::Exit;
use crate::secrets::Secrets;

pub use human::render as render_human;

/// A case's final word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Fresh,
    Stale,
    New,
    Accepted,
    Failure,
    Skipped,
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
            Verdict::Skipped => "Skipped",
        }
    }
}

/// The snapshot a case was compared with.
#[derive(Clone, Debug, Serialize)]
pub struct SnapshotReport {
    pub file: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// One case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseReport {
    pub operation_id: String,
    pub label: String,
    pub variant: String,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub elapsed_ms: f64,
    pub checks: Vec<CheckResult>,
    pub drift: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotReport>,
    /// Why a skipped case did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CaseReport {
    /// Findings of the failed checks, `check: finding`.
    pub fn failures(&self) -> impl Iterator<Item = String> + '_ {
        self.checks
            .iter()
            .filter(|check| !check.passed)
            .flat_map(|check| {
                check
                    .findings
                    .iter()
                    .map(move |f| format!("{}: {f}", check.name))
            })
    }
}

/// Counts by verdict.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub fresh: usize,
    pub stale: usize,
    pub new: usize,
    pub accepted: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub target: String,
    pub snapshots: String,
    pub summary: Summary,
    pub exit_code: u8,
    pub elapsed_ms: f64,
    pub notes: Vec<String>,
    pub cases: Vec<CaseReport>,
    /// Pending `.snap.new` files left for review.
    pub pending_snapshots: usize,
}

impl RunReport {
    pub fn new(
        target: String,
        snapshots: String,
        cases: Vec<CaseReport>,
        notes: Vec<String>,
        elapsed_ms: f64,
        pending_snapshots: usize,
    ) -> Self {
        let mut summary = Summary {
            cases: cases.len(),
            ..Summary::default()
        };
        for case in &cases {
            *match case.verdict {
                Verdict::Fresh => &mut summary.fresh,
                Verdict::Stale => &mut summary.stale,
                Verdict::New => &mut summary.new,
                Verdict::Accepted => &mut summary.accepted,
                Verdict::Failure => &mut summary.failed,
                Verdict::Skipped => &mut summary.skipped,
            } += 1;
        }
        let exit = if summary.failed > 0 {
            Exit::ContractBroken
        } else if summary.stale + summary.new > 0 {
            Exit::Changes
        } else {
            Exit::Success
        };
        Self {
            tool: "conformance",
            version: env!("CARGO_PKG_VERSION"),
            target,
            snapshots,
            summary,
            exit_code: exit as u8,
            elapsed_ms,
            notes,
            cases,
            pending_snapshots,
        }
    }

    pub fn exit(&self) -> Exit {
        match self.exit_code {
            0 => Exit::Success,
            1 => Exit::Changes,
            _ => Exit::ContractBroken,
        }
    }
}

/// Writes the JSON report to `path`.
pub fn write_json(report: &RunReport, path: &Path, secrets: &Secrets) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    write_atomically(path, &secrets.redact(&text))
        .with_context(|| format!("--json {}", path.display()))
}

/// Writes the JUnit report to `path`.
pub fn write_junit(report: &RunReport, path: &Path, secrets: &Secrets) -> anyhow::Result<()> {
    let text = junit::render(report)?;
    write_atomically(path, &secrets.redact(&text))
        .with_context(|| format!("--junit {}", path.display()))
}

/// A report is either whole or absent: written beside its target, then renamed over it.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}
