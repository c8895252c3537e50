//! `hoist build --scan --sbom --provenance --sign`: the one CI step against the real
//! docker-registry (checked with skopeo, `hoist verify`, `hoist verify-attestation` and the
//! attestation manifests read back from a skopeo copy), the BuildKit-shaped attestation index in
//! an OCI layout (with the `sigstore` crate checking the signature), reproducible statements,
//! a secret that stops the build before anything is pushed, and `hoist attest
//! --registry-referrers`.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::Value;
use sigstore::crypto::{CosignVerificationKey, Signature, SigningScheme};

use crate::build_support::{busybox, can_build};
use crate::sign::{keys, ok_in, s, PASSWORD};
use crate::support::{AuthMode, TestRegistry};
use hoist::oci::digest::Digest;
use hoist::oci::layout::OciLayout;
use hoist::supply::attach::{read_attestations, FoundAttestation};

const SECRET_VALUE: &str = "s3cr3t-value-never-shown";

/// A context whose image is the busybox base plus one file (no RUN: quick and reproducible).
fn context(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let ctx = tempfile::tempdir().unwrap();
    let mut df = String::from("ARG BASE\nFROM $BASE\nARG VERSION\nCOPY hello /hello\n");
    fs::write(ctx.path().join("hello"), "hello\n").unwrap();
    for (name, body) in extra {
        fs::write(ctx.path().join(name), body).unwrap();
        df.push_str(&format!("COPY {name} /root/{name}\n"));
    }
    fs::write(ctx.path().join("Dockerfile"), df).unwrap();
    ctx
}

/// `hoist build` in `cwd` (where the keys are) with its own store and the key password.
fn build(cwd: &Path, home: &Path, args: &[&str], ctx: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("build")
        .arg("--progress=plain")
        .arg("--build-arg")
        .arg(format!("BASE={}", busybox().unwrap_or_default()))
        .args(args)
        .arg(ctx)
        .current_dir(cwd)
        .env("HOIST_HOME", home)
        .env("COSIGN_PASSWORD", PASSWORD)
        .env("TOK", SECRET_VALUE)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

#[track_caller]
fn build_ok(cwd: &Path, home: &Path, args: &[&str], ctx: &Path) -> (String, String) {
    let out = build(cwd, home, args, ctx);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "hoist build {args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn skopeo() -> Option<&'static str> {
    Path::new("/usr/bin/skopeo")
        .is_file()
        .then_some("/usr/bin/skopeo")
}

pub(crate) fn skopeo_raw(reference: &str) -> Value {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", reference])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo inspect --raw {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An attestation manifest's layers: in-toto statements, the SPDX SBOM then the provenance.
pub(crate) fn check_statement_layers(att: &Value) {
    let types: Vec<&str> = att["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["mediaType"], "application/vnd.in-toto+json");
            l["annotations"]["in-toto.io/predicate-type"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        types,
        [
            "https://spdx.dev/Document",
            "https://slsa.dev/provenance/v1"
        ]
    );
}

/// The BuildKit attestation shape: platform images first, then one `unknown/unknown`
/// attestation manifest per image, annotated with the image digest. Returns the image
/// descriptors' digests.
fn check_index_shape(index: &Value) -> Vec<String> {
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let entries = index["manifests"].as_array().unwrap();
    let (atts, imgs): (Vec<&Value>, Vec<&Value>) = entries
        .iter()
        .partition(|e| e["annotations"]["vnd.docker.reference.type"] == "attestation-manifest");
    assert_eq!(atts.len(), imgs.len(), "{index}");
    for (a, i) in atts.iter().zip(&imgs) {
        assert_eq!(a["platform"]["os"], "unknown");
        assert_eq!(a["platform"]["architecture"], "unknown");
        assert_eq!(a["annotations"]["vnd.docker.reference.digest"], i["digest"]);
        assert_eq!(i["platform"]["os"], "linux");
    }
    imgs.iter()
        .map(|i| i["digest"].as_str().unwrap().to_string())
        .collect()
}

fn layout_attestations(dir: &Path) -> (Value, Vec<FoundAttestation>) {
    let l = OciLayout::open(dir).unwrap();
    let top = l.index().unwrap();
    let entry = top
        .manifests()
        .iter()
        .find(|d| d.media_type().to_string().contains("index"))
        .unwrap()
        .clone();
    let d = Digest::from_oci(entry.digest()).unwrap();
    let bytes = fs::read(l.blob_path(&d)).unwrap();
    let mut fetch = |d: &Digest| fs::read(l.blob_path(d)).map_err(|e| e.to_string());
    let found = read_attestations(&bytes, &mut fetch).unwrap();
    (serde_json::from_slice(&bytes).unwrap(), found)
}

/// `hoist verify-attestation --type slsaprovenance1` with cosign.pub: the statements.
fn verified_provenance(w: &Path, image: &str) -> Value {
    serde_json::from_str(&ok_in(
        w,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "slsaprovenance1",
            image,
        ],
    ))
    .unwrap()
}

fn predicate<'a>(found: &'a [FoundAttestation], ty: &str) -> &'a Value {
    &found
        .iter()
        .find(|f| f.statement.predicate_type == ty)
        .unwrap_or_else(|| panic!("no {ty} statement"))
        .statement
        .predicate
}

