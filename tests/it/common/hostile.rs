//! Deliberately broken HTTP/1.1 servers for the fault-injection suite: raw bytes on a
//! 127.0.0.1 socket, one fault per server, every request answered the same way. `Fault::Coder`
//! is the one well-behaved server, for faults that need a usable target (TLS, the other
//! origin of a redirect, `--allow-delete` typos).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// The session token every fault run passes: distinctive, so a leak is found by grep.
pub const TOKEN: &str = "fau1tsec01-Zq8TOKENsecretVALUE9xy";
/// The device code `Fault::Coder` hands out.
pub const DEVICE_CODE: &str = "dc-FAULTxDEVICExCODEx5e1f0a";
/// The user code `Fault::Coder` hands out.
pub const USER_CODE: &str = "QZXJ-KVWP";

const SIGNED_OUT: &str =
    "You are signed out or your session has expired. Please sign in again to continue.";
const NOT_FOUND: &str = "Resource not found or you do not have access to this resource";
/// The workspace agent token the agent runs pass: a UUID, distinctive, so a leak is found by grep.
pub const AGENT_TOKEN: &str = "5ec7e7a9-0a6e-4b1d-9c3f-7f00d5ec0e75";
/// The owner's access token `Fault::Coder`'s agent route hands out for github.
pub const ACCESS_TOKEN: &str = "gho_FAULTxACCESSxTOKENx7c41d9e2";
/// The template version `Fault::Coder` knows.
pub const TEMPLATE_VERSION: &str = "0d5e4c3b-2a19-4807-b6f5-e4d3c2b1a090";

/// The harness's malformed and unknown tokens (conformance/cases/mod.rs).
const MALFORMED_TOKEN: &str = "not-a-session-token";
/// No hostile server waits longer than this for anything: a hang guard for the suite itself.
const SERVER_PATIENCE: Duration = Duration::from_secs(30);

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The whole head, request line and headers, as text.
    pub head: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    fn token(&self) -> Option<&str> {
        self.header("Coder-Session-Token")
    }
}

/// The release every hostile server names, as a Coder deployment does on every response: the
/// faults are a Coder that misbehaves, which `check` judges; a server that is not Coder at all
/// is [`Answer::anonymous`].
pub const BUILD_VERSION: &str = "v2.35.1+hostile";

/// A complete answer: status, headers and body; written with `Content-Length` and
/// `Connection: close`, and `X-Coder-Build-Version` unless [`Answer::anonymous`].
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the answer names a Coder release (`X-Coder-Build-Version`).
    pub names_release: bool,
}

impl Answer {
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: content_type
                .map(|value| vec![("Content-Type".to_owned(), value.to_owned())])
                .unwrap_or_default(),
            body: body.into(),
            names_release: true,
        }
    }

    /// The answer of a server that is not Coder: no `X-Coder-Build-Version`.
    pub fn anonymous(mut self) -> Self {
        self.names_release = false;
        self
    }

    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::new(
            status,
            Some("application/json; charset=utf-8"),
            body.into().into_bytes(),
        )
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn head(&self, content_length: usize) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} Hostile\r\n", self.status);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.names_release {
            head.push_str(&format!("X-Coder-Build-Version: {BUILD_VERSION}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
        ));
        head.into_bytes()
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes = self.head(self.body.len());
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// What a server does with every request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// The same complete answer to every request.
    Answer(Answer),
    /// A 200 head promising 4096 bytes of JSON, 64 of them, then a TCP reset.
    ResetMidBody,
    /// Reads the request, then a TCP reset before any byte of an answer.
    ResetBeforeHead,
    /// Accepts and reads the request, then never answers (the connection stays open).
    Silent,
    /// `Coder`'s answer to the list, then `Silent` for every other request.
    SilentAfterList,
    /// Bytes that are not HTTP at all (another protocol's banner), then close.
    NotHttp,
    /// A 200 JSON head, then the body one byte per `every`.
    Drip { every: Duration },
    /// A 200 JSON head promising `bytes` bytes, then as many as the client will take.
    Huge { bytes: usize },
    /// A 302 to the same path on another origin (`http://host:port`).
    RedirectTo(String),
    /// A 302 to the very URL that was asked for, for ever.
    RedirectLoop,
    /// `Coder`'s list for the session token (so the token is accepted), then, to every other
    /// request, a 401 that echoes the session token in headers and body, where reports quote
    /// values.
    EchoToken,
    /// A well-behaved Coder: github (device flow) and gitlab (none), no links; hands out
    /// `DEVICE_CODE` and `USER_CODE`.
    Coder,
    /// `Coder`, but its device answers repeat the device and user codes where reports quote
    /// values (a wrongly typed field, a header, an error message).
    CoderLeakingCodes,
    /// `Coder`, but every agent-route answer other than the linked one repeats the owner's
    /// access token and the agent token in an error message, a header and the Content-Type.
    CoderEchoingAgentSecrets,
    /// `Coder`, but the agent route's linked answer has a number for `username` and a string
    /// for `token_extra`.
    CoderAgentWrongTypes,
    /// `Coder`, but a `listen` request on the agent route is never answered.
    CoderHangingListen,
}

