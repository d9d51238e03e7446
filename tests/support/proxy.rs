//! A recording, fault-injecting HTTP/1.1 reverse proxy to put between trailhub and moto.
//!
//! moto never throttles, denies or fails, so tests that prove trailhub's retries and error handling put a
//! [`Proxy`] in front of it. The proxy runs on its own thread with its own tokio runtime, so it is driven
//! from plain synchronous tests.
//!
//! Every request is classified into an AWS service and operation ([`classify`]) and logged as a
//! [`Logged`] entry. [`Rule`]s pick requests (by service, operation, `RoleArn`, probability, count) and
//! answer them with a [`Fault`] rendered in the protocol the caller speaks (awsJson, awsQuery, EC2 query,
//! S3 restXml) instead of forwarding them; the SDK then sees the same error shapes AWS would send.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::oneshot;

/// One request seen by the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// Signing name from the SigV4 credential scope: `sts`, `s3`, `cloudtrail`, `organizations`, ...
    pub service: String,
    /// API operation, e.g. `AssumeRole`, `CreateTrail`, `PutBucketPolicy`.
    pub operation: String,
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Status answered to the client; 0 when the connection was closed without an answer
    /// ([`Fault::Reset`], [`Fault::Hang`]); 502 when moto could not be reached.
    pub status: u16,
    /// [`Fault::name`] of the fault injected, if any.
    pub fault: Option<String>,
    /// `RoleArn` parameter of STS AssumeRole-like calls.
    pub role_arn: Option<String>,
}

impl Logged {
    /// Whether the operation changes state (by its name's verb).
    pub fn is_write(&self) -> bool {
        is_write_operation(&self.operation)
    }
}

/// Whether an operation name denotes a change of state.
pub fn is_write_operation(operation: &str) -> bool {
    const VERBS: &[&str] = &[
        "Create",
        "Put",
        "Update",
        "Delete",
        "Start",
        "Stop",
        "Add",
        "Remove",
        "Tag",
        "Untag",
        "Attach",
        "Detach",
        "Enable",
        "Disable",
        "Restore",
        "Copy",
        "UploadPart",
        "Complete",
        "Abort",
        "Register",
        "Deregister",
        "Move",
    ];
    VERBS.iter().any(|verb| operation.starts_with(verb))
}

/// The wire protocol of a request, which decides how a [`Fault`] is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `X-Amz-Target` + JSON body (CloudTrail, Organizations, CloudWatch Logs).
    AwsJson,
    /// Form-encoded `Action=...` body, `<ErrorResponse>` errors (STS, IAM).
    AwsQuery,
    /// Form-encoded `Action=...` body, `<Response><Errors>` errors (EC2).
    Ec2Query,
    /// S3's REST + XML.
    RestXml,
    /// Anything else (rendered like awsJson).
    Unknown,
}

/// What [`classify`] makes of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub service: String,
    pub operation: String,
    pub protocol: Protocol,
    pub role_arn: Option<String>,
}

/// A fault the proxy answers instead of forwarding.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// awsJson: 400 `ThrottlingException`; awsQuery: 400 `Throttling`; EC2: 503 `RequestLimitExceeded`;
    /// S3: 503 `SlowDown`.
    Throttle,
    /// awsJson: 400 `AccessDeniedException`; awsQuery: 403 `AccessDenied`; EC2: 403
    /// `UnauthorizedOperation`; S3: 403 `AccessDenied`.
    AccessDenied,
    /// Any service error, rendered in the request's protocol.
    Custom {
        status: u16,
        code: String,
        message: String,
    },
    /// A bare status with an empty body.
    Http(u16),
    /// Close the connection without answering.
    Reset,
    /// Wait this long, then close the connection without answering.
    Hang(Duration),
    /// Wait this long, then forward normally.
    Latency(Duration),
}

