//! The device flow (RFC 8628) as a client runs it: start, show the user code (live targets
//! only), poll at the server's interval, back off on `slow_down`, give up at the deadline,
//! then read the provider's status and the list, which must show the new link.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cases::device_flow_cases;
use crate::observation::{Observation, Unanswered};
use crate::policy::DeviceFlow;
use crate::runner::Runner;
use crate::tty;

/// Extra wait RFC 8628 asks for after `slow_down`.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Poll interval when the provider reports none (what Coder's UI does).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Longest interval between polls, whatever the server asks: a server cannot park the run.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// How the imitation's build version ends (`v2.35.1-imitation`).
const IMITATION_SUFFIX: &str = "-imitation";
/// Where the imitation serves its control API, under the base URL.
const CONTROL_PATH: &str = "/__imitation";

/// Who approves a device code on a live target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approval {
    /// A person, at the verification URL the server names.
    Person,
    /// Coder's imitation (`conformance serve`): a person, through its control API at `url`.
    ControlApi { url: String },
    /// Coder's imitation approving each code by itself on its `polls`th poll
    /// (`serve --device-auto-approve-after`).
    ByItself { polls: u64 },
}

/// Who will approve the device code: a target that names itself the imitation is asked
/// (`GET /__imitation/device`, no credentials) whether it approves by itself or has its control
/// API; any other target has a person approve. Nothing is sent to a real Coder.
pub async fn approval(runner: &Runner, build_version: Option<&str>) -> Approval {
    if !build_version.is_some_and(|version| version.ends_with(IMITATION_SUFFIX)) {
        return Approval::Person;
    }
    let url = format!("{}{CONTROL_PATH}", runner.base_url());
    let Some(state) = runner.get_json(&format!("{CONTROL_PATH}/device")).await else {
        return Approval::Person;
    };
    match state.get("auto_approve_after").and_then(Value::as_u64) {
        Some(polls) => Approval::ByItself { polls },
        None if state.get("pending_user_codes").is_some_and(Value::is_array) => {
            Approval::ControlApi { url }
        }
        None => Approval::Person,
    }
}

/// Runs the device flow against `provider` and returns what each step observed.
pub async fn run(runner: &Runner, provider: &str, approval: &Approval) -> Vec<Observation> {
    let template = device_flow_cases(provider, "");
    let start = runner.execute(template.start).await;
    let device = start.json_with_status(200).cloned();
    let mut observations = vec![start];
    let Some(device) = device else {
        return observations;
    };
    let field = |name: &str| device[name].as_str().unwrap_or_default().to_owned();
    let (device_code, user_code) = (field("device_code"), field("user_code"));
    let cases = device_flow_cases(provider, &device_code);
    let shown = match approval {
        _ if runner.policy().device_flow == DeviceFlow::Imitated => Ok(()),
        // No one needs the code: it stays unshown.
        Approval::ByItself { polls } => {
            tty::approves_by_itself(*polls);
            Ok(())
        }
        Approval::ControlApi { url } => {
            tty::show_user_code(&field("verification_uri"), &user_code, Some(url))
        }
        Approval::Person => tty::show_user_code(&field("verification_uri"), &user_code, None),
    };
    if shown.is_err() {
        // No terminal (CI): the code is never printed elsewhere, so only a target that
        // approves by itself (an identity provider made for tests, as the real-Coder lane's
        // realidp) completes the flow; if none does, the deadline ends it as not approved.
        tty::no_terminal(runner.options().device_flow_deadline);
    }

    let deadline_after = runner.options().device_flow_deadline;
    let mut interval = first_interval(&device["interval"]);
    let started = Instant::now();
    let mut pending_seen = false;
    let approved = loop {
        let poll = runner.execute(cases.pending.clone()).await;
        let answer = poll.response.as_ref().and_then(|response| {
            let detail = response.json()?.get("detail")?.as_str()?;
            Some((response.status(), detail.to_owned()))
        });
        let wait = match answer
            .as_ref()
            .map(|(status, detail)| (*status, detail.as_str()))
        {
            Some((400, "authorization_pending")) => {
                if !pending_seen {
                    pending_seen = true;
                    observations.push(poll);
                }
                interval
            }
            Some((400, "slow_down")) => {
                interval = interval
                    .saturating_add(SLOW_DOWN_STEP)
                    .min(MAX_POLL_INTERVAL);
                interval
            }
            // Anything else ends the flow: judge it as the exchange that should succeed.
            _ => {
                break Observation {
                    case: cases.approved.clone(),
                    ..poll
                };
            }
        };
        let waited = started.elapsed();
        if waited.saturating_add(wait) > deadline_after {
            break Observation::unsent(
                cases.approved.clone(),
                Unanswered::NotApproved(deadline_after),
            );
        }
        if runner.policy().device_flow == DeviceFlow::Live {
            tty::waiting(deadline_after.saturating_sub(waited));
            tokio::time::sleep(wait).await;
        }
    };
    let linked = approved.status() == Some(204);
    observations.push(approved);
    if linked {
        observations.push(runner.execute(cases.status_after).await);
        observations.push(runner.execute(cases.list_after).await);
    }
    observations
}

/// The server's `interval`, bounded: none or zero means the default.
fn first_interval(interval: &Value) -> Duration {
    match interval.as_u64() {
        Some(0) | None => DEFAULT_INTERVAL,
        Some(secs) => Duration::from_secs(secs).min(MAX_POLL_INTERVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intervals_are_bounded_whatever_the_server_sends() {
        assert_eq!(first_interval(&json!(null)), DEFAULT_INTERVAL);
        assert_eq!(first_interval(&json!(0)), DEFAULT_INTERVAL);
        assert_eq!(first_interval(&json!(7)), Duration::from_secs(7));
        assert_eq!(first_interval(&json!(u64::MAX)), MAX_POLL_INTERVAL);
        assert_eq!(first_interval(&json!(-3)), DEFAULT_INTERVAL);
        assert_eq!(
            MAX_POLL_INTERVAL
                .saturating_add(SLOW_DOWN_STEP)
                .min(MAX_POLL_INTERVAL),
            MAX_POLL_INTERVAL
        );
    }
}
