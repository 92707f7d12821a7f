//! The agent route and the template-version route, planned from what the run offers: an
//! agent token (`--agent-token`, or the imitation's) enables the agent cases, a template
//! version id (`--template-version`, or the imitation's three) the version cases, and `listen`
//! runs only where it cannot hang (the imitation, or `--agent-listen`), on a provider the
//! agent route has just answered as linked. Cases that need none of it always run.

use std::sync::Arc;
use std::time::Duration;

use coder_external_auth::Operation;
use coder_external_auth::imitation::{
    Behaviour, TEMPLATE_VERSION_WITH_PROVIDERS, TEMPLATE_VERSION_WITH_REMOVED_PROVIDER,
    TEMPLATE_VERSION_WITHOUT_PROVIDERS,
};

use crate::cases::{
    Call, Case, Credentials, PlanInput, agent_token_cases, is_linked, listen_case,
    removed_provider_case, template_version_case, user_id_cases,
};
use crate::observation::Observation;
use crate::policy::TemplateVersions;
use crate::runner::{Note, Runner};

/// The longest the client waits for a `listen` answer by default (`--agent-listen-timeout`
/// changes it). Coder itself never gives up (no server deadline), and a linked provider is
/// answered at once, so a minute means something is wrong; the case then reports the time-out
/// instead of holding the run.
pub const LISTEN_CLIENT_WAIT: Duration = Duration::from_secs(60);

/// The read-only cases (they run beside the `Git` read-only plan) and what was left out.
pub fn read_only_cases(runner: &Runner, input: &PlanInput) -> (Vec<Case>, Vec<Note>) {
    let mut notes = Vec::new();
    // The cases that need neither run beside the list (`cases::independent_cases`).
    let mut cases = Vec::new();
    if runner.has_agent_token() {
        let providers: Vec<String> = input.providers.iter().map(|p| p.id.clone()).collect();
        cases.extend(agent_token_cases(&providers));
    } else {
        notes.push(Note::AgentTokenNotGiven);
    }
    let reads_user_id = input.release.version.has(Behaviour::TemplateVersionUserId);
    match &runner.policy().template_versions {
        TemplateVersions::Imitation => {
            cases.extend([
                template_version_case(TEMPLATE_VERSION_WITH_PROVIDERS),
                template_version_case(TEMPLATE_VERSION_WITHOUT_PROVIDERS),
                removed_provider_case(TEMPLATE_VERSION_WITH_REMOVED_PROVIDER),
            ]);
            cases.extend(user_id_cases(
                TEMPLATE_VERSION_WITH_PROVIDERS,
                reads_user_id,
            ));
        }
        TemplateVersions::Given(id) => {
            cases.push(template_version_case(id));
            cases.extend(user_id_cases(id, reads_user_id));
        }
        TemplateVersions::NotGiven => notes.push(Note::TemplateVersionNotGiven),
    }
    (cases, notes)
}

/// `listen`, after the read-only cases, on a provider they saw linked; or why not.
pub async fn listen(
    runner: &Arc<Runner>,
    read_only: &[Observation],
) -> Result<Option<Observation>, Note> {
    if !runner.has_agent_token() {
        return Ok(None);
    }
    if !runner.policy().listen {
        return Err(Note::AgentListenNotRequested);
    }
    match linked_provider(read_only) {
        Some(provider) => Ok(Some(runner.execute(listen_case(&provider)).await)),
        None => Err(Note::NoLinkedProviderForListen),
    }
}

/// A provider the agent route answered in the linked form, by id.
fn linked_provider(observations: &[Observation]) -> Option<String> {
    observations.iter().find_map(|observation| {
        let case = &observation.case;
        let Call::Agent { query, .. } = &case.call else {
            return None;
        };
        (case.operation() == Operation::GetWorkspaceAgentExternalAuth
            && case.credentials == Credentials::Agent
            && observation.json_with_status(200).is_some_and(is_linked))
        .then(|| query.id.clone())
        .flatten()
    })
}