/// A running server; stops (and drops every open connection) when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub base: String,
    seen: Arc<Mutex<Vec<Request>>>,
    /// Body bytes written on each connection that got that far.
    written: Arc<Mutex<Vec<u64>>>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// A plain-HTTP server with this fault on 127.0.0.1:0.
    pub async fn start(fault: Fault) -> Self {
        Self::listen(fault, None).await
    }

    /// The same behind TLS with `config`'s certificate.
    pub async fn start_tls(fault: Fault, config: Arc<rustls::ServerConfig>) -> Self {
        Self::listen(fault, Some(TlsAcceptor::from(config))).await
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// Body bytes written per connection (for `Fault::Huge`).
    pub fn body_bytes_written(&self) -> Vec<u64> {
        self.written.lock().unwrap().clone()
    }

    async fn listen(fault: Fault, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
        let written: Arc<Mutex<Vec<u64>>> = Arc::default();
        let (record, counts) = (seen.clone(), written.clone());
        let origin = base.clone();
        let task = tokio::spawn(async move {
            // Owned here, so aborting this task aborts every connection with it.
            let mut connections = JoinSet::new();
            while let Ok((socket, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                if matches!(fault, Fault::ResetMidBody | Fault::ResetBeforeHead) {
                    // Dropping a socket with a zero linger sends RST instead of FIN.
                    socket.set_zero_linger().unwrap();
                }
                let connection = Connection {
                    fault: fault.clone(),
                    origin: origin.clone(),
                    seen: record.clone(),
                    written: counts.clone(),
                };
                let tls = tls.clone();
                connections.spawn(async move {
                    match tls {
                        None => connection.serve(socket).await,
                        Some(acceptor) => {
                            // A client that refuses the certificate ends here.
                            if let Ok(stream) = acceptor.accept(socket).await {
                                connection.serve(stream).await;
                            }
                        }
                    }
                });
            }
        });
        Self {
            base,
            seen,
            written,
            task,
        }
    }
}

struct Connection {
    fault: Fault,
    origin: String,
    seen: Arc<Mutex<Vec<Request>>>,
    written: Arc<Mutex<Vec<u64>>>,
}

impl Connection {
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(self, mut stream: S) {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        self.seen.lock().unwrap().push(request.clone());
        let _ = self.answer(&request, &mut stream).await;
    }

    async fn answer<S: AsyncWrite + Unpin>(
        &self,
        request: &Request,
        stream: &mut S,
    ) -> std::io::Result<()> {
        match &self.fault {
            Fault::Answer(answer) => write_and_close(stream, &answer.bytes()).await,
            Fault::ResetMidBody => {
                let answer = Answer::json(200, "");
                stream.write_all(&answer.head(4096)).await?;
                stream.write_all(&[b' '; 64]).await?;
                stream.flush().await?;
                // Long enough for the client to read the head and the start of the body;
                // then the caller drops the socket: RST, with 4032 bytes still owed.
                tokio::time::sleep(Duration::from_secs(1)).await;
                Ok(())
            }
            Fault::ResetBeforeHead => Ok(()),
            Fault::Silent => {
                tokio::time::sleep(SERVER_PATIENCE).await;
                Ok(())
            }
            Fault::SilentAfterList
                if request.method == "GET" && request.path == "/api/v2/external-auth" =>
            {
                write_and_close(stream, &coder(request, false).bytes()).await
            }
            Fault::SilentAfterList => {
                tokio::time::sleep(SERVER_PATIENCE).await;
                Ok(())
            }
            Fault::NotHttp => write_and_close(stream, b"SSH-2.0-OpenSSH_9.6\r\n").await,
            Fault::Drip { every } => {
                let body = br#"{"providers":[],"links":[]}"#.repeat(8);
                stream
                    .write_all(&Answer::json(200, "").head(body.len()))
                    .await?;
                for byte in body {
                    stream.write_all(&[byte]).await?;
                    stream.flush().await?;
                    tokio::time::sleep(*every).await;
                }
                Ok(())
            }
            Fault::Huge { bytes } => {
                stream
                    .write_all(&Answer::json(200, "").head(*bytes))
                    .await?;
                let index = {
                    let mut written = self.written.lock().unwrap();
                    written.push(0);
                    written.len() - 1
                };
                let chunk = b"[1,2,3,4,5,6,7,8]".repeat(4096);
                let mut sent = 0;
                while sent < *bytes {
                    let part = &chunk[..chunk.len().min(*bytes - sent)];
                    stream.write_all(part).await?;
                    sent += part.len();
                    self.written.lock().unwrap()[index] = sent as u64;
                }
                stream.shutdown().await
            }
            Fault::RedirectTo(origin) => {
                let location = format!("{origin}{}", request.path);
                write_and_close(stream, &redirect(&location).bytes()).await
            }
            Fault::RedirectLoop => {
                let location = format!("{}{}", self.origin, request.path);
                write_and_close(stream, &redirect(&location).bytes()).await
            }
            Fault::EchoToken
                if request.method == "GET"
                    && request.path == "/api/v2/external-auth"
                    && request.token() == Some(TOKEN) =>
            {
                write_and_close(stream, &coder(request, false).bytes()).await
            }
            Fault::EchoToken => {
                let echoed = TOKEN;
                let body = serde_json::json!({
                    "message": format!("token {echoed} rejected"),
                    "detail": echoed,
                    "validations": echoed,
                });
                let answer = Answer::new(
                    401,
                    Some(&format!("application/json; charset={echoed}")),
                    body.to_string(),
                )
                .header("WWW-Authenticate", &format!("Bearer realm=\"{echoed}\""))
                .header("X-Echo-Token", echoed);
                write_and_close(stream, &answer.bytes()).await
            }
            Fault::Coder => write_and_close(stream, &coder(request, false).bytes()).await,
            Fault::CoderHangingListen if request.path.contains("listen") => {
                tokio::time::sleep(SERVER_PATIENCE).await;
                Ok(())
            }
            Fault::CoderHangingListen => {
                write_and_close(stream, &coder(request, false).bytes()).await
            }
            // The linked answer teaches the client the access token; every other agent answer
            // then repeats it.
            Fault::CoderEchoingAgentSecrets
                if is_agent_route(request)
                    && !String::from_utf8_lossy(&coder(request, false).body)
                        .contains(ACCESS_TOKEN) =>
            {
                let leak = format!("{ACCESS_TOKEN} for {AGENT_TOKEN}");
                let answer = Answer::new(
                    400,
                    Some(&format!("application/json; charset={ACCESS_TOKEN}")),
                    serde_json::json!({ "message": leak, "detail": ACCESS_TOKEN }).to_string(),
                )
                .header("X-Echo-Token", &leak);
                write_and_close(stream, &answer.bytes()).await
            }
            Fault::CoderEchoingAgentSecrets => {
                write_and_close(stream, &coder(request, false).bytes()).await
            }
            Fault::CoderAgentWrongTypes => {
                let mut answer = coder(request, false);
                if is_agent_route(request)
                    && String::from_utf8_lossy(&answer.body).contains(ACCESS_TOKEN)
                {
                    answer.body = serde_json::json!({
                        "access_token": ACCESS_TOKEN, "token_extra": ACCESS_TOKEN, "url": "",
                        "type": "github", "username": 42, "password": "",
                    })
                    .to_string()
                    .into_bytes();
                }
                write_and_close(stream, &answer.bytes()).await
            }
            Fault::CoderLeakingCodes => {
                write_and_close(stream, &coder(request, true).bytes()).await
            }
        }
    }
}

fn redirect(location: &str) -> Answer {
    Answer::new(
        302,
        Some("text/html; charset=utf-8"),
        format!("<a href=\"{location}\">Found</a>.\n"),
    )
    .header("Location", location)
}

async fn write_and_close<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.shutdown().await
}

