//! The release the imitation answers as: `X-Coder-Build-Version` and `/api/v2/buildinfo`
//! follow `ImitationBuilder::coder_version`, and buildinfo needs no token, as in coderd.
#![cfg(feature = "imitation")]

use coder_external_auth::CoderVersion;
use coder_external_auth::imitation::Imitation;

/// A plain reqwest client, with the crate's (ring) crypto provider installed first because
/// reqwest is built without a default one.
fn http() -> reqwest::Client {
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get(url: &str) -> reqwest::Response {
    http().get(url).send().await.unwrap()
}

#[tokio::test]
async fn default_release_and_buildinfo_without_a_token() {
    let server = Imitation::start().await.unwrap();
    assert_eq!(server.coder_version(), CoderVersion::NEWEST_KNOWN);
    // Derived from the newest known release, never typed.
    let build_version = format!("v{}-imitation", CoderVersion::NEWEST_KNOWN);
    assert_eq!(server.build_version(), build_version);
    let answer = get(&format!("{}/api/v2/buildinfo", server.base_url())).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["x-coder-build-version"].to_str().unwrap(),
        build_version
    );
    assert_eq!(
        answer.headers()["content-type"].to_str().unwrap(),
        "application/json; charset=utf-8"
    );
    let text = answer.text().await.unwrap();
    // Go's field order and encoder: compact, trailing newline.
    assert_eq!(
        text,
        format!(
            "{{\"external_url\":\"https://github.com/coder/coder\",\"version\":\"{build_version}\",\"dashboard_url\":\"{}\",\"telemetry\":false,\"workspace_proxy\":false}}\n",
            server.base_url()
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_older_release_reports_itself_everywhere() {
    let server = Imitation::builder()
        .coder_version(CoderVersion::new(2, 26, 6))
        .start()
        .await
        .unwrap();
    assert_eq!(server.build_version(), "v2.26.6-imitation");
    let info: serde_json::Value = get(&format!("{}/api/v2/buildinfo", server.base_url()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["version"], "v2.26.6-imitation");
    let version: CoderVersion = info["version"].as_str().unwrap().parse().unwrap();
    assert_eq!(version, CoderVersion::new(2, 26, 6));
    // Every answer carries it, a 401 included.
    let list = get(&format!("{}/api/v2/external-auth", server.base_url())).await;
    assert_eq!(list.status(), 401);
    assert_eq!(
        list.headers()["x-coder-build-version"].to_str().unwrap(),
        "v2.26.6-imitation"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn buildinfo_routes_like_chi() {
    let server = Imitation::start().await.unwrap();
    let client = http();
    let url = format!("{}/api/v2/buildinfo", server.base_url());
    let post = client.post(&url).send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"].to_str().unwrap(), "GET");
    let slash = get(&format!("{url}/")).await;
    assert_eq!(slash.status(), 404);
    let doubled = get(&format!("{}//api//v2//buildinfo", server.base_url())).await;
    assert_eq!(doubled.status(), 200);
    server.shutdown().await;
}
