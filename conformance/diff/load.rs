//! Reads one API description from a file or an http(s) URL and says which format it is in;
//! every failure names the source and is a "could not run". Reading is bounded: at most
//! `MAX_DOCUMENT_BYTES` from either, only regular files, a URL within `--timeout`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use coder_external_auth::CoderVersion;
use serde_json::Value;

use super::model::Api;
use super::{openapi, swagger};

/// The most bytes read from one description, file or URL (and from the known-divergences file).
/// Coder's whole published swagger.json is about 470 KiB (481,066 bytes at coder/coder
/// 00072fa4, `coderd/apidoc/swagger.json`); 8 MiB leaves it room to grow seventeen-fold while a
/// parsed document stays in the tens of megabytes.
pub(crate) const MAX_DOCUMENT_BYTES: u64 = 8 * 1024 * 1024;

/// `8 MiB`, for messages.
pub(crate) fn document_limit() -> String {
    format!("{} MiB", MAX_DOCUMENT_BYTES / (1024 * 1024))
}

/// The two formats the diff reads. Coder publishes Swagger 2.0; the curated spec is 3.0.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Swagger2,
    OpenApi30,
}

/// A parsed document and where it came from.
#[derive(Debug)]
pub(crate) struct Document {
    /// The path or URL as given, for messages and reports.
    pub source: String,
    pub format: Format,
    /// The version string as written (`2.0`, `3.0.3`).
    pub version: String,
    pub value: Value,
}

impl Document {
    /// `Swagger 2.0`, `OpenAPI 3.0.3`.
    pub(crate) fn format_name(&self) -> String {
        match self.format {
            Format::Swagger2 => format!("Swagger {}", self.version),
            Format::OpenApi30 => format!("OpenAPI {}", self.version),
        }
    }

    /// The five operations (and nothing else) in the normalised model, an OpenAPI document
    /// read as the contract of `release` (its release annotations applied).
    pub(crate) fn to_model(&self, release: CoderVersion) -> anyhow::Result<Api> {
        let api = match self.format {
            Format::Swagger2 => swagger::to_model(&self.value),
            Format::OpenApi30 => {
                openapi::to_model(&crate::releases::contract_of(&self.value, release))
            }
        };
        api.with_context(|| format!("cannot read the operations in {}", self.source))
    }
}

pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Reads and detects `source`: a URL when it starts with http:// or https://, else a path.
/// A URL is named everywhere (messages, both reports) without its credentials, query or
/// fragment: `https://user:password@host/x?token=y` is shown as `https://***@host/x?***`.
pub(crate) async fn load(source: &str, timeout: Duration) -> anyhow::Result<Document> {
    let bytes = if is_url(source) {
        fetch(source, timeout).await?
    } else {
        read_file(Path::new(source))?
    };
    parse(&shown(source), &bytes)
}

/// How messages and reports name a source: a path as it is, a URL redacted.
pub(crate) fn shown(source: &str) -> String {
    if is_url(source) {
        coder_external_auth::redacted_url(source)
    } else {
        source.to_owned()
    }
}

/// Reads a regular file of at most `MAX_DOCUMENT_BYTES`, the one way named files are read
/// (`files::read`: a directory, FIFO or device such as /dev/zero is refused, not waited on).
pub(crate) fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    crate::files::read(
        path,
        &format!("cannot read {}", path.display()),
        MAX_DOCUMENT_BYTES,
    )
    .map_err(|err| match err.downcast_ref::<crate::files::TooLarge>() {
        Some(_) => anyhow!(
            "cannot read {}: it is larger than {} (MAX_DOCUMENT_BYTES, the limit for one description); is it the right file?",
            path.display(),
            document_limit()
        ),
        None => anyhow!("{err:#}; pass a JSON file or an http(s) URL"),
    })
}

/// Parses and detects the format; separate from `load` so it is testable without I/O.
pub(crate) fn parse(source: &str, bytes: &[u8]) -> anyhow::Result<Document> {
    let value: Value = serde_json::from_slice(bytes).with_context(|| {
        format!("{source} is not JSON; diff reads Swagger 2.0 or OpenAPI 3.0.x documents in JSON")
    })?;
    let (format, version) = detect(&value)
        .with_context(|| format!("{source} is not an API description diff can read"))?;
    Ok(Document {
        source: source.to_owned(),
        format,
        version,
        value,
    })
}

