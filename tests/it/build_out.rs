//! `hoist build` outputs and the local-store transport: `-t` names as `hoist:NAME` in the
//! image commands, `hoist images`/`hoist rmi`, `-o` docker/oci/oci-archive/local checked with
//! skopeo and the file tree, and `--push` to the real Debian docker-registry.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::build_support::*;
use crate::oci_fixtures::{run_ok, tool};

/// A context whose image adds `/hi` to the busybox base.
fn context() -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nRUN echo hi > /hi && rm /bin/grep\n",
    )
    .unwrap();
    ctx
}

#[test]
fn store_transport_images_and_rmi() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = context();
    let (digest, _) = build_ok(home.path(), &["-t", "app:dev"], ctx.path());
    let h = home.path();

    // images: table and JSON.
    let table = hoist_ok(h, &["images"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("docker.io/library/app:dev") && table.contains(&digest.to_string()),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&hoist_ok(h, &["images", "--format", "json"])).unwrap();
    let entry = &json.as_array().unwrap()[0];
    assert_eq!(entry["name"], "docker.io/library/app:dev");
    assert_eq!(entry["digest"], digest.to_string());
    assert_eq!(entry["created"], "1970-01-01T00:00:00Z");
    assert!(entry["size"].as_u64().unwrap() > 10_000);

    // digest, inspect, copy, unpack, tag accept hoist:NAME.
    assert_eq!(
        hoist_ok(h, &["digest", "hoist:app:dev"]).trim(),
        digest.to_string()
    );
    let inspect: serde_json::Value =
        serde_json::from_str(&hoist_ok(h, &["inspect", "hoist:app:dev"])).unwrap();
    assert!(inspect.to_string().contains("/hi"), "{inspect}");
    let tmp = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:v1", tmp.path().join("layout").display());
    hoist_ok(h, &["copy", "hoist:app:dev", &layout]);
    assert_eq!(hoist_ok(h, &["digest", &layout]).trim(), digest.to_string());
    let root = tmp.path().join("root");
    hoist_ok(h, &["unpack", "hoist:app:dev", root.to_str().unwrap()]);
    assert_eq!(fs::read_to_string(root.join("hi")).unwrap(), "hi\n");
    assert!(root.join("bin/sh").exists() && !root.join("bin/grep").exists());
    assert_eq!(
        hoist_ok(h, &["tag", "hoist:app:dev", "v2"]).trim(),
        "hoist:docker.io/library/app:v2"
    );
    // …and as a destination.
    hoist_ok(h, &["copy", &layout, "hoist:localhost:5000/other:1"]);
    let names: Vec<String> =
        serde_json::from_str::<serde_json::Value>(&hoist_ok(h, &["images", "--format", "json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
    assert_eq!(
        names,
        [
            "docker.io/library/app:dev",
            "docker.io/library/app:v2",
            "localhost:5000/other:1"
        ]
    );

    // rmi removes names, never blobs; an unknown name is an error naming it.
    hoist_ok(h, &["rmi", "app:dev", "hoist:app:v2"]);
    let out = hoist(h, &["rmi", "app:dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("docker.io/library/app:dev"));
    let store = hoist::oci::Store::open(h).unwrap();
    assert!(store.has_blob(&digest));
    let out = hoist(h, &["digest", "hoist:app:dev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hoist images"));
    // The image still under a name survives prune; the removed ones' unique blobs do not
    // matter here (same manifest), so remove the last name and prune frees the manifest.
    hoist_ok(h, &["rmi", "localhost:5000/other:1"]);
    hoist_ok(h, &["prune"]);
    assert!(!store.has_blob(&digest));
    assert_eq!(hoist_ok(h, &["images"]).lines().count(), 1);
}

#[test]
fn docker_oci_and_local_outputs() {
    if can_build().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = context();
    let out = tempfile::tempdir().unwrap();
    let o = out.path();
    let (digest, _) = build_ok(
        home.path(),
        &[
            "-t",
            "app:1",
            "-o",
            &format!("type=docker,dest={}", o.join("docker.tar").display()),
            "-o",
            &format!("type=oci,dest={}", o.join("oci.tar").display()),
            "-o",
            &format!("type=oci-archive,dest={}", o.join("archive").display()),
            "-o",
            &format!("type=oci,dest={}", o.join("layout").display()),
            "-o",
            &format!("type=local,dest={}", o.join("rootfs").display()),
        ],
        ctx.path(),
    );
    // The final root filesystem, whiteouts applied.
    assert_eq!(fs::read_to_string(o.join("rootfs/hi")).unwrap(), "hi\n");
    assert!(o.join("rootfs/bin/busybox").is_file());
    assert!(!o.join("rootfs/bin/grep").exists());
    assert!(!o.join("rootfs/bin/.wh.grep").exists());
    let h = home.path();
    for r in [
        format!("oci:{}:1", o.join("layout").display()),
        format!("oci-archive:{}:1", o.join("oci.tar").display()),
        format!("oci-archive:{}:1", o.join("archive").display()),
    ] {
        assert_eq!(
            hoist_ok(h, &["digest", &r]).trim(),
            digest.to_string(),
            "{r}"
        );
    }
    let Some(skopeo) = tool("skopeo") else { return };
    let docker = run_ok(
        Command::new(&skopeo)
            .arg("inspect")
            .arg(format!("docker-archive:{}", o.join("docker.tar").display())),
    );
    let v: serde_json::Value = serde_json::from_str(&docker).unwrap();
    assert_eq!(v["Layers"].as_array().unwrap().len(), 2, "{v}");
    // docker load names it from the -t name.
    let manifest = Command::new("tar")
        .arg("-xOf")
        .arg(o.join("docker.tar"))
        .arg("manifest.json")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&manifest.stdout).contains("\"app:1\""));
    for r in [
        format!("oci:{}:1", o.join("layout").display()),
        format!("oci-archive:{}:1", o.join("archive").display()),
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&run_ok(Command::new(&skopeo).arg("inspect").arg(&r))).unwrap();
        assert_eq!(v["Digest"], digest.to_string(), "{r}");
    }
    // umoci unpacks the layout to the same tree as type=local.
    if let Some(umoci) = tool("umoci") {
        let bundle = o.join("bundle");
        run_ok(
            Command::new(umoci)
                .args(["unpack", "--image"])
                .arg(format!("{}:1", o.join("layout").display()))
                .arg(&bundle),
        );
        assert_eq!(
            crate::oci_fixtures::files_under(&bundle.join("rootfs")),
            crate::oci_fixtures::files_under(&o.join("rootfs"))
        );
    }
    // Bad -o values are usage errors.
    let bad = hoist_build(h, &["-o", "type=tarball,dest=x"], ctx.path());
    assert_eq!(bad.status.code(), Some(2));
    let bad = hoist_build(h, &["--push"], ctx.path());
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn push_prints_the_digest_reference_and_tags_after_the_manifest() {
    if can_build().is_none() {
        return;
    }
    let Some(reg) =
        crate::support::TestRegistry::start("build_push", crate::support::AuthMode::Open)
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let ctx = context();
    let files = tempfile::tempdir().unwrap();
    let dfile = files.path().join("digest");
    let t1 = format!("{}/team/app:1", reg.host);
    let t2 = format!("{}/team/app:latest", reg.host);
    let out = hoist_build(
        home.path(),
        &[
            "--push",
            "-t",
            &t1,
            "-t",
            &t2,
            "--digest-file",
            dfile.to_str().unwrap(),
        ],
        ctx.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digest = fs::read_to_string(&dfile).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("{}/team/app@{digest}", reg.host)
    );
    // Both tags name the pushed manifest; the registry has the image.
    for t in [&t1, &t2] {
        assert_eq!(
            hoist_ok(home.path(), &["digest", &format!("docker://{t}")]).trim(),
            digest
        );
    }
    if let Some(skopeo) = tool("skopeo") {
        let v: serde_json::Value = serde_json::from_str(&run_ok(
            Command::new(skopeo)
                .args(["inspect", "--tls-verify=false"])
                .arg(format!("docker://{t2}")),
        ))
        .unwrap();
        assert_eq!(v["Digest"], digest);
        assert_eq!(v["Layers"].as_array().unwrap().len(), 2);
    }
    // -q: only the digest, also when pushing (a no-op push: everything is there).
    let out = hoist_build(home.path(), &["-q", "--push", "-t", &t1], ctx.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), digest);
}

/// Two stages: the first one's RUN is only in `mode=max` caches.
fn two_stage_context() -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE AS build\nRUN echo built > /out && echo scratch > /tmp/x\nFROM $BASE\nCOPY --from=build /out /out\nRUN echo final > /f\n",
    )
    .unwrap();
    ctx
}

