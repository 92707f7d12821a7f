//! The documented exit statuses of every subcommand.

use std::process::ExitCode;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
        ExitCode::from(exit.code())
    }
}

impl Exit {
    /// The documented number.
    pub fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Self> {
        [
            Exit::Success,
            Exit::Changes,
            Exit::CouldNotRun,
            Exit::ContractBroken,
        ]
        .into_iter()
        .find(|exit| exit.code() == code)
    }
}

/// Reports carry the number, as the process exits with it.
impl Serialize for Exit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for Exit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = u8::deserialize(deserializer)?;
        Exit::from_code(code)
            .ok_or_else(|| serde::de::Error::custom(format!("{code} is not an exit status")))
    }
}
