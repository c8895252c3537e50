//! In-toto statements attached to a built image the way BuildKit attaches them, so buildx
//! tooling (`docker buildx imagetools inspect --format '{{json .Provenance}}'`) finds them:
//!
//! - per platform image, one **attestation manifest**: an OCI image manifest whose config is
//!   `{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers",
//!   "diff_ids":[…]}}` and whose layers are the statements (`application/vnd.in-toto+json`,
//!   annotated `in-toto.io/predicate-type`);
//! - an **image index** listing the platform manifests, then the attestation manifests with
//!   platform `unknown/unknown` and the annotations `vnd.docker.reference.type:
//!   attestation-manifest` and `vnd.docker.reference.digest: <image manifest digest>`.
//!
//! A build with attestations therefore always yields an index, as with buildx. Everything is
//! written into the content store; the outputs copy the index from there.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use thiserror::Error;

use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::image::Platform;
use crate::oci::json::to_canonical_vec;
use crate::oci::media;
use crate::oci::store::{Store, StoreError};
use crate::supply::sign::dsse::Statement;

/// Media type of an in-toto statement layer.
pub const IN_TOTO_MEDIA_TYPE: &str = "application/vnd.in-toto+json";
/// Layer annotation naming the statement's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "in-toto.io/predicate-type";
/// Index annotation: what an entry refers to.
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
/// Index annotation: the image manifest an attestation manifest is about.
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";
/// [`REFERENCE_TYPE_ANNOTATION`]'s value for attestation manifests.
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// Attaching or reading attestations failed.
#[derive(Debug, Error)]
pub enum AttachError {
    /// The content store failed.
    #[error("content store: {0}")]
    Store(#[from] StoreError),
    /// A manifest or index is not what it should be.
    #[error("{digest}: {reason}")]
    Malformed {
        /// The manifest or index.
        digest: String,
        /// What is wrong.
        reason: String,
    },
}

fn malformed(digest: &Digest, reason: impl Into<String>) -> AttachError {
    AttachError::Malformed {
        digest: digest.to_string(),
        reason: reason.into(),
    }
}

/// One platform image of a build: its descriptor and platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformImage {
    /// The image manifest digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
    /// Its platform.
    pub platform: Platform,
}

fn parse_json(bytes: &[u8], digest: &Digest) -> Result<Value, AttachError> {
    serde_json::from_slice(bytes).map_err(|e| malformed(digest, format!("not JSON: {e}")))
}

fn descriptor_of(v: &Value, at: &Digest) -> Result<(Digest, u64, String), AttachError> {
    let d = v["digest"]
        .as_str()
        .and_then(|s| s.parse::<Digest>().ok())
        .ok_or_else(|| malformed(at, "an entry has no valid digest"))?;
    let size = v["size"]
        .as_u64()
        .ok_or_else(|| malformed(at, format!("entry {d} has no size")))?;
    let mt = v["mediaType"].as_str().unwrap_or(media::OCI_MANIFEST);
    Ok((d, size, mt.to_string()))
}

fn platform_of(v: &Value) -> Platform {
    Platform {
        os: v["os"].as_str().unwrap_or_default().to_string(),
        architecture: v["architecture"].as_str().unwrap_or_default().to_string(),
        variant: v["variant"].as_str().map(str::to_string),
    }
}

/// The platform images of the stored manifest or index `digest` (attestation manifests
/// left out). A single manifest's platform comes from its config.
pub fn platform_images(store: &Store, digest: &Digest) -> Result<Vec<PlatformImage>, AttachError> {
    let bytes = store.read_blob(digest)?;
    let doc = parse_json(&bytes, digest)?;
    if let Some(entries) = doc["manifests"].as_array() {
        let mut out = Vec::new();
        for e in entries {
            if e["annotations"][REFERENCE_TYPE_ANNOTATION].is_string() {
                continue;
            }
            let (d, size, media_type) = descriptor_of(e, digest)?;
            out.push(PlatformImage {
                digest: d,
                size,
                media_type,
                platform: platform_of(&e["platform"]),
            });
        }
        return Ok(out);
    }
    let (cfg, _, _) = descriptor_of(&doc["config"], digest)?;
    let config = parse_json(&store.read_blob(&cfg)?, &cfg)?;
    Ok(vec![PlatformImage {
        digest: digest.clone(),
        size: bytes.len() as u64,
        media_type: doc["mediaType"]
            .as_str()
            .unwrap_or(media::OCI_MANIFEST)
            .to_string(),
        platform: platform_of(&config),
    }])
}

