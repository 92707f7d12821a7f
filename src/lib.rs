//! Typed client for Coder's external-auth ("Git") API, generated with progenitor from the
//! hand-curated OpenAPI document in `openapi/` and checked in (`src/generated_client.rs`:
//! build.rs regenerates it only under feature `regenerate`, so a consumer compiles no
//! generator), plus (feature `imitation`) an embedded imitation of the real server for tests.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tls` | yes | HTTPS to deployments: rustls on ring, HTTP/2 by ALPN |
//! | `schemars` | yes | `schemars::JsonSchema` on every generated type |
//! | `imitation` | yes | the `imitation` module: the embedded Coder imitation (axum, tokio) |
//! | `conformance` | yes | what the `conformance` binary needs beyond the library (clap, insta, jsonschema, quick-junit, …) |
//! | `regenerate` | no | build.rs generates the client from the spec again (progenitor), and a test holds the checked-in copy to it |
//!
//! With `default-features = false` only the client builds (progenitor-client, reqwest without
//! TLS, serde, chrono): add `tls` for HTTPS, or pass your own TLS-enabled `reqwest::Client` to
//! `Client::new_with_client`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use coder_external_auth::ClientBuilder;
//!
//! let client = ClientBuilder::new("https://coder.example.com")
//!     .session_token(std::env::var("CODER_SESSION_TOKEN")?)
//!     .build()?;
//! let list = client.get_user_external_auths().await?;
//! for provider in &list.providers {
//!     println!("{} device={}", provider.id, provider.device);
//! }
//! # Ok(()) }
//! ```

pub mod capture;
mod client;
#[cfg(feature = "imitation")]
pub mod imitation;
mod operation;
mod release;
pub mod shape;
mod token;

pub use client::{
    BuildError, Client, ClientBuilder, ClientState, DEFAULT_TIMEOUT, Error,
    MAX_SAME_ORIGIN_REDIRECTS, ResponseValue, SESSION_TOKEN_HEADER, is_loopback_url, redacted_url,
    types,
};
pub use operation::Operation;
pub use release::{Behaviour, CoderVersion, RELEASE_CHANGES, ReleaseChange, VersionError};
pub use token::{AgentToken, SessionToken};

// The README's Rust examples are compiled and run as doctests.
#[cfg(all(doctest, feature = "imitation"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
