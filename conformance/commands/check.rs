//! `conformance check`: run every case against the target, judge it, compare shapes, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use coder_external_auth::SessionToken;

use crate::cases::CATALOG;
use crate::checks::judge;
use crate::cli::CheckArgs;
use crate::contract::Contract;
use crate::exit::Exit;
use crate::report::{self, CaseReport, RunReport, SnapshotReport, Verdict};
use crate::runner::{RunOptions, Runner};
use crate::secrets::Secrets;
use crate::snapshot::{Mode, SnapshotOutcome, SnapshotStore};
use crate::target::Target;
use crate::tty;

/// Runs `check`. Errors mean the tool could not run (exit 2); reports are still written.
pub async fn run(args: CheckArgs, snapshot_dir: PathBuf, mode: Mode) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let secrets = Secrets::default();
    if let Some(token) = &args.token {
        secrets.add_session_token(token);
    }
    let target_name = args
        .url
        .clone()
        .unwrap_or_else(|| "embedded imitation".to_owned());
    match run_cases(&args, &snapshot_dir, mode, &secrets, started).await {
        Ok(report) => {
            deliver(&report, &args, &secrets)?;
            Ok(report.exit())
        }
        Err(err) => {
            // Nothing lost: CI still gets a report that says why nothing ran.
            let mut report = RunReport::new(
                target_name,
                snapshot_dir.display().to_string(),
                Vec::new(),
                vec![format!("could not run: {err:#}")],
                started.elapsed().as_secs_f64() * 1000.0,
                0,
            );
            report.exit_code = Exit::CouldNotRun as u8;
            let _ = write_files(&report, &args, &secrets);
            Err(anyhow::anyhow!(secrets.redact(&format!("{err:#}"))))
        }
    }
}

async fn run_cases(
    args: &CheckArgs,
    snapshot_dir: &std::path::Path,
    mode: Mode,
    secrets: &Secrets,
    started: Instant,
) -> anyhow::Result<RunReport> {
    let options = run_options(args)?;
    let contract = Contract::load()?;
    let mut store = SnapshotStore::open(snapshot_dir, mode)?;
    let target = match &args.url {
        Some(url) => {
            let Some(token) = &args.token else {
                bail!("--url needs a session token: pass --token or set CODER_SESSION_TOKEN");
            };
            if args.device_flow && !tty::available() {
                bail!(
                    "--device-flow against a live server needs a terminal to show the user code on \
                     (it is never printed to stdout or stderr)"
                );
            }
            Target::live(url.clone(), SessionToken::new(token.clone()))
        }
        None => Target::imitation().await?,
    };
    secrets.add_session_token(target.token.expose());
    let description = target.describe();

    let runner = Arc::new(Runner::new(&target, options, secrets.clone())?);
    let output = runner.run().await;
    target.shutdown().await;
    let output = output?;

    let mut cases = Vec::new();
    for observation in &output.observations {
        let judged = judge(observation, &contract);
        let failed = judged.failed();
        let snapshot = match &judged.shape {
            // A broken response is never accepted as the new normal.
            Some(_) if failed && mode == Mode::Accept => None,
            Some(shape) => Some((
                SnapshotStore::file_name(observation.case.operation_id, &judged.variant),
                store.check(
                    observation.case.operation_id,
                    &judged.variant,
                    &redacted(shape, secrets)?,
                )?,
            )),
            None => None,
        };
        let verdict = match (&snapshot, failed) {
            (_, true) => Verdict::Failure,
            (None, false) => Verdict::Fresh,
            (Some((_, outcome)), false) => match outcome {
                SnapshotOutcome::Fresh => Verdict::Fresh,
                SnapshotOutcome::Stale { .. } => Verdict::Stale,
                SnapshotOutcome::New => Verdict::New,
                SnapshotOutcome::Accepted { .. } => Verdict::Accepted,
            },
        };
        cases.push(CaseReport {
            operation_id: observation.case.operation_id.to_owned(),
            label: observation.case.label.clone(),
            variant: judged.variant.clone(),
            verdict,
            status: observation.raw.as_ref().map(|raw| raw.status.as_u16()),
            elapsed_ms: observation.elapsed.as_secs_f64() * 1000.0,
            checks: judged.checks,
            drift: judged.drift,
            snapshot: snapshot.map(|(file, outcome)| snapshot_report(file, outcome)),
            reason: None,
        });
    }
    cases.extend(skipped_variants(&cases, snapshot_dir));
    Ok(RunReport::new(
        description,
        snapshot_dir.display().to_string(),
        cases,
        output.notes,
        started.elapsed().as_secs_f64() * 1000.0,
        store.pending(),
    ))
}

