//! Where signatures live: one small interface over registries and `oci:` layouts for what
//! signing and verifying need — resolve the image to its digest, read and write the cosign
//! tag-scheme manifests and their blobs (with bounded reads), and attach or list OCI 1.1
//! referrers (through the copy engine, which uses the `sha256-<hex>` fallback tag on registries
//! without the referrers API).

use std::path::PathBuf;

use oci_spec::image::Descriptor;

/// Registry settings (plain-HTTP hosts), as the copy engine takes them.
pub use crate::copy::RemoteOptions;
use crate::copy::{attach_referrer, CopyError, MemorySource, NoProgress, RegistryDest};
use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::image::media_type_str;
use crate::oci::image::RawManifest;
use crate::oci::layout::{ref_name, LayoutError, OciLayout, MAX_MANIFEST_SIZE};
use crate::oci::media;
use crate::oci::reference::{ImageRef, Reference};
use crate::registry::{BlobSource, HttpRegistry, Registry, RegistryError, UploadMode};

use super::manifest::is_cosign_tag;

/// Why reading or writing signatures failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A registry request failed.
    #[error("{reference}: {source}")]
    Registry {
        /// What was being accessed.
        reference: String,
        /// The registry's answer.
        #[source]
        source: Box<RegistryError>,
    },
    /// An OCI layout operation failed.
    #[error(transparent)]
    Layout(Box<LayoutError>),
    /// The copy engine failed (attaching a referrer, opening the registry).
    #[error(transparent)]
    Copy(#[from] Box<CopyError>),
    /// The image reference cannot carry signatures.
    #[error("{0}: signatures are stored in registries and oci: layouts; copy the image to one first (hoist copy)")]
    Unsupported(String),
    /// A blob or manifest is larger than allowed.
    #[error("{what} is {size} bytes, more than the {max} allowed for signature data")]
    TooLarge {
        /// What.
        what: String,
        /// Its declared size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Something else is wrong with what was stored.
    #[error("{what}: {reason}")]
    Invalid {
        /// What.
        what: String,
        /// Why.
        reason: String,
    },
}

impl From<LayoutError> for StorageError {
    fn from(e: LayoutError) -> Self {
        StorageError::Layout(Box::new(e))
    }
}

/// The image being signed or verified.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// Digest of the manifest (or index) the reference names.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size: u64,
    /// The repository identity written into payloads (`registry/repo`, or `oci:DIR`).
    pub identity: String,
}

/// A manifest fetched by tag or digest.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its digest.
    pub digest: Digest,
}

/// The operations signing and verifying need.
pub trait SigStorage {
    /// The reference, for messages.
    fn describe(&self) -> String;
    /// The image the reference names (a tag is resolved to its digest once).
    fn resolve(&mut self) -> Result<ResolvedImage, StorageError>;
    /// The manifest under `tag`, `None` when there is none.
    fn get_tagged(&mut self, tag: &str) -> Result<Option<Fetched>, StorageError>;
    /// A manifest by digest (verified, at most 4 MiB).
    fn get_manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, StorageError>;
    /// A blob, verified against `digest`; refused when `size` exceeds `max`.
    fn get_blob(&mut self, digest: &Digest, size: u64, max: u64) -> Result<Vec<u8>, StorageError>;
    /// Store a blob.
    fn put_blob(&mut self, bytes: &[u8]) -> Result<Digest, StorageError>;
    /// Store a manifest under `tag` (its blobs must be there).
    fn put_tagged(&mut self, bytes: &[u8], tag: &str) -> Result<Digest, StorageError>;
    /// Store a manifest with a `subject` as a referrer of `subject`, with its `blobs`.
    fn put_referrer(
        &mut self,
        bytes: &[u8],
        blobs: &[&[u8]],
        subject: &Digest,
    ) -> Result<Digest, StorageError>;
    /// Descriptors of the referrers of `subject` with `artifact_type`.
    fn referrers(
        &mut self,
        subject: &Digest,
        artifact_type: &str,
    ) -> Result<Vec<Descriptor>, StorageError>;
}

