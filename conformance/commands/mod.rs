//! One module per subcommand: each turns parsed arguments into an exit status.

pub mod check;
pub mod diff;
pub mod har;
pub mod list;
pub mod proxy;
pub mod serve;
pub mod spec;
