//! Shared test helpers for registry tests, all on loopback:
//! - [`TestRegistry`]: Debian's `docker-registry` (distribution 2.8) started on 127.0.0.1 with
//!   a free port and a temporary root, open, with htpasswd Basic auth, or with token auth
//!   against [`TokenServer`]; killed by pid on drop.
//! - [`TokenServer`]: a tiny token endpoint issuing ES256 JWTs signed with a self-signed
//!   certificate that the registry trusts (`rootcertbundle`).
//! - [`FaultProxy`]: a one-request-per-connection HTTP proxy in front of a registry that logs
//!   requests and injects faults (error statuses, resets mid-body, truncated or altered bodies).
//!
//! Everything is bounded: servers stop on drop and each connection has read timeouts.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;

pub mod hostile;

/// Path of Debian's registry binary.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// True when the registry binary is installed; prints a skip note otherwise.
pub fn registry_available(test: &str) -> bool {
    if Path::new(REGISTRY_BIN).exists() {
        true
    } else {
        eprintln!(
            "note: {REGISTRY_BIN} not installed; skipping {test} (apt-get install docker-registry)"
        );
        false
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// How the test registry authenticates.
pub enum AuthMode {
    /// No authentication.
    Open,
    /// htpasswd with one user.
    Basic { user: String, password: String },
    /// Token auth; the token server is started with the registry.
    Token { user: String, password: String },
}

/// A running `docker-registry`.
pub struct TestRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Temporary directory holding config and storage.
    pub dir: tempfile::TempDir,
    /// The token server, in token mode.
    pub token_server: Option<TokenServer>,
}

impl TestRegistry {
    /// Start a registry; `None` (after a note) when the binary is missing.
    pub fn start(test: &str, mode: AuthMode) -> Option<TestRegistry> {
        TestRegistry::start_with(test, mode, false)
    }

    /// Start a registry serving HTTPS with a fresh self-signed certificate for 127.0.0.1; its
    /// PEM is at [`TestRegistry::ca_pem`].
    pub fn start_tls(test: &str) -> Option<TestRegistry> {
        TestRegistry::start_with(test, AuthMode::Open, true)
    }

    /// PEM file of the TLS certificate (TLS registries only).
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    fn start_with(test: &str, mode: AuthMode, tls: bool) -> Option<TestRegistry> {
        if !registry_available(test) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let data = dir.path().join("data");
        let mut token_server = None;
        let auth = match &mode {
            AuthMode::Open => String::new(),
            AuthMode::Basic { user, password } => {
                let hash = bcrypt::hash(password, 4).unwrap_or_else(|e| panic!("bcrypt: {e}"));
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, format!("{user}:{hash}\n"))
                    .unwrap_or_else(|e| panic!("htpasswd: {e}"));
                format!(
                    "auth:\n  htpasswd:\n    realm: hoist-test\n    path: {}\n",
                    file.display()
                )
            }
            AuthMode::Token { user, password } => {
                let ts = TokenServer::start(user, password);
                let bundle = dir.path().join("token.crt");
                std::fs::write(&bundle, &ts.cert_pem).unwrap_or_else(|e| panic!("cert: {e}"));
                let s = format!(
                    "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                    ts.realm(),
                    TokenServer::SERVICE,
                    TokenServer::ISSUER,
                    bundle.display()
                );
                token_server = Some(ts);
                s
            }
        };
        let tls_cfg = if tls {
            let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
                .unwrap_or_else(|e| panic!("tls cert: {e}"));
            let crt = dir.path().join("tls.crt");
            let key = dir.path().join("tls.key");
            std::fs::write(&crt, ck.cert.pem()).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap_or_else(|e| panic!("{e}"));
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                crt.display(),
                key.display()
            )
        } else {
            String::new()
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n{tls_cfg}{auth}",
            data.display()
        );
        let cfg_path = dir.path().join("config.yml");
        std::fs::write(&cfg_path, config).unwrap_or_else(|e| panic!("config: {e}"));
        let log = std::fs::File::create(dir.path().join("registry.log"))
            .unwrap_or_else(|e| panic!("log: {e}"));
        let log2 = log.try_clone().unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&cfg_path)
            .env_remove("REGISTRY_HTTP_ADDR")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {REGISTRY_BIN}: {e}"));
        let reg = TestRegistry {
            child,
            host,
            dir,
            token_server,
        };
        reg.wait_ready();
        Some(reg)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(&self.host) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let req = format!("GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.host);
                if s.write_all(req.as_bytes()).is_ok() {
                    let mut buf = [0u8; 12];
                    if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                        return;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        panic!("registry on {} did not come up; log:\n{log}", self.host);
    }

    /// The registry's storage root (to tamper with blobs).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP/1.1 request as the proxy and token server see it.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// A loopback server running `handle` per connection on its own thread until dropped.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = Arc::new(handle);
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
                        let h = handle.clone();
                        std::thread::spawn(move || h(s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

/// Token endpoint for `auth: token` registries.
pub struct TokenServer {
    server: Server,
    /// PEM of the self-signed signing certificate.
    pub cert_pem: String,
    /// Number of tokens issued.
    pub issued: Arc<Mutex<Vec<String>>>,
}

impl TokenServer {
    /// `service` the registry and tokens agree on.
    pub const SERVICE: &'static str = "hoist-test-registry";
    /// `iss` of the tokens.
    pub const ISSUER: &'static str = "hoist-test-issuer";

    /// Start; only `user`/`password` (Basic) or the matching refresh token get tokens, with the
    /// scopes they ask for.
    pub fn start(user: &str, password: &str) -> TokenServer {
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap_or_else(|e| panic!("keygen: {e}"));
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap_or_else(|e| panic!("key: {e}"));
        let rc_key =
            rcgen::KeyPair::try_from(pkcs8.as_ref()).unwrap_or_else(|e| panic!("rcgen key: {e}"));
        let params = rcgen::CertificateParams::new(vec!["hoist-token-signer".to_string()])
            .unwrap_or_else(|e| panic!("params: {e}"));
        let cert = params
            .self_signed(&rc_key)
            .unwrap_or_else(|e| panic!("cert: {e}"));
        let cert_pem = cert.pem();
        let cert_der_b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let refresh = TokenServer::refresh_token_for(password);
        let issued = Arc::new(Mutex::new(Vec::new()));
        let issued2 = issued.clone();
        let key = Arc::new(key);
        let server = Server::start(move |mut s| {
            let Some(req) = read_request(&mut s) else {
                return;
            };
            let auth = req
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.clone());
            // GET with Basic credentials, or the OAuth2 refresh-token POST form.
            let form = String::from_utf8_lossy(&req.body).into_owned();
            let query = if req.method == "POST" {
                let field = |name: &str| {
                    form.split('&').find_map(|p| {
                        let (k, v) = p.split_once('=')?;
                        (k == name).then(|| percent_decode(v))
                    })
                };
                let ok = field("grant_type").as_deref() == Some("refresh_token")
                    && field("refresh_token").as_deref() == Some(refresh.as_str());
                if !ok {
                    respond(&mut s, 401, &[], br#"{"details":"bad refresh token"}"#);
                    return;
                }
                form.as_str()
            } else {
                if auth.as_deref() != Some(expected.as_str()) {
                    respond(&mut s, 401, &[], br#"{"details":"bad credentials"}"#);
                    return;
                }
                req.target.split_once('?').map(|(_, q)| q).unwrap_or("")
            };
            let mut access = Vec::new();
            let mut scopes = Vec::new();
            for pair in query.split('&') {
                let Some((k, v)) = pair.split_once('=') else {
                    continue;
                };
                if k != "scope" {
                    continue;
                }
                let v = percent_decode(v);
                scopes.push(v.clone());
                for scope in v.split(' ') {
                    let mut it = scope.splitn(3, ':');
                    if let (Some(t), Some(name), Some(actions)) = (it.next(), it.next(), it.next())
                    {
                        access.push(serde_json::json!({
                            "type": t, "name": name,
                            "actions": actions.split(',').collect::<Vec<_>>(),
                        }));
                    }
                }
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
            let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [cert_der_b64]});
            let claims = serde_json::json!({
                "iss": TokenServer::ISSUER, "sub": "tester", "aud": TokenServer::SERVICE,
                "exp": now + 600, "nbf": now - 60, "iat": now, "jti": format!("{now}-{}", scopes.len()),
                "access": access,
            });
            let signing_input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            let rng = ring::rand::SystemRandom::new();
            let Ok(sig) = key.sign(&rng, signing_input.as_bytes()) else {
                respond(&mut s, 500, &[], b"sign failed");
                return;
            };
            let token = format!("{signing_input}.{}", b64(sig.as_ref()));
            if let Ok(mut log) = issued2.lock() {
                log.push(scopes.join(" "));
            }
            let body = serde_json::json!({"token": token, "expires_in": 600}).to_string();
            respond(
                &mut s,
                200,
                &[("Content-Type", "application/json".into())],
                body.as_bytes(),
            );
        });
        TokenServer {
            server,
            cert_pem,
            issued,
        }
    }

    /// The OAuth2 refresh token (identity token) the server accepts for `password`'s user.
    pub fn refresh_token_for(password: &str) -> String {
        format!("refresh-{password}")
    }

    /// The realm URL.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.server.addr)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the proxy does to a matching request.
#[derive(Debug, Clone)]
pub enum FaultAction {
    /// Answer with this status (no upstream request), with `Retry-After: 0` for 429/503.
    Status(u16),
    /// Forward, then send the headers and half of the body and close the connection.
    ResetMidBody,
    /// Forward, then send half of the body with a matching (shorter) Content-Length.
    Truncate,
    /// Forward, then flip every byte of the body (same length).
    WrongBytes,
    /// Wait this long before forwarding (to trip client read timeouts).
    Stall(Duration),
}

/// A fault applied to the next `times` requests matching `method` and a path containing `path`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: String,
    pub path: String,
    pub action: FaultAction,
    pub times: usize,
}

/// HTTP proxy in front of a registry, for retry and verification tests.
pub struct FaultProxy {
    server: Server,
    faults: Arc<Mutex<Vec<Fault>>>,
    log: Arc<Mutex<Vec<(String, String, u16)>>>,
}

impl FaultProxy {
    /// Proxy to `upstream` (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        let faults: Arc<Mutex<Vec<Fault>>> = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (f2, l2, up) = (faults.clone(), log.clone(), upstream.to_string());
        let server = Server::start(move |mut s| {
            let Some(req) = read_request(&mut s) else {
                return;
            };
            let path = req.target.split('?').next().unwrap_or("").to_string();
            let action = f2.lock().ok().and_then(|mut fs| {
                let i = fs.iter().position(|f| {
                    f.times > 0 && f.method == req.method && path.contains(&f.path)
                })?;
                fs[i].times -= 1;
                Some(fs[i].action.clone())
            });
            if let Some(FaultAction::Status(code)) = action {
                if let Ok(mut l) = l2.lock() {
                    l.push((req.method.clone(), req.target.clone(), code));
                }
                respond(
                    &mut s,
                    code,
                    &[("Retry-After", "0".into())],
                    b"injected fault",
                );
                return;
            }
            if let Some(FaultAction::Stall(d)) = &action {
                std::thread::sleep(*d);
            }
            let Some((status, head, body)) = forward(&up, &req) else {
                return;
            };
            if let Ok(mut l) = l2.lock() {
                l.push((req.method.clone(), req.target.clone(), status));
            }
            let head_no_len: Vec<&str> = head
                .lines()
                .filter(|l| {
                    let lower = l.to_ascii_lowercase();
                    !lower.starts_with("content-length:")
                        && !lower.starts_with("connection:")
                        && !lower.starts_with("transfer-encoding:")
                        && !l.is_empty()
                })
                .collect();
            let head_str = head_no_len.join("\r\n");
            let write = |s: &mut TcpStream, declared: usize, data: &[u8]| {
                let _ = s.write_all(
                    format!(
                        "{head_str}\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
                let _ = s.write_all(data);
                let _ = s.flush();
            };
            let is_head = req.method == "HEAD";
            match action {
                Some(FaultAction::ResetMidBody) if !is_head => {
                    // With an empty body, drop the connection before any answer.
                    if !body.is_empty() {
                        write(&mut s, body.len(), &body[..body.len() / 2]);
                    }
                    let _ = s.shutdown(Shutdown::Both);
                }
                Some(FaultAction::Truncate) if !is_head => {
                    write(&mut s, body.len() / 2, &body[..body.len() / 2]);
                    let _ = s.shutdown(Shutdown::Write);
                }
                Some(FaultAction::WrongBytes) if !is_head => {
                    let flipped: Vec<u8> = body.iter().map(|b| !b).collect();
                    write(&mut s, flipped.len(), &flipped);
                    let _ = s.shutdown(Shutdown::Write);
                }
                _ => {
                    let declared = if is_head {
                        header_value(&head, "content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0)
                    } else {
                        body.len()
                    };
                    write(&mut s, declared, if is_head { &[] } else { &body });
                    let _ = s.shutdown(Shutdown::Write);
                }
            }
        });
        FaultProxy {
            server,
            faults,
            log,
        }
    }

    /// `127.0.0.1:PORT` of the proxy.
    pub fn host(&self) -> String {
        self.server.addr.to_string()
    }

    /// Add a fault.
    pub fn inject(&self, method: &str, path: &str, action: FaultAction, times: usize) {
        if let Ok(mut f) = self.faults.lock() {
            f.push(Fault {
                method: method.into(),
                path: path.into(),
                action,
                times,
            });
        }
    }

    /// Drop all pending faults.
    pub fn clear_faults(&self) {
        if let Ok(mut f) = self.faults.lock() {
            f.clear();
        }
    }

    /// Requests seen so far: (method, target, status sent).
    pub fn log(&self) -> Vec<(String, String, u16)> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Forget the request log.
    pub fn clear_log(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.clear();
        }
    }
}

fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Send `req` upstream with `Connection: close`; return (status, head without the blank line,
/// body). The Host header is kept, so the registry builds Location URLs pointing at the proxy.
fn forward(upstream: &str, req: &Request) -> Option<(u16, String, Vec<u8>)> {
    let mut up = TcpStream::connect(upstream).ok()?;
    let _ = up.set_read_timeout(Some(Duration::from_secs(20)));
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("connection") || k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        req.body.len()
    ));
    up.write_all(head.as_bytes()).ok()?;
    up.write_all(&req.body).ok()?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if header_value(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    if req.method == "HEAD" {
        body.clear();
    }
    Some((status, head, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_str = String::from_utf8_lossy(&b[..eol]);
        let size =
            usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
}
