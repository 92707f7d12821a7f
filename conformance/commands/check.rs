//! `conformance check`: turns the flags into checked run options and a target (every error
//! names its flag), has the pipeline run and judge every case (or judge `--har` files), and
//! delivers the report to every output the flags name.

use std::time::Instant;

use anyhow::{anyhow, bail};

use crate::advice::{Stop, refuse_api_path};
use crate::cli::CheckArgs;
use crate::exit::Exit;
use crate::options::RunOptions;
use crate::pipeline::{self, elapsed_ms};
use crate::report::{Format, Outputs, RunReport, RunSubject, StopKind, Stopped, baseline};
use crate::seconds::seconds;
use crate::secrets::Secrets;
use crate::snapshot::{Accepted, Mode, SnapshotStore};
use crate::target::Target;
use crate::text;

/// Largest `--ca-cert` file: a bundle of every public CA is about 200 KiB.
pub const MAX_CA_CERT_BYTES: u64 = 1024 * 1024;

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
        let options = run_options(args)?;
        let store = SnapshotStore::open(accepted.clone(), mode)?;
        let target = target(args).await?;
        pipeline::check(target, options, store, secrets, args.ca_cert.is_some()).await?
    } else {
        crate::commands::har::judge(args, accepted, mode, secrets)?
    };
    let baseline = accepted_findings.as_ref().map(|(path, file)| (*path, file));
    let mut report = pipeline::report(judgement, baseline, secrets, started);
    report.rerun = Some(rerun_command(args));
    Ok(report)
}

/// The target the flags name: `--url` with its token, or the embedded imitation (of
/// `--coder-version`, presenting the user's `--agent-token` if given).
async fn target(args: &CheckArgs) -> anyhow::Result<Target> {
    let Some(url) = &args.url else {
        let mut target = Target::imitation(args.coder_version).await?;
        if let Some(agent) = &args.agent_token {
            target.tokens.agent = Some(agent.clone());
        }
        return Ok(target);
    };
    let Some(token) = &args.token else {
        bail!("--url needs a session token: pass --token or set CODER_SESSION_TOKEN");
    };
    refuse_api_path(url)?;
    Ok(Target::live(
        url.clone(),
        token.clone(),
        args.agent_token.clone(),
    ))
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

/// This check as a command to run again: the flags that choose the target and its contract
/// (never a token: those come from the environment, as `CODER_SESSION_TOKEN`).
fn rerun_command(args: &CheckArgs) -> String {
    let mut words = vec!["conformance".to_owned(), "check".to_owned()];
    for path in &args.har {
        words.push("--har".to_owned());
        words.push(text::shell_word(&path.display().to_string()));
    }
    if let Some(url) = &args.url {
        words.push("--url".to_owned());
        words.push(text::shell_word(&coder_external_auth::redacted_url(url)));
    }
    if let Some(version) = args.coder_version {
        words.push("--coder-version".to_owned());
        words.push(version.to_string());
    }
    if let Some(path) = &args.ca_cert {
        words.push("--ca-cert".to_owned());
        words.push(text::shell_word(&path.display().to_string()));
    }
    words.join(" ")
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
