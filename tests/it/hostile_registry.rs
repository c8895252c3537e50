//! hoist against hostile and broken registries (issue 9, items 1, 2, 5 and 17): credentials go
//! only to the registry's own origin and realm, every body read from the network is bounded
//! (the RSS of the hoist process stays small against an endless body), stalled and dripping
//! transfers fail with a clear error after their retries, `--timeout` bounds a whole command,
//! and network failures are named with a fitting hint.
//!
//! The fake registries are `support::hostile::Hostile` listeners; `127.0.0.2` stands for
//! another host next to the registry on `127.0.0.1`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::support::hostile::{reply, say_nothing, stream_forever, Hostile};
use hoist::oci::digest::digest_bytes;
use hoist::oci::reference::Reference;
use hoist::registry::auth::{Credential, CredentialSource};
use hoist::registry::retry::RetryPolicy;
use hoist::registry::{
    BlobSource, HttpRegistry, Registry, RegistryConfig, RegistryError, UploadMode,
};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    )
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

/// A client holding `alice`'s password for `registry` only.
fn client_for(registry: &str, read_timeout: Duration, retry: RetryPolicy) -> HttpRegistry {
    let cred = Credential::Basic {
        username: USER.into(),
        password: PASSWORD.into(),
    };
    HttpRegistry::new(RegistryConfig {
        credentials: CredentialSource::default().with_credential(registry, cred),
        retry,
        connect_timeout: Duration::from_secs(5),
        read_timeout,
        ..RegistryConfig::default()
    })
    .unwrap_or_else(|e| panic!("client: {e}"))
}

