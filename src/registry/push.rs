//! Pushing images and referrers through any [`Registry`].
//!
//! [`push_image`]: every blob is first HEAD-checked (present blobs are skipped, so pushing an
//! unchanged image uploads nothing), then offered for a cross-repository mount from the given
//! source repositories, and only then uploaded — monolithic up to a size threshold, chunked
//! above it. Blobs go in parallel (bounded), the manifest is pushed by digest once every blob is
//! in place, and tags are applied last, so a tag never points at an incomplete image.
//!
//! [`attach_referrer`]: pushes an artifact manifest whose `subject` names another manifest. When
//! the registry does not acknowledge the subject (no OCI 1.1 referrers API, e.g. distribution
//! 2.8), the referrers index under the tag `sha256-<hex>` is read, extended and pushed back.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{BlobSource, MountOutcome, Registry, RegistryError, Result, UploadMode};
use crate::oci::digest::Digest;
use crate::oci::reference::Reference;

/// One blob to push.
#[derive(Debug, Clone)]
pub struct BlobUpload {
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Where the bytes are.
    pub source: BlobSource,
}

/// Knobs for [`push_image`].
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Repositories on the same registry to try mounting blobs from.
    pub mount_from: Vec<Reference>,
    /// Blobs uploaded at once.
    pub parallel: usize,
    /// Blobs larger than this are uploaded in chunks.
    pub chunk_threshold: u64,
    /// Chunk size for chunked uploads.
    pub chunk_size: usize,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            mount_from: Vec::new(),
            parallel: 4,
            chunk_threshold: 32 * 1024 * 1024,
            chunk_size: super::client::DEFAULT_CHUNK_SIZE,
        }
    }
}

/// What a push did with each blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Digest of the pushed manifest.
    pub manifest: Option<Digest>,
    /// Blobs uploaded.
    pub uploaded: Vec<Digest>,
    /// Blobs linked by a cross-repository mount.
    pub mounted: Vec<Digest>,
    /// Blobs already present.
    pub skipped: Vec<Digest>,
}

enum BlobFate {
    Uploaded,
    Mounted,
    Skipped,
}

async fn push_one<R: Registry>(
    reg: &R,
    target: &Reference,
    blob: &BlobUpload,
    opts: &PushOptions,
) -> Result<(Digest, BlobFate)> {
    if let Some(size) = reg.head_blob(target, &blob.digest).await? {
        if size == blob.size || size == 0 {
            return Ok((blob.digest.clone(), BlobFate::Skipped));
        }
    }
    for from in &opts.mount_from {
        if from.name() == target.name() {
            continue;
        }
        if reg.mount_blob(target, from, &blob.digest).await? == MountOutcome::Mounted {
            return Ok((blob.digest.clone(), BlobFate::Mounted));
        }
    }
    let mode = if blob.size > opts.chunk_threshold {
        UploadMode::Chunked(opts.chunk_size)
    } else {
        UploadMode::Monolithic
    };
    reg.push_blob(target, &blob.digest, blob.size, &blob.source, mode)
        .await?;
    Ok((blob.digest.clone(), BlobFate::Uploaded))
}

/// Push `blobs`, then `manifest` by digest, then each of `tags`.
pub async fn push_image<R: Registry>(
    reg: &R,
    target: &Reference,
    blobs: &[BlobUpload],
    manifest: &[u8],
    media_type: &str,
    tags: &[String],
    opts: &PushOptions,
) -> Result<PushReport> {
    let mut report = PushReport::default();
    let results: Vec<(Digest, BlobFate)> = stream::iter(blobs.iter())
        .map(|b| push_one(reg, target, b, opts))
        .buffer_unordered(opts.parallel.max(1))
        .try_collect()
        .await?;
    for (d, fate) in results {
        match fate {
            BlobFate::Uploaded => report.uploaded.push(d),
            BlobFate::Mounted => report.mounted.push(d),
            BlobFate::Skipped => report.skipped.push(d),
        }
    }
    report.uploaded.sort();
    report.mounted.sort();
    report.skipped.sort();
    let put = reg.put_manifest(target, manifest, media_type, tags).await?;
    report.manifest = Some(put.digest);
    Ok(report)
}

/// Push an artifact manifest that has a `subject`, keeping the `sha256-<hex>` referrers index
/// up to date when the registry does not index referrers itself. Returns the artifact's digest.
pub async fn attach_referrer<R: Registry>(
    reg: &R,
    repo: &Reference,
    subject: &Digest,
    manifest: &[u8],
    media_type: &str,
) -> Result<Digest> {
    let put = reg.put_manifest(repo, manifest, media_type, &[]).await?;
    if put.subject_acknowledged {
        return Ok(put.digest);
    }
    let doc: serde_json::Value =
        serde_json::from_slice(manifest).map_err(|e| RegistryError::Protocol {
            url: repo.to_string(),
            detail: format!("referrer manifest is not JSON: {e}"),
        })?;
    let mut entry = serde_json::Map::new();
    entry.insert("mediaType".into(), media_type.into());
    entry.insert("digest".into(), put.digest.to_string().into());
    entry.insert("size".into(), (manifest.len() as u64).into());
    let artifact_type = doc
        .get("artifactType")
        .and_then(|v| v.as_str())
        .or_else(|| {
            doc.get("config")
                .and_then(|c| c.get("mediaType"))
                .and_then(|v| v.as_str())
        });
    if let Some(at) = artifact_type {
        entry.insert("artifactType".into(), at.into());
    }
    if let Some(ann) = doc.get("annotations").filter(|a| a.is_object()) {
        entry.insert("annotations".into(), ann.clone());
    }
    let tag = format!("{}-{}", subject.algorithm().as_str(), subject.hex());
    let tag_ref = repo.with_tag(&tag)?;
    let mut index = match reg.get_manifest(&tag_ref).await {
        Ok(m) => serde_json::from_slice::<serde_json::Value>(&m.bytes).map_err(|e| {
            RegistryError::Protocol {
                url: tag_ref.to_string(),
                detail: format!("referrers index is not JSON: {e}"),
            }
        })?,
        Err(e) if e.is_not_found() => serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::oci::media::OCI_INDEX,
            "manifests": [],
        }),
        Err(e) => return Err(e),
    };
    let digest_str = put.digest.to_string();
    let list = index
        .get_mut("manifests")
        .and_then(|m| m.as_array_mut())
        .ok_or_else(|| RegistryError::Protocol {
            url: tag_ref.to_string(),
            detail: "referrers index without a manifests list".into(),
        })?;
    if !list
        .iter()
        .any(|d| d.get("digest").and_then(|v| v.as_str()) == Some(digest_str.as_str()))
    {
        list.push(serde_json::Value::Object(entry));
        let bytes =
            crate::oci::json::to_canonical_vec(&index).map_err(|e| RegistryError::Protocol {
                url: tag_ref.to_string(),
                detail: e.to_string(),
            })?;
        reg.put_manifest(repo, &bytes, crate::oci::media::OCI_INDEX, &[tag])
            .await?;
    }
    Ok(put.digest)
}
