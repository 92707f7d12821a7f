//! The fence around the generated client: the only place that includes it, plus the
//! constructor that sends the session token safely.

use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::HeaderValue;
use reqwest::redirect;
use thiserror::Error as ThisError;

use crate::capture::Capture;
use crate::operation::Operation;
use crate::token::{AgentToken, SessionToken};

#[allow(dead_code, unused_imports, clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/generated_client.rs"));
}

pub use generated::{Client, Error, ResponseValue, types};

/// Header Coder reads the session token from (codersdk.SessionTokenHeader).
pub const SESSION_TOKEN_HEADER: &str = "Coder-Session-Token";

/// Redirects followed in a row within one origin; a cross-origin redirect is never followed.
pub const MAX_SAME_ORIGIN_REDIRECTS: usize = 10;

/// Default per-request budget, connect included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// What a [`Client`] adds to each request: its session token (set per request, so clients
/// that differ only in token or budget share one connection pool), a time budget, and the
/// [`Capture`] that records raw responses. The default sends no token and records nothing.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    /// Marked sensitive, so `Debug` shows `Sensitive`.
    token: Option<HeaderValue>,
    timeout: Option<Duration>,
    capture: Capture,
}

impl ClientState {
    /// A state that sends `token` (or none).
    pub fn new(token: Option<&SessionToken>) -> Result<Self, BuildError> {
        Ok(Self {
            token: token.map(header_value).transpose()?,
            ..Self::default()
        })
    }

    /// Puts the token and the budget on a request.
    fn apply(&self, request: &mut reqwest::Request) {
        if let Some(token) = &self.token {
            request
                .headers_mut()
                .insert(SESSION_TOKEN_HEADER, token.clone());
        }
        if let Some(timeout) = self.timeout {
            *request.timeout_mut() = Some(timeout);
        }
    }
}

/// The token as a header value that `Debug` never shows. The one place a session token is
/// exposed.
fn header_value(token: &SessionToken) -> Result<HeaderValue, BuildError> {
    sensitive(token.expose()).ok_or(BuildError::InvalidToken)
}

/// An agent token as a header value: the one place an agent token is exposed. Coder reads it
/// from the same header as a session token (`Coder-Session-Token`, as its agent SDK sends it;
/// coderd/httpmw/workspaceagent.go L78).
fn agent_header_value(token: &AgentToken) -> Result<HeaderValue, BuildError> {
    sensitive(token.expose()).ok_or(BuildError::InvalidAgentToken)
}

fn sensitive(secret: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(secret).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        self.inner().apply(request);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // progenitor names the method after the operationId, snake-cased.
        let operation = Operation::from_method(info.operation_id);
        self.inner()
            .capture
            .execute(self.client(), request, operation)
            .await
    }
}

/// Why a [`Client`] could not be built.
#[derive(Debug, ThisError)]
pub enum BuildError {
    /// The base URL does not parse or is not http(s).
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    /// An https URL was given to a build without the `tls` feature.
    #[error("base URL {url:?} is https, but this build has no TLS: enable the `tls` feature")]
    TlsDisabled { url: String },
    /// The session token holds bytes that cannot go in an HTTP header.
    #[error("the session token contains characters not allowed in an HTTP header")]
    InvalidToken,
    /// The agent token holds bytes that cannot go in an HTTP header.
    #[error("the agent token contains characters not allowed in an HTTP header")]
    InvalidAgentToken,
    /// A CA certificate could not be read.
    #[error("invalid CA certificate: {0}")]
    InvalidCertificate(String),
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Builds a [`Client`] for one Coder deployment.
///
/// The token goes in the `Coder-Session-Token` header, marked sensitive so `Debug` output
/// of the client never shows it, and redirects are followed only within the base URL's
/// origin so the token never travels to another host.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    token: Option<SessionToken>,
    timeout: Duration,
    capture: Capture,
    #[cfg(feature = "tls")]
    extra_roots: Vec<reqwest::Certificate>,
}

impl ClientBuilder {
    /// Starts a builder for the deployment at `base_url` (for example
    /// `https://coder.example.com`, without `/api/v2`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            capture: Capture::off(),
            #[cfg(feature = "tls")]
            extra_roots: Vec::new(),
        }
    }

    /// The session token sent with every request. Without one, requests are anonymous
    /// (useful only to observe the server's 401 answers).
    pub fn session_token(mut self, token: impl Into<SessionToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Budget for each request, from connecting until the body has been read.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Records the raw responses this client receives (see [`crate::capture`]).
    pub fn capture(mut self, capture: Capture) -> Self {
        self.capture = capture;
        self
    }

    /// Also trusts the CA certificates in this PEM data (for deployments behind a private CA).
    #[cfg(feature = "tls")]
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, BuildError> {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|err| BuildError::InvalidCertificate(err.to_string()))?;
        if certs.is_empty() {
            return Err(BuildError::InvalidCertificate(
                "no PEM certificate found".to_owned(),
            ));
        }
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = normalise_base_url(&self.base_url)?;
        let state = ClientState {
            capture: self.capture.clone(),
            ..ClientState::new(self.token.as_ref())?
        };
        let http = self
            .tls(reqwest::Client::builder())
            .user_agent(concat!("coder-external-auth/", env!("CARGO_PKG_VERSION")))
            .redirect(same_origin_redirects())
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .build()
            .map_err(BuildError::Http)?;
        Ok(Client::new_with_client(&base_url, http, state))
    }

    #[cfg(feature = "tls")]
    fn tls(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        // reqwest is built without a default crypto provider (its default is aws-lc, a slow
        // C build); ring is ours. An error means a provider is already installed: keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        builder.tls_certs_merge(self.extra_roots.iter().cloned())
    }

    #[cfg(not(feature = "tls"))]
    fn tls(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        builder
    }
}

