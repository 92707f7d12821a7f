//! Keeps the raw bytes of the responses a client receives, so shapes and schema checks are
//! made from what the server sent, never from re-serialised structs.

use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Version};

use crate::client::Client;

/// Default cap on a recorded body: far above any real answer of these operations.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// One response as it came off the wire.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// `operation_id` as progenitor names it (snake case).
    pub operation: &'static str,
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body, cut at the capture's limit.
    pub body: Bytes,
    /// The body was longer than the limit; `body` holds only its start.
    pub truncated: bool,
}

/// Whether a client records its responses, and where. Cloning shares the record.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    record: Option<Arc<Mutex<Vec<RawResponse>>>>,
    body_limit: usize,
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
        }
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

impl ClientHooks<Capture> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let capture = self.inner();
        let Some(record) = &capture.record else {
            return self.client().execute(request).await;
        };
        let mut response = self.client().execute(request).await?;
        let (status, version, headers) = (
            response.status(),
            response.version(),
            response.headers().clone(),
        );
        let (body, truncated) = read_capped(&mut response, capture.body_limit).await?;
        lock(record).push(RawResponse {
            operation: info.operation_id,
            status,
            headers: headers.clone(),
            body: body.clone(),
            truncated,
        });
        Ok(rebuild(status, version, headers, body))
    }
}

/// Reads at most `limit` bytes, then stops: a hostile server cannot make us buffer more.
async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<(Bytes, bool)> {
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body.freeze(), true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body.freeze(), false))
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
