//! A recorded exchange (a HAR entry, or a request the proxy passed on) as the observation a
//! live case produces: its operation from the spec's routes, its variant from the answer, the
//! expectations of the live case of that variant, and the typed client's verdict on its bytes.
//! The same checks then judge it.

use std::time::Duration;

use coder_external_auth::Operation;
use coder_external_auth::capture::RawResponse;
use coder_external_auth::types;
use serde_json::Value;

use crate::cases::{
    self, AgentQuery, Call, Case, Credentials, Expect, PlanInput, PostBody, agent_token_cases,
    device_flow_cases, independent_cases, list_case, listen_case, mutating_plan, read_only_plan,
    removed_provider_case, user_id_cases,
};
use crate::contract::Route;
use crate::observation::{Decode, Observation, Received, Unanswered};
use crate::releases::{self, Release};
use crate::secrets::Secrets;

/// Request headers whose whole value is a credential.
pub const SECRET_HEADERS: &[&str] = &[
    "coder-session-token",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];
/// Query parameters whose value is a credential or a one-time code.
const SECRET_QUERY_KEYS: &[&str] = &[
    "coder_session_token",
    "access_token",
    "token",
    "code",
    "state",
    "device_code",
    "user_code",
];
/// JSON keys, at any depth of a request or response body, whose value is a credential.
const SECRET_BODY_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "session_token",
    "device_code",
    "user_code",
    "password",
    "client_secret",
];

/// One request and what answered it, as recorded.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Where it came from, as reports name it: `entries[7]`, `request 12`.
    pub origin: String,
    pub method: String,
    /// The request's URL, absolute or from the path on.
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Vec<u8>>,
    /// The answer, when one was recorded (its body possibly cut or broken off).
    pub response: Option<RawResponse>,
    /// Why no answer was recorded, when none was.
    pub missing: Option<String>,
    pub elapsed: Duration,
    /// When the request was made (RFC 3339), if known.
    pub started: Option<String>,
}

