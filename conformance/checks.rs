//! Pure verdicts: from one observation and the contract, the result of each check, the drift
//! findings and the shape to compare with the accepted snapshot. No I/O.

use serde::Serialize;
use serde_json::{Value, json};

use crate::cases::variant_of;
use crate::contract::Contract;
use crate::runner::{Decode, Observation};
use crate::strict_json;

/// The media type every JSON body must carry.
const JSON_MEDIA_TYPE: &str = "application/json";

/// One check's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub name: &'static str,
    pub passed: bool,
    pub findings: Vec<String>,
}

/// Everything judged about one case, before the snapshot comparison.
#[derive(Clone, Debug)]
pub struct Judged {
    pub checks: Vec<CheckResult>,
    /// JSON paths of keys the spec does not know.
    pub drift: Vec<String>,
    /// The variant the response belongs to.
    pub variant: String,
    /// The document to compare with `snapshots/<operation_id>@<variant>.snap`, when the
    /// response is what the case expected and could be read.
    pub shape: Option<Value>,
}

impl Judged {
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|check| !check.passed)
    }
}

/// Judges one observation against the contract and the case's expectations.
pub fn judge(observation: &Observation, contract: &Contract) -> Judged {
    let case = &observation.case;
    let mut checks = Vec::new();
    let Some(raw) = &observation.raw else {
        checks.push(check(
            "response",
            observation
                .transport_error
                .iter()
                .cloned()
                .collect::<Vec<_>>(),
        ));
        if checks[0].findings.is_empty() {
            checks[0] = check("response", vec!["no response".to_owned()]);
        }
        return Judged {
            checks,
            drift: Vec::new(),
            variant: case.variant.unwrap_or("unreached").to_owned(),
            shape: None,
        };
    };
    let status = raw.status.as_u16();
    let operation = contract.operation(case.operation_id);
    let documented = operation.and_then(|op| op.responses.get(&status));

    // 1. status
    let mut findings = Vec::new();
    if documented.is_none() {
        findings.push(format!(
            "status {status} is not documented for {}",
            case.operation_id
        ));
    }
    if status != case.expect.status {
        findings.push(format!(
            "expected status {}, got {status}",
            case.expect.status
        ));
    }
    if raw.status.is_redirection() {
        // The client stopped here: the redirect left the origin, or went round too often.
        findings.push(match raw.headers.get(reqwest::header::LOCATION) {
            Some(location) => format!(
                "redirect to {:?} not followed: redirects are followed only within the \
                 target's origin (the session token never leaves it), at most {} in a row",
                String::from_utf8_lossy(location.as_bytes()),
                coder_external_auth::MAX_SAME_ORIGIN_REDIRECTS
            ),
            None => "a redirect without a Location header".to_owned(),
        });
    }
    checks.push(check("status", findings));

    // The response must have arrived whole.
    let mut findings = Vec::new();
    match (&raw.body_error, &observation.transport_error) {
        // The transport error says why; the body error only that the read failed.
        (Some(_), Some(error)) | (Some(error), None) => {
            findings.push(format!("body incomplete: {error}"));
        }
        (None, Some(error)) => findings.push(error.clone()),
        (None, None) => {}
    }
    if raw.truncated {
        findings.push(format!("body exceeds the {} byte cap", raw.body.len()));
    }
    checks.push(check("response", findings));
    // A partial body is not the server's answer: schema, drift and typed decoding would
    // judge an artefact of the cut, so they are not run on it.
    let incomplete = raw.body_error.is_some() || raw.truncated;

    // 2. content type, 3. schema, 5. drift
    let content_type = raw
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let mut body = None;
    let mut drift = Vec::new();
    match documented {
        Some(None) => {
            let mut findings = Vec::new();
            if let Some(content_type) = &content_type {
                findings.push(format!(
                    "a {status} must have no Content-Type, got {content_type:?}"
                ));
            }
            checks.push(check("content-type", findings));
            let findings = if raw.body.is_empty() {
                Vec::new()
            } else {
                vec![format!(
                    "a {status} must have no body, got {} bytes",
                    raw.body.len()
                )]
            };
            checks.push(check("schema", findings));
        }
        Some(Some(schema)) => {
            checks.push(check(
                "content-type",
                json_content_type_findings(content_type.as_deref()),
            ));
            match (!incomplete).then(|| strict_json::parse(&raw.body)) {
                None => {}
                Some(Ok(value)) => {
                    let findings = contract
                        .schema_errors(schema, &value)
                        .into_iter()
                        .map(|error| format!("{}: {}", display_path(&error.path), error.message))
                        .collect();
                    checks.push(check("schema", findings));
                    drift = contract.unknown_keys(schema, &value);
                    checks.push(check(
                        "drift",
                        drift
                            .iter()
                            .map(|path| format!("{path}: key not in the spec ({schema})"))
                            .collect(),
                    ));
                    body = Some(value);
                }
                Some(Err(error)) => checks.push(check("schema", vec![error])),
            }
        }
        None => {}
    }

    // 4. typed decoding
    let findings = match &observation.decode {
        Decode::Decoded | Decode::NotReached => Vec::new(),
        Decode::Failed(_) if incomplete => Vec::new(),
        Decode::Failed(error) => vec![format!(
            "the typed client could not decode the body: {error}"
        )],
        Decode::Undocumented => vec![format!("the typed client has no type for status {status}")],
    };
    checks.push(check("typed-decode", findings));

    // The case's own expectations: exact contract strings, headers, conditions.
    checks.push(check(
        "contract",
        expectation_findings(observation, body.as_ref()),
    ));

    let variant = case
        .variant
        .map(str::to_owned)
        .unwrap_or_else(|| variant_of(case.operation_id, status, body.as_ref()));
    let readable = documented == Some(&None) || body.is_some();
    let shape = (status == case.expect.status && readable).then(|| {
        json!({
            "status": status,
            "content_type": content_type.as_deref().map(media_type),
            "body": body.as_ref().map(|body| coder_external_auth::shape::shape_of(body, case.expect.keep)),
        })
    });
    Judged {
        checks,
        drift,
        variant,
        shape,
    }
}