fn is_blob_upload(method: &str, target: &str) -> bool {
    target.contains("/blobs/") && matches!(method, "POST" | "PUT" | "PATCH")
}

#[test]
fn registry_cache_round_trip_with_a_fresh_store() {
    if can_build().is_none() {
        return;
    }
    let Some(reg) =
        crate::support::TestRegistry::start("build_registry_cache", crate::support::AuthMode::Open)
    else {
        return;
    };
    let proxy = crate::support::FaultProxy::start(&reg.host);
    let cache = format!("{}/team/app:buildcache", proxy.host());
    let ctx = two_stage_context();
    let first = tempfile::tempdir().unwrap();
    let to = format!("type=registry,ref={cache},mode=max");
    let (digest, _) = build_ok(first.path(), &["--cache-to", &to], ctx.path());
    let log = proxy.log();
    assert!(log.iter().any(|(m, t, _)| is_blob_upload(m, t)), "{log:?}");

    // Nothing changed: the export uploads no blob and no manifest (one GET of the manifest).
    proxy.clear_log();
    let (again, stderr) = build_ok(first.path(), &["--cache-to", &to], ctx.path());
    assert_eq!(again, digest);
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    let log = proxy.log();
    assert!(!log.iter().any(|(m, t, _)| is_blob_upload(m, t)), "{log:?}");
    let manifest_puts = log
        .iter()
        .filter(|(m, t, _)| m == "PUT" && t.contains("/manifests/"))
        .count();
    assert_eq!(manifest_puts, 0, "{log:?}");
    let cache_requests = log
        .iter()
        .filter(|(_, t, _)| t.contains("/team/app/"))
        .count();
    assert!(cache_requests <= 3, "{log:?}");

    // The artifact any registry stores: an OCI manifest with our artifactType.
    let m: serde_json::Value = serde_json::from_str(&hoist_ok(
        first.path(),
        &["inspect", "--raw", &format!("docker://{cache}")],
    ))
    .unwrap();
    assert_eq!(m["artifactType"], "application/vnd.hoist.build.cache.v1");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.hoist.build.cache.config.v1+json"
    );

    // A second runner with an empty store: every step CACHED, same digest.
    let second = tempfile::tempdir().unwrap();
    let from = format!("type=registry,ref={cache}");
    let (d2, stderr) = build_ok(second.path(), &["--cache-from", &from], ctx.path());
    assert_eq!(d2, digest, "{stderr}");
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    assert_eq!(cached_steps(&stderr).len(), 3, "{stderr}");
    // The image is complete in the second store: it runs.
    let (code, out) = run_image(
        second.path(),
        &d2,
        Some(vec!["/bin/cat".into(), "/out".into(), "/f".into()]),
    );
    assert_eq!((code, out.as_str()), (0, "built\nfinal\n"));

    // mode=min: only the final image's steps; the first stage runs again, the rest hits.
    let min = format!("{}/team/app:mincache", proxy.host());
    build_ok(
        first.path(),
        &["--cache-to", &format!("type=registry,ref={min},mode=min")],
        ctx.path(),
    );
    let third = tempfile::tempdir().unwrap();
    let (d3, stderr) = build_ok(
        third.path(),
        &["--cache-from", &format!("type=registry,ref={min}")],
        ctx.path(),
    );
    assert_eq!(d3, digest);
    assert_eq!(
        ran_steps(&stderr),
        ["RUN echo built > /out && echo scratch > /tmp/x"],
        "{stderr}"
    );

    // A cache that does not exist yet is not an error (first run of a pipeline).
    let fourth = tempfile::tempdir().unwrap();
    let missing = format!("type=registry,ref={}/team/none:cache", proxy.host());
    build_ok(fourth.path(), &["--cache-from", &missing], ctx.path());
}

