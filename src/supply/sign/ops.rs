//! Signing, attesting and verifying images: the library API behind `hoist sign`, `hoist
//! attest`, `hoist verify` and `hoist verify-attestation` (and `hoist build --sign`).
//!
//! Every operation first resolves the reference to the digest of the manifest it names, so a
//! moving tag is never signed or trusted: the signature covers that digest, is looked up by
//! that digest, and a payload naming any other digest is rejected. Verification succeeds only
//! when at least one stored signature verifies; the reasons the others failed are reported.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::Value;

use super::dsse::{self, DsseError, Statement};
use super::keys::{KeyError, SigningKey, VerifyingKey};
use super::manifest::{
    append_layer, cosign_tag, parse_layers, referrer_manifest, Kind, ManifestError, NewLayer,
    SigLayer, PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION,
};
use super::payload::{PayloadError, SimpleSigning, MAX_PAYLOAD};
use super::storage::{self, RemoteOptions, ResolvedImage, SigStorage, StorageError};
use crate::oci::digest::Digest;
use crate::oci::reference::ImageRef;

/// Why signing or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Reading or writing the image or its signatures failed.
    #[error(transparent)]
    Storage(Box<StorageError>),
    /// A key problem.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A stored signature manifest is unreadable.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The statement could not be built.
    #[error(transparent)]
    Dsse(#[from] DsseError),
    /// No signature (or attestation) verified.
    #[error("{image} ({digest}): no valid {what}:\n  - {}", reasons.join("\n  - "))]
    NotVerified {
        /// The reference.
        image: String,
        /// Its digest.
        digest: Digest,
        /// "signature" or "attestation".
        what: &'static str,
        /// Why each candidate failed (or that there were none).
        reasons: Vec<String>,
    },
}

impl From<StorageError> for SignError {
    fn from(e: StorageError) -> Self {
        SignError::Storage(Box::new(e))
    }
}

/// Knobs for [`sign_image`].
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// `-a k=v` annotations written into the payload's `optional` section.
    pub annotations: BTreeMap<String, String>,
    /// Store as an OCI 1.1 referrer instead of the `sha256-<hex>.sig` tag.
    pub registry_referrers: bool,
}

/// Knobs for [`attest_image`].
#[derive(Debug, Clone)]
pub struct AttestOptions {
    /// Predicate type URI (see [`dsse::predicate_type_uri`]).
    pub predicate_type: String,
    /// The predicate document.
    pub predicate: Value,
    /// Store as an OCI 1.1 referrer instead of the `sha256-<hex>.att` tag.
    pub registry_referrers: bool,
}

/// What a signing or attesting run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignReport {
    /// The image digest that was signed.
    pub image: Digest,
    /// The repository identity written into the payload.
    pub identity: String,
    /// Digest of the manifest holding the signature.
    pub manifest: Digest,
    /// Where: the cosign tag, or `referrer`.
    pub location: String,
    /// False when an identical signature was already stored (nothing was written).
    pub written: bool,
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedSignature {
    /// The payload, parsed.
    pub payload: SimpleSigning,
    /// The payload as a JSON value, exactly as signed.
    pub payload_json: Value,
    /// The layer digest holding it.
    pub layer: Digest,
}

/// An attestation that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedAttestation {
    /// The statement.
    pub statement: Statement,
    /// The layer digest holding the envelope.
    pub layer: Digest,
}

/// Signs the image `image` names with `key` and stores the signature next to it.
pub fn sign_image(
    image: &ImageRef,
    remote: &RemoteOptions,
    key: &SigningKey,
    opts: &SignOptions,
) -> Result<SignReport, SignError> {
    let mut st = storage::open(image, remote)?;
    sign_in(st.as_mut(), key, opts)
}

/// [`sign_image`] on an opened storage.
pub fn sign_in(
    st: &mut dyn SigStorage,
    key: &SigningKey,
    opts: &SignOptions,
) -> Result<SignReport, SignError> {
    let img = st.resolve()?;
    let payload = SimpleSigning::new(&img.identity, &img.digest, &opts.annotations).to_bytes();
    let sig = key.sign(&payload);
    let mut annotations = BTreeMap::new();
    annotations.insert(SIGNATURE_ANNOTATION.to_string(), B64.encode(sig));
    let layer = NewLayer {
        media_type: Kind::Signature.layer_media_type().to_string(),
        bytes: payload,
        annotations,
    };
    if opts.registry_referrers {
        return store_referrer(st, img, Kind::Signature, &layer);
    }
    store_tagged(st, &img, Kind::Signature, &layer)
}

