//! `hoist build --platform linux/amd64,linux/arm64 --sbom --provenance` (no RUN, so no
//! qemu): one BuildKit-style attestation manifest per platform manifest, in an OCI layout
//! and pushed to the real registry, read back with skopeo (the index, and a `skopeo copy
//! --all` of the pushed image whose blobs are read from disk); each SBOM names its own
//! platform manifest as subject and lists the package only that platform's root holds.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::build_supply::{check_statement_layers, skopeo_raw};
use crate::support::{AuthMode, TestRegistry};

/// A context whose root differs per platform: a Python package per architecture.
fn context() -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    for (arch, version) in [("amd64", "1.0"), ("arm64", "1.5")] {
        let d = ctx
            .path()
            .join(format!("py-{arch}/pkg_{arch}-{version}.dist-info"));
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: pkg_{arch}\nVersion: {version}\n"),
        )
        .unwrap();
    }
    fs::write(
        ctx.path().join("Dockerfile"),
        "FROM scratch\nARG TARGETARCH\nCOPY py-${TARGETARCH}/ /usr/lib/python3/dist-packages/\n",
    )
    .unwrap();
    ctx
}

fn build(home: &Path, ctx: &Path, out: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["build", "-q", "--platform", "linux/amd64,linux/arm64"])
        .args(["--sbom", "--provenance"])
        .args(out)
        .arg(ctx)
        .env("HOIST_HOME", home)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "hoist build: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn blob(layout: &Path, digest: &str) -> Value {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::from_slice(&fs::read(layout.join("blobs/sha256").join(hex)).unwrap()).unwrap()
}

/// Checks the index (as skopeo printed it) and the attestations (blobs of `layout`):
/// per platform one attestation manifest about that platform's manifest, whose SPDX
/// statement has that manifest as subject and that platform's package.
fn check(index: &Value, layout: &Path) {
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let entries = index["manifests"].as_array().unwrap();
    let (atts, imgs): (Vec<&Value>, Vec<&Value>) = entries
        .iter()
        .partition(|e| e["annotations"]["vnd.docker.reference.type"] == "attestation-manifest");
    let archs: Vec<&str> = imgs
        .iter()
        .map(|i| i["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["amd64", "arm64"], "{index}");
    assert_eq!(atts.len(), 2, "{index}");
    for img in &imgs {
        let arch = img["platform"]["architecture"].as_str().unwrap();
        let digest = img["digest"].as_str().unwrap();
        let about: Vec<&&Value> = atts
            .iter()
            .filter(|a| a["annotations"]["vnd.docker.reference.digest"] == digest)
            .collect();
        assert_eq!(
            about.len(),
            1,
            "one attestation manifest for {arch}: {index}"
        );
        let a = about[0];
        assert_eq!(a["platform"]["os"], "unknown");
        assert_eq!(a["platform"]["architecture"], "unknown");
        let m = blob(layout, a["digest"].as_str().unwrap());
        check_statement_layers(&m);
        let layers = m["layers"].as_array().unwrap();
        for l in layers {
            let st = blob(layout, l["digest"].as_str().unwrap());
            assert_eq!(
                st["subject"][0]["digest"]["sha256"],
                digest.strip_prefix("sha256:").unwrap()
            );
        }
        let spdx = blob(layout, layers[0]["digest"].as_str().unwrap());
        let names: Vec<&str> = spdx["predicate"]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["primaryPackagePurpose"] != "CONTAINER")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let own = format!("pkg_{arch}");
        assert_eq!(names, [own.as_str()], "{arch}: {spdx}");
        // The platform manifest itself is the image skopeo can read.
        let pm = blob(layout, digest);
        assert_eq!(
            pm["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
    }
}

#[test]
fn multi_platform_oci_output_has_one_attestation_per_platform() {
    if crate::oci_fixtures::tool("skopeo").is_none() {
        eprintln!("skipping: skopeo not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let ctx = context();
    let out = home.path().join("out");
    build(
        home.path(),
        ctx.path(),
        &["--output", &format!("type=oci,dest={}", out.display())],
    );
    let index = skopeo_raw(&format!("oci:{}", out.display()));
    check(&index, &out);
}

#[test]
fn multi_platform_push_has_one_attestation_per_platform() {
    if crate::oci_fixtures::tool("skopeo").is_none() {
        eprintln!("skipping: skopeo not installed");
        return;
    }
    let Some(reg) = TestRegistry::start("sbom_multiplatform_push", AuthMode::Open) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let ctx = context();
    let tag = format!("{}/multi/app:1", reg.host);
    build(home.path(), ctx.path(), &["-t", &tag, "--push"]);
    let index = skopeo_raw(&format!("docker://{tag}"));
    // A full copy made by skopeo: every blob of the index, read from its files.
    let copy = home.path().join("copy");
    let o = Command::new("skopeo")
        .args(["copy", "--all", "--src-tls-verify=false"])
        .arg(format!("docker://{tag}"))
        .arg(format!("oci:{}:x", copy.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check(&index, &copy);
}
