//! `conformance list`: the operations, their cases' variants, and which have an accepted
//! snapshot; then any snapshot file no variant references.

use anyhow::bail;

use coder_external_auth::CoderVersion;

use crate::cases::CATALOG;
use crate::contract::Contract;
use crate::exit::Exit;
use crate::report::Coverage;
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
    // The catalog's coverage table: what each variant needs, and which variants answer each
    // status the newest contract documents.
    let contract = Contract::load(CoderVersion::NEWEST_KNOWN)?;
    let coverage = Coverage::of(&[], &contract);
    for (entry, covered) in CATALOG.iter().zip(&coverage.operations) {
        crate::console::out_line(&entry.operation.to_string());
        for (variant, produced_by) in entry.variants {
            let has_snapshot = accepted.has(entry.operation, variant);
            missing += usize::from(!has_snapshot);
            crate::console::out_line(&format!(
                "  {:<9} {variant:<42} {produced_by}",
                if has_snapshot { "accepted" } else { "missing" }
            ));
        }
        for status in &covered.statuses {
            let answered_by = if status.variants.is_empty() {
                status.reason.clone().unwrap_or_default()
            } else {
                status.variants.join(", ")
            };
            crate::console::out_line(&format!("  status    {:<42} {answered_by}", status.status));
        }
    }
    let answerable = coverage
        .operations
        .iter()
        .flat_map(|operation| &operation.statuses)
        .filter(|status| !status.variants.is_empty())
        .count();
    crate::console::err_line(&format!(
        "{:>12} {} variants; {answerable} of {} documented statuses answered by a variant",
        "Coverage", coverage.variants, coverage.statuses
    ));
    let unreferenced = unreferenced(accepted)?;
    for file in &unreferenced {
        crate::console::out_line(&format!("unreferenced {file}"));
    }
    crate::console::err_line(&format!(
        "{:>12} {} operations, {} variants without an accepted snapshot, {} unreferenced snapshot files in {}",
        "Listed",
        CATALOG.len(),
        missing,
        unreferenced.len(),
        accepted.describe()
    ));
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