#[test]
fn ci_step_scans_pushes_attests_and_signs() {
    if can_build().is_none() || skopeo().is_none() {
        return;
    }
    let Some(reg) = TestRegistry::start("build_supply_ci", AuthMode::Open) else {
        return;
    };
    let k = keys();
    let w = k.path();
    let home = tempfile::tempdir().unwrap();
    let ctx = context(&[]);
    let tag = format!("{}/team/app:1", reg.host);
    let dfile = w.join("digest");
    let (stdout, stderr) = build_ok(
        w,
        home.path(),
        &[
            "-t",
            &tag,
            "--push",
            "--sbom",
            "--provenance=mode=max",
            "--scan",
            "--sign",
            "--key",
            "cosign.key",
            "--build-arg",
            "VERSION=1.2",
            "--secret",
            "id=tok,env=TOK",
            "--digest-file",
            &s(&dfile),
        ],
        ctx.path(),
    );
    assert!(!stderr.contains(SECRET_VALUE));
    let digest = fs::read_to_string(&dfile).unwrap();
    assert_eq!(stdout.trim(), format!("{}/team/app@{digest}", reg.host));

    // skopeo sees the BuildKit-shaped index under the tag.
    let index = skopeo_raw(&format!("docker://{tag}"));
    let images = check_index_shape(&index);
    assert_eq!(images.len(), 1);
    let att_entry = index["manifests"][1]["digest"].as_str().unwrap();
    let att = skopeo_raw(&format!("docker://{}/team/app@{att_entry}", reg.host));
    check_statement_layers(&att);

    // Read back with hoist from a full skopeo copy of the index.
    let copy = w.join("copy");
    let out = Command::new("skopeo")
        .args(["copy", "--all", "--src-tls-verify=false"])
        .arg(format!("docker://{tag}"))
        .arg(format!("oci:{}:x", copy.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, found) = layout_attestations(&copy);
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.image.to_string() == images[0]));
    let subject = &found[0].statement.subject[0];
    assert_eq!(
        subject.name,
        format!(
            "pkg:docker/{}/team/app@1?platform={}",
            reg.host.replace(':', "%3A"),
            hoist::oci::image::Platform::host()
                .to_string()
                .replace('/', "%2F")
        )
    );
    let prov = predicate(&found, "https://slsa.dev/provenance/v1");
    let text = prov.to_string();
    assert!(!text.contains(SECRET_VALUE), "{text}");
    let req = &prov["buildDefinition"]["externalParameters"]["request"];
    assert_eq!(req["args"]["VERSION"], "1.2");
    assert_eq!(req["secrets"][0]["id"], "tok");
    let deps = prov["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    assert_eq!(deps.len(), 2, "{deps:?}");
    assert_eq!(deps[1]["uri"], "context");
    let sbom = predicate(&found, "https://spdx.dev/Document");
    assert_eq!(sbom["spdxVersion"], "SPDX-2.3");

    // Signatures: the tag (index) and the platform manifest; attestations on both.
    ok_in(w, &["verify", "--key", "cosign.pub", &tag]);
    let platform_ref = format!("{}/team/app@{}", reg.host, images[0]);
    ok_in(w, &["verify", "--key", "cosign.pub", &platform_ref]);
    let v = verified_provenance(w, &tag);
    assert_eq!(v[0]["predicate"], *prov);
    ok_in(
        w,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "spdxjson",
            &platform_ref,
        ],
    );
    let out = crate::sign::hoist_in(w, &["verify", "--key", "other.pub", &tag]);
    assert_eq!(out.status.code(), Some(1));

    // A secret in the image: exit 1 before anything is tagged or pushed, redacted report.
    let leak = context(&[(
        "id_rsa",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n",
    )]);
    let leak_tag = format!("{}/team/leak:1", reg.host);
    let leak_file = w.join("leak-digest");
    let out = build(
        w,
        home.path(),
        &[
            "-t",
            &leak_tag,
            "--push",
            "--sbom",
            "--scan",
            "--sign",
            "--key",
            "cosign.key",
            "--digest-file",
            &s(&leak_file),
        ],
        leak.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("root/id_rsa"), "{err}");
    assert!(err.contains("nothing was tagged"), "{err}");
    assert!(
        !err.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
        "{err}"
    );
    assert!(!leak_file.exists());
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{leak_tag}"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "the leaking image was pushed");
    let out = crate::sign::hoist_in(w, &["inspect", &format!("hoist:{leak_tag}")]);
    assert!(!out.status.success(), "the leaking image was tagged");
}

