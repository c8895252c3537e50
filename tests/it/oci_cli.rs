//! The image commands end to end through the `hoist` binary: copy, digest, inspect, tag,
//! unpack, pull/push argument handling, exit codes and error messages.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::oci_fixtures::*;
use hoist::oci::digest::digest_bytes;
use hoist::oci::layer::Compression;

fn hoist(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = hoist(args);
    assert!(
        out.status.success(),
        "hoist {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn copy_digest_inspect_and_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let src = format!("oci:{}:v1", s(&a));

    assert_eq!(ok(&["digest", &src]).trim(), d.to_string());
    let raw = hoist(&["inspect", "--raw", &src]);
    assert_eq!(
        digest_bytes(&raw.stdout),
        d,
        "--raw prints the exact manifest bytes"
    );

    let v: serde_json::Value = serde_json::from_str(&ok(&["inspect", &src])).unwrap();
    assert_eq!(v["digest"], d.to_string());
    assert_eq!(v["platform"], "linux/amd64");
    assert_eq!(v["config"]["config"]["Cmd"][0], "/bin/tool");
    assert_eq!(v["manifest"]["layers"].as_array().unwrap().len(), 2);
    let cfg = hoist(&["inspect", "--config", &src]);
    let cfg_v: serde_json::Value = serde_json::from_slice(&cfg.stdout).unwrap();
    assert_eq!(cfg_v["architecture"], "amd64");

    let b = tmp.path().join("b");
    let out = ok(&["copy", "--quiet", &src, &format!("oci:{}:c", s(&b))]);
    assert_eq!(out.trim(), d.to_string());
    ok(&["tag", &format!("oci:{}:c", s(&b)), "stable"]);
    assert_eq!(
        ok(&["digest", &format!("oci:{}:stable", s(&b))]).trim(),
        d.to_string()
    );

    // Plain progress lines on a non-terminal stderr, nothing with --quiet.
    let c = tmp.path().join("c");
    let out = hoist(&["copy", &src, &format!("oci:{}", s(&c))]);
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("copied"), "{}", stderr(&out));
    let out = hoist(&["copy", "-q", &src, &format!("oci:{}:z", s(&c))]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn index_platforms_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let (index_d, amd, arm) = build_index_layout(&a, "m");
    let src = format!("oci:{}:m", s(&a));
    assert_eq!(ok(&["digest", &src]).trim(), index_d.to_string());
    assert_eq!(
        ok(&["digest", "--platform", "linux/arm64", &src]).trim(),
        arm.to_string()
    );
    assert_eq!(
        ok(&["digest", "--platform", "linux/amd64", &src]).trim(),
        amd.to_string()
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&["inspect", &src])).unwrap();
    assert_eq!(
        v["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    let out = hoist(&["digest", "--platform", "linux/riscv64", &src]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("linux/riscv64") && stderr(&out).contains("hint"),
        "{}",
        stderr(&out)
    );
    let b = tmp.path().join("b");
    assert_eq!(
        ok(&["copy", "-q", "--all", &src, &format!("oci:{}:m", s(&b))]).trim(),
        index_d.to_string()
    );
}

#[test]
fn pull_to_paths_picks_transports() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let src = format!("oci:{}:v1", s(&a));
    // A directory path becomes an OCI layout tagged with the source's tag.
    let dir = tmp.path().join("pulled");
    assert_eq!(ok(&["pull", "-q", &src, &s(&dir)]).trim(), d.to_string());
    assert_eq!(
        ok(&["digest", &format!("oci:{}:v1", s(&dir))]).trim(),
        d.to_string()
    );
    // A .tar path becomes a docker archive.
    let tar = tmp.path().join("img.tar");
    ok(&["pull", "-q", &src, &s(&tar)]);
    let idx = hoist::oci::archive::TarIndex::open(&tar).unwrap();
    assert!(idx.contains("manifest.json"));
    // push refuses a non-registry destination as bad usage.
    let out = hoist(&[
        "push",
        &s(&dir),
        &format!("oci:{}", s(&tmp.path().join("x"))),
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn unpack_flattens_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::Zstd { level: 3 });
    let root = tmp.path().join("rootfs");
    ok(&["unpack", "-q", &format!("oci:{}:v1", s(&a)), &s(&root)]);
    assert_eq!(files_under(&root), standard_tree("amd64"));
    assert_eq!(
        fs::read_link(root.join("etc/link")).unwrap(),
        Path::new("hello")
    );
    // A non-empty target is refused.
    let out = hoist(&["unpack", &format!("oci:{}:v1", s(&a)), &s(&root)]);
    assert_eq!(code(&out), 2);
}

#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let out = hoist(&["copy", "dir:/tmp/x", "oci:/tmp/x"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("transport \"dir\""),
        "{}",
        stderr(&out)
    );
    let out = hoist(&["copy", "--platform", "linux", "oci:a", "oci:b"]);
    assert_eq!(code(&out), 2);
    let out = hoist(&["copy"]);
    assert_eq!(code(&out), 2);
    let missing = tmp.path().join("nothing");
    let out = hoist(&["inspect", &format!("oci:{}:v1", s(&missing))]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(&s(&missing)), "{}", stderr(&out));
    // A tag that does not exist names the tags that do.
    let a = tmp.path().join("a");
    build_layout(&a, "v1", Compression::None);
    let out = hoist(&["digest", &format!("oci:{}:v2", s(&a))]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("v1") && stderr(&out).contains("hint"),
        "{}",
        stderr(&out)
    );
    // Tagging an archive is unsupported usage.
    let out = hoist(&[
        "tag",
        &format!("oci-archive:{}", s(&tmp.path().join("f.tar"))),
        "x",
    ]);
    assert_eq!(code(&out), 2);
}

