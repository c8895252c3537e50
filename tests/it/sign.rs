//! `hoist key generate`, `sign`, `verify`, `attest`, `verify-attestation` end to end through
//! the binary, on OCI layouts and on Debian's real `docker-registry`: round trips, tag moves,
//! tampering, other keys, hostile stored data, exit codes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use crate::oci_fixtures::*;
use crate::support;
use hoist::oci::digest::{digest_bytes, Digest};
use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;
use hoist::oci::media;

pub const PASSWORD: &str = "correct horse";

/// Runs hoist in `cwd` with a private HOME and `COSIGN_PASSWORD`.
pub fn hoist_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("COSIGN_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

#[track_caller]
pub fn ok_in(cwd: &Path, args: &[&str]) -> String {
    let out = hoist_in(cwd, args);
    assert!(
        out.status.success(),
        "hoist {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts exit code `code` and that stderr mentions `needle`; returns stderr.
#[track_caller]
pub fn fails_in(cwd: &Path, args: &[&str], code: i32, needle: &str) -> String {
    let out = hoist_in(cwd, args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(code),
        "hoist {args:?}: expected exit {code}\nstdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        err.contains(needle),
        "hoist {args:?}: stderr lacks {needle:?}:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A work dir with a key pair `cosign.key`/`cosign.pub` and a second pair `other.*`.
pub fn keys() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok_in(dir.path(), &["key", "generate"]);
    ok_in(
        dir.path(),
        &["key", "generate", "--output-key-prefix", "other"],
    );
    dir
}

/// The layers of the manifest tagged `tag` in a layout.
fn tagged_manifest(layout: &Path, tag: &str) -> Value {
    let l = OciLayout::open(layout).unwrap();
    let desc = l.resolve(Some(tag)).unwrap();
    let m = l.read_manifest(&desc).unwrap();
    serde_json::from_slice(&m.bytes).unwrap()
}

/// Replaces the manifest under `tag` with `manifest` (writing `blobs` first).
fn put_tagged(layout: &Path, tag: &str, manifest: &Value, blobs: &[&[u8]]) {
    let l = OciLayout::open(layout).unwrap();
    for b in blobs {
        l.write_blob_bytes(b).unwrap();
    }
    let bytes = serde_json::to_vec(manifest).unwrap();
    let d = l.write_blob_bytes(&bytes).unwrap();
    let desc = media::descriptor(media::OCI_MANIFEST, &d, bytes.len() as u64).unwrap();
    l.set_ref(&desc, Some(tag)).unwrap();
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    let d: Digest = digest.parse().unwrap();
    fs::read(OciLayout::open(layout).unwrap().blob_path(&d)).unwrap()
}

fn sig_tag(d: &Digest) -> String {
    format!("sha256-{}.sig", d.hex())
}

#[test]
fn key_generate_writes_cosign_files_and_refuses_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok_in(p, &["key", "generate"]);
    use std::os::unix::fs::PermissionsExt;
    let key = fs::read_to_string(p.join("cosign.key")).unwrap();
    let public = fs::read_to_string(p.join("cosign.pub")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let mode = |f: &str| fs::metadata(p.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("cosign.key"), 0o600);
    assert_eq!(mode("cosign.pub"), 0o644);
    fails_in(p, &["key", "generate"], 1, "already exists");
    assert_eq!(fs::read_to_string(p.join("cosign.key")).unwrap(), key);
    ok_in(p, &["key", "generate", "--force"]);
    assert_ne!(fs::read_to_string(p.join("cosign.key")).unwrap(), key);
    ok_in(p, &["key", "generate", "--output-key-prefix", "release"]);
    assert!(p.join("release.key").is_file() && p.join("release.pub").is_file());
    // Without a password source and no terminal: usage error, nothing written.
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["key", "generate", "--output-key-prefix", "nopw"])
        .current_dir(p)
        .env_remove("COSIGN_PASSWORD")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("COSIGN_PASSWORD"));
    assert!(!p.join("nopw.key").exists());
}

#[test]
fn layout_sign_verify_tamper_and_other_keys() {
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let d = build_layout(&dir, "v1", Compression::Gzip { level: 6 });
    let img = format!("oci:{}:v1", s(&dir));
    // Unsigned: exit 1 naming the missing tag.
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &img],
        1,
        "no valid signature",
    );
    let out = ok_in(w, &["sign", "--key", "cosign.key", "-a", "env=prod", &img]);
    assert_eq!(out.trim(), d.to_string());
    let out = ok_in(w, &["verify", "--key", "cosign.pub", &img]);
    let payloads: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(payloads.len(), 1);
    assert_eq!(
        payloads[0]["critical"]["image"]["docker-manifest-digest"],
        d.to_string()
    );
    assert_eq!(
        payloads[0]["critical"]["type"],
        "cosign container image signature"
    );
    assert_eq!(payloads[0]["optional"]["env"], "prod");
    // Required annotations.
    ok_in(
        w,
        &["verify", "--key", "cosign.pub", "-a", "env=prod", &img],
    );
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", "-a", "env=dev", &img],
        1,
        "env=dev",
    );
    // Another key.
    fails_in(
        w,
        &["verify", "--key", "other.pub", &img],
        1,
        "does not verify",
    );
    // The untagged form finds the image despite the .sig entry in the index.
    ok_in(
        w,
        &["verify", "--key", "cosign.pub", &format!("oci:{}", s(&dir))],
    );

    // Signing again with the same payload is idempotent per layer; another key appends.
    let tag = sig_tag(&d);
    ok_in(
        w,
        &[
            "sign",
            "--key",
            "other.key",
            "-a",
            "env=prod",
            "-a",
            "by=other",
            &img,
        ],
    );
    let m = tagged_manifest(&dir, &tag);
    assert_eq!(m["layers"].as_array().unwrap().len(), 2);
    // Same key, same payload: RFC 6979 signatures are deterministic, nothing is appended.
    let err = String::from_utf8(
        hoist_in(w, &["sign", "--key", "cosign.key", "-a", "env=prod", &img]).stderr,
    )
    .unwrap();
    assert!(err.contains("already carries"), "{err}");
    assert_eq!(tagged_manifest(&dir, &tag), m);
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    ok_in(w, &["verify", "--key", "other.pub", &img]);
    ok_in(w, &["verify", "--key", "cosign.pub", &img]);
    let before = tagged_manifest(&dir, &tag);
    let first = before["layers"][0].clone();
    let payload = blob(&dir, first["digest"].as_str().unwrap());
    let sig = first["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap()
        .to_string();

    // One byte of the payload changed (stored consistently under its new digest).
    let mut tampered = payload.clone();
    let pos = tampered.len() - 3;
    tampered[pos] ^= 0x01;
    let mut m = before.clone();
    m["layers"] = json!([{
        "mediaType": first["mediaType"],
        "digest": digest_bytes(&tampered).to_string(),
        "size": tampered.len(),
        "annotations": {"dev.cosignproject.cosign/signature": sig},
    }]);
    put_tagged(&dir, &tag, &m, &[&tampered]);
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &img],
        1,
        "does not verify",
    );

    // One byte of the signature changed.
    let mut raw = B64.decode(&sig).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 0x01;
    let mut m = before.clone();
    m["layers"] = json!([{
        "mediaType": first["mediaType"],
        "digest": first["digest"],
        "size": first["size"],
        "annotations": {"dev.cosignproject.cosign/signature": B64.encode(&raw)},
    }]);
    put_tagged(&dir, &tag, &m, &[]);
    fails_in(w, &["verify", "--key", "cosign.pub", &img], 1, "signature");

    // A stored blob altered in place fails its digest check.
    put_tagged(&dir, &tag, &before, &[]);
    ok_in(w, &["verify", "--key", "cosign.pub", &img]);
    let path = OciLayout::open(&dir)
        .unwrap()
        .blob_path(&first["digest"].as_str().unwrap().parse().unwrap());
    let mut bytes = fs::read(&path).unwrap();
    bytes[10] ^= 1;
    fs::write(&path, &bytes).unwrap();
    // The other key's layer still verifies; cosign.pub's does not.
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &img],
        1,
        "no valid signature",
    );
    ok_in(w, &["verify", "--key", "other.pub", &img]);
}