fn check(name: &'static str, findings: Vec<String>) -> CheckResult {
    CheckResult {
        name,
        passed: findings.is_empty(),
        findings,
    }
}

fn json_content_type_findings(content_type: Option<&str>) -> Vec<String> {
    let Some(content_type) = content_type else {
        return vec![format!("no Content-Type; expected {JSON_MEDIA_TYPE}")];
    };
    let mut findings = Vec::new();
    if !media_type(content_type).eq_ignore_ascii_case(JSON_MEDIA_TYPE) {
        findings.push(format!(
            "Content-Type is {content_type:?}; expected {JSON_MEDIA_TYPE}"
        ));
    }
    let charset = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.trim().split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim_matches('"'));
    if let Some(charset) = charset.filter(|charset| !charset.eq_ignore_ascii_case("utf-8")) {
        findings.push(format!("charset is {charset}; JSON must be utf-8"));
    }
    findings
}

/// `application/json; charset=utf-8` -> `application/json`.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn expectation_findings(observation: &Observation, body: Option<&Value>) -> Vec<String> {
    let expect = &observation.case.expect;
    let mut findings = Vec::new();
    let Some(raw) = &observation.raw else {
        return findings;
    };
    if raw.status.as_u16() != expect.status {
        return findings;
    }
    let text = |key: &str| body.and_then(|body| body.get(key)).and_then(Value::as_str);
    if let Some(message) = expect.message
        && text("message") != Some(message)
    {
        findings.push(format!(
            "message: expected {message:?}, got {:?}",
            text("message")
        ));
    }
    if let Some(detail) = &expect.detail
        && text("detail") != Some(detail.as_str())
    {
        findings.push(format!(
            "detail: expected {detail:?}, got {:?}",
            text("detail")
        ));
    }
    if expect.www_authenticate {
        let header = raw
            .headers
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok());
        match header {
            Some(value) if value.starts_with("Bearer ") && value.contains("realm=\"coder\"") => {}
            Some(value) => findings.push(format!(
                "WWW-Authenticate: expected a Bearer challenge with realm=\"coder\", got {value:?}"
            )),
            None => findings.push("WWW-Authenticate header missing".to_owned()),
        }
    }
    if let (Some(condition), Some(body)) = (&expect.body_condition, body)
        && !(condition.holds)(body, &condition.argument)
    {
        findings.push(format!("expected: {}", condition.description));
    }
    findings
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_rules() {
        assert!(json_content_type_findings(Some("application/json; charset=utf-8")).is_empty());
        assert!(json_content_type_findings(Some("Application/JSON")).is_empty());
        assert_eq!(json_content_type_findings(Some("text/plain")).len(), 1);
        assert_eq!(
            json_content_type_findings(Some("application/json; charset=latin1")),
            ["charset is latin1; JSON must be utf-8"]
        );
        assert_eq!(json_content_type_findings(None).len(), 1);
    }
}
