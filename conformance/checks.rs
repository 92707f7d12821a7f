//! Pure verdicts: from one observation and the contract, the result of each check, the drift
//! findings and the shape to compare with the accepted snapshot. One function per check; no
//! I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::cases::variant_of;
use crate::contract::Contract;
use crate::observation::{Body, Decode, Observation, Received, Unanswered};
use crate::secrets::Secrets;

/// The media type every JSON body must carry.
const JSON_MEDIA_TYPE: &str = "application/json";

/// What a check looks at. Reports name checks by these kebab-case names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// A response arrived, whole.
    Response,
    /// The status is documented and the one the case expects.
    Status,
    /// The Content-Type fits the documented body (or its absence).
    ContentType,
    /// The body validates against the documented schema.
    Schema,
    /// The body has no key the spec does not know.
    Drift,
    /// The generated client decodes the body.
    TypedDecode,
    /// The case's own expectations: exact contract strings, headers, conditions.
    Contract,
}

impl CheckKind {
    /// The name reports use (the serialised form).
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Response => "response",
            CheckKind::Status => "status",
            CheckKind::ContentType => "content-type",
            CheckKind::Schema => "schema",
            CheckKind::Drift => "drift",
            CheckKind::TypedDecode => "typed-decode",
            CheckKind::Contract => "contract",
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: CheckKind,
    pub passed: bool,
    pub findings: Vec<String>,
}

impl CheckResult {
    /// A check's result; its findings bounded where they are made (`MAX_LIST_ITEMS` of at
    /// most `MAX_TEXT_BYTES` each), whatever the server sent.
    pub fn new(name: CheckKind, mut findings: Vec<String>) -> Self {
        crate::bounds::bound_texts(&mut findings);
        Self {
            name,
            passed: findings.is_empty(),
            findings,
        }
    }
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
    /// Why the case could not complete, when the network, a proxy, a rate limit or time
    /// stood in the way: then nothing here says the target broke the contract.
    pub incomplete: Option<String>,
}

impl Judged {
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|check| !check.passed)
    }
}

/// The response carried a secret (the session token, a device or a user code): seen where
/// the shape to be compared is masked, which it is here, in place.
pub fn secret_echo(shape: &mut Value, secrets: &Secrets) -> Option<CheckResult> {
    secrets.mask_value(shape, true).then(|| {
        CheckResult::new(
            CheckKind::Contract,
            vec![
                "the response carries a secret (the session token, a device or a user code); \
                 it is masked in this report"
                    .to_owned(),
            ],
        )
    })
}

/// What the spec documents for the observed status: `None` when it documents nothing,
/// `Some(None)` for a status without a body, `Some(Some(schema))` for a JSON body.
type Documented<'a> = Option<&'a Option<String>>;

/// Judges one observation against the contract and the case's expectations.
pub fn judge(observation: &Observation, contract: &Contract) -> Judged {
    let case = &observation.case;
    let Some(response) = &observation.response else {
        let check = unanswered(observation);
        // A head HTTP does not allow is the server's fault; anything else stopped the case.
        let broke_http = matches!(observation.unanswered, Some(Unanswered::Protocol(_)));
        return Judged {
            incomplete: check.findings.first().cloned().filter(|_| !broke_http),
            checks: vec![check],
            drift: Vec::new(),
            variant: case.variant.unwrap_or("unreached").to_owned(),
            shape: None,
        };
    };
    if let Some(why) = response.unavailable() {
        return Judged {
            checks: Vec::new(),
            drift: Vec::new(),
            variant: case.variant.unwrap_or("unavailable").to_owned(),
            shape: None,
            incomplete: Some(why),
        };
    }
    let status = response.status();
    let documented: Documented<'_> = contract
        .operation(case.operation())
        .and_then(|op| op.responses.get(&status));

    let complete = completeness(observation, response);
    // A body cut off by the network (not by our cap) is the transport's doing.
    let incomplete = response
        .raw
        .body_error
        .is_some()
        .then(|| complete.findings.first().cloned())
        .flatten();
    let mut checks = vec![
        status_check(observation, response, documented.is_some()),
        complete,
    ];
    let mut drift = Vec::new();
    let mut body = None;
    let mut free_form: &[coder_external_auth::shape::FreeForm] = &[];
    match documented {
        Some(None) => {
            checks.push(no_content_type(response));
            checks.push(no_body(response));
        }
        Some(Some(schema)) => {
            checks.push(json_content_type(response));
            match strict_body(response) {
                None => {}
                Some(Err(reason)) => checks.push(CheckResult::new(CheckKind::Schema, vec![reason])),
                Some(Ok(value)) => {
                    checks.push(schema_check(contract, schema, value));
                    drift = contract.unknown_keys(schema, value);
                    checks.push(drift_check(&drift, schema));
                    free_form = contract.free_form(schema);
                    body = Some(value);
                }
            }
        }
        None => {}
    }
    checks.push(typed_decode(observation, response));
    checks.push(expectations(observation, response, body));

    let variant = case
        .variant
        .map(str::to_owned)
        .unwrap_or_else(|| variant_of(case.operation(), status, body));
    let readable = documented == Some(&None) || body.is_some();
    let shape = (status == case.expect.status && readable).then(|| {
        json!({
            "status": status,
            "content_type": content_type(response).as_deref().map(media_type),
            "body": body.map(|body| coder_external_auth::shape::shape_guided(body, case.expect.keep, free_form)),
        })
    });
    crate::bounds::bound_texts(&mut drift);
    Judged {
        checks,
        drift,
        variant,
        shape,
        incomplete,
    }
}

