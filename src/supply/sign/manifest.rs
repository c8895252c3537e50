//! The OCI manifests cosign stores signatures and attestations in, built and read as bytes.
//!
//! Tag scheme: the image `sha256:<hex>` has its signatures in the manifest tagged
//! `sha256-<hex>.sig` and its attestations in `sha256-<hex>.att`, in the same repository. That
//! manifest is an OCI image manifest whose config is a minimal image config (one `diff_ids`
//! entry per layer, as cosign writes it) and whose layers each carry one signed document:
//! - signatures: media type [`SIMPLE_SIGNING_MEDIA_TYPE`], annotation [`SIGNATURE_ANNOTATION`]
//!   holding the base64 DER signature of the layer's bytes;
//! - attestations: media type [`DSSE_MEDIA_TYPE`], annotation [`PREDICATE_TYPE_ANNOTATION`],
//!   the signature inside the DSSE envelope (the signature annotation is present and empty).
//!
//! Signing again appends a layer (keeping the others); appending a layer that is already there
//! with the same annotations changes nothing. With OCI 1.1 referrers each signature is its own
//! manifest with `artifactType` [`SIG_ARTIFACT_TYPE`] and a `subject` naming the image.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::media::{OCI_CONFIG, OCI_EMPTY, OCI_MANIFEST};

/// Layer media type of a simple-signing payload.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Layer media type of a DSSE envelope.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Annotation holding the base64 signature of a layer.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Annotation naming an attestation's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
/// `artifactType` of a cosign signature stored as an OCI 1.1 referrer.
pub const SIG_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
/// `artifactType` of attestation referrers (what cosign writes: the in-toto payload type).
pub const ATT_ARTIFACT_TYPE: &str = "application/vnd.in-toto+json";
/// The bytes of the OCI empty blob.
pub const EMPTY_BLOB: &[u8] = b"{}";
/// Most layers read from one signature manifest; more is treated as hostile.
pub const MAX_LAYERS: usize = 1000;

/// What kind of cosign artifact a tag holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Signatures (`.sig`).
    Signature,
    /// Attestations (`.att`).
    Attestation,
}

impl Kind {
    /// The tag suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Kind::Signature => "sig",
            Kind::Attestation => "att",
        }
    }

    /// The layer media type.
    pub fn layer_media_type(self) -> &'static str {
        match self {
            Kind::Signature => SIMPLE_SIGNING_MEDIA_TYPE,
            Kind::Attestation => DSSE_MEDIA_TYPE,
        }
    }

    /// The `artifactType` of its OCI 1.1 referrer manifests.
    pub fn artifact_type(self) -> &'static str {
        match self {
            Kind::Signature => SIG_ARTIFACT_TYPE,
            Kind::Attestation => ATT_ARTIFACT_TYPE,
        }
    }
}

/// The cosign tag for `digest`: `sha256-<hex>.sig` / `.att`.
pub fn cosign_tag(digest: &Digest, kind: Kind) -> String {
    format!(
        "{}-{}.{}",
        digest.algorithm().as_str(),
        digest.hex(),
        kind.suffix()
    )
}

/// True for tags of the cosign scheme (`<alg>-<hex>.sig|.att|.sbom`).
pub fn is_cosign_tag(tag: &str) -> bool {
    let Some((stem, suffix)) = tag.rsplit_once('.') else {
        return false;
    };
    matches!(suffix, "sig" | "att" | "sbom")
        && stem
            .split_once('-')
            .is_some_and(|(alg, hex)| alg == "sha256" && hex.len() == 64)
}

/// One layer of a signature manifest, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct SigLayer {
    /// Layer media type.
    pub media_type: String,
    /// Blob digest.
    pub digest: Digest,
    /// Blob size.
    pub size: u64,
    /// The layer's annotations.
    pub annotations: BTreeMap<String, String>,
}

/// Why a signature manifest cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("signature manifest {what}: {reason}")]
pub struct ManifestError {
    /// Which manifest.
    pub what: String,
    /// What is wrong.
    pub reason: String,
}

#[derive(Deserialize)]
struct RawDesc {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawManifestDoc {
    #[serde(default)]
    layers: Vec<RawDesc>,
}

/// The layers of a signature manifest.
pub fn parse_layers(bytes: &[u8], what: &str) -> Result<Vec<SigLayer>, ManifestError> {
    let err = |reason: String| ManifestError {
        what: what.to_string(),
        reason,
    };
    let doc: RawManifestDoc =
        serde_json::from_slice(bytes).map_err(|e| err(format!("not a manifest: {e}")))?;
    if doc.layers.len() > MAX_LAYERS {
        return Err(err(format!(
            "{} layers, more than the {MAX_LAYERS} a signature manifest may have",
            doc.layers.len()
        )));
    }
    doc.layers
        .into_iter()
        .map(|l| {
            let digest: Digest = l
                .digest
                .parse()
                .map_err(|e| err(format!("layer digest {}: {e}", l.digest)))?;
            Ok(SigLayer {
                media_type: l.media_type,
                digest,
                size: l.size,
                annotations: l.annotations.unwrap_or_default(),
            })
        })
        .collect()
}

/// A layer to add: its bytes and annotations.
#[derive(Debug, Clone)]
pub struct NewLayer {
    /// Layer media type.
    pub media_type: String,
    /// Blob bytes.
    pub bytes: Vec<u8>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
}

impl NewLayer {
    /// Its digest.
    pub fn digest(&self) -> Digest {
        digest_bytes(&self.bytes)
    }