impl Fault {
    /// `Fault::Custom` with `status`, error `code` and `message`.
    pub fn custom(status: u16, code: impl Into<String>, message: impl Into<String>) -> Fault {
        Fault::Custom {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// The name logged in [`Logged::fault`]: `Throttle`, `AccessDenied`, the code of a `Custom` fault
    /// (e.g. `OperationAborted`), `Http500`, `Reset`, `Hang`, `Latency`.
    pub fn name(&self) -> String {
        match self {
            Fault::Throttle => "Throttle".into(),
            Fault::AccessDenied => "AccessDenied".into(),
            Fault::Custom { code, .. } => code.clone(),
            Fault::Http(status) => format!("Http{status}"),
            Fault::Reset => "Reset".into(),
            Fault::Hang(_) => "Hang".into(),
            Fault::Latency(_) => "Latency".into(),
        }
    }
}

/// Which requests get which fault. All set conditions must hold; the first rule that fires wins.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Signing name, compared case-insensitively.
    pub service: Option<String>,
    pub operation: Option<String>,
    pub role_arn_contains: Option<String>,
    /// Chance of firing on a matching request (1.0 = always), drawn from the proxy's seeded RNG.
    pub probability: f64,
    /// Fire at most this many times.
    pub times: Option<usize>,
    pub fault: Fault,
}

impl Rule {
    /// Every request, always, with `Http(500)` until [`Rule::fault`] says otherwise.
    pub fn any() -> Rule {
        Rule {
            service: None,
            operation: None,
            role_arn_contains: None,
            probability: 1.0,
            times: None,
            fault: Fault::Http(500),
        }
    }

    /// Requests to `operation` of `service` (e.g. `Rule::on("sts", "AssumeRole")`).
    pub fn on(service: &str, operation: &str) -> Rule {
        Rule {
            service: Some(service.into()),
            operation: Some(operation.into()),
            ..Rule::any()
        }
    }

    /// Every request to `service`.
    pub fn service(service: &str) -> Rule {
        Rule {
            service: Some(service.into()),
            ..Rule::any()
        }
    }

    /// Only requests whose `RoleArn` contains `needle` (e.g. an account id).
    pub fn role_contains(mut self, needle: &str) -> Rule {
        self.role_arn_contains = Some(needle.into());
        self
    }

    pub fn probability(mut self, probability: f64) -> Rule {
        self.probability = probability;
        self
    }

    /// Fire at most `n` times.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    /// Fire once.
    pub fn once(self) -> Rule {
        self.times(1)
    }

    pub fn fault(mut self, fault: Fault) -> Rule {
        self.fault = fault;
        self
    }

    /// Always (probability 1.0) answer `fault`.
    pub fn always(self, fault: Fault) -> Rule {
        self.probability(1.0).fault(fault)
    }

    fn matches(&self, c: &Classified) -> bool {
        self.service
            .as_ref()
            .is_none_or(|s| s.eq_ignore_ascii_case(&c.service))
            && self.operation.as_ref().is_none_or(|op| *op == c.operation)
            && self.role_arn_contains.as_ref().is_none_or(|needle| {
                c.role_arn
                    .as_ref()
                    .is_some_and(|arn| arn.contains(needle.as_str()))
            })
    }
}

/// A running proxy; dropping it stops it.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

struct ActiveRule {
    rule: Rule,
    fired: usize,
}

struct Shared {
    upstream: Uri,
    log: Mutex<Vec<Logged>>,
    rules: Mutex<Vec<ActiveRule>>,
    latency: Mutex<Duration>,
    rng: Mutex<SplitMix64>,
}

const DEFAULT_SEED: u64 = 0x7472_6169_6c68_7562; // "trailhub"

impl Proxy {
    /// Starts a proxy on `127.0.0.1:<free port>` forwarding to `upstream_url` (e.g. [`super::Moto::url`]).
    ///
    /// # Panics
    /// If `upstream_url` is not an `http://host:port` URL or the proxy cannot listen or start its thread.
    pub fn start(upstream_url: &str) -> Proxy {
        let upstream: Uri = match upstream_url.trim_end_matches('/').parse() {
            Ok(uri) => uri,
            Err(e) => panic!("proxy upstream {upstream_url:?} is not a URL: {e}"),
        };
        assert!(
            upstream.scheme_str() == Some("http") && upstream.authority().is_some(),
            "proxy upstream {upstream_url:?} must be http://host:port"
        );
        let listener = match std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
        {
            Ok(l) => l,
            Err(e) => panic!("proxy cannot listen on 127.0.0.1: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => panic!("proxy listener has no address: {e}"),
        };
        let shared = Arc::new(Shared {
            upstream,
            log: Mutex::new(Vec::new()),
            rules: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            rng: Mutex::new(SplitMix64(DEFAULT_SEED)),
        });
        let (shutdown, shutdown_rx) = oneshot::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("proxy-{}", addr.port()))
            .spawn(move || run(listener, thread_shared, shutdown_rx));
        let thread = match thread {
            Ok(t) => t,
            Err(e) => panic!("cannot start the proxy thread: {e}"),
        };
        Proxy {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// All requests so far, in the order they were answered (or dropped).
    pub fn log(&self) -> Vec<Logged> {
        lock(&self.shared.log).clone()
    }

    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Logged requests whose operation changes state ([`Logged::is_write`]), faulted ones included.
    pub fn writes(&self) -> Vec<Logged> {
        self.log().into_iter().filter(Logged::is_write).collect()
    }

    /// Logged requests that got a fault.
    pub fn faulted(&self) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.fault.is_some())
            .collect()
    }