/// Opens signature storage for an image reference (registry or `oci:` layout).
pub fn open(r: &ImageRef, remote: &RemoteOptions) -> Result<Box<dyn SigStorage>, StorageError> {
    match r {
        ImageRef::Registry(reference) => Ok(Box::new(RegistryStorage::open(reference, remote)?)),
        ImageRef::OciLayout { dir, tag } => Ok(Box::new(LayoutStorage {
            layout: OciLayout::open(dir)?,
            dir: dir.clone(),
            tag: tag.clone(),
        })),
        ImageRef::OciArchive { file, .. } | ImageRef::DockerArchive { file, .. } => {
            Err(StorageError::Unsupported(file.display().to_string()))
        }
    }
}

/// Signatures in a registry repository, on the shared runtime ([`crate::runtime`]); referrers
/// are attached through the copy engine ([`crate::copy::attach_referrer`]).
pub struct RegistryStorage {
    dest: RegistryDest<HttpRegistry>,
    tmp: tempfile::TempDir,
}

impl RegistryStorage {
    /// Prepare to access `reference`'s repository.
    pub fn open(reference: &Reference, remote: &RemoteOptions) -> Result<Self, StorageError> {
        let dest = RegistryDest::open(reference, remote).map_err(Box::new)?;
        let tmp = tempfile::tempdir().map_err(|e| StorageError::Invalid {
            what: reference.to_string(),
            reason: format!("temporary directory: {e}"),
        })?;
        Ok(RegistryStorage { dest, tmp })
    }

    fn reference(&self) -> &Reference {
        self.dest.reference()
    }

    fn client(&self) -> &HttpRegistry {
        self.dest.client()
    }

    /// Runs a registry call; errors name `what`.
    fn run<T>(
        what: &Reference,
        fut: impl std::future::Future<Output = Result<T, RegistryError>>,
    ) -> Result<Result<T, RegistryError>, StorageError> {
        crate::runtime::block_on(fut).map_err(|e| StorageError::Invalid {
            what: what.to_string(),
            reason: e.to_string(),
        })
    }

    fn call<T>(
        what: &Reference,
        fut: impl std::future::Future<Output = Result<T, RegistryError>>,
    ) -> Result<T, StorageError> {
        Self::run(what, fut)?.map_err(|e| StorageError::Registry {
            reference: what.to_string(),
            source: Box::new(e),
        })
    }

    fn tag_ref(&self, tag: &str) -> Result<Reference, StorageError> {
        self.reference()
            .with_tag(tag)
            .map_err(|e| StorageError::Invalid {
                what: self.reference().to_string(),
                reason: e.to_string(),
            })
    }
}

impl SigStorage for RegistryStorage {
    fn describe(&self) -> String {
        self.reference().to_string()
    }

    fn resolve(&mut self) -> Result<ResolvedImage, StorageError> {
        let r = self.reference().clone();
        let info = match Self::call(&r, self.client().head_manifest(&r))? {
            Some(i) => i,
            None => {
                // Some registries refuse HEAD; GET verifies the digest too.
                let m = Self::call(&r, self.client().get_manifest(&r))?;
                crate::registry::ManifestInfo {
                    digest: m.digest,
                    media_type: m.media_type,
                    size: m.bytes.len() as u64,
                }
            }
        };
        if let Some(pinned) = r.digest() {
            if *pinned != info.digest {
                return Err(StorageError::Invalid {
                    what: r.to_string(),
                    reason: format!("the registry answered with digest {}", info.digest),
                });
            }
        }
        Ok(ResolvedImage {
            digest: info.digest,
            media_type: info.media_type,
            size: info.size,
            identity: super::payload::docker_reference(&r),
        })
    }

    fn get_tagged(&mut self, tag: &str) -> Result<Option<Fetched>, StorageError> {
        let t = self.tag_ref(tag)?;
        match Self::run(&t, self.client().get_manifest(&t))? {
            Ok(m) => Ok(Some(Fetched {
                bytes: m.bytes,
                digest: m.digest,
            })),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(StorageError::Registry {
                reference: t.to_string(),
                source: Box::new(e),
            }),
        }
    }

    fn get_manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, StorageError> {
        let r = self.reference().with_digest(digest.clone());
        Ok(Self::call(&r, self.client().get_manifest(&r))?.bytes)
    }

