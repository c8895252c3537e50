//! Registries as copy-engine transports: [`RegistrySource`] and [`RegistryDest`] adapt the
//! asynchronous [`crate::registry::Registry`] client to the engine's blocking
//! [`ImageSource`]/[`ImageDest`] traits with a private current-thread tokio runtime.
//!
//! Pulled blobs arrive in verified temporary files (the client downloads, resumes and checks
//! them); pushed blobs are uploaded from the source's own file when it has one (OCI layouts),
//! otherwise the verified stream is spooled to a temporary file first, because uploads are
//! retried and must be able to start over. Blobs handed over as a batch of files are uploaded
//! [`PARALLEL_BLOBS`] at a time on the runtime. Manifests are pushed as their raw bytes, by digest
//! for index children and under the destination's tag for the top one.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::copy::{BlobKind, CopyError, DestCaps, ImageDest, ImageSource, PARALLEL_BLOBS};
use super::digest::{Digest, Sha256Writer};
use super::image::RawManifest;
use super::reference::Reference;
use crate::registry::{
    BlobSource, HttpRegistry, MountOutcome, Registry, RegistryConfig, RegistryError, UploadMode,
    VerifiedBlob,
};

/// Blobs up to this size are uploaded from memory.
const SMALL_BLOB: u64 = 1 << 20;
/// Blobs above this size are uploaded in chunks.
const CHUNK_THRESHOLD: u64 = 64 << 20;

/// Chunked above [`CHUNK_THRESHOLD`], in one request otherwise.
fn upload_mode(size: u64) -> UploadMode {
    if size > CHUNK_THRESHOLD {
        UploadMode::Chunked(crate::registry::client::DEFAULT_CHUNK_SIZE)
    } else {
        UploadMode::Monolithic
    }
}

/// Registry settings the CLI passes on.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    /// Hosts reached over plain HTTP.
    pub insecure_hosts: Vec<String>,
}

fn runtime(reference: &Reference) -> Result<tokio::runtime::Runtime, CopyError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CopyError::Registry {
            reference: reference.to_string(),
            message: format!("cannot start the async runtime: {e}"),
            hint: None,
        })
}

fn client(reference: &Reference, opts: &RemoteOptions) -> Result<HttpRegistry, CopyError> {
    let config = RegistryConfig {
        insecure_hosts: opts.insecure_hosts.clone(),
        ..RegistryConfig::default()
    };
    HttpRegistry::new(config).map_err(|e| reg_err(reference, e))
}

/// Turn a registry error into a copy error naming the reference, with a hint by kind.
pub fn reg_err(reference: &Reference, e: RegistryError) -> CopyError {
    let hint = match &e {
        RegistryError::Unauthorized { .. } | RegistryError::Auth(_) => Some(
            "log in with `hoist login -u USER --password-stdin HOST`, or check the credentials",
        ),
        RegistryError::Status {
            status: 401 | 403, ..
        } => {
            Some("log in with `hoist login`, and check that the account may access this repository")
        }
        e if e.is_not_found() => Some("check the repository name and the tag or digest"),
        RegistryError::Status { status: 429, .. } => {
            Some("the registry is rate limiting; wait and retry, or log in")
        }
        RegistryError::Transport { .. } => {
            Some("check the host and port; a registry without TLS needs --insecure-registry HOST")
        }
        RegistryError::DigestMismatch { .. } | RegistryError::SizeMismatch { .. } => {
            Some("the registry served content that does not match its digest")
        }
        RegistryError::Setup(_) => Some("check the CA bundle and TLS settings"),
        _ => None,
    };
    CopyError::Registry {
        reference: reference.to_string(),
        message: e.to_string(),
        hint,
    }
}

/// A registry image as a source.
pub struct RegistrySource {
    reference: Reference,
    client: HttpRegistry,
    rt: tokio::runtime::Runtime,
    /// The last blob downloaded, kept so `blob_path` and `blob` share one download.
    cached: Option<VerifiedBlob>,
}

impl RegistrySource {
    /// Prepare to read `reference` (nothing is fetched yet).
    pub fn open(reference: &Reference, opts: &RemoteOptions) -> Result<RegistrySource, CopyError> {
        Ok(RegistrySource {
            reference: reference.clone(),
            client: client(reference, opts)?,
            rt: runtime(reference)?,
            cached: None,
        })
    }

