//! `hoist build --build-context NAME=VALUE` end to end: a directory context (with its own
//! `.dockerignore`) read by `COPY --from`, `RUN --mount=from=` and FROM, its content in the
//! cache keys of exactly the steps that read it; a context replacing a stage of its name, one
//! replacing a FROM image, `oci-layout://` and `docker-image://` values; errors naming the flag.

use std::fs;
use std::path::Path;

use crate::build_support::*;

/// The busybox base's layout directory (its `oci:DIR:latest` reference without prefix/tag).
fn busybox_dir() -> String {
    let r = busybox().unwrap_or_default();
    let dir = r.strip_prefix("oci:").unwrap_or(r);
    dir.strip_suffix(":latest").unwrap_or(dir).to_string()
}

const DIR_DF: &str = "ARG BASE
FROM $BASE
COPY main.txt /main.txt
COPY --from=assets a.txt /a.txt
RUN --mount=from=assets,target=/m cat /m/b.txt > /b.txt && ls -A /m > /listing
RUN echo done > /done
FROM assets AS raw
FROM $BASE AS final
COPY --from=0 / /
COPY --from=raw / /raw/
";

#[test]
fn directory_context_feeds_copy_mount_and_from_and_reruns_only_its_readers() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let assets = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), DIR_DF).unwrap();
    fs::write(ctx.path().join("main.txt"), "main\n").unwrap();
    // The main context's files of the same names must not be what the named context gives.
    fs::write(ctx.path().join("a.txt"), "wrong a\n").unwrap();
    fs::write(assets.path().join("a.txt"), "a1\n").unwrap();
    fs::write(assets.path().join("b.txt"), "b1\n").unwrap();
    fs::write(assets.path().join("private.txt"), "p1\n").unwrap();
    fs::write(assets.path().join(".dockerignore"), "private.txt\n").unwrap();
    let flag = format!("assets={}", assets.path().display());
    let args = ["--build-context", flag.as_str()];

    let (d1, stderr) = build_ok(home.path(), &args, ctx.path());
    assert!(cached_steps(&stderr).is_empty(), "{stderr}");
    let cat = |d| {
        run_image(
            home.path(),
            d,
            Some(
                [
                    "cat",
                    "/main.txt",
                    "/a.txt",
                    "/b.txt",
                    "/listing",
                    "/raw/a.txt",
                ]
                .map(String::from)
                .to_vec(),
            ),
        )
    };
    let (code, out) = cat(&d1);
    assert_eq!(code, 0, "{out}");
    // The context's .dockerignore applies to the mount (no private.txt in the listing).
    assert_eq!(out, "main\na1\nb1\n.dockerignore\na.txt\nb.txt\na1\n");
    let (code, out) = run_image(
        home.path(),
        &d1,
        Some(["ls", "-A", "/raw"].map(String::from).to_vec()),
    );
    assert_eq!((code, out.as_str()), (0, ".dockerignore\na.txt\nb.txt\n"));

    // A file only the mount reads changes: the mount step and what follows it rerun, the
    // COPY steps before it (main context and the named context's a.txt) are hits.
    fs::write(assets.path().join("b.txt"), "b2\n").unwrap();
    let (d2, stderr) = build_ok(home.path(), &args, ctx.path());
    assert_ne!(d1, d2);
    assert_eq!(
        cached_steps(&stderr),
        vec!["COPY main.txt /main.txt", "COPY --from=assets a.txt /a.txt"],
        "{stderr}"
    );
    let ran = ran_steps(&stderr);
    assert!(
        ran.contains(
            &"RUN --mount=from=assets,target=/m cat /m/b.txt > /b.txt && ls -A /m > /listing"
                .to_string()
        ) && ran.contains(&"RUN echo done > /done".to_string()),
        "{stderr}"
    );
    let (_, out) = cat(&d2);
    assert_eq!(out, "main\na1\nb2\n.dockerignore\na.txt\nb.txt\na1\n");

    // A change to an ignored file reruns nothing and gives the same image.
    fs::write(assets.path().join("private.txt"), "p2\n").unwrap();
    let (d3, stderr) = build_ok(home.path(), &args, ctx.path());
    assert_eq!(d3, d2, "{stderr}");
    assert!(ran_steps(&stderr).is_empty(), "{stderr}");
}

const REPLACE_DF: &str = "ARG BASE
FROM scratch AS gen
COPY this-file-does-not-exist /x
FROM example.invalid/tools:1 AS tools
RUN echo hi > /hi
FROM tools
COPY --from=gen /g.txt /g.txt
COPY --from=layout /etc/passwd /layout-passwd
RUN --mount=from=docker.io/library/base,target=/b cat /b/etc/group > /base-group
";

#[test]
fn contexts_replace_a_stage_an_image_and_read_oci_layouts() {
    let Some(base) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let gen = tempfile::tempdir().unwrap();
    fs::write(ctx.path().join("Dockerfile"), REPLACE_DF).unwrap();
    fs::write(gen.path().join("g.txt"), "generated\n").unwrap();
    let layout = busybox_dir();
    let flags = [
        // A stage of that name: its own instructions (a COPY that would fail) do not run.
        format!("gen={}", gen.path().display()),
        // A FROM image of that name, through any reference hoist accepts.
        format!("example.invalid/tools:1=docker-image://{base}"),
        format!("layout=oci-layout://{layout}"),
        format!("base=oci-layout://{layout}:latest"),
    ];
    let mut args = Vec::new();
    for f in &flags {
        args.push("--build-context");
        args.push(f.as_str());
    }
    let (d, stderr) = build_ok(home.path(), &args, ctx.path());
    assert!(!stderr.contains("this-file-does-not-exist"), "{stderr}");
    let (code, out) = run_image(
        home.path(),
        &d,
        Some(
            ["cat", "/hi", "/g.txt", "/layout-passwd", "/base-group"]
                .map(String::from)
                .to_vec(),
        ),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("hi\ngenerated\nroot:x:0:0:"), "{out}");
    assert!(out.ends_with("bob:x:1000:\n"), "{out}");

    // Without the contexts the stage runs, and fails on its missing source.
    let out = hoist_build(home.path(), &[], ctx.path());
    assert!(!out.status.success());
}