// --- against a real registry (Debian's docker-registry on loopback) --------------------------

use crate::support;

fn hoist_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.args(args).env("HOME", std::env::temp_dir());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn push_pull_copy_tag_against_a_registry() {
    let Some(reg) = support::TestRegistry::start("push_pull_copy_tag", support::AuthMode::Open)
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let remote = format!("{}/test/app:v1", reg.host);

    let out = ok(&["push", "-q", &s(&a), &remote]);
    assert_eq!(out.trim(), format!("{}/test/app@{d}", reg.host));
    assert_eq!(ok(&["digest", &remote]).trim(), d.to_string());
    let raw = hoist(&["inspect", "--raw", &format!("docker://{remote}")]);
    assert_eq!(digest_bytes(&raw.stdout), d);

    // Pushing again uploads nothing.
    let again = hoist(&["push", &s(&a), &remote]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(!stderr(&again).contains("copied"), "{}", stderr(&again));
    assert_eq!(
        stderr(&again).matches("exists").count(),
        3,
        "{}",
        stderr(&again)
    );

    // Pull into a layout: same digest, same blobs.
    let pulled = tmp.path().join("pulled");
    assert_eq!(
        ok(&["pull", "-q", &remote, &s(&pulled)]).trim(),
        d.to_string()
    );
    for e in fs::read_dir(a.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        assert_eq!(
            fs::read(e.path()).unwrap(),
            fs::read(pulled.join("blobs/sha256").join(e.file_name())).unwrap()
        );
    }

    // Registry to registry, another repository: same digest.
    let other = format!("docker://{}/other/app:v1", reg.host);
    assert_eq!(ok(&["copy", "-q", &remote, &other]).trim(), d.to_string());
    assert_eq!(ok(&["digest", &other]).trim(), d.to_string());

    // Tag in the registry, unpack from it.
    ok(&["tag", &remote, "stable"]);
    assert_eq!(
        ok(&["digest", &format!("{}/test/app:stable", reg.host)]).trim(),
        d.to_string()
    );
    let rootfs = tmp.path().join("rootfs");
    ok(&["unpack", "-q", &remote, &s(&rootfs)]);
    assert_eq!(files_under(&rootfs), standard_tree("amd64"));

    // A multi-platform index goes up whole with push, and comes back whole with copy --all.
    let m = tmp.path().join("m");
    let (index_d, _, arm) = build_index_layout(&m, "multi");
    let multi = format!("{}/test/multi:1", reg.host);
    assert_eq!(
        ok(&["push", "-q", &format!("oci:{}:multi", s(&m)), &multi]).trim(),
        format!("{}/test/multi@{index_d}", reg.host)
    );
    let back = tmp.path().join("back");
    assert_eq!(
        ok(&[
            "copy",
            "-q",
            "--all",
            &multi,
            &format!("oci:{}:1", s(&back))
        ])
        .trim(),
        index_d.to_string()
    );
    assert_eq!(
        ok(&[
            "pull",
            "-q",
            "--platform",
            "linux/arm64",
            &multi,
            &s(&tmp.path().join("arm"))
        ])
        .trim(),
        arm.to_string()
    );

    // A docker archive straight from the registry.
    let tar = tmp.path().join("app.tar");
    ok(&["pull", "-q", &remote, &s(&tar)]);
    let idx = hoist::oci::archive::TarIndex::open(&tar).unwrap();
    let entries: serde_json::Value =
        serde_json::from_slice(&idx.read_member("manifest.json", 1 << 20).unwrap()).unwrap();
    assert_eq!(
        entries[0]["RepoTags"][0],
        format!("{}/test/app:v1", reg.host)
    );
    if let Some(skopeo) = tool("skopeo") {
        let out =
            run_ok(Command::new(skopeo).args(["inspect", &format!("docker-archive:{}", s(&tar))]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Layers"].as_array().map(Vec::len), Some(2), "{out}");
    }

    // The docker archive goes back up as is (Docker schema 2, uncompressed layers) and keeps
    // its manifest digest and config.
    let from_tar = format!("{}/test/fromtar:v1", reg.host);
    let tar_digest = ok(&["digest", &format!("docker-archive:{}", s(&tar))]);
    let pushed = ok(&["push", "-q", &s(&tar), &from_tar]);
    assert!(
        pushed.trim().ends_with(tar_digest.trim()),
        "{pushed} vs {tar_digest}"
    );
    let cfg_remote = hoist(&["inspect", "--config", &from_tar]).stdout;
    let cfg_local = hoist(&["inspect", "--config", &format!("oci:{}:v1", s(&a))]).stdout;
    assert_eq!(digest_bytes(&cfg_remote), digest_bytes(&cfg_local));

    // Errors name the reference and the registry's answer.
    let out = hoist(&["digest", &format!("{}/test/none:v1", reg.host)]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("test/none"), "{err}");
    assert!(err.contains("404") || err.contains("UNKNOWN"), "{err}");
    assert!(err.contains("hint: check the repository name"), "{err}");
    // Nothing listening: a transport error with the --insecure-registry / host hint.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = hoist(&["digest", &format!("127.0.0.1:{port}/x/y:1")]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("hint: check the host and port"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn login_then_push_with_basic_auth() {
    let mode = support::AuthMode::Basic {
        user: "alice".into(),
        password: "s3cret".into(),
    };
    let Some(reg) = support::TestRegistry::start("login_then_push", mode) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let auth = tmp.path().join("auth.json");
    let env = [("REGISTRY_AUTH_FILE", auth.as_path())];
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let remote = format!("{}/secure/app:v1", reg.host);

    let out = hoist_env(&["push", "-q", &s(&a), &remote], &env);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("secure/app"), "{}", stderr(&out));

    let mut login = Command::new(env!("CARGO_BIN_EXE_hoist"));
    login
        .args(["login", "-u", "alice", "--password", "wrong", &reg.host])
        .env("REGISTRY_AUTH_FILE", &auth);
    let out = login.output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!auth.exists(), "failed login must not store credentials");

    let out = hoist_env(
        &["login", "-u", "alice", "--password", "s3cret", &reg.host],
        &env,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(fs::read_to_string(&auth).unwrap().contains(&reg.host));
    let out = hoist_env(&["push", "-q", &s(&a), &remote], &env);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&d.to_string()));

    let out = hoist_env(&["logout", &reg.host], &env);
    assert_eq!(code(&out), 0);
    assert!(!fs::read_to_string(&auth).unwrap().contains(&reg.host));
    let out = hoist_env(&["digest", &remote], &env);
    assert_eq!(code(&out), 1);
}

