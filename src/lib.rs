//! Typed client for Coder's external-auth ("Git") API, generated at build time from the
//! hand-curated OpenAPI document in `openapi/`, plus (feature `imitation`) an embedded imitation
//! of the real server for tests.
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
pub use release::{CoderVersion, VersionError};
pub use token::{AgentToken, SessionToken};

// The README's Rust examples are compiled and run as doctests.
#[cfg(all(doctest, feature = "imitation"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
