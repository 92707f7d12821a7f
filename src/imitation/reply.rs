//! A response before it goes on the wire, and how it goes on the wire: the headers Coder's
//! root middleware puts on every answer, and the drift-injection hook.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderName, HeaderValue, StatusCode, header};

use super::agent_state::Hold;
use super::shared::ResponseHook;
use super::wire::{self, ErrorBody};
use crate::Operation;

/// What a response carries.
#[derive(Debug)]
pub(crate) enum Payload {
    /// No body and no Content-Type (204, chi's 405).
    Empty,
    /// Go-encoded JSON, newline included.
    Json(Vec<u8>),
    /// `http.Error` text (the CSRF failures), newline included.
    Text(String),
}

/// A response in the making.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub payload: Payload,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A `listen` request on the agent route to hold before answering (see `agent::listen`).
    pub hold: Option<Hold>,
}

impl Reply {
    pub fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Self {
        Self {
            status,
            payload: Payload::Json(wire::encode(body)),
            headers: Vec::new(),
            hold: None,
        }
    }

    /// A `codersdk.Response` error.
    pub fn error(status: StatusCode, message: &str, detail: &str) -> Self {
        Self::json(status, &ErrorBody { message, detail })
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            payload: Payload::Empty,
            headers: Vec::new(),
            hold: None,
        }
    }

    pub fn text(status: StatusCode, text: &str) -> Self {
        Self {
            status,
            payload: Payload::Text(format!("{text}\n")),
            headers: Vec::new(),
            hold: None,
        }
    }

    /// Adds a header; values built here are always valid, anything else is skipped.
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// Lets the hook rewrite the status and JSON body of an operation's response. The body is
    /// re-encoded only when the hook changed it, so untouched answers stay byte-identical.
    pub fn apply_hook(&mut self, hook: &ResponseHook, operation: Operation) {
        if matches!(self.payload, Payload::Text(_)) {
            return;
        }
        let original = match &self.payload {
            Payload::Json(bytes) => serde_json::from_slice::<serde_json::Value>(bytes).ok(),
            _ => None,
        };
        let mut body = original.clone();
        hook(operation, &mut self.status, &mut body);
        if body != original {
            self.payload = match body {
                Some(value) => Payload::Json(wire::encode_value(&value)),
                None => Payload::Empty,
            };
        }
    }

    /// The response, with the headers Coder's root middleware adds to every answer;
    /// `build_version` is the imitated release's `X-Coder-Build-Version`.
    pub fn into_response(self, build_version: &HeaderValue) -> Response {
        let (content_type, body) = match self.payload {
            Payload::Empty => (None, Body::empty()),
            Payload::Json(bytes) => (Some("application/json; charset=utf-8"), Body::from(bytes)),
            Payload::Text(text) => (Some("text/plain; charset=utf-8"), Body::from(text)),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        headers.insert(
            HeaderName::from_static("x-coder-build-version"),
            build_version.clone(),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}