#[test]
fn prune_removes_unreferenced_store_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = hoist::oci::store::Store::open(tmp.path().join("store")).unwrap();
    let kept = store.put_bytes(b"kept").unwrap();
    store.set_ref("k", &kept.digest).unwrap();
    let dropped = store.put_bytes(b"dropped").unwrap();
    let out = ok(&["prune", "--store", &s(&tmp.path().join("store"))]);
    assert!(out.contains("removed 1 blobs"), "{out}");
    assert!(store.has_blob(&kept.digest));
    assert!(!store.has_blob(&dropped.digest));
}

#[test]
fn pull_through_a_corrupting_proxy_fails_cleanly() {
    let Some(reg) = support::TestRegistry::start("pull_corrupt", support::AuthMode::Open) else {
        return;
    };
    let proxy = support::FaultProxy::start(&reg.host);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let remote = format!("{}/test/app:v1", proxy.host());
    ok(&["push", "-q", &s(&a), &remote]);
    let layer = hoist::oci::layout::OciLayout::open(&a)
        .unwrap()
        .read_manifest(
            &hoist::oci::layout::OciLayout::open(&a)
                .unwrap()
                .resolve(Some("v1"))
                .unwrap(),
        )
        .unwrap()
        .parse_image()
        .unwrap()
        .layers()[0]
        .digest()
        .to_string();
    // Every answer for that blob is corrupted (more times than the client retries).
    proxy.inject("GET", &layer, support::FaultAction::WrongBytes, 100);
    let dir = tmp.path().join("pulled");
    let out = hoist(&["pull", "-q", &remote, &s(&dir)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains(&layer), "{}", stderr(&out));
    // A new layout is only published whole: nothing is left of the failed pull.
    assert!(
        !dir.exists(),
        "a failed pull into a new layout leaves nothing"
    );
    proxy.clear_faults();
    assert_eq!(ok(&["pull", "-q", &remote, &s(&dir)]).trim(), d.to_string());
}

#[test]
fn copy_between_repositories_of_one_registry_mounts_blobs() {
    let Some(reg) = support::TestRegistry::start("copy_mounts", support::AuthMode::Open) else {
        return;
    };
    let proxy = support::FaultProxy::start(&reg.host);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let d = build_layout(&a, "v1", Compression::Gzip { level: 6 });
    let one = format!("{}/team/one:v1", proxy.host());
    let two = format!("{}/team/two:v1", proxy.host());
    ok(&["push", "-q", &s(&a), &one]);
    proxy.clear_log();
    assert_eq!(ok(&["copy", "-q", &one, &two]).trim(), d.to_string());
    let log = proxy.log();
    let blob_gets: Vec<_> = log
        .iter()
        .filter(|(m, p, _)| m == "GET" && p.contains("/blobs/"))
        .collect();
    assert!(blob_gets.is_empty(), "blobs were downloaded: {log:?}");
    assert!(
        log.iter()
            .any(|(m, p, st)| m == "POST" && p.contains("mount=") && *st == 201),
        "{log:?}"
    );
    assert_eq!(ok(&["digest", &two]).trim(), d.to_string());
    let rootfs = tmp.path().join("rootfs");
    ok(&["unpack", "-q", &two, &s(&rootfs)]);
    assert_eq!(files_under(&rootfs), standard_tree("amd64"));
}
