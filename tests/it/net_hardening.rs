//! The last network hardening gaps of issue 9 (items 1, 2, 5 and 17), end to end:
//! - `ADD <url>` in `hoist build` against hostile loopback HTTP servers: an endless body stops at
//!   the size cap, a drip and a silent server fail on the idle window, a redirect to another
//!   listener works and no hop gets credentials;
//! - tokens a redirect's blob host hands out anonymously are fetched once, not per request, and
//!   never mixed with the registry's credentialled tokens;
//! - a listener whose accept queue is full (further SYNs are dropped, so connecting hangs)
//!   makes `copy`/`pull` fail within `--connect-timeout` with a "timed out connecting" error;
//! - a loopback HTTPS registry with a self-signed certificate fails with a TLS error and a hint
//!   to trust its CA, and works once `--cert-dir` or `SSL_CERT_FILE` trusts it.

use std::net::TcpStream;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::hostile_registry::{hoist_measured, stderr};
use crate::support::hostile::{reply, say_nothing, stream_forever, Hostile, Seen};
use hoist::oci::digest::digest_bytes;
use hoist::oci::reference::Reference;
use hoist::registry::auth::{Credential, CredentialSource};
use hoist::registry::retry::RetryPolicy;
use hoist::registry::{HttpRegistry, Registry, RegistryConfig};

const LIMIT: Duration = Duration::from_secs(90);

/// A `hoist build` context whose Dockerfile ADDs `url` (with `--checksum` when given).
fn add_context(url: &str, checksum: Option<&str>) -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flag = checksum
        .map(|c| format!("--checksum={c} "))
        .unwrap_or_default();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!("FROM scratch\nADD {flag}{url} /fetched\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    ctx
}

/// Run `hoist build -q CTX` with the store at `home` and `envs`.
fn build(ctx: &Path, home: &Path, envs: &[(&str, &str)]) -> std::process::Output {
    let home_s = home.display().to_string();
    let ctx_s = ctx.display().to_string();
    let mut all: Vec<(&str, &str)> = vec![("HOIST_HOME", home_s.as_str())];
    all.extend_from_slice(envs);
    hoist_measured(&["build", "-q", &ctx_s], &all, LIMIT).0
}

