//! Accepted findings (`check --baseline FILE`): each one an operation, a variant, a check kind
//! and the finding's stable text, with a reason and an expiry date. A run fails only on
//! findings no unexpired entry accepts; `--write-baseline` writes a run's findings as a start.

use std::path::Path;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use coder_external_auth::Operation;
use serde::{Deserialize, Serialize};

use super::{BaselineMark, CaseReport, Finding, RunReport, SnapshotStatus, Verdict};
use crate::checks::CheckKind;
use crate::secrets::Secrets;

/// The largest baseline file read.
pub const MAX_BASELINE_BYTES: u64 = 1024 * 1024;
/// How long an entry `--write-baseline` writes is valid: long enough to file the bug, short
/// enough that nobody forgets it.
pub const STARTING_VALIDITY_DAYS: u64 = 90;
/// The format version this tool reads and writes.
pub const FORMAT: u32 = 1;
/// The reason `--write-baseline` writes for a finding no entry accepted yet.
pub const REASON_TO_WRITE: &str = "TODO: say why this finding is accepted";
/// The check kind of a shape that differs from its accepted snapshot.
pub const STALE_SNAPSHOT: &str = "stale-snapshot";
/// The check kind of a variant with no accepted snapshot.
pub const NEW_SNAPSHOT: &str = "new-snapshot";
/// What stands for the target's URL in a finding's stable text (its port changes per run).
pub const TARGET_PLACEHOLDER: &str = "<target>";

/// A baseline file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Always [`FORMAT`].
    pub baseline: u32,
    pub accepted: Vec<Entry>,
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub operation_id: Operation,
    pub variant: String,
    /// A check kind (`drift`, `schema`, `status`, …) or `stale-snapshot`, `new-snapshot`.
    pub check: String,
    /// The finding's text as the report states it, the target's URL as `<target>`.
    pub finding: String,
    /// Why it is accepted (a fork's field, an upstream bug and its issue).
    pub reason: String,
    /// The last day the entry accepts its finding (YYYY-MM-DD, UTC).
    pub expires: NaiveDate,
}

impl Entry {
    fn describe(&self) -> String {
        format!(
            "{} [{}] {}: {}",
            self.operation_id,
            self.variant,
            self.check,
            first_line(&self.finding)
        )
    }
}

/// Every check kind a baseline may name.
fn known_check(check: &str) -> bool {
    check == STALE_SNAPSHOT
        || check == NEW_SNAPSHOT
        || serde_json::from_value::<CheckKind>(serde_json::Value::from(check)).is_ok()
}

/// Reads and checks `--baseline PATH`.
pub fn load(path: &Path) -> anyhow::Result<Baseline> {
    let what = format!("--baseline {}", path.display());
    let text = crate::files::read_text(path, &what, MAX_BASELINE_BYTES)?;
    parse(&text).with_context(|| what.clone())
}

/// Parses a baseline file's text and checks every entry.
pub fn parse(text: &str) -> anyhow::Result<Baseline> {
    let baseline: Baseline = serde_json::from_str(text)
        .context("not a baseline file (see the README, \"Living with findings\")")?;
    if baseline.baseline != FORMAT {
        bail!(
            "format {} is not known: this tool reads \"baseline\": {FORMAT}",
            baseline.baseline
        );
    }
    for (index, entry) in baseline.accepted.iter().enumerate() {
        let number = index + 1;
        if !known_check(&entry.check) {
            bail!(
                "entry {number} ({}): `{}` is no check kind (response, status, content-type, \
                 schema, drift, typed-decode, contract, {STALE_SNAPSHOT}, {NEW_SNAPSHOT})",
                entry.describe(),
                entry.check
            );
        }
        if entry.reason.trim().is_empty() {
            bail!(
                "entry {number} ({}): give a reason why it is accepted",
                entry.describe()
            );
        }
        if let Some(earlier) = baseline.accepted[..index]
            .iter()
            .position(|other| same_finding(other, entry))
        {
            bail!(
                "entry {number} ({}) repeats entry {}: keep one",
                entry.describe(),
                earlier + 1
            );
        }
    }
    Ok(baseline)
}

fn same_finding(a: &Entry, b: &Entry) -> bool {
    a.operation_id == b.operation_id
        && a.variant == b.variant
        && a.check == b.check
        && a.finding == b.finding
}

/// A finding's text as a baseline holds it: secrets masked, the target's URL replaced.
pub fn stable_text(text: &str, target: &str, secrets: &Secrets) -> String {
    let masked = secrets.mask_str(text);
    match target_url(target) {
        Some(url) => masked.replace(url, TARGET_PLACEHOLDER),
        None => masked,
    }
}

/// The URL in a report's target (`http://127.0.0.1:1234 (embedded imitation)`).
fn target_url(target: &str) -> Option<&str> {
    let url = target.split_whitespace().next()?.trim_end_matches('/');
    (url.starts_with("http://") || url.starts_with("https://")).then_some(url)
}

