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
    // Content-addressed: a blob present under its digest is the same blob.
    if reg.head_blob(target, &blob.digest).await?.is_some() {
        return Ok((blob.digest.clone(), BlobFate::Skipped));
    }
    for from in &opts.mount_from {
        if from.name() == target.name() {
            continue;
        }
        // A mount is an optimisation: any failure (no access to the source, a registry that
        // rejects the request) falls through to the next source or to an upload.
        if let Ok(MountOutcome::Mounted) = reg.mount_blob(target, from, &blob.digest).await {
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::oci::digest::digest_bytes;
    use crate::registry::{
        ManifestInfo, PutManifest, RawManifest, Referrers, UploadMode, VerifiedBlob,
    };

    /// (repository, digest or tag) → (bytes, media type).
    type ManifestMap = BTreeMap<(String, String), (Vec<u8>, String)>;

    /// In-memory registry recording every call.
    #[derive(Default)]
    struct Fake {
        blobs: Mutex<BTreeSet<(String, Digest)>>,
        manifests: Mutex<ManifestMap>,
        calls: Mutex<Vec<String>>,
        mount_fails: bool,
        subject_api: bool,
    }

    impl Fake {
        fn log(&self, s: String) {
            if let Ok(mut c) = self.calls.lock() {
                c.push(s);
            }
        }
        fn calls(&self) -> Vec<String> {
            self.calls.lock().map(|c| c.clone()).unwrap_or_default()
        }
        fn not_found(what: &str) -> RegistryError {
            RegistryError::Status {
                method: "GET".into(),
                url: what.into(),
                status: 404,
                code: Some("MANIFEST_UNKNOWN".into()),
                message: String::new(),
                retry_after: None,
            }
        }
    }

    impl Registry for Fake {
        async fn head_blob(&self, repo: &Reference, digest: &Digest) -> Result<Option<u64>> {
            self.log(format!("head {} {digest}", repo.repository()));
            let has = self
                .blobs
                .lock()
                .map(|b| b.contains(&(repo.repository().to_string(), digest.clone())))
                .unwrap_or(false);
            Ok(has.then_some(1))
        }
        async fn get_blob(
            &self,
            _: &Reference,
            d: &Digest,
            _: Option<u64>,
            _: &Path,
        ) -> Result<VerifiedBlob> {
            Err(Fake::not_found(&d.to_string()))
        }
        async fn push_blob(
            &self,
            repo: &Reference,
            digest: &Digest,
            _size: u64,
            _source: &BlobSource,
            mode: UploadMode,
        ) -> Result<()> {
            self.log(format!("push {} {digest} {mode:?}", repo.repository()));
            if let Ok(mut b) = self.blobs.lock() {
                b.insert((repo.repository().to_string(), digest.clone()));
            }
            Ok(())
        }
        async fn mount_blob(
            &self,
            repo: &Reference,
            from: &Reference,
            digest: &Digest,
        ) -> Result<MountOutcome> {
            self.log(format!("mount {} {digest}", repo.repository()));
            if self.mount_fails {
                return Err(RegistryError::Unauthorized {
                    registry: "fake".into(),
                    detail: "no access to source".into(),
                });
            }
            let mut b = self.blobs.lock().map_err(|_| Fake::not_found("lock"))?;
            if b.contains(&(from.repository().to_string(), digest.clone())) {
                b.insert((repo.repository().to_string(), digest.clone()));
                Ok(MountOutcome::Mounted)
            } else {
                Ok(MountOutcome::NotMounted)
            }
        }
        async fn get_manifest(&self, r: &Reference) -> Result<RawManifest> {
            let key = (r.repository().to_string(), r.manifest_reference());
            let m = self
                .manifests
                .lock()
                .ok()
                .and_then(|m| m.get(&key).cloned());
            match m {
                Some((bytes, media_type)) => Ok(RawManifest {
                    digest: digest_bytes(&bytes),
                    bytes,
                    media_type,
                }),
                None => Err(Fake::not_found(&r.to_string())),
            }
        }
        async fn head_manifest(&self, _: &Reference) -> Result<Option<ManifestInfo>> {
            Ok(None)
        }
        async fn put_manifest(
            &self,
            repo: &Reference,
            bytes: &[u8],
            media_type: &str,
            tags: &[String],
        ) -> Result<PutManifest> {
            let digest = digest_bytes(bytes);
            for t in std::iter::once(digest.to_string()).chain(tags.iter().cloned()) {
                self.log(format!("manifest {} {t}", repo.repository()));
                if let Ok(mut m) = self.manifests.lock() {
                    m.insert(
                        (repo.repository().to_string(), t),
                        (bytes.to_vec(), media_type.to_string()),
                    );
                }
            }
            Ok(PutManifest {
                digest,
                subject_acknowledged: self.subject_api,
            })
        }
        async fn list_tags(&self, _: &Reference) -> Result<Vec<String>> {
            Ok(Vec::new())
        }
        async fn referrers(&self, _: &Reference, _: &Digest, _: Option<&str>) -> Result<Referrers> {
            Ok(Referrers {
                manifests: Vec::new(),
                via_tag_schema: false,
            })
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        match tokio::runtime::Builder::new_current_thread().build() {
            Ok(rt) => rt.block_on(f),
            Err(e) => panic!("runtime: {e}"),
        }
    }

    fn r(s: &str) -> Reference {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn blobs() -> Vec<BlobUpload> {
        [b"config".to_vec(), vec![7u8; 100], vec![9u8; 5000]]
            .into_iter()
            .map(|b| BlobUpload {
                digest: digest_bytes(&b),
                size: b.len() as u64,
                source: BlobSource::Bytes(b),
            })
            .collect()
    }

    #[test]
    fn blobs_first_then_manifest_by_digest_then_tags_and_unchanged_push_uploads_nothing() {
        let fake = Fake::default();
        let target = r("reg.example/app:1");
        let opts = PushOptions {
            chunk_threshold: 1000,
            chunk_size: 512,
            ..PushOptions::default()
        };
        let manifest = br#"{"schemaVersion":2}"#;
        let tags = vec!["1".to_string(), "latest".to_string()];
        let rep = block_on(push_image(
            &fake,
            &target,
            &blobs(),
            manifest,
            "m",
            &tags,
            &opts,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rep.uploaded.len(), 3);
        let calls = fake.calls();
        let first_manifest = calls.iter().position(|c| c.starts_with("manifest"));
        let last_push = calls.iter().rposition(|c| c.starts_with("push"));
        assert!(last_push < first_manifest, "{calls:?}");
        let manifests: Vec<&String> = calls.iter().filter(|c| c.starts_with("manifest")).collect();
        assert_eq!(manifests.len(), 3);
        assert!(manifests[0].ends_with(&digest_bytes(manifest).to_string()));
        assert!(
            calls.iter().any(|c| c.contains("Chunked(512)")),
            "{calls:?}"
        );
        assert_eq!(calls.iter().filter(|c| c.contains("Monolithic")).count(), 2);

        let again = block_on(push_image(
            &fake,
            &target,
            &blobs(),
            manifest,
            "m",
            &tags,
            &opts,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((again.uploaded.len(), again.skipped.len()), (0, 3));
    }

    #[test]
    fn mounts_from_sources_and_falls_back_to_upload() {
        let fake = Fake::default();
        let a = r("reg.example/a:1");
        let b = r("reg.example/b:1");
        block_on(push_image(
            &fake,
            &a,
            &blobs(),
            b"{}",
            "m",
            &[],
            &PushOptions::default(),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let opts = PushOptions {
            mount_from: vec![a.clone()],
            ..PushOptions::default()
        };
        let rep = block_on(push_image(&fake, &b, &blobs(), b"{}", "m", &[], &opts))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rep.mounted.len(), rep.uploaded.len()), (3, 0));

        let failing = Fake {
            mount_fails: true,
            ..Fake::default()
        };
        let rep = block_on(push_image(&failing, &b, &blobs(), b"{}", "m", &[], &opts))
            .unwrap_or_else(|e| panic!("a failed mount must fall back to uploading: {e}"));
        assert_eq!((rep.mounted.len(), rep.uploaded.len()), (0, 3));
    }

    #[test]
    fn referrer_index_is_kept_under_the_fallback_tag() {
        let fake = Fake::default();
        let repo = r("reg.example/app:1");
        let subject = digest_bytes(b"subject manifest");
        let art = |t: &str| {
            format!(r#"{{"schemaVersion":2,"artifactType":"{t}","annotations":{{"k":"v"}}}}"#)
        };
        let d1 = block_on(attach_referrer(
            &fake,
            &repo,
            &subject,
            art("x/sig").as_bytes(),
            "m",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        block_on(attach_referrer(
            &fake,
            &repo,
            &subject,
            art("x/sbom").as_bytes(),
            "m",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        block_on(attach_referrer(
            &fake,
            &repo,
            &subject,
            art("x/sig").as_bytes(),
            "m",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let tag = format!("sha256-{}", subject.hex());
        let index =
            block_on(fake.get_manifest(&repo.with_tag(&tag).unwrap_or_else(|e| panic!("{e}"))))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(index.media_type, crate::oci::media::OCI_INDEX);
        let v: serde_json::Value =
            serde_json::from_slice(&index.bytes).unwrap_or_else(|e| panic!("{e}"));
        let list = v["manifests"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 2, "{v}");
        assert_eq!(list[0]["digest"], d1.to_string());
        assert_eq!(list[0]["artifactType"], "x/sig");
        assert_eq!(list[0]["annotations"]["k"], "v");
        // Canonical JSON: what was hashed is what was stored.
        assert_eq!(
            crate::oci::json::to_canonical_vec(&v).ok().as_deref(),
            Some(index.bytes.as_slice())
        );

        // A registry with the referrers API gets no fallback tag.
        let modern = Fake {
            subject_api: true,
            ..Fake::default()
        };
        block_on(attach_referrer(
            &modern,
            &repo,
            &subject,
            art("x/sig").as_bytes(),
            "m",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!modern.calls().iter().any(|c| c.contains(&tag)));
    }
}
