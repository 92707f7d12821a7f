//! The Cargo-like report for people: a right-aligned status word per case, the findings and
//! diffs under it, a summary line, and the command to run next.

use crate::text::{line, shell_word};
use std::fmt::Write;

use super::{RunReport, Verdict};

const INDENT: &str = "             ";

/// Renders the whole report (the caller redacts and prints it to stderr).
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {}: Coder {}, contract of Coder {}",
        "Checking",
        line(&report.target),
        line(report.coder_version.as_deref().unwrap_or("(unknown)")),
        line(&report.contract)
    );
    for case in &report.cases {
        let _ = write!(
            out,
            "{:>12} {} {} [{}]",
            case.verdict.word(),
            case.operation_id,
            line(&case.label),
            line(&case.variant)
        );
        match (&case.reason, case.verdict) {
            (Some(reason), _) => {
                let _ = write!(out, ": {}", line(reason));
            }
            (None, Verdict::Skipped) => {}
            (None, _) => {
                let _ = write!(out, " ({:.1} ms)", case.elapsed_ms);
            }
        }
        out.push('\n');
        for retry in &case.retries {
            let _ = writeln!(out, "{INDENT}retried: {}", line(retry));
        }
        for warning in &case.warnings {
            let _ = writeln!(out, "{INDENT}warning: {}", line(warning));
        }
        if case.verdict == Verdict::Incomplete {
            continue;
        }
        for finding in case.failures() {
            let _ = writeln!(out, "{INDENT}{}", line(&finding));
        }
        if case.verdict == Verdict::Failure
            && let Some(said) = &case.coder_said
        {
            let _ = writeln!(out, "{INDENT}Coder said: {}", said.quoted());
        }
        if let Some(snapshot) = &case.snapshot
            && let Some(diff) = &snapshot.diff
        {
            let _ = writeln!(out, "{INDENT}{}", line(&snapshot.file));
            for diff_line in diff.lines() {
                let _ = writeln!(out, "{INDENT}{}", line(diff_line));
            }
            if let Some(mark) = case.mark(super::baseline::STALE_SNAPSHOT, diff) {
                let _ = writeln!(out, "{INDENT}{}", line(mark.suffix().trim_start()));
            }
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "{:>12} {}", "Note", line(note));
    }
    if let Some(coverage) = &report.coverage {
        let _ = writeln!(out, "{:>12} {}", "Coverage", coverage.figure());
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{:>12} {} cases in {:.0} ms: {} fresh, {} stale, {} new, {} accepted, {} failed, {} incomplete, {} skipped{}",
        "Finished",
        s.cases,
        report.elapsed_ms,
        s.fresh,
        s.stale,
        s.new,
        s.accepted,
        s.failed,
        s.incomplete,
        s.skipped,
        baselined_count(report)
    );
    if let Some(next) = next_step(report) {
        let _ = writeln!(out, "{:>12} {next}", "Next");
    }
    out
}

/// `, N baselined` when a baseline was given.
pub fn baselined_count(report: &RunReport) -> String {
    match &report.baseline {
        Some(_) => format!(", {} baselined", report.summary.baselined),
        None => String::new(),
    }
}

/// The command that moves the user forward, if any.
fn next_step(report: &RunReport) -> Option<String> {
    let s = &report.summary;
    if s.failed > 0 {
        return Some(
            "the target broke the contract: read the failures above; if the server is right, \
             fix openapi/coder-external-auth.json and record the divergence in openapi/README.md"
                .to_owned(),
        );
    }
    if s.incomplete > 0 {
        return Some(
            "some cases could not complete (the network, a proxy, a rate limit or time stood in \
             the way; nothing says the target broke the contract): run again, or give more time \
             with --timeout, --list-timeout or --device-flow-deadline"
                .to_owned(),
        );
    }
    if s.stale + s.new == 0 {
        return None;
    }
    let accept = accept_command(report);
    Some(if report.pending_snapshots > 0 {
        format!(
            "review the {} pending shape(s) with `cargo insta review --workspace-root {}`, or accept them all with `{accept}`",
            report.pending_snapshots,
            shell_word(&snapshots_parent(report))
        )
    } else if report.snapshots_embedded() {
        format!(
            "the compiled-in snapshots are read only: from the source tree, accept the observed \
             shapes into its snapshots/ with `{accept}` once you have read the diffs"
        )
    } else {
        format!("accept the observed shapes with `{accept}` once you have read the diffs")
    })
}

/// The command that accepts what this run observed: the run again, into its snapshot
/// directory (`snapshots`, the source tree's, when the run used the compiled-in set).
fn accept_command(report: &RunReport) -> String {
    let rerun = report.rerun.as_deref().unwrap_or("conformance check");
    let dir = if report.snapshots_embedded() {
        "snapshots".to_owned()
    } else {
        shell_word(&report.snapshots)
    };
    format!("{rerun} --snapshots {dir} --accept")
}

/// The directory insta resolves the pending files' paths against: the snapshot directory's
/// parent (see `snapshot::prepare_environment`).
fn snapshots_parent(report: &RunReport) -> String {
    std::path::Path::new(&report.snapshots)
        .parent()
        .map_or_else(|| ".".to_owned(), |parent| parent.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(line("github"), "github");
        assert_eq!(
            line("x\n       Fresh forged\u{1b}[31m"),
            "x\\n       Fresh forged\\u{1b}[31m"
        );
    }
}
