//! What a user reads when a run stops or leaves something out, with the flag that changes
//! it: a stop's reason (not Coder, not its root, a rejected token, unreachable, too old), each
//! note of the runner, and what the report says about the release. The runner and the
//! pipeline name no flag; this does.

use anyhow::anyhow;
use coder_external_auth::BuildError;

use crate::releases::{OLDEST_SUPPORTED, Release, ReleaseSource};
use crate::report::{CoderSaid, StopKind, Stopped};
use crate::runner::{Note, RunError, Seen};

/// A run that stopped before judging anything, with its kind and what the list got: carried
/// through `anyhow` so the reports can state it as data.
#[derive(Debug)]
pub struct Stop(pub Stopped);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.text())
    }
}

impl std::error::Error for Stop {}

/// What to do when the URL is not a Coder deployment's root.
pub const URL_HELP: &str = "help: give --url the address you open Coder at (https://coder.example.com), \
     without /api/v2; behind a proxy that serves Coder under a path prefix, keep the prefix \
     (https://example.com/coder) and have the proxy strip it before passing requests on";

/// A `--url` whose path already holds `/api/v2`: every request would go to `/api/v2/api/v2/…`
/// and be answered `Route not found.`, which is the URL's fault, not the server's.
pub fn refuse_api_path(url: &str) -> anyhow::Result<()> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        // The client names the flag for a URL it cannot parse.
        return Ok(());
    };
    let path = parsed.path().trim_end_matches('/');
    let Some(at) = path.match_indices("/api/v2").map(|(at, _)| at).find(|&at| {
        matches!(
            path[at + "/api/v2".len()..].chars().next(),
            None | Some('/')
        )
    }) else {
        return Ok(());
    };
    let mut root = parsed.clone();
    root.set_path(&path[..at]);
    root.set_query(None);
    root.set_fragment(None);
    let root = coder_external_auth::redacted_url(root.as_str().trim_end_matches('/'));
    Err(Stop(Stopped::new(
        StopKind::NotApiRoot,
        &format!(
            "--url {} ends in /api/v2: give the deployment's root, {root} (requests go to \
             {root}/api/v2/…)\n{URL_HELP}",
            coder_external_auth::redacted_url(url)
        ),
    ))
    .into())
}

/// Names the flag that holds the value a client could not be built from.
pub fn blame_flag(err: BuildError) -> anyhow::Error {
    let flag = match &err {
        BuildError::InvalidToken => "--token",
        BuildError::InvalidAgentToken => "--agent-token",
        BuildError::InvalidBaseUrl { .. } | BuildError::TlsDisabled { .. } => "--url",
        BuildError::InvalidCertificate(_) => "--ca-cert",
        BuildError::Http(_) => return err.into(),
    };
    anyhow::Error::new(err).context(flag)
}

/// `401 (application/json)`, or `200 (no Content-Type)`.
fn answered_as(seen: &Seen) -> String {
    format!(
        "{} ({})",
        seen.status,
        seen.content_type.as_deref().map_or_else(
            || "no Content-Type".to_owned(),
            |ct| crate::text::line(ct).into_owned()
        )
    )
}

/// A stop that carries what the list got.
fn stop_with(kind: StopKind, text: String, seen: Option<&Seen>) -> anyhow::Error {
    let mut stopped = Stopped::new(kind, &text);
    if let Some(seen) = seen {
        stopped.status = Some(seen.status);
        stopped.content_type = seen.content_type.clone();
        stopped.coder_said = seen.message.as_ref().map(|message| CoderSaid {
            message: message.clone(),
            detail: seen.detail.clone(),
        });
    }
    Stop(stopped).into()
}