impl Exchange {
    /// The path (from `/api/v2` on, whatever prefix a proxy serves Coder under) and the query.
    pub fn path_and_query(&self) -> (String, String) {
        let after_authority = match self.url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
            None => self.url.as_str(),
        };
        let without_fragment = after_authority.split('#').next().unwrap_or_default();
        let (path, query) = without_fragment
            .split_once('?')
            .unwrap_or((without_fragment, ""));
        let path = path.find("/api/v2/").map_or(path, |at| &path[at..]);
        (path.to_owned(), query.to_owned())
    }

    /// The operation this exchange is a call of, if the contract has it.
    pub fn call(&self, routes: &[Route]) -> Option<Call> {
        let (path, query) = self.path_and_query();
        let (operation, parameters) = routes
            .iter()
            .find_map(|route| Some((route.operation, route.matches(&self.method, &path)?)))?;
        let parameter = |name: &str| {
            parameters
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| percent_decoded(value))
                .unwrap_or_default()
        };
        let query_value = |name: &str| query_value(&query, name);
        Some(match operation {
            Operation::GetUserExternalAuths => Call::List,
            Operation::GetExternalAuthById => Call::GetById {
                provider: parameter("externalauth"),
            },
            Operation::DeleteExternalAuthUserLinkById => Call::Delete {
                provider: parameter("externalauth"),
            },
            Operation::GetExternalAuthDeviceById => Call::GetDevice {
                provider: parameter("externalauth"),
            },
            Operation::PostExternalAuthDeviceById => Call::PostDevice {
                provider: parameter("externalauth"),
                body: match self.request_body.as_deref() {
                    None | Some([]) => PostBody::Empty,
                    Some(bytes) => PostBody::Code(
                        serde_json::from_slice::<Value>(bytes)
                            .ok()
                            .and_then(|body| body["device_code"].as_str().map(str::to_owned))
                            .unwrap_or_default(),
                    ),
                },
            },
            Operation::GetWorkspaceAgentExternalAuth
            | Operation::RemovedGetWorkspaceAgentGitAuth => Call::Agent {
                legacy: operation == Operation::RemovedGetWorkspaceAgentGitAuth,
                query: AgentQuery {
                    id: query_value("id"),
                    matching: query_value("match"),
                    listen: query_value("listen").is_some(),
                },
            },
            Operation::GetExternalAuthByTemplateVersion => Call::TemplateVersion {
                id: parameter("templateversion"),
                user_id: query_value("user_id"),
            },
        })
    }

    /// Registers every credential the exchange carries, before anything about it is reported:
    /// credential headers and cookies, secret query parameters, and secret keys of JSON bodies.
    pub fn register_secrets(&self, secrets: &Secrets) {
        for (name, value) in &self.request_headers {
            register_header(secrets, name, value);
        }
        let (_, query) = self.path_and_query();
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && SECRET_QUERY_KEYS.contains(&percent_decoded(key).to_ascii_lowercase().as_str())
            {
                secrets.add(value);
                secrets.add(&percent_decoded(value));
            }
        }
        if let Some(body) = self
            .request_body
            .as_deref()
            .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
        {
            register_body(secrets, &body);
        }
        if let Some(response) = &self.response {
            for (name, value) in &response.headers {
                register_header(
                    secrets,
                    name.as_str(),
                    &String::from_utf8_lossy(value.as_bytes()),
                );
            }
            if let Ok(body) = serde_json::from_slice::<Value>(&response.body) {
                register_body(secrets, &body);
                let (path, _) = self.path_and_query();
                if path.starts_with("/api/v2/workspaceagents/") {
                    // The owner's token, in up to four places (the username among them).
                    secrets.add_agent_answer(&body);
                }
            }
        }
    }

    /// The observation a live case of this call would have made, and whether its variant
    /// can be told (only then is its shape compared with a snapshot).
    pub fn observe(&self, call: Call, release: &Release) -> (Observation, bool) {
        let (path, query) = self.path_and_query();
        let target = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        let label = format!(
            "{} {} {target}",
            self.origin,
            self.method.to_ascii_uppercase()
        );
        let Some(raw) = self.response.clone() else {
            let case = Case::new(label, call).variant("unreached");
            let why = self
                .missing
                .clone()
                .unwrap_or_else(|| "no response".to_owned());
            let mut observation = Observation::unsent(
                case,
                Unanswered::Transport(format!("{}: {why}", self.origin)),
            );
            observation.elapsed = self.elapsed;
            return (observation, false);
        };
        let response = Received::new(raw);
        let mut case = Case::new(label, call).credentials(self.credentials());
        let (variant, expect) = told_variant(&case, &response, release);
        case.expect = expect.unwrap_or(Expect {
            // What a recording expects is what it got, if the spec documents it: the status
            // check still names an undocumented one.
            status: response.status(),
            ..Expect::default()
        });
        case.variant = variant;
        let status = response.status();
        let told = match case.variant {
            Some(_) => true,
            None if status >= 400 => false,
            None => {
                !cases::variant_of(case.operation(), status, response.json()).starts_with("status-")
            }
        };
        let mut warnings = Vec::new();
        if !told {
            warnings.push(format!(
                "the variant of this {status} answer cannot be told from the exchange (it is \
                 no live case's): judged by the checks, its shape not compared with a snapshot"
            ));
        }
        let documented = documented_statuses(case.operation()).contains(&response.status());
        let decode = typed_decode(case.operation(), &response, documented);
        let observation = Observation {
            case,
            response: Some(response),
            unanswered: None,
            decode,
            elapsed: self.elapsed,
            retries: Vec::new(),
            warnings,
        };
        (observation, told)
    }

    /// Which token the request carried, as far as the headers and query show.
    fn credentials(&self) -> Credentials {
        let (path, query) = self.path_and_query();
        let header = self.request_headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("coder-session-token")
                || name.eq_ignore_ascii_case("authorization")
                || (name.eq_ignore_ascii_case("cookie") && value.contains("coder_session_token="))
        });
        let in_query = query_value(&query, "coder_session_token").is_some();
        match (
            header || in_query,
            path.starts_with("/api/v2/workspaceagents/"),
        ) {
            (false, _) => Credentials::Missing,
            (true, true) => Credentials::Agent,
            (true, false) => Credentials::Session,
        }
    }
}

