//! The tokens Coder authenticates with, as types that cannot be printed by accident.

use std::fmt;

/// A secret string type: `Debug` prints `Name(***)` and `Display` prints `***`, so the secret
/// never reaches a log, a report or a panic message through formatting; `expose` reads it.
macro_rules! secret_token {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a token, as given: the server is the judge of its form.
            pub fn new(token: impl Into<String>) -> Self {
                Self(token.into())
            }

            /// The secret itself, for the one place that must send it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(token: String) -> Self {
                Self(token)
            }
        }

        impl From<&str> for $name {
            fn from(token: &str) -> Self {
                Self(token.to_owned())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("***")
            }
        }
    };
}

secret_token! {
    /// A Coder session token (`<10-char id>-<22-char secret>`).
    ///
    /// `Debug` and `Display` print `SessionToken(***)` and `***`. Read it with
    /// [`SessionToken::expose`].
    SessionToken
}

secret_token! {
    /// A workspace agent token: the UUID Coder issues to an agent at build time (its
    /// `CODER_AGENT_TOKEN`). It acts as the workspace owner on the agent routes, so it is as
    /// secret as a session token. Coder refuses anything that is not a UUID with 401 `Workspace
    /// agent token invalid.`; that is the server's verdict to observe, so none is made here.
    ///
    /// `Debug` and `Display` print `AgentToken(***)` and `***`. Read it with
    /// [`AgentToken::expose`].
    AgentToken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_format_their_secret() {
        let secret = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
        let agent = AgentToken::new(secret);
        assert_eq!(format!("{agent}"), "***");
        assert_eq!(format!("{agent:?}"), "AgentToken(***)");
        assert_eq!(
            format!("{:#?}", Some(&agent)),
            "Some(\n    AgentToken(***),\n)"
        );
        assert_eq!(agent.expose(), secret);
        let session = SessionToken::new("abcdefghij-0123456789abcdefghijkl");
        assert!(!format!("{session:?} {session}").contains("abcdefghij"));
        assert_eq!(format!("{session:?}"), "SessionToken(***)");
    }
}
