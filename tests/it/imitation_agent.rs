//! The workspace agent route and the template-version route over loopback: the typed client
//! with an agent token against the imitation, and raw requests for the exact bytes.
#![cfg(feature = "imitation")]

use std::time::{Duration, Instant};

use coder_external_auth::imitation::{
    AgentScope, Expiry, Imitation, LinkSeed, ProviderConfig, ProviderReference,
    TEMPLATE_VERSION_WITH_PROVIDERS, TEMPLATE_VERSION_WITH_REMOVED_PROVIDER,
    TEMPLATE_VERSION_WITHOUT_PROVIDERS,
};
use coder_external_auth::{AgentToken, Client, ClientBuilder, Error};

fn client(server: &Imitation) -> Client {
    ClientBuilder::new(server.base_url())
        .session_token(server.session_token().clone())
        .build()
        .unwrap()
}

fn agent(server: &Imitation) -> Client {
    client(server)
        .with_agent_token(server.agent_token())
        .unwrap()
}

/// Status and parsed body of an error answer.
fn error(err: Error<coder_external_auth::types::Response>) -> (u16, String, Option<String>) {
    match err {
        Error::ErrorResponse(response) => (
            response.status().as_u16(),
            response.message.clone(),
            response.detail.clone(),
        ),
        other => panic!("expected a Coder error, got {other}"),
    }
}

