//! `conformance check --har FILE`: judges the exchanges recorded in HAR files with the checks
//! of a live run. Every secret in every file is registered before anything is judged.

use std::path::PathBuf;

use anyhow::bail;

use crate::cli::CheckArgs;
use crate::har;
use crate::pipeline::Judgement;
use crate::recorded::Judging;
use crate::secrets::Secrets;
use crate::snapshot::{Accepted, Mode};

/// Judges every contract exchange of the `--har` files, in file order.
pub fn judge(
    args: &CheckArgs,
    accepted: &Accepted,
    mode: Mode,
    secrets: &Secrets,
) -> anyhow::Result<Judgement> {
    let several = args.har.len() > 1;
    let mut exchanges = Vec::new();
    for path in &args.har {
        let prefix = if several {
            format!("{} ", path.display())
        } else {
            String::new()
        };
        exchanges.extend(har::read(path, &prefix)?);
    }
    // A token seen in one entry may be echoed in another: all are secrets before any is judged.
    for exchange in &exchanges {
        exchange.register_secrets(secrets);
    }
    let mut judging = Judging::new(args.coder_version, accepted, mode, secrets)?;
    for exchange in &exchanges {
        judging.judge(exchange)?;
    }
    if judging.judged() == 0 {
        bail!(
            "--har {}: none of its {} entries is a call of the contract's operations \
             (/api/v2/external-auth…, the agent and template-version routes): nothing to judge",
            describe(&args.har),
            exchanges.len()
        );
    }
    let mut judgement = judging.finish(describe(&args.har))?;
    if args.url.is_some() {
        // Often CODER_URL from the environment: the recording is what is judged.
        judgement.notes.push(
            "--url (or CODER_URL) is not used with --har: the recorded exchanges are judged"
                .to_owned(),
        );
    }
    Ok(judgement)
}

/// How reports name the recordings.
pub fn describe(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    format!("HAR {}", names.join(", "))
}
