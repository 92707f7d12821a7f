//! `conformance serve`: the embedded imitation in the foreground, for other tools, tests in
//! any language (through its control API) and trying the API by hand.

use std::io::Write;

use anyhow::{Context, bail};
use coder_external_auth::imitation::{Imitation, ImitationBuilder};

use crate::cli::ServeArgs;
use crate::exit::Exit;
use crate::releases::OLDEST_SUPPORTED;

/// Largest `serve --config` file: a configuration is a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

pub async fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    let shutdown = Shutdown::install().context("cannot install the Ctrl-C and SIGTERM handlers")?;
    let mut builder = match &args.config {
        Some(path) => {
            let text = crate::files::read_text(
                path,
                &format!("--config {}", path.display()),
                MAX_CONFIG_BYTES,
            )?;
            ImitationBuilder::new().config_json(&text).with_context(|| {
                format!(
                    "--config {}: not a valid imitation configuration (see the README, \"The imitation from any language\")",
                    path.display()
                )
            })?
        }
        None => Imitation::builder(),
    };
    if let Some(polls) = args.device_auto_approve_after {
        builder = builder.auto_approve_after(polls);
    }
    if let Some(version) = args.coder_version {
        if version < OLDEST_SUPPORTED {
            bail!(
                "--coder-version {version}: the imitation imitates Coder {OLDEST_SUPPORTED} and later"
            );
        }
        builder = builder.coder_version(version);
    }
    let control = !args.no_control;
    if control && !args.addr.ip().is_loopback() {
        crate::console::err_line(&format!(
            "{:>12} the control API: --addr {} is not a loopback address, and the API takes no credentials",
            "Skipping", args.addr
        ));
    }
    let server = builder
        .http_control(control)
        .start_on(args.addr)
        .await
        .with_context(|| format!("--addr {}: cannot listen there", args.addr))?;
    // The lines other tools read; the token is the imitation's own throwaway one. One write,
    // so a reader that takes the lines it needs and closes the pipe cannot cut it short; a
    // closed stdout then stops nothing, since the server is what the reader came for.
    let mut lines = format!(
        "CODER_URL={}\nCODER_SESSION_TOKEN={}\n",
        server.base_url(),
        server.session_token().expose()
    );
    if let Some(url) = server.control_url() {
        lines.push_str(&format!("IMITATION_CONTROL_URL={url}\n"));
    }
    // Last, so readers of the first lines are unaffected.
    lines.push_str(&format!(
        "CODER_AGENT_TOKEN={}\n",
        server.agent_token().expose()
    ));
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(lines.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the URL and token to stdout")?,
    }
    drop(stdout);
    crate::console::err_line(&format!(
        "{:>12} the embedded imitation of Coder {} on {}; Ctrl-C stops it",
        "Serving",
        server.coder_version(),
        server.base_url()
    ));
    shutdown.wait().await;
    server.shutdown().await;
    crate::console::err_line(&format!("{:>12} the embedded imitation", "Stopped"));
    Ok(Exit::Success)
}

/// Ctrl-C or SIGTERM, registered before the server starts: registering lazily, on the first
/// wait, could fail once a flood of connections has used up the descriptors, and a failed
/// registration would read as a signal.
pub struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    pub async fn wait(self) {
        #[cfg(unix)]
        {
            let Self {
                mut interrupt,
                mut terminate,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            // Without a handler, wait forever rather than stop at once.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
