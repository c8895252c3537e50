//! Remaining `hoist build` features end to end: `COPY --link` layers re-used over a new base,
//! rootless builds by a real unprivileged user, predefined platform ARGs before FROM, and the
//! project's lint configuration in the summary before a build.

use std::fs;
use std::path::Path;

use hoist::oci::digest::Digest;
use hoist::oci::Store;

use crate::build_support::*;

/// The layer digests of the store image `digest`, bottom first.
fn layers_of(home: &Path, digest: &Digest) -> Vec<String> {
    let store = Store::open(home).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.read_blob(digest).unwrap()).unwrap();
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

const LINK_DF: &str = "ARG BASE
FROM $BASE
ARG V=1
RUN echo \"v=$V\" > /v
COPY --link a.txt /linked/a.txt
RUN cat /v /linked/a.txt > /both
";

#[test]
fn copy_link_layer_is_reused_when_what_is_below_changes() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), LINK_DF).unwrap();
    fs::write(ctx.path().join("a.txt"), "a\n").unwrap();
    let (d1, _) = build_ok(home.path(), &[], ctx.path());
    let l1 = layers_of(home.path(), &d1);
    assert_eq!(l1.len(), 4, "base, /v, --link, /both");

    // An earlier step changes: it and the steps after the --link one rebuild, the --link step
    // is a hit with the same layer.
    let (d2, stderr) = build_ok(home.path(), &["--build-arg", "V=2"], ctx.path());
    assert_eq!(
        cached_steps(&stderr),
        vec!["COPY --link a.txt /linked/a.txt"],
        "{stderr}"
    );
    assert_eq!(
        ran_steps(&stderr),
        vec!["RUN echo \"v=$V\" > /v", "RUN cat /v /linked/a.txt > /both"],
        "{stderr}"
    );
    let l2 = layers_of(home.path(), &d2);
    assert_eq!(l2[2], l1[2]);
    assert_ne!(l2[3], l1[3]);
    let (code, out) = run_image(home.path(), &d2, Some(vec!["cat".into(), "/both".into()]));
    assert_eq!((code, out.as_str()), (0, "v=2\na\n"));

    // A new base image (the first build written out as a layout, one more layer): same again.
    let layout = tempfile::tempdir().unwrap();
    let dest = format!("type=oci,dest={}", layout.path().join("img").display());
    build_ok(home.path(), &["-o", &dest], ctx.path());
    let new_base = format!("BASE=oci:{}", layout.path().join("img").display());
    let (d3, stderr) = build_ok(home.path(), &["--build-arg", &new_base], ctx.path());
    assert_eq!(
        cached_steps(&stderr),
        vec!["COPY --link a.txt /linked/a.txt"],
        "{stderr}"
    );
    assert_eq!(
        ran_steps(&stderr),
        vec!["RUN echo \"v=$V\" > /v", "RUN cat /v /linked/a.txt > /both"],
        "{stderr}"
    );
    let l3 = layers_of(home.path(), &d3);
    assert_eq!(l3.len(), 7);
    assert_eq!(l3[5], l1[2]);

    // Without --link the copy chains from the step below it and rebuilds.
    fs::write(
        ctx.path().join("Dockerfile"),
        LINK_DF.replace("--link ", ""),
    )
    .unwrap();
    build_ok(home.path(), &[], ctx.path());
    let (_, stderr) = build_ok(home.path(), &["--build-arg", "V=3"], ctx.path());
    assert!(cached_steps(&stderr).is_empty(), "{stderr}");
}
