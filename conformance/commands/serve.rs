//! `conformance serve`: the embedded imitation in the foreground, for other tools, tests in
//! any language (through its control API) and trying the API by hand.

use std::io::Write;

use anyhow::Context;
use coder_external_auth::imitation::{Imitation, ImitationBuilder};

use crate::cli::ServeArgs;
use crate::exit::Exit;

pub async fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    let mut builder = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--config {}: cannot read it", path.display()))?;
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
    let control = !args.no_control;
    if control && !args.addr.ip().is_loopback() {
        eprintln!(
            "{:>12} the control API: --addr {} is not a loopback address, and the API takes no credentials",
            "Skipping", args.addr
        );
    }
    let server = builder
        .http_control(control)
        .start_on(args.addr)
        .await
        .with_context(|| format!("--addr {}: cannot listen there", args.addr))?;
    // The lines other tools read; the token is the imitation's own throwaway one.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "CODER_URL={}", server.base_url())?;
    writeln!(
        stdout,
        "CODER_SESSION_TOKEN={}",
        server.session_token().expose()
    )?;
    if let Some(url) = server.control_url() {
        writeln!(stdout, "IMITATION_CONTROL_URL={url}")?;
    }
    stdout.flush()?;
    drop(stdout);
    eprintln!(
        "{:>12} the embedded imitation on {}; Ctrl-C stops it",
        "Serving",
        server.base_url()
    );
    shutdown_signal().await;
    server.shutdown().await;
    eprintln!("{:>12} the embedded imitation", "Stopped");
    Ok(Exit::Success)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("install a SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
