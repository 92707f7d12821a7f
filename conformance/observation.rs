//! What one case saw, as data: the response as received, its body parsed once, how the typed
//! client fared, or why no answer came. The runner produces observations; every check and
//! the plan read them; nothing here does I/O.

use std::fmt;
use std::time::Duration;

use coder_external_auth::capture::RawResponse;
use serde_json::Value;

use crate::cases::Case;
use crate::strict_json::{self, Parsed};

/// What one case saw.
#[derive(Debug)]
pub struct Observation {
    pub case: Case,
    /// The response as received, when one arrived (even partly).
    pub response: Option<Received>,
    /// Why the exchange did not complete: unreachable, TLS, time-out, reset, not sent.
    pub unanswered: Option<Unanswered>,
    pub decode: Decode,
    pub elapsed: Duration,
    /// Earlier attempts that were retried, and why (a 429, a gateway error, a reset).
    pub retries: Vec<String>,
    /// Things worth saying that do not fail the case (a slow but correct answer).
    pub warnings: Vec<String>,
}

/// A response and its body, parsed once.
#[derive(Debug)]
pub struct Received {
    pub raw: RawResponse,
    pub body: Body,
}

/// The body as JSON, read once from the raw bytes.
#[derive(Debug)]
pub enum Body {
    /// Cut off (at the cap, or by a failed read): not the server's answer, so not parsed.
    Incomplete,
    /// Not UTF-8 JSON (an empty body included); the parser's reason.
    Invalid(String),
    /// JSON, with any repeated keys named.
    Json(Parsed),
}

impl Received {
    /// Keeps the raw response and parses its body.
    pub fn new(raw: RawResponse) -> Self {
        let body = if raw.truncated || raw.body_error.is_some() {
            Body::Incomplete
        } else {
            match strict_json::parse(&raw.body) {
                Ok(parsed) => Body::Json(parsed),
                Err(reason) => Body::Invalid(reason),
            }
        };
        Self { raw, body }
    }

    pub fn status(&self) -> u16 {
        self.raw.status.as_u16()
    }

    /// Whether the body arrived whole.
    pub fn complete(&self) -> bool {
        !matches!(self.body, Body::Incomplete)
    }

    /// The body's JSON as a lenient client reads it (a repeated key keeps its last value).
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(parsed) => Some(&parsed.value),
            _ => None,
        }
    }

    /// Why this answer is not the target's own, when it is not: a rate limit, or a gateway
    /// standing in for a Coder that is restarting or down. Neither breaks the contract.
    pub fn unavailable(&self) -> Option<String> {
        let status = self.status();
        if status == 429 {
            return Some("rate limited by the target (429)".to_owned());
        }
        // Coder's own 5xx carry its `{"message": ...}` envelope; a proxy's do not.
        let coder_envelope = self
            .json()
            .and_then(|body| body.get("message"))
            .is_some_and(Value::is_string);
        (matches!(status, 502..=504) && !coder_envelope).then(|| {
            format!("target unavailable: a gateway answered {status} without Coder's JSON envelope")
        })
    }
}

/// Why a case has no complete exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unanswered {
    /// The transport failed; the error and its causes.
    Transport(String),
    /// The client's time-out struck before a response head arrived; the error and causes.
    TimedOut(String),
    /// The server answered in a way HTTP does not allow (a head over the client's limit):
    /// the server's fault, not the network's.
    Protocol(String),
    /// Nothing complete arrived within the budget.
    NoCompleteResponse(Duration),
    /// Nobody approved the device code before the deadline.
    NotApproved(Duration),
}

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unanswered::Transport(error)
            | Unanswered::TimedOut(error)
            | Unanswered::Protocol(error) => f.write_str(error),
            Unanswered::NoCompleteResponse(budget) => write!(
                f,
                "no complete response within {:.1} s",
                budget.as_secs_f64()
            ),
            Unanswered::NotApproved(deadline) => write!(
                f,
                "not approved within the device-flow deadline ({} s)",
                deadline.as_secs()
            ),
        }
    }
}

/// How the body fared through the generated typed client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decode {
    /// Decoded into the operation's success or error type.
    Decoded,
    /// The bytes did not decode: the error.
    Failed(String),
    /// The status is not one the spec declares, so the client had no type for it.
    Undocumented,
    /// No response to decode.
    NotReached,
}

impl Observation {
    /// A case that never got to send its request.
    pub fn unsent(case: Case, why: Unanswered) -> Self {
        Self {
            case,
            response: None,
            unanswered: Some(why),
            decode: Decode::NotReached,
            elapsed: Duration::ZERO,
            retries: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(Received::status)
    }

    /// The body's JSON when the response has `status`.
    pub fn json_with_status(&self, status: u16) -> Option<&Value> {
        self.response
            .as_ref()
            .filter(|response| response.status() == status)
            .and_then(Received::json)
    }
}
