//! Registries as copy transports: [`RegistrySource`] and [`RegistryDest`] adapt any
//! asynchronous [`Registry`] (the HTTP client, or a test fake) to the engine's blocking
//! [`ImageSource`]/[`ImageDest`] traits, running each operation on the library's one runtime
//! ([`crate::runtime::block_on`]).
//!
//! Pulled blobs arrive in verified temporary files (the client downloads, resumes and checks
//! them) in a locked scratch directory on the destination's file system when the destination
//! names one ([`ImageSource::spool_in`]; cleaned by the next run if this one is killed), in
//! `$TMPDIR` otherwise; pushed blobs are uploaded from the source's own file when it has one (OCI layouts,
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
use crate::oci::scratch::ScratchDir;
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
    /// Idle window of every transfer (default [`crate::registry::client::DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: Option<std::time::Duration>,
    /// Overall deadline of every registry operation.
    pub deadline: Option<crate::registry::client::Deadline>,
    /// TCP connect timeout (default [`RegistryConfig`]'s).
    pub connect_timeout: Option<std::time::Duration>,
    /// `--cert-dir`: `*.crt` CAs trusted for every registry.
    pub cert_dir: Option<std::path::PathBuf>,
}

fn client(reference: &Reference, opts: &RemoteOptions) -> Result<Arc<HttpRegistry>, CopyError> {
    let defaults = RegistryConfig::default();
    let config = RegistryConfig {
        insecure_hosts: opts.insecure_hosts.clone(),
        read_timeout: opts.idle_timeout.unwrap_or(defaults.read_timeout),
        deadline: opts.deadline,
        connect_timeout: opts.connect_timeout.unwrap_or(defaults.connect_timeout),
        tls: crate::registry::tls::TlsTrust {
            cert_dir: opts.cert_dir.clone(),
            hosts: vec![reference.api_host().to_string()],
            ..defaults.tls.clone()
        },
        ..defaults
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
    /// Where downloads go when the destination gave a directory. Declared after `cached` so
    /// the download is dropped before its directory.
    scratch: Option<ScratchDir>,
    /// The last download that failed (its digest and error), so that `blob` after a failed
    /// `blob_path` reports the failure instead of starting the whole download over.
    failed: Option<(Digest, CopyError)>,
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
            scratch: None,
            failed: None,
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
        if let Some((fd, e)) = self.failed.take() {
            if fd == d {
                return Err(e);
            }
        }
        let tmp = match &self.scratch {
            Some(s) => s.path().to_path_buf(),
            None => std::env::temp_dir(),
        };
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

    fn spool_in(&mut self, dir: &Path) {
        // Best effort: without a scratch directory there, downloads go to $TMPDIR as before.
        self.scratch = ScratchDir::new_in(dir).ok();
    }

    fn mount_origin(&self) -> Option<Reference> {
        Some(self.reference.clone())
    }

    fn blob_path_is_scratch(&self) -> bool {
        true
    }

    fn blob_path(&mut self, desc: &Descriptor) -> Option<PathBuf> {
        // Only worth a download ahead of `blob` for blobs that will be uploaded from a file.
        // A failure is kept for `blob` to report: the client already retried it.
        let blob = match self.download(desc) {
            Ok(b) => b,
            Err(e) => {
                if let Ok(d) = Digest::from_oci(desc.digest()) {
                    self.failed = Some((d, e));
                }
                return None;
            }
        };
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::copy::engine::{copy_image, CopyOptions, CopyReport, NoProgress};
    use crate::copy::fake_registry::Fake;
    use crate::copy::memory::MemorySource;
    use crate::copy::referrers::attach_referrer;
    use crate::copy::store::StoreSource;
    use crate::oci::digest::digest_bytes;
    use crate::oci::media;
    use crate::oci::store::Store;

    fn r(s: &str) -> Reference {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    /// A config and `layers` layers (the last one 5000 bytes), in a store.
    struct Img {
        _dir: tempfile::TempDir,
        store: Store,
        manifest: RawManifest,
        digests: Vec<Digest>,
    }

    fn image(layers: usize) -> Img {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
                .to_vec();
        let mut blobs = vec![config];
        for i in 0..layers {
            let size = if i + 1 == layers { 5000 } else { 100 + i };
            blobs.push(vec![i as u8; size]);
        }
        let desc = |mt: &str, b: &[u8]| serde_json::json!({"mediaType": mt, "digest": digest_bytes(b).to_string(), "size": b.len()});
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": desc(media::OCI_CONFIG, &blobs[0]),
            "layers": blobs[1..].iter().map(|b| desc(media::OCI_LAYER_GZIP, b)).collect::<Vec<_>>(),
        });
        for b in &blobs {
            store.put_bytes(b).unwrap_or_else(|e| panic!("{e}"));
        }
        let bytes = serde_json::to_vec(&manifest).unwrap_or_else(|e| panic!("{e}"));
        Img {
            _dir: dir,
            store,
            manifest: RawManifest::new(bytes, None).unwrap_or_else(|e| panic!("{e}")),
            digests: blobs.iter().map(|b| digest_bytes(b)).collect(),
        }
    }

    fn policy() -> UploadPolicy {
        UploadPolicy {
            chunk_threshold: 1000,
            chunk_size: 512,
        }
    }

    fn push(fake: &Arc<Fake>, img: &Img, to: &str, tags: &[&str]) -> Result<CopyReport, CopyError> {
        let mut src = StoreSource::from_manifest(img.store.clone(), img.manifest.clone());
        let mut dst = RegistryDest::with_client(fake.clone(), &r(to))
            .with_policy(policy())
            .with_tags(tags.iter().map(|t| t.to_string()).collect());
        copy_image(&mut src, &mut dst, &CopyOptions::default(), &NoProgress)
    }

    #[test]
    fn blobs_four_at_a_time_then_manifest_by_digest_then_tags_and_unchanged_push_uploads_nothing() {
        let fake = Arc::new(Fake::default());
        let img = image(7);
        let rep =
            push(&fake, &img, "reg.example/app:1", &["latest"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rep.copied, rep.skipped), (8, 0));
        assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), PARALLEL_BLOBS);
        let calls = fake.calls();
        let first_manifest = calls.iter().position(|c| c.starts_with("manifest"));
        let last_push = calls.iter().rposition(|c| c.starts_with("push"));
        assert!(last_push < first_manifest, "{calls:?}");
        let manifests: Vec<&String> = calls.iter().filter(|c| c.starts_with("manifest")).collect();
        assert_eq!(manifests.len(), 3, "{calls:?}");
        assert!(manifests[0].ends_with(&img.manifest.digest.to_string()));
        assert!(manifests[1].ends_with(" 1") && manifests[2].ends_with(" latest"));
        // Only the large layer goes in chunks.
        assert_eq!(
            calls.iter().filter(|c| c.contains("Chunked(512)")).count(),
            1
        );
        assert_eq!(calls.iter().filter(|c| c.contains("Monolithic")).count(), 7);

        let again = push(&fake, &img, "reg.example/app:1", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((again.copied, again.skipped), (0, 8));
    }

    #[test]
    fn copies_between_repositories_mount_and_fall_back_to_upload() {
        let fake = Arc::new(Fake::default());
        let img = image(2);
        push(&fake, &img, "reg.example/a:1", &[]).unwrap_or_else(|e| panic!("{e}"));
        let copy = |fake: &Arc<Fake>, to: &str| {
            let mut src = RegistrySource::with_client(fake.clone(), &r("reg.example/a:1"));
            let mut dst = RegistryDest::with_client(fake.clone(), &r(to));
            copy_image(&mut src, &mut dst, &CopyOptions::default(), &NoProgress)
        };
        let rep = copy(&fake, "reg.example/b:1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rep.mounted, rep.copied), (3, 0));
        assert!(img.digests.iter().all(|d| fake.repos_with(d).contains("b")));

        // A registry that refuses mounts gets the blobs uploaded instead.
        let failing = Arc::new(Fake {
            mount_fails: true,
            ..Fake::default()
        });
        push(&failing, &img, "reg.example/a:1", &[]).unwrap_or_else(|e| panic!("{e}"));
        let rep = copy(&failing, "reg.example/c:1")
            .unwrap_or_else(|e| panic!("a failed mount must fall back to uploading: {e}"));
        assert_eq!((rep.mounted, rep.copied), (0, 3));
        assert!(failing.calls().iter().any(|c| c.starts_with("mount c")));
        assert!(img
            .digests
            .iter()
            .all(|d| failing.repos_with(d).contains("c")));
    }

    #[test]
    fn registry_status_reaches_the_caller_typed() {
        let fake = Arc::new(Fake {
            head_status: Some(429),
            ..Fake::default()
        });
        let err = push(&fake, &image(1), "reg.example/app:1", &[]).err();
        assert_eq!(
            err.as_ref().and_then(CopyError::status),
            Some(429),
            "{err:?}"
        );
        assert!(err.as_ref().and_then(CopyError::hint).is_some());
    }

    #[test]
    fn referrer_index_is_kept_under_the_fallback_tag() {
        let fake = Arc::new(Fake::default());
        let img = image(1);
        push(&fake, &img, "reg.example/app:1", &[]).unwrap_or_else(|e| panic!("{e}"));
        let subject = &img.manifest;
        let empty = b"{}".to_vec();
        let empty_d = digest_bytes(&empty);
        let art = |t: &str| {
            let v = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media::OCI_MANIFEST,
                "artifactType": t,
                "config": {"mediaType": media::OCI_EMPTY, "digest": empty_d.to_string(), "size": 2},
                "layers": [{"mediaType": media::OCI_EMPTY, "digest": empty_d.to_string(), "size": 2}],
                "subject": {"mediaType": media::OCI_MANIFEST, "digest": subject.digest.to_string(), "size": subject.size()},
                "annotations": {"k": "v"},
            });
            let bytes = serde_json::to_vec(&v).unwrap_or_else(|e| panic!("{e}"));
            RawManifest::new(bytes, None).unwrap_or_else(|e| panic!("{e}"))
        };
        let attach = |fake: &Arc<Fake>, m: RawManifest| {
            let mut src = MemorySource::new(m, vec![empty.clone()]);
            let mut dst = RegistryDest::with_client(fake.clone(), &r("reg.example/app:1"));
            attach_referrer(&mut src, &mut dst, &NoProgress).unwrap_or_else(|e| panic!("{e}"))
        };
        let d1 = attach(&fake, art("x/sig"));
        attach(&fake, art("x/sbom"));
        attach(&fake, art("x/sig"));
        assert_eq!(fake.repos_with(&empty_d).len(), 1, "artifact blobs pushed");
        let tag = format!("sha256-{}", subject.digest.hex());
        let index =
            crate::runtime::block_on(fake.get_manifest(&r(&format!("reg.example/app:{tag}"))))
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(index.media_type, media::OCI_INDEX);
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
        // The referrers themselves are untagged: the only tags are the image's and the index's.
        let tags: BTreeSet<String> = fake
            .calls()
            .iter()
            .filter_map(|c| c.strip_prefix("manifest app "))
            .filter(|t| !t.starts_with("sha256:"))
            .map(str::to_string)
            .collect();
        assert_eq!(tags, BTreeSet::from(["1".to_string(), tag.clone()]));

        // A registry with the referrers API gets no fallback tag.
        let modern = Arc::new(Fake {
            subject_api: true,
            ..Fake::default()
        });
        attach(&modern, art("x/sig"));
        assert!(!modern.calls().iter().any(|c| c.contains(&tag)));

        // A manifest without a subject is not a referrer.
        let mut src = MemorySource::new(img.manifest.clone(), Vec::new());
        let mut dst = RegistryDest::with_client(modern.clone(), &r("reg.example/app:1"));
        assert!(attach_referrer(&mut src, &mut dst, &NoProgress).is_err());
    }
}
