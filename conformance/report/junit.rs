//! The JUnit XML report: one test suite per operation, one test case per case. Stale and new
//! shapes are failures too, so a CI system shows them.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, Verdict};

pub fn render(report: &RunReport) -> anyhow::Result<String> {
    let mut junit = Report::new("conformance");
    let mut operations: Vec<&str> = report
        .cases
        .iter()
        .map(|c| c.operation_id.as_str())
        .collect();
    operations.dedup();
    operations.sort();
    operations.dedup();
    for operation in operations {
        let mut suite = TestSuite::new(operation);
        for case in report
            .cases
            .iter()
            .filter(|case| case.operation_id == operation)
        {
            let status = match case.verdict {
                Verdict::Fresh | Verdict::Accepted => TestCaseStatus::success(),
                Verdict::Skipped => {
                    let mut status = TestCaseStatus::skipped();
                    if let Some(reason) = &case.reason {
                        status.set_message(reason.as_str());
                    }
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
            let mut test = TestCase::new(format!("{} [{}]", case.label, case.variant), status);
            test.set_classname(operation);
            test.set_time(std::time::Duration::from_secs_f64(case.elapsed_ms / 1000.0));
            suite.add_test_case(test);
        }
        junit.add_test_suite(suite);
    }
    Ok(junit.to_string()?)
}

fn failure(kind: &str, message: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let first = message.lines().next().unwrap_or(kind).to_owned();
    status.set_message(first);
    status.set_type(kind);
    status.set_description(message);
    status
}
