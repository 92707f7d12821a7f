//! `conformance list`: the operations, their cases' variants, and which have an accepted
//! snapshot; then any snapshot file no variant references.

use std::path::Path;

use anyhow::{Context, bail};

use crate::cases::CATALOG;
use crate::exit::Exit;
use crate::snapshot::SnapshotStore;

pub fn run(snapshot_dir: &Path) -> anyhow::Result<Exit> {
    if !snapshot_dir.is_dir() {
        bail!(
            "--snapshots {}: not a directory of accepted snapshots",
            snapshot_dir.display()
        );
    }
    let mut missing = 0;
    for entry in CATALOG {
        println!("{}", entry.operation);
        for (variant, produced_by) in entry.variants {
            let accepted = SnapshotStore::has(snapshot_dir, entry.operation, variant);
            missing += usize::from(!accepted);
            println!(
                "  {:<9} {variant:<42} {produced_by}",
                if accepted { "accepted" } else { "missing" }
            );
        }
    }
    let unreferenced = unreferenced(snapshot_dir)?;
    for file in &unreferenced {
        println!("unreferenced {file}");
    }
    eprintln!(
        "{:>12} {} operations, {} variants without an accepted snapshot, {} unreferenced snapshot files in {}",
        "Listed",
        CATALOG.len(),
        missing,
        unreferenced.len(),
        snapshot_dir.display()
    );
    Ok(Exit::Success)
}

/// `.snap` files in `dir` that name no catalog variant (left over from a rename, or a typo).
pub fn unreferenced(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("--snapshots {}: cannot read the directory", dir.display()))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".snap") {
            continue;
        }
        let known = SnapshotStore::parse_file_name(&name).is_some_and(|(operation, variant)| {
            CATALOG.iter().any(|entry| {
                entry.operation == operation
                    && entry.variants.iter().any(|(name, _)| *name == variant)
            })
        });
        if !known {
            files.push(name);
        }
    }
    files.sort();
    Ok(files)
}
