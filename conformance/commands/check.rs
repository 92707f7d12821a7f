//! `conformance check`: turns the flags into checked run options (every error names its
//! flag), runs every case against the target, judges each, compares shapes and reports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use coder_external_auth::BuildError;

use crate::baseline;
use crate::cases::CATALOG;
use crate::checks::{CheckKind, CheckResult, judge};
use crate::cli::CheckArgs;
use crate::contract::Contract;
use crate::exit::Exit;
use crate::observation::Observation;
use crate::releases::{OLDEST_SUPPORTED, Release, ReleaseSource};
use crate::report::{
    self, CaseReport, CoderSaid, Format, Outputs, RunReport, RunSubject, SnapshotReport, StopKind,
    Stopped,
};
use crate::runner::{Note, RunError, RunOptions, Runner, Seen};
use crate::seconds::seconds;
use crate::secrets::{MIN_MASKABLE_LEN, Secrets};
use crate::snapshot::{Accepted, Mode, SnapshotStore};
use crate::target::{SCENES, Target};

/// Largest `--ca-cert` file: a bundle of every public CA is about 200 KiB.
pub const MAX_CA_CERT_BYTES: u64 = 1024 * 1024;
/// What a run may take beyond `--list-timeout` and the device flow's deadline before it is
/// stopped: every other case, retries included, fits many times over.
pub const RUN_SLACK: Duration = Duration::from_secs(15 * 60);

/// Runs `check`. Errors mean the tool could not run (exit 2); reports are still written.
pub async fn run(args: CheckArgs, accepted: Accepted, mode: Mode) -> anyhow::Result<Exit> {
    let started = Instant::now();
    // The user's tokens are secrets before anything can fail and be reported.
    let secrets = Secrets::default();
    if let Some(token) = &args.token {
        secrets.add_session_token(token);
    }
    if let Some(token) = &args.agent_token {
        secrets.add_agent_token(token);
    }
    let outputs = outputs(&args);
    let report = match run_cases(&args, &outputs, &accepted, mode, &secrets, started).await {
        Ok(report) => report,
        Err(err) => {
            // Nothing lost: CI still gets a report that says why nothing ran.
            let stopped = match err.downcast_ref::<Stop>() {
                Some(Stop(stopped)) => stopped.clone(),
                None => Stopped::new(StopKind::CouldNotRun, &format!("{err:#}")),
            };
            let subject = RunSubject {
                target: target_name(&args),
                snapshots: accepted.describe(),
                ..RunSubject::default()
            };
            let text = stopped.text();
            let report = RunReport::could_not_run(subject, stopped, elapsed_ms(started));
            // One line on stderr says why, instead of the human report; no report goes over
            // the baseline the run was to read.
            let outputs = Outputs {
                human: false,
                ..outputs.not_over(args.baseline.as_deref())
            };
            outputs.deliver(report, &secrets);
            return Err(anyhow!(secrets.mask_str(&text)));
        }
    };
    Ok(outputs.deliver(report, &secrets))
}

/// Every output the flags and the environment name, as one list.
fn outputs(args: &CheckArgs) -> Outputs {
    let files = [
        (Format::Json, &args.json),
        (Format::Junit, &args.junit),
        (Format::Sarif, &args.sarif),
        (Format::Baseline { force: args.force }, &args.write_baseline),
    ];
    Outputs::new(
        files
            .into_iter()
            .filter_map(|(format, path)| path.clone().map(|path| (format, path))),
    )
}

async fn run_cases(
    args: &CheckArgs,
    outputs: &Outputs,
    accepted: &Accepted,
    mode: Mode,
    secrets: &Secrets,
    started: Instant,
) -> anyhow::Result<RunReport> {
    outputs.check_distinct(args.baseline.as_deref())?;
    if let Some(path) = &args.write_baseline {
        baseline::refuse_existing(path, args.force)?;
    }
    let accepted_findings = args
        .baseline
        .as_deref()
        .map(|path| baseline::load(path).map(|file| (path, file)))
        .transpose()?;
    let judgement = if args.har.is_empty() {
        judge_live(args, accepted, mode, secrets).await?
    } else {
        crate::commands::har::judge(args, accepted, mode, secrets)?
    };
    let baseline = accepted_findings.as_ref().map(|(path, file)| (*path, file));
    let mut report = finish(judgement, baseline, secrets, started);
    report.rerun = Some(rerun_command(args));
    Ok(report)
}

