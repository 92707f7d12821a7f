//! The Cargo-like report for people: a right-aligned status word per case, the findings and
//! diffs under it, a summary line, and the command to run next.

use std::borrow::Cow;
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
        printable(&report.target),
        printable(report.coder_version.as_deref().unwrap_or("(unknown)")),
        printable(&report.contract)
    );
    for case in &report.cases {
        let _ = write!(
            out,
            "{:>12} {} {} [{}]",
            case.verdict.word(),
            case.operation_id,
            printable(&case.label),
            printable(&case.variant)
        );
        match (&case.reason, case.verdict) {
            (Some(reason), _) => {
                let _ = write!(out, ": {}", printable(reason));
            }
            (None, Verdict::Skipped) => {}
            (None, _) => {
                let _ = write!(out, " ({:.1} ms)", case.elapsed_ms);
            }
        }
        out.push('\n');
        for retry in &case.retries {
            let _ = writeln!(out, "{INDENT}retried: {}", printable(retry));
        }
        for warning in &case.warnings {
            let _ = writeln!(out, "{INDENT}warning: {}", printable(warning));
        }
        if case.verdict == Verdict::Incomplete {
            continue;
        }
        for finding in case.failures() {
            let _ = writeln!(out, "{INDENT}{}", printable(&finding));
        }
        if let Some(snapshot) = &case.snapshot
            && let Some(diff) = &snapshot.diff
        {
            let _ = writeln!(out, "{INDENT}{}", printable(&snapshot.file));
            for line in diff.lines() {
                let _ = writeln!(out, "{INDENT}{}", printable(line));
            }
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "{:>12} {}", "Note", printable(note));
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{:>12} {} cases in {:.0} ms: {} fresh, {} stale, {} new, {} accepted, {} failed, {} incomplete, {} skipped",
        "Finished",
        s.cases,
        report.elapsed_ms,
        s.fresh,
        s.stale,
        s.new,
        s.accepted,
        s.failed,
        s.incomplete,
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

/// `text` with control characters escaped (`\n`, `\u{1b}`): a server-chosen id or message
/// can neither start a forged report line nor send escape sequences to the terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("github"), "github");
        assert_eq!(
            printable("x\n       Fresh forged\u{1b}[31m"),
            "x\\n       Fresh forged\\u{1b}[31m"
        );
    }
}