#[test]
fn local_cache_directory_round_trip() {
    if can_build().is_none() {
        return;
    }
    let ctx = two_stage_context();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = tempfile::tempdir().unwrap();
    let (digest, _) = build_ok(
        first.path(),
        &[
            "--cache-to",
            &format!("type=local,dest={},mode=max", cache.display()),
        ],
        ctx.path(),
    );
    assert!(cache.join("index.json").is_file());
    if let Some(skopeo) = tool("skopeo") {
        let raw = run_ok(
            Command::new(skopeo)
                .args(["inspect", "--raw"])
                .arg(format!("oci:{}:buildcache", cache.display())),
        );
        assert!(
            raw.contains("application/vnd.hoist.build.cache.v1"),
            "{raw}"
        );
    }
    let second = tempfile::tempdir().unwrap();
    let (d2, stderr) = build_ok(
        second.path(),
        &[
            "--cache-from",
            &format!("type=local,src={}", cache.display()),
        ],
        ctx.path(),
    );
    assert_eq!(d2, digest);
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    // A changed step runs; the ones before it still come from the cache directory.
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE AS build\nRUN echo built > /out && echo scratch > /tmp/x\nFROM $BASE\nCOPY --from=build /out /out\nRUN echo changed > /f\n",
    )
    .unwrap();
    let third = tempfile::tempdir().unwrap();
    let (_, stderr) = build_ok(
        third.path(),
        &[
            "--cache-from",
            &format!("type=local,src={}", cache.display()),
        ],
        ctx.path(),
    );
    assert_eq!(ran_steps(&stderr), ["RUN echo changed > /f"], "{stderr}");
}

