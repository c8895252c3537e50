//! Behaviour of `hoist build`'s fast paths, checked end to end: a `--cache-from` hit fetches
//! a layer blob only when its bytes are needed (lazy import), a `COPY --from` hit through its
//! layer alias keeps the key chain (later steps still hit), an import reads no record blob and
//! unpacks nothing when every step hits, torn cache records (written without fsync) only cost
//! a rerun, and read-only bind mounts are a linked snapshot that nothing can write through.

use std::fs;
use std::path::Path;

use hoist::oci::Digest;

use crate::build_support::*;

const TWO_STAGE: &str = "ARG BASE
FROM $BASE AS build
RUN echo built > /out && echo scratch > /tmp/x
RUN echo second > /more
FROM $BASE
COPY --from=build /out /out
RUN echo final > /f
";

fn blobs(home: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(home.join("blobs/sha256"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Layer blob digests (hex) of the image `digest` in the store at `home`.
fn image_layers(home: &Path, digest: &Digest) -> Vec<String> {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(home.join("blobs/sha256").join(digest.hex())).unwrap())
            .unwrap();
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect()
}

/// Layer blobs (hex) the cache artifact in the OCI layout `dir` carries (not its records).
fn cache_layers(dir: &Path) -> Vec<String> {
    let read = |hex: &str| -> serde_json::Value {
        serde_json::from_slice(&fs::read(dir.join("blobs/sha256").join(hex)).unwrap()).unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest = read(
        index["manifests"][0]["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:"),
    );
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["mediaType"]
                .as_str()
                .unwrap()
                .starts_with("application/vnd.oci.image.layer.")
        })
        .map(|l| {
            l["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect()
}

#[test]
fn cache_from_fetches_layers_only_when_needed() {
    if can_build().is_none() {
        return;
    }
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), TWO_STAGE).unwrap();
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
    let exported = cache_layers(&cache);
    let final_layers = image_layers(first.path(), &digest);

    // An empty store: every step hits, the image is complete (it runs), and the layers only
    // the build stage has (its two RUN layers) were never downloaded.
    let second = tempfile::tempdir().unwrap();
    let from = format!("type=local,src={}", cache.display());
    let (d2, stderr) = build_ok(second.path(), &["--cache-from", &from], ctx.path());
    assert_eq!(d2, digest, "{stderr}");
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    let have = blobs(second.path());
    for l in &final_layers {
        assert!(have.contains(l), "final layer {l} missing: {have:?}");
    }
    let build_only: Vec<&String> = exported
        .iter()
        .filter(|b| !final_layers.contains(b))
        .collect();
    assert!(!build_only.is_empty(), "{exported:?}");
    for b in &build_only {
        assert!(
            !have.contains(b),
            "{b} was fetched although no step read it"
        );
    }
    let (code, out) = run_image(
        second.path(),
        &d2,
        Some(vec!["/bin/cat".into(), "/out".into(), "/f".into()]),
    );
    assert_eq!((code, out.as_str()), (0, "built\nfinal\n"));

    // A step that misses after hits needs the rootfs: its lowers are fetched then, and the
    // result matches a build without any cache.
    fs::write(
        ctx.path().join("Dockerfile"),
        TWO_STAGE.replace("echo final", "echo changed"),
    )
    .unwrap();
    let third = tempfile::tempdir().unwrap();
    let (d3, stderr) = build_ok(third.path(), &["--cache-from", &from], ctx.path());
    assert_eq!(ran_steps(&stderr), ["RUN echo changed > /f"], "{stderr}");
    let fresh = tempfile::tempdir().unwrap();
    let (d4, _) = build_ok(fresh.path(), &[], ctx.path());
    assert_eq!(d3, d4);
    let have = blobs(third.path());
    for b in &build_only {
        assert!(
            !have.contains(b),
            "{b} was fetched although no step read it"
        );
    }
}

#[test]
fn copy_from_alias_hit_keeps_the_chain() {
    if can_build().is_none() {
        return;
    }
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), TWO_STAGE).unwrap();
    let home = tempfile::tempdir().unwrap();
    let (d1, first) = build_ok(home.path(), &[], ctx.path());
    assert_eq!(ran_steps(&first).len(), 4, "{first}");
    // Twice: the first rebuild may hit by content, the second by the alias.
    for _ in 0..2 {
        let (d, again) = build_ok(home.path(), &[], ctx.path());
        assert_eq!(d, d1);
        assert!(ran_steps(&again).is_empty(), "{again}");
        assert_eq!(cached_steps(&again).len(), 4, "{again}");
    }
    // A change in the source stage still reaches the COPY and what follows.
    fs::write(
        ctx.path().join("Dockerfile"),
        TWO_STAGE.replace("echo built", "echo rebuilt"),
    )
    .unwrap();
    let (d2, stderr) = build_ok(home.path(), &[], ctx.path());
    assert_ne!(d2, d1);
    assert_eq!(
        ran_steps(&stderr),
        [
            "RUN echo rebuilt > /out && echo scratch > /tmp/x",
            "RUN echo second > /more",
            "COPY --from=build /out /out",
            "RUN echo final > /f"
        ],
        "{stderr}"
    );
}