/// The image index written by [`attach`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The index digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Attestation manifest digest per platform image (same order as the input).
    pub attestation_manifests: Vec<Digest>,
}

fn put(store: &Store, bytes: &[u8]) -> Result<(Digest, u64), AttachError> {
    let info = store.put_bytes(bytes)?;
    Ok((info.digest, info.size))
}

/// Write one attestation manifest per platform image (its statements as layers) and an
/// index over the images and those manifests; `annotations` go on the index.
pub fn attach(
    store: &Store,
    images: &[(PlatformImage, Vec<Statement>)],
    annotations: &BTreeMap<String, String>,
) -> Result<Attached, AttachError> {
    let json_err = |what: &str, e: &dyn std::fmt::Display| AttachError::Malformed {
        digest: what.to_string(),
        reason: format!("cannot encode: {e}"),
    };
    let mut image_entries = Vec::new();
    let mut att_entries = Vec::new();
    let mut att_digests = Vec::new();
    for (img, statements) in images {
        let mut entry = json!({
            "mediaType": img.media_type,
            "digest": img.digest.to_string(),
            "size": img.size,
            "platform": {"architecture": img.platform.architecture, "os": img.platform.os},
        });
        if let Some(v) = img.platform.variant.as_deref().filter(|v| !v.is_empty()) {
            entry["platform"]["variant"] = json!(v);
        }
        image_entries.push(entry);
        if statements.is_empty() {
            continue;
        }
        let mut layers = Vec::new();
        let mut diff_ids = Vec::new();
        for s in statements {
            let bytes = serde_json::to_vec(s).map_err(|e| json_err("statement", &e))?;
            let (d, size) = put(store, &bytes)?;
            diff_ids.push(d.to_string());
            layers.push(json!({
                "mediaType": IN_TOTO_MEDIA_TYPE,
                "digest": d.to_string(),
                "size": size,
                "annotations": {PREDICATE_TYPE_ANNOTATION: s.predicate_type},
            }));
        }
        let config = json!({
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        let config_bytes = to_canonical_vec(&config).map_err(|e| json_err("config", &e))?;
        let (cd, cs) = put(store, &config_bytes)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": media::OCI_CONFIG, "digest": cd.to_string(), "size": cs},
            "layers": layers,
        });
        let mbytes = to_canonical_vec(&manifest).map_err(|e| json_err("manifest", &e))?;
        let (md, ms) = put(store, &mbytes)?;
        att_entries.push(json!({
            "mediaType": media::OCI_MANIFEST,
            "digest": md.to_string(),
            "size": ms,
            "annotations": {
                REFERENCE_DIGEST_ANNOTATION: img.digest.to_string(),
                REFERENCE_TYPE_ANNOTATION: ATTESTATION_MANIFEST,
            },
            "platform": {"architecture": "unknown", "os": "unknown"},
        }));
        att_digests.push(md);
    }
    image_entries.extend(att_entries);
    let mut index = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": image_entries,
    });
    if !annotations.is_empty() {
        index["annotations"] = json!(annotations);
    }
    let bytes = to_canonical_vec(&index).map_err(|e| json_err("index", &e))?;
    let (digest, size) = put(store, &bytes)?;
    Ok(Attached {
        digest,
        size,
        attestation_manifests: att_digests,
    })
}

/// An attestation read back from an index.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundAttestation {
    /// The image manifest it is about (`vnd.docker.reference.digest`).
    pub image: Digest,
    /// The attestation manifest.
    pub manifest: Digest,
    /// The statement.
    pub statement: Statement,
}

