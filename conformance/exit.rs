//! The documented exit statuses of every subcommand.

use std::process::ExitCode;

/// How a run ended. The numbers are documented in the README; keep them stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Everything conforms and matches (diff: nothing new).
    Success = 0,
    /// Only shape changes: stale or new snapshots (diff: new drift or a breaking change).
    Changes = 1,
    /// The tool could not run: bad flag, unreachable server, unreadable file.
    CouldNotRun = 2,
    /// The server broke the contract.
    ContractBroken = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}
