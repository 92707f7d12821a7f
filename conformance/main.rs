//! `conformance`: checks a Coder deployment (or the embedded imitation) against the curated
//! external-auth contract. Thin: parse, run, map to an exit code.

mod advice;
mod bounds;
mod cases;
mod checks;
mod cli;
mod commands;
mod console;
mod contract;
mod curated;
mod diff;
mod exchange;
mod exit;
mod files;
mod har;
mod observation;
mod options;
mod pipeline;
mod policy;
mod proxy;
mod recorded;
mod releases;
mod report;
mod runner;
mod scenes;
mod seconds;
mod secrets;
mod shape_guide;
mod snapshot;
mod strict_json;
mod target;
mod text;
mod tty;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use crate::snapshot::{Accepted, Mode};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    let _ = err.print();
                    ExitCode::SUCCESS
                }
                // Every real parse error means the tool could not run.
                _ => {
                    console::err(&without_arguments(&err.render().to_string()));
                    Exit::CouldNotRun.into()
                }
            };
        }
    };
    let command = cli.command.unwrap_or(Command::Check(cli.check));
    if let Command::Check(args) = &command {
        // Before the runtime starts: insta's settings are process environment.
        // A recording never leaves pending snapshots: only --accept writes from one.
        snapshot::prepare_environment(
            Mode::from_accept_flag(args.accept),
            &accepted(args.snapshots.as_deref()),
            args.har.is_empty(),
        );
    }
    if let Command::Proxy(args) = &command {
        snapshot::prepare_environment(Mode::Check, &accepted(args.snapshots.as_deref()), false);
    }
    // `serve` answers many clients at once: a worker per core. Everything else is one client
    // talking to loopback or the network, which one thread does faster (measured: the
    // embedded check in 9.4 ms instead of 12.6, 15 MB instead of 17, on 2 cores).
    let runtime = match &command {
        Command::Serve(_) | Command::Proxy(_) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            console::err_line(&format!("error: cannot start the async runtime: {err}"));
            return Exit::CouldNotRun.into();
        }
    };
    let outcome = runtime.block_on(async move {
        match command {
            Command::Check(args) => {
                let accepted = accepted(args.snapshots.as_deref());
                let mode = Mode::from_accept_flag(args.accept);
                commands::check::run(args, accepted, mode).await
            }
            Command::Serve(args) => commands::serve::run(args).await,
            Command::List(args) => commands::list::run(&accepted(args.snapshots.as_deref())),
            Command::Diff(args) => commands::diff::run(&args).await,
            Command::Spec(args) => commands::spec::run(&args),
            Command::Proxy(args) => {
                let accepted = accepted(args.snapshots.as_deref());
                commands::proxy::run(args, accepted).await
            }
        }
    });
    let exit = match outcome {
        Ok(exit) => exit,
        Err(err) => {
            console::err_line(&format!("error: {err:#}"));
            Exit::CouldNotRun
        }
    };
    // An output that could not be written (stderr to a full disk) is a run that did not
    // finish its job, whatever it found; a reader closing stdout early is not.
    match console::failure() {
        Some(_) => Exit::CouldNotRun.into(),
        None => exit.into(),
    }
}

/// A parse error with every value from the command line masked: clap quotes what it could not
/// place, and a token pasted as a stray argument (or given to the wrong flag) is still a token.
fn without_arguments(message: &str) -> String {
    let secrets = secrets::Secrets::default();
    for argument in std::env::args().skip(1) {
        let value = match argument.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => value,
            _ if argument.starts_with('-') => continue,
            _ => argument.as_str(),
        };
        secrets.add(value);
    }
    secrets.mask_str(message)
}

/// The accepted snapshots: the directory `--snapshots` names (absolute, as insta resolves
/// relative paths against its workspace root), else the set this binary carries.
fn accepted(dir: Option<&std::path::Path>) -> Accepted {
    match dir {
        Some(dir) => Accepted::Dir(std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())),
        None => Accepted::Embedded,
    }
}
