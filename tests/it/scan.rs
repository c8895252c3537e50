//! `hoist scan`: images built here with hoist's layer writer, scanned through the CLI (every
//! output format) and the library (limits against hostile layers).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use hoist::copy::{pull_image, NoProgress, RemoteOptions};
use hoist::oci::digest::{digest_bytes, Digest};
use hoist::oci::json::to_canonical_vec;
use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;
use hoist::oci::media;
use hoist::oci::reference::ImageRef;
use hoist::oci::store::Store;
use hoist::supply::scan::{scan_image, Limits, ScanOptions};
use serde_json::{json, Value};

use crate::oci_fixtures::{layer, E};

const KEY_BODY: &str = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
const GITLAB: &str = "glpat-Zq9xT4wP2mKabcDEF123";
const NPM_ARG: &str = "Zq9xT4wP2mKqRsT";
const GH_TOKEN: &str = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

fn key_file() -> Vec<u8> {
    format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n")
        .into_bytes()
}

/// A binary with a token in the middle.
fn binary_with_token() -> Vec<u8> {
    let mut b: Vec<u8> = (0..300_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    b.extend_from_slice(b"\0\xff");
    b.extend_from_slice(GH_TOKEN.as_bytes());
    b.extend_from_slice(b"\0\x80");
    b.extend((0..50_000u32).map(|i| (i * 13 % 256) as u8));
    b
}

/// Writes an image with these layers, config Env and history into a new layout at `dir`
/// (tag `v1`); returns the layer digests.
fn image(
    dir: &Path,
    layers: &[(Vec<u8>, Digest, &'static str)],
    env: &[&str],
    history: Value,
) -> Vec<Digest> {
    let layout = OciLayout::create(dir).unwrap();
    let config = json!({
        "architecture": hoist::oci::image::go_arch(std::env::consts::ARCH), "os": "linux",
        "config": {"Env": env, "Labels": {"org.opencontainers.image.title": "t"}},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.1.to_string()).collect::<Vec<_>>()},
        "history": history,
    });
    let config = to_canonical_vec(&config).unwrap();
    let cd = layout.write_blob_bytes(&config).unwrap();
    let mut descs = Vec::new();
    let mut digests = Vec::new();
    for (bytes, _, mt) in layers {
        let d = layout.write_blob_bytes(bytes).unwrap();
        descs.push(json!({"mediaType": mt, "digest": d.to_string(), "size": bytes.len()}));
        digests.push(d);
    }
    let manifest = to_canonical_vec(&json!({
        "schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "digest": cd.to_string(), "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    let md = layout.write_blob_bytes(&manifest).unwrap();
    let desc = media::descriptor(media::OCI_MANIFEST, &md, manifest.len() as u64).unwrap();
    layout.set_ref(&desc, Some("v1")).unwrap();
    digests
}

/// The leaky image: a key that layer 1 deletes, a token in a binary, a token in ENV and a
/// build argument in the history.
fn leaky(dir: &Path) -> Vec<Digest> {
    let key = key_file();
    let bin = binary_with_token();
    let layers = vec![
        layer(
            &[
                E::Dir("etc"),
                E::File("etc/app.conf", b"port = 8080\n", 0o644),
                E::Dir("root"),
                E::Dir("root/.ssh"),
                E::File("root/.ssh/id_rsa", &key, 0o600),
            ],
            Compression::Gzip { level: 6 },
        ),
        layer(
            &[
                E::Dir("opt"),
                E::File("opt/app/blob", &bin, 0o755),
                E::Whiteout("root/.ssh/id_rsa"),
            ],
            Compression::Zstd { level: 3 },
        ),
    ];
    image(
        dir,
        &layers,
        &["PATH=/usr/bin", &format!("API_TOKEN={GITLAB}")],
        json!([
            {"created_by": "COPY id_rsa /root/.ssh/id_rsa # buildkit"},
            {"created_by": format!("ENV API_TOKEN={GITLAB}"), "empty_layer": true},
            {"created_by": format!("RUN |1 NPM_TOKEN={NPM_ARG} /bin/sh -c rm /root/.ssh/id_rsa && make")},
        ]),
    )
}

fn hoist_in(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(cwd)
        .env("HOIST_HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_no_secret(out: &str) {
    for s in [KEY_BODY, GITLAB, NPM_ARG, GH_TOKEN] {
        assert!(!out.contains(s), "secret {s} in output:\n{out}");
    }
}

#[test]
fn finds_deleted_key_env_token_build_arg_and_binary_token_in_every_format() {
    let t = tempfile::tempdir().unwrap();
    let layers = leaky(&t.path().join("img"));
    let home = t.path().join("home");
    let r = "oci:img:v1";

    let out = hoist_in(t.path(), &home, &["scan", "-q", "--format", "json", r]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert_no_secret(&stdout);
    let v: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let find = |path: &str, rule: &str| {
        v.iter()
            .find(|f| f["path"] == path && f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} at {path}: {stdout}"))
            .clone()
    };
    for rule in ["private-key", "ssh-private-key-file"] {
        let k = find("root/.ssh/id_rsa", rule);
        assert_eq!(k["layer"], 0);
        assert_eq!(k["layer_digest"], layers[0].to_string());
        assert_eq!(k["history"], "COPY id_rsa /root/.ssh/id_rsa # buildkit");
        assert_eq!(k["deleted_later"], true);
    }
    let b = find("opt/app/blob", "github-token");
    assert_eq!(b["layer"], 1);
    assert_eq!(b["match"], "ghp_… (40 characters)");
    let e = find("config.Env[API_TOKEN]", "gitlab-token");
    assert_eq!(e["layer"], Value::Null);
    let h = find("config.history[2].created_by", "build-arg-secret");
    assert_eq!(h["layer"], 1);
    assert_eq!(h["layer_digest"], layers[1].to_string());
    assert!(h["history"]
        .as_str()
        .unwrap()
        .contains("/bin/sh -c rm /root/.ssh/id_rsa && make"));
    // Every finding has the documented fields.
    for f in &v {
        for k in ["layer", "layer_digest", "path", "rule", "match", "history"] {
            assert!(f.get(k).is_some(), "{k} missing in {f}");
        }
    }

    // tty (the default) and SARIF: same findings, no secret either.
    let out = hoist_in(t.path(), &home, &["scan", "-q", r]);
    let tty = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert_no_secret(&tty);
    assert!(
        tty.contains("layer 0 (") && tty.contains("deleted by a later layer"),
        "{tty}"
    );
    let out = hoist_in(t.path(), &home, &["scan", "-q", "--format", "sarif", r]);
    let sarif = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert_no_secret(&sarif);
    let s: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), v.len());
    let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
    // Nor does stderr (progress) hold a secret.
    assert_no_secret(&text(&out.stderr));
}

#[test]
fn clean_image_exits_0_and_allow_list_suppresses() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    let clean = vec![layer(
        &[
            E::Dir("etc"),
            E::File("etc/app.conf", b"password_file = /run/secrets/db\n", 0o644),
        ],
        Compression::Gzip { level: 6 },
    )];
    image(
        &t.path().join("clean"),
        &clean,
        &["PATH=/usr/bin", "TOKEN_FILE=/run/secrets/token"],
        json!([{"created_by": "RUN |1 VERSION=1.2.3 /bin/sh -c make"}]),
    );
    let out = hoist_in(t.path(), &home, &["scan", "-q", "oci:clean:v1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 secrets found"));
    let out = hoist_in(
        t.path(),
        &home,
        &["scan", "-q", "--format", "json", "oci:clean:v1"],
    );
    assert_eq!(text(&out.stdout).trim(), "[]");

    // The allow-list in .hoist.toml (found from a subdirectory upwards) removes findings by
    // path and by rule; what is left still fails.
    leaky(&t.path().join("img"));
    let sub = t.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        t.path().join(".hoist.toml"),
        "[scan]\nallow-paths = [\"/root/.ssh/**\", \"opt/**\"]\nallow-rules = [\"gitlab-token\"]\n",
    )
    .unwrap();
    let out = hoist_in(
        &sub,
        &home,
        &["scan", "-q", "--format", "json", "oci:../img:v1"],
    );
    let v: Vec<Value> = serde_json::from_str(&text(&out.stdout)).unwrap();
    let rules: Vec<&str> = v.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["build-arg-secret"], "{v:?}");
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        t.path().join(".hoist.toml"),
        "[scan]\nallow-paths = [\"root/.ssh/**\", \"opt/**\", \"config.*\"]\n",
    )
    .unwrap();
    let out = hoist_in(&sub, &home, &["scan", "-q", "oci:../img:v1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("allowed by the allow-list"));

    // The linter reads the same file and skips the [scan] table.
    std::fs::write(
        sub.join("Dockerfile"),
        "FROM scratch\nCOPY a /a\nUSER 1000\n",
    )
    .unwrap();
    let out = hoist_in(&sub, &home, &["lint", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Bad usage: exit 2.
    std::fs::write(t.path().join(".hoist.toml"), "[scan]\nallow = 1\n").unwrap();
    let out = hoist_in(&sub, &home, &["scan", "-q", "oci:../img:v1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(".hoist.toml"));
    let out = hoist_in(t.path(), &home, &["scan", "--format", "xml", "oci:img:v1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = hoist_in(t.path(), &home, &["scan", "dir:./nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scans_a_directory() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(root.join("home/u")).unwrap();
    std::fs::write(
        root.join("home/u/.npmrc"),
        format!("//r/:_authToken={GH_TOKEN}\n"),
    )
    .unwrap();
    std::fs::write(root.join("readme"), "nothing\n").unwrap();
    let out = hoist_in(
        t.path(),
        &t.path().join("home"),
        &["scan", "--format", "json", "dir:root"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_no_secret(&stdout);
    let v: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let mut rules: Vec<&str> = v.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    rules.sort();
    assert_eq!(rules, vec!["github-token", "npmrc-credentials"]);
    assert!(v
        .iter()
        .all(|f| f["path"] == "home/u/.npmrc" && f["layer"].is_null()));
}

/// Pulls a layout image into a fresh store and scans it with `limits`.
fn scan_lib(
    dir: &Path,
    limits: Limits,
) -> Result<hoist::supply::scan::ScanReport, hoist::supply::scan::ScanError> {
    let store = Store::open(dir.join("store")).unwrap();
    let r = ImageRef::OciLayout {
        dir: dir.join("img"),
        tag: Some("v1".into()),
    };
    let pulled = pull_image(
        &r,
        &RemoteOptions::default(),
        &store,
        None,
        None,
        &NoProgress,
    )
    .unwrap();
    let opts = ScanOptions {
        limits,
        ..ScanOptions::default()
    };
    scan_image(&store, &pulled, &opts)
}

#[test]
fn truncated_gzip_layer_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let bin = binary_with_token();
    let (mut blob, diff, mt) = layer(
        &[E::File("blob", &bin, 0o644)],
        Compression::Gzip { level: 6 },
    );
    blob.truncate(blob.len() / 2);
    let digests = image(&t.path().join("img"), &[(blob, diff, mt)], &[], json!([]));
    let err = scan_lib(t.path(), Limits::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("layer 0") && err.contains(&digests[0].to_string()),
        "{err}"
    );
    assert!(err.contains("truncated or corrupt"), "{err}");
    let out = hoist_in(
        t.path(),
        &t.path().join("home"),
        &["scan", "-q", "oci:img:v1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("truncated or corrupt"));
}

#[test]
fn tar_bomb_of_tiny_files_is_bounded() {
    let t = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..5_000).map(|i| format!("d/f{i:05}")).collect();
    let mut entries = vec![E::Dir("d")];
    entries.extend(names.iter().map(|n| E::File(n, b"x", 0o644)));
    let l = layer(&entries, Compression::None);
    image(&t.path().join("img"), &[l], &[], json!([]));
    let limits = Limits {
        max_entries_per_layer: 2_000,
        ..Limits::default()
    };
    let err = scan_lib(t.path(), limits).err().unwrap().to_string();
    assert!(err.contains("more than 2000 entries"), "{err}");
    let start = Instant::now();
    let report = scan_lib(t.path(), Limits::default()).unwrap();
    assert_eq!(report.files, 5_000);
    assert!(report.findings.is_empty());
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn sparse_2gb_file_is_bounded_work() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let f = std::fs::File::create(src.join("huge")).unwrap();
    f.set_len(2 << 30).unwrap();
    drop(f);
    let tar_path = t.path().join("layer.tar");
    let st = Command::new("tar")
        .args(["--sparse", "--format=gnu", "-C"])
        .arg(&src)
        .arg("-cf")
        .arg(&tar_path)
        .arg("huge")
        .status()
        .unwrap();
    assert!(st.success());
    let blob = std::fs::read(&tar_path).unwrap();
    assert!(blob.len() < 1 << 20, "tar not sparse: {}", blob.len());
    let diff = digest_bytes(&blob);
    image(
        &t.path().join("img"),
        &[(blob, diff, media::OCI_LAYER_TAR)],
        &[],
        json!([]),
    );
    let start = Instant::now();
    let report = scan_lib(t.path(), Limits::default()).unwrap();
    assert_eq!((report.files, report.bytes), (1, 2 << 30));
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    let limits = Limits {
        max_layer_bytes: 1 << 30,
        ..Limits::default()
    };
    let err = scan_lib(t.path(), limits).err().unwrap().to_string();
    assert!(err.contains("refusing to scan"), "{err}");
}
