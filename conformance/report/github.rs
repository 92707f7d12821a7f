//! GitHub Actions, natively: when `GITHUB_ACTIONS` is set, each failed or incomplete case is an
//! `::error` workflow command (a changed shape a `::warning`) on stdout, titled with the
//! operationId and variant, and a Markdown summary goes to `$GITHUB_STEP_SUMMARY`. The report
//! handed in is already masked.

use std::fmt::Write as _;

use super::{RunReport, StopKind, Verdict};
use crate::exit::Exit;

/// Whether this process runs in a GitHub Actions job.
pub fn active() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true")
}

/// The workflow commands for the report, one line each.
pub fn annotations(report: &RunReport) -> String {
    let mut out = String::new();
    if let Some(stopped) = &report.stopped {
        let _ = writeln!(
            out,
            "::error title={}::{}",
            escape_property(&format!(
                "conformance could not run ({})",
                kind_name(stopped.kind)
            )),
            escape_data(&stopped.text())
        );
    }
    for case in &report.cases {
        let level = match case.verdict {
            Verdict::Failure | Verdict::Incomplete => "error",
            Verdict::Stale | Verdict::New => "warning",
            Verdict::Baselined => "notice",
            Verdict::Fresh | Verdict::Accepted | Verdict::Skipped => continue,
        };
        let mut message = format!("{} ({})", case.label, case.verdict.word());
        for line in case
            .reason
            .iter()
            .cloned()
            .chain(case.failures())
            .chain(
                case.coder_said
                    .iter()
                    .map(|said| format!("Coder said: {}", said.quoted())),
            )
            .chain(case.snapshot.iter().filter_map(|s| s.diff.clone()))
        {
            message.push('\n');
            message.push_str(&line);
        }
        let title = format!("{} [{}]", case.operation_id, case.variant);
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            escape_property(&title),
            escape_data(&message)
        );
    }
    out
}

/// The job summary: why the run stopped, if it did; the failures with their findings; one
/// row per case, failures first; the totals; and what the exit status means.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Coder external-auth conformance\n");
    match &report.stopped {
        Some(stopped) => {
            let _ = writeln!(
                out,
                "**The check could not run** against {}: {}\n",
                cell(&report.target),
                cell(&stopped.reason)
            );
            if let Some(help) = &stopped.help {
                let _ = writeln!(out, "{}\n", cell(help));
            }
            if let Some(said) = &stopped.coder_said {
                let _ = writeln!(out, "Coder said: {}\n", cell(&said.quoted()));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "Target {}, Coder {}, contract of Coder {}.\n",
                cell(&report.target),
                cell(report.coder_version.as_deref().unwrap_or("unknown")),
                cell(&report.contract)
            );
        }
    }
    let mut cases: Vec<_> = report.cases.iter().collect();
    // Stable: within a rank, the run's order.
    cases.sort_by_key(|case| rank(case.verdict));
    let failed: Vec<_> = cases
        .iter()
        .filter(|case| matches!(case.verdict, Verdict::Failure | Verdict::Incomplete))
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "### Failures\n");
        for case in failed {
            let _ = writeln!(
                out,
                "- **{}** `{}` {} [{}]",
                case.verdict.word(),
                case.operation_id,
                cell(&case.label),
                cell(&case.variant)
            );
            for line in case.reason.iter().cloned().chain(case.failures()) {
                let _ = writeln!(out, "  - {}", cell(&line));
            }
            if let Some(said) = &case.coder_said {
                let _ = writeln!(out, "  - Coder said: {}", cell(&said.quoted()));
            }
        }
        out.push('\n');
    }
    if !cases.is_empty() {
        let _ = writeln!(out, "| operation | case | variant | verdict | duration |");
        let _ = writeln!(out, "|---|---|---|---|---:|");
        for case in &cases {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {:.1} ms |",
                case.operation_id,
                cell(&case.label),
                cell(&case.variant),
                case.verdict.word(),
                case.elapsed_ms
            );
        }
        let s = &report.summary;
        let _ = writeln!(
            out,
            "\n**{} cases**: {} fresh, {} stale, {} new, {} accepted, {} failed, {} incomplete, {} skipped{}.\n",
            s.cases,
            s.fresh,
            s.stale,
            s.new,
            s.accepted,
            s.failed,
            s.incomplete,
            s.skipped,
            super::human::baselined_count(report)
        );
    }
    if let Some(coverage) = &report.coverage {
        let _ = writeln!(out, "**Coverage**: {}.\n", coverage.figure());
        let gaps = coverage.gaps();
        if !gaps.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>Not covered ({})</summary>\n",
                gaps.len()
            );
            for gap in gaps {
                let _ = writeln!(out, "- {}", cell(&gap));
            }
            let _ = writeln!(out, "\n</details>\n");
        }
    }
    let _ = writeln!(
        out,
        "Exit status **{}**: {}.",
        report.exit_code.code(),
        meaning(report.exit_code)
    );
    for note in &report.notes {
        // The stop is stated above; its note would only repeat it.
        if report.stopped.is_some() && note.starts_with("could not run: ") {
            continue;
        }
        let _ = writeln!(out, "\n> {}", cell(note));
    }
    out
}

/// Where a verdict sorts in the summary: what needs reading first.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Failure => 0,
        Verdict::Incomplete => 1,
        Verdict::Stale => 2,
        Verdict::New => 3,
        Verdict::Accepted => 4,
        Verdict::Baselined => 5,
        Verdict::Fresh => 6,
        Verdict::Skipped => 7,
    }
}

/// A stop's kind as the reports name it.
pub fn kind_name(kind: StopKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn meaning(exit: Exit) -> &'static str {
    match exit {
        Exit::Success => "everything conforms and every shape matches",
        Exit::Changes => "only shape changes (stale or new snapshots)",
        Exit::CouldNotRun => {
            "the check could not complete (a flag, the target, the token, the network, a proxy, \
             a rate limit or time); nothing says the target broke the contract"
        }
        Exit::ContractBroken => "the server broke the contract",
    }
}

/// A workflow command's message: `%`, CR and LF are escaped, the rest is literal.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as data, and `:` and `,` too.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text for a Markdown table cell or line (see `text::markdown`).
fn cell(text: &str) -> String {
    crate::text::markdown(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_cannot_be_forged_by_data() {
        assert_eq!(
            escape_data("50%\n::error::forged\r"),
            "50%25%0A::error::forged%0D"
        );
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
        // A newline is shown as `\n`, its backslash escaped for Markdown.
        assert_eq!(cell("a|b\nc"), "a\\|b\\\\nc");
    }
}
