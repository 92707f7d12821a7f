//! How a run goes, as the command checked it from the flags: budgets, opt-ins and the
//! release named. The target's [`crate::policy::Policy`] is derived from it once.

use std::time::Duration;

use coder_external_auth::CoderVersion;

/// How to run: values already checked by the command.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `--coder-version`: the release to check against, instead of the detected one.
    pub coder_version: Option<CoderVersion>,
    pub timeout: Duration,
    /// Budget for the list alone, which refreshes every linked token before answering.
    pub list_timeout: Duration,
    pub allow_delete: Vec<String>,
    pub device_flow: bool,
    pub device_flow_deadline: Duration,
    pub ca_pem: Option<Vec<u8>>,
    /// `--template-version`: a version whose external auth is checked on a live target.
    pub template_version: Option<String>,
    /// `--agent-listen`: also run `listen` on a live target.
    pub agent_listen: bool,
    /// `--agent-listen-timeout`: how long the client waits for a `listen` answer (default
    /// [`crate::runner::agent_flow::LISTEN_CLIENT_WAIT`]).
    pub listen_wait: Duration,
}
