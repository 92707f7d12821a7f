//! A bounded load run over loopback: thousands of requests on dozens of connections, device
//! flows interleaved with deletes and relinks; no errors, no panics, consistent state at the
//! end. The rate is printed, never asserted.
#![cfg(feature = "imitation")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use coder_external_auth::imitation::{Imitation, LinkSeed};
use coder_external_auth::{Client, ClientBuilder, Error, types};

const WORKERS: usize = 32;
const ROUNDS: usize = 40;
/// Requests one round sends, each answer checked before it is counted.
const PER_ROUND: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_mixed_requests() {
    let server = Imitation::builder()
        .auto_approve_after(2)
        .enforce_poll_interval(false)
        .start()
        .await
        .unwrap();
    let control = server.control();
    let requests = Arc::new(AtomicUsize::new(0));
    let deleted = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        // One client per worker: its own connection pool, so dozens of connections.
        let client = ClientBuilder::new(server.base_url())
            .session_token(server.session_token().clone())
            .build()
            .unwrap();
        let requests = Arc::clone(&requests);
        let deleted = Arc::clone(&deleted);
        let control = control.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                run_round(&client, &control, worker, round, &requests, &deleted).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a worker panicked");
    }
    let elapsed = started.elapsed();
    let total = requests.load(Ordering::Relaxed);
    println!(
        "imitation load: {total} requests in {:.2?} over {WORKERS} connections: {:.0} requests/s",
        elapsed,
        total as f64 / elapsed.as_secs_f64()
    );
    // Every request of every round was answered as checked; some deletes found a link (and
    // the others, racing, none: those were 404s, checked in the round).
    assert_eq!(total, WORKERS * ROUNDS * PER_ROUND);
    let deleted = deleted.load(Ordering::Relaxed);
    assert!(
        (1..=WORKERS * ROUNDS).contains(&deleted),
        "{deleted} deletes found a link"
    );

    // The end state is consistent: github linked by the device flows, nothing pending,
    // gitlab and azure-devops as the last worker left them, the server still answering.
    let client = ClientBuilder::new(server.base_url())
        .session_token(server.session_token().clone())
        .build()
        .unwrap();
    let list = client.get_user_external_auths().await.unwrap().into_inner();
    assert_eq!(list.providers.len(), 4);
    let mut ids: Vec<_> = list.links.iter().map(|l| l.provider_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), list.links.len(), "duplicate links: {ids:?}");
    assert!(ids.contains(&"github"), "{ids:?}");
    let github = client.get_external_auth_by_id("github").await.unwrap();
    assert!(github.authenticated);
    assert!(control.pending_user_codes().is_empty());
    assert_eq!(control.linked_providers().len(), list.links.len());
    server.shutdown().await;
}

/// One worker's round: reads, a device flow to completion, and a delete/relink pair.
async fn run_round(
    client: &Client,
    control: &coder_external_auth::imitation::Control,
    worker: usize,
    round: usize,
    requests: &AtomicUsize,
    deleted: &AtomicUsize,
) {
    let count = |n: usize| requests.fetch_add(n, Ordering::Relaxed);
    let list = client.get_user_external_auths().await.unwrap();
    let ids: Vec<&str> = list.providers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["github", "gitlab", "azure-devops", "gitea"]);
    client.get_external_auth_by_id("gitlab").await.unwrap();
    client
        .get_external_auth_by_id("azure-devops")
        .await
        .unwrap();
    count(3);

    // A device flow: pending on the first poll, approved on the second.
    let device = client
        .get_external_auth_device_by_id("github")
        .await
        .unwrap()
        .into_inner();
    let body = types::ExternalAuthDeviceExchange {
        device_code: device.device_code.clone(),
    };
    match client
        .post_external_auth_device_by_id("github", &body)
        .await
    {
        Err(Error::ErrorResponse(rv)) => {
            assert_eq!(rv.detail.as_deref(), Some("authorization_pending"));
        }
        other => panic!("first poll: {other:?}"),
    }
    client
        .post_external_auth_device_by_id("github", &body)
        .await
        .unwrap();
    let github = client.get_external_auth_by_id("github").await.unwrap();
    assert!(github.authenticated, "github just linked by this worker");
    count(4);

    // Deletes race with other workers: 200 or 404, never anything else.
    let provider = if (worker + round).is_multiple_of(2) {
        "gitlab"
    } else {
        "azure-devops"
    };
    match client.delete_external_auth_user_link_by_id(provider).await {
        Ok(rv) => {
            assert!(rv.token_revocation_error().is_none());
            deleted.fetch_add(1, Ordering::Relaxed);
        }
        Err(Error::ErrorResponse(rv)) => assert_eq!(rv.status().as_u16(), 404),
        Err(other) => panic!("delete {provider}: {other}"),
    }
    assert!(control.link(provider, LinkSeed::new().refresh_token(true)));
    client.get_external_auth_by_id(provider).await.unwrap();
    let missing = client.get_external_auth_by_id("nope").await;
    assert!(matches!(missing, Err(Error::ErrorResponse(ref rv)) if rv.status().as_u16() == 404));
    count(3);
}