#[test]
fn layout_referrer_signatures() {
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let d = build_layout(&dir, "v1", Compression::None);
    let img = format!("oci:{}:v1", s(&dir));
    ok_in(
        w,
        &["sign", "--key", "cosign.key", "--registry-referrers", &img],
    );
    // No tag-scheme manifest: the signature is an untagged artifact whose subject is the image.
    let l = OciLayout::open(&dir).unwrap();
    assert!(l.resolve(Some(&sig_tag(&d))).is_err());
    let index = l.index().unwrap();
    let referrer = index
        .manifests()
        .iter()
        .find(|e| hoist::oci::layout::ref_name(e).is_none())
        .expect("an untagged referrer entry");
    let m: Value = serde_json::from_slice(&l.read_manifest(referrer).unwrap().bytes).unwrap();
    assert_eq!(m["subject"]["digest"], d.to_string());
    assert_eq!(
        m["artifactType"],
        "application/vnd.dev.cosign.artifact.sig.v1+json"
    );
    ok_in(w, &["verify", "--key", "cosign.pub", &img]);
    // The untagged form still names the image, not the referrer.
    ok_in(
        w,
        &["verify", "--key", "cosign.pub", &format!("oci:{}", s(&dir))],
    );
    fails_in(w, &["verify", "--key", "other.pub", &img], 1, "referrer");
}

