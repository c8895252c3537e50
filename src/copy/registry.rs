//! Registries as copy transports: [`RegistrySource`] and [`RegistryDest`] adapt any
//! asynchronous [`Registry`] (the HTTP client, or a test fake) to the engine's blocking
//! [`ImageSource`]/[`ImageDest`] traits, running each operation on the library's one runtime
//! ([`crate::runtime::block_on`]).
//!
//! Pulled blobs arrive in verified temporary files (the client downloads, resumes and checks
//! them); pushed blobs are uploaded from the source's own file when it has one (OCI layouts,
//! the content store), otherwise the verified stream is spooled to a temporary file first,
//! because uploads are retried and must be able to start over. Blobs handed over as a batch of
//! files are uploaded [`PARALLEL_BLOBS`] at a time. Every blob is HEAD-checked first (present
//! blobs are skipped) and offered for a cross-repository mount when the source is another
//! repository of the same registry. Manifests are pushed as their raw bytes, by digest for
//! index children and for the top one, then under each tag, so a tag never points at an
//! incomplete image. Uploads are monolithic up to [`UploadPolicy::chunk_threshold`], chunked
//! above it.

use std::fs::File;
use std::future::Future;
use std::io::{self, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use oci_spec::image::Descriptor;

use super::engine::{BlobKind, DestCaps, ImageDest, ImageSource, PARALLEL_BLOBS};
use super::error::CopyError;
use crate::oci::digest::{Digest, Sha256Writer};
use crate::oci::image::RawManifest;
use crate::oci::reference::Reference;
use crate::registry::client::DEFAULT_CHUNK_SIZE;
use crate::registry::{
    BlobSource, HttpRegistry, MountOutcome, Registry, RegistryConfig, RegistryError, UploadMode,
    VerifiedBlob,
};

/// Blobs up to this size are uploaded from memory.
const SMALL_BLOB: u64 = 1 << 20;

/// How blobs are uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Blobs larger than this are uploaded in chunks (default 64 MiB).
    pub chunk_threshold: u64,
    /// Size of each chunk (default [`DEFAULT_CHUNK_SIZE`], 64 MiB).
    pub chunk_size: usize,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        UploadPolicy {
            chunk_threshold: 64 << 20,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

impl UploadPolicy {
    /// Chunked above the threshold, in one request otherwise.
    fn mode(&self, size: u64) -> UploadMode {
        if size > self.chunk_threshold {
            UploadMode::Chunked(self.chunk_size.max(1))
        } else {
            UploadMode::Monolithic
        }
    }
}

/// Registry settings the CLI passes on.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    /// Hosts reached over plain HTTP.
    pub insecure_hosts: Vec<String>,
}

fn client(reference: &Reference, opts: &RemoteOptions) -> Result<Arc<HttpRegistry>, CopyError> {
    let config = RegistryConfig {
        insecure_hosts: opts.insecure_hosts.clone(),
        ..RegistryConfig::default()
    };
    HttpRegistry::new(config)
        .map(Arc::new)
        .map_err(|e| CopyError::registry(reference, e))
}

/// Run a registry operation on the shared runtime; errors name `reference`.
fn run<T>(
    reference: &Reference,
    fut: impl Future<Output = Result<T, RegistryError>>,
) -> Result<T, CopyError> {
    crate::runtime::block_on(fut)?.map_err(|e| CopyError::registry(reference, e))
}

/// A registry image as a source.
pub struct RegistrySource<R: Registry = HttpRegistry> {
    reference: Reference,
    client: Arc<R>,
    /// The last blob downloaded, kept so `blob_path` and `blob` share one download.
    cached: Option<VerifiedBlob>,
}

impl RegistrySource<HttpRegistry> {
    /// Prepare to read `reference` over HTTP (nothing is fetched yet).
    pub fn open(reference: &Reference, opts: &RemoteOptions) -> Result<Self, CopyError> {
        Ok(RegistrySource::with_client(
            client(reference, opts)?,
            reference,
        ))
    }
}

impl<R: Registry> RegistrySource<R> {
    /// Read `reference` through `client` (shared with other sources and destinations).
    pub fn with_client(client: Arc<R>, reference: &Reference) -> Self {
        RegistrySource {
            reference: reference.clone(),
            client,
            cached: None,
        }
    }

    fn fetch(&self, r: &Reference) -> Result<RawManifest, CopyError> {
        let m = run(r, self.client.get_manifest(r))?;
        Ok(RawManifest::new(m.bytes, Some(&m.media_type))?)
    }

    /// Download a blob into a verified temporary file (or reuse the last download).
    fn download(&mut self, desc: &Descriptor) -> Result<VerifiedBlob, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        if let Some(b) = self.cached.take() {
            if b.digest == d {
                return Ok(b);
            }
        }
        let tmp = std::env::temp_dir();
        run(
            &self.reference,
            self.client
                .get_blob(&self.reference, &d, Some(desc.size()), &tmp),
        )
    }
}

