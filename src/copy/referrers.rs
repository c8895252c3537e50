//! Attaching referrers (signatures, SBOMs, attestations) to an image in a registry through
//! the copy engine.
//!
//! [`attach_referrer`] copies an artifact whose manifest has a `subject` into a
//! [`RegistryDest`]: its blobs the way every copy goes (HEAD-skip, verified, batched), then
//! the manifest by digest, untagged. When the registry does not acknowledge the subject (no
//! OCI 1.1 referrers API, e.g. distribution 2.8), the referrers index under the tag
//! `sha256-<hex>` is read, extended with the artifact's descriptor and pushed back (canonical
//! JSON), as the distribution spec's fallback describes; attaching the same artifact twice
//! adds it once.

use serde_json::{Map, Value};

use super::engine::{copy_manifest_blobs, CopyReport, ImageSource, Progress};
use super::error::CopyError;
use super::registry::RegistryDest;
use crate::oci::digest::Digest;
use crate::oci::image::{media_type_str, RawManifest};
use crate::oci::json::to_canonical_vec;
use crate::oci::media;
use crate::registry::Registry;

/// Copy the artifact `src` names (an image manifest with a `subject`) into `dst` as a
/// referrer of its subject; returns the artifact manifest's digest.
pub fn attach_referrer<R: Registry>(
    src: &mut dyn ImageSource,
    dst: &mut RegistryDest<R>,
    progress: &dyn Progress,
) -> Result<Digest, CopyError> {
    let artifact = src.root()?;
    let not_a_referrer = |reason: &str| CopyError::Unsupported {
        reference: src.describe(),
        reason: reason.to_string(),
    };
    if artifact.is_index() {
        return Err(not_a_referrer(
            "a referrer must be an image manifest, not an index",
        ));
    }
    let parsed = artifact.parse_image()?;
    let subject = match parsed.subject() {
        Some(s) => Digest::from_oci(s.digest())?,
        None => return Err(not_a_referrer("the manifest has no subject to refer to")),
    };
    let mut report = CopyReport {
        digest: artifact.digest.clone(),
        media_type: artifact.media_type.clone(),
        copied: 0,
        skipped: 0,
        mounted: 0,
        bytes: 0,
    };
    copy_manifest_blobs(src, dst, &artifact, progress, &mut report)?;
    let acknowledged = dst.push_manifest(&artifact, &[])?;
    progress.manifest_done(&artifact);
    if !acknowledged {
        add_to_fallback_index(dst, &subject, &artifact)?;
    }
    Ok(artifact.digest)
}

/// The descriptor of `artifact` as a referrers index lists it.
fn index_entry(artifact: &RawManifest) -> Result<Value, CopyError> {
    let parsed = artifact.parse_image()?;
    let mut entry = Map::new();
    entry.insert("mediaType".into(), artifact.media_type.clone().into());
    entry.insert("digest".into(), artifact.digest.to_string().into());
    entry.insert("size".into(), artifact.size().into());
    let artifact_type = parsed
        .artifact_type()
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_else(|| media_type_str(parsed.config()));
    entry.insert("artifactType".into(), artifact_type.into());
    if let Some(ann) = parsed.annotations() {
        let ann: Map<String, Value> = ann
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect();
        entry.insert("annotations".into(), Value::Object(ann));
    }
    Ok(Value::Object(entry))
}

/// Add `artifact` to the `sha256-<hex>` referrers index of `subject` (created when missing).
fn add_to_fallback_index<R: Registry>(
    dst: &RegistryDest<R>,
    subject: &Digest,
    artifact: &RawManifest,
) -> Result<(), CopyError> {
    let tag = format!("{}-{}", subject.algorithm().as_str(), subject.hex());
    let repo = dst.reference();
    let tag_ref = repo
        .with_tag(&tag)
        .map_err(|e| CopyError::registry(repo, e.into()))?;
    let fetched = crate::runtime::block_on(dst.client().get_manifest(&tag_ref))?;
    let bad_index = |detail: String| CopyError::Mismatch {
        reference: tag_ref.to_string(),
        message: format!("the referrers index is not usable: {detail}"),
    };
    let mut index = match fetched {
        Ok(m) => serde_json::from_slice::<Value>(&m.bytes).map_err(|e| bad_index(e.to_string()))?,
        Err(e) if e.is_not_found() => serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": [],
        }),
        Err(e) => return Err(CopyError::registry(&tag_ref, e)),
    };
    let list = index
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| bad_index("it has no manifests list".into()))?;
    let digest = artifact.digest.to_string();
    if list
        .iter()
        .any(|d| d.get("digest").and_then(Value::as_str) == Some(digest.as_str()))
    {
        return Ok(());
    }
    list.push(index_entry(artifact)?);
    let updated = RawManifest::new(to_canonical_vec(&index)?, Some(media::OCI_INDEX))?;
    dst.push_manifest(&updated, &[tag])?;
    Ok(())
}
