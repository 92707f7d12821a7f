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

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{ArgGroup, Args};
use coder_external_auth::CoderVersion;

use crate::exit::Exit;
use known::Known;
use load::Document;
use model::Api;
use report::{Finding, Mode, Outcome, Side};

/// How reports name the curated spec the binary carries (it works wherever it is installed).
const EMBEDDED_SPEC: &str = "the embedded openapi/coder-external-auth.json";
/// The known divergences between upstream and the curated spec, carried in the binary.
const KNOWN: &str = include_str!("../../openapi/known-divergences.json");
/// How reports name them.
const EMBEDDED_KNOWN: &str = "the embedded openapi/known-divergences.json";
/// `--timeout`'s default for fetching a URL: connecting, the head and the whole body.
const DEFAULT_FETCH_TIMEOUT_SECS: f64 = 30.0;

/// Compare API descriptions of the five external-auth operations.
///
/// `diff --upstream PATH|URL` compares Coder's published Swagger 2.0 (for example
/// https://raw.githubusercontent.com/coder/coder/main/coderd/apidoc/swagger.json) with the
/// curated spec: every difference must be a known divergence. `diff OLD NEW` compares two
/// versions (Swagger 2.0 or OpenAPI 3.0.x, file or URL) and flags breaking changes.
/// Exit 0: nothing new; 1: new drift, a stale known divergence or a breaking change;
/// 2: could not run.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("sides").required(true).args(["upstream", "old"])))]
#[command(
    after_help = "Upstream is Coder's coderd/apidoc/swagger.json, for example\n  https://raw.githubusercontent.com/coder/coder/main/coderd/apidoc/swagger.json\n\nExit status: 0 nothing new; 1 new drift, a stale known divergence, or (OLD NEW) a breaking change; 2 could not run."
)]
#[command(
    override_usage = "conformance diff --upstream <PATH|URL> [--spec <PATH>] [OPTIONS]\n       conformance diff <OLD> <NEW> [OPTIONS]"
)]
pub struct DiffArgs {
    /// The older description (file or http(s) URL).
    #[arg(value_name = "OLD", requires = "new")]
    pub old: Option<String>,

    /// The newer description (file or http(s) URL).
    #[arg(value_name = "NEW", requires = "old")]
    pub new: Option<String>,

    /// Coder's published Swagger 2.0 (file or http(s) URL), compared with the curated spec.
    #[arg(long, value_name = "PATH|URL", conflicts_with_all = ["old", "new"])]
    pub upstream: Option<String>,

    /// The curated spec to compare with --upstream [default: the one this binary carries,
    /// openapi/coder-external-auth.json].
    #[arg(long, value_name = "PATH", requires = "upstream")]
    pub spec: Option<String>,

    /// The known divergences for --upstream [default: the ones this binary carries,
    /// openapi/known-divergences.json].
    #[arg(long, value_name = "PATH", requires = "upstream")]
    pub known: Option<PathBuf>,

    /// Also write a machine-readable report of every difference to PATH.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// List the known divergences too, not only what is new.
    #[arg(long, short)]
    pub verbose: bool,

    /// Compare the contract of this Coder release (X.Y.Z) [default: the newest known].
    #[arg(long, value_name = "X.Y.Z")]
    pub coder_version: Option<CoderVersion>,

    /// Budget for fetching a URL, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_FETCH_TIMEOUT_SECS)]
    pub timeout: f64,
}

pub async fn run(args: &DiffArgs) -> anyhow::Result<Exit> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .with_context(|| {
            format!(
                "--timeout {} is not a positive number of seconds",
                args.timeout
            )
        })?;
    let release = args.coder_version.unwrap_or(CoderVersion::NEWEST_KNOWN);
    let outcome = match (&args.upstream, &args.old, &args.new) {
        (Some(upstream), _, _) => {
            let (known, known_file) = match &args.known {
                Some(path) => (Known::read(path)?, path.display().to_string()),
                None => (
                    Known::parse(KNOWN).context("the embedded known divergences")?,
                    EMBEDDED_KNOWN.to_owned(),
                ),
            };
            let curated = match &args.spec {
                Some(spec) => load::load(spec, timeout).await?,
                None => load::parse(EMBEDDED_SPEC, crate::contract::SPEC.as_bytes())?,
            };
            let upstream = load::load(upstream, timeout).await?;
            let (curated_api, upstream_api) =
                (curated.to_model(release)?, upstream.to_model(release)?);
            // Curated is OLD and upstream NEW, so each difference reads as what upstream did
            // relative to what we describe, and its severity is what that would do to a client
            // written against the curated spec.
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
            outcome
        }
        (None, Some(old), Some(new)) => {
            let old = load::load(old, timeout).await?;
            let new = load::load(new, timeout).await?;
            let (old_api, new_api) = (old.to_model(release)?, new.to_model(release)?);
            outcome(
                Mode::Versions,
                ("old", &old, &old_api),
                ("new", &new, &new_api),
            )?
        }
        // clap's `sides` group makes OLD NEW or --upstream required.
        _ => bail!("pass --upstream PATH|URL, or OLD and NEW; see `conformance diff --help`"),
    };

    let exit = verdict(&outcome);
    eprint!("{}", report::human(&outcome, args.verbose));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report::json(&outcome, exit as u8))?;
        std::fs::write(path, text + "\n").with_context(|| {
            format!(
                "cannot write the JSON report to {}; check --json",
                path.display()
            )
        })?;
    }
    Ok(exit)
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
            eprintln!(
                "warning: {} describes no operation under {}; is it the right document?",
                doc.source,
                model::SCOPE
            );
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
fn verdict(outcome: &Outcome) -> Exit {
    let act = match outcome.mode {
        Mode::Upstream => outcome.new_drift().next().is_some() || !outcome.stale.is_empty(),
        Mode::Versions => outcome
            .findings
            .iter()
            .any(|f| f.severity == classify::Severity::Breaking),
    };
    if act { Exit::Changes } else { Exit::Success }
}