/// What judging produced, before the baseline is applied and the report made.
pub struct Judgement {
    pub cases: Vec<CaseReport>,
    pub notes: Vec<String>,
    pub subject: RunSubject,
    pub contract: Contract,
    /// Pending `.snap.new` files left for review.
    pub pending: usize,
}

/// The report of judged cases: the baseline applied (when given), the notes about secrets
/// and the coverage added.
pub fn finish(
    judgement: Judgement,
    baseline: Option<(&std::path::Path, &baseline::Baseline)>,
    secrets: &Secrets,
    started: Instant,
) -> RunReport {
    let Judgement {
        mut cases,
        mut notes,
        subject,
        contract,
        pending,
    } = judgement;
    let applied = baseline.map(|(path, file)| {
        baseline::apply(
            file,
            path,
            &mut cases,
            &subject.target,
            secrets,
            baseline::today(),
        )
    });
    if secrets.too_short() > 0 {
        notes.push(format!(
            "{} secret(s) from the server are shorter than {MIN_MASKABLE_LEN} characters: \
             masked only where a whole value equals them, since inside text they would \
             match ordinary words",
            secrets.too_short()
        ));
    }
    if let Some(applied) = &applied {
        notes.extend(applied.notes.iter().cloned());
    }
    let mut report = RunReport::new(subject, cases, notes, elapsed_ms(started), pending);
    report.baseline = applied.map(|applied| applied.summary);
    report.coverage = Some(report::Coverage::of(&report.cases, &contract));
    report
}

/// Runs every case against the target (`--url`, or the embedded imitation) and judges each.
async fn judge_live(
    args: &CheckArgs,
    accepted: &Accepted,
    mode: Mode,
    secrets: &Secrets,
) -> anyhow::Result<Judgement> {
    let options = run_options(args)?;
    let mut store = SnapshotStore::open(accepted.clone(), mode)?;
    let target = match &args.url {
        Some(url) => {
            let Some(token) = &args.token else {
                bail!("--url needs a session token: pass --token or set CODER_SESSION_TOKEN");
            };
            refuse_api_path(url)?;
            Target::live(url.clone(), token.clone(), args.agent_token.clone())
        }
        None => {
            let mut target = Target::imitation(args.coder_version).await?;
            // The user's agent token, if given, is the one the agent cases present.
            if let Some(agent) = &args.agent_token {
                target.tokens.agent = Some(agent.clone());
            }
            target
        }
    };
    // The tokens the run presents (the imitation's own included) are secrets like the user's.
    target.tokens.register(secrets);
    let description = target.describe();

    let limit = run_limit(&options);
    let scene_options = options.clone();
    let runner = Runner::new(&target, options, secrets.clone()).map_err(blame_flag);
    let main_run = async {
        match runner {
            Ok(runner) => match tokio::time::timeout(limit, Arc::new(runner).run()).await {
                Ok(output) => {
                    output.map_err(|err| explain(err, args.ca_cert.is_some(), &description))
                }
                Err(_) => Err(anyhow!(
                    "the run exceeded its hard limit of {} s (--list-timeout + --device-flow-deadline + {} s)",
                    limit.as_secs(),
                    RUN_SLACK.as_secs()
                )),
            },
            Err(err) => Err(err),
        }
    };
    // The embedded imitation's further scenes are deployments of their own: they run beside it.
    let scenes = async {
        match args.url {
            Some(_) => Ok(Vec::new()),
            None => run_scenes(&scene_options, secrets).await,
        }
    };
    let (output, scene_observations) = tokio::join!(main_run, scenes);
    target.shutdown().await;
    let mut output = output?;
    output.observations.extend(scene_observations?);
    // The runner decided the release once; its contract judges every case.
    let release = &output.release;
    let contract = Contract::load(release.version)?;

    let mut cases = Vec::new();
    for observation in &output.observations {
        cases.push(judge_case(
            observation,
            &contract,
            release,
            &mut store,
            mode,
            secrets,
        )?);
    }
    cases.extend(skipped_variants(&cases, accepted));
    let mut notes: Vec<String> = release_notes(release);
    notes.extend(output.notes.iter().map(note_text));
    let subject = RunSubject {
        target: description,
        coder_version: Some(release.reported_version()),
        contract: release.range.tag(),
        snapshots: accepted.describe(),
    };
    Ok(Judgement {
        cases,
        notes,
        subject,
        contract,
        pending: store.pending(),
    })
}