#[test]
fn payload_for_another_image_is_rejected() {
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let a = build_layout(&dir, "a", Compression::None);
    // A second image in the same layout: another config (different arch).
    let l = OciLayout::open(&dir).unwrap();
    let bytes = write_image(&l, "arm64", &standard_layers(Compression::None, "arm64"));
    let b = digest_bytes(&bytes);
    let desc = media::descriptor(media::OCI_MANIFEST, &b, bytes.len() as u64).unwrap();
    l.set_ref(&desc, Some("b")).unwrap();
    ok_in(
        w,
        &["sign", "--key", "cosign.key", &format!("oci:{}:a", s(&dir))],
    );
    // Copy a's signature manifest under b's tag: the payload names a's digest.
    let m = tagged_manifest(&dir, &sig_tag(&a));
    put_tagged(&dir, &sig_tag(&b), &m, &[]);
    let err = fails_in(
        w,
        &[
            "verify",
            "--key",
            "cosign.pub",
            &format!("oci:{}:b", s(&dir)),
        ],
        1,
        "belongs to another image",
    );
    assert!(
        err.contains(&a.to_string()) && err.contains(&b.to_string()),
        "{err}"
    );
}

#[test]
fn hostile_signature_data_and_usage_errors() {
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let d = build_layout(&dir, "v1", Compression::None);
    let img = format!("oci:{}:v1", s(&dir));
    let tag = sig_tag(&d);
    let key = hoist::supply::sign::SigningKey::from_encrypted_pem(
        &fs::read(w.join("cosign.key")).unwrap(),
        PASSWORD.as_bytes(),
        "cosign.key",
    )
    .unwrap();
    let layer = |payload: &[u8], sig: &str, size: usize| {
        json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": media::OCI_CONFIG, "digest": digest_bytes(b"{}").to_string(), "size": 2},
            "layers": [{
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": digest_bytes(payload).to_string(),
                "size": size,
                "annotations": {"dev.cosignproject.cosign/signature": sig},
            }],
        })
    };
    // Validly signed, but not JSON.
    let junk = b"this is not json";
    let sig = B64.encode(key.sign(junk));
    put_tagged(&dir, &tag, &layer(junk, &sig, junk.len()), &[junk, b"{}"]);
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &img],
        1,
        "not a cosign simple-signing",
    );
    // Declared huge: refused before reading.
    put_tagged(&dir, &tag, &layer(junk, &sig, 1 << 40), &[]);
    fails_in(w, &["verify", "--key", "cosign.pub", &img], 1, "more than");
    // Truncated manifest JSON.
    let l = OciLayout::open(&dir).unwrap();
    let trunc = br#"{"schemaVersion":2,"layers":[{"mediaType":"#;
    let td = l.write_blob_bytes(trunc).unwrap();
    let desc = media::descriptor(media::OCI_MANIFEST, &td, trunc.len() as u64).unwrap();
    l.set_ref(&desc, Some(&tag)).unwrap();
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &img],
        1,
        "not a manifest",
    );
    // Signature annotation that is not base64, and one missing.
    put_tagged(&dir, &tag, &layer(junk, "@@@", junk.len()), &[]);
    fails_in(w, &["verify", "--key", "cosign.pub", &img], 1, "not base64");
    // Malformed key files and a wrong password: exit 1 with the file named.
    fs::write(
        w.join("bad.pub"),
        "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    fails_in(w, &["verify", "--key", "bad.pub", &img], 1, "bad.pub");
    fails_in(w, &["verify", "--key", "cosign.key", &img], 1, "PUBLIC KEY");
    fs::write(w.join("bad.key"), "garbage").unwrap();
    fails_in(w, &["sign", "--key", "bad.key", &img], 1, "bad.key");
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["sign", "--key", "cosign.key", &img])
        .current_dir(w)
        .env("HOME", w)
        .env("COSIGN_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));
    // Usage errors: exit 2.
    fails_in(
        w,
        &["verify", "--key", "missing.pub", &img],
        2,
        "missing.pub",
    );
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", "-a", "novalue", &img],
        2,
        "KEY=VALUE",
    );
    fails_in(w, &["verify", &img], 2, "--key");
    fails_in(
        w,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--predicate",
            "x",
            "--type",
            "bogus",
            &img,
        ],
        2,
        "unknown predicate type",
    );
    fails_in(
        w,
        &["sign", "--key", "cosign.key", "oci-archive:/tmp/x.tar"],
        1,
        "signatures are stored",
    );
}