/// A downloaded blob read from its temporary file (deleted when dropped).
struct TempBlob {
    _blob: VerifiedBlob,
    file: BufReader<File>,
}

impl Read for TempBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl<R: Registry> ImageSource for RegistrySource<R> {
    fn describe(&self) -> String {
        format!("docker://{}", self.reference)
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        let m = self.fetch(&self.reference)?;
        if let Some(want) = self.reference.digest() {
            if *want != m.digest {
                return Err(CopyError::Mismatch {
                    reference: self.reference.to_string(),
                    message: format!("the registry served manifest {} instead", m.digest),
                });
            }
        }
        Ok(m)
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let m = self.fetch(&self.reference.with_digest(d.clone()))?;
        if m.digest != d {
            return Err(CopyError::Mismatch {
                reference: self.reference.to_string(),
                message: format!("asked for manifest {d}, got {}", m.digest),
            });
        }
        Ok(m)
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let blob = self.download(desc)?;
        let file = blob.file.reopen().map_err(|source| CopyError::Blob {
            reference: self.describe(),
            digest: blob.digest.clone(),
            source,
        })?;
        Ok(Box::new(TempBlob {
            _blob: blob,
            file: BufReader::new(file),
        }))
    }

    fn mount_origin(&self) -> Option<Reference> {
        Some(self.reference.clone())
    }

    fn blob_path_is_scratch(&self) -> bool {
        true
    }

    fn blob_path(&mut self, desc: &Descriptor) -> Option<PathBuf> {
        // Only worth a download ahead of `blob` for blobs that will be uploaded from a file.
        let blob = self.download(desc).ok()?;
        let path = blob.file.path().to_path_buf();
        self.cached = Some(blob);
        Some(path)
    }
}

/// A registry repository as a destination.
pub struct RegistryDest<R: Registry = HttpRegistry> {
    reference: Reference,
    client: Arc<R>,
    policy: UploadPolicy,
    /// Tags applied besides the reference's own.
    extra_tags: Vec<String>,
    pushed: Option<Digest>,
}

impl RegistryDest<HttpRegistry> {
    /// Prepare to push to `reference` over HTTP (its tag is applied on commit).
    pub fn open(reference: &Reference, opts: &RemoteOptions) -> Result<Self, CopyError> {
        Ok(RegistryDest::with_client(
            client(reference, opts)?,
            reference,
        ))
    }
}

impl<R: Registry> RegistryDest<R> {
    /// Push to `reference` through `client` (shared with other sources and destinations).
    pub fn with_client(client: Arc<R>, reference: &Reference) -> Self {
        RegistryDest {
            reference: reference.clone(),
            client,
            policy: UploadPolicy::default(),
            extra_tags: Vec::new(),
            pushed: None,
        }
    }

