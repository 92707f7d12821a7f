//! The only network and async orchestration: builds one client per credential, runs the
//! list, plans from it, runs read-only phases concurrently, then the cases that change state
//! one at a time, then (when asked) the device flow. Produces observations; judges nothing.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use coder_external_auth::capture::{Capture, RawResponse};
use coder_external_auth::types::{ExternalAuthDeviceExchange, Response};
use coder_external_auth::{BuildError, Client, ClientBuilder, Error, ResponseValue};
use progenitor_client::ClientInfo;
use tokio::task::JoinSet;

use crate::cases::{
    Call, Case, Credentials, MALFORMED_TOKEN, PlanInput, PostBody, UNKNOWN_TOKEN,
    device_flow_cases, list_case, mutating_plan, read_only_plan,
};
use crate::secrets::Secrets;
use crate::target::Target;
use crate::tty;

/// Largest body a case reads: far above any real answer, far below a hostile one.
const BODY_LIMIT: usize = 1024 * 1024;
/// Extra time over the request timeout before a case is abandoned outright.
const GRACE: Duration = Duration::from_secs(2);
/// Extra wait RFC 8628 asks for after `slow_down`.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Poll interval when the provider reports none (what Coder's UI does).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub timeout: Duration,
    pub allow_delete: Vec<String>,
    pub device_flow: bool,
    pub device_flow_deadline: Duration,
    pub ca_pem: Option<Vec<u8>>,
}

/// What one case saw.
#[derive(Debug)]
pub struct Observation {
    pub case: Case,
    /// The response as received, when one arrived (even partly).
    pub raw: Option<RawResponse>,
    /// What went wrong in transport: unreachable, TLS, time-out, reset.
    pub transport_error: Option<String>,
    pub decode: Decode,
    pub elapsed: Duration,
}

/// How the body fared through the generated typed client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decode {
    /// Decoded into the operation's success or error type.
    Decoded,
    /// The bytes did not decode: the error.
    Failed(String),
    /// The status is not one the spec declares, so the client had no type for it.
    Undocumented,
    /// No response to decode.
    NotReached,
}

/// Everything a run produced, in the order the cases ran.
pub struct RunOutput {
    pub observations: Vec<Observation>,
    /// Things the report should say that are not case results (what was not run and why).
    pub notes: Vec<String>,
}

/// One client per kind of credential, sharing the target's base URL and timeouts.
struct Clients {
    session: Client,
    missing: Client,
    malformed: Client,
    unknown: Client,
}

impl Clients {
    fn for_credentials(&self, credentials: Credentials) -> &Client {
        match credentials {
            Credentials::Session => &self.session,
            Credentials::Missing => &self.missing,
            Credentials::Malformed => &self.malformed,
            Credentials::Unknown => &self.unknown,
        }
    }
}

pub struct Runner {
    clients: Clients,
    options: RunOptions,
    secrets: Secrets,
    imitation: bool,
}

impl Runner {
    pub fn new(target: &Target, options: RunOptions, secrets: Secrets) -> anyhow::Result<Self> {
        let build = |token: Option<&str>| -> anyhow::Result<Client> {
            let mut builder = ClientBuilder::new(&target.base_url).timeout(options.timeout);
            if let Some(token) = token {
                builder = builder.session_token(token);
            }
            if let Some(pem) = &options.ca_pem {
                builder = builder
                    .add_root_certificates_pem(pem)
                    .context("--ca-cert")?;
            }
            // Name the flag that holds the bad value.
            builder.build().map_err(|err| match err {
                BuildError::InvalidToken => anyhow::Error::new(err).context("--token"),
                BuildError::InvalidBaseUrl { .. } | BuildError::TlsDisabled { .. } => {
                    anyhow::Error::new(err).context("--url")
                }
                other => other.into(),
            })
        };
        let clients = Clients {
            session: build(Some(target.token.expose()))?,
            missing: build(None)?,
            malformed: build(Some(MALFORMED_TOKEN))?,
            unknown: build(Some(UNKNOWN_TOKEN))?,
        };
        Ok(Self {
            clients,
            options,
            secrets,
            imitation: target.is_imitation(),
        })
    }

