//! `conformance`: checks a Coder deployment (or the embedded imitation) against the curated
//! external-auth contract. Thin: parse, run, map to an exit code.

mod cli;
mod diff;
mod exit;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version itself; every real parse error is "could not run".
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => Exit::CouldNotRun.into(),
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return Exit::CouldNotRun.into();
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Some(Command::Diff(args)) => diff::run(&args).await,
            Some(Command::Check(_)) | Some(Command::Serve(_)) | Some(Command::List(_)) | None => {
                anyhow::bail!("not wired yet")
            }
        }
    });
    match outcome {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Exit::CouldNotRun.into()
        }
    }
}
