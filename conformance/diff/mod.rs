//! `conformance diff`: compares two descriptions of the five external-auth operations, either
//! Coder's published Swagger against the curated spec (known divergences vs new drift) or two
//! versions of a description (breaking or not).

mod classify;
mod compare;
mod coverage;
mod known;
mod load;
mod model;
mod openapi;
mod report;
mod schema;
mod scope;
mod swagger;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use coder_external_auth::CoderVersion;

use crate::exit::Exit;
use known::Known;
use load::Document;
use model::Api;
use report::{Finding, Mode, ReleaseHint, Side};

pub(crate) use report::{Detail, Outcome, human as render_human, json as render_json};

/// How reports name the curated spec the binary carries (it works wherever it is installed).
const EMBEDDED_SPEC: &str = "the embedded openapi/coder-external-auth.json";
/// The known divergences between upstream and the curated spec, carried in the binary.
const KNOWN: &str = include_str!("../../openapi/known-divergences.json");
/// What a `help:` line names for the carried files: a copy a user can edit and pass back.
const EDITABLE_SPEC: &str =
    "openapi/coder-external-auth.json in this crate's source tree (then pass it with --spec FILE)";
const EDITABLE_KNOWN: &str = "openapi/known-divergences.json in this crate's source tree, or a file of your own passed with --known FILE";
/// `--timeout`'s default for fetching a URL: connecting, the head and the whole body.
pub const DEFAULT_FETCH_TIMEOUT_SECS: f64 = 30.0;

/// Compares Coder's published description `upstream` with the curated spec (`spec`, else the
/// one this binary carries) as the contract of `release` (absent: the newest known); every
/// difference is looked up in the known divergences (`known`, else the carried ones). Without
/// `release`, a Swagger whose differences another release's contract explains entirely is
/// named as that release's (`Outcome::release_hint`).
pub async fn compare_upstream(
    upstream: &str,
    spec: Option<&str>,
    known: Option<&Path>,
    release: Option<CoderVersion>,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let (known, known_file): (Known, String) = match known {
        Some(path) => (Known::read(path)?, path.display().to_string()),
        None => (
            Known::parse(KNOWN).context("the embedded known divergences")?,
            EDITABLE_KNOWN.to_owned(),
        ),
    };
    let curated = match spec {
        Some(spec) => load::load(spec, timeout).await?,
        None => load::parse(EMBEDDED_SPEC, crate::curated::SPEC.as_bytes())?,
    };
    let upstream = load::load(upstream, timeout).await?;
    let compared = release.unwrap_or(CoderVersion::NEWEST_KNOWN);
    let mut outcome = upstream_outcome(&curated, &upstream, known.clone(), compared)?;
    outcome.known_file = Some(known_file);
    outcome.spec_file = Some(spec.map_or_else(|| EDITABLE_SPEC.to_owned(), str::to_owned));
    if release.is_none() && verdict(&outcome) != Exit::Success {
        outcome.release_hint = release_explaining(&curated, &upstream, &known, compared);
    }
    Ok(outcome)
}

/// One upstream comparison as the contract of `release`.
fn upstream_outcome(
    curated: &Document,
    upstream: &Document,
    known: Known,
    release: CoderVersion,
) -> anyhow::Result<Outcome> {
    let known = known.for_release(release);
    let (curated_api, upstream_api) = (curated.to_model(release)?, upstream.to_model(release)?);
    // Curated is OLD and upstream NEW, so each difference reads as what upstream did relative
    // to what we describe, and its severity is what that would do to a client written against
    // the curated spec.
    let mut outcome = outcome(
        Mode::Upstream,
        ("curated", curated, &curated_api),
        ("upstream", upstream, &upstream_api),
    )?;
    for finding in &mut outcome.findings {
        finding.known = known.lookup(&finding.change).cloned();
    }
    outcome.not_comparable =
        coverage::not_comparable(("curated", &curated_api), ("upstream", &upstream_api));
    let changes: Vec<_> = outcome.findings.iter().map(|f| f.change.clone()).collect();
    outcome.stale = known.stale(&changes);
    outcome.release = Some(release);
    Ok(outcome)
}

/// The newest release whose contract and known divergences explain every difference: the
/// first release of each range the curated spec's annotations and the known divergences'
/// `since`/`until` draw, tried newest first (`compared`'s own range is not clean, or no hint
/// would be asked for).
fn release_explaining(
    curated: &Document,
    upstream: &Document,
    known: &Known,
    compared: CoderVersion,
) -> Option<ReleaseHint> {
    let spec = crate::curated::spec();
    let mut candidates = crate::releases::boundaries(spec);
    candidates.extend(known.boundaries());
    candidates.push(crate::releases::OLDEST_SUPPORTED);
    candidates
        .retain(|c| *c >= crate::releases::OLDEST_SUPPORTED && *c <= CoderVersion::NEWEST_KNOWN);
    candidates.sort();
    candidates.dedup();
    let explains = |candidate: CoderVersion| {
        candidate != compared
            && upstream_outcome(curated, upstream, known.clone(), candidate)
                .is_ok_and(|outcome| verdict(&outcome) == Exit::Success)
    };
    let at = candidates
        .iter()
        .rposition(|&candidate| explains(candidate))?;
    Some(ReleaseHint {
        release: candidates[at],
        until: candidates.get(at + 1).copied(),
    })
}

/// Compares two versions of a description (Swagger 2.0 or OpenAPI 3.0.x), each OpenAPI one
/// read as the contract of `release`.
pub async fn compare_versions(
    old: &str,
    new: &str,
    release: CoderVersion,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let old = load::load(old, timeout).await?;
    let new = load::load(new, timeout).await?;
    let (old_api, new_api) = (old.to_model(release)?, new.to_model(release)?);
    outcome(
        Mode::Versions,
        ("old", &old, &old_api),
        ("new", &new, &new_api),
    )
}

fn outcome(
    mode: Mode,
    old: (&'static str, &Document, &Api),
    new: (&'static str, &Document, &Api),
) -> anyhow::Result<Outcome> {
    let side = |(role, doc, _): (&'static str, &Document, &Api)| Side {
        role,
        source: doc.source.clone(),
        format: doc.format_name(),
    };
    for (_, doc, api) in [old, new] {
        if api.operations.is_empty() {
            // Not fatal (every operation then shows as removed or added) but rarely meant.
            crate::console::err_line(&format!(
                "warning: {} describes no operation under {}; is it the right document?",
                doc.source,
                scope::SCOPE
            ));
        }
    }
    let findings = compare::compare(old.2, new.2)
        .with_context(|| format!("cannot compare {} with {}", old.1.source, new.1.source))?
        .into_iter()
        .map(|change| Finding {
            severity: classify::classify(&change),
            change,
            known: None,
        })
        .collect();
    Ok(Outcome {
        mode,
        old: side(old),
        new: side(new),
        findings,
        stale: Vec::new(),
        not_comparable: Vec::new(),
        known_file: None,
        spec_file: None,
        release: None,
        release_hint: None,
    })
}

/// Upstream: anything not known, or a known entry gone stale, needs a decision. Versions: only
/// a breaking change does; additions and cosmetics pass.
pub fn verdict(outcome: &Outcome) -> Exit {
    let act = match outcome.mode {
        Mode::Upstream => outcome.new_drift().next().is_some() || !outcome.stale.is_empty(),
        Mode::Versions => outcome
            .findings
            .iter()
            .any(|f| f.severity == classify::Severity::Breaking),
    };
    if act { Exit::Changes } else { Exit::Success }
}