fn detect(value: &Value) -> anyhow::Result<(Format, String)> {
    if let Some(version) = value.get("swagger") {
        return match version.as_str() {
            Some("2.0") => Ok((Format::Swagger2, "2.0".to_owned())),
            _ => bail!("it says `swagger: {version}`, and only Swagger 2.0 is read"),
        };
    }
    if let Some(version) = value.get("openapi") {
        return match version.as_str() {
            Some(text) if text.starts_with("3.0.") => Ok((Format::OpenApi30, text.to_owned())),
            _ => bail!(
                "it says `openapi: {version}`, and only OpenAPI 3.0.x is read (3.1 changed how nullability is written)"
            ),
        };
    }
    bail!("it has neither a `swagger: \"2.0\"` nor an `openapi: \"3.0.x\"` field")
}

async fn fetch(address: &str, timeout: Duration) -> anyhow::Result<Vec<u8>> {
    let shown = shown(address);
    let url = shown.as_str();
    // reqwest is built without a default crypto provider; ring is the crate's (see
    // src/client.rs). An error means one is installed already: keep it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut client = reqwest::Client::builder();
    // As for a check: the environment's proxy, never for this machine itself.
    if coder_external_auth::is_loopback_url(address) {
        client = client.no_proxy();
    }
    let client = client
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!(
            "coder-external-auth-conformance/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .context("cannot build the HTTP client")?;
    let mut response = client.get(address).send().await.map_err(|err| {
        // reqwest's errors name the URL with whatever credentials it carried.
        let err = err.without_url();
        if err.is_timeout() {
            failed(url, timeout, err)
        } else {
            anyhow::Error::new(err).context(format!(
                "cannot fetch {url}; check the URL and the network, or pass a downloaded file"
            ))
        }
    })?;
    let status = response.status();
    if !status.is_success() {
        bail!("cannot fetch {url}: the server answered {status}; check the URL");
    }
    let too_large = || {
        anyhow!(
            "cannot fetch {url}: the body is larger than {} (MAX_DOCUMENT_BYTES, the limit for one description); is it the right URL?",
            document_limit()
        )
    };
    // A declared length over the limit fails before a byte of the body is read; an undeclared
    // or false one is caught by counting what arrives.
    if response
        .content_length()
        .is_some_and(|len| len > MAX_DOCUMENT_BYTES)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|err| failed(url, timeout, err.without_url()))?;
        let Some(chunk) = chunk else { break };
        if (bytes.len() + chunk.len()) as u64 > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The client's `timeout` covers connecting, the head and the whole body: a server that
/// trickles bytes is stopped by it as surely as one that never answers.
fn failed(url: &str, timeout: Duration, err: reqwest::Error) -> anyhow::Error {
    if err.is_timeout() {
        anyhow!(
            "cannot fetch {url}: no complete answer within --timeout {} s; raise --timeout or pass a downloaded file",
            timeout.as_secs_f64()
        )
    } else {
        anyhow::Error::new(err).context(format!("cannot fetch {url}: the body did not arrive"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_both_formats_and_refuses_others() {
        assert_eq!(
            parse("a", br#"{"swagger":"2.0"}"#).unwrap().format,
            Format::Swagger2
        );
        let doc = parse("b", br#"{"openapi":"3.0.3"}"#).unwrap();
        assert_eq!(
            (doc.format, doc.format_name().as_str()),
            (Format::OpenApi30, "OpenAPI 3.0.3")
        );
        for (text, expect) in [
            (&br#"{"openapi":"3.1.0"}"#[..], "only OpenAPI 3.0.x"),
            (br#"{"swagger":"1.2"}"#, "only Swagger 2.0"),
            (br#"{"name":"x"}"#, "neither"),
            (b"openapi: 3.0.3", "is not JSON"),
        ] {
            let err = format!("{:#}", parse("some/file.json", text).unwrap_err());
            assert!(
                err.contains("some/file.json") && err.contains(expect),
                "{err}"
            );
        }
    }
}