/// Stores `layer` as an OCI 1.1 referrer of the image (the registry's fallback tag where the
/// API is missing).
fn store_referrer(
    st: &mut dyn SigStorage,
    img: ResolvedImage,
    kind: Kind,
    layer: &NewLayer,
) -> Result<SignReport, SignError> {
    let built = referrer_manifest(kind, &img.digest, img.size, &img.media_type, layer);
    let d = st.put_referrer(&built.manifest, &[&built.config, &layer.bytes], &img.digest)?;
    Ok(SignReport {
        image: img.digest,
        identity: img.identity,
        manifest: d,
        location: "referrer".into(),
        written: true,
    })
}

/// Appends `layer` to the image's cosign tag manifest (creating it when missing).
fn store_tagged(
    st: &mut dyn SigStorage,
    img: &ResolvedImage,
    kind: Kind,
    layer: &NewLayer,
) -> Result<SignReport, SignError> {
    let tag = cosign_tag(&img.digest, kind);
    let existing = match st.get_tagged(&tag)? {
        Some(m) => parse_layers(&m.bytes, &format!("{}:{tag}", st.describe()))?,
        None => Vec::new(),
    };
    let built = append_layer(&existing, layer);
    if !built.changed {
        let current = st.get_tagged(&tag)?.map(|m| m.digest);
        if let Some(d) = current {
            return Ok(SignReport {
                image: img.digest.clone(),
                identity: img.identity.clone(),
                manifest: d,
                location: tag,
                written: false,
            });
        }
    }
    st.put_blob(&built.config)?;
    st.put_blob(&layer.bytes)?;
    let d = st.put_tagged(&built.manifest, &tag)?;
    Ok(SignReport {
        image: img.digest.clone(),
        identity: img.identity.clone(),
        manifest: d,
        location: tag,
        written: true,
    })
}

/// Attests the image: a DSSE envelope over an in-toto statement with `opts`' predicate, stored
/// in the `sha256-<hex>.att` manifest.
pub fn attest_image(
    image: &ImageRef,
    remote: &RemoteOptions,
    key: &SigningKey,
    opts: &AttestOptions,
) -> Result<SignReport, SignError> {
    let mut st = storage::open(image, remote)?;
    attest_in(st.as_mut(), key, opts)
}

/// [`attest_image`] on an opened storage.
pub fn attest_in(
    st: &mut dyn SigStorage,
    key: &SigningKey,
    opts: &AttestOptions,
) -> Result<SignReport, SignError> {
    let img = st.resolve()?;
    let statement = Statement::new(
        &img.identity,
        &img.digest,
        &opts.predicate_type,
        opts.predicate.clone(),
    );
    let envelope = dsse::sign_statement(key, &statement)?;
    let mut annotations = BTreeMap::new();
    annotations.insert(SIGNATURE_ANNOTATION.to_string(), String::new());
    annotations.insert(
        PREDICATE_TYPE_ANNOTATION.to_string(),
        opts.predicate_type.clone(),
    );
    let layer = NewLayer {
        media_type: Kind::Attestation.layer_media_type().to_string(),
        bytes: envelope,
        annotations,
    };
    if opts.registry_referrers {
        return store_referrer(st, img, Kind::Attestation, &layer);
    }
    store_tagged(st, &img, Kind::Attestation, &layer)
}

/// Verifies the image's signatures with `key`; at least one must sign exactly the image's
/// digest and carry every `required` annotation.
pub fn verify_image(
    image: &ImageRef,
    remote: &RemoteOptions,
    key: &VerifyingKey,
    required: &BTreeMap<String, String>,
) -> Result<Vec<VerifiedSignature>, SignError> {
    let mut st = storage::open(image, remote)?;
    verify_in(st.as_mut(), key, required)
}

/// Candidate layers: `(where, layer)` from the cosign tag and from referrers.
fn candidates(
    st: &mut dyn SigStorage,
    img: &ResolvedImage,
    kind: Kind,
    reasons: &mut Vec<String>,
) -> Result<Vec<(String, SigLayer)>, SignError> {
    let mut out = Vec::new();
    let tag = cosign_tag(&img.digest, kind);
    match st.get_tagged(&tag)? {
        Some(m) => {
            let what = format!("{}:{tag}", st.describe());
            for l in parse_layers(&m.bytes, &what)? {
                out.push((tag.clone(), l));
            }
        }
        None => reasons.push(format!("no {tag} manifest")),
    }
    {
        // Referrers are a second place to look: a failure there is a reason, not a verdict.
        let refs = match st.referrers(&img.digest, kind.artifact_type()) {
            Ok(r) => r,
            Err(e) => {
                reasons.push(format!("referrers: {e}"));
                Vec::new()
            }
        };
        for desc in refs.iter().take(super::manifest::MAX_LAYERS) {
            let d = match Digest::from_oci(desc.digest()) {
                Ok(d) => d,
                Err(e) => {
                    reasons.push(format!("referrer with a bad digest: {e}"));
                    continue;
                }
            };
            let what = format!("referrer {d}");
            let bytes = match st.get_manifest(&d) {
                Ok(b) => b,
                Err(e) => {
                    reasons.push(format!("{what}: {e}"));
                    continue;
                }
            };
            match parse_layers(&bytes, &what) {
                Ok(layers) => out.extend(layers.into_iter().map(|l| (what.clone(), l))),
                Err(e) => reasons.push(e.to_string()),
            }
        }
    }
    Ok(out)
}

