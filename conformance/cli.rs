//! The command line, declared with clap's derive API and nothing else.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use coder_external_auth::{AgentToken, CoderVersion, SessionToken};

/// Checks that a Coder deployment honours the external-auth API contract.
///
/// With no subcommand, runs `check` against the embedded imitation of Coder.
#[derive(Debug, Parser)]
#[command(name = "conformance", version)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every case against a target and compare response shapes with accepted snapshots.
    Check(CheckArgs),
    /// Run the embedded imitation in the foreground until interrupted.
    Serve(ServeArgs),
    /// List the operations, their cases, and which have accepted snapshots.
    List(ListArgs),
    /// Compare API descriptions: upstream Swagger against the curated spec, or two spec versions.
    Diff(DiffArgs),
    /// Print the curated OpenAPI document this binary embeds, as JSON or YAML, OpenAPI 3.0 or 3.1.
    Spec(SpecArgs),
    /// A reverse proxy in front of a Coder deployment that judges every contract response as
    /// it passes, and reports when stopped (Ctrl-C or SIGTERM).
    Proxy(ProxyArgs),
}

#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Judge the exchanges recorded in this HAR 1.2 file (repeatable; a browser's or a proxy's
    /// export) instead of sending requests: those of the contract's operations, by method and
    /// path; every other entry is counted and ignored. A browser's export holds your session.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["device_flow", "allow_delete", "agent_listen", "template_version"]
    )]
    pub har: Vec<PathBuf>,

    /// Base URL of the Coder deployment; without it the embedded imitation is started and used.
    #[arg(long, env = "CODER_URL", value_name = "URL")]
    pub url: Option<String>,

    /// Session token for the target (never echoed).
    #[arg(
        long,
        env = "CODER_SESSION_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        value_parser = session_token
    )]
    pub token: Option<SessionToken>,

    /// A workspace agent's token (a UUID, the agent's CODER_AGENT_TOKEN; never echoed):
    /// enables the agent-route cases on a live target. The agent acts as its workspace owner,
    /// whose links it reads.
    #[arg(
        long,
        env = "CODER_AGENT_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        value_parser = agent_token
    )]
    pub agent_token: Option<AgentToken>,

    /// A template version id (a UUID) whose external-auth providers are checked on a live
    /// target.
    #[arg(long, value_name = "ID")]
    pub template_version: Option<String>,

    /// Also run the agent route's `listen` long poll on a live target, on a provider the agent
    /// route answered as linked (so it is answered at once; the wait is bounded anyway).
    #[arg(long)]
    pub agent_listen: bool,

    /// How long `--agent-listen` waits for its answer, in seconds (Coder itself never gives
    /// up; a linked provider is answered at once).
    #[arg(long, value_name = "SECS", default_value_t = crate::runner::agent_flow::LISTEN_CLIENT_WAIT.as_secs_f64())]
    pub agent_listen_timeout: f64,

    /// Directory of accepted snapshots [default: the set this binary carries].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// Check against the contract of this Coder release (X.Y.Z) instead of the one the
    /// deployment reports; without --url, imitate that release.
    #[arg(long, value_name = "X.Y.Z")]
    pub coder_version: Option<CoderVersion>,

    /// Allow DELETE of the caller's link to this provider (repeatable). Always allowed against
    /// the embedded imitation; never run against a live target without it.
    #[arg(long = "allow-delete", value_name = "PROVIDER_ID")]
    pub allow_delete: Vec<String>,

    /// Run the whole device flow. Against a live server, shows the user code and verification
    /// URL on the terminal (never on stdout or stderr) and polls until you approve; against the
    /// imitation, approval is automatic.
    #[arg(long)]
    pub device_flow: bool,

    /// Write the observed shapes as the accepted snapshots.
    #[arg(long)]
    pub accept: bool,

    /// Also write a machine-readable report of every case and check to PATH.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Also write a JUnit XML report (one testcase per case) to PATH.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Also write a SARIF 2.1.0 log (one result per finding, for code scanning) to PATH.
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,

    /// Accepted findings (JSON; format in the README, "Living with findings"): the run fails
    /// only on findings no unexpired entry accepts.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write this run's findings to FILE as a starting baseline (each with a reason to fill
    /// in and an expiry date); never over an existing file without --force.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Let --write-baseline replace an existing file.
    #[arg(long, requires = "write_baseline")]
    pub force: bool,

    /// Budget for each request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// Budget for the list, in seconds: Coder refreshes every linked token before it answers
    /// (since 2.34 with retries, up to about 10 s each). A slow answer is a warning.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub list_timeout: f64,

    /// Also trust the CA certificates in this PEM file (for a deployment behind a private CA).
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,

    /// How long `--device-flow` waits for approval on a live server, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub device_flow_deadline: f64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub addr: std::net::SocketAddr,

    /// Do not serve the control API (printed as IMITATION_CONTROL_URL). It is only ever
    /// served on a loopback address.
    #[arg(long)]
    pub no_control: bool,

    /// Providers, links, sessions, rate limit and device settings from this JSON file
    /// (format in the README, "The imitation from any language").
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Approve a pending device authorization on its Nth poll, with no one to approve it.
    #[arg(long, value_name = "N")]
    pub device_auto_approve_after: Option<u32>,

    /// Imitate this Coder release (X.Y.Z, 2.25.0 or later) [default: the newest known]: its
    /// bodies, statuses and X-Coder-Build-Version.
    #[arg(long, value_name = "X.Y.Z")]
    pub coder_version: Option<CoderVersion>,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The Coder deployment to forward to (http://HOST:PORT, optionally with a path prefix).
    #[arg(long, value_name = "URL")]
    pub upstream: String,

    /// Address to listen on (loopback unless you name another).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub addr: std::net::SocketAddr,

    /// Also write the exchanges it judged as a HAR 1.2 file, secrets replaced by ***.
    #[arg(long, value_name = "FILE")]
    pub har_out: Option<PathBuf>,

    /// Judge against the contract of this Coder release (X.Y.Z) instead of the one the
    /// responses' X-Coder-Build-Version names.
    #[arg(long, value_name = "X.Y.Z")]
    pub coder_version: Option<CoderVersion>,

    /// Directory of accepted snapshots [default: the set this binary carries].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// Also write a machine-readable report to PATH when stopped.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Also write a JUnit XML report to PATH when stopped.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Also write a SARIF 2.1.0 log to PATH when stopped.
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Directory of accepted snapshots [default: the set this binary carries].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Serialisation to print.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SpecFormat::Json)]
    pub format: SpecFormat,

    /// OpenAPI version to render the contract as: 3.0 is the curated file byte for byte (in
    /// JSON); 3.1 is the same contract as an OpenAPI 3.1.0 document.
    #[arg(long, value_enum, value_name = "VERSION", default_value_t = OpenApiVersion::V3_0)]
    pub openapi: OpenApiVersion,

    /// Print the contract of this Coder release (X.Y.Z): every field it sends required, every
    /// one it does not send absent. Without it, the curated file, which accepts every
    /// supported release.
    #[arg(long, value_name = "X.Y.Z")]
    pub coder_version: Option<CoderVersion>,
}