    fn fetch(&self, r: &Reference) -> Result<RawManifest, CopyError> {
        let m = self
            .rt
            .block_on(self.client.get_manifest(r))
            .map_err(|e| reg_err(r, e))?;
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
        self.rt
            .block_on(
                self.client
                    .get_blob(&self.reference, &d, Some(desc.size()), &tmp),
            )
            .map_err(|e| reg_err(&self.reference, e))
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

impl ImageSource for RegistrySource {
    fn describe(&self) -> String {
        format!("docker://{}", self.reference)
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        let m = self.fetch(&self.reference)?;
        if let Some(want) = self.reference.digest() {
            if *want != m.digest {
                return Err(CopyError::Registry {
                    reference: self.reference.to_string(),
                    message: format!("the registry served manifest {} instead", m.digest),
                    hint: None,
                });
            }
        }
        Ok(m)
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let m = self.fetch(&self.reference.with_digest(d.clone()))?;
        if m.digest != d {
            return Err(CopyError::Registry {
                reference: self.reference.to_string(),
                message: format!("asked for manifest {d}, got {}", m.digest),
                hint: None,
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
pub struct RegistryDest {
    reference: Reference,
    client: HttpRegistry,
    rt: tokio::runtime::Runtime,
    pushed: Option<Digest>,
}

impl RegistryDest {
    /// Prepare to push to `reference` (its tag is applied on commit).
    pub fn open(reference: &Reference, opts: &RemoteOptions) -> Result<RegistryDest, CopyError> {
        Ok(RegistryDest {
            reference: reference.clone(),
            client: client(reference, opts)?,
            rt: runtime(reference)?,
            pushed: None,
        })
    }

    /// `HOST/REPO@sha256:…` of the pushed top manifest, after commit.
    pub fn pushed_reference(&self) -> Option<String> {
        self.pushed
            .as_ref()
            .map(|d| format!("{}@{d}", self.reference.name()))
    }

    fn push_manifest(&self, m: &RawManifest, tags: &[String]) -> Result<(), CopyError> {
        let put = self
            .rt
            .block_on(
                self.client
                    .put_manifest(&self.reference, &m.bytes, &m.media_type, tags),
            )
            .map_err(|e| reg_err(&self.reference, e))?;
        if put.digest != m.digest {
            return Err(CopyError::Registry {
                reference: self.reference.to_string(),
                message: format!(
                    "manifest {} was stored as {} by the registry",
                    m.digest, put.digest
                ),
                hint: None,
            });
        }
        Ok(())
    }
}

impl ImageDest for RegistryDest {
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
        let found = self
            .rt
            .block_on(self.client.head_blob(&self.reference, &d))
            .map_err(|e| reg_err(&self.reference, e))?;
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
        let mode = upload_mode(size);
        self.rt
            .block_on(
                self.client
                    .push_blob(&self.reference, &d, size, &source, mode),
            )
            .map_err(|e| reg_err(&self.reference, e))?;
        Ok(())
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
            uploads.push((d, size, source, upload_mode(size)));
        }
        let client = &self.client;
        let target = &self.reference;
        let result = self.rt.block_on(
            stream::iter(uploads.iter())
                .map(|(d, size, source, mode)| async move {
                    client
                        .push_blob(target, d, *size, source, *mode)
                        .await
                        .map_err(|e| (d.clone(), e))
                })
                .buffer_unordered(PARALLEL_BLOBS.max(1))
                .try_collect::<Vec<()>>(),
        );
        result.map_err(|(d, e)| match reg_err(&self.reference, e) {
            CopyError::Registry {
                reference,
                message,
                hint,
            } => CopyError::Registry {
                reference,
                message: format!("blob {d}: {message}"),
                hint,
            },
            other => other,
        })?;
        Ok(())
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.push_manifest(m, &[])
    }

    fn try_mount(&mut self, desc: &Descriptor, from: &Reference) -> Result<bool, CopyError> {
        if from.domain() != self.reference.domain()
            || from.repository() == self.reference.repository()
        {
            return Ok(false);
        }
        let d = Digest::from_oci(desc.digest())?;
        // A failed mount is not an error: the blob is then copied the ordinary way.
        let outcome = self
            .rt
            .block_on(self.client.mount_blob(&self.reference, from, &d));
        Ok(matches!(outcome, Ok(MountOutcome::Mounted)))
    }

    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        let tags: Vec<String> = self
            .reference
            .tag()
            .map(str::to_string)
            .into_iter()
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
