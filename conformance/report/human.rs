//! The Cargo-like report for people: a right-aligned status word per case, the findings and
//! diffs under it, a summary line, and the command to run next.

use std::fmt::Write;

use super::{RunReport, Verdict};

const INDENT: &str = "             ";

/// Renders the whole report (the caller redacts and prints it to stderr).
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:>12} {}", "Checking", report.target);
    for case in &report.cases {
        let _ = write!(
            out,
            "{:>12} {} {} [{}]",
            case.verdict.word(),
            case.operation_id,
            case.label,
            case.variant
        );
        match (&case.reason, case.verdict) {
            (Some(reason), _) => {
                let _ = write!(out, ": {reason}");
            }
            (None, Verdict::Skipped) => {}
            (None, _) => {
                let _ = write!(out, " ({:.1} ms)", case.elapsed_ms);
            }
        }
        out.push('\n');
        for finding in case.failures() {
            let _ = writeln!(out, "{INDENT}{finding}");
        }
        if let Some(diff) = case.snapshot.as_ref().and_then(|s| s.diff.as_ref()) {
            let _ = writeln!(out, "{INDENT}{}", case.snapshot.as_ref().unwrap().file);
            for line in diff.lines() {
                let _ = writeln!(out, "{INDENT}{line}");
            }
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "{:>12} {note}", "Note");
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{:>12} {} cases in {:.0} ms: {} fresh, {} stale, {} new, {} accepted, {} failed, {} skipped",
        "Finished",
        s.cases,
        report.elapsed_ms,
        s.fresh,
        s.stale,
        s.new,
        s.accepted,
        s.failed,
        s.skipped
    );
    if let Some(next) = next_step(report) {
        let _ = writeln!(out, "{:>12} {next}", "Next");
    }
    out
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
    if s.stale + s.new == 0 {
        return None;
    }
    Some(if report.pending_snapshots > 0 {
        format!(
            "review the {} pending shape(s) with `cargo insta review` (in {}), or accept them all with `conformance check --accept`",
            report.pending_snapshots, report.snapshots
        )
    } else {
        "accept the observed shapes with `conformance check --accept` once you have read the diffs"
            .to_owned()
    })
}
