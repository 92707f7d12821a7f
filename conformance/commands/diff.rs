//! `conformance diff`: turns the flags into a comparison (every error names its flag), prints
//! the human report and writes the JSON one.

use anyhow::bail;
use coder_external_auth::CoderVersion;

use crate::cli::DiffArgs;
use crate::diff;
use crate::exit::Exit;
use crate::report;

pub async fn run(args: &DiffArgs) -> anyhow::Result<Exit> {
    let timeout = crate::seconds::seconds("--timeout", args.timeout)?;
    let outcome = match (&args.upstream, &args.old, &args.new) {
        (Some(upstream), _, _) => {
            diff::compare_upstream(
                upstream,
                args.spec.as_deref(),
                args.known.as_deref(),
                args.coder_version,
                timeout,
            )
            .await?
        }
        (None, Some(old), Some(new)) => {
            let release = args.coder_version.unwrap_or(CoderVersion::NEWEST_KNOWN);
            diff::compare_versions(old, new, release, timeout).await?
        }
        // clap's `sides` group makes OLD NEW or --upstream required.
        _ => bail!("pass --upstream PATH|URL, or OLD and NEW; see `conformance diff --help`"),
    };
    let exit = diff::verdict(&outcome);
    let detail = match (args.verbose, args.suggest) {
        (true, _) => diff::Detail::Everything,
        (false, true) => diff::Detail::RootCauses,
        (false, false) => diff::Detail::Summary,
    };
    crate::console::err(&diff::render_human(&outcome, detail));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&diff::render_json(&outcome, exit.code()))?;
        report::write_file(path, "--json", &(text + "\n"))?;
    }
    Ok(exit)
}