    /// Runs every case. Fails only when the target cannot be used at all.
    pub async fn run(self: Arc<Self>) -> anyhow::Result<RunOutput> {
        let mut observations = Vec::new();
        let mut notes = Vec::new();

        let list = self.execute(list_case()).await;
        if list.raw.is_none() {
            let error = list.transport_error.as_deref().unwrap_or("no response");
            // rustls says "invalid peer certificate: UnknownIssuer" and the like.
            let hint = match (error.contains("certificate"), &self.options.ca_pem) {
                (false, _) => "",
                (true, None) => {
                    "; if a private CA issued the target's certificate, pass it with --ca-cert PEM"
                }
                (true, Some(_)) => "; the CA given with --ca-cert did not vouch for it either",
            };
            bail!("cannot reach the target: {error}{hint}");
        }
        let list_body = list
            .raw
            .as_ref()
            .filter(|raw| raw.status == 200)
            .and_then(|raw| serde_json::from_slice(&raw.body).ok())
            .unwrap_or(serde_json::Value::Null);
        observations.push(list);

        let mut input = PlanInput::from_list(&list_body, self.options.allow_delete.clone());
        self.check_allow_delete(&input)?;
        if self.imitation {
            // Nothing real changes on the imitation: delete every link it starts with.
            input.allow_delete = input
                .providers
                .iter()
                .filter(|provider| provider.linked)
                .map(|provider| provider.id.clone())
                .collect();
        }

        for phase in read_only_plan(&input) {
            observations.extend(self.clone().execute_concurrently(phase).await);
        }
        let deletes = mutating_plan(&input);
        if deletes.is_empty() && !self.imitation {
            notes.push("DELETE not run: name a provider with --allow-delete to run it".into());
        }
        for case in deletes {
            observations.push(self.execute(case).await);
        }
        match (
            self.options.device_flow || self.imitation,
            input.device_provider(),
        ) {
            (false, _) => notes.push("device flow not run: pass --device-flow to run it".into()),
            (true, None) => {
                notes.push("device flow not run: the target lists no device provider".into())
            }
            (true, Some(provider)) => {
                observations.extend(self.device_flow(&provider.id.clone()).await);
            }
        }

        if observations
            .iter()
            .all(|observation| observation.raw.is_none())
        {
            bail!("the target answered no request");
        }
        Ok(RunOutput {
            observations,
            notes,
        })
    }

    /// A live target's `--allow-delete` must name providers it lists: a typo must not
    /// silently turn a destructive run into a read-only one, nor the reverse.
    fn check_allow_delete(&self, input: &PlanInput) -> anyhow::Result<()> {
        for wanted in &self.options.allow_delete {
            if !input
                .providers
                .iter()
                .any(|provider| &provider.id == wanted)
            {
                let listed: Vec<&str> = input.providers.iter().map(|p| p.id.as_str()).collect();
                bail!(
                    "--allow-delete {wanted}: the target lists no such provider (it lists: {})",
                    if listed.is_empty() {
                        "none".to_owned()
                    } else {
                        listed.join(", ")
                    }
                );
            }
        }
        Ok(())
    }

    async fn execute_concurrently(self: Arc<Self>, cases: Vec<Case>) -> Vec<Observation> {
        let mut tasks = JoinSet::new();
        for (index, case) in cases.into_iter().enumerate() {
            let runner = self.clone();
            tasks.spawn(async move { (index, runner.execute(case).await) });
        }
        let mut done: Vec<(usize, Observation)> = tasks.join_all().await.into_iter().collect();
        done.sort_by_key(|(index, _)| *index);
        done.into_iter()
            .map(|(_, observation)| observation)
            .collect()
    }

    /// Sends one case's request and records what came back.
    async fn execute(&self, case: Case) -> Observation {
        let started = Instant::now();
        let capture = Capture::recording(BODY_LIMIT);
        let client = self
            .clients
            .for_credentials(case.credentials)
            .with_capture(capture.clone());
        let sent = tokio::time::timeout(
            self.options.timeout + GRACE,
            send(&client, &capture, &case.call),
        )
        .await;
        let mut raw = capture.take().pop();
        let (decode, transport_error) = match sent {
            Ok(Ok(decode)) => (decode, None),
            Ok(Err(transport)) => (Decode::NotReached, Some(transport)),
            Err(_) => (
                Decode::NotReached,
                Some(format!(
                    "no complete response within {:.1} s",
                    (self.options.timeout + GRACE).as_secs_f64()
                )),
            ),
        };
        let decode = match (&decode, &mut raw) {
            (Decode::NotReached, Some(raw)) if raw.body_error.is_none() => decode_raw(raw),
            _ => decode,
        };
        if let (Call::GetDevice { .. }, Some(raw)) = (&case.call, &raw) {
            self.remember_device_codes(raw);
        }
        Observation {
            case,
            raw,
            transport_error,
            decode,
            elapsed: started.elapsed(),
        }
    }

