//! The requests of one run on one target: builds one client per credential (one connection
//! pool), runs the list beside the cases that need nothing from it, plans from the list, runs
//! every read-only case at once (a bounded number in flight), then each provider's DELETEs in
//! order (providers at once), then (when asked) the device flow; its children are the agent
//! route's and the device flow's steps. Produces observations; judges nothing, and names no
//! command-line flag. The pipeline runs it (and each scene's) under the run's hard limit.

pub mod agent_flow;
pub mod device_flow;

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coder_external_auth::capture::Capture;
use coder_external_auth::types::{ExternalAuthDeviceExchange, Response};
use coder_external_auth::{
    AgentToken, BuildError, Client, ClientBuilder, Error, Operation, ResponseValue, SessionToken,
};
use progenitor_client::ClientInfo;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cases::{
    AgentQuery, Call, Case, Credentials, MALFORMED_TOKEN, PlanInput, PostBody, UNKNOWN_AGENT_TOKEN,
    UNKNOWN_TOKEN, independent_cases, list_case, mutating_plan, read_only_plan,
};
use crate::observation::{Decode, Observation, Received, Unanswered};
use crate::options::RunOptions;
use crate::policy::{DeviceFlow, Policy};
use crate::releases::{Release, TooOld};
use crate::secrets::Secrets;
use crate::target::Target;
use device_flow::Approval;

/// Largest body a case reads: far above any real answer, far below a hostile one.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Requests in flight at once: a few browsers' worth per host, not one per listed provider.
/// Large enough that the read-only cases after the list of a two-provider deployment with an
/// agent token and a template version (17, measured against a real 2.36.1) go in one round
/// trip.
pub const MAX_CONCURRENT_REQUESTS: usize = 24;
/// The header every Coder response carries its version in.
const BUILD_VERSION_HEADER: &str = "x-coder-build-version";
/// Extra time over the request timeout before a case is abandoned outright.
const GRACE: Duration = Duration::from_secs(2);
/// Attempts per case, the first included, when a retry can help (a 429, a gateway error or a
/// broken connection on a GET).
pub const MAX_ATTEMPTS: u32 = 3;
/// Longest wait a server's `Retry-After` can impose before a retry.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// First backoff after a gateway error or a broken connection; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// What a slow list may take per linked token before the report calls it slower than
/// expected: Coder 2.34+ retries each token's refresh for up to about 10 s.
pub const LIST_BUDGET_PER_LINK: Duration = Duration::from_secs(10);

/// Why a run could not go ahead.
#[derive(Debug)]
pub enum RunError {
    /// Not even the list got an answer; the transport error, and whether it is about the
    /// server's certificate.
    Unreachable { error: String, certificate: bool },
    /// A provider allowed for DELETE is not one the target lists.
    NotListed { wanted: String, listed: Vec<String> },
    /// No request got any answer.
    NoAnswer,
    /// The release is older than any this tool checks.
    TooOld(TooOld),
    /// Something answered, but nothing says it is Coder: no `X-Coder-Build-Version` on any
    /// answer, and `/api/v2/buildinfo` named no release. What the list got, if anything.
    NotCoder(Seen),
    /// Coder answered, but not as its API does at that path (`Route not found.`, or its web
    /// UI's HTML page): the URL's path is not the deployment's root.
    NotApiRoot(Seen),
    /// Coder refused the session token: the list answered 401 or 403.
    TokenRejected(Seen),
}

/// What the list's answer looked like, for a run that stops before judging anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub status: u16,
    pub content_type: Option<String>,
    /// Coder's error envelope `message`, when the body was one.
    pub message: Option<String>,
    /// Its `detail`, when present and not empty.
    pub detail: Option<String>,
}