/// Entries ADD downloads left in the store's `tmp/`.
fn add_leftovers(home: &Path) -> Vec<String> {
    std::fs::read_dir(home.join("tmp"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("add-url-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn add_url_bodies_are_bounded_in_size_and_time() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // An endless body: stops at the cap, named with the URL and the cap.
    let piece = vec![b'x'; 64 * 1024];
    let endless = Hostile::start("127.0.0.1", move |_, s| {
        stream_forever(s, 200, &[], &piece, Duration::ZERO, Duration::from_secs(30))
    });
    let url = format!("http://{}/release.tar.gz", endless.host());
    let ctx = add_context(&url, None);
    let out = build(ctx.path(), home.path(), &[("HOIST_ADD_MAX_SIZE", "1M")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("ADD {url}")), "{err}");
    assert!(
        err.contains("larger than the ADD download limit of 1 MiB"),
        "{err}"
    );
    assert!(err.contains("HOIST_ADD_MAX_SIZE"), "{err}");
    assert_eq!(add_leftovers(home.path()), Vec::<String>::new());

    // A declared length over the cap is refused before any byte is read.
    let big = Hostile::start("127.0.0.1", |_, s| {
        let _ = std::io::Write::write_all(
            s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n",
        );
        say_nothing(s, Duration::from_secs(20));
    });
    let url = format!("http://{}/huge.iso", big.host());
    let ctx = add_context(&url, None);
    let out = build(ctx.path(), home.path(), &[("HOIST_ADD_MAX_SIZE", "1G")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("limit of 1 GiB"), "{err}");

    // A drip (a few bytes a second, under 1 KiB per window) fails as stalled.
    let drip = Hostile::start("127.0.0.1", |_, s| {
        stream_forever(
            s,
            200,
            &[],
            b"z",
            Duration::from_millis(100),
            Duration::from_secs(30),
        )
    });
    let url = format!("http://{}/drip.bin", drip.host());
    let ctx = add_context(&url, None);
    let out = build(ctx.path(), home.path(), &[("HOIST_IDLE_TIMEOUT", "1")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("ADD {url}: stalled")), "{err}");
    assert!(err.contains("HOIST_IDLE_TIMEOUT"), "{err}");

    // Headers that never come.
    let silent = Hostile::start("127.0.0.1", |_, s| say_nothing(s, Duration::from_secs(30)));
    let url = format!("http://{}/silent.bin", silent.host());
    let ctx = add_context(&url, None);
    let out = build(ctx.path(), home.path(), &[("HOIST_IDLE_TIMEOUT", "500ms")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no answer within 0.5s"), "{err}");
    assert_eq!(add_leftovers(home.path()), Vec::<String>::new());

    // A malformed cap is an error naming the variable.
    let out = build(ctx.path(), home.path(), &[("HOIST_ADD_MAX_SIZE", "lots")]);
    assert!(
        stderr(&out).contains("HOIST_ADD_MAX_SIZE=\"lots\" is not a size"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn add_url_follows_a_redirect_to_another_host_without_credentials() {
    let content = b"release tarball bytes\n".repeat(5000);
    let sum = format!("sha256:{}", digest_bytes(&content).hex());
    let body = content.clone();
    let other = Hostile::start("127.0.0.2", move |_, s| reply(s, 200, &[], &body));
    let to = format!("http://{}/files/app.tgz", other.host());
    let first = Hostile::start("127.0.0.1", move |_, s| {
        reply(s, 302, &[("Location", to.clone())], b"")
    });
    // Credentials for both hosts are on disk: ADD must send them to neither.
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let docker = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pw");
    std::fs::write(
        docker.path().join("config.json"),
        serde_json::json!({"auths": {
            first.host(): {"auth": auth},
            other.host(): {"auth": auth},
        }})
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{}/download/app.tgz", first.host());
    let ctx = add_context(&url, Some(&sum));
    let docker_s = docker.path().display().to_string();
    let out = build(
        ctx.path(),
        home.path(),
        &[("DOCKER_CONFIG", docker_s.as_str())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(first.seen().len(), 1, "{:?}", first.seen());
    assert_eq!(other.seen().len(), 1, "{:?}", other.seen());
    for r in first.seen().iter().chain(other.seen().iter()) {
        assert_eq!(r.header("authorization"), None, "{r:?}");
        assert_eq!(r.header("cookie"), None, "{r:?}");
    }
    // The image holds the redirect target's bytes.
    let layout = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dest = layout.path().join("out");
    let home_s = home.path().display().to_string();
    let (out, _) = hoist_measured(
        &[
            "build",
            "-q",
            "-o",
            &format!("type=local,dest={}", dest.display()),
            &ctx.path().display().to_string(),
        ],
        &[("HOIST_HOME", home_s.as_str())],
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dest.join("fetched")).unwrap_or_default(),
        content
    );
}

/// The anonymous token endpoint, a blob host demanding its tokens, and the registry R that
/// redirects blob downloads there; R itself wants a token fetched with alice's password.
struct RedirectingRegistry {
    registry: Hostile,
    blobs: Hostile,
    tokens: Hostile,
    /// Tokens the blob host currently accepts.
    valid: Arc<Mutex<Vec<String>>>,
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pw")
    )
}

fn bearer_challenge(realm: &str, service: &str) -> String {
    format!("Bearer realm=\"{realm}\",service=\"{service}\",scope=\"repository:app:pull\"")
}

impl RedirectingRegistry {
    fn start(blobs: Vec<Vec<u8>>) -> RedirectingRegistry {
        let valid: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
        let issued = Arc::new(Mutex::new(0usize));
        let valid2 = valid.clone();
        let tokens = Hostile::start("127.0.0.2", move |req: &Seen, s| {
            let n = {
                let mut n = issued.lock().unwrap_or_else(|e| e.into_inner());
                *n += 1;
                *n
            };
            let with_password = req.header("authorization") == Some(basic().as_str());
            let token = if with_password {
                format!("cred-{n}")
            } else {
                format!("anon-{n}")
            };
            if !with_password {
                valid2
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("Bearer {token}"));
            }
            let body = serde_json::json!({ "token": token }).to_string();
            reply(s, 200, &[], body.as_bytes());
        });
        let realm = format!("http://{}/token", tokens.host());
        let valid3 = valid.clone();
        let realm2 = realm.clone();
        let blob_host = Hostile::start("127.0.0.2", move |req: &Seen, s| {
            let auth = req.header("authorization").unwrap_or("").to_string();
            if !valid3
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&auth)
            {
                let c = bearer_challenge(&realm2, "blobs");
                return reply(s, 401, &[("WWW-Authenticate", c)], b"");
            }
            let d = req.target.rsplit('/').next().unwrap_or("");
            match blobs.iter().find(|b| digest_bytes(b).to_string() == d) {
                Some(b) => reply(s, 200, &[], b),
                None => reply(s, 404, &[], b""),
            }
        });
        let blob_base = format!("http://{}", blob_host.host());
        let registry = Hostile::start("127.0.0.1", move |req: &Seen, s| {
            if !req
                .header("authorization")
                .unwrap_or("")
                .starts_with("Bearer cred-")
            {
                let c = bearer_challenge(&realm, "registry");
                return reply(s, 401, &[("WWW-Authenticate", c)], b"");
            }
            let d = req.target.rsplit('/').next().unwrap_or("");
            let loc = format!("{blob_base}/storage/{d}");
            reply(s, 307, &[("Location", loc)], b"");
        });
        RedirectingRegistry {
            registry,
            blobs: blob_host,
            tokens,
            valid,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_tokens_for_another_host_are_cached_apart_from_credentialled_ones() {
    let blobs: Vec<Vec<u8>> = (0..4)
        .map(|i| format!("layer {i} ").repeat(1000).into_bytes())
        .collect();
    let fake = RedirectingRegistry::start(blobs.clone());
    let client = HttpRegistry::new(RegistryConfig {
        credentials: CredentialSource::default().with_credential(
            &fake.registry.host(),
            Credential::Basic {
                username: "alice".into(),
                password: "s3cret-pw".into(),
            },
        ),
        retry: RetryPolicy::none(),
        ..RegistryConfig::default()
    })
    .unwrap_or_else(|e| panic!("client: {e}"));
    let repo: Reference = format!("{}/app:1", fake.registry.host())
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fetch = |b: Vec<u8>| {
        let d = digest_bytes(&b);
        let (client, repo, tmp) = (&client, &repo, tmp.path().to_path_buf());
        async move {
            let got = client
                .get_blob(repo, &d, Some(b.len() as u64), &tmp)
                .await
                .unwrap_or_else(|e| panic!("get {d}: {e}"));
            assert_eq!(got.digest, d);
        }
    };
    for b in &blobs[..3] {
        fetch(b.clone()).await;
    }
    let asked = fake.tokens.seen();
    let anonymous: Vec<&Seen> = asked
        .iter()
        .filter(|r| r.header("authorization").is_none())
        .collect();
    let credentialled = asked.len() - anonymous.len();
    assert_eq!(
        anonymous.len(),
        1,
        "one anonymous token for 3 blobs: {asked:?}"
    );
    assert_eq!(credentialled, 1, "{asked:?}");
    assert!(anonymous[0].target.contains("service=blobs"), "{asked:?}");
    // The blob host never saw a credentialled token, R never an anonymous one.
    for r in fake.blobs.seen() {
        let a = r.header("authorization").unwrap_or("");
        assert!(!a.contains("cred-") && !a.starts_with("Basic"), "{r:?}");
    }
    for r in fake.registry.seen() {
        assert!(
            !r.header("authorization").unwrap_or("").contains("anon-"),
            "{r:?}"
        );
    }
    // The blob host revokes its tokens: the cached one is refused once, then a new one is
    // fetched (still anonymously) and used.
    fake.valid.lock().unwrap_or_else(|e| e.into_inner()).clear();
    fetch(blobs[3].clone()).await;
    let asked = fake.tokens.seen();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert_eq!(asked[2].header("authorization"), None, "{asked:?}");
}

/// A loopback listener that accepts nothing: `listen(0)` and its one queue slot filled, so
/// the kernel drops further SYNs and a connect hangs until the client's own timeout.
struct BlackHole {
    _listener: OwnedFd,
    _queued: Vec<TcpStream>,
    host: String,
}

impl BlackHole {
    fn start() -> BlackHole {
        use nix::sys::socket::{
            bind, getsockname, listen, socket, AddressFamily, Backlog, SockFlag, SockType,
            SockaddrIn,
        };
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .unwrap_or_else(|e| panic!("socket: {e}"));
        bind(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &SockaddrIn::new(127, 0, 0, 1, 0),
        )
        .unwrap_or_else(|e| panic!("bind: {e}"));
        listen(&fd, Backlog::new(0).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("listen: {e}"));
        let addr: SockaddrIn = getsockname(std::os::fd::AsRawFd::as_raw_fd(&fd))
            .unwrap_or_else(|e| panic!("getsockname: {e}"));
        let sa = std::net::SocketAddr::from(std::net::SocketAddrV4::new(addr.ip(), addr.port()));
        // Fill the accept queue until a connect attempt times out.
        let mut queued = Vec::new();
        for _ in 0..16 {
            match TcpStream::connect_timeout(&sa, Duration::from_millis(300)) {
                Ok(s) => queued.push(s),
                Err(_) => break,
            }
        }
        assert!(
            TcpStream::connect_timeout(&sa, Duration::from_millis(300)).is_err(),
            "the black hole still accepts connections"
        );
        BlackHole {
            _listener: fd,
            _queued: queued,
            host: sa.to_string(),
        }
    }
}

#[test]
fn a_connection_nobody_accepts_fails_within_the_connect_timeout() {
    let hole = BlackHole::start();
    let target = format!("{}/app:1", hole.host);
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dest = format!("oci:{}:x", out_dir.path().join("layout").display());
    let dest2 = out_dir.path().join("pulled").display().to_string();
    type Run<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let runs: [Run; 2] = [
        (
            vec!["copy", "-q", "--connect-timeout", "1", &target, &dest],
            vec![],
        ),
        (
            vec!["pull", "-q", &target, &dest2],
            vec![("HOIST_CONNECT_TIMEOUT", "1500ms")],
        ),
    ];
    for (args, envs) in runs {
        let start = Instant::now();
        let (out, _) = hoist_measured(&args, &envs, LIMIT);
        let took = start.elapsed();
        let err = stderr(&out);
        eprintln!("{args:?}: {took:?}");
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("timed out connecting"), "{err}");
        assert!(err.contains(&hole.host), "{err}");
        assert!(err.contains("--connect-timeout"), "{err}");
        assert!(
            !err.contains("password") && !err.contains("insecure-registry"),
            "{err}"
        );
        // Not retried, so nowhere near the 30s default or several attempts of the limit.
        assert!(took < Duration::from_secs(12), "{args:?} took {took:?}");
    }
}

#[test]
fn a_self_signed_loopback_registry_through_the_cli() {
    let Some(reg) = crate::support::TestRegistry::start_tls("self_signed_through_the_cli") else {
        return;
    };
    let dirs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = dirs.path().join("empty");
    let trusted = dirs.path().join("trusted");
    std::fs::create_dir_all(&empty).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&trusted).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(reg.ca_pem(), trusted.join("ca.crt")).unwrap_or_else(|e| panic!("{e}"));
    let layout = dirs.path().join("layout");
    let digest =
        crate::oci_fixtures::build_layout(&layout, "1", hoist::oci::layer::Compression::None);
    let src = format!("oci:{}:1", layout.display());
    let target = format!("{}/app:1", reg.host);
    let (empty_s, trusted_s) = (empty.display().to_string(), trusted.display().to_string());

    // TLS is spoken (--cert-dir), but nothing trusts the certificate: a TLS error and a hint
    // to trust the CA, for copy and inspect alike.
    for args in [
        vec!["copy", "-q", "--cert-dir", &empty_s, &src, &target],
        vec!["inspect", "--cert-dir", &empty_s, &target],
    ] {
        let (out, _) = hoist_measured(&args, &[], LIMIT);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("certificate is signed by an unknown authority"),
            "{err}"
        );
        assert!(err.contains("--cert-dir DIR"), "{err}");
        assert!(err.contains("certs.d/HOST:PORT/ca.crt"), "{err}");
        assert!(err.contains("SSL_CERT_FILE"), "{err}");
        assert!(!err.contains("password"), "{err}");
    }

    // With the CA in --cert-dir the same commands succeed.
    let (out, _) = hoist_measured(
        &["copy", "-q", "--cert-dir", &trusted_s, &src, &target],
        &[],
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (out, _) = hoist_measured(&["digest", "--cert-dir", &trusted_s, &target], &[], LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        digest.to_string()
    );

    // SSL_CERT_FILE trusts it too (HOIST_CERT_DIR, empty, only asks for TLS).
    let ca = reg.ca_pem().display().to_string();
    let (out, _) = hoist_measured(
        &["digest", &target],
        &[("SSL_CERT_FILE", ca.as_str()), ("HOIST_CERT_DIR", &empty_s)],
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        digest.to_string()
    );

    // --insecure-registry names the host: plain HTTP wins over --cert-dir.
    let (out, _) = hoist_measured(
        &[
            "digest",
            "--cert-dir",
            &trusted_s,
            "--insecure-registry",
            &reg.host,
            &target,
        ],
        &[],
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(err.contains("the registry speaks HTTPS"), "{err}");
}