/// No response at all: why.
fn unanswered(observation: &Observation) -> CheckResult {
    let why = observation
        .unanswered
        .as_ref()
        .map_or_else(|| "no response".to_owned(), ToString::to_string);
    CheckResult::new(CheckKind::Response, vec![why])
}

/// The status is documented, expected, and not a redirect the client refused to follow.
fn status_check(observation: &Observation, response: &Received, documented: bool) -> CheckResult {
    let case = &observation.case;
    let status = response.status();
    let mut findings = Vec::new();
    if !documented {
        findings.push(format!(
            "status {status} is not documented for {}",
            case.operation()
        ));
    }
    if status != case.expect.status {
        findings.push(format!(
            "expected status {}, got {status}",
            case.expect.status
        ));
    }
    if response.raw.status.is_redirection() {
        // The client stopped here: the redirect left the origin, or went round too often.
        findings.push(match response.raw.headers.get(reqwest::header::LOCATION) {
            Some(location) => format!(
                "redirect to {} not followed: redirects are followed only within the \
                 target's origin (the session token never leaves it), at most {} in a row",
                quoted(&String::from_utf8_lossy(location.as_bytes())),
                coder_external_auth::MAX_SAME_ORIGIN_REDIRECTS
            ),
            None => "a redirect without a Location header".to_owned(),
        });
    }
    CheckResult::new(CheckKind::Status, findings)
}

/// The response arrived whole: no failed read, no body over the cap.
fn completeness(observation: &Observation, response: &Received) -> CheckResult {
    let raw = &response.raw;
    let transport = observation.unanswered.as_ref().map(ToString::to_string);
    let mut findings = Vec::new();
    match (raw.body_error.clone(), transport) {
        // The transport error says why; the body error only that the read failed.
        (Some(_), Some(error)) | (Some(error), None) => {
            findings.push(format!("body incomplete: {error}"));
        }
        (None, Some(error)) => findings.push(error),
        (None, None) => {}
    }
    if raw.truncated {
        findings.push(format!("body exceeds the {} byte cap", raw.body.len()));
    }
    CheckResult::new(CheckKind::Response, findings)
}

/// A status documented without a body carries no Content-Type.
fn no_content_type(response: &Received) -> CheckResult {
    let findings = content_type(response)
        .map(|content_type| {
            format!(
                "a {} must have no Content-Type, got {}",
                response.status(),
                quoted(&content_type)
            )
        })
        .into_iter()
        .collect();
    CheckResult::new(CheckKind::ContentType, findings)
}

/// A status documented without a body has none.
fn no_body(response: &Received) -> CheckResult {
    let length = response.raw.body.len();
    let findings = if length == 0 {
        Vec::new()
    } else {
        vec![format!(
            "a {} must have no body, got {length} bytes",
            response.status()
        )]
    };
    CheckResult::new(CheckKind::Schema, findings)
}

/// A JSON body is labelled `application/json` in UTF-8.
fn json_content_type(response: &Received) -> CheckResult {
    CheckResult::new(
        CheckKind::ContentType,
        json_content_type_findings(content_type(response).as_deref()),
    )
}

/// The body as the schema check sees it: `None` for a partial body (judging it would judge
/// an artefact of the cut), else the strictly read JSON or why it is not.
fn strict_body(response: &Received) -> Option<Result<&Value, String>> {
    match &response.body {
        Body::Incomplete => None,
        Body::Invalid(reason) => Some(Err(reason.clone())),
        Body::Json(parsed) => Some(parsed.strict()),
    }
}

