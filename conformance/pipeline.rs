//! One check, top to bottom: a built target and checked options → the runner carries out the
//! plan (the policy's further scenes beside it, the whole under one hard limit) →
//! observations → judged cases (the checks, then the shape compared with its snapshot) → the
//! report (baseline applied, coverage added). The command gives it options and a target and
//! delivers what it returns; recorded traffic joins at the judging step.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use crate::advice::{blame_flag, explain, note_text, release_notes};
use crate::cases::CATALOG;
use crate::checks::{judge, secret_echo};
use crate::contract::Contract;
use crate::observation::Observation;
use crate::options::RunOptions;
use crate::releases::Release;
use crate::report::baseline::{self, Baseline};
use crate::report::{self, CaseReport, RunReport, RunSubject, SnapshotReport};
use crate::runner::{RunOutput, Runner};
use crate::scenes::Scene;
use crate::secrets::{MIN_MASKABLE_LEN, Secrets};
use crate::snapshot::{Accepted, Mode, SnapshotStore};
use crate::target::Target;

/// What a run may take beyond `--list-timeout` and the device flow's deadline before it is
/// stopped: every other case, retries included, fits many times over.
pub const RUN_SLACK: Duration = Duration::from_secs(15 * 60);

/// What judging produced, before the baseline is applied and the report made.
pub struct Judgement {
    pub cases: Vec<CaseReport>,
    pub notes: Vec<String>,
    pub subject: RunSubject,
    pub contract: Contract,
    /// Pending `.snap.new` files left for review.
    pub pending: usize,
}

/// Runs every case against `target` (its policy's scenes beside it), then judges each.
/// `ca_given`: whether `--ca-cert` was, for the advice on a certificate the run refused.
pub async fn check(
    target: Target,
    options: RunOptions,
    store: SnapshotStore,
    secrets: &Secrets,
    ca_given: bool,
) -> anyhow::Result<Judgement> {
    // The tokens the run presents (the imitation's own included) are secrets like the user's.
    target.tokens.register(secrets);
    let description = target.describe();
    let scenes = target.policy(&options).scenes;
    let main = observe(&target, &description, options.clone(), secrets, ca_given);
    let (output, scene_observations) =
        tokio::join!(main, observe_scenes(scenes, &options, secrets));
    target.shutdown().await;
    let mut output = output?;
    output.observations.extend(scene_observations?);
    judge_run(output, description, store, secrets)
}

/// The runner's observations of `target` (named `description` in what a stop says), within
/// the run's hard limit.
async fn observe(
    target: &Target,
    description: &str,
    options: RunOptions,
    secrets: &Secrets,
    ca_given: bool,
) -> anyhow::Result<RunOutput> {
    let limit = hard_limit(&options);
    let runner = Runner::new(target, options, secrets.clone()).map_err(blame_flag)?;
    match tokio::time::timeout(limit, Arc::new(runner).run()).await {
        Ok(output) => output.map_err(|err| explain(err, ca_given, description)),
        Err(_) => Err(anyhow!(
            "the run exceeded its hard limit of {} s (--list-timeout + --device-flow-deadline + {} s)",
            limit.as_secs(),
            RUN_SLACK.as_secs()
        )),
    }
}

/// The longest a whole run may take.
fn hard_limit(options: &RunOptions) -> Duration {
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

/// Each further scene, a deployment of its own, checked at once; every case labelled with
/// its scene, in `scenes` order whatever order they finished in.
async fn observe_scenes(
    scenes: &'static [Scene],
    options: &RunOptions,
    secrets: &Secrets,
) -> anyhow::Result<Vec<Observation>> {
    let mut running = tokio::task::JoinSet::new();
    for (index, scene) in scenes.iter().enumerate() {
        let (options, secrets) = (options.clone(), secrets.clone());
        running.spawn(async move {
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
    while let Some(scene) = running.join_next().await {
        done.push(scene.context("a scene of the embedded imitation stopped")??);
    }
    done.sort_by_key(|(index, _)| *index);
    Ok(done
        .into_iter()
        .flat_map(|(_, observations)| observations)
        .collect())
}

/// Every observation judged against the contract of the release the runner decided, the
/// variants nobody exercised added as skipped.
fn judge_run(
    output: RunOutput,
    target: String,
    mut store: SnapshotStore,
    secrets: &Secrets,
) -> anyhow::Result<Judgement> {
    let release = &output.release;
    let contract = Contract::load(release.version)?;
    let mut cases = Vec::new();
    for observation in &output.observations {
        cases.push(judge_case(
            observation,
            &contract,
            release,
            &mut store,
            secrets,
            true,
        )?);
    }
    cases.extend(skipped_variants(&cases, store.accepted()));
    let mut notes = release_notes(release);
    notes.extend(output.notes.iter().map(note_text));
    let subject = RunSubject {
        target,
        coder_version: Some(release.reported_version()),
        contract: release.range.tag(),
        snapshots: store.accepted().describe(),
    };
    Ok(Judgement {
        cases,
        notes,
        subject,
        contract,
        pending: store.pending(),
    })
}

/// Judges one observation and, when `compare` (a recorded exchange whose variant cannot be
/// told has no snapshot to be compared with), compares its shape, secrets masked in it.
pub fn judge_case(
    observation: &Observation,
    contract: &Contract,
    release: &Release,
    store: &mut SnapshotStore,
    secrets: &Secrets,
    compare: bool,
) -> anyhow::Result<CaseReport> {
    let mut judged = judge(observation, contract);
    let mut shape = judged.shape.take().filter(|_| compare);
    if let Some(shape) = &mut shape {
        judged.checks.extend(secret_echo(shape, secrets));
    }
    let operation = observation.case.operation();
    let snapshot = match shape {
        // A broken response is never accepted as the new normal.
        Some(_) if judged.failed() && store.mode() == Mode::Accept => None,
        Some(shape) => Some(SnapshotReport::new(
            SnapshotStore::file_name(operation, &judged.variant),
            store.check(operation, &judged.variant, &release.range, &shape)?,
        )),
        None => None,
    };
    Ok(CaseReport::judged(observation, judged, snapshot))
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

/// The report of judged cases: the baseline applied (when given), the notes about secrets
/// and the coverage added.
pub fn report(
    judgement: Judgement,
    baseline: Option<(&Path, &Baseline)>,
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

/// Milliseconds since `started`, as reports give the run's length.
pub fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