/// [`verify_image`] on an opened storage.
pub fn verify_in(
    st: &mut dyn SigStorage,
    key: &VerifyingKey,
    required: &BTreeMap<String, String>,
) -> Result<Vec<VerifiedSignature>, SignError> {
    let img = st.resolve()?;
    let mut reasons = Vec::new();
    let mut ok = Vec::new();
    for (place, layer) in candidates(st, &img, Kind::Signature, &mut reasons)? {
        let label = format!("{place} layer {}", layer.digest);
        match check_signature_layer(st, &img.digest, key, required, &layer) {
            Ok(v) => ok.push(v),
            Err(reason) => reasons.push(format!("{label}: {reason}")),
        }
    }
    if ok.is_empty() {
        return Err(SignError::NotVerified {
            image: st.describe(),
            digest: img.digest,
            what: "signature",
            reasons,
        });
    }
    Ok(ok)
}

fn check_signature_layer(
    st: &mut dyn SigStorage,
    digest: &Digest,
    key: &VerifyingKey,
    required: &BTreeMap<String, String>,
    layer: &SigLayer,
) -> Result<VerifiedSignature, String> {
    if layer.media_type != Kind::Signature.layer_media_type() {
        return Err(format!(
            "media type {} is not a signature",
            layer.media_type
        ));
    }
    let sig_b64 = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or_else(|| format!("no {SIGNATURE_ANNOTATION} annotation"))?;
    let sig = B64
        .decode(sig_b64.trim().as_bytes())
        .map_err(|e| format!("signature annotation is not base64: {e}"))?;
    let payload = st
        .get_blob(&layer.digest, layer.size, MAX_PAYLOAD)
        .map_err(|e| e.to_string())?;
    key.verify(&payload, &sig).map_err(|e| e.to_string())?;
    let parsed = SimpleSigning::parse(&payload).map_err(|e| e.to_string())?;
    parsed
        .check(digest, required)
        .map_err(|e: PayloadError| e.to_string())?;
    let payload_json: Value = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
    Ok(VerifiedSignature {
        payload: parsed,
        payload_json,
        layer: layer.digest.clone(),
    })
}

/// Verifies the image's attestations with `key`, keeping those with `predicate_type` (any
/// when `None`); at least one must verify.
pub fn verify_attestations(
    image: &ImageRef,
    remote: &RemoteOptions,
    key: &VerifyingKey,
    predicate_type: Option<&str>,
) -> Result<Vec<VerifiedAttestation>, SignError> {
    let mut st = storage::open(image, remote)?;
    verify_attestations_in(st.as_mut(), key, predicate_type)
}

/// [`verify_attestations`] on an opened storage.
pub fn verify_attestations_in(
    st: &mut dyn SigStorage,
    key: &VerifyingKey,
    predicate_type: Option<&str>,
) -> Result<Vec<VerifiedAttestation>, SignError> {
    let img = st.resolve()?;
    let mut reasons = Vec::new();
    let mut ok = Vec::new();
    for (place, layer) in candidates(st, &img, Kind::Attestation, &mut reasons)? {
        let label = format!("{place} layer {}", layer.digest);
        if layer.media_type != Kind::Attestation.layer_media_type() {
            reasons.push(format!(
                "{label}: media type {} is not a DSSE envelope",
                layer.media_type
            ));
            continue;
        }
        let bytes = match st.get_blob(&layer.digest, layer.size, dsse::MAX_ENVELOPE) {
            Ok(b) => b,
            Err(e) => {
                reasons.push(format!("{label}: {e}"));
                continue;
            }
        };
        match dsse::verify_envelope(&bytes, key, &img.digest, predicate_type) {
            Ok(statement) => ok.push(VerifiedAttestation {
                statement,
                layer: layer.digest.clone(),
            }),
            Err(e) => reasons.push(format!("{label}: {e}")),
        }
    }
    if ok.is_empty() {
        return Err(SignError::NotVerified {
            image: st.describe(),
            digest: img.digest,
            what: "attestation",
            reasons,
        });
    }
    Ok(ok)
}