    /// Number of logged requests (faulted ones included) to `operation`.
    pub fn count(&self, operation: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|l| l.operation == operation)
            .count()
    }

    /// Replaces all rules (and their fire counts).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *lock(&self.shared.rules) = rules
            .into_iter()
            .map(|rule| ActiveRule { rule, fired: 0 })
            .collect();
    }

    /// Appends a rule (checked after the existing ones).
    pub fn add_rule(&self, rule: Rule) {
        lock(&self.shared.rules).push(ActiveRule { rule, fired: 0 });
    }

    pub fn clear_rules(&self) {
        lock(&self.shared.rules).clear();
    }

    /// Delay added before handling every request (zero to turn it off).
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Reseeds the RNG deciding probabilistic rules (the proxy starts with a fixed seed).
    pub fn set_seed(&self, seed: u64) {
        *lock(&self.shared.rng) = SplitMix64(seed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Locks, ignoring poisoning (a panicking test thread must not hide the log from others).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// splitmix64: tiny, seedable, good enough to decide which requests fail.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Shared {
    fn push(&self, entry: Logged) {
        lock(&self.log).push(entry);
    }

    /// The fault for this request, if a rule fires (counting it).
    fn pick_fault(&self, c: &Classified) -> Option<Fault> {
        let mut rules = lock(&self.rules);
        for active in rules.iter_mut() {
            let rule = &active.rule;
            if rule.times.is_some_and(|n| active.fired >= n) || !rule.matches(c) {
                continue;
            }
            let fires = rule.probability >= 1.0
                || (rule.probability > 0.0 && lock(&self.rng).next_f64() < rule.probability);
            if fires {
                active.fired += 1;
                return Some(rule.fault.clone());
            }
        }
        None
    }
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;
type UpstreamClient = Client<HttpConnector, Full<Bytes>>;

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct Dropped(&'static str);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "proxy dropped the connection: {}", self.0)
    }
}

impl std::error::Error for Dropped {}

fn run(listener: std::net::TcpListener, shared: Arc<Shared>, shutdown: oneshot::Receiver<()>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("proxy-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build the proxy runtime: {e}"),
    };
    runtime.block_on(serve(listener, shared, shutdown));
    // Dropping the runtime cancels connections still open (hanging requests included).
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => panic!("proxy cannot register its listener: {e}"),
    };
    // No pooling towards moto: a pooled connection moto has just closed would show up as a spurious 502.
    let client: UpstreamClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let client = client.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                handle(Arc::clone(&shared), client.clone(), req)
            });
            // An Err here is a dropped connection (Reset/Hang) or a client going away: nothing to do.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    client: UpstreamClient,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Dropped> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(Dropped("request body not received")),
    };
    let classified = classify(&parts.method, &parts.uri, &parts.headers, &body);
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let mut entry = Logged {
        service: classified.service.clone(),
        operation: classified.operation.clone(),
        method: parts.method.to_string(),
        path: path.clone(),
        status: 0,
        fault: None,
        role_arn: classified.role_arn.clone(),
    };

    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = shared.pick_fault(&classified);
    entry.fault = fault.as_ref().map(Fault::name);
    match fault {
        Some(Fault::Reset) => {
            shared.push(entry);
            return Err(Dropped("Fault::Reset"));
        }
        Some(Fault::Hang(duration)) => {
            shared.push(entry);
            tokio::time::sleep(duration).await;
            return Err(Dropped("Fault::Hang"));
        }
        Some(Fault::Latency(duration)) => tokio::time::sleep(duration).await,
        Some(fault) => {
            let response = render_fault(&fault, &classified, &parts.headers);
            entry.status = response.status().as_u16();
            shared.push(entry);
            return Ok(response);
        }
        None => {}
    }

    let response = forward(&shared.upstream, &client, parts, path, body).await;
    entry.status = response.status().as_u16();
    shared.push(entry);
    Ok(response)
}

