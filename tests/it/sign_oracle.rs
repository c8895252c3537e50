//! Interoperability of hoist's keys, signatures and attestations with an independent
//! implementation: the `sigstore` crate (sigstore-rs, OpenSSL backend) as a test-only oracle.
//! Its cosign key reader decrypts hoist's `cosign.key`, hoist reads its key files, its verifier
//! accepts the signatures `hoist sign` / `hoist attest` store, and `hoist verify` accepts a
//! signature the sigstore crate made. Documents the oracle checks are built by hand here from
//! the cosign format, not with hoist's code.

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::crypto::{CosignVerificationKey, Signature, SigningScheme};

use crate::oci_fixtures::*;
use crate::sign::{fails_in, keys, ok_in, s, PASSWORD};
use hoist::oci::digest::digest_bytes;
use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;
use hoist::oci::media;
use hoist::supply::sign::{SigningKey, VerifyingKey};

const SCHEME: SigningScheme = SigningScheme::ECDSA_P256_SHA256_ASN1;

fn tagged(layout: &Path, tag: &str) -> Value {
    let l = OciLayout::open(layout).unwrap();
    let m = l.read_manifest(&l.resolve(Some(tag)).unwrap()).unwrap();
    serde_json::from_slice(&m.bytes).unwrap()
}

fn blob(layout: &Path, digest: &Value) -> Vec<u8> {
    let d = digest.as_str().unwrap().parse().unwrap();
    fs::read(OciLayout::open(layout).unwrap().blob_path(&d)).unwrap()
}

#[test]
fn key_files_round_trip_with_sigstore() {
    let k = keys();
    let w = k.path();
    // hoist's key file, decrypted by sigstore-rs; same public key as cosign.pub.
    let pem = fs::read(w.join("cosign.key")).unwrap();
    let kp = SigStoreKeyPair::from_encrypted_pem(&pem, PASSWORD.as_bytes()).unwrap();
    let hoist_pub =
        VerifyingKey::from_pem(&fs::read(w.join("cosign.pub")).unwrap(), "cosign.pub").unwrap();
    assert_eq!(kp.public_key_to_der().unwrap(), hoist_pub.to_der().unwrap());
    assert!(SigStoreKeyPair::from_encrypted_pem(&pem, b"wrong").is_err());

    // A key made by sigstore-rs, read by hoist.
    let signer = SCHEME.create_signer().unwrap();
    let kp = signer.to_sigstore_keypair().unwrap();
    let enc = kp.private_key_to_encrypted_pem(b"pw").unwrap();
    let key = SigningKey::from_encrypted_pem(enc.as_bytes(), b"pw", "sigstore.key").unwrap();
    assert_eq!(
        key.verifying_key().to_der().unwrap(),
        kp.public_key_to_der().unwrap()
    );
    assert!(SigningKey::from_encrypted_pem(enc.as_bytes(), b"nope", "sigstore.key").is_err());
    let vk = VerifyingKey::from_pem(kp.public_key_to_pem().unwrap().as_bytes(), "p").unwrap();
    assert_eq!(vk, key.verifying_key());
}

/// A cosign key file with the higher scrypt cost (N = 65536) and the old `COSIGN` label, built
/// by hand from the format: hoist reads it, and so does sigstore-rs.
#[test]
fn reads_the_high_cost_and_old_label_key_files() {
    use crypto_secretbox::aead::{Aead, KeyInit};
    let signer = SCHEME.create_signer().unwrap();
    let kp = signer.to_sigstore_keypair().unwrap();
    let der = kp.private_key_to_der().unwrap();
    let salt = [7u8; 32];
    let nonce = [9u8; 24];
    let params = scrypt::Params::new(16, 8, 1, 32).unwrap();
    let mut k = [0u8; 32];
    scrypt::scrypt(b"pw", &salt, &params, &mut k).unwrap();
    let sealed = crypto_secretbox::XSalsa20Poly1305::new(&k.into())
        .encrypt(&nonce.into(), der.as_slice())
        .unwrap();
    let body = json!({
        "kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1}, "salt": B64.encode(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": B64.encode(nonce)},
        "ciphertext": B64.encode(&sealed),
    });
    let b64 = B64.encode(serde_json::to_vec(&body).unwrap());
    let mut pem = String::from("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END ENCRYPTED COSIGN PRIVATE KEY-----\n");
    let key = SigningKey::from_encrypted_pem(pem.as_bytes(), b"pw", "old.key").unwrap();
    assert_eq!(
        key.verifying_key().to_der().unwrap(),
        kp.public_key_to_der().unwrap()
    );
    let back = SigStoreKeyPair::from_encrypted_pem(pem.as_bytes(), b"pw").unwrap();
    assert_eq!(
        back.public_key_to_der().unwrap(),
        kp.public_key_to_der().unwrap()
    );
}

