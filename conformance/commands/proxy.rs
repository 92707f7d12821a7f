//! `conformance proxy --upstream URL`: the validating proxy in the foreground. Prints
//! `PROXY_URL=…` on stdout, each judged exchange's verdict on stderr as it passes, and when
//! stopped (Ctrl-C or SIGTERM) the report, like `check`'s, and the HAR it was asked for.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;

use crate::cli::ProxyArgs;
use crate::commands::serve::Shutdown;
use crate::exchange::Exchange;
use crate::exit::Exit;
use crate::pipeline;
use crate::proxy::{MAX_PENDING_JUDGEMENTS, Proxy, Upstream};
use crate::recorded::Judging;
use crate::report::{self, Format, Outputs, Verdict};
use crate::secrets::Secrets;
use crate::snapshot::{Accepted, Mode};

/// How long a stop waits for exchanges already answered to reach the judge.
pub const PROXY_DRAIN: Duration = Duration::from_secs(2);
/// Most exchanges kept for `--har-out`; later ones are judged but not written.
pub const MAX_HAR_OUT_ENTRIES: usize = 10_000;

pub async fn run(args: ProxyArgs, accepted: Accepted) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let shutdown = Shutdown::install().context("cannot install the Ctrl-C and SIGTERM handlers")?;
    let upstream = Upstream::parse(&args.upstream)?;
    let mut paths = Vec::new();
    for (flag, path) in [
        ("--json", &args.json),
        ("--junit", &args.junit),
        ("--sarif", &args.sarif),
        ("--har-out", &args.har_out),
    ] {
        if let Some(path) = path {
            paths.push((flag, path.as_path()));
        }
    }
    report::check_distinct(&paths)?;
    let outputs = Outputs::new(
        [
            (Format::Json, &args.json),
            (Format::Junit, &args.junit),
            (Format::Sarif, &args.sarif),
        ]
        .into_iter()
        .filter_map(|(format, path)| path.clone().map(|path| (format, path))),
    );
    let secrets = Secrets::default();
    let mut judging = Judging::new(args.coder_version, &accepted, Mode::Check, &secrets)?;
    let (sender, mut receiver) = mpsc::channel::<Exchange>(MAX_PENDING_JUDGEMENTS);
    let routes = crate::contract::routes();
    let judged = Box::new(move |method: &str, target: &str| {
        let probe = Exchange {
            origin: String::new(),
            method: method.to_owned(),
            url: target.to_owned(),
            request_headers: Vec::new(),
            request_body: None,
            response: None,
            missing: None,
            elapsed: Duration::ZERO,
            started: None,
        };
        probe.call(&routes).is_some()
    });
    let proxy = Proxy::start(args.addr, upstream, judged, sender).await?;
    if !proxy.local_addr.ip().is_loopback() {
        crate::console::err_line(&format!(
            "{:>12} --addr {} is not a loopback address: anyone who can reach it can use the upstream through it",
            "Warning", proxy.local_addr
        ));
    }
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "PROXY_URL=http://{}", proxy.local_addr).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the URL to stdout")?,
    }
    drop(stdout);
    crate::console::err_line(&format!(
        "{:>12} http://{} to {}; Ctrl-C stops it and writes the report",
        "Proxying",
        proxy.local_addr,
        coder_external_auth::redacted_url(&args.upstream)
    ));

    let mut recorded = Vec::new();
    let mut not_recorded = 0usize;
    let mut take = |exchange: Exchange, judging: &mut Judging| -> anyhow::Result<()> {
        if let Some(case) = judging.judge(&exchange)? {
            print_case(case, &secrets);
        }
        if args.har_out.is_some() {
            if recorded.len() < MAX_HAR_OUT_ENTRIES {
                recorded.push(exchange);
            } else {
                not_recorded += 1;
            }
        }
        Ok(())
    };
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            exchange = receiver.recv() => match exchange {
                Some(exchange) => take(exchange, &mut judging)?,
                None => break,
            },
        }
    }
    proxy.stop_accepting();
    // Exchanges whose answer is on its way to the judge are still judged.
    let deadline = Instant::now() + PROXY_DRAIN;
    while Instant::now() < deadline && proxy.in_flight.load(Ordering::SeqCst) > 0 {
        match tokio::time::timeout(Duration::from_millis(50), receiver.recv()).await {
            Ok(Some(exchange)) => take(exchange, &mut judging)?,
            Ok(None) => break,
            Err(_) => {}
        }
    }
    while let Ok(exchange) = receiver.try_recv() {
        take(exchange, &mut judging)?;
    }
    let unfinished = proxy.in_flight.load(Ordering::SeqCst);
    let mut judgement = judging.finish(format!(
        "proxy to {}",
        coder_external_auth::redacted_url(&args.upstream)
    ))?;
    if unfinished > 0 {
        judgement.notes.push(format!(
            "{unfinished} contract exchange(s) were still in flight when the proxy stopped (a \
             `listen` waiting, a body still coming): not judged"
        ));
    }
    if not_recorded > 0 {
        judgement.notes.push(format!(
            "--har-out holds the first {MAX_HAR_OUT_ENTRIES} exchanges; {not_recorded} later ones were judged but not written"
        ));
    }
    let report = pipeline::report(judgement, None, &secrets, started);
    // The HAR first: the JSON report, written last by the outputs, then tells whether it
    // could be written.
    if let Some(path) = &args.har_out {
        let document = crate::har::document(&recorded, &secrets);
        report::write_file(path, "--har-out", &serde_json::to_string_pretty(&document)?)?;
    }
    Ok(outputs.deliver(report, &secrets))
}

/// One judged exchange on stderr, as it passes: its verdict, and each finding.
fn print_case(case: &report::CaseReport, secrets: &Secrets) {
    let line = format!(
        "{:>12} {} {} [{}]",
        case.verdict.word(),
        case.operation_id,
        crate::text::line(&case.label),
        case.variant
    );
    let mut text = secrets.mask_str(&line);
    if matches!(case.verdict, Verdict::Failure | Verdict::Incomplete) {
        for finding in case.failures() {
            text.push_str(&format!(
                "\n{:>12} {}",
                "",
                secrets.mask_str(&crate::text::line(&finding))
            ));
        }
        if let Some(reason) = &case.reason {
            text.push_str(&format!(
                "\n{:>12} {}",
                "",
                secrets.mask_str(&crate::text::line(reason))
            ));
        }
    }
    crate::console::err_line(&text);
}