/// The variant a recorded answer belongs to, and the live case's expectations for it when
/// one produces it: an error answer by its status and Coder's exact message and detail (the
/// live cases hold every one they provoke), a success by the answer's state as a live run
/// names it. `None`: not told, so the shape is not compared.
fn told_variant(
    case: &Case,
    response: &Received,
    release: &Release,
) -> (Option<&'static str>, Option<Expect>) {
    let status = response.status();
    let body = response.json();
    if status >= 400 {
        let text = |key: &str| body.and_then(|b| b.get(key)).and_then(Value::as_str);
        let candidates: Vec<Case> = error_templates(release)
            .into_iter()
            .filter(|template| {
                template.operation() == case.operation()
                    && template.expect.status == status
                    && template.expect.message.is_some()
                    && template.expect.message == text("message")
            })
            .collect();
        // A template that names the detail wins over one that leaves it open.
        let chosen = candidates
            .iter()
            .find(|t| t.expect.detail.is_some() && t.expect.detail.as_deref() == text("detail"))
            .or_else(|| candidates.iter().find(|t| t.expect.detail.is_none()));
        return match chosen {
            Some(template) => (template.variant, Some(template.expect.clone())),
            None => (None, None),
        };
    }
    let listen = matches!(&case.call, Call::Agent { query, .. } if query.listen);
    if listen && body.is_some_and(cases::is_linked) && status == 200 {
        let template = listen_case("");
        return (template.variant, Some(template.expect));
    }
    if matches!(case.call, Call::List) && status == 200 {
        // The list's own condition (every provider id is one Coder accepts) holds for any list.
        let mut expect = list_case().expect;
        expect.status = status;
        return (None, Some(expect));
    }
    (None, None)
}

/// Every error case a live run can make, for the newest contract and for the releases whose
/// missing-link DELETE answered 500: their statuses, messages and details are what Coder says.
fn error_templates(release: &Release) -> Vec<Case> {
    let doc = crate::curated::spec();
    let old = Release::resolve(doc, Some(releases::OLDEST_SUPPORTED), None).ok();
    let mut templates = independent_cases();
    templates.extend(agent_token_cases(&["provider".to_owned()]));
    templates.extend(user_id_cases("00000000-0000-4000-8000-000000000000", true));
    templates.push(removed_provider_case(
        "00000000-0000-4000-8000-000000000000",
    ));
    let flow = device_flow_cases("provider", "code");
    templates.extend([flow.pending, flow.approved]);
    for release in std::iter::once(release.clone()).chain(old) {
        let list = serde_json::json!({
            "providers": [{"id": "device", "device": true}, {"id": "plain", "device": false}],
            "links": [],
        });
        let input = PlanInput::from_list(release, &list, vec!["plain".to_owned()]);
        templates.extend(read_only_plan(&input));
        templates.extend(mutating_plan(&input).into_iter().flatten());
    }
    templates.retain(|template| template.expect.status >= 400 && template.variant.is_some());
    templates
}

