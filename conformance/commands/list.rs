//! `conformance list`: the operations, their cases' variants, and which have an accepted
//! snapshot.

use std::path::Path;

use crate::cases::CATALOG;
use crate::exit::Exit;
use crate::snapshot::SnapshotStore;

pub fn run(snapshot_dir: &Path) -> anyhow::Result<Exit> {
    let mut missing = 0;
    for entry in CATALOG {
        println!("{}", entry.operation_id);
        for (variant, produced_by) in entry.variants {
            let accepted = SnapshotStore::has(snapshot_dir, entry.operation_id, variant);
            missing += usize::from(!accepted);
            println!(
                "  {:<9} {variant:<42} {produced_by}",
                if accepted { "accepted" } else { "missing" }
            );
        }
    }
    eprintln!(
        "{:>12} {} operations, {} variants without an accepted snapshot in {}",
        "Listed",
        CATALOG.len(),
        missing,
        snapshot_dir.display()
    );
    Ok(Exit::Success)
}