/// Reads one request: the head, then as many body bytes as `Content-Length` says. None when
/// the client goes away, sends more than 64 KiB, or dawdles.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    const LIMIT: usize = 64 * 1024;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let mut request = Request {
                method: String::new(),
                path: String::new(),
                head,
                body: Vec::new(),
            };
            let length: usize = request
                .header("Content-Length")
                .and_then(|value| value.parse().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length.min(LIMIT) {
                let mut words = request.head.split(' ');
                request.method = words.next().unwrap_or_default().to_owned();
                request.path = words.next().unwrap_or_default().to_owned();
                request.body = data[end + 4..].to_vec();
                return Some(request);
            }
        }
        if data.len() > LIMIT {
            return None;
        }
        let n = tokio::time::timeout(SERVER_PATIENCE, stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
}

fn is_agent_route(request: &Request) -> bool {
    request.path.starts_with("/api/v2/workspaceagents/me/")
}

/// The first value of a query parameter (no decoding: the harness sends plain values).
fn query_value<'a>(path: &'a str, name: &str) -> Option<&'a str> {
    path.split_once('?')?
        .1
        .split('&')
        .find_map(|pair| pair.split_once('=').filter(|(key, _)| *key == name))
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// The workspace agent route as Coder answers it: agent authentication (no WWW-Authenticate),
/// the query rules, then github linked (`ACCESS_TOKEN`) and gitlab unlinked.
fn agent_route(request: &Request, error: impl Fn(u16, &str, Option<&str>) -> Answer) -> Answer {
    let Some(token) = request.token() else {
        return error(
            401,
            "Cookie \"coder_session_token\" must be provided.",
            None,
        );
    };
    if token.len() != 36 {
        return error(
            401,
            "Workspace agent token invalid.",
            Some(&format!(
                "An agent token must be a valid UUIDv4. (len {})",
                token.len()
            )),
        );
    }
    if token != AGENT_TOKEN {
        return error(
            401,
            "Workspace agent not authorized.",
            Some(
                "The agent cannot authenticate until the workspace provision job has been \
                 completed. If the job is no longer running, this agent is invalid.",
            ),
        );
    }
    let id = query_value(&request.path, "id");
    let matching = query_value(&request.path, "match").or(query_value(&request.path, "url"));
    let form = |access_token: &str, url: &str, kind: &str| {
        serde_json::json!({
            "access_token": access_token, "token_extra": null, "url": url, "type": kind,
            "username": access_token, "password": "",
        })
        .to_string()
    };
    match (id, matching) {
        (None, None) => error(400, "'url' or 'id' must be provided!", None),
        (Some(_), Some(_)) => error(400, "'url' and 'id' cannot be provided together!", None),
        (Some("github"), None) => Answer::json(200, form(ACCESS_TOKEN, "", "github")),
        (Some("gitlab"), None) => Answer::json(
            200,
            form("", "https://coder.fault.example/external-auth/gitlab", ""),
        ),
        (_, matching) => error(
            404,
            &format!(
                "No matching external auth provider found in Coder for the url {:?}.",
                matching.unwrap_or_default()
            ),
            Some("External auth provider not found."),
        ),
    }
}