#[test]
fn bad_build_contexts_name_the_flag() {
    let Some(_) = can_build() else { return };
    let home = tempfile::tempdir().unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG BASE\nFROM $BASE\nCOPY --from=x / /x\n",
    )
    .unwrap();
    let layout = busybox_dir();
    let missing = ctx.path().join("missing");
    let cases: [(String, i32, &str); 4] = [
        ("x".to_string(), 2, "expected NAME=VALUE"),
        ("x=target:other".to_string(), 2, "bake"),
        (
            format!("x={}", missing.display()),
            1,
            "cannot read the directory",
        ),
        (
            format!("x=oci-layout://{layout}:nope"),
            1,
            "no image tagged \"nope\"",
        ),
    ];
    for (flag, code, says) in cases {
        let out = hoist_build(home.path(), &["--build-context", &flag], ctx.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{flag}: {stderr}");
        assert!(
            stderr.contains("--build-context") && stderr.contains(says),
            "{flag}: {stderr}"
        );
        assert!(stderr.contains(&flag), "{flag}: {stderr}");
    }
}

/// The digest of the only image of the OCI layout `layout`, and a copy of the layout.
fn layout_digest_and_copy(layout: &str) -> (String, tempfile::TempDir) {
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(Path::new(layout).join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let copy = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{layout}/."))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(st.success());
    (digest, copy)
}

#[test]
fn oci_layout_context_by_digest_needs_no_tag() {
    let Some(_) = can_build() else { return };
    let layout = busybox_dir();
    let (digest, copy) = layout_digest_and_copy(&layout);
    // A copy of the layout whose index lists nothing: the manifest is found by digest alone.
    fs::write(
        copy.path().join("index.json"),
        r#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "FROM pinned\nRUN cp /etc/passwd /p\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let flag = format!("pinned=oci-layout://{}@{digest}", copy.path().display());
    let (d, stderr) = build_ok(home.path(), &["--build-context", &flag], ctx.path());
    let (code, out) = run_image(home.path(), &d, Some(vec!["cat".into(), "/p".into()]));
    assert_eq!(code, 0, "{out} {stderr}");
    assert!(out.starts_with("root:x:0:0:"), "{out}");
    // A digest the layout does not hold is an error naming the flag.
    let other = format!("sha256:{}", "0".repeat(64));
    let flag = format!("pinned=oci-layout://{}@{other}", copy.path().display());
    let out = hoist_build(home.path(), &["--build-context", &flag], ctx.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--build-context") && stderr.contains("missing"),
        "{stderr}"
    );
}

#[test]
fn image_contexts_are_provenance_dependencies() {
    let Some(_) = can_build() else { return };
    let layout = busybox_dir();
    let read = |dir: &Path, d: &str| -> serde_json::Value {
        let hex = d.trim_start_matches("sha256:");
        serde_json::from_slice(&fs::read(dir.join("blobs/sha256").join(hex)).unwrap()).unwrap()
    };
    // COPY --from an image no FROM names (a copy of the layout, so its reference differs).
    let (base_digest, copy) = layout_digest_and_copy(&layout);
    let ctx = tempfile::tempdir().unwrap();
    fs::write(
        ctx.path().join("Dockerfile"),
        "ARG SRC\nFROM pinned\nARG SRC\nCOPY --from=$SRC /etc/group /g\nRUN echo hi > /hi\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("img");
    let flag = format!("pinned=oci-layout://{layout}:latest");
    let src = format!("SRC=oci:{}:latest", copy.path().display());
    let to = format!("type=oci,dest={}", dest.display());
    build_ok(
        home.path(),
        &[
            "--build-context",
            &flag,
            "--build-arg",
            &src,
            "--provenance",
            "-o",
            &to,
        ],
        ctx.path(),
    );
    // The layout's image index: the image and its attestation manifest.
    let top: serde_json::Value =
        serde_json::from_slice(&fs::read(dest.join("index.json")).unwrap()).unwrap();
    let image_index = read(&dest, top["manifests"][0]["digest"].as_str().unwrap());
    let att = image_index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["os"] == "unknown")
        .map(|m| read(&dest, m["digest"].as_str().unwrap()))
        .unwrap();
    let statement = att["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| read(&dest, l["digest"].as_str().unwrap()))
        .find(|s| s["predicateType"] == "https://slsa.dev/provenance/v1")
        .unwrap();
    let deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    let hex = base_digest.trim_start_matches("sha256:");
    // The context's image and the COPY --from image: the same digest, two references.
    let uris: Vec<&str> = deps
        .iter()
        .filter(|d| d["digest"]["sha256"] == hex)
        .map(|d| d["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris.len(), 2, "{deps:?}");
    assert!(uris.iter().any(|u| u.contains(&layout)), "{uris:?}");
    let copied = copy.path().display().to_string();
    assert!(uris.iter().any(|u| u.contains(&copied)), "{uris:?}");
}