/// What applying a baseline changed.
pub struct Applied {
    pub notes: Vec<String>,
    pub summary: BaselineSummary,
}

/// The baseline's part of the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BaselineSummary {
    pub file: String,
    pub entries: usize,
    /// Findings an unexpired entry accepted.
    pub accepted: usize,
    /// Entries past their date whose finding occurred: it fails again.
    pub expired: usize,
    /// Entries that matched no finding.
    pub stale: usize,
}

/// Marks every finding an entry matches, and gives a case whose findings are all accepted
/// the verdict `baselined`. `today` decides expiry.
pub fn apply(
    baseline: &Baseline,
    file: &Path,
    cases: &mut [CaseReport],
    target: &str,
    secrets: &Secrets,
    today: NaiveDate,
) -> Applied {
    let mut used = vec![false; baseline.accepted.len()];
    let mut summary = BaselineSummary {
        file: file.display().to_string(),
        entries: baseline.accepted.len(),
        ..BaselineSummary::default()
    };
    let mut notes = Vec::new();
    for case in cases.iter_mut() {
        let mut marks = Vec::new();
        for (check, text) in case_findings(case) {
            let stable = stable_text(&text, target, secrets);
            let Some(index) = baseline.accepted.iter().position(|entry| {
                entry.operation_id == case.operation_id
                    && entry.variant == case.variant
                    && entry.check == check
                    && entry.finding == stable
            }) else {
                continue;
            };
            let entry = &baseline.accepted[index];
            let expired = today > entry.expires;
            if expired && !used[index] {
                summary.expired += 1;
                notes.push(format!(
                    "baseline entry {} ({}) expired on {}: its finding fails again; fix the \
                     cause, or give the entry a later `expires` in {}",
                    index + 1,
                    entry.describe(),
                    entry.expires,
                    file.display()
                ));
            }
            if !expired {
                summary.accepted += 1;
            }
            used[index] = true;
            marks.push(BaselineMark {
                check,
                finding: text,
                reason: entry.reason.clone(),
                expires: entry.expires,
                expired,
            });
        }
        case.baseline = marks;
        case.verdict = rejudged(case);
    }
    for (index, entry) in baseline.accepted.iter().enumerate() {
        if !used[index] {
            summary.stale += 1;
            let lapsed = if today > entry.expires {
                format!(" (and it expired on {})", entry.expires)
            } else {
                String::new()
            };
            notes.push(format!(
                "baseline entry {} ({}) matched no finding: it is stale{lapsed}; remove it from {}",
                index + 1,
                entry.describe(),
                file.display()
            ));
        }
    }
    Applied { notes, summary }
}

/// The verdict once accepted findings no longer count.
fn rejudged(case: &CaseReport) -> Verdict {
    if !matches!(
        case.verdict,
        Verdict::Failure | Verdict::Stale | Verdict::New
    ) || case.baseline.is_empty()
    {
        return case.verdict;
    }
    let accepted = |check: &str, text: &str| {
        case.baseline
            .iter()
            .any(|mark| !mark.expired && mark.check == check && mark.finding == text)
    };
    let findings = case_findings(case);
    let open = |wanted: &dyn Fn(&str) -> bool| {
        findings
            .iter()
            .any(|(check, text)| wanted(check) && !accepted(check, text))
    };
    let is_snapshot = |check: &str| check == STALE_SNAPSHOT || check == NEW_SNAPSHOT;
    if open(&|check| !is_snapshot(check)) {
        Verdict::Failure
    } else if open(&|check| check == STALE_SNAPSHOT) {
        Verdict::Stale
    } else if open(&|check| check == NEW_SNAPSHOT) {
        Verdict::New
    } else {
        Verdict::Baselined
    }
}

/// A case's findings, `(check kind, text)`: the failed checks' findings, then a changed or
/// missing shape. A case that could not complete or did not run has none.
pub fn case_findings(case: &CaseReport) -> Vec<(String, String)> {
    if matches!(case.verdict, Verdict::Incomplete | Verdict::Skipped) {
        return Vec::new();
    }
    let mut findings: Vec<(String, String)> = case
        .checks
        .iter()
        .filter(|check| !check.passed)
        .flat_map(|check| {
            check
                .findings
                .iter()
                .map(|finding| (check.name.name().to_owned(), finding.clone()))
        })
        .collect();
    match case.snapshot.as_ref().map(|s| (s.outcome, &s.diff)) {
        Some((SnapshotStatus::Stale, diff)) => {
            findings.push((STALE_SNAPSHOT.to_owned(), diff.clone().unwrap_or_default()))
        }
        Some((SnapshotStatus::New, _)) => findings.push((
            NEW_SNAPSHOT.to_owned(),
            format!("no accepted shape for variant {}", case.variant),
        )),
        _ => {}
    }
    findings
}