#[test]
fn sigstore_verifies_hoist_signatures_and_attestations() {
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let d = build_layout(&dir, "v1", Compression::None);
    let img = format!("oci:{}:v1", s(&dir));
    ok_in(w, &["sign", "--key", "cosign.key", "-a", "team=x", &img]);
    let vk =
        CosignVerificationKey::from_pem(&fs::read(w.join("cosign.pub")).unwrap(), &SCHEME).unwrap();
    let m = tagged(&dir, &format!("sha256-{}.sig", d.hex()));
    let layer = &m["layers"][0];
    let payload = blob(&dir, &layer["digest"]);
    let sig = layer["annotations"]["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    vk.verify_signature(Signature::Base64Encoded(sig.as_bytes()), &payload)
        .unwrap();
    let mut bad = payload.clone();
    bad[5] ^= 1;
    assert!(vk
        .verify_signature(Signature::Base64Encoded(sig.as_bytes()), &bad)
        .is_err());
    // The payload is the cosign simple-signing document for exactly this digest.
    let p: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        p["critical"]["image"]["docker-manifest-digest"],
        d.to_string()
    );
    assert_eq!(p["critical"]["type"], "cosign container image signature");
    assert_eq!(p["optional"]["team"], "x");

    // Attestation: sigstore-rs checks the DSSE signature over the PAE built here.
    let pred = w.join("p.json");
    fs::write(&pred, br#"{"buildType":"x"}"#).unwrap();
    ok_in(
        w,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--predicate",
            &s(&pred),
            "--type",
            "slsaprovenance1",
            &img,
        ],
    );
    let m = tagged(&dir, &format!("sha256-{}.att", d.hex()));
    let env: Value = serde_json::from_slice(&blob(&dir, &m["layers"][0]["digest"])).unwrap();
    let body = B64.decode(env["payload"].as_str().unwrap()).unwrap();
    let ty = env["payloadType"].as_str().unwrap();
    let mut pae = format!("DSSEv1 {} {ty} {} ", ty.len(), body.len()).into_bytes();
    pae.extend_from_slice(&body);
    let sig = env["signatures"][0]["sig"].as_str().unwrap();
    vk.verify_signature(Signature::Base64Encoded(sig.as_bytes()), &pae)
        .unwrap();
    let st: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(st["subject"][0]["digest"]["sha256"], d.hex());
}

#[test]
fn hoist_verifies_sigstore_signatures_and_signs_with_its_keys() {
    let dir_w = tempfile::tempdir().unwrap();
    let w = dir_w.path();
    let signer = SCHEME.create_signer().unwrap();
    let kp = signer.to_sigstore_keypair().unwrap();
    fs::write(w.join("ss.pub"), kp.public_key_to_pem().unwrap()).unwrap();
    fs::write(
        w.join("ss.key"),
        kp.private_key_to_encrypted_pem(crate::sign::PASSWORD.as_bytes())
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let dir = w.join("img");
    let d = build_layout(&dir, "v1", Compression::None);
    let img = format!("oci:{}:v1", s(&dir));
    fails_in(
        w,
        &["verify", "--key", "ss.pub", &img],
        1,
        "no valid signature",
    );

    // A cosign signature made by sigstore-rs, stored by hand as cosign lays it out.
    let payload = serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": "example.com/app"},
            "image": {"docker-manifest-digest": d.to_string()},
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .unwrap();
    let sig = B64.encode(signer.sign(&payload).unwrap());
    let config =
        br#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "size": config.len(), "digest": digest_bytes(config).to_string()},
        "layers": [{
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "size": payload.len(),
            "digest": digest_bytes(&payload).to_string(),
            "annotations": {"dev.cosignproject.cosign/signature": sig},
        }],
    });
    let l = OciLayout::open(&dir).unwrap();
    l.write_blob_bytes(config).unwrap();
    l.write_blob_bytes(&payload).unwrap();
    let mb = serde_json::to_vec(&manifest).unwrap();
    let md = l.write_blob_bytes(&mb).unwrap();
    l.set_ref(
        &media::descriptor(media::OCI_MANIFEST, &md, mb.len() as u64).unwrap(),
        Some(&format!("sha256-{}.sig", d.hex())),
    )
    .unwrap();
    let out = ok_in(w, &["verify", "--key", "ss.pub", &img]);
    let got: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        got[0]["critical"]["identity"]["docker-reference"],
        "example.com/app"
    );

    // hoist signs with sigstore-rs's key file; hoist appends to the existing manifest.
    ok_in(w, &["sign", "--key", "ss.key", "-a", "by=hoist", &img]);
    let m = tagged(&dir, &format!("sha256-{}.sig", d.hex()));
    assert_eq!(m["layers"].as_array().unwrap().len(), 2);
    assert_eq!(m["layers"][0], manifest["layers"][0]);
    let out = ok_in(w, &["verify", "--key", "ss.pub", "-a", "by=hoist", &img]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 1);
}
