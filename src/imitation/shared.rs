//! What every part of a running imitation shares: the state behind its one mutex, the release
//! it imitates and the drift-injection hook. A leaf of the module tree, so the request path
//! (service, reply) and the test-side handle (control) both depend on it and never on each
//! other or on the module root.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::release::Release;
use super::state::{Seed, State};
use crate::Operation;

/// Rewrites a response before it is sent: called with the [`Operation`], the status and the
/// JSON body (`None` for an empty body) of every response to one of the spec's operations,
/// errors included. Use it to inject drift. A changed body is re-encoded with Coder's key
/// order for known field names; unknown keys follow alphabetically.
pub type ResponseHook =
    Arc<dyn Fn(Operation, &mut http::StatusCode, &mut Option<serde_json::Value>) + Send + Sync>;

/// What every request handler and every [`Control`](super::Control) shares.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub hook: Option<ResponseHook>,
    pub release: Release,
    /// What the server started from; a reset returns to it.
    pub seed: Seed,
    /// The control API answers under `/__imitation` (asked for, and on loopback).
    pub http_control: bool,
    pub addr: SocketAddr,
    /// Turns true when the server stops: held `listen` requests end then.
    pub stopped: tokio::sync::watch::Receiver<bool>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent-enough state for a test double.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