impl Seen {
    fn of(response: &Received) -> Self {
        let text = |key: &str| {
            response
                .json()
                .and_then(|body| body.get(key))
                .and_then(serde_json::Value::as_str)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        Self {
            status: response.status(),
            content_type: response
                .raw
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            message: text("message"),
            detail: text("detail"),
        }
    }
}

/// Coder's chi router answers every path it has no route for with this message.
const ROUTE_NOT_FOUND: &str = "Route not found.";

/// Something the report says that is not a case result: what was not run, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// No provider was allowed for DELETE.
    DeleteNotAllowed,
    /// The device flow was not asked for.
    DeviceFlowNotRequested,
    /// The device flow was asked for, but no listed provider has one.
    NoDeviceProvider,
    /// The list named more providers (or ids that cannot be requested) than were checked.
    ProvidersNotChecked { listed: usize, checked: usize },
    /// No agent token: the agent route was checked only with made-up credentials.
    AgentTokenNotGiven,
    /// No template version id: only made-up ids were checked.
    TemplateVersionNotGiven,
    /// `listen` was not asked for on a live target.
    AgentListenNotRequested,
    /// `listen` was asked for, but the agent route answered no provider as linked.
    NoLinkedProviderForListen,
    /// The list went unanswered while other cases were answered: those are judged, and the
    /// cases that need the list were not run.
    ListUnanswered,
}

/// Everything a run produced, in the order the cases ran.
pub struct RunOutput {
    pub release: Release,
    pub observations: Vec<Observation>,
    pub notes: Vec<Note>,
}

/// One client per kind of credential, all on one connection pool.
struct Clients {
    session: Client,
    /// The session client with the list's longer budget.
    list: Client,
    missing: Client,
    malformed: Client,
    unknown: Client,
    /// The agent token's client, when the run has one.
    agent: Option<Client>,
    /// The agent client with the `listen` budget.
    agent_listen: Option<Client>,
    unknown_agent: Client,
}

impl Clients {
    fn for_credentials(&self, credentials: Credentials) -> &Client {
        match credentials {
            Credentials::Session => &self.session,
            Credentials::Missing => &self.missing,
            Credentials::Malformed => &self.malformed,
            Credentials::Unknown => &self.unknown,
            // Agent cases are planned only when there is an agent token.
            Credentials::Agent => self.agent.as_ref().unwrap_or(&self.missing),
            Credentials::UnknownAgent => &self.unknown_agent,
        }
    }
}

pub struct Runner {
    clients: Clients,
    options: RunOptions,
    secrets: Secrets,
    policy: Policy,
    in_flight: Semaphore,
}

impl Runner {
    pub fn new(target: &Target, options: RunOptions, secrets: Secrets) -> Result<Self, BuildError> {
        let mut builder = ClientBuilder::new(&target.base_url)
            .timeout(options.timeout)
            .session_token(target.tokens.session.clone());
        if let Some(pem) = &options.ca_pem {
            builder = builder.add_root_certificates_pem(pem)?;
        }
        let session = builder.build()?;
        let other =
            |token: Option<&str>| session.with_session_token(token.map(SessionToken::new).as_ref());
        let agent = target
            .tokens
            .agent
            .as_ref()
            .map(|token| session.with_agent_token(token))
            .transpose()?;
        let clients = Clients {
            list: session.with_timeout(options.list_timeout),
            missing: other(None)?,
            malformed: other(Some(MALFORMED_TOKEN))?,
            unknown: other(Some(UNKNOWN_TOKEN))?,
            agent_listen: agent
                .as_ref()
                .map(|client| client.with_timeout(options.listen_wait)),
            agent,
            unknown_agent: session.with_agent_token(&AgentToken::new(UNKNOWN_AGENT_TOKEN))?,
            session,
        };
        Ok(Self {
            clients,
            policy: target.policy(&options),
            options,
            secrets,
            in_flight: Semaphore::new(MAX_CONCURRENT_REQUESTS),
        })
    }

    /// What this run does on its target, decided when the target was built.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// Whether the run has an agent token (given, or the imitation's).
    pub fn has_agent_token(&self) -> bool {
        self.clients.agent.is_some()
    }

