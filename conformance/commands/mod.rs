//! One module per subcommand: each turns parsed arguments into an exit status.

pub mod check;
pub mod diff;
pub mod list;
pub mod serve;
pub mod spec;