fn run_options(args: &CheckArgs) -> anyhow::Result<RunOptions> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!(
            "--timeout {}: give a number of seconds between 0 and 3600",
            args.timeout
        );
    }
    let ca_pem = args
        .ca_cert
        .as_ref()
        .map(|path| {
            std::fs::read(path)
                .with_context(|| format!("--ca-cert {}: cannot read it", path.display()))
        })
        .transpose()?;
    Ok(RunOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        allow_delete: args.allow_delete.clone(),
        device_flow: args.device_flow,
        device_flow_deadline: Duration::from_secs(args.device_flow_deadline),
        ca_pem,
    })
}

/// The shape with any secret masked: kept contract strings come from the server.
fn redacted(shape: &serde_json::Value, secrets: &Secrets) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::from_str(&secrets.redact(&shape.to_string()))?)
}

fn snapshot_report(file: String, outcome: SnapshotOutcome) -> SnapshotReport {
    let (name, diff) = match outcome {
        SnapshotOutcome::Fresh => ("fresh", None),
        SnapshotOutcome::Stale { diff } => ("stale", Some(diff)),
        SnapshotOutcome::New => ("new", None),
        SnapshotOutcome::Accepted { changed: true } => ("accepted (changed)", None),
        SnapshotOutcome::Accepted { changed: false } => ("accepted (unchanged)", None),
    };
    SnapshotReport {
        file,
        outcome: name,
        diff,
    }
}

/// A catalog variant this target did not exercise is skipped, not failed.
fn skipped_variants(cases: &[CaseReport], snapshot_dir: &std::path::Path) -> Vec<CaseReport> {
    let mut skipped = Vec::new();
    for entry in CATALOG {
        for (variant, produced_by) in entry.variants {
            let seen = cases
                .iter()
                .any(|case| case.operation_id == entry.operation_id && case.variant == *variant);
            if seen {
                continue;
            }
            let accepted = SnapshotStore::has(snapshot_dir, entry.operation_id, variant);
            skipped.push(CaseReport {
                operation_id: entry.operation_id.to_owned(),
                label: "-".to_owned(),
                variant: (*variant).to_owned(),
                verdict: Verdict::Skipped,
                status: None,
                elapsed_ms: 0.0,
                checks: Vec::new(),
                drift: Vec::new(),
                snapshot: None,
                reason: Some(format!(
                    "not exercised by this target ({produced_by}){}",
                    if accepted {
                        ""
                    } else {
                        "; no accepted snapshot"
                    }
                )),
            });
        }
    }
    skipped
}

fn deliver(report: &RunReport, args: &CheckArgs, secrets: &Secrets) -> anyhow::Result<()> {
    eprint!("{}", secrets.redact(&report::render_human(report)));
    write_files(report, args, secrets)
}

fn write_files(report: &RunReport, args: &CheckArgs, secrets: &Secrets) -> anyhow::Result<()> {
    if let Some(path) = &args.json {
        report::write_json(report, path, secrets)?;
    }
    if let Some(path) = &args.junit {
        report::write_junit(report, path, secrets)?;
    }
    Ok(())
}
