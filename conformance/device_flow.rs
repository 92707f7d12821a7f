//! The device flow (RFC 8628) as a client runs it: start, show the user code (live targets
//! only), poll at the server's interval, back off on `slow_down`, give up at the deadline,
//! then read the provider's status and the list, which must show the new link.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cases::device_flow_cases;
use crate::observation::{Observation, Unanswered};
use crate::runner::Runner;
use crate::tty;

/// Extra wait RFC 8628 asks for after `slow_down`.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Poll interval when the provider reports none (what Coder's UI does).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Longest interval between polls, whatever the server asks: a server cannot park the run.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the device flow against `provider` and returns what each step observed.
pub async fn run(runner: &Runner, provider: &str) -> Vec<Observation> {
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
    if !runner.is_imitation()
        && tty::show_user_code(&field("verification_uri"), &user_code).is_err()
    {
        // No terminal (CI): the code is never printed elsewhere, so only a target that
        // approves by itself (an identity provider made for tests) can complete the flow; if
        // none does, the deadline ends it as "not approved".
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
        if !runner.is_imitation() {
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