/// Headers that describe one hop, not the message.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "expect"
            | "host"
            | "content-length"
    )
}

async fn forward(
    upstream: &Uri,
    client: &UpstreamClient,
    parts: hyper::http::request::Parts,
    path: String,
    body: Bytes,
) -> Response<ProxyBody> {
    let authority = upstream.authority().map_or("", |a| a.as_str());
    let mut builder = Request::builder()
        .method(parts.method)
        .uri(format!("http://{authority}{path}"));
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) {
            builder = builder.header(name, value);
        }
    }
    builder = builder.header(header::HOST, authority);
    let result = match builder.body(Full::new(body)) {
        Ok(request) => client.request(request).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            let hop: Vec<HeaderName> = parts
                .headers
                .keys()
                .filter(|n| is_hop_by_hop(n) && *n != header::CONTENT_LENGTH)
                .cloned()
                .collect();
            for name in hop {
                parts.headers.remove(name);
            }
            Response::from_parts(parts, body.boxed())
        }
        Err(e) => {
            eprintln!("proxy: forwarding {path} to {upstream} failed: {e}");
            plain(
                StatusCode::BAD_GATEWAY,
                "text/plain",
                format!("proxy: upstream failed: {e}"),
            )
        }
    }
}

fn plain(status: StatusCode, content_type: &str, body: String) -> Response<ProxyBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

const REQUEST_ID: &str = "00000000-0000-0000-0000-00000000f4u1";