    /// Runs every case. Fails only when the target cannot be used at all.
    pub async fn run(self: Arc<Self>) -> Result<RunOutput, RunError> {
        let mut observations = Vec::new();
        let mut notes = Vec::new();

        let (list, independent) = self.clone().list_beside_independent_cases().await;
        // A list that broke HTTP still shows the target is there: its cases are judged.
        let list = match list {
            Some(list) if answered(&list) => list,
            // A Coder that answered other cases but not the list (it stalled past
            // --list-timeout): what it answered is judged, a breach in it included, and the
            // list is reported as incomplete; nothing that needs the list can run.
            Some(list)
                if independent
                    .iter()
                    .any(|seen| answered(seen) && build_version(seen).is_some()) =>
            {
                return self.without_the_list(list, independent);
            }
            _ => {
                let error = independent
                    .iter()
                    .find_map(|observation| observation.unanswered.as_ref())
                    .map_or_else(|| "no response".to_owned(), ToString::to_string);
                // rustls says "invalid peer certificate: UnknownIssuer" and the like.
                let certificate = error.contains("certificate");
                return Err(RunError::Unreachable { error, certificate });
            }
        };
        // Before anything is judged: is this Coder, and did it accept the token? Neither a
        // web server that is not Coder nor a rejected token is a breach of the contract.
        let header = build_version(&list).or_else(|| independent.iter().find_map(build_version));
        let build_info = match header {
            Some(_) => None,
            None => self.build_info_version().await,
        };
        preflight(header.is_some() || build_info.is_some(), &list)?;
        let build_version = header.or(build_info);
        let release = self.release(build_version.as_deref())?;
        let mut input = PlanInput::from_list(
            release.clone(),
            list.json_with_status(200)
                .unwrap_or(&serde_json::Value::Null),
            self.options.allow_delete.clone(),
        );
        observations.push(list);
        observations.extend(independent);
        self.check_allow_delete(&input)?;
        // Who will approve the device code, known before anything else runs. Without a
        // terminal to show the code on, the flow still runs: a target may approve by itself
        // (the imitation, an identity provider made for tests); otherwise its deadline ends it.
        let approval = match (
            self.policy.device_flow == DeviceFlow::Live,
            input.device_provider(),
        ) {
            (true, Some(_)) => device_flow::approval(&self, build_version.as_deref()).await,
            _ => Approval::Person,
        };
        if input.providers.len() < input.listed {
            notes.push(Note::ProvidersNotChecked {
                listed: input.listed,
                checked: input.providers.len(),
            });
        }
        if self.policy.delete_every_link {
            // Nothing real changes on the imitation: delete every link it starts with.
            input.allow_delete = input
                .providers
                .iter()
                .filter(|provider| provider.linked)
                .map(|provider| provider.id.clone())
                .collect();
        }

        let (agent_cases, agent_notes) = agent_flow::read_only_cases(&self, &input);
        notes.extend(agent_notes);
        let mut read_only = read_only_plan(&input);
        read_only.extend(agent_cases);
        let read_only = self.clone().execute_concurrently(read_only).await;
        match agent_flow::listen(&self, &read_only).await {
            Ok(listen) => observations.extend(read_only.into_iter().chain(listen)),
            Err(note) => {
                notes.push(note);
                observations.extend(read_only);
            }
        }
        let deletes = mutating_plan(&input);
        if deletes.is_empty() && self.policy.note_opt_ins {
            notes.push(Note::DeleteNotAllowed);
        }
        observations.extend(self.clone().execute_sequences(deletes).await);
        match (
            self.policy.device_flow != DeviceFlow::Off,
            input.device_provider(),
        ) {
            (false, _) => notes.push(Note::DeviceFlowNotRequested),
            (true, None) => notes.push(Note::NoDeviceProvider),
            (true, Some(provider)) => {
                observations.extend(device_flow::run(&self, &provider.id, &approval).await);
            }
        }

        if !observations.iter().any(answered) {
            return Err(RunError::NoAnswer);
        }
        Ok(RunOutput {
            release,
            observations,
            notes,
        })
    }