/// The statuses the typed client has a type for (the curated spec's).
fn documented_statuses(operation: Operation) -> Vec<u16> {
    let path = crate::curated::spec()["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .flat_map(|item| item.as_object().into_iter().flat_map(|item| item.values()))
        .find(|op| op["operationId"] == operation.id());
    path.and_then(|op| op["responses"].as_object())
        .map(|responses| responses.keys().filter_map(|s| s.parse().ok()).collect())
        .unwrap_or_default()
}

/// How the generated client fares on the recorded bytes: its own types, as it would decode
/// them off the wire.
fn typed_decode(operation: Operation, response: &Received, documented: bool) -> Decode {
    if !documented {
        return Decode::Undocumented;
    }
    if !response.complete() {
        return Decode::NotReached;
    }
    let bytes = &response.raw.body;
    let decoded = match (response.status(), operation) {
        (204, _) => Ok(()),
        (200..=299, Operation::GetUserExternalAuths) => {
            decode::<types::ListUserExternalAuthResponse>(bytes)
        }
        (200..=299, Operation::GetExternalAuthById) => decode::<types::ExternalAuth>(bytes),
        (200..=299, Operation::DeleteExternalAuthUserLinkById) => {
            decode::<types::DeleteExternalAuthResult>(bytes)
        }
        (200..=299, Operation::GetExternalAuthDeviceById) => {
            decode::<types::ExternalAuthDevice>(bytes)
        }
        (200..=299, Operation::PostExternalAuthDeviceById) => Ok(()),
        (
            200..=299,
            Operation::GetWorkspaceAgentExternalAuth | Operation::RemovedGetWorkspaceAgentGitAuth,
        ) => decode::<types::ExternalAuthResponse>(bytes),
        (200..=299, Operation::GetExternalAuthByTemplateVersion) => {
            decode::<Vec<types::TemplateVersionExternalAuth>>(bytes)
        }
        _ => decode::<types::Response>(bytes),
    };
    match decoded {
        Ok(()) => Decode::Decoded,
        Err(error) => Decode::Failed(error),
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<T>(bytes)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

fn register_header(secrets: &Secrets, name: &str, value: &str) {
    // A HAR we wrote holds `***` where a credential was: nothing to register.
    if value.trim() == crate::secrets::MASK {
        return;
    }
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "coder-session-token" => {
            secrets.add_session_token(&coder_external_auth::SessionToken::new(value.trim()));
        }
        "authorization" | "proxy-authorization" => {
            secrets.add(value);
            if let Some((_, credential)) = value.trim().split_once(' ') {
                secrets
                    .add_session_token(&coder_external_auth::SessionToken::new(credential.trim()));
            }
        }
        "cookie" | "set-cookie" => {
            let pairs = if name == "cookie" {
                value.split(';').collect::<Vec<_>>()
            } else {
                value.split(';').take(1).collect()
            };
            for pair in pairs {
                if let Some((_, cookie)) = pair.split_once('=') {
                    secrets.add_session_token(&coder_external_auth::SessionToken::new(
                        cookie.trim().trim_matches('"'),
                    ));
                }
            }
        }
        _ => {}
    }
}

/// The values of [`SECRET_BODY_KEYS`] anywhere in `body`.
fn register_body(secrets: &Secrets, body: &Value) {
    match body {
        Value::Object(map) => {
            for (key, value) in map {
                if SECRET_BODY_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
                    secrets.add_json(value);
                }
                register_body(secrets, value);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| register_body(secrets, item)),
        _ => {}
    }
}

/// The first value of `name` in a query string, decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decoded(key) == name).then(|| percent_decoded(value))
    })
}

/// `%xx` escapes and `+` (in a query) decoded; anything malformed kept as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' if at + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[at + 1..at + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        at += 3;
                    }
                    None => {
                        out.push(b'%');
                        at += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                at += 1;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(url: &str) -> Exchange {
        Exchange {
            origin: "entries[0]".to_owned(),
            method: "GET".to_owned(),
            url: url.to_owned(),
            request_headers: Vec::new(),
            request_body: None,
            response: None,
            missing: None,
            elapsed: Duration::ZERO,
            started: None,
        }
    }

    #[test]
    fn paths_are_read_from_api_v2_on_under_any_prefix() {
        assert_eq!(
            exchange("https://example.com/coder/api/v2/external-auth?x=1#f").path_and_query(),
            ("/api/v2/external-auth".to_owned(), "x=1".to_owned())
        );
        assert_eq!(
            exchange("/api/v2/workspaceagents/me/external-auth?id=a%2Db&listen").path_and_query(),
            (
                "/api/v2/workspaceagents/me/external-auth".to_owned(),
                "id=a%2Db&listen".to_owned()
            )
        );
        assert_eq!(query_value("id=a%2Db&listen", "id").as_deref(), Some("a-b"));
        assert_eq!(
            query_value("id=a%2Db&listen", "listen").as_deref(),
            Some("")
        );
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz%4"), "%zz%4");
    }

    #[test]
    fn every_error_variant_of_the_catalog_but_the_made_up_ones_has_a_template() {
        let release = Release::resolve(crate::curated::spec(), None, None).unwrap();
        let templates = error_templates(&release);
        for entry in crate::cases::CATALOG {
            for (variant, _) in entry.variants {
                let has = templates
                    .iter()
                    .any(|t| t.operation() == entry.operation && t.variant == Some(*variant));
                let statuses = crate::snapshot::embedded_statuses(entry.operation, variant);
                if statuses.iter().any(|status| *status >= 400) {
                    assert!(has, "{} {variant}", entry.operation);
                }
            }
        }
    }
}