/// Renders a fault that answers (not Reset/Hang/Latency) in the request's protocol.
fn render_fault(fault: &Fault, c: &Classified, request_headers: &HeaderMap) -> Response<ProxyBody> {
    let (status, code, message): (u16, String, String) = match (fault, c.protocol) {
        (Fault::Http(status), _) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return plain(status, "text/plain", String::new());
        }
        (Fault::Throttle, Protocol::AwsQuery) => (400, "Throttling".into(), "Rate exceeded".into()),
        (Fault::Throttle, Protocol::Ec2Query) => (
            503,
            "RequestLimitExceeded".into(),
            "Request limit exceeded.".into(),
        ),
        (Fault::Throttle, Protocol::RestXml) => (
            503,
            "SlowDown".into(),
            "Please reduce your request rate.".into(),
        ),
        (Fault::Throttle, _) => (400, "ThrottlingException".into(), "Rate exceeded".into()),
        (Fault::AccessDenied, Protocol::AwsQuery) => (
            403,
            "AccessDenied".into(),
            format!(
                "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: {}:{} on resource: {}",
                c.service,
                c.operation,
                c.role_arn.as_deref().unwrap_or("*")
            ),
        ),
        (Fault::AccessDenied, Protocol::Ec2Query) => (
            403,
            "UnauthorizedOperation".into(),
            "You are not authorized to perform this operation.".into(),
        ),
        (Fault::AccessDenied, Protocol::RestXml) => {
            (403, "AccessDenied".into(), "Access Denied".into())
        }
        (Fault::AccessDenied, _) => (
            400,
            "AccessDeniedException".into(),
            format!(
                "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: {}:{}",
                c.service, c.operation
            ),
        ),
        (
            Fault::Custom {
                status,
                code,
                message,
            },
            _,
        ) => (*status, code.clone(), message.clone()),
        (Fault::Reset | Fault::Hang(_) | Fault::Latency(_), _) => (
            500,
            "InternalFailure".into(),
            "proxy: fault has no answer".into(),
        ),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let code_x = xml_escape(&code);
    let message_x = xml_escape(&message);
    match c.protocol {
        Protocol::AwsQuery => {
            let kind = if status.is_server_error() {
                "Receiver"
            } else {
                "Sender"
            };
            plain(
                status,
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>{kind}</Type><Code>{code_x}</Code><Message>{message_x}</Message>\
                     </Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
                ),
            )
        }
        Protocol::Ec2Query => plain(
            status,
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code_x}</Code><Message>{message_x}</Message></Error></Errors>\
                 <RequestID>{REQUEST_ID}</RequestID></Response>"
            ),
        ),
        Protocol::RestXml => plain(
            status,
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code_x}</Code><Message>{message_x}</Message>\
                 <RequestId>{REQUEST_ID}</RequestId></Error>"
            ),
        ),
        Protocol::AwsJson | Protocol::Unknown => {
            let content_type = request_headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .filter(|ct| ct.starts_with("application/x-amz-json"))
                .unwrap_or("application/x-amz-json-1.1")
                .to_string();
            let body = serde_json::json!({ "__type": code, "message": message }).to_string();
            let mut response = plain(status, &content_type, body);
            if let Ok(value) = HeaderValue::from_str(&code) {
                response.headers_mut().insert("x-amzn-errortype", value);
            }
            response
                .headers_mut()
                .insert("x-amzn-requestid", HeaderValue::from_static(REQUEST_ID));
            response
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Works out service, operation, protocol and `RoleArn` of a request as the SDK sends it.
pub fn classify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Classified {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let query = uri.query().unwrap_or("");
    let scope_service = header("authorization")
        .and_then(credential_scope_service)
        .or_else(|| {
            query_param(query, "X-Amz-Credential")
                .and_then(|c| c.split('/').nth(3).map(str::to_string))
        });

    // awsJson: X-Amz-Target: <Prefix>.<Operation>
    if let Some(target) = header("x-amz-target") {
        let (prefix, operation) = target.rsplit_once('.').unwrap_or(("", target));
        let service = scope_service.unwrap_or_else(|| service_from_target_prefix(prefix));
        let role_arn = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("RoleArn")
                    .and_then(|r| r.as_str())
                    .map(str::to_string)
            });
        return Classified {
            service,
            operation: operation.to_string(),
            protocol: Protocol::AwsJson,
            role_arn,
        };
    }

    // awsQuery / ec2Query: form-encoded Action=...
    let form = std::str::from_utf8(body).unwrap_or("");
    let is_form = header("content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        && scope_service.as_deref() != Some("s3");
    if let Some(action) = query_param(form, "Action").filter(|_| is_form) {
        let service = scope_service.unwrap_or_else(|| "unknown".into());
        let protocol = if service == "ec2" {
            Protocol::Ec2Query
        } else {
            Protocol::AwsQuery
        };
        let role_arn = query_param(form, "RoleArn");
        return Classified {
            service,
            operation: action,
            protocol,
            role_arn,
        };
    }

    // smithy-rpc-v2-cbor: POST /service/<Service>/operation/<Operation>
    if let Some((_, operation)) = uri.path().split_once("/operation/") {
        return Classified {
            service: scope_service.unwrap_or_else(|| "unknown".into()),
            operation: operation.to_string(),
            protocol: Protocol::Unknown,
            role_arn: None,
        };
    }

    match scope_service {
        Some(service) if service == "s3" => Classified {
            operation: s3_operation(method, uri, headers),
            service,
            protocol: Protocol::RestXml,
            role_arn: None,
        },
        service => Classified {
            service: service.unwrap_or_else(|| "unknown".into()),
            operation: format!("{method} {}", uri.path()),
            protocol: Protocol::Unknown,
            role_arn: None,
        },
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...` -> `SERVICE`.
fn credential_scope_service(authorization: &str) -> Option<String> {
    let start = authorization.find("Credential=")? + "Credential=".len();
    let scope = authorization[start..].split([',', ' ']).next()?;
    scope.split('/').nth(3).map(str::to_string)
}

fn service_from_target_prefix(prefix: &str) -> String {
    match prefix {
        "CloudTrail_20131101" | "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" => {
            "cloudtrail".into()
        }
        "AWSOrganizationsV20161128" => "organizations".into(),
        "Logs_20140328" => "logs".into(),
        "AWSSecurityTokenServiceV20110615" => "sts".into(),
        other => other
            .rsplit('.')
            .next()
            .unwrap_or(other)
            .to_ascii_lowercase(),
    }
}

/// First value of `name` in an `a=b&c=d` string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(key) == name).then(|| url_decode(value))
    })
}

fn url_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// S3 operation from method, path-style path (`/bucket[/key]`), query and headers.
fn s3_operation(method: &Method, uri: &Uri, headers: &HeaderMap) -> String {
    let query = uri.query().unwrap_or("");
    if let Some(op) = query_param(query, "x-id") {
        return op;
    }
    let has = |key: &str| {
        query
            .split('&')
            .any(|pair| url_decode(pair.split_once('=').map_or(pair, |(k, _)| k)) == key)
    };
    let path = uri.path().trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let verb = match *method {
        Method::GET => "Get",
        Method::PUT => "Put",
        Method::DELETE => "Delete",
        Method::HEAD => "Head",
        Method::POST => "Post",
        _ => "Other",
    };

    if bucket.is_empty() {
        return if *method == Method::GET {
            "ListBuckets".into()
        } else {
            format!("{verb}Service")
        };
    }

    if key.is_empty() {
        const BUCKET_SUBRESOURCES: &[(&str, &str)] = &[
            ("policyStatus", "BucketPolicyStatus"),
            ("policy", "BucketPolicy"),
            ("versioning", "BucketVersioning"),
            ("encryption", "BucketEncryption"),
            ("publicAccessBlock", "PublicAccessBlock"),
            ("acl", "BucketAcl"),
            ("location", "BucketLocation"),
            ("ownershipControls", "BucketOwnershipControls"),
            ("tagging", "BucketTagging"),
            ("lifecycle", "BucketLifecycleConfiguration"),
            ("logging", "BucketLogging"),
            ("notification", "BucketNotificationConfiguration"),
            ("object-lock", "ObjectLockConfiguration"),
            ("cors", "BucketCors"),
            ("website", "BucketWebsite"),
            ("replication", "BucketReplication"),
        ];
        if let Some((_, name)) = BUCKET_SUBRESOURCES.iter().find(|(sub, _)| has(sub)) {
            return format!("{verb}{name}");
        }
        return match *method {
            Method::POST if has("delete") => "DeleteObjects".into(),
            Method::GET if has("uploads") => "ListMultipartUploads".into(),
            Method::GET if has("versions") => "ListObjectVersions".into(),
            Method::GET if query_param(query, "list-type").as_deref() == Some("2") => {
                "ListObjectsV2".into()
            }
            Method::GET => "ListObjects".into(),
            Method::PUT => "CreateBucket".into(),
            Method::HEAD => "HeadBucket".into(),
            Method::DELETE => "DeleteBucket".into(),
            _ => format!("{verb}Bucket"),
        };
    }

    if has("tagging") {
        return format!("{verb}ObjectTagging");
    }
    if has("acl") {
        return format!("{verb}ObjectAcl");
    }
    match *method {
        Method::POST if has("uploads") => "CreateMultipartUpload".into(),
        Method::POST if has("uploadId") => "CompleteMultipartUpload".into(),
        Method::PUT if has("uploadId") => "UploadPart".into(),
        Method::DELETE if has("uploadId") => "AbortMultipartUpload".into(),
        Method::GET if has("uploadId") => "ListParts".into(),
        Method::PUT if headers.contains_key("x-amz-copy-source") => "CopyObject".into(),
        Method::PUT => "PutObject".into(),
        Method::GET => "GetObject".into(),
        Method::HEAD => "HeadObject".into(),
        Method::DELETE => "DeleteObject".into(),
        _ => format!("{verb}Object"),
    }
}
