//! `conformance list`: the operations, their cases' variants, and which have an accepted
//! snapshot; then any snapshot file no variant references.

use anyhow::bail;

use crate::cases::CATALOG;
use crate::exit::Exit;
use crate::snapshot::{Accepted, SnapshotStore};

pub fn run(accepted: &Accepted) -> anyhow::Result<Exit> {
    if let Accepted::Dir(dir) = accepted
        && !dir.is_dir()
    {
        bail!(
            "--snapshots {}: not a directory of accepted snapshots",
            dir.display()
        );
    }
    let mut missing = 0;
    for entry in CATALOG {
        println!("{}", entry.operation);
        for (variant, produced_by) in entry.variants {
            let has_snapshot = accepted.has(entry.operation, variant);
            missing += usize::from(!has_snapshot);
            println!(
                "  {:<9} {variant:<42} {produced_by}",
                if has_snapshot { "accepted" } else { "missing" }
            );
        }
    }
    let unreferenced = unreferenced(accepted)?;
    for file in &unreferenced {
        println!("unreferenced {file}");
    }
    eprintln!(
        "{:>12} {} operations, {} variants without an accepted snapshot, {} unreferenced snapshot files in {}",
        "Listed",
        CATALOG.len(),
        missing,
        unreferenced.len(),
        accepted.describe()
    );
    Ok(Exit::Success)
}

/// `.snap` files that name no catalog variant (left over from a rename, or a typo).
pub fn unreferenced(accepted: &Accepted) -> anyhow::Result<Vec<String>> {
    Ok(accepted
        .files()?
        .into_iter()
        .filter(|name| {
            !SnapshotStore::parse_file_name(name).is_some_and(|(operation, variant)| {
                CATALOG.iter().any(|entry| {
                    entry.operation == operation
                        && entry.variants.iter().any(|(known, _)| *known == variant)
                })
            })
        })
        .collect())
}
