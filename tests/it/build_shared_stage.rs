//! A `--platform a,b` build runs a `FROM --platform=$BUILDPLATFORM` stage that uses no TARGET*
//! ARG once, shared by both platforms (the platforms build concurrently), and gives the same
//! index as a `--jobs 1` build. `--no-cache` ignores earlier builds but still shares that
//! run between the platforms of the one build.

use std::fs;
use std::path::Path;

use hoist::oci::digest::Digest;
use hoist::oci::Store;

use crate::build_support::*;

const DF: &str = "ARG BASE
FROM --platform=$BUILDPLATFORM $BASE AS tools
RUN --mount=type=cache,id=count,target=/c,sharing=shared echo run >> /c/runs && wc -l < /c/runs > /n
FROM scratch
COPY --from=tools /n /n
";

const RUN_TITLE: &str =
    "RUN --mount=type=cache,id=count,target=/c,sharing=shared echo run >> /c/runs && wc -l < /c/runs > /n";

/// `/n` of each platform's image of the index `digest`, by platform.
fn counts(home: &Path, digest: &Digest) -> Vec<(String, String)> {
    let store = Store::open(home).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&store.read_blob(digest).unwrap()).unwrap();
    let mut out = Vec::new();
    for m in index["manifests"].as_array().unwrap() {
        let md: Digest = m["digest"].as_str().unwrap().parse().unwrap();
        let manifest: serde_json::Value =
            serde_json::from_slice(&store.read_blob(&md).unwrap()).unwrap();
        let config = config_of(home, &md);
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1, "{manifest}");
        let blob: Digest = layers[0]["digest"].as_str().unwrap().parse().unwrap();
        let dir = store
            .unpack_layer(&blob, &config.rootfs.diff_ids[0])
            .unwrap();
        let n = fs::read_to_string(dir.join("n")).unwrap();
        out.push((
            m["platform"]["architecture"].to_string(),
            n.trim().to_string(),
        ));
    }
    out
}

#[test]
fn build_platform_stage_runs_once_for_all_platforms() {
    let Some(_) = can_build() else { return };
    let host = hoist::oci::image::Platform::host();
    let other = if host.architecture == "arm64" {
        "linux/amd64"
    } else {
        "linux/arm64"
    };
    let platforms = format!("{host},{other}");
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), DF).unwrap();

    let home = tempfile::tempdir().unwrap();
    let (index, stderr) = build_ok(
        home.path(),
        &["--platform", &platforms, "--jobs", "2"],
        ctx.path(),
    );
    let ran = ran_steps(&stderr);
    assert_eq!(
        ran.iter().filter(|t| t.as_str() == RUN_TITLE).count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        cached_steps(&stderr)
            .iter()
            .filter(|t| t.as_str() == RUN_TITLE)
            .count(),
        1,
        "{stderr}"
    );
    // Both platforms' images hold the one run's output (a second run would count 2).
    let c = counts(home.path(), &index);
    assert_eq!(c.len(), 2, "{c:?}");
    assert!(c.iter().all(|(_, n)| n == "1"), "{c:?}");

    // One platform at a time, from an empty store: the same index.
    let home1 = tempfile::tempdir().unwrap();
    let (index1, _) = build_ok(
        home1.path(),
        &["--platform", &platforms, "--jobs", "1"],
        ctx.path(),
    );
    assert_eq!(index1, index);

    // --no-cache: the step runs again (the cache mount counts 2), once for both platforms.
    let (again, stderr) = build_ok(
        home.path(),
        &["--platform", &platforms, "--jobs", "2", "--no-cache"],
        ctx.path(),
    );
    assert_eq!(
        ran_steps(&stderr)
            .iter()
            .filter(|t| t.as_str() == RUN_TITLE)
            .count(),
        1,
        "{stderr}"
    );
    let c = counts(home.path(), &again);
    assert!(c.iter().all(|(_, n)| n == "2"), "{c:?}");
}
