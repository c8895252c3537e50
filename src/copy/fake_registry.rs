//! An in-memory [`Registry`] for unit tests of the copy path: records every call, can refuse
//! mounts, answer with an HTTP status, acknowledge subjects, and measures how many uploads
//! run at once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::reference::Reference;
use crate::registry::{
    BlobSource, ManifestInfo, MountOutcome, PutManifest, RawManifest, Referrers, Registry,
    RegistryError, Result, UploadMode, VerifiedBlob,
};

/// (repository, digest or tag) → (bytes, media type).
type ManifestMap = BTreeMap<(String, String), (Vec<u8>, String)>;

/// In-memory registry recording every call.
#[derive(Default)]
pub(crate) struct Fake {
    pub blobs: Mutex<BTreeMap<(String, Digest), Vec<u8>>>,
    pub manifests: Mutex<ManifestMap>,
    pub calls: Mutex<Vec<String>>,
    pub mount_fails: bool,
    pub subject_api: bool,
    /// Answer every blob HEAD with this status.
    pub head_status: Option<u16>,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Fake {
    fn log(&self, s: String) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(s);
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn repos_with(&self, d: &Digest) -> BTreeSet<String> {
        self.blobs
            .lock()
            .map(|b| {
                b.keys()
                    .filter(|(_, x)| x == d)
                    .map(|(r, _)| r.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn status(status: u16, what: &str) -> RegistryError {
        RegistryError::Status {
            method: "GET".into(),
            url: what.into(),
            status,
            code: (status == 404).then(|| "MANIFEST_UNKNOWN".to_string()),
            message: String::new(),
            retry_after: None,
        }
    }

    fn blob(&self, repo: &Reference, d: &Digest) -> Option<Vec<u8>> {
        self.blobs
            .lock()
            .ok()?
            .get(&(repo.repository().to_string(), d.clone()))
            .cloned()
    }
}

impl Registry for Fake {
    async fn head_blob(&self, repo: &Reference, digest: &Digest) -> Result<Option<u64>> {
        self.log(format!("head {} {digest}", repo.repository()));
        if let Some(s) = self.head_status {
            return Err(Fake::status(s, "head"));
        }
        Ok(self.blob(repo, digest).map(|b| b.len() as u64))
    }

    async fn get_blob(
        &self,
        repo: &Reference,
        d: &Digest,
        _: Option<u64>,
        tmp: &Path,
    ) -> Result<VerifiedBlob> {
        self.log(format!("get {} {d}", repo.repository()));
        let bytes = self
            .blob(repo, d)
            .ok_or_else(|| Fake::status(404, &d.to_string()))?;
        let io = |source| RegistryError::Io {
            path: tmp.to_path_buf(),
            source,
        };
        let mut file = tempfile::NamedTempFile::new_in(tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        Ok(VerifiedBlob {
            file,
            digest: d.clone(),
            size: bytes.len() as u64,
        })
    }

    async fn push_blob(
        &self,
        repo: &Reference,
        digest: &Digest,
        _size: u64,
        source: &BlobSource,
        mode: UploadMode,
    ) -> Result<()> {
        self.log(format!("push {} {digest} {mode:?}", repo.repository()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let bytes = match source {
            BlobSource::Bytes(b) => b.clone(),
            BlobSource::File(p) => std::fs::read(p).map_err(|source| RegistryError::Io {
                path: p.clone(),
                source,
            })?,
        };
        if digest_bytes(&bytes) != *digest {
            return Err(Fake::status(400, "digest invalid"));
        }
        if let Ok(mut b) = self.blobs.lock() {
            b.insert((repo.repository().to_string(), digest.clone()), bytes);
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
        match self.blob(from, digest) {
            Some(bytes) => {
                if let Ok(mut b) = self.blobs.lock() {
                    b.insert((repo.repository().to_string(), digest.clone()), bytes);
                }
                Ok(MountOutcome::Mounted)
            }
            None => Ok(MountOutcome::NotMounted),
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
            None => Err(Fake::status(404, &r.to_string())),
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