/// How `conformance spec` serialises the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SpecFormat {
    Json,
    Yaml,
}

/// The OpenAPI version `conformance spec` renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OpenApiVersion {
    #[value(name = "3.0")]
    V3_0,
    #[value(name = "3.1")]
    V3_1,
}

/// Wraps the token at the edge; it is checked where the header is built, so that a bad one
/// is reported without being echoed (clap's own errors quote the value).
fn session_token(value: &str) -> Result<SessionToken, std::convert::Infallible> {
    Ok(SessionToken::new(value))
}

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

    /// List the known divergences too, grouped by root cause, with every difference each
    /// explains (implies --suggest).
    #[arg(long, short)]
    pub verbose: bool,

    /// With --upstream, a report for Coder's maintainers: each root cause of the known
    /// divergences with its reason, the evidence in Coder's source at the compared release,
    /// and the annotation that would make Coder's Swagger tell the truth.
    #[arg(long, requires = "upstream")]
    pub suggest: bool,

    /// Compare the contract of this Coder release (X.Y.Z) [default: the newest known].
    #[arg(long, value_name = "X.Y.Z")]
    pub coder_version: Option<CoderVersion>,

    /// Budget for fetching a URL, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = crate::diff::DEFAULT_FETCH_TIMEOUT_SECS)]
    pub timeout: f64,
}

/// The agent token, wrapped at the edge like the session token.
fn agent_token(value: &str) -> Result<AgentToken, std::convert::Infallible> {
    Ok(AgentToken::new(value))
}