/// A Coder that honours the contract for the requests the harness sends.
fn coder(request: &Request, leak_codes: bool) -> Answer {
    let error = |status: u16, message: &str, detail: Option<&str>| {
        let mut body = serde_json::json!({ "message": message });
        if let Some(detail) = detail {
            body["detail"] = detail.into();
        }
        Answer::json(status, body.to_string())
    };
    if is_agent_route(request) {
        return agent_route(request, error);
    }
    let signed_out = |detail: &str| {
        error(401, SIGNED_OUT, Some(detail)).header(
            "WWW-Authenticate",
            "Bearer realm=\"coder\", error=\"invalid_token\"",
        )
    };
    match request.token() {
        None => {
            return signed_out(
                "Cookie \"coder_session_token\" or query parameter must be provided.",
            );
        }
        Some(MALFORMED_TOKEN) => {
            return signed_out(
                "Invalid API key format: incorrect amount of API key parts, expected 2 got 4",
            );
        }
        Some(TOKEN) => {}
        Some(_) => return signed_out("API key is invalid."),
    }
    let path = request.path.split('?').next().unwrap_or_default();
    if let Some(version) = path
        .strip_prefix("/api/v2/templateversions/")
        .and_then(|rest| rest.strip_suffix("/external-auth"))
    {
        return match version {
            TEMPLATE_VERSION => Answer::json(
                200,
                serde_json::json!([{
                    "id": "github", "type": "github", "display_name": "GitHub",
                    "display_icon": "/icon/github.svg",
                    "authenticate_url": "https://coder.fault.example/external-auth/github",
                    "authenticated": false,
                }])
                .to_string(),
            ),
            v if v.len() != 36 => error(
                400,
                &format!("Invalid UUID {v:?}."),
                Some(&format!("invalid UUID length: {}", v.len())),
            ),
            _ => error(404, NOT_FOUND, None),
        };
    }
    let Some(rest) = path.strip_prefix("/api/v2/external-auth") else {
        return error(404, "Route not found.", None);
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let provider = |id: &str, device: bool, name: &str| {
        serde_json::json!({
            "id": id, "type": id, "device": device, "display_name": name,
            "display_icon": format!("/icon/{id}.svg"), "allow_refresh": true,
            "allow_validate": true, "supports_revocation": false,
            "code_challenge_methods_supported": ["S256"],
        })
    };
    let status = |device: bool, name: &str| {
        serde_json::json!({
            "authenticated": false, "device": device, "display_name": name,
            "supports_revocation": false, "user": null, "app_installable": false,
            "installations": [], "app_install_url": "",
        })
    };
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", []) => Answer::json(
            200,
            serde_json::json!({
                "providers": [provider("github", true, "GitHub"), provider("gitlab", false, "GitLab")],
                "links": [],
            })
            .to_string(),
        ),
        ("GET", ["github"]) => Answer::json(200, status(true, "GitHub").to_string()),
        ("GET", ["gitlab"]) => Answer::json(200, status(false, "GitLab").to_string()),
        ("GET", ["github", "device"]) if leak_codes => Answer::new(
            200,
            Some(&format!("application/json; charset={DEVICE_CODE}")),
            serde_json::json!({
                "device_code": DEVICE_CODE, "user_code": USER_CODE,
                "verification_uri": "https://github.com/login/device",
                "expires_in": 900, "interval": USER_CODE,
            })
            .to_string(),
        ),
        ("GET", ["github", "device"]) => Answer::json(
            200,
            serde_json::json!({
                "device_code": DEVICE_CODE, "user_code": USER_CODE,
                "verification_uri": "https://github.com/login/device",
                "expires_in": 900, "interval": 5,
            })
            .to_string(),
        ),
        ("GET", ["gitlab", "device"]) => error(400, "Git auth device flow not supported.", None),
        ("POST", [_, "device"]) if request.body.is_empty() => {
            error(400, "Request body must be valid JSON.", Some("EOF"))
        }
        ("POST", ["github", "device"]) if leak_codes => error(
            400,
            &format!("Failed to exchange device code {DEVICE_CODE} for {USER_CODE}."),
            Some("incorrect_device_code"),
        ),
        ("POST", ["github", "device"]) => error(
            400,
            "Failed to exchange device code.",
            Some("incorrect_device_code"),
        ),
        ("POST", ["gitlab", "device"]) => error(
            400,
            "Git auth provider does not support device flow.",
            None,
        ),
        ("DELETE", ["github" | "gitlab"]) => error(404, NOT_FOUND, None),
        _ => error(404, NOT_FOUND, None),
    }
}

/// A private CA and a certificate for 127.0.0.1 signed by it, made at test time.
pub struct Pki {
    /// The CA certificate, PEM: what `--ca-cert` is given.
    pub ca_pem: String,
    /// A server configuration presenting the 127.0.0.1 certificate.
    pub server: Arc<rustls::ServerConfig>,
}

impl Pki {
    pub fn new() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "conformance fault-suite CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();

        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf.signed_by(&key, &*ca).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            )
            .unwrap();
        Self {
            ca_pem: ca.pem(),
            server: Arc::new(server),
        }
    }
}