    /// The release the run checks against: `--coder-version`, else what the target reported.
    fn release(&self, build_version: Option<&str>) -> Result<Release, RunError> {
        Release::resolve(
            crate::curated::spec(),
            self.options.coder_version,
            build_version,
        )
        .map_err(RunError::TooOld)
    }

    /// The output of a run whose list went unanswered while other cases were answered.
    fn without_the_list(
        &self,
        list: Observation,
        independent: Vec<Observation>,
    ) -> Result<RunOutput, RunError> {
        let build_version = independent.iter().find_map(build_version);
        let release = self.release(build_version.as_deref())?;
        let mut observations = vec![list];
        observations.extend(independent);
        Ok(RunOutput {
            release,
            observations,
            notes: vec![Note::ListUnanswered],
        })
    }

    /// `version` from `/api/v2/buildinfo` (no token needed), if the target says; read through
    /// the same capped, timed capture as every case.
    async fn build_info_version(&self) -> Option<String> {
        let info = self.get_json("/api/v2/buildinfo").await?;
        info.get("version")?.as_str().map(str::to_owned)
    }

    /// The JSON a 2xx answers to a GET of `path` (under the base URL) without credentials,
    /// read through the same capped, timed capture as every case; `None` for anything else.
    pub async fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        let capture = Capture::recording(BODY_LIMIT).with_body_timeout(self.options.timeout);
        let client = self.clients.missing.with_capture(capture.clone());
        let url = format!("{}{path}", client.baseurl());
        let request = client.client().get(url).build().ok()?;
        client.execute_raw(request, None).await.ok()?;
        let raw = capture.take().pop()?;
        if !raw.status.is_success() || raw.truncated || raw.body_error.is_some() {
            return None;
        }
        serde_json::from_slice(&raw.body).ok()
    }

    /// The base URL every request goes under.
    pub fn base_url(&self) -> &str {
        self.clients.missing.baseurl()
    }

    /// The list, with the cases that need nothing from it at the same time. The list may
    /// take long (Coder refreshes every linked token first); when every other case has gone
    /// unanswered meanwhile, the target is not answering at all, and the list is not awaited
    /// to the end of its budget.
    async fn list_beside_independent_cases(
        self: Arc<Self>,
    ) -> (Option<Observation>, Vec<Observation>) {
        let list = self.execute(list_case());
        let independent = self.clone().execute_concurrently(independent_cases());
        tokio::pin!(list, independent);
        tokio::select! {
            list = &mut list => (Some(list), independent.await),
            independent = &mut independent => {
                if !independent.iter().any(answered) {
                    (None, independent)
                } else {
                    (Some(list.await), independent)
                }
            }
        }
    }

    /// A live target's allowed deletes must name providers it lists: a typo must not
    /// silently turn a destructive run into a read-only one, nor the reverse.
    fn check_allow_delete(&self, input: &PlanInput) -> Result<(), RunError> {
        let listed = || input.providers.iter().map(|p| p.id.clone()).collect();
        match self
            .options
            .allow_delete
            .iter()
            .find(|wanted| !input.providers.iter().any(|p| &p.id == *wanted))
        {
            Some(wanted) => Err(RunError::NotListed {
                wanted: wanted.clone(),
                listed: listed(),
            }),
            None => Ok(()),
        }
    }

    /// Runs independent cases at once, at most [`MAX_CONCURRENT_REQUESTS`] in flight, and
    /// returns their observations in plan order.
    pub async fn execute_concurrently(self: Arc<Self>, cases: Vec<Case>) -> Vec<Observation> {
        self.execute_sequences(cases.into_iter().map(|case| vec![case]).collect())
            .await
    }

    /// Runs independent sequences at once (at most [`MAX_CONCURRENT_REQUESTS`] in flight),
    /// each sequence's cases in order, and returns the observations in plan order.
    async fn execute_sequences(self: Arc<Self>, sequences: Vec<Vec<Case>>) -> Vec<Observation> {
        let mut tasks = JoinSet::new();
        for (index, sequence) in sequences.into_iter().enumerate() {
            let runner = self.clone();
            tasks.spawn(async move {
                // The semaphore is never closed, so a permit always comes.
                let _permit = runner.in_flight.acquire().await.ok();
                let mut observations = Vec::with_capacity(sequence.len());
                for case in sequence {
                    observations.push(runner.execute(case).await);
                }
                (index, observations)
            });
        }
        let mut done = tasks.join_all().await;
        done.sort_by_key(|(index, _)| *index);
        done.into_iter()
            .flat_map(|(_, observations)| observations)
            .collect()
    }

    /// Sends one case's request, retrying where a retry can help (bounded), and records
    /// what came back.
    pub async fn execute(&self, case: Case) -> Observation {
        let mut retries = Vec::new();
        let mut attempt = 1;
        loop {
            let mut observation = self.attempt(case.clone()).await;
            match retry_wait(&observation, attempt) {
                Some((why, wait)) if self.policy.retries => {
                    retries.push(format!(
                        "attempt {attempt}: {why}; retried after {:.2} s",
                        wait.as_secs_f64()
                    ));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => {
                    observation.retries = retries;
                    self.warn_if_slow(&mut observation);
                    return observation;
                }
            }
        }
    }

    /// A list slower than the per-request budget is worth a warning, never a failure: Coder
    /// refreshes every linked token before it answers.
    fn warn_if_slow(&self, observation: &mut Observation) {
        let the_list = is_session_list(&observation.case) && observation.response.is_some();
        if !the_list || observation.elapsed <= self.options.timeout {
            return;
        }
        let links = observation
            .json_with_status(200)
            .and_then(|body| body["links"].as_array())
            .map_or(0, Vec::len);
        let expected = self.options.timeout.saturating_add(
            LIST_BUDGET_PER_LINK.saturating_mul(u32::try_from(links).unwrap_or(u32::MAX)),
        );
        let seconds = observation.elapsed.as_secs_f64();
        observation.warnings.push(if observation.elapsed <= expected {
            format!(
                "slow: answered in {seconds:.1} s, within the budget of {:.0} s for {links} linked token(s) \
                 (Coder refreshes each before answering)",
                expected.as_secs_f64()
            )
        } else {
            format!(
                "slow: answered in {seconds:.1} s, beyond the {:.0} s expected for {links} linked token(s)",
                expected.as_secs_f64()
            )
        });
    }

    /// One attempt at a case.
    async fn attempt(&self, case: Case) -> Observation {
        let started = Instant::now();
        let capture = Capture::recording(BODY_LIMIT).with_body_timeout(self.options.timeout);
        let is_list = is_session_list(&case);
        let is_listen = matches!(&case.call, Call::Agent { query, .. } if query.listen);
        let (client, timeout) = if is_list {
            (&self.clients.list, self.options.list_timeout)
        } else if let (true, Some(client)) = (is_listen, &self.clients.agent_listen) {
            (client, self.options.listen_wait)
        } else {
            (
                self.clients.for_credentials(case.credentials),
                self.options.timeout,
            )
        };
        let client = client.with_capture(capture.clone());
        let budget = timeout.saturating_add(GRACE);
        let sent = tokio::time::timeout(budget, send(&client, &case.call)).await;
        let response = capture.take().pop().map(Received::new);
        let (decode, unanswered) = match sent {
            Ok(Ok(decode)) => (decode, None),
            Ok(Err(unanswered)) => (Decode::NotReached, Some(unanswered)),
            Err(_) => (
                Decode::NotReached,
                Some(Unanswered::NoCompleteResponse(budget)),
            ),
        };
        let decode = match (&decode, &response) {
            (Decode::NotReached, Some(response)) if response.raw.body_error.is_none() => {
                decode_raw(response)
            }
            _ => decode,
        };
        if let Some(body) = response.as_ref().and_then(Received::json) {
            self.secrets.add_answer(case.operation(), body);
        }
        Observation {
            case,
            response,
            unanswered,
            decode,
            elapsed: started.elapsed(),
            retries: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// The release an answer's `X-Coder-Build-Version` names, if it carries one.
fn build_version(observation: &Observation) -> Option<String> {
    observation
        .response
        .as_ref()?
        .raw
        .headers
        .get(BUILD_VERSION_HEADER)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// Whether the run can judge anything: the target is Coder (`identified`: a build-version
/// header or buildinfo), its list is where Coder's API is, and the token was accepted. A list
/// answered in a way HTTP does not allow (a head over the limit) has no headers to read: it is
/// judged, as the server's fault, whoever the server is.
fn preflight(identified: bool, list: &Observation) -> Result<(), RunError> {
    let Some(response) = &list.response else {
        return Ok(());
    };
    // A gateway standing in for Coder, or a rate limit, says nothing about who is behind it:
    // those cases are incomplete, as they always were.
    if response.unavailable().is_some() {
        return Ok(());
    }
    let seen = Seen::of(response);
    if !identified {
        return Err(RunError::NotCoder(seen));
    }
    let html = seen
        .content_type
        .as_deref()
        .is_some_and(|value| value.trim().to_ascii_lowercase().starts_with("text/html"));
    match seen.status {
        401 | 403 => Err(RunError::TokenRejected(seen)),
        404 if seen.message.as_deref() == Some(ROUTE_NOT_FOUND) => Err(RunError::NotApiRoot(seen)),
        // Coder's web UI answers every path outside its API with its page.
        200..=299 if html => Err(RunError::NotApiRoot(seen)),
        _ => Ok(()),
    }
}

/// The list with the session token: the one request Coder makes wait while it refreshes.
fn is_session_list(case: &Case) -> bool {
    matches!(case.call, Call::List) && case.credentials == Credentials::Session
}

/// Whether the target answered, if only with something HTTP does not allow.
fn answered(observation: &Observation) -> bool {
    observation.response.is_some()
        || matches!(observation.unanswered, Some(Unanswered::Protocol(_)))
}

/// Whether a retry can help this attempt, why, and how long to wait first. A rate limit is
/// retried after its `Retry-After` for any method (nothing was done); a gateway error or a
/// broken connection only for a GET, which is safe to repeat.
fn retry_wait(observation: &Observation, attempt: u32) -> Option<(String, Duration)> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let backoff = FIRST_BACKOFF.saturating_mul(1 << (attempt - 1).min(16));
    let idempotent = observation.case.operation().is_idempotent();
    match &observation.response {
        Some(response) if response.status() == 429 => {
            let wait = response
                .raw
                .headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map_or(Duration::from_secs(1), Duration::from_secs)
                .min(MAX_RETRY_WAIT);
            Some(("rate limited (429)".to_owned(), wait))
        }
        Some(response) if idempotent => {
            if let Some(why) = response.unavailable() {
                Some((why, backoff))
            } else {
                // A body still trickling at the time-out would trickle again: only a broken
                // connection is worth a retry.
                response
                    .raw
                    .body_error
                    .as_ref()
                    .filter(|error| !error.contains("timed out"))
                    .map(|error| (format!("the body broke off: {error}"), backoff))
            }
        }
        None if idempotent => match &observation.unanswered {
            // A certificate problem does not go away by asking again.
            Some(Unanswered::Transport(error)) if !error.contains("certificate") => {
                Some((format!("no answer: {error}"), backoff))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Sends the case's request through the typed client (or, for a body the client cannot
/// express, through `execute_raw`); a transport failure is the `Err`.
async fn send(client: &Client, call: &Call) -> Result<Decode, Unanswered> {
    match call {
        Call::List => through_client(client.get_user_external_auths().await),
        Call::GetById { provider } => {
            through_client(client.get_external_auth_by_id(provider).await)
        }
        Call::Delete { provider } => {
            through_client(client.delete_external_auth_user_link_by_id(provider).await)
        }
        Call::GetDevice { provider } => {
            through_client(client.get_external_auth_device_by_id(provider).await)
        }
        Call::PostDevice {
            provider,
            body: PostBody::Code(code),
        } => {
            let body = ExternalAuthDeviceExchange {
                device_code: code.clone(),
            };
            through_client(
                client
                    .post_external_auth_device_by_id(provider, &body)
                    .await,
            )
        }
        Call::PostDevice {
            provider,
            body: PostBody::Empty,
        } => {
            let url = format!(
                "{}/api/v2/external-auth/{}/device",
                client.baseurl(),
                progenitor_client::encode_path(provider)
            );
            let request = client
                .client()
                .post(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .build()
                .map_err(|err| transport(&err))?;
            client
                .execute_raw(request, Some(Operation::PostExternalAuthDeviceById))
                .await
                .map_err(|err| transport(&err))?;
            // Decoded from the captured bytes by the caller.
            Ok(Decode::NotReached)
        }
        Call::Agent { legacy, query } => {
            let AgentQuery {
                id,
                matching,
                listen,
            } = query;
            let listen = listen.then_some(true);
            let (id, matching) = (id.as_deref(), matching.as_deref());
            if *legacy {
                through_client(
                    client
                        .removed_get_workspace_agent_git_auth(id, listen, matching, None)
                        .await,
                )
            } else {
                through_client(
                    client
                        .get_workspace_agent_external_auth(id, listen, matching, None)
                        .await,
                )
            }
        }
        Call::TemplateVersion { id, user_id } => through_client(
            client
                .get_external_auth_by_template_version(id, user_id.as_deref())
                .await,
        ),
    }
}

fn through_client<T>(
    result: Result<ResponseValue<T>, Error<Response>>,
) -> Result<Decode, Unanswered> {
    match result {
        Ok(_) | Err(Error::ErrorResponse(_)) => Ok(Decode::Decoded),
        Err(Error::InvalidResponsePayload(_, err)) => Ok(Decode::Failed(err.to_string())),
        Err(Error::UnexpectedResponse(_)) => Ok(Decode::Undocumented),
        Err(Error::CommunicationError(err)) | Err(Error::ResponseBodyError(err)) => {
            Err(transport(&err))
        }
        Err(other) => Ok(Decode::Failed(other.to_string())),
    }
}

/// Decodes a body the typed client did not see (the empty-body POST): error statuses
/// through the generated `Response` type, as the client would.
fn decode_raw(response: &Received) -> Decode {
    match response.status() {
        204 => Decode::Decoded,
        400..=599 => match serde_json::from_slice::<Response>(&response.raw.body) {
            Ok(_) => Decode::Decoded,
            Err(err) => Decode::Failed(err.to_string()),
        },
        _ => Decode::Undocumented,
    }
}

/// A transport error, told apart from a time-out (which asking again does not cure) and from
/// an answer HTTP does not allow (which is the server's doing).
fn transport(err: &reqwest::Error) -> Unanswered {
    let chain = error_chain(err);
    if err.is_timeout() {
        Unanswered::TimedOut(chain)
    } else if chain.contains(OVERSIZED_HEAD) {
        Unanswered::Protocol(chain)
    } else {
        Unanswered::Transport(chain)
    }
}

/// How hyper says a server's response head broke its size limit.
const OVERSIZED_HEAD: &str = "message head is too large";

/// The error and its causes, `: `-joined, without repeating a cause already in the text.
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
