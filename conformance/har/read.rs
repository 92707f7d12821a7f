//! Reads a HAR 1.2 file, bounded, into exchanges: every error names the entry it is in
//! (`log.entries[7]`), and what a recording lacks (no response, no body text, a body in an
//! encoding we do not read) becomes that exchange's reason for being incomplete.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use bytes::Bytes;
use coder_external_auth::capture::RawResponse;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::{SeqAccess, Visitor};

use crate::exchange::Exchange;

/// Largest HAR file read: a browser's export of a long session, with every page asset.
pub const MAX_HAR_BYTES: u64 = 256 * 1024 * 1024;
/// Most entries read from one file.
pub const MAX_HAR_ENTRIES: usize = 100_000;
/// Largest body judged from a HAR, as from a live answer: beyond it, the body is cut and
/// reported as over the cap.
pub const MAX_HAR_BODY_BYTES: usize = crate::runner::BODY_LIMIT;

#[derive(Deserialize)]
struct HarFile {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    entries: Entries,
}

/// The entries, each error prefixed with its index.
struct Entries(Vec<Entry>);

#[derive(Deserialize)]
struct Entry {
    request: Request,
    #[serde(default)]
    response: Option<Response>,
    /// Milliseconds, `-1` or absent when unknown.
    #[serde(default)]
    time: Option<f64>,
    #[serde(default, rename = "startedDateTime")]
    started: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default, rename = "postData")]
    post_data: Option<PostData>,
}

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct PostData {
    #[serde(default)]
    text: Option<String>,
    /// Not in HAR 1.2, but some tools write `base64` here as in `content`.
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct Response {
    status: i64,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of HAR entries")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                loop {
                    let index = entries.len();
                    if index == MAX_HAR_ENTRIES {
                        // One more element is an entry too many; the end is fine.
                        return match seq.next_element::<serde::de::IgnoredAny>() {
                            Ok(None) => Ok(Entries(entries)),
                            _ => Err(serde::de::Error::custom(format!(
                                "log.entries: more than {MAX_HAR_ENTRIES} entries"
                            ))),
                        };
                    }
                    match seq.next_element::<Entry>() {
                        Ok(Some(entry)) => entries.push(entry),
                        Ok(None) => return Ok(Entries(entries)),
                        Err(err) => {
                            return Err(serde::de::Error::custom(format!(
                                "log.entries[{index}]: {err}"
                            )));
                        }
                    }
                }
            }
        }
        deserializer.deserialize_seq(EntriesVisitor)
    }
}

/// The exchanges of the HAR file at `path`, in file order; `prefix` goes before each entry's
/// name (the file's, when several are read).
pub fn read(path: &Path, prefix: &str) -> anyhow::Result<Vec<Exchange>> {
    let bytes = crate::files::read(path, &format!("--har {}", path.display()), MAX_HAR_BYTES)?;
    let har: HarFile = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "--har {}: not a HAR 1.2 file (JSON with log.entries)",
            path.display()
        )
    })?;
    Ok(har
        .log
        .entries
        .0
        .into_iter()
        .enumerate()
        .map(|(index, entry)| exchange(entry, format!("{prefix}entries[{index}]")))
        .collect())
}

fn exchange(entry: Entry, origin: String) -> Exchange {
    let request_body = entry.request.post_data.and_then(|post| {
        let text = post.text?;
        Some(match post.encoding.as_deref() {
            Some(encoding) if encoding.eq_ignore_ascii_case("base64") => {
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .unwrap_or_default()
            }
            _ => text.into_bytes(),
        })
    });
    let (response, missing) = match entry.response {
        None => (None, Some("the HAR records no response".to_owned())),
        Some(response) if response.status <= 0 => (
            None,
            Some(format!(
                "the HAR records no response (status {}: the request was aborted, blocked or \
                 never answered)",
                response.status
            )),
        ),
        Some(response) => match u16::try_from(response.status)
            .ok()
            .and_then(|status| reqwest::StatusCode::from_u16(status).ok())
        {
            None => (
                None,
                Some(format!(
                    "response.status {} is no HTTP status",
                    response.status
                )),
            ),
            Some(status) => (
                Some(raw_response(status, response.headers, response.content)),
                None,
            ),
        },
    };
    Exchange {
        origin,
        method: entry.request.method,
        url: entry.request.url,
        request_headers: entry
            .request
            .headers
            .into_iter()
            .map(|header| (header.name, header.value))
            .collect(),
        request_body,
        response,
        missing,
        elapsed: entry
            .time
            .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms < 1e12)
            .map_or(Duration::ZERO, |ms| Duration::from_secs_f64(ms / 1000.0)),
        started: entry.started,
    }
}

fn raw_response(
    status: reqwest::StatusCode,
    headers: Vec<Header>,
    content: Option<Content>,
) -> RawResponse {
    let mut map = HeaderMap::new();
    for header in headers {
        // HTTP/2 pseudo-headers (`:status`) and names HTTP does not allow are not headers.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(header.name.as_bytes()),
            HeaderValue::from_bytes(header.value.as_bytes()),
        ) {
            map.append(name, value);
        }
    }
    let (body, body_error) = body(content);
    let truncated = body.len() > MAX_HAR_BODY_BYTES;
    let body = if truncated {
        body.slice(..MAX_HAR_BODY_BYTES)
    } else {
        body
    };
    RawResponse {
        operation: None,
        status,
        headers: map,
        body,
        truncated,
        body_error,
    }
}

/// The body's bytes, or why the recording does not hold them.
fn body(content: Option<Content>) -> (Bytes, Option<String>) {
    let Some(content) = content else {
        return (Bytes::new(), None);
    };
    match (content.text, content.encoding) {
        (None, _) if content.size.unwrap_or(0) > 0 => (
            Bytes::new(),
            Some(format!(
                "the HAR holds no body text (content.size {}): export with content",
                content.size.unwrap_or(0)
            )),
        ),
        (None, _) => (Bytes::new(), None),
        (Some(text), None) => (Bytes::from(text), None),
        (Some(text), Some(encoding)) if encoding.eq_ignore_ascii_case("base64") => {
            match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                Ok(bytes) => (Bytes::from(bytes), None),
                Err(err) => (
                    Bytes::new(),
                    Some(format!("content.text is not valid base64: {err}")),
                ),
            }
        }
        (Some(_), Some(encoding)) => (
            Bytes::new(),
            Some(format!(
                "content.encoding {:?} is not one this tool reads (only base64)",
                crate::text::line(&encoding)
            )),
        ),
    }
}
