//! GitHub Actions, natively: when `GITHUB_ACTIONS` is set, each failed or incomplete case is an
//! `::error` workflow command (a changed shape a `::warning`) on stdout, titled with the
//! operationId and variant, and a Markdown summary goes to `$GITHUB_STEP_SUMMARY`. The report
//! handed in is already masked.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context;

use super::{RunReport, Verdict};
use crate::exit::Exit;

/// Whether this process runs in a GitHub Actions job.
pub fn active() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true")
}

/// The workflow commands for the report, one line each.
pub fn annotations(report: &RunReport) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let level = match case.verdict {
            Verdict::Failure | Verdict::Incomplete => "error",
            Verdict::Stale | Verdict::New => "warning",
            Verdict::Fresh | Verdict::Accepted | Verdict::Skipped => continue,
        };
        let mut message = format!("{} ({})", case.label, case.verdict.word());
        for line in case
            .reason
            .iter()
            .cloned()
            .chain(case.failures())
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

/// The job summary: one row per case, the totals, and what the exit status means.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Coder external-auth conformance\n");
    let _ = writeln!(
        out,
        "Target `{}`, Coder {}, contract of Coder {}.\n",
        cell(&report.target),
        cell(report.coder_version.as_deref().unwrap_or("unknown")),
        cell(&report.contract)
    );
    let _ = writeln!(out, "| operation | variant | verdict | duration |");
    let _ = writeln!(out, "|---|---|---|---:|");
    for case in &report.cases {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {:.1} ms |",
            case.operation_id,
            cell(&case.variant),
            case.verdict.word(),
            case.elapsed_ms
        );
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n**{} cases**: {} fresh, {} stale, {} new, {} accepted, {} failed, {} incomplete, {} skipped.\n",
        s.cases, s.fresh, s.stale, s.new, s.accepted, s.failed, s.incomplete, s.skipped
    );
    let _ = writeln!(
        out,
        "Exit status **{}**: {}.",
        report.exit_code.code(),
        meaning(report.exit_code)
    );
    for note in &report.notes {
        let _ = writeln!(out, "\n> {}", cell(note));
    }
    out
}

/// Appends the summary to the file GitHub named.
pub fn append_summary(path: &Path, report: &RunReport) -> anyhow::Result<()> {
    let context = || format!("$GITHUB_STEP_SUMMARY {}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(context)?;
    file.write_all(summary(report).as_bytes())
        .with_context(context)
}

fn meaning(exit: Exit) -> &'static str {
    match exit {
        Exit::Success => "everything conforms and every shape matches",
        Exit::Changes => "only shape changes (stale or new snapshots)",
        Exit::CouldNotRun => {
            "the check could not complete (a flag, the network, a proxy, a rate limit or time)"
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

/// Text for a Markdown table cell or line: no pipes, newlines or control characters.
fn cell(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => "\\|".to_owned(),
            c if c.is_control() => " ".to_owned(),
            c => c.to_string(),
        })
        .collect()
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
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
