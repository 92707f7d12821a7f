//! Writes exchanges as a HAR 1.2 file with every secret replaced: the whole value of each
//! credential header ([`crate::exchange::SECRET_HEADERS`]) becomes `***`, and every secret
//! the run registered becomes `***` wherever it occurs (URL, other headers, bodies). A JSON
//! body that still holds a secret in an escaped form is written re-serialised, masked.

use base64::Engine;
use serde_json::{Value, json};

use crate::exchange::{Exchange, SECRET_HEADERS};
use crate::secrets::{MASK, Secrets};

/// The HAR document of `exchanges`, secrets replaced.
pub fn document(exchanges: &[Exchange], secrets: &Secrets) -> Value {
    let entries: Vec<Value> = exchanges
        .iter()
        .map(|exchange| entry(exchange, secrets))
        .collect();
    let mut document = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "conformance", "version": env!("CARGO_PKG_VERSION")},
            "comment": "written by `conformance proxy`: credential headers and every secret seen are replaced by ***",
            "entries": entries,
        }
    });
    // Our keys are field names; every value is masked.
    secrets.mask_value(&mut document, false);
    document
}

fn entry(exchange: &Exchange, secrets: &Secrets) -> Value {
    let headers = |headers: &mut dyn Iterator<Item = (String, String)>| -> Vec<Value> {
        headers
            .map(|(name, value)| {
                let value = if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    MASK.to_owned()
                } else {
                    value
                };
                json!({"name": name, "value": value})
            })
            .collect()
    };
    let mut request = json!({
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(&mut exchange.request_headers.iter().cloned()),
        "queryString": [],
        "headersSize": -1,
        "bodySize": exchange.request_body.as_ref().map_or(0, Vec::len),
    });
    if let Some(body) = &exchange.request_body {
        let (text, encoding) = body_text(body, secrets);
        let mut post = json!({"mimeType": "application/json", "text": text});
        if let Some(encoding) = encoding {
            post["encoding"] = json!(encoding);
        }
        request["postData"] = post;
    }
    let response = match &exchange.response {
        None => json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
            "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1,
            "bodySize": -1,
            "_error": exchange.missing.clone().unwrap_or_default(),
        }),
        Some(raw) => {
            let mime = raw
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .unwrap_or_default();
            let (text, encoding) = body_text(&raw.body, secrets);
            let mut content = json!({"size": raw.body.len(), "mimeType": mime, "text": text});
            if let Some(encoding) = encoding {
                content["encoding"] = json!(encoding);
            }
            let mut notes = Vec::new();
            if raw.truncated {
                notes.push("body cut at the proxy's judging bound".to_owned());
            }
            if let Some(error) = &raw.body_error {
                notes.push(format!("body incomplete: {error}"));
            }
            let mut response = json!({
                "status": raw.status.as_u16(),
                "statusText": raw.status.canonical_reason().unwrap_or(""),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": headers(&mut raw.headers.iter().map(|(name, value)| {
                    (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
                })),
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": raw.body.len(),
            });
            if !notes.is_empty() {
                response["comment"] = json!(notes.join("; "));
            }
            response
        }
    };
    let millis = exchange.elapsed.as_secs_f64() * 1000.0;
    json!({
        "startedDateTime": exchange.started.as_deref().unwrap_or("1970-01-01T00:00:00.000Z"),
        "time": millis,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0},
        "comment": exchange.origin,
    })
}

/// A body as HAR text: UTF-8 as it is (its secrets masked when the document is), else
/// base64. A JSON body whose secrets hide in escapes is re-serialised with them masked; a
/// binary body that holds a secret is written as lossy text, masked.
fn body_text(body: &[u8], secrets: &Secrets) -> (String, Option<&'static str>) {
    match std::str::from_utf8(body) {
        Ok(text) => {
            let masked = secrets.mask_str(text);
            if let Ok(mut value) = serde_json::from_str::<Value>(&masked)
                && secrets.mask_value(&mut value, true)
            {
                return (value.to_string(), None);
            }
            (masked, None)
        }
        Err(_) => {
            let lossy = String::from_utf8_lossy(body);
            if secrets.mask_str(&lossy) == lossy {
                (
                    base64::engine::general_purpose::STANDARD.encode(body),
                    Some("base64"),
                )
            } else {
                (secrets.mask_str(&lossy), None)
            }
        }
    }
}