async fn raw(server: &Imitation, path_and_query: &str, token: Option<&str>) -> (u16, String, bool) {
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = reqwest::Client::new().get(format!("{}{path_and_query}", server.base_url()));
    if let Some(token) = token {
        request = request.header("Coder-Session-Token", token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let www = response.headers().contains_key("www-authenticate");
    (status, response.text().await.unwrap(), www)
}

#[tokio::test]
async fn linked_github_by_match_gives_the_token_as_username() {
    let server = Imitation::start().await.unwrap();
    let agent = agent(&server);
    let answer = agent
        .get_workspace_agent_external_auth(None, None, Some("https://github.com/coder/coder"), None)
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.access_token.is_empty());
    assert_eq!(answer.username, answer.access_token);
    assert_eq!(answer.password, "");
    assert_eq!(answer.type_, "github");
    assert_eq!(answer.url, "");
    assert_eq!(answer.token_extra, None);
    // The deprecated alias answers the same bytes.
    let legacy = agent
        .removed_get_workspace_agent_git_auth(None, None, None, Some("github.com"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(legacy, answer);
}

#[tokio::test]
async fn gitlab_and_bitbucket_use_their_git_usernames() {
    let server = Imitation::builder()
        .provider(ProviderConfig::new("bb", "bitbucket-cloud").linked(Some(LinkSeed::new())))
        .start()
        .await
        .unwrap();
    let agent = agent(&server);
    let gitlab = agent
        .get_workspace_agent_external_auth(Some("gitlab"), None, None, None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gitlab.username, "oauth2");
    assert_eq!(gitlab.password, gitlab.access_token);
    let bb = agent
        .get_workspace_agent_external_auth(None, None, Some("bitbucket.org"), None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bb.username, "x-token-auth");
    assert_eq!(bb.password, bb.access_token);
    assert_eq!(bb.type_, "bitbucket-cloud");
}

#[tokio::test]
async fn unlinked_and_expired_answer_only_the_absolute_link_url() {
    let server = Imitation::start().await.unwrap();
    let agent = agent(&server);
    for id in ["azure-devops", "gitea"] {
        let answer = agent
            .get_workspace_agent_external_auth(Some(id), None, None, None)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            answer.url,
            format!("{}/external-auth/{id}", server.base_url())
        );
        assert_eq!(
            (
                answer.access_token.as_str(),
                answer.type_.as_str(),
                answer.username.as_str(),
                answer.password.as_str()
            ),
            ("", "", "", "")
        );
        assert_eq!(answer.token_extra, None);
    }
}

#[tokio::test]
async fn the_last_matching_regex_wins_and_id_is_first_match() {
    let server = Imitation::builder()
        .provider(
            ProviderConfig::new("enterprise", "github")
                .regex(Some(r"^(https?://)?github\.com(/.*)?$"))
                .linked(Some(LinkSeed::new())),
        )
        .start()
        .await
        .unwrap();
    let (status, body, _) = raw(
        &server,
        "/api/v2/workspaceagents/me/external-auth?match=github.com",
        Some(server.agent_token().expose()),
    )
    .await;
    assert_eq!(status, 200);
    let first = client(&server)
        .with_agent_token(server.agent_token())
        .unwrap()
        .get_workspace_agent_external_auth(Some("github"), None, None, None)
        .await
        .unwrap()
        .into_inner();
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    // Both are linked, with different tokens: the answer is the later provider's.
    assert_ne!(body["access_token"], first.access_token.as_str());
}

#[tokio::test]
async fn query_rules_and_provider_lookup_errors() {
    let server = Imitation::start().await.unwrap();
    let agent = agent(&server);
    let none = agent
        .get_workspace_agent_external_auth(None, None, Some(""), None)
        .await
        .unwrap_err();
    assert_eq!(
        error(none),
        (400, "'url' or 'id' must be provided!".into(), None)
    );
    let both = agent
        .get_workspace_agent_external_auth(Some("github"), None, Some("github.com"), None)
        .await
        .unwrap_err();
    assert_eq!(
        error(both),
        (
            400,
            "'url' and 'id' cannot be provided together!".into(),
            None
        )
    );
    let unmatched = agent
        .get_workspace_agent_external_auth(None, None, Some("example.org"), None)
        .await
        .unwrap_err();
    let (status, message, detail) = error(unmatched);
    assert_eq!(status, 404);
    assert_eq!(
        message,
        "No matching external auth provider found in Coder for the url \"example.org\"."
    );
    assert_eq!(
        detail.unwrap(),
        r#"The configured external auth provider have regex filters that do not match the url. Provider url regex: github="^(https?://)?github\\.com(/.*)?$",gitlab="^(https?://)?gitlab\\.com(/.*)?$",azure-devops="^(https?://)?dev\\.azure\\.com(/.*)?$",gitea="^(https?://)?gitea\\.com(/.*)?$""#
    );
    let unknown_id = agent
        .get_workspace_agent_external_auth(Some("nope"), None, None, None)
        .await
        .unwrap_err();
    assert_eq!(
        error(unknown_id).1,
        "No matching external auth provider found in Coder for the url \"\"."
    );
    let bare = Imitation::builder().no_providers().start().await.unwrap();
    let err = agent_of(&bare)
        .get_workspace_agent_external_auth(Some("github"), None, None, None)
        .await
        .unwrap_err();
    assert_eq!(
        error(err).2.as_deref(),
        Some("External auth provider not found.")
    );
}

fn agent_of(server: &Imitation) -> Client {
    agent(server)
}

#[tokio::test]
async fn agent_authentication_has_its_own_401s_without_www_authenticate() {
    let server = Imitation::start().await.unwrap();
    let path = "/api/v2/workspaceagents/me/external-auth?id=github";
    let (status, body, www) = raw(&server, path, None).await;
    assert_eq!((status, www), (401, false));
    assert_eq!(
        body,
        "{\"message\":\"Cookie \\\"coder_session_token\\\" must be provided.\"}\n"
    );
    // A session token is not a UUID.
    let (status, body, www) = raw(&server, path, Some(server.session_token().expose())).await;
    assert_eq!((status, www), (401, false));
    assert_eq!(
        body,
        "{\"message\":\"Workspace agent token invalid.\",\"detail\":\"An agent token must be a valid UUIDv4. (len 33)\"}\n"
    );
    let (status, body, www) =
        raw(&server, path, Some("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")).await;
    assert_eq!((status, www), (401, false));
    assert!(body.starts_with("{\"message\":\"Workspace agent not authorized.\",\"detail\":\"The agent cannot authenticate until"));
    // The agent token in another UUID form authenticates too.
    let braced = format!("{{{}}}", server.agent_token().expose().to_uppercase());
    assert_eq!(raw(&server, path, Some(&braced)).await.0, 200);
    // And the template-version route refuses an agent token as a malformed API key.
    let tv = format!("/api/v2/templateversions/{TEMPLATE_VERSION_WITH_PROVIDERS}/external-auth");
    let (status, body, www) = raw(&server, &tv, Some(server.agent_token().expose())).await;
    assert_eq!((status, www), (401, true));
    assert!(
        body.contains(
            "Invalid API key format: incorrect amount of API key parts, expected 2 got 5"
        )
    );
}

#[tokio::test]
async fn no_user_data_agents_are_forbidden_after_the_lookup() {
    let server = Imitation::start().await.unwrap();
    let limited = server.control().new_agent(AgentScope::NoUserData);
    let agent = client(&server).with_agent_token(&limited).unwrap();
    let err = agent
        .get_workspace_agent_external_auth(Some("github"), None, None, None)
        .await
        .unwrap_err();
    assert_eq!(error(err).0, 403);
    // The 404 comes first.
    let err = agent
        .get_workspace_agent_external_auth(Some("nope"), None, None, None)
        .await
        .unwrap_err();
    assert_eq!(error(err).0, 404);
    assert!(server.control().remove_agent(&limited));
    let err = agent
        .get_workspace_agent_external_auth(Some("github"), None, None, None)
        .await
        .unwrap_err();
    assert_eq!(error(err).1, "Workspace agent not authorized.");
}

#[tokio::test]
async fn refresh_failures_are_500_and_refreshes_rotate_the_token() {
    let server = Imitation::start().await.unwrap();
    let control = server.control();
    control.link(
        "gitlab",
        LinkSeed::new()
            .refresh_token(true)
            .expiry(Expiry::Ago(Duration::from_secs(60))),
    );
    assert!(control.fail_refresh("gitlab", true));
    let agent = agent(&server);
    let err = agent
        .get_workspace_agent_external_auth(Some("gitlab"), None, None, None)
        .await
        .unwrap_err();
    let (status, message, detail) = error(err);
    assert_eq!(
        (status, message.as_str()),
        (500, "Failed to refresh external auth token.")
    );
    assert!(detail.is_some());
    let tv = client(&server)
        .get_external_auth_by_template_version(TEMPLATE_VERSION_WITH_PROVIDERS, None)
        .await
        .unwrap_err();
    assert_eq!(error(tv).0, 500);
    control.fail_refresh("gitlab", false);
    let refreshed = agent
        .get_workspace_agent_external_auth(Some("gitlab"), None, None, None)
        .await
        .unwrap()
        .into_inner();
    assert!(!refreshed.access_token.is_empty());
    // A failing validation is the same 500.
    control.fail_validation("github", true);
    let err = agent
        .get_workspace_agent_external_auth(Some("github"), None, None, None)
        .await
        .unwrap_err();
    assert_eq!(error(err).0, 500);
}

#[tokio::test]
async fn listen_answers_at_once_when_linked_and_waits_for_a_link() {
    let server = Imitation::start().await.unwrap();
    let agent = agent(&server);
    let started = Instant::now();
    agent
        .get_workspace_agent_external_auth(Some("github"), Some(true), None, None)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(900));

    let control = server.control();
    let waiting = tokio::spawn({
        let agent = agent.clone();
        async move {
            // `listen=false` listens too: the parameter is presence-only.
            agent
                .get_workspace_agent_external_auth(Some("azure-devops"), Some(false), None, None)
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!waiting.is_finished(), "an unlinked listen must be held");
    control.link("azure-devops", LinkSeed::new());
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("answered within a poll after the link")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(answer.type_, "azure-devops");
    assert_eq!(answer.url, "");
    assert!(!answer.access_token.is_empty());
}

#[tokio::test]
async fn listen_ends_with_an_empty_200_at_the_max_wait_and_on_shutdown() {
    let server = Imitation::builder()
        .listen_max_wait(Duration::from_millis(1200))
        .start()
        .await
        .unwrap();
    let path = "/api/v2/workspaceagents/me/external-auth?id=azure-devops&listen";
    let (status, body, _) = raw(&server, path, Some(server.agent_token().expose())).await;
    assert_eq!((status, body.as_str()), (200, ""));

    let server = Imitation::start().await.unwrap();
    let url = format!("{}{path}", server.base_url());
    let token = server.agent_token().expose().to_owned();
    let held = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .header("Coder-Session-Token", token)
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown does not wait for a held listen");
    let response = held.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_client_that_goes_away_frees_the_held_request() {
    let server = Imitation::builder()
        .max_connections(1)
        .start()
        .await
        .unwrap();
    let agent = agent(&server);
    let held = tokio::time::timeout(
        Duration::from_millis(500),
        agent.get_workspace_agent_external_auth(Some("azure-devops"), Some(true), None, None),
    )
    .await;
    assert!(held.is_err(), "held, then abandoned by the client");
    // The only connection slot is free again: a fresh client is served.
    let fresh = ClientBuilder::new(server.base_url()).build().unwrap();
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        fresh
            .with_agent_token(server.agent_token())
            .unwrap()
            .get_workspace_agent_external_auth(Some("github"), None, None, None),
    )
    .await
    .expect("the abandoned request's connection was closed");
    assert!(answer.is_ok());
}

#[tokio::test]
async fn template_versions_list_their_providers_in_order() {
    let server = Imitation::start().await.unwrap();
    let client = client(&server);
    let list = client
        .get_external_auth_by_template_version(TEMPLATE_VERSION_WITH_PROVIDERS, None)
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = list
        .iter()
        .map(|p| (p.id.as_str(), p.authenticated, p.optional))
        .collect();
    assert_eq!(ids, [("github", true, None), ("gitlab", true, Some(true))]);
    assert_eq!(
        list[0].authenticate_url,
        format!("{}/external-auth/github", server.base_url())
    );
    let empty = raw(
        &server,
        &format!("/api/v2/templateversions/{TEMPLATE_VERSION_WITHOUT_PROVIDERS}/external-auth"),
        Some(server.session_token().expose()),
    )
    .await;
    assert_eq!((empty.0, empty.1.as_str()), (200, "[]\n"));
    let removed = client
        .get_external_auth_by_template_version(TEMPLATE_VERSION_WITH_REMOVED_PROVIDER, None)
        .await
        .unwrap_err();
    assert_eq!(
        error(removed),
        (
            404,
            "The template version references a Git auth provider \"bitbucket\" that no longer exists.".into(),
            Some("You'll need to update the template version to use a different provider.".into())
        )
    );
    let unknown = client
        .get_external_auth_by_template_version("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", None)
        .await
        .unwrap_err();
    assert_eq!(
        error(unknown),
        (
            404,
            "Resource not found or you do not have access to this resource".into(),
            None
        )
    );
    let bad = client
        .get_external_auth_by_template_version("not-a-uuid", None)
        .await
        .unwrap_err();
    assert_eq!(
        error(bad),
        (
            400,
            "Invalid UUID \"not-a-uuid\".".into(),
            Some("invalid UUID length: 10".into())
        )
    );
    // Authentication comes first: no token and a bad UUID is 401.
    let (status, _, www) = raw(&server, "/api/v2/templateversions/x/external-auth", None).await;
    assert_eq!((status, www), (401, true));
}

#[tokio::test]
async fn template_versions_and_agents_from_the_control_api() {
    let server = Imitation::builder()
        .no_template_versions()
        .template_version(
            "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE",
            vec![ProviderReference::required("azure-devops")],
        )
        .agent(
            AgentToken::new("11111111-2222-4333-8444-555555555555"),
            AgentScope::All,
        )
        .start()
        .await
        .unwrap();
    let list = client(&server)
        .get_external_auth_by_template_version("aaaaaaaabbbb4ccc8dddeeeeeeeeeeee", None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.len(), 1);
    assert!(!list[0].authenticated);
    let agent = client(&server)
        .with_agent_token(&AgentToken::new("11111111-2222-4333-8444-555555555555"))
        .unwrap();
    assert!(
        agent
            .get_workspace_agent_external_auth(Some("github"), None, None, None)
            .await
            .is_ok()
    );
    let control = server.control();
    assert!(control.template_version(TEMPLATE_VERSION_WITHOUT_PROVIDERS, vec![]));
    assert!(!control.template_version("nope", vec![]));
    assert!(control.remove_template_version(TEMPLATE_VERSION_WITHOUT_PROVIDERS));
    assert!(
        Imitation::builder()
            .agent(AgentToken::new("not-a-uuid"), AgentScope::All)
            .start()
            .await
            .is_err()
    );
}

#[test]
fn debug_output_never_shows_agent_tokens() {
    let secret = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    let client = ClientBuilder::new("http://127.0.0.1:1")
        .build()
        .unwrap()
        .with_agent_token(&AgentToken::new(secret))
        .unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(
        ClientBuilder::new("http://127.0.0.1:1")
            .build()
            .unwrap()
            .with_agent_token(&AgentToken::new("bad\nvalue"))
            .is_err()
    );
}

#[tokio::test]
async fn a_held_listen_outlasts_the_idle_timeout() {
    // The connection is silent while the request is held: the idle timeout must not cut it.
    let server = Imitation::builder()
        .idle_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let agent = agent(&server);
    let waiting = tokio::spawn({
        let agent = agent.clone();
        async move {
            agent
                .get_workspace_agent_external_auth(Some("azure-devops"), Some(true), None, None)
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(1300)).await;
    server.control().link("azure-devops", LinkSeed::new());
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("answered after the link")
        .unwrap()
        .expect("the held connection was not closed");
    assert_eq!(answer.into_inner().type_, "azure-devops");
}

/// What the control API adds is bounded, oldest added first out, and what the server started
/// with stays: a client adding for ever cannot grow the imitation for ever.
#[tokio::test]
async fn what_the_control_api_adds_is_bounded_oldest_first() {
    use coder_external_auth::imitation::{
        MAX_ADDED_AGENTS, MAX_ADDED_SESSIONS, MAX_TEMPLATE_VERSIONS, MAX_UNCONFIGURED_LINKS,
    };
    let server = Imitation::start().await.unwrap();
    let control = server.control();

    let first_agent = control.new_agent(AgentScope::All);
    let agents: Vec<AgentToken> = (0..MAX_ADDED_AGENTS)
        .map(|_| control.new_agent(AgentScope::All))
        .collect();
    let status = |token: &AgentToken| {
        let agent = client(&server).with_agent_token(token).unwrap();
        async move {
            match agent
                .get_workspace_agent_external_auth(Some("github"), None, None, None)
                .await
            {
                Ok(_) => 200,
                Err(err) => error(err).0,
            }
        }
    };
    assert_eq!(
        status(&first_agent).await,
        401,
        "the oldest added agent is gone"
    );
    assert_eq!(status(agents.last().unwrap()).await, 200);
    assert_eq!(
        status(server.agent_token()).await,
        200,
        "the printed agent stays"
    );

    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    let first_session = control.new_session(expires);
    let sessions: Vec<_> = (0..MAX_ADDED_SESSIONS)
        .map(|_| control.new_session(expires))
        .collect();
    let list = |token: coder_external_auth::SessionToken| {
        let client = ClientBuilder::new(server.base_url())
            .session_token(token)
            .build()
            .unwrap();
        async move { client.get_user_external_auths().await.is_ok() }
    };
    assert!(!list(first_session).await, "the oldest added key is gone");
    assert!(list(sessions.last().unwrap().clone()).await);
    assert!(
        list(server.session_token().clone()).await,
        "the printed token stays"
    );

    let id = |n: usize| format!("00000000-0000-4000-8000-{n:012}");
    for n in 0..=MAX_TEMPLATE_VERSIONS {
        assert!(control.template_version(&id(n), Vec::new()));
    }
    assert!(
        !control.remove_template_version(&id(0)),
        "the oldest version is gone"
    );
    assert!(control.remove_template_version(&id(MAX_TEMPLATE_VERSIONS)));

    for n in 0..=MAX_UNCONFIGURED_LINKS {
        control.link_unconfigured(&format!("gone-{n}"), LinkSeed::default());
    }
    let linked = control.linked_providers();
    assert!(!linked.contains(&"gone-0".to_owned()));
    assert!(linked.contains(&format!("gone-{MAX_UNCONFIGURED_LINKS}")));
    assert!(linked.len() <= MAX_UNCONFIGURED_LINKS + 10);
}