#[test]
fn readonly_bind_mount_is_a_protected_snapshot() {
    if can_build().is_none() {
        return;
    }
    for isolation in ["--isolation=namespaces", "--isolation=chroot"] {
        let ctx = tempfile::tempdir().unwrap();
        fs::write(ctx.path().join("data.txt"), "context data\n").unwrap();
        fs::write(
            ctx.path().join("Dockerfile"),
            "ARG BASE\nFROM $BASE\nRUN --mount=type=bind,target=/ctx cat /ctx/data.txt > /copy && \\\n    (echo tampered > /ctx/data.txt; rm -f /ctx/Dockerfile; true)\n",
        )
        .unwrap();
        let home = tempfile::tempdir().unwrap();
        let (digest, stderr) = build_ok(home.path(), &[isolation], ctx.path());
        assert_eq!(
            fs::read_to_string(ctx.path().join("data.txt")).unwrap(),
            "context data\n",
            "{isolation}: {stderr}"
        );
        assert!(ctx.path().join("Dockerfile").is_file(), "{isolation}");
        let (code, out) = run_image(
            home.path(),
            &digest,
            Some(vec!["/bin/cat".into(), "/copy".into()]),
        );
        assert_eq!((code, out.as_str()), (0, "context data\n"), "{isolation}");
    }
}

/// The cache artifact in the OCI layout `dir`: its manifest and config.
fn cache_artifact(dir: &Path) -> (serde_json::Value, serde_json::Value) {
    let read = |d: &str| -> serde_json::Value {
        let hex = d.trim_start_matches("sha256:");
        serde_json::from_slice(&fs::read(dir.join("blobs/sha256").join(hex)).unwrap()).unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest = read(index["manifests"][0]["digest"].as_str().unwrap());
    let config = read(manifest["config"]["digest"].as_str().unwrap());
    (manifest, config)
}

const CONTEXT_COPY: &str = "ARG BASE
FROM $BASE
COPY app/ /app/
RUN cat /app/a /app/b > /both
COPY --chown=1:1 app/a /owned
";

/// A context for [`CONTEXT_COPY`].
fn context_copy() -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), CONTEXT_COPY).unwrap();
    fs::create_dir(ctx.path().join("app")).unwrap();
    fs::write(ctx.path().join("app/a"), "a\n").unwrap();
    fs::write(ctx.path().join("app/b"), "b\n").unwrap();
    ctx
}

