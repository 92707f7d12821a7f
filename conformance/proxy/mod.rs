//! The validating reverse proxy: forwards every request to the upstream as it comes and every
//! response back as it comes (bodies stream; the agent route's `listen` long poll waits as
//! long as Coder makes it), and hands each exchange of a contract operation, with a bounded
//! copy of both bodies, to the judge. It never goes through `HTTP_PROXY`: its connector
//! dials the upstream directly.

mod tap;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use coder_external_auth::capture::RawResponse;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

use crate::exchange::Exchange;
use tap::Tap;

/// Largest body copied for judging, each way; beyond it the body still passes whole, and the
/// case says its body is over the cap.
pub const MAX_PROXY_BODY_BYTES: usize = crate::runner::BODY_LIMIT;
/// Connections served at once; more wait to be accepted.
pub const MAX_PROXY_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request head.
pub const PROXY_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Judged exchanges waiting for the judge; a client never waits for one.
pub const MAX_PENDING_JUDGEMENTS: usize = 1024;

/// Headers of one hop, never forwarded (RFC 9110, 7.6.1); `Host` is the upstream's.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// Whether a method and request target are a contract operation's (then the exchange is judged).
pub type Judged = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// Where requests go.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// `http://host:port`, no trailing slash.
    origin: String,
    authority: String,
    /// A path prefix Coder is served under, without a trailing slash (often empty).
    prefix: String,
}

impl Upstream {
    /// Reads `--upstream`: an `http` URL (the proxy speaks plain HTTP to the upstream).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url)
            .with_context(|| format!("--upstream {url}: not a URL (give http://HOST:PORT)"))?;
        match parsed.scheme() {
            "http" => {}
            "https" => bail!(
                "--upstream {url}: the proxy forwards to plain http only; run it where the \
                 deployment listens on http (beside Coder, or behind your TLS terminator)"
            ),
            other => bail!("--upstream {url}: scheme {other} is not http"),
        }
        let Some(host) = parsed.host_str() else {
            bail!("--upstream {url}: no host");
        };
        let authority = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Self {
            origin: format!("http://{authority}"),
            authority,
            prefix: parsed.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// What the proxy shares between connections.
struct Shared {
    upstream: Upstream,
    client: Client<HttpConnector, ProxyBody>,
    /// Whether a method and path are a contract operation's.
    judged: Judged,
    exchanges: mpsc::Sender<Exchange>,
    /// Judged exchanges not yet handed to the judge (a `listen` waiting, a slow body).
    in_flight: Arc<AtomicUsize>,
    numbered: AtomicUsize,
}

/// A running proxy's handle.
pub struct Proxy {
    pub local_addr: SocketAddr,
    pub in_flight: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on `addr` and forwards to `upstream`; each judged exchange goes to `exchanges`.
    pub async fn start(
        addr: SocketAddr,
        upstream: Upstream,
        judged: Judged,
        exchanges: mpsc::Sender<Exchange>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("--addr {addr}: cannot listen there"))?;
        let local_addr = listener.local_addr()?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            upstream,
            client,
            judged,
            exchanges,
            in_flight: in_flight.clone(),
            numbered: AtomicUsize::new(0),
        });
        let accept = tokio::spawn(accept_loop(listener, shared));
        Ok(Self {
            local_addr,
            in_flight,
            accept,
        })
    }

    /// Stops accepting connections (those open finish on their own).
    pub fn stop_accepting(&self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let connections = Arc::new(Semaphore::new(MAX_PROXY_CONNECTIONS));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, or a connection reset before it was accepted: go on.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(forward(&shared, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(PROXY_HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

/// Forwards one request and returns the upstream's response as it comes.
async fn forward(shared: &Shared, request: Request<Incoming>) -> Response<ProxyBody> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let method = parts.method.as_str().to_owned();
    let judged = (shared.judged)(&method, &path_and_query);
    let url = format!(
        "{}{}{path_and_query}",
        shared.upstream.origin, shared.upstream.prefix
    );
    let Ok(uri) = url.parse::<Uri>() else {
        return bad_gateway("the request target cannot be forwarded");
    };
    let mut headers = parts.headers.clone();
    strip_hop_by_hop(&mut headers);
    if let Ok(host) = HeaderValue::from_str(&shared.upstream.authority) {
        headers.insert(header::HOST, host);
    }
    let (body, request_tap) = if judged {
        let (tap, receiver) = Tap::new(body, MAX_PROXY_BODY_BYTES);
        (tap.boxed(), Some(receiver))
    } else {
        (body.boxed(), None)
    };
    let mut upstream_request = Request::new(body);
    *upstream_request.method_mut() = parts.method.clone();
    *upstream_request.uri_mut() = uri;
    *upstream_request.headers_mut() = headers;
    let number = shared.numbered.fetch_add(1, Ordering::Relaxed) + 1;
    let request_headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let record = |response: Option<RawResponse>, missing: Option<String>| Exchange {
        origin: format!("request {number}"),
        method: method.clone(),
        url: path_and_query.clone(),
        request_headers: request_headers.clone(),
        request_body: None,
        response,
        missing,
        elapsed: started.elapsed(),
        started: Some(started_at.clone()),
    };
    if judged {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
    }
    let response = match shared.client.request(upstream_request).await {
        Ok(response) => response,
        Err(error) => {
            let why = format!(
                "the upstream did not answer: {}",
                crate::runner::error_chain(&error)
            );
            if judged {
                let exchange = record(None, Some(why.clone()));
                let _ = shared.exchanges.send(exchange).await;
                shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
            return bad_gateway(&why);
        }
    };
    let (mut parts, body) = response.into_parts();
    let response_head = parts.headers.clone();
    strip_hop_by_hop(&mut parts.headers);
    if !judged {
        return Response::from_parts(parts, body.boxed());
    }
    let (tap, response_tap) = Tap::new(body, MAX_PROXY_BODY_BYTES);
    let status = parts.status;
    let exchanges = shared.exchanges.clone();
    let in_flight = shared.in_flight.clone();
    let mut exchange = record(None, None);
    tokio::spawn(async move {
        let request_body = match request_tap {
            Some(receiver) => receiver.await.ok().map(|tapped| tapped.body.to_vec()),
            None => None,
        };
        let tapped = response_tap.await.ok();
        exchange.elapsed = started.elapsed();
        exchange.request_body = request_body.filter(|body| !body.is_empty());
        exchange.response = Some(RawResponse {
            operation: None,
            status,
            headers: response_head,
            body: tapped.as_ref().map(|t| t.body.clone()).unwrap_or_default(),
            truncated: tapped.as_ref().is_some_and(|t| t.truncated),
            body_error: match &tapped {
                Some(tapped) => tapped.error.clone(),
                None => Some("the body was never read".to_owned()),
            },
        });
        let _ = exchanges.send(exchange).await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
    });
    Response::from_parts(parts, tap.boxed())
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers the Connection header names are this hop's too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

/// The proxy's own answer when the upstream gave none (the only response it writes itself).
fn bad_gateway(why: &str) -> Response<ProxyBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(format!("conformance proxy: {why}\n")))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