    fn get_blob(&mut self, digest: &Digest, size: u64, max: u64) -> Result<Vec<u8>, StorageError> {
        if size > max {
            return Err(StorageError::TooLarge {
                what: format!("blob {digest}"),
                size,
                max,
            });
        }
        let r = self.reference().clone();
        let blob = Self::call(
            &r,
            self.client()
                .get_blob(&r, digest, Some(size), self.tmp.path()),
        )?;
        std::fs::read(blob.file.path()).map_err(|e| StorageError::Invalid {
            what: format!("blob {digest}"),
            reason: format!("reading the download: {e}"),
        })
    }

    fn put_blob(&mut self, bytes: &[u8]) -> Result<Digest, StorageError> {
        let d = digest_bytes(bytes);
        let r = self.reference().clone();
        let have = Self::call(&r, self.client().head_blob(&r, &d))?;
        if have != Some(bytes.len() as u64) {
            Self::call(
                &r,
                self.client().push_blob(
                    &r,
                    &d,
                    bytes.len() as u64,
                    &BlobSource::Bytes(bytes.to_vec()),
                    UploadMode::Monolithic,
                ),
            )?;
        }
        Ok(d)
    }

    fn put_tagged(&mut self, bytes: &[u8], tag: &str) -> Result<Digest, StorageError> {
        let r = self.reference().clone();
        let put = Self::call(
            &r,
            self.client()
                .put_manifest(&r, bytes, media::OCI_MANIFEST, &[tag.to_string()]),
        )?;
        Ok(put.digest)
    }

    fn put_referrer(
        &mut self,
        bytes: &[u8],
        blobs: &[&[u8]],
        _subject: &Digest,
    ) -> Result<Digest, StorageError> {
        let raw = RawManifest::new(bytes.to_vec(), Some(media::OCI_MANIFEST)).map_err(|e| {
            StorageError::Invalid {
                what: "referrer manifest".into(),
                reason: e.to_string(),
            }
        })?;
        let mut src = MemorySource::new(raw, blobs.iter().map(|b| b.to_vec()).collect());
        Ok(attach_referrer(&mut src, &mut self.dest, &NoProgress).map_err(Box::new)?)
    }

    fn referrers(
        &mut self,
        subject: &Digest,
        artifact_type: &str,
    ) -> Result<Vec<Descriptor>, StorageError> {
        let r = self.reference().clone();
        match Self::run(
            &r,
            self.client().referrers(&r, subject, Some(artifact_type)),
        )? {
            Ok(list) => Ok(list
                .manifests
                .into_iter()
                .filter(|d| {
                    d.artifact_type().as_ref().map(|m| m.to_string()).as_deref()
                        == Some(artifact_type)
                })
                .collect()),
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(StorageError::Registry {
                reference: r.to_string(),
                source: Box::new(e),
            }),
        }
    }
}

/// Signatures inside an OCI image layout.
pub struct LayoutStorage {
    layout: OciLayout,
    dir: PathBuf,
    tag: Option<String>,
}

impl LayoutStorage {
    fn where_(&self) -> String {
        format!("oci:{}", self.dir.display())
    }

    /// Reads a manifest by descriptor, bounded.
    fn read(&self, d: &Digest, size: u64) -> Result<Vec<u8>, StorageError> {
        Ok(self.layout.read_blob(d, size, MAX_MANIFEST_SIZE)?)
    }

    /// True when the index entry is a referrer artifact (an untagged manifest with a subject).
    fn is_referrer(&self, desc: &Descriptor) -> bool {
        let Ok(d) = Digest::from_oci(desc.digest()) else {
            return false;
        };
        self.read(&d, desc.size())
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v.get("subject").is_some())
    }
}

impl SigStorage for LayoutStorage {
    fn describe(&self) -> String {
        match &self.tag {
            Some(t) => format!("{}:{t}", self.where_()),
            None => self.where_(),
        }
    }