/// This check as a command to run again: the flags that choose the target and its contract
/// (never a token: those come from the environment, as `CODER_SESSION_TOKEN`).
fn rerun_command(args: &CheckArgs) -> String {
    let mut words = vec!["conformance".to_owned(), "check".to_owned()];
    for path in &args.har {
        words.push("--har".to_owned());
        words.push(report::shell_word(&path.display().to_string()));
    }
    if let Some(url) = &args.url {
        words.push("--url".to_owned());
        words.push(report::shell_word(&coder_external_auth::redacted_url(url)));
    }
    if let Some(version) = args.coder_version {
        words.push("--coder-version".to_owned());
        words.push(version.to_string());
    }
    if let Some(path) = &args.ca_cert {
        words.push("--ca-cert".to_owned());
        words.push(report::shell_word(&path.display().to_string()));
    }
    words.join(" ")
}

/// Judges one observation and compares its shape, secrets masked in the shape's data.
fn judge_case(
    observation: &Observation,
    contract: &Contract,
    release: &Release,
    store: &mut SnapshotStore,
    mode: Mode,
    secrets: &Secrets,
) -> anyhow::Result<CaseReport> {
    judge_and_compare(observation, contract, release, store, mode, secrets, true)
}

/// [`judge_case`], comparing the shape with its snapshot only when `compare` (a recorded
/// exchange whose variant cannot be told has no snapshot to be compared with).
pub fn judge_and_compare(
    observation: &Observation,
    contract: &Contract,
    release: &Release,
    store: &mut SnapshotStore,
    mode: Mode,
    secrets: &Secrets,
    compare: bool,
) -> anyhow::Result<CaseReport> {
    let mut judged = judge(observation, contract);
    let mut shape = judged.shape.take().filter(|_| compare);
    if let Some(shape) = &mut shape
        && secrets.mask_value(shape, true)
    {
        judged.checks.push(CheckResult::new(
            CheckKind::Contract,
            vec![
                "the response carries a secret (the session token, a device or a user code); \
                 it is masked in this report"
                    .to_owned(),
            ],
        ));
    }
    let operation = observation.case.operation();
    let snapshot = match shape {
        // A broken response is never accepted as the new normal.
        Some(_) if judged.failed() && mode == Mode::Accept => None,
        Some(shape) => Some(SnapshotReport::new(
            SnapshotStore::file_name(operation, &judged.variant),
            store.check(operation, &judged.variant, &release.range, &shape)?,
        )),
        None => None,
    };
    Ok(CaseReport::judged(observation, judged, snapshot))
}

fn run_options(args: &CheckArgs) -> anyhow::Result<RunOptions> {
    let timeout = seconds("--timeout", args.timeout)?;
    let list_timeout = seconds("--list-timeout", args.list_timeout)?;
    let device_flow_deadline = seconds("--device-flow-deadline", args.device_flow_deadline)?;
    let listen_wait = seconds("--agent-listen-timeout", args.agent_listen_timeout)?;
    let ca_pem = args
        .ca_cert
        .as_ref()
        .map(|path| {
            crate::files::read(
                path,
                &format!("--ca-cert {}", path.display()),
                MAX_CA_CERT_BYTES,
            )
        })
        .transpose()?;
    Ok(RunOptions {
        coder_version: args.coder_version,
        timeout,
        list_timeout,
        allow_delete: args.allow_delete.clone(),
        device_flow: args.device_flow,
        device_flow_deadline,
        ca_pem,
        template_version: args.template_version.clone(),
        agent_listen: args.agent_listen,
        listen_wait,
    })
}

