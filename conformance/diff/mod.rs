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
mod swagger;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use coder_external_auth::CoderVersion;

use crate::exit::Exit;
use known::Known;
use load::Document;
use model::Api;
use report::{Finding, Mode, Side};

pub(crate) use report::{Outcome, human as render_human, json as render_json};

/// How reports name the curated spec the binary carries (it works wherever it is installed).
const EMBEDDED_SPEC: &str = "the embedded openapi/coder-external-auth.json";
/// The known divergences between upstream and the curated spec, carried in the binary.
const KNOWN: &str = include_str!("../../openapi/known-divergences.json");
/// How reports name them.
const EMBEDDED_KNOWN: &str = "the embedded openapi/known-divergences.json";
/// `--timeout`'s default for fetching a URL: connecting, the head and the whole body.
pub const DEFAULT_FETCH_TIMEOUT_SECS: f64 = 30.0;

/// Compares Coder's published description `upstream` with the curated spec (`spec`, else the
/// one this binary carries) as the contract of `release`; every difference is looked up in the
/// known divergences (`known`, else the carried ones).
pub async fn compare_upstream(
    upstream: &str,
    spec: Option<&str>,
    known: Option<&Path>,
    release: CoderVersion,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let (known, known_file): (Known, String) = match known {
        Some(path) => (Known::read(path)?, path.display().to_string()),
        None => (
            Known::parse(KNOWN).context("the embedded known divergences")?,
            EMBEDDED_KNOWN.to_owned(),
        ),
    };
    let curated = match spec {
        Some(spec) => load::load(spec, timeout).await?,
        None => load::parse(EMBEDDED_SPEC, crate::contract::SPEC.as_bytes())?,
    };
    let known = known.for_release(release);
    let upstream = load::load(upstream, timeout).await?;
    let (curated_api, upstream_api) = (curated.to_model(release)?, upstream.to_model(release)?);
    // Curated is OLD and upstream NEW, so each difference reads as what upstream did relative
    // to what we describe, and its severity is what that would do to a client written against
    // the curated spec.
    let mut outcome = outcome(
        Mode::Upstream,
        ("curated", &curated, &curated_api),
        ("upstream", &upstream, &upstream_api),
    )?;
    for finding in &mut outcome.findings {
        finding.known = known.lookup(&finding.change).cloned();
    }
    outcome.not_comparable =
        coverage::not_comparable(("curated", &curated_api), ("upstream", &upstream_api));
    let changes: Vec<_> = outcome.findings.iter().map(|f| f.change.clone()).collect();
    outcome.stale = known.stale(&changes);
    outcome.known_file = Some(known_file);
    Ok(outcome)
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
                model::SCOPE
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
