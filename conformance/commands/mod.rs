//! One module per subcommand: each turns parsed arguments into an exit status.

pub mod check;
pub mod list;
pub mod serve;
pub mod spec;

use std::path::PathBuf;

/// The crate's accepted snapshots, used when `--snapshots` is not given.
pub fn default_snapshot_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"))
}
