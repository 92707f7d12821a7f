//! The JUnit XML report: one test suite per operation, one test case per case. Stale and new
//! shapes are failures too, so a CI system shows them.

use coder_external_auth::Operation;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, Verdict};

pub fn render(report: &RunReport) -> anyhow::Result<String> {
    let mut junit = Report::new("conformance");
    if let Some(stopped) = &report.stopped {
        // A run that stopped is an error, never an empty (green) report.
        let kind = super::github::kind_name(stopped.kind);
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(xml_text(&stopped.reason));
        status.set_type(kind.clone());
        status.set_description(xml_text(&stopped.text()));
        let mut test = TestCase::new(format!("could not run [{kind}]"), status);
        test.set_classname("conformance");
        let mut suite = TestSuite::new("conformance");
        suite.add_test_case(test);
        junit.add_test_suite(suite);
    }
    let mut operations: Vec<Operation> = report.cases.iter().map(|c| c.operation_id).collect();
    operations.sort();
    operations.dedup();
    for operation in operations {
        let mut suite = TestSuite::new(operation.id());
        if let Some(covered) = report.coverage.as_ref().and_then(|coverage| {
            coverage
                .operations
                .iter()
                .find(|covered| covered.operation_id == operation)
        }) {
            let seen = |reach: &super::coverage::Reach| *reach == super::coverage::Reach::Seen;
            suite.add_property((
                "coverage.variants".to_owned(),
                format!(
                    "{} of {}",
                    covered
                        .variants
                        .iter()
                        .filter(|v| seen(&v.coverage))
                        .count(),
                    covered.variants.len()
                ),
            ));
            suite.add_property((
                "coverage.statuses".to_owned(),
                format!(
                    "{} of {}",
                    covered
                        .statuses
                        .iter()
                        .filter(|s| seen(&s.coverage))
                        .count(),
                    covered.statuses.len()
                ),
            ));
        }
        for case in report
            .cases
            .iter()
            .filter(|case| case.operation_id == operation)
        {
            let status = match case.verdict {
                Verdict::Fresh | Verdict::Accepted | Verdict::Baselined => {
                    TestCaseStatus::success()
                }
                Verdict::Skipped => {
                    let mut status = TestCaseStatus::skipped();
                    if let Some(reason) = &case.reason {
                        status.set_message(xml_text(reason));
                    }
                    status
                }
                Verdict::Incomplete => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                    let reason = xml_text(case.reason.as_deref().unwrap_or("could not complete"));
                    status.set_message(reason.clone());
                    status.set_type("incomplete");
                    status.set_description(reason);
                    status
                }
                Verdict::Failure => {
                    failure("contract", case.failures().collect::<Vec<_>>().join("\n"))
                }
                Verdict::Stale => failure(
                    "stale-snapshot",
                    case.snapshot
                        .as_ref()
                        .and_then(|s| s.diff.clone())
                        .unwrap_or_default(),
                ),
                Verdict::New => failure(
                    "new-snapshot",
                    format!("no accepted shape for variant {}", case.variant),
                ),
            };
            let name = xml_text(&format!("{} [{}]", case.label, case.variant));
            let mut test = TestCase::new(name, status);
            test.set_classname(operation.id());
            // Accepted findings are notes beside a pass (or a failure), never failures.
            let notes: Vec<String> = case
                .baseline
                .iter()
                .filter(|mark| !mark.expired)
                .map(|mark| {
                    format!(
                        "note: baselined {}: {}{}",
                        mark.check,
                        mark.finding,
                        mark.suffix()
                    )
                })
                .collect();
            if !notes.is_empty() {
                test.set_system_out(xml_text(&notes.join("\n")));
            }
            test.set_time(std::time::Duration::from_secs_f64(case.elapsed_ms / 1000.0));
            suite.add_test_case(test);
        }
        junit.add_test_suite(suite);
    }
    Ok(junit.to_string()?)
}

fn failure(kind: &str, message: String) -> TestCaseStatus {
    let message = xml_text(&message);
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let first = message.lines().next().unwrap_or(kind).to_owned();
    status.set_message(first);
    status.set_type(kind);
    status.set_description(message);
    status
}

/// `text` as XML 1.0 can carry it: the report's texts are sanitised already; what this
/// renderer composes around them passes the same sanitiser.
fn xml_text(text: &str) -> String {
    crate::text::clean(text).into_owned()
}
