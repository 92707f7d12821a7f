//! Keeps the raw bytes of the responses a client receives, so shapes and schema checks are
//! made from what the server sent, never from re-serialised structs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Version};

use crate::operation::Operation;

/// Default cap on a recorded body: far above any real answer of these operations.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// One response as it came off the wire.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// The operation the request was for (`None` only for a request sent outside the spec).
    pub operation: Option<Operation>,
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body, cut at the capture's limit.
    pub body: Bytes,
    /// The body was longer than the limit; `body` holds only its start.
    pub truncated: bool,
    /// Reading the body failed after the head arrived (reset, time-out); `body` holds what came.
    pub body_error: Option<String>,
}

/// Whether a client records its responses, and where. Cloning shares the record.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    record: Option<Arc<Mutex<Vec<RawResponse>>>>,
    body_limit: usize,
    body_timeout: Option<Duration>,
}

impl Capture {
    /// Records nothing; responses go straight to the generated code.
    pub fn off() -> Self {
        Self::default()
    }

    /// Records every response, keeping at most `body_limit` bytes of each body.
    pub fn recording(body_limit: usize) -> Self {
        Self {
            record: Some(Arc::default()),
            body_limit,
            body_timeout: None,
        }
    }

    /// Bounds reading the body once the head has arrived. A server may think for long before
    /// it answers (Coder refreshes tokens before listing them), but then writes the body at
    /// once: a body still trickling in after `timeout` is recorded as cut off.
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = Some(timeout);
        self
    }

    /// Removes and returns what has been recorded so far, oldest first.
    pub fn take(&self) -> Vec<RawResponse> {
        self.record
            .as_ref()
            .map(|record| std::mem::take(&mut *lock(record)))
            .unwrap_or_default()
    }
}

fn lock(record: &Mutex<Vec<RawResponse>>) -> std::sync::MutexGuard<'_, Vec<RawResponse>> {
    // A poisoned record still holds valid responses.
    record
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Capture {
    /// Sends `request` with `http` and, when recording, reads and records the response
    /// (cut at the limit) before handing it back. Requests the typed client cannot express,
    /// such as a POST with no body, go through here to be recorded like the rest.
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: Option<Operation>,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(record) = &self.record else {
            return http.execute(request).await;
        };
        let mut response = http.execute(request).await?;
        let (status, version, headers) = (
            response.status(),
            response.version(),
            response.headers().clone(),
        );
        let mut raw = RawResponse {
            operation,
            status,
            headers: headers.clone(),
            body: Bytes::new(),
            truncated: false,
            body_error: None,
        };
        let read = read_capped(&mut response, self.body_limit, &mut raw);
        let read = match self.body_timeout {
            None => Some(read.await),
            Some(timeout) => tokio::time::timeout(timeout, read).await.ok(),
        };
        let Some(read) = read else {
            // What arrived before the cut is gone with the read; the record says why.
            raw.body_error = Some(format!(
                "timed out reading the body after {:.1} s",
                self.body_timeout.unwrap_or_default().as_secs_f64()
            ));
            lock(record).push(raw);
            return Ok(rebuild(status, version, headers, Bytes::new()));
        };
        if let Err(err) = &read {
            raw.body_error = Some(err.to_string());
        }
        let body = raw.body.clone();
        lock(record).push(raw);
        read?;
        Ok(rebuild(status, version, headers, body))
    }
}

/// Reads at most `limit` bytes, then stops: a hostile server cannot make us buffer more.
/// What was read before a failure stays in `raw.body`, for the report.
async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
    raw: &mut RawResponse,
) -> reqwest::Result<()> {
    let mut body = BytesMut::new();
    let result = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    raw.truncated = true;
                    break Ok(());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
    };
    raw.body = body.freeze();
    result
}

/// Hands the already-read body back to the generated code as a fresh response.
fn rebuild(
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.version_mut() = version;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}
