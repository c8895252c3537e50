//! hoist's registry signatures read back by an independent cosign client: the `sigstore`
//! crate's cosign `Client` (its own OCI registry client, test-only) finds the `.sig` tag of an
//! image hoist signed on a real `docker-registry`, and its public-key constraint accepts the
//! signature for exactly that manifest digest. After a byte of the signature changes, or with
//! another key, or for another image, no signature satisfies the constraints.

use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
use sigstore::cosign::{verify_constraints, ClientBuilder, CosignCapabilities};
use sigstore::crypto::SigningScheme;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};

use crate::oci_fixtures::*;
use crate::sign::{keys, ok_in, s};
use crate::support::{AuthMode, TestRegistry};
use hoist::oci::digest::digest_bytes;
use hoist::oci::layer::Compression;
use hoist::oci::layout::OciLayout;
use hoist::oci::media;

/// The signature layers the sigstore client finds for `image`, checked against `pub_pem`:
/// Ok when at least one satisfies the key constraint.
fn sigstore_verifies(image: &str, pub_pem: &[u8]) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut client = ClientBuilder::default()
            .with_oci_client_config(ClientConfig {
                protocol: ClientProtocol::Http,
                ..ClientConfig::default()
            })
            .build()
            .map_err(|e| e.to_string())?;
        let reference: OciReference = image.parse().map_err(|e| format!("{e:?}"))?;
        let layers = client
            .trusted_signature_layers(&Auth::Anonymous, &reference)
            .await
            .map_err(|e| e.to_string())?;
        if layers.is_empty() {
            return Err("no signature layers found".to_string());
        }
        let verifier = PublicKeyVerifier::new(pub_pem, &SigningScheme::ECDSA_P256_SHA256_ASN1)
            .map_err(|e| e.to_string())?;
        let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
        verify_constraints(&layers, constraints.iter()).map_err(|e| format!("{e:?}"))
    })
}

#[test]
fn sigstore_cosign_client_verifies_hoist_registry_signatures() {
    let Some(reg) = TestRegistry::start("sign_cosign_client", AuthMode::Open) else {
        return;
    };
    let k = keys();
    let w = k.path();
    let dir = w.join("img");
    let a = build_layout(&dir, "a", Compression::Gzip { level: 1 });
    // A second image in the same layout (another platform's layers), never signed.
    let l = OciLayout::open(&dir).unwrap();
    let bytes = write_image(&l, "arm64", &standard_layers(Compression::None, "arm64"));
    let b = digest_bytes(&bytes);
    let desc = media::descriptor(media::OCI_MANIFEST, &b, bytes.len() as u64).unwrap();
    l.set_ref(&desc, Some("b")).unwrap();
    assert_ne!(a, b);
    let repo = format!("{}/app", reg.host);
    ok_in(
        w,
        &[
            "copy",
            "-q",
            &format!("oci:{}:a", s(&dir)),
            &format!("{repo}:v1"),
        ],
    );
    ok_in(
        w,
        &[
            "copy",
            "-q",
            &format!("oci:{}:b", s(&dir)),
            &format!("{repo}:other"),
        ],
    );
    let pub_pem = std::fs::read(w.join("cosign.pub")).unwrap();
    let other_pem = std::fs::read(w.join("other.pub")).unwrap();
    let by_digest = format!("{repo}@{a}");

    // Unsigned: the sigstore client finds nothing.
    assert!(sigstore_verifies(&by_digest, &pub_pem).is_err());

    ok_in(w, &["sign", "--key", "cosign.key", &format!("{repo}:v1")]);
    sigstore_verifies(&by_digest, &pub_pem).expect("sigstore accepts hoist's signature");
    sigstore_verifies(&format!("{repo}:v1"), &pub_pem).expect("by tag too");
    let err = sigstore_verifies(&by_digest, &other_pem).unwrap_err();
    assert!(!err.is_empty());
    // Another image (never signed) has no signature, whatever the key.
    assert!(sigstore_verifies(&format!("{repo}@{b}"), &pub_pem).is_err());
}