fn predicate_file(w: &Path) -> PathBuf {
    let p = w.join("bom.json");
    fs::write(
        &p,
        serde_json::to_vec(
            &json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}),
        )
        .unwrap(),
    )
    .unwrap();
    p
}

#[test]
fn layout_attestations_round_trip() {
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let d = build_layout(&dir, "v1", Compression::None);
    let img = format!("oci:{}:v1", s(&dir));
    let pred = predicate_file(w);
    fails_in(
        w,
        &["verify-attestation", "--key", "cosign.pub", &img],
        1,
        "no valid attestation",
    );
    ok_in(
        w,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--predicate",
            &s(&pred),
            "--type",
            "cyclonedx",
            &img,
        ],
    );
    let out = ok_in(
        w,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "cyclonedx",
            &img,
        ],
    );
    let st: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0]["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st[0]["predicateType"], "https://cyclonedx.org/bom");
    assert_eq!(st[0]["subject"][0]["digest"]["sha256"], d.hex());
    assert_eq!(st[0]["predicate"]["bomFormat"], "CycloneDX");
    // The stored layer is cosign's: DSSE media type, predicateType annotation.
    let m = tagged_manifest(&dir, &format!("sha256-{}.att", d.hex()));
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        m["layers"][0]["annotations"]["predicateType"],
        "https://cyclonedx.org/bom"
    );
    let env: Value =
        serde_json::from_slice(&blob(&dir, m["layers"][0]["digest"].as_str().unwrap())).unwrap();
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
    // Other type asked, other key: exit 1.
    fails_in(
        w,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "spdxjson",
            &img,
        ],
        1,
        "predicateType",
    );
    fails_in(
        w,
        &["verify-attestation", "--key", "other.pub", &img],
        1,
        "no DSSE signature verifies",
    );
    // DSSE with a wrong payloadType (re-signed over the new PAE so only the type is wrong).
    let mut env2 = env.clone();
    env2["payloadType"] = json!("text/plain");
    let bytes = serde_json::to_vec(&env2).unwrap();
    let mut m2 = m.clone();
    m2["layers"][0]["digest"] = json!(digest_bytes(&bytes).to_string());
    m2["layers"][0]["size"] = json!(bytes.len());
    put_tagged(&dir, &format!("sha256-{}.att", d.hex()), &m2, &[&bytes]);
    fails_in(
        w,
        &["verify-attestation", "--key", "cosign.pub", &img],
        1,
        "payloadType",
    );
    // Not a predicate: exit 1.
    fs::write(w.join("notjson"), "nope").unwrap();
    fails_in(
        w,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--predicate",
            "notjson",
            &img,
        ],
        1,
        "not JSON",
    );
}

