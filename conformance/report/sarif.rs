//! The SARIF 2.1.0 log (`--sarif PATH`), for GitHub code scanning and other SARIF readers: one
//! result per finding, the check kind as its rule, the level from the verdict, the operation
//! and variant as its logical location and the spec as its physical one. Rendered from the
//! masked report, and masked once more as data.

use serde_json::{Value, json};

use super::RunReport;
use super::baseline::{NEW_SNAPSHOT, STALE_SNAPSHOT};
use crate::curated::{SPEC, SPEC_FILE};

/// The schema SARIF readers (and the Multitool's SARIF1011) expect for 2.1.0.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The SARIF version written.
pub const VERSION: &str = "2.1.0";

/// One rule: a check kind, with the README section that explains it.
struct Rule {
    id: &'static str,
    name: &'static str,
    short: &'static str,
    help: &'static str,
    anchor: &'static str,
}

/// Every rule a result can name, in the order the driver lists them.
const RULES: &[Rule] = &[
    Rule {
        id: "response",
        name: "ResponseArrivesWhole",
        short: "A response arrived, whole, and as HTTP allows.",
        help: "The target answered with a head HTTP does not allow, a body over the cap, or a redirect off its origin.",
        anchor: "checking-a-live-deployment",
    },
    Rule {
        id: "status",
        name: "StatusIsDocumented",
        short: "The status is documented and the one the case expects.",
        help: "The contract documents every status an operation answers; an undocumented or unexpected one breaks it.",
        anchor: "checking-a-live-deployment",
    },
    Rule {
        id: "content-type",
        name: "ContentTypeFitsBody",
        short: "The Content-Type fits the documented body.",
        help: "A JSON body must be served as application/json; a body-less status must carry none.",
        anchor: "checking-a-live-deployment",
    },
    Rule {
        id: "schema",
        name: "BodyMatchesSchema",
        short: "The body validates against the documented schema.",
        help: "The body breaks the release's schema: a wrong type, a missing required key, a value out of its format.",
        anchor: "checking-a-live-deployment",
    },
    Rule {
        id: "drift",
        name: "NoUnknownKeys",
        short: "The body has no key the spec does not know.",
        help: "An unknown key is drift: a fork's field or a release this tool does not know yet. Accept it for a while with --baseline.",
        anchor: "living-with-findings---baseline",
    },
    Rule {
        id: "typed-decode",
        name: "TypedClientDecodes",
        short: "The generated client decodes the body.",
        help: "The typed Rust client generated from the spec could not decode the body.",
        anchor: "checking-a-live-deployment",
    },
    Rule {
        id: "contract",
        name: "CaseExpectationsHold",
        short: "The case's own expectations hold.",
        help: "An exact contract string, a header or a condition the case expects did not hold (or a secret was echoed back).",
        anchor: "checking-a-live-deployment",
    },
    Rule {
        id: STALE_SNAPSHOT,
        name: "ShapeMatchesSnapshot",
        short: "The response's shape matches its accepted snapshot.",
        help: "The shape differs from the accepted snapshot: read the diff, then accept it or fix the server.",
        anchor: "the-drift-loops",
    },
    Rule {
        id: NEW_SNAPSHOT,
        name: "ShapeIsAccepted",
        short: "Every variant has an accepted shape.",
        help: "No accepted snapshot exists for this variant: accept the observed shape once you have read it.",
        anchor: "the-drift-loops",
    },
];

fn rule_index(id: &str) -> Option<usize> {
    RULES.iter().position(|rule| rule.id == id)
}

/// The 1-based line of `"operationId": "<id>"` in the embedded spec.
fn operation_line(operation_id: &str) -> Option<usize> {
    let needle = format!("\"operationId\": \"{operation_id}\"");
    SPEC.lines()
        .position(|line| line.contains(&needle))
        .map(|index| index + 1)
}

/// A message as SARIF readers like it: one sentence or more, ending with a period.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// The SARIF log of a masked report.
pub fn render(report: &RunReport) -> anyhow::Result<String> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            let link = format!("README.md#{}", rule.anchor);
            json!({
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.short},
                "fullDescription": {"text": rule.help},
                "help": {
                    "text": format!("{} See {link}.", rule.help),
                    "markdown": format!("{} See [{link}]({link}).", rule.help),
                },
                "properties": {"readme": link},
            })
        })
        .collect();
    let mut results = Vec::new();
    for finding in &report.findings {
        let Some(index) = rule_index(&finding.check) else {
            continue;
        };
        let shape = finding.check == STALE_SNAPSHOT || finding.check == NEW_SNAPSHOT;
        let level = match (finding.baselined, shape) {
            (true, _) => "note",
            (false, true) => "warning",
            (false, false) => "error",
        };
        let mut text = format!(
            "{} [{}] {}: {}: {}",
            finding.operation_id, finding.variant, finding.label, finding.check, finding.finding
        );
        match (&finding.reason, finding.expires, finding.baselined) {
            (Some(reason), Some(expires), true) => {
                text.push_str(&format!(" (baselined until {expires}: {reason})"));
            }
            (_, Some(expires), false) if finding.expired => {
                text.push_str(&format!(" (baseline entry expired on {expires})"));
            }
            _ => {}
        }
        let mut physical = json!({"artifactLocation": {"uri": SPEC_FILE}});
        if let Some(line) = operation_line(finding.operation_id.id()) {
            physical["region"] = json!({"startLine": line});
        }
        results.push(json!({
            "ruleId": finding.check,
            "ruleIndex": index,
            "level": level,
            "message": {"text": sentence(&text)},
            "locations": [{
                "physicalLocation": physical,
                "logicalLocations": [{
                    "name": finding.variant,
                    "fullyQualifiedName": format!("{}@{}", finding.operation_id, finding.variant),
                    "kind": "function",
                }],
            }],
            "properties": {
                "operation_id": finding.operation_id,
                "variant": finding.variant,
                "case": finding.label,
                "baselined": finding.baselined,
            },
        }));
    }
    let mut invocation = json!({
        "executionSuccessful": report.stopped.is_none(),
        "exitCode": report.exit_code.code(),
    });
    if let Some(stopped) = &report.stopped {
        invocation["toolExecutionNotifications"] = json!([{
            "level": "error",
            "message": {"text": sentence(&stopped.text())},
            "descriptor": {"id": super::github::kind_name(stopped.kind)},
        }]);
    }
    let mut properties = json!({
        "target": report.target,
        "contract": report.contract,
    });
    if let Some(coverage) = &report.coverage {
        properties["coverage"] = json!(coverage.figure());
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": report.tool,
                "version": report.version,
                "semanticVersion": report.version,
                "rules": rules,
            }},
            "invocations": [invocation],
            "results": results,
            "properties": properties,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_kind_is_a_rule() {
        for kind in [
            "response",
            "status",
            "content-type",
            "schema",
            "drift",
            "typed-decode",
            "contract",
        ] {
            let kind: crate::checks::CheckKind = serde_json::from_value(Value::from(kind)).unwrap();
            assert!(rule_index(kind.name()).is_some(), "{kind:?}");
        }
    }

    #[test]
    fn every_operation_has_a_line_in_the_spec() {
        for operation in coder_external_auth::Operation::ALL {
            assert!(operation_line(operation.id()).is_some(), "{operation}");
        }
    }
}