/// Every finding of the run, each marked whether the baseline accepted it.
pub fn findings(cases: &[CaseReport]) -> Vec<Finding> {
    let mut out = Vec::new();
    for case in cases {
        for (check, finding) in case_findings(case) {
            let mark = case
                .baseline
                .iter()
                .find(|mark| mark.check == check && mark.finding == finding);
            out.push(Finding {
                operation_id: case.operation_id,
                variant: case.variant.clone(),
                label: case.label.clone(),
                baselined: mark.is_some_and(|mark| !mark.expired),
                expired: mark.is_some_and(|mark| mark.expired),
                reason: mark.map(|mark| mark.reason.clone()),
                expires: mark.map(|mark| mark.expires),
                check,
                finding,
            });
        }
    }
    out
}

/// The baseline `--write-baseline` writes for a (masked) report: every finding once, sorted;
/// an entry the run's baseline had keeps its reason and date, a new one gets
/// [`REASON_TO_WRITE`] and [`STARTING_VALIDITY_DAYS`] from `today`.
pub fn starting_file(report: &RunReport, today: NaiveDate) -> anyhow::Result<String> {
    let mut accepted: Vec<Entry> = Vec::new();
    let secrets = Secrets::default();
    for finding in &report.findings {
        let entry = Entry {
            operation_id: finding.operation_id,
            variant: finding.variant.clone(),
            check: finding.check.clone(),
            finding: stable_text(&finding.finding, &report.target, &secrets),
            reason: finding
                .reason
                .clone()
                .unwrap_or_else(|| REASON_TO_WRITE.to_owned()),
            expires: match (finding.baselined, finding.expires) {
                (true, Some(expires)) => expires,
                _ => today + chrono::Days::new(STARTING_VALIDITY_DAYS),
            },
        };
        if !accepted.iter().any(|other| same_finding(other, &entry)) {
            accepted.push(entry);
        }
    }
    accepted.sort_by(|a, b| {
        (a.operation_id, &a.variant, &a.check, &a.finding).cmp(&(
            b.operation_id,
            &b.variant,
            &b.check,
            &b.finding,
        ))
    });
    let mut text = serde_json::to_string_pretty(&Baseline {
        baseline: FORMAT,
        accepted,
    })?;
    text.push('\n');
    Ok(text)
}

/// Refuses a `--write-baseline` path that exists, unless `--force`: before the run, so the
/// user learns it at once.
pub fn refuse_existing(path: &Path, force: bool) -> anyhow::Result<()> {
    if !force && std::fs::symlink_metadata(path).is_ok() {
        bail!(
            "--write-baseline {}: the file exists; pass --force to replace it",
            path.display()
        );
    }
    Ok(())
}

/// Writes the starting file: a new file, or with `force` through to the path named.
pub fn write(path: &Path, force: bool, text: &str) -> anyhow::Result<()> {
    if force {
        return crate::report::write_file(path, "--write-baseline", text);
    }
    crate::files::create_new(
        path,
        &format!(
            "--write-baseline {} (pass --force to replace an existing file)",
            path.display()
        ),
        text.as_bytes(),
    )
}

/// Today's date, UTC: the day expiry is judged against.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../examples/baseline.json");

    #[test]
    fn the_example_file_parses() {
        let baseline = parse(EXAMPLE).unwrap();
        assert!(!baseline.accepted.is_empty());
    }

    #[test]
    fn bad_entries_are_refused_with_their_number() {
        let entry = r#"{"operation_id": "get-external-auth-by-id", "variant": "authenticated",
            "check": "CHECK", "finding": "/x: key not in the spec", "reason": "REASON",
            "expires": "2030-01-01"}"#;
        let file = |check: &str, reason: &str| {
            format!(
                r#"{{"baseline": 1, "accepted": [{}]}}"#,
                entry.replace("CHECK", check).replace("REASON", reason)
            )
        };
        let err = parse(&file("nonsense", "a fork")).unwrap_err().to_string();
        assert!(
            err.contains("entry 1") && err.contains("no check kind"),
            "{err}"
        );
        let err = parse(&file("drift", " ")).unwrap_err().to_string();
        assert!(err.contains("give a reason"), "{err}");
        let twice = format!(
            r#"{{"baseline": 1, "accepted": [{0}, {0}]}}"#,
            entry.replace("CHECK", "drift").replace("REASON", "r")
        );
        let err = parse(&twice).unwrap_err().to_string();
        assert!(
            err.contains("entry 2") && err.contains("repeats entry 1"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            parse(&file("drift", "r").replace("2030-01-01", "soon")).unwrap_err()
        );
        assert!(err.contains("not a baseline file"), "{err}");
        assert!(parse(&file("stale-snapshot", "r")).is_ok());
    }

    #[test]
    fn the_target_url_is_no_part_of_a_stable_text() {
        let secrets = Secrets::default();
        assert_eq!(
            stable_text(
                "redirected to http://127.0.0.1:4711/x",
                "http://127.0.0.1:4711 (embedded imitation)",
                &secrets
            ),
            "redirected to <target>/x"
        );
    }
}