/// Pushes the layout image `oci:dir:tag` to `remote`.
fn push(w: &Path, dir: &Path, tag: &str, remote: &str) {
    ok_in(w, &["copy", "-q", &format!("oci:{}:{tag}", s(dir)), remote]);
}

#[test]
fn registry_sign_verify_tag_moves_referrers_and_attest() {
    let Some(reg) = support::TestRegistry::start("registry_sign_verify", support::AuthMode::Open)
    else {
        return;
    };
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let a = build_layout(&dir, "a", Compression::Gzip { level: 1 });
    let l = OciLayout::open(&dir).unwrap();
    let bytes = write_image(&l, "arm64", &standard_layers(Compression::None, "arm64"));
    let b = digest_bytes(&bytes);
    let desc = media::descriptor(media::OCI_MANIFEST, &b, bytes.len() as u64).unwrap();
    l.set_ref(&desc, Some("b")).unwrap();

    let tagged = format!("{}/app:v1", reg.host);
    push(w, &dir, "a", &tagged);
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &tagged],
        1,
        "no valid signature",
    );
    assert_eq!(
        ok_in(w, &["sign", "--key", "cosign.key", &tagged]).trim(),
        a.to_string()
    );
    let out = ok_in(w, &["verify", "--key", "cosign.pub", &tagged]);
    let p: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        p[0]["critical"]["identity"]["docker-reference"],
        format!("{}/app", reg.host)
    );
    assert_eq!(
        p[0]["critical"]["image"]["docker-manifest-digest"],
        a.to_string()
    );
    fails_in(
        w,
        &["verify", "--key", "other.pub", &tagged],
        1,
        "does not verify",
    );
    // Signing twice with the same key keeps one layer; skopeo sees the .sig tag.
    ok_in(w, &["sign", "--key", "cosign.key", &tagged]);
    ok_in(w, &["sign", "--key", "other.key", &tagged]);
    if let Some(skopeo) = tool("skopeo") {
        let raw = run_ok(Command::new(skopeo).args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/app:{}", reg.host, sig_tag(&a)),
        ]));
        let m: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(m["layers"].as_array().unwrap().len(), 2, "{raw}");
    }
    // The tag moves to another image: its signatures do not follow.
    push(w, &dir, "b", &tagged);
    fails_in(
        w,
        &["verify", "--key", "cosign.pub", &tagged],
        1,
        &b.to_string(),
    );
    ok_in(
        w,
        &[
            "verify",
            "--key",
            "cosign.pub",
            &format!("{}/app@{a}", reg.host),
        ],
    );
    // OCI 1.1 referrer on a registry without the referrers API (fallback tag).
    let pinned_b = format!("{}/app@{b}", reg.host);
    ok_in(
        w,
        &[
            "sign",
            "--key",
            "cosign.key",
            "--registry-referrers",
            &pinned_b,
        ],
    );
    ok_in(w, &["verify", "--key", "cosign.pub", &tagged]);
    fails_in(w, &["verify", "--key", "other.pub", &tagged], 1, "referrer");
    // Attestations round-trip on the registry.
    let pred = predicate_file(w);
    ok_in(
        w,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--predicate",
            &s(&pred),
            "--type",
            "cyclonedx",
            &tagged,
        ],
    );
    let out = ok_in(
        w,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "cyclonedx",
            &tagged,
        ],
    );
    let st: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(st[0]["subject"][0]["digest"]["sha256"], b.hex());
    assert_eq!(st[0]["subject"][0]["name"], format!("{}/app", reg.host));
}