/// Why the run could not go ahead, with the flag that changes it.
pub fn explain(err: RunError, ca_given: bool, target: &str) -> anyhow::Error {
    let list = format!("{}/api/v2/external-auth", target.trim_end_matches('/'));
    let buildinfo = format!("{}/api/v2/buildinfo", target.trim_end_matches('/'));
    match err {
        RunError::NotCoder(seen) => stop_with(
            StopKind::NotCoder,
            format!(
                "this is not a Coder deployment: {list} answered {} without Coder's \
                     X-Coder-Build-Version header, and {buildinfo} named no Coder release\n{URL_HELP}",
                answered_as(&seen)
            ),
            Some(&seen),
        ),
        RunError::NotApiRoot(seen) => {
            let said = seen
                .message
                .as_ref()
                .map(|message| {
                    format!(
                        " {}",
                        CoderSaid {
                            message: message.clone(),
                            detail: seen.detail.clone()
                        }
                        .quoted()
                    )
                })
                .unwrap_or_else(|| " (a web page, not the API)".to_owned());
            stop_with(
                StopKind::NotApiRoot,
                format!(
                    "--url is a Coder deployment, but not its root: {list} answered {}{said}\n{URL_HELP}",
                    answered_as(&seen)
                ),
                Some(&seen),
            )
        }
        RunError::TokenRejected(seen) => {
            let said = match &seen.message {
                Some(message) => CoderSaid {
                    message: message.clone(),
                    detail: seen.detail.clone(),
                }
                .quoted(),
                None => "(no message)".to_owned(),
            };
            stop_with(
                StopKind::TokenRejected,
                format!(
                    "the session token was rejected: Coder answered {} to {list}: {said}\n\
                     help: create a new token with `coder tokens create` (or sign in again with \
                     `coder login`) and pass it with --token or CODER_SESSION_TOKEN; nothing was \
                     judged, so this says nothing about the contract",
                    seen.status
                ),
                Some(&seen),
            )
        }
        RunError::Unreachable { error, certificate } => {
            let hint = match (certificate, ca_given) {
                (false, _) => "",
                (true, false) => {
                    "; if a private CA issued the target's certificate, pass it with --ca-cert PEM"
                }
                (true, true) => "; the CA given with --ca-cert did not vouch for it either",
            };
            stop_with(
                StopKind::Unreachable,
                format!("cannot reach the target: {error}{hint}"),
                None,
            )
        }
        RunError::NotListed { wanted, listed } => anyhow!(
            "--allow-delete {wanted}: the target lists no such provider (it lists: {})",
            if listed.is_empty() {
                "none".to_owned()
            } else {
                listed.join(", ")
            }
        ),
        RunError::NoAnswer => anyhow!("the target answered no request"),
        RunError::TooOld(too_old) => {
            let how = match &too_old.source {
                ReleaseSource::Given => "--coder-version".to_owned(),
                ReleaseSource::Detected(text) => format!("the target reports {text}, that is"),
                ReleaseSource::Assumed => "the assumed release".to_owned(),
            };
            anyhow!(
                "{how} Coder {}, older than the oldest release this tool checks ({OLDEST_SUPPORTED}); \
                 upgrade the deployment, or use an older version of this tool",
                too_old.version
            )
        }
    }
}

/// What the report says about the release and its contract.
pub fn release_notes(release: &Release) -> Vec<String> {
    let mut notes = Vec::new();
    if release.source == ReleaseSource::Assumed {
        notes.push(format!(
            "the target did not say its release (no X-Coder-Build-Version, no /api/v2/buildinfo): \
             the newest contract ({}) was applied; name it with --coder-version",
            release.range
        ));
    }
    if release.newer_than_known() {
        notes.push(format!(
            "Coder {} is newer than any release this tool knows ({}): the newest contract \
             was applied, so a drift found here is news",
            release.version,
            coder_external_auth::CoderVersion::NEWEST_KNOWN
        ));
    }
    notes
}

/// What a note says, with the flag that would change it.
pub fn note_text(note: &Note) -> String {
    match note {
        Note::DeleteNotAllowed => {
            "DELETE not run: name a provider with --allow-delete to run it".to_owned()
        }
        Note::ListUnanswered => "the list went unanswered within --list-timeout while other \
             cases were answered: those are judged, and the cases that need the list (each \
             provider, the agent route's own, DELETE and the device flow) were not run"
            .to_owned(),
        Note::DeviceFlowNotRequested => {
            "device flow not run: pass --device-flow to run it".to_owned()
        }
        Note::NoDeviceProvider => {
            "device flow not run: the target lists no device provider".to_owned()
        }
        Note::ProvidersNotChecked { listed, checked } => format!(
            "the list names {listed} providers; {checked} were checked one by one (at most \
             {} are, and only ids Coder accepts)",
            crate::cases::MAX_PROVIDERS_CHECKED
        ),
        Note::AgentTokenNotGiven => {
            "workspace agent route checked only with made-up tokens: pass --agent-token (or set \
             CODER_AGENT_TOKEN) to check its answers"
                .to_owned()
        }
        Note::TemplateVersionNotGiven => {
            "template version route checked only with made-up ids: pass --template-version ID \
             to check a version's providers"
                .to_owned()
        }
        Note::AgentListenNotRequested => {
            "agent route's listen not run: pass --agent-listen to run it".to_owned()
        }
        Note::NoLinkedProviderForListen => {
            "agent route's listen not run: the agent route answered no provider as linked, and \
             an unlinked listen waits for a link"
                .to_owned()
        }
    }
}