/// Read every BuildKit-style attestation of the index `index` (bytes) through `fetch`
/// (digest → verified bytes): statements whose layer digest or subject does not match are
/// refused with an error naming the manifest.
pub fn read_attestations(
    index: &[u8],
    fetch: &mut dyn FnMut(&Digest) -> Result<Vec<u8>, String>,
) -> Result<Vec<FoundAttestation>, AttachError> {
    let at = digest_bytes(index);
    let doc = parse_json(index, &at)?;
    let entries = doc["manifests"]
        .as_array()
        .ok_or_else(|| malformed(&at, "not an image index"))?;
    let mut out = Vec::new();
    for e in entries {
        let ann = &e["annotations"];
        if ann[REFERENCE_TYPE_ANNOTATION].as_str() != Some(ATTESTATION_MANIFEST) {
            continue;
        }
        let (md, _, _) = descriptor_of(e, &at)?;
        let image = ann[REFERENCE_DIGEST_ANNOTATION]
            .as_str()
            .and_then(|s| s.parse::<Digest>().ok())
            .ok_or_else(|| malformed(&md, "no valid vnd.docker.reference.digest annotation"))?;
        let mbytes = fetch(&md).map_err(|r| malformed(&md, r))?;
        let m = parse_json(&mbytes, &md)?;
        for l in m["layers"].as_array().into_iter().flatten() {
            if l["mediaType"].as_str() != Some(IN_TOTO_MEDIA_TYPE) {
                continue;
            }
            let (ld, _, _) = descriptor_of(l, &md)?;
            let bytes = fetch(&ld).map_err(|r| malformed(&ld, r))?;
            let statement: Statement = serde_json::from_slice(&bytes)
                .map_err(|e| malformed(&ld, format!("not an in-toto statement: {e}")))?;
            if !statement.names(&image) {
                return Err(malformed(
                    &ld,
                    format!("the statement's subject is not {image}"),
                ));
            }
            out.push(FoundAttestation {
                image: image.clone(),
                manifest: md.clone(),
                statement,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_path_buf()).unwrap();
        let cfg = br#"{"architecture":"arm64","os":"linux","variant":"v8","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let cfg_info = store.put_bytes(cfg).unwrap();
        let m = json!({"schemaVersion":2,"mediaType":media::OCI_MANIFEST,
            "config":{"mediaType":media::OCI_CONFIG,"digest":cfg_info.digest.to_string(),"size":cfg_info.size},
            "layers":[]});
        let mb = to_canonical_vec(&m).unwrap();
        let info = store.put_bytes(&mb).unwrap();
        let imgs = platform_images(&store, &info.digest).unwrap();
        assert_eq!(imgs.len(), 1);
        assert_eq!(imgs[0].platform.to_string(), "linux/arm64/v8");
        let st = Statement::new(
            "x",
            &info.digest,
            "https://slsa.dev/provenance/v1",
            json!({}),
        );
        let att = attach(
            &store,
            &[(imgs[0].clone(), vec![st.clone()])],
            &BTreeMap::new(),
        )
        .unwrap();
        let idx = store.read_blob(&att.digest).unwrap();
        let v: Value = serde_json::from_slice(&idx).unwrap();
        assert_eq!(v["manifests"][1]["platform"]["os"], "unknown");
        assert_eq!(
            v["manifests"][1]["annotations"][REFERENCE_DIGEST_ANNOTATION],
            info.digest.to_string()
        );
        // The index lists only the platform image as an image.
        assert_eq!(platform_images(&store, &att.digest).unwrap(), imgs);
        let mut fetch = |d: &Digest| store.read_blob(d).map_err(|e| e.to_string());
        let found = read_attestations(&idx, &mut fetch).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statement, st);
        // A statement about another image is refused.
        let other = Statement::new("x", &digest_bytes(b"o"), "t", json!({}));
        let att = attach(&store, &[(imgs[0].clone(), vec![other])], &BTreeMap::new()).unwrap();
        let idx = store.read_blob(&att.digest).unwrap();
        assert!(read_attestations(&idx, &mut fetch).is_err());
    }
}