    fn as_sig_layer(&self) -> SigLayer {
        SigLayer {
            media_type: self.media_type.clone(),
            digest: self.digest(),
            size: self.bytes.len() as u64,
            annotations: self.annotations.clone(),
        }
    }
}

fn descriptor(l: &SigLayer) -> Value {
    let mut d = json!({
        "mediaType": l.media_type,
        "size": l.size,
        "digest": l.digest.to_string(),
    });
    if !l.annotations.is_empty() {
        d["annotations"] = json!(l.annotations);
    }
    d
}

/// A manifest to write: the config blob and the manifest bytes.
#[derive(Debug, Clone)]
pub struct BuiltManifest {
    /// Config blob bytes.
    pub config: Vec<u8>,
    /// Manifest bytes.
    pub manifest: Vec<u8>,
    /// False when the layer was already present (nothing to write).
    pub changed: bool,
}

/// The tag-scheme manifest holding `existing` layers plus `layer` (unless an identical layer is
/// there already).
pub fn append_layer(existing: &[SigLayer], layer: &NewLayer) -> BuiltManifest {
    let new = layer.as_sig_layer();
    let present = existing.contains(&new);
    let mut layers: Vec<SigLayer> = existing.to_vec();
    if !present {
        layers.push(new);
    }
    let diff_ids: Vec<String> = layers.iter().map(|l| l.digest.to_string()).collect();
    let history: Vec<Value> = layers
        .iter()
        .map(|_| json!({"created": "0001-01-01T00:00:00Z"}))
        .collect();
    let config = json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": history,
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {},
    });
    let config = serde_json::to_vec(&config).unwrap_or_default();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": OCI_CONFIG,
            "size": config.len(),
            "digest": digest_bytes(&config).to_string(),
        },
        "layers": layers.iter().map(descriptor).collect::<Vec<_>>(),
    });
    BuiltManifest {
        manifest: serde_json::to_vec(&manifest).unwrap_or_default(),
        config,
        changed: !present,
    }
}

/// An OCI 1.1 referrer artifact holding one signature or attestation layer for `subject`.
pub fn referrer_manifest(
    kind: Kind,
    subject_digest: &Digest,
    subject_size: u64,
    subject_media_type: &str,
    layer: &NewLayer,
) -> BuiltManifest {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": kind.artifact_type(),
        "config": {
            "mediaType": OCI_EMPTY,
            "size": EMPTY_BLOB.len(),
            "digest": digest_bytes(EMPTY_BLOB).to_string(),
        },
        "layers": [descriptor(&layer.as_sig_layer())],
        "subject": {
            "mediaType": subject_media_type,
            "size": subject_size,
            "digest": subject_digest.to_string(),
        },
    });
    BuiltManifest {
        manifest: serde_json::to_vec(&manifest).unwrap_or_default(),
        config: EMPTY_BLOB.to_vec(),
        changed: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(payload: &[u8], sig: &str) -> NewLayer {
        let mut a = BTreeMap::new();
        a.insert(SIGNATURE_ANNOTATION.to_string(), sig.to_string());
        NewLayer {
            media_type: SIMPLE_SIGNING_MEDIA_TYPE.into(),
            bytes: payload.to_vec(),
            annotations: a,
        }
    }

    #[test]
    fn append_is_idempotent_and_keeps_existing() {
        let one = append_layer(&[], &layer(b"p1", "s1"));
        assert!(one.changed);
        let l1 = parse_layers(&one.manifest, "t").unwrap();
        assert_eq!(l1.len(), 1);
        let again = append_layer(&l1, &layer(b"p1", "s1"));
        assert!(!again.changed);
        assert_eq!(again.manifest, one.manifest);
        let two = append_layer(&l1, &layer(b"p2", "s2"));
        let l2 = parse_layers(&two.manifest, "t").unwrap();
        assert_eq!(l2.len(), 2);
        assert_eq!(l2[0], l1[0]);
        let cfg: Value = serde_json::from_slice(&two.config).unwrap();
        assert_eq!(cfg["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        let m: Value = serde_json::from_slice(&two.manifest).unwrap();
        assert_eq!(m["config"]["digest"], digest_bytes(&two.config).to_string());
    }

    #[test]
    fn tags() {
        let d = digest_bytes(b"x");
        let t = cosign_tag(&d, Kind::Signature);
        assert_eq!(t, format!("sha256-{}.sig", d.hex()));
        assert!(is_cosign_tag(&t));
        assert!(is_cosign_tag(&cosign_tag(&d, Kind::Attestation)));
        assert!(!is_cosign_tag("v1.sig"));
        assert!(!is_cosign_tag("latest"));
    }

    #[test]
    fn hostile_manifests() {
        assert!(parse_layers(b"nope", "t").is_err());
        let many: Vec<Value> = (0..=MAX_LAYERS)
            .map(|_| json!({"mediaType": "x", "digest": digest_bytes(b"").to_string(), "size": 0}))
            .collect();
        let m = serde_json::to_vec(&json!({"layers": many})).unwrap();
        let e = parse_layers(&m, "t").unwrap_err();
        assert!(e.to_string().contains("layers"), "{e}");
        let bad = br#"{"layers":[{"mediaType":"x","digest":"md5:00","size":1}]}"#;
        assert!(parse_layers(bad, "t").is_err());
    }
}