/// The CI and Kubernetes examples only use flags `hoist build` / `hoist login` know.
#[test]
fn ci_examples_use_existing_flags() {
    let help = |cmd: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let known = format!("{}{}", help("build"), help("login"));
    // Flags of other tools in the examples (cargo, sudo, git, kubectl).
    let others = [
        "--locked",
        "--git",
        "--path",
        "--preserve-env",
        "--depth",
        "--from-file",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for f in [
        "ci/github-actions-build.yml",
        "ci/gitlab-ci-build.yml",
        "k8s/build-job.yaml",
    ] {
        let text = fs::read_to_string(root.join(f)).unwrap();
        assert!(
            text.contains("--cache-to") && text.contains("--push"),
            "{f}"
        );
        for word in text.split(|c: char| c.is_whitespace() || c == '"') {
            let Some(flag) = word.strip_prefix("--") else {
                continue;
            };
            let flag = format!("--{}", flag.split('=').next().unwrap_or_default());
            if flag == "--" || others.contains(&flag.as_str()) {
                continue;
            }
            assert!(known.contains(&flag), "{f}: unknown flag {flag}");
        }
    }
}

/// `mounts=true`: a cache mount's content travels with the cache to an empty store.
#[test]
fn cache_mounts_travel_with_mounts_true() {
    if can_build().is_none() {
        return;
    }
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nARG V\nRUN --mount=type=cache,target=/cache,id=pkgs echo $V > /v; if test -f /cache/seen; then cat /cache/seen > /r; else echo miss > /r; echo downloaded > /cache/seen; fi\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with");
    let without = dir.path().join("without");
    let first = tempfile::tempdir().unwrap();
    let (d1, _) = build_ok(
        first.path(),
        &[
            "--build-arg",
            "V=1",
            "--cache-to",
            &format!("type=local,dest={},mounts=true", with.display()),
            "--cache-to",
            &format!("type=local,dest={}", without.display()),
        ],
        ctx.path(),
    );
    let r = |home: &Path, d: &hoist::oci::digest::Digest| {
        run_image(home, d, Some(vec!["/bin/cat".into(), "/r".into()])).1
    };
    assert_eq!(r(first.path(), &d1), "miss\n");
    // A new runner with a changed step: the RUN runs again and finds the restored mount.
    for (cache, expect) in [(&with, "downloaded\n"), (&without, "miss\n")] {
        let home = tempfile::tempdir().unwrap();
        let (d, stderr) = build_ok(
            home.path(),
            &[
                "--build-arg",
                "V=2",
                "--cache-from",
                &format!("type=local,src={}", cache.display()),
            ],
            ctx.path(),
        );
        assert_eq!(ran_steps(&stderr).len(), 1, "{stderr}");
        assert_eq!(r(home.path(), &d), expect, "{}", cache.display());
    }
}