fn reference(s: &str) -> Reference {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Nothing any request to a foreign host may carry: R's password, in any form.
fn assert_no_credentials(who: &str, server: &Hostile) {
    for r in server.seen() {
        let auth = r.header("authorization").unwrap_or("");
        assert!(
            !auth.starts_with("Basic") && !auth.contains(&basic()),
            "{who} got R's credentials: {r:?}"
        );
        assert!(
            !r.target.contains(PASSWORD),
            "{who} got the password: {r:?}"
        );
    }
}

/// The registry R on 127.0.0.1: Basic auth, then `answer` for authorized requests.
fn registry_r(
    answer: impl Fn(&crate::support::hostile::Seen, &mut std::net::TcpStream) + Send + Sync + 'static,
) -> Hostile {
    Hostile::start("127.0.0.1", move |req, s| {
        if req.header("authorization") != Some(basic().as_str()) {
            reply(
                s,
                401,
                &[("WWW-Authenticate", "Basic realm=\"r\"".into())],
                b"",
            );
        } else {
            answer(req, s);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_targets_challenge_never_gets_the_registrys_credentials() {
    let blob = b"layer bytes served from another host".to_vec();
    let d = digest_bytes(&blob);
    // The other host's token endpoint hands out anonymous tokens and records what it got.
    let realm = Arc::new(Hostile::start("127.0.0.2", |_, s| {
        reply(
            s,
            200,
            &[("Content-Type", "application/json".into())],
            br#"{"token":"anon-token"}"#,
        )
    }));
    let realm_url = format!("http://{}/token", realm.host());
    let body = blob.clone();
    let other = Arc::new(Hostile::start("127.0.0.2", move |req, s| {
        if req.header("authorization") == Some("Bearer anon-token") {
            reply(s, 200, &[], &body);
        } else {
            let c = format!("Bearer realm=\"{realm_url}\",service=\"storage\"");
            reply(s, 401, &[("WWW-Authenticate", c)], b"");
        }
    }));
    let other_host = other.host();
    let reg = registry_r(move |_, s| {
        let loc = format!("http://{other_host}/storage/blob");
        reply(s, 307, &[("Location", loc)], b"");
    });
    let c = client_for(&reg.host(), Duration::from_secs(10), fast_retry());
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let r = reference(&format!("{}/app:1", reg.host()));
    let got = c
        .get_blob(&r, &d, Some(blob.len() as u64), tmp.path())
        .await
        .unwrap_or_else(|e| panic!("download through the redirect: {e}"));
    assert_eq!(std::fs::read(got.file.path()).ok(), Some(blob));
    assert!(
        !realm.seen().is_empty(),
        "the other host's challenge was answered"
    );
    for r in realm.seen() {
        assert_eq!(
            r.header("authorization"),
            None,
            "anonymous token request: {r:?}"
        );
    }
    assert_no_credentials("the redirect target's realm", &realm);
    assert_no_credentials("the redirect target", &other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_locations_and_tag_links_on_another_host_get_no_authorization() {
    let other = Arc::new(Hostile::start("127.0.0.2", |req, s| {
        if req.method == "PUT" {
            reply(s, 201, &[], b"");
        } else {
            reply(s, 200, &[], br#"{"name":"app","tags":["b"]}"#);
        }
    }));
    let other_host = other.host();
    let reg = registry_r(move |req, s| {
        if req.method == "POST" {
            let loc = format!("http://{other_host}/upload/1?state=x");
            reply(s, 202, &[("Location", loc)], b"");
        } else {
            let link = format!("<http://{other_host}/v2/app/tags/list?last=a>; rel=\"next\"");
            reply(s, 200, &[("Link", link)], br#"{"name":"app","tags":["a"]}"#);
        }
    });
    let c = client_for(&reg.host(), Duration::from_secs(10), fast_retry());
    let r = reference(&format!("{}/app:1", reg.host()));
    let data = b"small blob".to_vec();
    c.push_blob(
        &r,
        &digest_bytes(&data),
        data.len() as u64,
        &BlobSource::Bytes(data.clone()),
        UploadMode::Monolithic,
    )
    .await
    .unwrap_or_else(|e| panic!("push: {e}"));
    let tags = c
        .list_tags(&r)
        .await
        .unwrap_or_else(|e| panic!("tags: {e}"));
    assert_eq!(tags, ["a", "b"]);
    let seen = other.seen();
    assert!(seen.iter().any(|r| r.method == "PUT"), "{seen:?}");
    assert!(
        seen.iter().any(|r| r.target.contains("tags/list")),
        "{seen:?}"
    );
    for r in &seen {
        assert_eq!(r.header("authorization"), None, "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_go_to_a_plain_http_realm_on_another_host() {
    let reg = Hostile::start("127.0.0.1", |_, s| {
        let c = "Bearer realm=\"http://token.hoist-test.invalid/token\",service=\"r\"";
        reply(s, 401, &[("WWW-Authenticate", c.into())], b"");
    });
    let c = client_for(&reg.host(), Duration::from_secs(10), fast_retry());
    let r = reference(&format!("{}/app:1", reg.host()));
    let err = c.get_manifest(&r).await.err();
    let msg = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        matches!(err, Some(RegistryError::Unauthorized { .. })) && msg.contains("plain HTTP"),
        "{err:?}"
    );
}

/// Run hoist with `args`, under GNU time when installed; (output, max RSS in KiB if measured).
/// The child is killed after `limit` (the test then fails: every case here must end by itself).
pub(crate) fn hoist_measured(
    args: &[&str],
    envs: &[(&str, &str)],
    limit: Duration,
) -> (Output, Option<u64>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rss_file = dir.path().join("rss");
    let timed = Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(env!("CARGO_BIN_EXE_hoist"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
    };
    cmd.args(args)
        .env("HOME", dir.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("hoist {args:?} still running after {limit:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("wait: {e}"),
        }
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("output: {e}"));
    let rss = timed.then(|| {
        std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no RSS from /usr/bin/time"))
    });
    (out, rss)
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn have_gnu_time() -> bool {
    if Path::new("/usr/bin/time").exists() {
        return true;
    }
    eprintln!("note: /usr/bin/time missing (apt-get install time); skipping");
    false
}

/// Ceiling for hoist's peak RSS against an endless body: far above its working size, far below
/// what buffering a body that streams at loopback speed for seconds would take.
const RSS_CEILING_KIB: u64 = 96 * 1024;

#[test]
fn endless_error_and_token_bodies_do_not_grow_memory() {
    if !have_gnu_time() {
        return;
    }
    let junk = vec![b'x'; 64 * 1024];
    let piece = junk.clone();
    // An error answer whose body never ends.
    let errors = Hostile::start("127.0.0.1", move |_, s| {
        stream_forever(s, 404, &[], &piece, Duration::ZERO, Duration::from_secs(15))
    });
    let target = format!("{}/app:1", errors.host());
    let (out, rss) = hoist_measured(&["inspect", &target], &[], Duration::from_secs(60));
    let rss = rss.unwrap_or_else(|| panic!("no RSS measured"));
    eprintln!(
        "endless error body: exit {:?}, max RSS {rss} KiB",
        out.status.code()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    assert!(rss < RSS_CEILING_KIB, "max RSS {rss} KiB");

    // A token endpoint whose answer never ends.
    let piece = junk.clone();
    let realm = Hostile::start("127.0.0.1", move |_, s| {
        stream_forever(s, 200, &[], &piece, Duration::ZERO, Duration::from_secs(15))
    });
    let realm_url = format!("http://{}/token", realm.host());
    let reg = Hostile::start("127.0.0.1", move |_, s| {
        let c = format!("Bearer realm=\"{realm_url}\",service=\"r\"");
        reply(s, 401, &[("WWW-Authenticate", c)], b"");
    });
    let target = format!("{}/app:1", reg.host());
    let (out, rss) = hoist_measured(&["inspect", &target], &[], Duration::from_secs(60));
    let rss = rss.unwrap_or_else(|| panic!("no RSS measured"));
    eprintln!(
        "endless token answer: exit {:?}, max RSS {rss} KiB",
        out.status.code()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("token answer larger than"),
        "{}",
        stderr(&out)
    );
    assert!(rss < RSS_CEILING_KIB, "max RSS {rss} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_tag_lists_and_referrer_indexes_are_refused() {
    let piece = vec![b' '; 64 * 1024];
    let reg = Hostile::start("127.0.0.1", move |_, s| {
        stream_forever(s, 200, &[], &piece, Duration::ZERO, Duration::from_secs(15))
    });
    let c = client_for(&reg.host(), Duration::from_secs(10), fast_retry());
    let r = reference(&format!("{}/app:1", reg.host()));
    let err = c.list_tags(&r).await.err();
    assert!(
        matches!(err, Some(RegistryError::TooLarge { .. })),
        "{err:?}"
    );
    let subject = digest_bytes(b"subject");
    let err = c.referrers(&r, &subject, None).await.err();
    assert!(
        matches!(err, Some(RegistryError::TooLarge { .. })),
        "{err:?}"
    );
    let err = c.get_manifest(&r).await.err();
    assert!(
        matches!(err, Some(RegistryError::TooLarge { .. })),
        "{err:?}"
    );
}

/// A registry serving one image manifest (config `config`, no layers) and answering blob
/// GETs with `blob`.
fn image_registry(
    config: &[u8],
    config_size: u64,
    blob: impl Fn(&mut std::net::TcpStream) + Send + Sync + 'static,
) -> Hostile {
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{config_size}}},"layers":[]}}"#,
        digest_bytes(config)
    );
    Hostile::start("127.0.0.1", move |req, s| {
        if req.target.contains("/manifests/") {
            let ct = (
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json".into(),
            );
            let body = if req.method == "HEAD" {
                &b""[..]
            } else {
                manifest.as_bytes()
            };
            if req.method == "HEAD" {
                let head = format!(
                    "HTTP/1.1 200 X\r\nContent-Length: {}\r\nContent-Type: {}\r\n\r\n",
                    manifest.len(),
                    ct.1
                );
                let _ = std::io::Write::write_all(s, head.as_bytes());
            } else {
                reply(s, 200, &[ct], body);
            }
        } else if req.target.contains("/blobs/") {
            blob(s);
        } else {
            reply(s, 404, &[], b"");
        }
    })
}

#[test]
fn a_dripping_blob_fails_as_stalled_after_its_retries_without_starting_over() {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let reg = image_registry(config, config.len() as u64, |s| {
        // One byte every two seconds.
        stream_forever(
            s,
            200,
            &[],
            b"{",
            Duration::from_secs(2),
            Duration::from_secs(30),
        )
    });
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dest = format!("oci:{}:1", out_dir.path().join("l").display());
    let src = format!("docker://{}/app:1", reg.host());
    let (out, _) = hoist_measured(
        &["copy", &src, &dest],
        &[("HOIST_IDLE_TIMEOUT", "1")],
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let d = digest_bytes(config).to_string();
    assert!(
        err.contains("stalled") && err.contains(&d) && err.contains(&reg.host()),
        "{err}"
    );
    assert!(err.contains("--idle-timeout"), "{err}");
    let gets = reg
        .seen()
        .iter()
        .filter(|r| r.method == "GET" && r.target.contains(&d))
        .count();
    assert_eq!(
        gets,
        RetryPolicy::default().max_attempts as usize,
        "{:?}",
        reg.seen()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_faster_than_the_idle_window_still_fails_the_progress_rule() {
    let blob = vec![b'z'; 4096];
    let d = digest_bytes(&blob);
    let reg = Hostile::start("127.0.0.1", |_, s| {
        stream_forever(
            s,
            200,
            &[],
            b"z",
            Duration::from_millis(200),
            Duration::from_secs(20),
        )
    });
    let c = client_for(
        &reg.host(),
        Duration::from_millis(1500),
        RetryPolicy::none(),
    );
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let r = reference(&format!("{}/app:1", reg.host()));
    let err = c.get_blob(&r, &d, Some(4096), tmp.path()).await.err();
    match err {
        Some(RegistryError::Stalled { received, .. }) => assert!(received > 0, "{received}"),
        other => panic!("expected a stall, got {other:?}"),
    }
}

#[test]
fn timeout_bounds_a_whole_command() {
    let reg = Hostile::start("127.0.0.1", |_, s| say_nothing(s, Duration::from_secs(40)));
    let target = format!("{}/app:1", reg.host());
    let (out, _) = hoist_measured(
        &["inspect", "--timeout", "2", &target],
        &[],
        Duration::from_secs(30),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("overall timeout of 2s"), "{err}");
    assert!(err.contains("--timeout"), "{err}");
}

#[test]
fn network_failures_are_named_with_fitting_hints() {
    // Connection refused on loopback: no --insecure-registry, no password advice.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let target = format!("127.0.0.1:{port}/app:1");
    let (out, _) = hoist_measured(&["inspect", &target], &[], Duration::from_secs(60));
    let err = stderr(&out);
    assert!(err.contains("connection refused"), "{err}");
    assert!(
        !err.contains("insecure-registry") && !err.contains("password"),
        "{err}"
    );

    // A name that does not resolve.
    let (out, _) = hoist_measured(
        &["inspect", "registry.hoist-test.invalid/app:1"],
        &[],
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert!(err.contains("host name not resolved"), "{err}");
    assert!(err.contains("check the registry host name"), "{err}");
    assert!(!err.contains("password"), "{err}");

    // No answer at all: a timeout.
    let reg = Hostile::start("127.0.0.1", |_, s| say_nothing(s, Duration::from_secs(30)));
    let target = format!("{}/app:1", reg.host());
    let (out, _) = hoist_measured(
        &["inspect", "--idle-timeout", "300ms", &target],
        &[],
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert!(err.contains("timed out"), "{err}");
    assert!(err.contains("did not answer in time"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_failures_are_told_apart() {
    let Some(tls) = crate::support::TestRegistry::start_tls("tls_failures_are_told_apart") else {
        return;
    };
    let port = tls.host.rsplit(':').next().unwrap_or("").to_string();
    let try_get = |host: String, ca: Option<std::path::PathBuf>| async move {
        let c = HttpRegistry::new(RegistryConfig {
            https_hosts: vec![host.clone()],
            ca_file: ca,
            credentials: CredentialSource::default(),
            retry: RetryPolicy::none(),
            ..RegistryConfig::default()
        })
        .unwrap_or_else(|e| panic!("client: {e}"));
        let e = c
            .get_manifest(&reference(&format!("{host}/app:1")))
            .await
            .err()
            .unwrap_or_else(|| panic!("expected a failure"));
        let hint = hoist::registry::neterr::network_hint(&e).unwrap_or("");
        (e.to_string(), hint.to_string())
    };
    let (msg, hint) = try_get(tls.host.clone(), None).await;
    assert!(msg.contains("unknown authority"), "{msg}");
    assert!(!hint.contains("insecure-registry"), "{hint}");
    let (msg, _) = try_get(format!("localhost:{port}"), Some(tls.ca_pem())).await;
    assert!(msg.contains("not valid for this host name"), "{msg}");
    // TLS spoken to a plain-HTTP server.
    let plain = plain_http_answering_anything();
    let (msg, hint) = try_get(plain, None).await;
    assert!(msg.contains("plain HTTP"), "{msg}");
    assert!(hint.contains("--insecure-registry"), "{hint}");
}

/// A server that answers every connection at once with an HTTP 400, whatever it was sent (as
/// a plain-HTTP server does to a TLS handshake). Serves a few connections, then stops.
fn plain_http_answering_anything() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let host = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    std::thread::spawn(move || {
        for s in l.incoming().take(3) {
            let Ok(mut s) = s else { continue };
            let _ = std::io::Write::write_all(
                &mut s,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = s.shutdown(std::net::Shutdown::Write);
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    host
}

#[test]
fn a_corrupt_source_blob_is_named_after_the_source() {
    let Some(reg) = crate::support::TestRegistry::start(
        "a_corrupt_source_blob_is_named_after_the_source",
        crate::support::AuthMode::Open,
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let layout = dir.path().join("layout");
    crate::oci_fixtures::build_layout(&layout, "1", hoist::oci::layer::Compression::None);
    let archive = dir.path().join("img.tar");
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["copy", &format!("oci:{}:1", layout.display())])
        .arg(format!("oci-archive:{}:1", archive.display()))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", stderr(&out));
    // Flip one byte inside the largest blob of the archive (same length: the tar stays valid).
    let mut blobs: Vec<Vec<u8>> = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    blobs.sort_by_key(|b| std::cmp::Reverse(b.len()));
    let victim = &blobs[0];
    let victim_digest = digest_bytes(victim).to_string();
    let mut tar = std::fs::read(&archive).unwrap_or_else(|e| panic!("{e}"));
    let at = tar
        .windows(victim.len())
        .position(|w| w == victim.as_slice())
        .unwrap_or_else(|| panic!("blob not found in the archive"));
    tar[at + victim.len() / 2] ^= 0xff;
    std::fs::write(&archive, &tar).unwrap_or_else(|e| panic!("{e}"));
    let dest = format!("docker://{}/corrupt/app:1", reg.host);
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "copy",
            "-q",
            &format!("oci-archive:{}:1", archive.display()),
            &dest,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let first = err.lines().next().unwrap_or("");
    assert!(
        first.contains("oci-archive:") && first.contains(&victim_digest),
        "{err}"
    );
    assert!(!first.contains("docker://"), "{err}");
    assert!(err.contains("source may be corrupted"), "{err}");
}

#[test]
fn unpack_refuses_an_oversized_config_before_downloading_it() {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let reg = image_registry(config, 65 << 20, |s| {
        stream_forever(
            s,
            200,
            &[],
            &[b' '; 65536],
            Duration::ZERO,
            Duration::from_secs(15),
        )
    });
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = out_dir.path().join("root");
    let src = format!("docker://{}/app:1", reg.host());
    let root_arg = root.display().to_string();
    let (out, rss) = hoist_measured(&["unpack", &src, &root_arg], &[], Duration::from_secs(60));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("over the 67108864-byte limit"), "{err}");
    let d = digest_bytes(config).to_string();
    assert!(
        !reg.seen().iter().any(|r| r.target.contains(&d)),
        "the config was fetched: {:?}",
        reg.seen()
    );
    if let Some(rss) = rss {
        assert!(rss < RSS_CEILING_KIB, "max RSS {rss} KiB");
    }
}

/// A registry on loopback that opens upload sessions and then reads each PUT body at
/// `rate_per_100ms` bytes per 100 ms (0: not at all) before answering 201.
fn slow_reader_registry(rate_per_100ms: usize) -> String {
    use std::io::{BufRead, BufReader, Read};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let host = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let loc_host = host.clone();
    std::thread::spawn(move || {
        for s in l.incoming().take(4) {
            let Ok(s) = s else { continue };
            let loc_host = loc_host.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
                let mut w = match s.try_clone() {
                    Ok(w) => w,
                    Err(_) => return,
                };
                let mut r = BufReader::new(s);
                loop {
                    let mut head = Vec::new();
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        head.push(line);
                    }
                    let len: usize = head
                        .iter()
                        .find_map(|h| {
                            let (k, v) = h.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    if head.first().is_some_and(|l| l.starts_with("POST")) {
                        let _ = std::io::Write::write_all(
                            &mut w,
                            format!("HTTP/1.1 202 X\r\nLocation: http://{loc_host}/upload/1\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                        );
                        continue;
                    }
                    if rate_per_100ms == 0 {
                        std::thread::sleep(Duration::from_secs(15));
                        return;
                    }
                    let mut left = len;
                    let mut buf = vec![0u8; rate_per_100ms];
                    while left > 0 {
                        let n = left.min(rate_per_100ms);
                        if r.read_exact(&mut buf[..n]).is_err() {
                            return;
                        }
                        left -= n;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    let _ = std::io::Write::write_all(
                        &mut w,
                        b"HTTP/1.1 201 X\r\nContent-Length: 0\r\n\r\n",
                    );
                }
            });
        }
    });
    host
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_judged_by_progress_not_by_their_length() {
    // A 2 MiB upload read at 640 KiB/s takes about 3 s: longer than the 1 s idle window, but
    // moving all the time, so it succeeds.
    let host = slow_reader_registry(64 * 1024);
    let c = client_for(&host, Duration::from_secs(1), RetryPolicy::none());
    let r = reference(&format!("{host}/app:1"));
    let data = vec![7u8; 2 << 20];
    c.push_blob(
        &r,
        &digest_bytes(&data),
        data.len() as u64,
        &BlobSource::Bytes(data.clone()),
        UploadMode::Monolithic,
    )
    .await
    .unwrap_or_else(|e| panic!("a slow but moving upload: {e}"));

    // A registry that stops reading the upload: stalled after the idle window.
    let host = slow_reader_registry(0);
    let c = client_for(&host, Duration::from_secs(1), RetryPolicy::none());
    let r = reference(&format!("{host}/app:1"));
    let data = vec![9u8; 64 << 20];
    let err = c
        .push_blob(
            &r,
            &digest_bytes(&data),
            data.len() as u64,
            &BlobSource::Bytes(data.clone()),
            UploadMode::Monolithic,
        )
        .await
        .err();
    match err {
        Some(RegistryError::Stalled { ref method, .. }) => assert_eq!(method, "PUT"),
        other => panic!("expected a stalled upload, got {other:?}"),
    }
}