/// The embedded imitation's further scenes (see [`SCENES`]), each case labelled with its
/// scene.
async fn run_scenes(options: &RunOptions, secrets: &Secrets) -> anyhow::Result<Vec<Observation>> {
    let mut scenes = tokio::task::JoinSet::new();
    for (index, scene) in SCENES.iter().enumerate() {
        let (options, secrets) = (options.clone(), secrets.clone());
        scenes.spawn(async move {
            let target = Target::scene(scene, options.coder_version).await?;
            target.tokens.register(&secrets);
            let runner = Runner::new(&target, options, secrets).map_err(blame_flag)?;
            let cases = (scene.cases)()
                .into_iter()
                .map(|mut case| {
                    case.label = format!("{} ({})", case.label, scene.name);
                    case
                })
                .collect();
            let observations = Arc::new(runner).execute_concurrently(cases).await;
            target.shutdown().await;
            anyhow::Ok((index, observations))
        });
    }
    let mut done = Vec::new();
    while let Some(scene) = scenes.join_next().await {
        done.push(scene.context("a scene of the embedded imitation stopped")??);
    }
    // In SCENES order, whatever order they finished in.
    done.sort_by_key(|(index, _)| *index);
    Ok(done
        .into_iter()
        .flat_map(|(_, observations)| observations)
        .collect())
}

/// The longest a whole run may take.
fn run_limit(options: &RunOptions) -> Duration {
    let device_flow = if options.device_flow {
        options.device_flow_deadline
    } else {
        Duration::ZERO
    };
    let listen = if options.agent_listen {
        options.listen_wait
    } else {
        Duration::ZERO
    };
    options
        .list_timeout
        .saturating_add(device_flow)
        .saturating_add(listen)
        .saturating_add(RUN_SLACK)
}

/// Names the flag that holds the value a client could not be built from.
fn blame_flag(err: BuildError) -> anyhow::Error {
    let flag = match &err {
        BuildError::InvalidToken => "--token",
        BuildError::InvalidAgentToken => "--agent-token",
        BuildError::InvalidBaseUrl { .. } | BuildError::TlsDisabled { .. } => "--url",
        BuildError::InvalidCertificate(_) => "--ca-cert",
        BuildError::Http(_) => return err.into(),
    };
    anyhow::Error::new(err).context(flag)
}

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
const URL_HELP: &str = "help: give --url the address you open Coder at (https://coder.example.com), \
     without /api/v2; behind a proxy that serves Coder under a path prefix, keep the prefix \
     (https://example.com/coder) and have the proxy strip it before passing requests on";

/// A `--url` whose path already holds `/api/v2`: every request would go to `/api/v2/api/v2/…`
/// and be answered `Route not found.`, which is the URL's fault, not the server's.
fn refuse_api_path(url: &str) -> anyhow::Result<()> {
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
fn explain(err: RunError, ca_given: bool, target: &str) -> anyhow::Error {
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
fn note_text(note: &Note) -> String {
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

/// A catalog variant this target did not exercise is skipped, not failed.
fn skipped_variants(cases: &[CaseReport], accepted: &Accepted) -> Vec<CaseReport> {
    let mut skipped = Vec::new();
    for entry in CATALOG {
        for (variant, produced_by) in entry.variants {
            let seen = cases
                .iter()
                .any(|case| case.operation_id == entry.operation && case.variant == *variant);
            if seen {
                continue;
            }
            let has_snapshot = accepted.has(entry.operation, variant);
            skipped.push(CaseReport::skipped(
                entry.operation,
                variant,
                format!(
                    "not exercised by this target ({produced_by}){}",
                    if has_snapshot {
                        ""
                    } else {
                        "; no accepted snapshot"
                    }
                ),
            ));
        }
    }
    skipped
}

pub fn target_name(args: &CheckArgs) -> String {
    if !args.har.is_empty() {
        return crate::commands::har::describe(&args.har);
    }
    args.url.as_deref().map_or_else(
        || "embedded imitation".to_owned(),
        coder_external_auth::redacted_url,
    )
}

pub fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