/// The body validates against the documented schema.
fn schema_check(contract: &Contract, schema: &str, value: &Value) -> CheckResult {
    let findings = contract
        .schema_errors(schema, value)
        .into_iter()
        .map(|error| format!("{}: {}", display_path(&error.path), error.message))
        .collect();
    CheckResult::new(CheckKind::Schema, findings)
}

/// Keys the spec does not know are drift.
fn drift_check(drift: &[String], schema: &str) -> CheckResult {
    CheckResult::new(
        CheckKind::Drift,
        drift
            .iter()
            .map(|path| format!("{path}: key not in the spec ({schema})"))
            .collect(),
    )
}

/// The generated client decoded the body (a partial body is not held against it).
fn typed_decode(observation: &Observation, response: &Received) -> CheckResult {
    let findings = match &observation.decode {
        Decode::Decoded | Decode::NotReached => Vec::new(),
        Decode::Failed(_) if !response.complete() => Vec::new(),
        Decode::Failed(error) => vec![format!(
            "the typed client could not decode the body: {error}"
        )],
        Decode::Undocumented => vec![format!(
            "the typed client has no type for status {}",
            response.status()
        )],
    };
    CheckResult::new(CheckKind::TypedDecode, findings)
}

/// The case's own expectations, judged only when the status is the expected one.
fn expectations(
    observation: &Observation,
    response: &Received,
    body: Option<&Value>,
) -> CheckResult {
    let expect = &observation.case.expect;
    let mut findings = Vec::new();
    if response.status() != expect.status {
        return CheckResult::new(CheckKind::Contract, findings);
    }
    let text = |key: &str| body.and_then(|body| body.get(key)).and_then(Value::as_str);
    if let Some(message) = expect.message
        && text("message") != Some(message)
    {
        findings.push(format!(
            "message: expected {}, got {}",
            quoted(message),
            text("message").map_or_else(|| "none".to_owned(), quoted)
        ));
    }
    if let Some(detail) = &expect.detail
        && text("detail") != Some(detail.as_str())
    {
        findings.push(format!(
            "detail: expected {}, got {}",
            quoted(detail),
            text("detail").map_or_else(|| "none".to_owned(), quoted)
        ));
    }
    if expect.www_authenticate {
        let header = response
            .raw
            .headers
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok());
        match header {
            Some(value) if value.starts_with("Bearer ") && value.contains("realm=\"coder\"") => {}
            Some(value) => findings.push(format!(
                "WWW-Authenticate: expected a Bearer challenge with realm=\"coder\", got {}",
                quoted(value)
            )),
            None => findings.push("WWW-Authenticate header missing".to_owned()),
        }
    }
    if let (Some(condition), Some(body)) = (&expect.body_condition, body)
        && !(condition.holds)(body, &condition.argument)
    {
        findings.push(format!("expected: {}", condition.description));
    }
    CheckResult::new(CheckKind::Contract, findings)
}

fn content_type(response: &Received) -> Option<String> {
    response
        .raw
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

fn json_content_type_findings(content_type: Option<&str>) -> Vec<String> {
    let Some(content_type) = content_type else {
        return vec![format!("no Content-Type; expected {JSON_MEDIA_TYPE}")];
    };
    let mut findings = Vec::new();
    if !media_type(content_type).eq_ignore_ascii_case(JSON_MEDIA_TYPE) {
        findings.push(format!(
            "Content-Type is {}; expected {JSON_MEDIA_TYPE}",
            quoted(content_type)
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

/// A server's text in a finding, quoted but not escaped: findings are data that secrets are
/// masked in before any rendering, and an escaped secret (`\"`, `\\`) would slip past that.
/// Renderers escape for their own format.
fn quoted(text: &str) -> String {
    format!("\"{text}\"")
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

    #[test]
    fn check_names_serialise_as_before() {
        let kinds = [
            CheckKind::Response,
            CheckKind::Status,
            CheckKind::ContentType,
            CheckKind::Schema,
            CheckKind::Drift,
            CheckKind::TypedDecode,
            CheckKind::Contract,
        ];
        for kind in kinds {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
        let names: Vec<&str> = kinds.iter().map(|kind| kind.name()).collect();
        assert_eq!(
            names,
            [
                "response",
                "status",
                "content-type",
                "schema",
                "drift",
                "typed-decode",
                "contract"
            ]
        );
    }
}
