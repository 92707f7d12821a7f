//! What a run covered, per operation: each catalog variant and each status the contract
//! documents, seen, not seen, or not reachable on this target (with what would reach it).
//! Pure: from the cases, the catalog, the contract and the compiled-in snapshots.

use coder_external_auth::Operation;
use serde::{Deserialize, Serialize};

use super::{CaseReport, Verdict};
use crate::cases::CATALOG;
use crate::contract::Contract;
use crate::snapshot::embedded_statuses;

/// Whether a run reached a variant or a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// A case answered it.
    Seen,
    /// The target could have answered it, but this run did not get it (a case could not
    /// complete; no case provokes the status).
    NotSeen,
    /// This target cannot answer it without a flag or a deployment state it lacks.
    NotReachable,
}

/// One catalog variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariantCoverage {
    pub variant: String,
    pub coverage: Reach,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One documented status.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusCoverage {
    pub status: u16,
    pub coverage: Reach,
    /// The catalog variants whose accepted answer has this status.
    pub variants: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One operation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OperationCoverage {
    pub operation_id: Operation,
    pub variants: Vec<VariantCoverage>,
    pub statuses: Vec<StatusCoverage>,
}

/// The whole run's coverage, with its totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coverage {
    pub variants_seen: usize,
    pub variants: usize,
    pub statuses_seen: usize,
    pub statuses: usize,
    pub operations: Vec<OperationCoverage>,
}

/// Why no case answers a documented status on a deployment that works.
fn unprovoked(status: u16) -> String {
    let what = match status {
        400 => "a malformed request, which no case sends to this operation",
        401 => "no token or a rejected one, which no case sends to this operation",
        403 => "an authorization Coder refuses (a token without the scope)",
        404 => "an unknown provider or link, which no case asks this operation for",
        429 => "a rate limit",
        500 => "a failure inside Coder",
        _ => "a state no case sets up",
    };
    format!("no case provokes it: it needs {what}")
}

impl Coverage {
    /// The coverage of a run's cases under `contract`.
    pub fn of(cases: &[CaseReport], contract: &Contract) -> Self {
        let mut operations = Vec::new();
        for entry in CATALOG {
            let of_operation: Vec<&CaseReport> = cases
                .iter()
                .filter(|case| case.operation_id == entry.operation)
                .collect();
            let variants: Vec<VariantCoverage> = entry
                .variants
                .iter()
                .map(|(variant, produced_by)| {
                    let ran: Vec<&&CaseReport> = of_operation
                        .iter()
                        .filter(|case| case.variant == *variant)
                        .collect();
                    let (coverage, reason) = if ran
                        .iter()
                        .any(|case| !matches!(case.verdict, Verdict::Skipped | Verdict::Incomplete))
                    {
                        (Reach::Seen, None)
                    } else if let Some(case) =
                        ran.iter().find(|case| case.verdict == Verdict::Incomplete)
                    {
                        (
                            Reach::NotSeen,
                            Some(format!(
                                "could not complete: {}",
                                case.reason.as_deref().unwrap_or("no answer")
                            )),
                        )
                    } else {
                        (Reach::NotReachable, Some((*produced_by).to_owned()))
                    };
                    VariantCoverage {
                        variant: (*variant).to_owned(),
                        coverage,
                        reason,
                    }
                })
                .collect();
            let documented: Vec<u16> = contract
                .operation(entry.operation)
                .map(|spec| spec.responses.keys().copied().collect())
                .unwrap_or_default();
            let statuses = documented
                .into_iter()
                .map(|status| {
                    let answering: Vec<&VariantCoverage> = variants
                        .iter()
                        .filter(|v| {
                            embedded_statuses(entry.operation, &v.variant).contains(&status)
                        })
                        .collect();
                    let seen = of_operation.iter().any(|case| {
                        case.verdict != Verdict::Skipped && case.status == Some(status)
                    });
                    let unreachable: Vec<&&VariantCoverage> = answering
                        .iter()
                        .filter(|v| v.coverage == Reach::NotReachable)
                        .collect();
                    let (coverage, reason) = if seen {
                        (Reach::Seen, None)
                    } else if !answering.is_empty() && unreachable.len() == answering.len() {
                        (
                            Reach::NotReachable,
                            Some(
                                unreachable
                                    .iter()
                                    .map(|v| {
                                        format!(
                                            "{}: {}",
                                            v.variant,
                                            v.reason.as_deref().unwrap_or_default()
                                        )
                                    })
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            ),
                        )
                    } else if answering.is_empty() {
                        (Reach::NotSeen, Some(unprovoked(status)))
                    } else {
                        (
                            Reach::NotSeen,
                            Some(
                                "its variants answered otherwise on this target (their \
                                 accepted answers differ between releases)"
                                    .to_owned(),
                            ),
                        )
                    };
                    StatusCoverage {
                        status,
                        coverage,
                        variants: answering.iter().map(|v| v.variant.clone()).collect(),
                        reason,
                    }
                })
                .collect();
            operations.push(OperationCoverage {
                operation_id: entry.operation,
                variants,
                statuses,
            });
        }
        let count = |seen: bool| -> (usize, usize) {
            let mut variants = (0, 0);
            let mut statuses = (0, 0);
            for operation in &operations {
                for v in &operation.variants {
                    variants.1 += 1;
                    variants.0 += usize::from(v.coverage == Reach::Seen);
                }
                for s in &operation.statuses {
                    statuses.1 += 1;
                    statuses.0 += usize::from(s.coverage == Reach::Seen);
                }
            }
            if seen { variants } else { statuses }
        };
        let (variants_seen, variants) = count(true);
        let (statuses_seen, statuses) = count(false);
        Self {
            variants_seen,
            variants,
            statuses_seen,
            statuses,
            operations,
        }
    }

    /// `31 of 49 variants, 19 of 26 documented statuses`.
    pub fn figure(&self) -> String {
        format!(
            "{} of {} variants, {} of {} documented statuses",
            self.variants_seen, self.variants, self.statuses_seen, self.statuses
        )
    }

    /// What was not covered, one line each: `operation [variant]: not reachable: reason`.
    pub fn gaps(&self) -> Vec<String> {
        let word = |reach: Reach| match reach {
            Reach::Seen => "seen",
            Reach::NotSeen => "not seen",
            Reach::NotReachable => "not reachable",
        };
        let mut out = Vec::new();
        for operation in &self.operations {
            for v in operation
                .variants
                .iter()
                .filter(|v| v.coverage != Reach::Seen)
            {
                out.push(format!(
                    "{} [{}]: {}: {}",
                    operation.operation_id,
                    v.variant,
                    word(v.coverage),
                    v.reason.as_deref().unwrap_or_default()
                ));
            }
        }
        out
    }
}