#[test]
fn oci_output_carries_reproducible_attestations_and_signatures() {
    if can_build().is_none() {
        return;
    }
    let k = keys();
    let w = k.path();
    let home = tempfile::tempdir().unwrap();
    let ctx = context(&[]);
    let out_a = w.join("a");
    let out_b = w.join("b");
    let args = |dir: &Path| {
        vec![
            "-t".to_string(),
            "app:1".to_string(),
            "--sbom".to_string(),
            "--provenance".to_string(),
            "--sign".to_string(),
            "--key".to_string(),
            "cosign.key".to_string(),
            "--build-arg".to_string(),
            "VERSION=9".to_string(),
            "-o".to_string(),
            format!("type=oci,dest={}", dir.display()),
        ]
    };
    let a: Vec<String> = args(&out_a);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (first, _) = build_ok(w, home.path(), &a, ctx.path());
    let b: Vec<String> = args(&out_b);
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    let (second, _) = build_ok(w, home.path(), &b, ctx.path());
    // Same inputs, same SOURCE_DATE_EPOCH (0): the same index, statements included.
    assert_eq!(first, second);
    let (index, found) = layout_attestations(&out_a);
    assert_eq!(format!("{}\n", index_digest(&out_a)), first);
    let images = check_index_shape(&index);
    let prov = predicate(&found, "https://slsa.dev/provenance/v1");
    // mode=min (buildx's default): build-arg names without values, no secret ids.
    let req = &prov["buildDefinition"]["externalParameters"]["request"];
    assert_eq!(req["args"]["VERSION"], Value::Null);
    assert!(req.get("secrets").is_none());
    assert_eq!(
        prov["runDetails"]["metadata"]["startedOn"],
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(
        prov["buildDefinition"]["externalParameters"]["configSource"]["path"],
        "Dockerfile"
    );

    // hoist verifies the layout; sigstore-rs checks the platform manifest's signature.
    let layout_ref = format!("oci:{}", out_a.display());
    ok_in(w, &["verify", "--key", "cosign.pub", &layout_ref]);
    ok_in(
        w,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "spdxjson",
            &layout_ref,
        ],
    );
    let l = OciLayout::open(&out_a).unwrap();
    let platform: Digest = images[0].parse().unwrap();
    let sig_tag = format!("sha256-{}.sig", platform.hex());
    let m: Value = serde_json::from_slice(
        &l.read_manifest(&l.resolve(Some(&sig_tag)).unwrap())
            .unwrap()
            .bytes,
    )
    .unwrap();
    let layer = &m["layers"][0];
    let payload =
        fs::read(l.blob_path(&layer["digest"].as_str().unwrap().parse().unwrap())).unwrap();
    let sig = layer["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    let vk = CosignVerificationKey::from_pem(
        &fs::read(w.join("cosign.pub")).unwrap(),
        &SigningScheme::ECDSA_P256_SHA256_ASN1,
    )
    .unwrap();
    vk.verify_signature(Signature::Base64Encoded(sig.as_bytes()), &payload)
        .unwrap();
    let p: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(p["critical"]["image"]["docker-manifest-digest"], images[0]);
    assert!(B64.decode(sig).is_ok());

    // Usage errors: --sign without a place that keeps signatures, --key without --sign, a
    // bad --provenance value.
    for bad in [
        vec!["--sign", "--key", "cosign.key"],
        vec!["--key", "cosign.key"],
        vec!["--provenance=mode=huge"],
        vec!["--sbom=maybe"],
    ] {
        let out = build(w, home.path(), &bad, ctx.path());
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

fn index_digest(dir: &Path) -> String {
    let l = OciLayout::open(dir).unwrap();
    let top = l.index().unwrap();
    top.manifests()
        .iter()
        .find(|d| d.media_type().to_string().contains("index"))
        .map(|d| d.digest().to_string())
        .unwrap()
}

#[test]
fn attest_registry_referrers() {
    if skopeo().is_none() {
        return;
    }
    let Some(reg) = TestRegistry::start("attest_referrers", AuthMode::Open) else {
        return;
    };
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    crate::oci_fixtures::build_layout(&dir, "v1", hoist::oci::layer::Compression::None);
    let tag = format!("{}/team/ref:v1", reg.host);
    ok_in(
        w,
        &[
            "copy",
            &format!("oci:{}:v1", s(&dir)),
            &format!("docker://{tag}"),
        ],
    );
    let pred = w.join("p.json");
    fs::write(&pred, br#"{"buildType":"x"}"#).unwrap();
    ok_in(
        w,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--registry-referrers",
            "--predicate",
            &s(&pred),
            "--type",
            "slsaprovenance1",
            &tag,
        ],
    );
    // No `.att` tag: the statement is a referrer (docker-registry lacks the API, so the
    // fallback tag `sha256-<hex>` lists it).
    let digest = ok_in(w, &["digest", &format!("docker://{tag}")]);
    let digest: Digest = digest.trim().parse().unwrap();
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!(
            "docker://{}/team/ref:sha256-{}.att",
            reg.host,
            digest.hex()
        ))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let fallback = skopeo_raw(&format!(
        "docker://{}/team/ref:sha256-{}",
        reg.host,
        digest.hex()
    ));
    let entry = &fallback["manifests"][0];
    assert_eq!(entry["artifactType"], "application/vnd.in-toto+json");
    let v = verified_provenance(w, &tag);
    assert_eq!(v[0]["predicate"]["buildType"], "x");
    let out = crate::sign::hoist_in(w, &["verify-attestation", "--key", "other.pub", &tag]);
    assert_eq!(out.status.code(), Some(1));
}