#[test]
fn cache_from_hits_without_record_requests_or_unpacking() {
    if can_build().is_none() {
        return;
    }
    let ctx = context_copy();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = tempfile::tempdir().unwrap();
    let to = format!("type=local,dest={},mode=max", cache.display());
    let (digest, _) = build_ok(first.path(), &["--cache-to", &to], ctx.path());

    // The key map carries every record's bytes, filed under its digest.
    let (manifest, config) = cache_artifact(&cache);
    let records = config["records"].as_object().unwrap();
    let bodies = config["bodies"].as_object().unwrap();
    assert!(records.len() >= 3, "{config}");
    for d in records.values() {
        let body = bodies[d.as_str().unwrap()].as_str().unwrap();
        assert_eq!(
            hoist::oci::digest::digest_bytes(body.as_bytes()).to_string(),
            d.as_str().unwrap()
        );
    }
    // So an import never reads the record blobs: delete them from the layout.
    for l in manifest["layers"].as_array().unwrap() {
        if l["mediaType"] == "application/vnd.hoist.build.cache.v1+json" {
            let hex = l["digest"].as_str().unwrap().trim_start_matches("sha256:");
            fs::remove_file(cache.join("blobs/sha256").join(hex)).unwrap();
        }
    }
    // An empty store: every step hits, and no layer was unpacked (the COPY steps are keyed
    // by their sources and the parent's key, not by the parent's files).
    let second = tempfile::tempdir().unwrap();
    let from = format!("type=local,src={}", cache.display());
    let (d2, stderr) = build_ok(second.path(), &["--cache-from", &from], ctx.path());
    assert_eq!(d2, digest, "{stderr}");
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    let unpacked: Vec<_> = fs::read_dir(second.path().join("layers/sha256"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(unpacked.is_empty(), "unpacked {unpacked:?}");

    // A context change still reruns the COPY and everything after it.
    fs::write(ctx.path().join("app/b"), "B\n").unwrap();
    let third = tempfile::tempdir().unwrap();
    let (d3, stderr) = build_ok(third.path(), &["--cache-from", &from], ctx.path());
    assert_ne!(d3, digest);
    assert_eq!(
        ran_steps(&stderr),
        [
            "COPY app/ /app/",
            "RUN cat /app/a /app/b > /both",
            "COPY --chown=1:1 app/a /owned"
        ],
        "{stderr}"
    );
    let (code, out) = run_image(
        third.path(),
        &d3,
        Some(vec!["/bin/cat".into(), "/both".into()]),
    );
    assert_eq!((code, out.as_str()), (0, "a\nB\n"));
}

#[test]
fn torn_cache_records_only_cost_a_rerun() {
    if can_build().is_none() {
        return;
    }
    let ctx = context_copy();
    let home = tempfile::tempdir().unwrap();
    let (d1, _) = build_ok(home.path(), &[], ctx.path());
    // What a crash can leave of records written without fsync: an empty entry file, and a
    // record blob cut short.
    let mut entries: Vec<_> = fs::read_dir(home.path().join("cache"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 3);
    let torn_record = fs::read_to_string(&entries[1]).unwrap();
    let blob = home
        .path()
        .join("blobs/sha256")
        .join(torn_record.trim().trim_start_matches("sha256:"));
    let body = fs::read(&blob).unwrap();
    fs::set_permissions(&blob, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    fs::write(&blob, &body[..body.len() / 2]).unwrap();
    fs::write(&entries[0], "").unwrap();
    // The build neither fails nor trusts them: the steps they named run again, the result is
    // the same image, and the records are whole again afterwards.
    let (d2, stderr) = build_ok(home.path(), &[], ctx.path());
    assert_eq!(d2, d1, "{stderr}");
    assert!(!ran_steps(&stderr).is_empty(), "{stderr}");
    assert_eq!(fs::read(&blob).unwrap(), body);
    let (d3, stderr) = build_ok(home.path(), &[], ctx.path());
    assert_eq!(d3, d1);
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
    hoist_ok(home.path(), &["prune"]);
}