    fn resolve(&mut self) -> Result<ResolvedImage, StorageError> {
        let desc = match &self.tag {
            Some(_) => self.layout.resolve(self.tag.as_deref())?,
            None => {
                // The image is the one entry that is not a signature, attestation or referrer.
                let index = self.layout.index()?;
                let images: Vec<&Descriptor> = index
                    .manifests()
                    .iter()
                    .filter(|d| !ref_name(d).is_some_and(is_cosign_tag))
                    .filter(|d| ref_name(d).is_some() || !self.is_referrer(d))
                    .collect();
                match images.as_slice() {
                    [one] => (*one).clone(),
                    [] => return Err(LayoutError::Empty(self.where_()).into()),
                    many => {
                        let tags: Vec<&str> = many.iter().filter_map(|d| ref_name(d)).collect();
                        return Err(LayoutError::Ambiguous {
                            where_: self.where_(),
                            count: many.len(),
                            available: if tags.is_empty() {
                                "none".into()
                            } else {
                                tags.join(", ")
                            },
                        }
                        .into());
                    }
                }
            }
        };
        Ok(ResolvedImage {
            digest: Digest::from_oci(desc.digest()).map_err(LayoutError::from)?,
            media_type: media_type_str(&desc),
            size: desc.size(),
            identity: self.where_(),
        })
    }

    fn get_tagged(&mut self, tag: &str) -> Result<Option<Fetched>, StorageError> {
        let index = self.layout.index()?;
        let Some(desc) = index
            .manifests()
            .iter()
            .rev()
            .find(|d| ref_name(d) == Some(tag))
        else {
            return Ok(None);
        };
        let digest = Digest::from_oci(desc.digest()).map_err(LayoutError::from)?;
        let bytes = self.read(&digest, desc.size())?;
        Ok(Some(Fetched { bytes, digest }))
    }

    fn get_manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, StorageError> {
        let path = self.layout.blob_path(digest);
        let size = std::fs::metadata(&path)
            .map_err(|_| LayoutError::MissingBlob {
                where_: self.where_(),
                digest: digest.clone(),
            })?
            .len();
        self.read(digest, size)
    }

    fn get_blob(&mut self, digest: &Digest, size: u64, max: u64) -> Result<Vec<u8>, StorageError> {
        if size > max {
            return Err(StorageError::TooLarge {
                what: format!("blob {digest}"),
                size,
                max,
            });
        }
        Ok(self.layout.read_blob(digest, size, max)?)
    }

    fn put_blob(&mut self, bytes: &[u8]) -> Result<Digest, StorageError> {
        Ok(self.layout.write_blob_bytes(bytes)?)
    }

    fn put_tagged(&mut self, bytes: &[u8], tag: &str) -> Result<Digest, StorageError> {
        let d = self.layout.write_blob_bytes(bytes)?;
        let desc = media::descriptor(media::OCI_MANIFEST, &d, bytes.len() as u64)
            .map_err(LayoutError::from)?;
        self.layout.set_ref(&desc, Some(tag))?;
        Ok(d)
    }

    fn put_referrer(
        &mut self,
        bytes: &[u8],
        blobs: &[&[u8]],
        _subject: &Digest,
    ) -> Result<Digest, StorageError> {
        for b in blobs {
            self.layout.write_blob_bytes(b)?;
        }
        let d = self.layout.write_blob_bytes(bytes)?;
        let desc = media::descriptor(media::OCI_MANIFEST, &d, bytes.len() as u64)
            .map_err(LayoutError::from)?;
        self.layout.set_ref(&desc, None)?;
        Ok(d)
    }

    fn referrers(
        &mut self,
        subject: &Digest,
        artifact_type: &str,
    ) -> Result<Vec<Descriptor>, StorageError> {
        let index = self.layout.index()?;
        let subject_str = subject.to_string();
        let mut out = Vec::new();
        for desc in index.manifests() {
            if ref_name(desc).is_some() {
                continue;
            }
            let Ok(d) = Digest::from_oci(desc.digest()) else {
                continue;
            };
            let bytes = self.read(&d, desc.size())?;
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let names_subject = v
                .get("subject")
                .and_then(|s| s.get("digest"))
                .and_then(|s| s.as_str())
                == Some(subject_str.as_str());
            let kind = v.get("artifactType").and_then(|s| s.as_str());
            if names_subject && kind == Some(artifact_type) {
                out.push(desc.clone());
            }
        }
        Ok(out)
    }
}
