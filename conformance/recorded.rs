//! Judges recorded exchanges (a HAR file's, or what the proxy passed on) as a live run judges
//! its cases: the release decided once (`--coder-version`, else the first contract answer's
//! `X-Coder-Build-Version`), the same checks, the same snapshot comparison, the same report.

use anyhow::anyhow;
use coder_external_auth::CoderVersion;

use crate::advice::release_notes;
use crate::contract::{Contract, Route, routes};
use crate::exchange::Exchange;
use crate::pipeline::{Judgement, judge_case};
use crate::releases::{OLDEST_SUPPORTED, Release, ReleaseSource};
use crate::report::{CaseReport, RunSubject};
use crate::secrets::Secrets;
use crate::snapshot::{Accepted, Mode, SnapshotStore};

/// The header every Coder response carries its version in.
const BUILD_VERSION_HEADER: &str = "x-coder-build-version";

/// The state of judging a stream of exchanges.
pub struct Judging {
    routes: Vec<Route>,
    given: Option<CoderVersion>,
    /// Decided at the first exchange of the contract.
    decided: Option<(Release, Contract)>,
    store: SnapshotStore,
    secrets: Secrets,
    accepted: Accepted,
    cases: Vec<CaseReport>,
    /// Exchanges that are no call of the contract's operations.
    ignored: usize,
    notes: Vec<String>,
}

impl Judging {
    pub fn new(
        given: Option<CoderVersion>,
        accepted: &Accepted,
        mode: Mode,
        secrets: &Secrets,
    ) -> anyhow::Result<Self> {
        if let Some(version) = given
            && version < OLDEST_SUPPORTED
        {
            anyhow::bail!(
                "--coder-version {version}: older than the oldest release this tool checks ({OLDEST_SUPPORTED})"
            );
        }
        Ok(Self {
            routes: routes(),
            given,
            decided: None,
            store: SnapshotStore::open(accepted.clone(), mode)?,
            secrets: secrets.clone(),
            accepted: accepted.clone(),
            cases: Vec::new(),
            ignored: 0,
            notes: Vec::new(),
        })
    }

    /// Judges `exchange` if it is a call of the contract (its secrets registered first), and
    /// returns its case; counts it as ignored otherwise.
    pub fn judge(&mut self, exchange: &Exchange) -> anyhow::Result<Option<&CaseReport>> {
        exchange.register_secrets(&self.secrets);
        let Some(call) = exchange.call(&self.routes) else {
            self.ignored += 1;
            return Ok(None);
        };
        let said = exchange
            .response
            .as_ref()
            .and_then(|raw| raw.headers.get(BUILD_VERSION_HEADER))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if self.decided.is_none() {
            let release = Release::resolve(crate::curated::spec(), self.given, said.as_deref())
                .map_err(|too_old| {
                    anyhow!(
                        "{}: Coder {} is older than the oldest release this tool checks \
                         ({OLDEST_SUPPORTED}); name another with --coder-version",
                        exchange.origin,
                        too_old.version
                    )
                })?;
            let contract = Contract::load(release.version)?;
            self.decided = Some((release, contract));
        }
        let Some((release, contract)) = &self.decided else {
            unreachable!("decided above");
        };
        if let (ReleaseSource::Detected(first), Some(said)) = (&release.source, &said)
            && said != first
        {
            self.notes.push(format!(
                "{} was answered by Coder {said}, not {first} like the first: judged against \
                 {first}'s contract",
                exchange.origin
            ));
        }
        let (observation, told) = exchange.observe(call, release);
        let case = judge_case(
            &observation,
            contract,
            release,
            &mut self.store,
            &self.secrets,
            told,
        )?;
        self.cases.push(case);
        Ok(self.cases.last())
    }

    /// How many exchanges were judged.
    pub fn judged(&self) -> usize {
        self.cases.len()
    }

    /// What was judged, for the report; `target` names where the exchanges came from.
    pub fn finish(self, target: String) -> anyhow::Result<Judgement> {
        let (release, contract, mut notes) = match self.decided {
            Some((release, contract)) => {
                let notes = release_notes(&release);
                (Some(release), contract, notes)
            }
            None => (
                None,
                Contract::load(self.given.unwrap_or(CoderVersion::NEWEST_KNOWN))?,
                Vec::new(),
            ),
        };
        notes.push(format!(
            "{} exchange(s) judged; {} not of the contract's operations ignored",
            self.cases.len(),
            self.ignored
        ));
        notes.extend(self.notes);
        let subject = RunSubject {
            target,
            coder_version: release.as_ref().map(Release::reported_version),
            contract: release.as_ref().map(|r| r.range.tag()).unwrap_or_default(),
            snapshots: self.accepted.describe(),
        };
        Ok(Judgement {
            cases: self.cases,
            notes,
            subject,
            contract,
            pending: self.store.pending(),
        })
    }
}