    /// Device and user codes are secrets from the moment the server hands them out.
    fn remember_device_codes(&self, raw: &RawResponse) {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&raw.body) else {
            return;
        };
        for key in ["device_code", "user_code"] {
            if let Some(code) = body[key].as_str() {
                self.secrets.add(code);
            }
        }
    }

    /// The device flow: start, show the code (live only), poll until approved, then check
    /// the provider's status and the list show the link.
    async fn device_flow(&self, provider: &str) -> Vec<Observation> {
        let template = device_flow_cases(provider, "");
        let start = self.execute(template.start).await;
        let device = start
            .raw
            .as_ref()
            .filter(|raw| raw.status == 200)
            .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw.body).ok());
        let mut observations = vec![start];
        let Some(device) = device else {
            return observations;
        };
        let field = |name: &str| device[name].as_str().unwrap_or_default().to_owned();
        let (device_code, user_code) = (field("device_code"), field("user_code"));
        if !self.imitation
            && let Err(err) = tty::show_user_code(&field("verification_uri"), &user_code)
        {
            // Nothing is sent: without the code shown, no one can approve the exchange.
            let mut failed = poll_placeholder(&device_flow_cases(provider, &device_code).approved);
            failed.transport_error = Some(format!("cannot show the user code: {err}"));
            observations.push(failed);
            return observations;
        }

        let cases = device_flow_cases(provider, &device_code);
        let mut interval = match device["interval"].as_u64() {
            Some(0) | None => DEFAULT_INTERVAL,
            Some(secs) => Duration::from_secs(secs),
        };
        let deadline = Instant::now() + self.options.device_flow_deadline;
        let mut pending_seen = false;
        let approved = loop {
            let poll = self.execute(cases.pending.clone()).await;
            let detail = poll.raw.as_ref().and_then(|raw| {
                let body: serde_json::Value = serde_json::from_slice(&raw.body).ok()?;
                Some((raw.status.as_u16(), body["detail"].as_str()?.to_owned()))
            });
            let wait = match detail
                .as_ref()
                .map(|(status, detail)| (*status, detail.as_str()))
            {
                Some((400, "authorization_pending")) => {
                    if !pending_seen {
                        pending_seen = true;
                        observations.push(poll);
                    }
                    interval
                }
                Some((400, "slow_down")) => {
                    interval += SLOW_DOWN_STEP;
                    interval + SLOW_DOWN_STEP
                }
                // Anything else ends the flow: judge it as the exchange that should succeed.
                _ => {
                    break Observation {
                        case: cases.approved.clone(),
                        ..poll
                    };
                }
            };
            if Instant::now() + wait > deadline {
                let mut timed_out = poll_placeholder(&cases.approved);
                timed_out.transport_error = Some(format!(
                    "not approved within --device-flow-deadline ({} s)",
                    self.options.device_flow_deadline.as_secs()
                ));
                break timed_out;
            }
            if !self.imitation {
                tty::waiting(deadline.saturating_duration_since(Instant::now()));
                tokio::time::sleep(wait).await;
            }
        };
        let linked = approved.raw.as_ref().is_some_and(|raw| raw.status == 204);
        observations.push(approved);
        if linked {
            observations.push(self.execute(cases.status_after).await);
            observations.push(self.execute(cases.list_after).await);
        }
        observations
    }
}

/// An observation for a case that never got to send its request.
fn poll_placeholder(case: &Case) -> Observation {
    Observation {
        case: case.clone(),
        raw: None,
        transport_error: None,
        decode: Decode::NotReached,
        elapsed: Duration::ZERO,
    }
}

/// Sends the case's request through the typed client (or, for a body the client cannot
/// express, through the same capture); a transport failure is the `Err`.
async fn send(client: &Client, capture: &Capture, call: &Call) -> Result<Decode, String> {
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
                .map_err(|err| error_chain(&err))?;
            capture
                .execute(client.client(), request, "post_external_auth_device_by_id")
                .await
                .map_err(|err| error_chain(&err))?;
            // Decoded from the captured bytes by the caller.
            Ok(Decode::NotReached)
        }
    }
}

fn through_client<T>(result: Result<ResponseValue<T>, Error<Response>>) -> Result<Decode, String> {
    match result {
        Ok(_) | Err(Error::ErrorResponse(_)) => Ok(Decode::Decoded),
        Err(Error::InvalidResponsePayload(_, err)) => Ok(Decode::Failed(err.to_string())),
        Err(Error::UnexpectedResponse(_)) => Ok(Decode::Undocumented),
        Err(Error::CommunicationError(err)) | Err(Error::ResponseBodyError(err)) => {
            Err(error_chain(&err))
        }
        Err(other) => Ok(Decode::Failed(other.to_string())),
    }
}

/// Decodes a body the typed client did not see (the empty-body POST): error statuses
/// through the generated `Response` type, as the client would.
fn decode_raw(raw: &RawResponse) -> Decode {
    match raw.status.as_u16() {
        204 => Decode::Decoded,
        400..=599 => match serde_json::from_slice::<Response>(&raw.body) {
            Ok(_) => Decode::Decoded,
            Err(err) => Decode::Failed(err.to_string()),
        },
        _ => Decode::Undocumented,
    }
}

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