impl Client {
    /// The same client (connection pool, token, timeouts) recording into another capture.
    pub fn with_capture(&self, capture: Capture) -> Client {
        self.with_state(ClientState {
            capture,
            ..self.inner.clone()
        })
    }

    /// The same client and connection pool, sending another token (or none): one pool serves
    /// every credential a caller uses.
    pub fn with_session_token(&self, token: Option<&SessionToken>) -> Result<Client, BuildError> {
        Ok(self.with_state(ClientState {
            token: token.map(header_value).transpose()?,
            ..self.inner.clone()
        }))
    }

    /// The same client and connection pool, sending a workspace agent token instead of the
    /// session token: what `get_workspace_agent_external_auth` and
    /// `removed_get_workspace_agent_git_auth` need (a session token there is 401
    /// `Workspace agent token invalid.`). The token goes in the same `Coder-Session-Token`
    /// header, marked sensitive.
    pub fn with_agent_token(&self, token: &AgentToken) -> Result<Client, BuildError> {
        Ok(self.with_state(ClientState {
            token: Some(agent_header_value(token)?),
            ..self.inner.clone()
        }))
    }

    /// The same client and connection pool, with another budget for each request.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        self.with_state(ClientState {
            timeout: Some(timeout),
            ..self.inner.clone()
        })
    }

    /// Sends a request the typed methods cannot express (a POST without its body, say) with
    /// this client's token and budget, recorded by its capture as `operation`.
    pub async fn execute_raw(
        &self,
        mut request: reqwest::Request,
        operation: Option<Operation>,
    ) -> reqwest::Result<reqwest::Response> {
        self.inner.apply(&mut request);
        self.inner
            .capture
            .execute(&self.client, request, operation)
            .await
    }

    fn with_state(&self, state: ClientState) -> Client {
        Client::new_with_client(&self.baseurl, self.client.clone(), state)
    }
}

impl types::DeleteExternalAuthResult {
    /// Whether the provider confirmed revocation. Releases before v2.27.0 answer `"OK"` and
    /// revoke nothing, so for them it is false.
    pub fn token_revoked(&self) -> bool {
        match self {
            Self::ByIdResponse(response) => response.token_revoked,
            Self::Ok(_) => false,
        }
    }

    /// Why revocation failed, when it was attempted and failed.
    pub fn token_revocation_error(&self) -> Option<&str> {
        match self {
            Self::ByIdResponse(response) => response.token_revocation_error.as_deref(),
            Self::Ok(_) => None,
        }
    }
}

/// Checks the scheme and drops trailing slashes, so paths join as `<base>/api/v2/...`.
fn normalise_base_url(raw: &str) -> Result<String, BuildError> {
    let invalid = |reason: &str| BuildError::InvalidBaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = reqwest::Url::parse(raw).map_err(|err| invalid(&err.to_string()))?;
    match url.scheme() {
        "http" => {}
        "https" if cfg!(feature = "tls") => {}
        "https" => {
            return Err(BuildError::TlsDisabled {
                url: raw.to_owned(),
            });
        }
        other => return Err(invalid(&format!("scheme {other:?} is not http or https"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the URL are not supported"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Follows a redirect only while it stays on the origin of the first request: reqwest strips
/// `Authorization` and cookies across hosts but not a custom header like ours.
fn same_origin_redirects() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(reqwest::Url::origin);
        if attempt.previous().len() > MAX_SAME_ORIGIN_REDIRECTS {
            attempt.stop()
        } else if first.is_some_and(|origin| origin == attempt.url().origin()) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_loses_trailing_slashes() {
        assert_eq!(
            normalise_base_url("http://127.0.0.1:3000//").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            normalise_base_url("http://host/coder/").unwrap(),
            "http://host/coder"
        );
    }

    #[test]
    fn base_url_rejects_other_schemes_and_queries() {
        for bad in [
            "ftp://host",
            "not a url",
            "http://host/?x=1",
            "http://u:p@host",
        ] {
            let err = normalise_base_url(bad).unwrap_err();
            assert!(
                matches!(err, BuildError::InvalidBaseUrl { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = "abcdefghij-0123456789abcdefghijkl";
        let builder = ClientBuilder::new("http://127.0.0.1:1").session_token(token);
        assert!(!format!("{builder:?}").contains(token));
        let client = builder.build().unwrap();
        let shown = format!("{client:?}");
        assert!(shown.contains("Sensitive"), "header not marked: {shown}");
        assert!(!shown.contains(token));
    }
}
