//! `conformance serve`: the embedded imitation in the foreground, for other tools and for
//! trying the API by hand.

use std::io::Write;

use anyhow::Context;
use coder_external_auth::imitation::Imitation;

use crate::cli::ServeArgs;
use crate::exit::Exit;

pub async fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    let server = Imitation::builder()
        .start_on(args.addr)
        .await
        .with_context(|| format!("--addr {}: cannot listen there", args.addr))?;
    // The two lines other tools read; this is the imitation's own throwaway token.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "CODER_URL={}", server.base_url())?;
    writeln!(
        stdout,
        "CODER_SESSION_TOKEN={}",
        server.session_token().expose()
    )?;
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
