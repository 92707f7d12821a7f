//! Makes a report fit for every output, in the typed model, before anything is rendered:
//! each text is masked (secrets), sanitised ([`crate::text::clean`]) and bounded
//! ([`crate::bounds`]); each list of texts is bounded too.
//! Only texts are visited: the report's own words (verdicts, check kinds, operation ids,
//! stop kinds) are enums, so no value a server chooses can rewrite them, and nothing is
//! serialised and parsed back.

use super::{
    BaselineMark, CaseReport, CoderSaid, Coverage, Finding, RunReport, SnapshotReport, Stopped,
};
use crate::bounds::{MAX_DIFF_BYTES, MAX_TEXT_BYTES, bound_list, truncate};
use crate::checks::CheckResult;
use crate::secrets::Secrets;
use crate::text;

/// The report as every output may show it.
pub fn scrubbed(mut report: RunReport, secrets: &Secrets) -> RunReport {
    report.visit(&mut |text: &mut String, bound: usize| {
        secrets.mask_in_place(text);
        if let std::borrow::Cow::Owned(clean) = text::clean(text) {
            *text = clean;
            // The escapes might spell a secret out again: mask what is shown, not what came.
            secrets.mask_in_place(text);
        }
        truncate(text, bound);
    });
    report
}

/// A visitor over every text in a part of the report, with the bound that text has.
type Visit<'a> = dyn FnMut(&mut String, usize) + 'a;

trait Texts {
    fn visit(&mut self, f: &mut Visit<'_>);
}

impl Texts for String {
    fn visit(&mut self, f: &mut Visit<'_>) {
        f(self, MAX_TEXT_BYTES);
    }
}

impl<T: Texts> Texts for Option<T> {
    fn visit(&mut self, f: &mut Visit<'_>) {
        if let Some(inner) = self {
            inner.visit(f);
        }
    }
}

/// A list of texts: bounded in length, each text visited.
fn visit_list(items: &mut Vec<String>, f: &mut Visit<'_>) {
    bound_list(items);
    items.iter_mut().for_each(|item| f(item, MAX_TEXT_BYTES));
}

impl Texts for RunReport {
    fn visit(&mut self, f: &mut Visit<'_>) {
        let RunReport {
            tool,
            version,
            target,
            coder_version,
            contract,
            snapshots,
            summary: _,
            exit_code: _,
            elapsed_ms: _,
            notes,
            cases,
            pending_snapshots: _,
            stopped,
            rerun,
            findings,
            baseline,
            coverage,
        } = self;
        for text in [tool, version, target, contract, snapshots] {
            text.visit(f);
        }
        coder_version.visit(f);
        visit_list(notes, f);
        cases.iter_mut().for_each(|case| case.visit(f));
        stopped.visit(f);
        rerun.visit(f);
        findings.iter_mut().for_each(|finding| finding.visit(f));
        if let Some(baseline) = baseline {
            baseline.file.visit(f);
        }
        coverage.visit(f);
    }
}

impl Texts for CaseReport {
    fn visit(&mut self, f: &mut Visit<'_>) {
        let CaseReport {
            operation_id: _,
            label,
            variant,
            verdict: _,
            status: _,
            elapsed_ms: _,
            checks,
            drift,
            snapshot,
            reason,
            retries,
            warnings,
            coder_said,
            baseline,
        } = self;
        label.visit(f);
        variant.visit(f);
        checks.iter_mut().for_each(|check| check.visit(f));
        visit_list(drift, f);
        snapshot.visit(f);
        reason.visit(f);
        visit_list(retries, f);
        visit_list(warnings, f);
        coder_said.visit(f);
        baseline.iter_mut().for_each(|mark| mark.visit(f));
    }
}

impl Texts for CheckResult {
    fn visit(&mut self, f: &mut Visit<'_>) {
        visit_list(&mut self.findings, f);
    }
}

impl Texts for SnapshotReport {
    fn visit(&mut self, f: &mut Visit<'_>) {
        self.file.visit(f);
        if let Some(diff) = &mut self.diff {
            f(diff, MAX_DIFF_BYTES);
        }
    }
}

impl Texts for CoderSaid {
    fn visit(&mut self, f: &mut Visit<'_>) {
        self.message.visit(f);
        self.detail.visit(f);
    }
}

impl Texts for BaselineMark {
    fn visit(&mut self, f: &mut Visit<'_>) {
        self.check.visit(f);
        self.finding.visit(f);
        self.reason.visit(f);
    }
}

impl Texts for Finding {
    fn visit(&mut self, f: &mut Visit<'_>) {
        self.variant.visit(f);
        self.label.visit(f);
        self.check.visit(f);
        self.finding.visit(f);
        self.reason.visit(f);
    }
}

impl Texts for Stopped {
    fn visit(&mut self, f: &mut Visit<'_>) {
        self.reason.visit(f);
        self.help.visit(f);
        self.content_type.visit(f);
        self.coder_said.visit(f);
    }
}

impl Texts for Coverage {
    fn visit(&mut self, f: &mut Visit<'_>) {
        for operation in &mut self.operations {
            for variant in &mut operation.variants {
                variant.variant.visit(f);
                variant.reason.visit(f);
            }
            for status in &mut operation.statuses {
                visit_list(&mut status.variants, f);
                status.reason.visit(f);
            }
        }
    }
}