    /// Upload blobs with this policy.
    pub fn with_policy(mut self, policy: UploadPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Also apply these tags to the top manifest on commit (after the reference's own).
    pub fn with_tags(mut self, tags: Vec<String>) -> Self {
        self.extra_tags = tags;
        self
    }

    /// The repository pushed to.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The registry client.
    pub fn client(&self) -> &Arc<R> {
        &self.client
    }

    /// `HOST/REPO@sha256:…` of the pushed top manifest, after commit.
    pub fn pushed_reference(&self) -> Option<String> {
        self.pushed
            .as_ref()
            .map(|d| format!("{}@{d}", self.reference.name()))
    }

    /// Push manifest bytes by digest, then under `tags`; returns whether the registry
    /// acknowledged a `subject` (it indexes referrers itself).
    pub(crate) fn push_manifest(
        &self,
        m: &RawManifest,
        tags: &[String],
    ) -> Result<bool, CopyError> {
        let put = run(
            &self.reference,
            self.client
                .put_manifest(&self.reference, &m.bytes, &m.media_type, tags),
        )?;
        if put.digest != m.digest {
            return Err(CopyError::Mismatch {
                reference: self.reference.to_string(),
                message: format!(
                    "manifest {} was stored as {} by the registry",
                    m.digest, put.digest
                ),
            });
        }
        Ok(put.subject_acknowledged)
    }
}

impl<R: Registry> ImageDest for RegistryDest<R> {
    fn describe(&self) -> String {
        format!("docker://{}", self.reference)
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: true,
            artifacts: true,
        }
    }

    fn has_blob(&mut self, desc: &Descriptor) -> Result<bool, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let found = run(&self.reference, self.client.head_blob(&self.reference, &d))?;
        Ok(found == Some(desc.size()))
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        _kind: &BlobKind,
        data: &mut dyn Read,
        source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let size = desc.size();
        let blob_err = |source: io::Error| CopyError::Blob {
            reference: format!("docker://{}", self.reference),
            digest: d.clone(),
            source,
        };
        // Keep the spool file alive until the upload is done.
        let mut _spool: Option<tempfile::NamedTempFile> = None;
        let source = if size <= SMALL_BLOB {
            let mut bytes = Vec::new();
            data.read_to_end(&mut bytes).map_err(blob_err)?;
            BlobSource::Bytes(bytes)
        } else if let Some(p) = source_path {
            // The source's own file: verify it by reading it once, then upload from it.
            io::copy(data, &mut io::sink()).map_err(blob_err)?;
            BlobSource::File(p.to_path_buf())
        } else {
            let tmp = tempfile::Builder::new()
                .prefix("hoist-upload-")
                .tempfile()
                .map_err(blob_err)?;
            let mut w = Sha256Writer::new(BufWriter::new(tmp));
            io::copy(data, &mut w).map_err(blob_err)?;
            let (buf, _, _) = w.finish();
            let tmp = buf.into_inner().map_err(|e| blob_err(e.into_error()))?;
            let path = tmp.path().to_path_buf();
            _spool = Some(tmp);
            BlobSource::File(path)
        };
        let mode = self.policy.mode(size);
        run(
            &self.reference,
            self.client
                .push_blob(&self.reference, &d, size, &source, mode),
        )
    }

    fn batches_blobs(&self) -> bool {
        true
    }

    fn put_blobs_from_paths(
        &mut self,
        blobs: Vec<(Descriptor, BlobKind, PathBuf)>,
    ) -> Result<(), CopyError> {
        let mut uploads = Vec::with_capacity(blobs.len());
        for (desc, _, path) in blobs {
            let d = Digest::from_oci(desc.digest())?;
            let size = desc.size();
            let source = if size <= SMALL_BLOB {
                let bytes = std::fs::read(&path).map_err(|source| CopyError::Blob {
                    reference: self.describe(),
                    digest: d.clone(),
                    source,
                })?;
                BlobSource::Bytes(bytes)
            } else {
                BlobSource::File(path)
            };
            uploads.push((d, size, source, self.policy.mode(size)));
        }
        let client = &self.client;
        let target = &self.reference;
        let result = crate::runtime::block_on(
            stream::iter(uploads.iter())
                .map(|(d, size, source, mode)| async move {
                    client
                        .push_blob(target, d, *size, source, *mode)
                        .await
                        .map_err(|e| (d.clone(), e))
                })
                .buffer_unordered(PARALLEL_BLOBS.max(1))
                .try_collect::<Vec<()>>(),
        )?;
        result.map_err(|(d, source)| CopyError::Registry {
            reference: self.reference.to_string(),
            what: format!("blob {d}: "),
            source: Box::new(source),
        })?;
        Ok(())
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.push_manifest(m, &[]).map(|_| ())
    }

    fn try_mount(&mut self, desc: &Descriptor, from: &Reference) -> Result<bool, CopyError> {
        if from.domain() != self.reference.domain()
            || from.repository() == self.reference.repository()
        {
            return Ok(false);
        }
        let d = Digest::from_oci(desc.digest())?;
        // A failed mount is not an error: the blob is then copied the ordinary way.
        let outcome = crate::runtime::block_on(self.client.mount_blob(&self.reference, from, &d))?;
        Ok(matches!(outcome, Ok(MountOutcome::Mounted)))
    }

    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        let tags: Vec<String> = self
            .reference
            .tag()
            .map(str::to_string)
            .into_iter()
            .chain(self.extra_tags.iter().cloned())
            .collect();
        if let Some(want) = self.reference.digest() {
            if *want != root.digest {
                return Err(CopyError::Unsupported {
                    reference: self.reference.to_string(),
                    reason: format!("the image's digest is {}, not the one named", root.digest),
                });
            }
        }
        self.push_manifest(root, &tags)?;
        self.pushed = Some(root.digest.clone());
        Ok(())
    }
}
