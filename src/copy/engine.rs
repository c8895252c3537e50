//! The copy engine: move an image from any source to any destination.
//!
//! A source ([`ImageSource`]) hands out the top manifest, child manifests and blob streams; a
//! destination ([`ImageDest`]) says whether it already has a blob, takes verified streams and
//! finally commits the top manifest under its tag. [`copy_image`] walks the manifest: config
//! first, then layers bottom-up, each blob streamed through a [`VerifyingReader`] so nothing
//! unverified is committed, blobs the destination has are skipped (or mounted from the
//! source's repository when both are on one registry), and manifests are passed on as their
//! raw bytes so digests are preserved. A destination that says it
//! [batches](ImageDest::batches_blobs) (a registry) gets the blobs of one manifest that the
//! source has as files in one [`ImageDest::put_blobs_from_paths`] call, after each was checked
//! and verified in order, and transfers them concurrently ([`PARALLEL_BLOBS`]); the manifest
//! is written only once all of them are done. An index is copied whole with
//! [`CopyOptions::all`]; otherwise one platform is chosen and its manifest becomes the top.
//!
//! The only conversion done unasked is the one a destination requires (a docker archive
//! stores uncompressed layers and does that itself). [`CopyOptions::format`] asks for
//! manifests in OCI or Docker media types ([`super::convert`]); blobs are never rewritten.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;
use serde_json::{json, Value};

use super::convert::convert_manifest;
use super::error::CopyError;
use crate::oci::digest::Digest;
use crate::oci::image::{
    media_type_str, select_platform, ImageError, Platform, RawManifest, VerifyingReader,
};
use crate::oci::json::to_canonical_vec;
use crate::oci::layout::MAX_CONFIG_SIZE;
use crate::oci::media::{self, MediaFlavor};
use crate::oci::reference::Reference;

/// What a blob is to the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobKind {
    /// The image config.
    Config,
    /// A filesystem layer.
    Layer,
    /// Anything else (artifact payloads, attestations).
    Other,
}

/// Where images come from.
pub trait ImageSource {
    /// The reference, for messages.
    fn describe(&self) -> String;
    /// The top manifest or index the reference names.
    fn root(&mut self) -> Result<RawManifest, CopyError>;
    /// A manifest or index referenced from the top one.
    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError>;
    /// The raw bytes of a blob (the engine verifies them).
    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError>;
    /// A file holding exactly the blob, when the source has one (lets uploads avoid a copy).
    fn blob_path(&mut self, _desc: &Descriptor) -> Option<PathBuf> {
        None
    }
    /// True when the files from [`ImageSource::blob_path`] are the source's private temporary
    /// copies (e.g. downloads), which a destination may take over by hard link instead of
    /// copying them. They must stay in place while the blob's reader is alive.
    fn blob_path_is_scratch(&self) -> bool {
        false
    }
    /// The registry repository the source reads from, so a destination on the same registry
    /// can mount blobs instead of copying them.
    fn mount_origin(&self) -> Option<Reference> {
        None
    }
    /// Spool downloads under `dir` (the destination's [`ImageDest::scratch_dir`]) instead of
    /// `$TMPDIR`, so a big pull needs no room there and blobs are linked, not copied, into
    /// place. Sources without downloads ignore it.
    fn spool_in(&mut self, _dir: &Path) {}
}

/// What a destination can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestCaps {
    /// Indexes (multi-platform images).
    pub index: bool,
    /// Manifests whose config is not an image config (artifacts).
    pub artifacts: bool,
}

/// Where images go.
pub trait ImageDest {
    /// The reference, for messages.
    fn describe(&self) -> String;
    /// What it can hold.
    fn caps(&self) -> DestCaps;
    /// True when the blob is already there (it will not be copied).
    fn has_blob(&mut self, desc: &Descriptor) -> Result<bool, CopyError>;
    /// Store a blob; `data` is verified against `desc` as it is read (a read error means the
    /// blob must not be kept).
    fn put_blob(
        &mut self,
        desc: &Descriptor,
        kind: &BlobKind,
        data: &mut dyn Read,
        source_path: Option<&Path>,
    ) -> Result<(), CopyError>;
    /// Store a manifest referenced from an index being copied.
    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError>;
    /// Store the top manifest and point the destination's tag at it.
    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError>;
    /// A directory on the destination's file system for a source's downloads
    /// ([`ImageSource::spool_in`]); `None` for destinations that are not files.
    fn scratch_dir(&self) -> Option<PathBuf> {
        None
    }
    /// Try to link the blob from another repository of the same registry; true when done.
    fn try_mount(&mut self, _desc: &Descriptor, _from: &Reference) -> Result<bool, CopyError> {
        Ok(false)
    }
    /// Take the already verified scratch file `path` as the blob `desc` without copying it
    /// (e.g. by hard link); false when that is not possible and the blob must be copied.
    fn adopt_blob(&mut self, _desc: &Descriptor, _path: &Path) -> Result<bool, CopyError> {
        Ok(false)
    }
    /// True when [`ImageDest::put_blobs_from_paths`] transfers a batch concurrently; only
    /// then does the engine hand blobs over in batches.
    fn batches_blobs(&self) -> bool {
        false
    }
    /// Store several blobs whose content is in the files given, already verified against their
    /// descriptors by the engine. The default stores them one at a time with
    /// [`ImageDest::put_blob`], verifying each file again as it is read.
    fn put_blobs_from_paths(
        &mut self,
        blobs: Vec<(Descriptor, BlobKind, PathBuf)>,
    ) -> Result<(), CopyError> {
        for (desc, kind, path) in blobs {
            let digest = Digest::from_oci(desc.digest())?;
            let blob_err = |source| CopyError::Blob {
                reference: self.describe(),
                digest: digest.clone(),
                source,
            };
            let file = std::fs::File::open(&path).map_err(blob_err)?;
            let mut r = VerifyingReader::new(io::BufReader::new(file), &digest, desc.size())
                .map_err(blob_err)?;
            self.put_blob(&desc, &kind, &mut r, Some(&path))?;
            io::copy(&mut r, &mut io::sink()).map_err(|source| CopyError::Blob {
                reference: self.describe(),
                digest: digest.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// Progress events of a copy.
pub trait Progress {
    /// A blob starts copying (`what` is "config", "layer" or "blob").
    fn blob_start(&self, _desc: &Descriptor, _what: &str) {}
    /// `n` more bytes of the current blob were copied.
    fn blob_bytes(&self, _n: u64) {}
    /// The blob is done (`skipped` when the destination already had it).
    fn blob_done(&self, _desc: &Descriptor, _skipped: bool) {}
    /// A manifest was written.
    fn manifest_done(&self, _m: &RawManifest) {}
}

/// A [`Progress`] that reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Options of a copy.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Platform to pick from an index (default: the host's).
    pub platform: Option<Platform>,
    /// Copy a whole index with every platform.
    pub all: bool,
    /// Rewrite manifests into this format (OCI or Docker schema 2 media types). `None` keeps
    /// every manifest byte-identical; a conversion changes manifest digests, never blobs.
    pub format: Option<MediaFlavor>,
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Digest of the top manifest written.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Blobs copied.
    pub copied: usize,
    /// Blobs skipped because the destination had them.
    pub skipped: usize,
    /// Blobs the destination linked from the source's repository (a cross-repository mount).
    pub mounted: usize,
    /// Bytes of blobs copied.
    pub bytes: u64,
}

/// Pick the manifest to use from `root`: itself for an image, the platform's entry for an
/// index (following nested indexes).
pub fn resolve_platform(
    src: &mut dyn ImageSource,
    root: RawManifest,
    platform: Option<&Platform>,
) -> Result<RawManifest, CopyError> {
    let want = platform.cloned().unwrap_or_else(Platform::host);
    let mut current = root;
    for _ in 0..8 {
        if !current.is_index() {
            return Ok(current);
        }
        let index = current.parse_index()?;
        let desc = select_platform(&index, &current.digest, &want)?;
        current = src.manifest(&desc)?;
    }
    Err(CopyError::Unsupported {
        reference: src.describe(),
        reason: "indexes nested more than 8 deep".to_string(),
    })
}

/// Copy the image `src` names into `dst`.
pub fn copy_image(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    opts: &CopyOptions,
    progress: &dyn Progress,
) -> Result<CopyReport, CopyError> {
    if let Some(dir) = dst.scratch_dir() {
        src.spool_in(&dir);
    }
    let root = src.root()?;
    let mut report = CopyReport {
        digest: root.digest.clone(),
        media_type: root.media_type.clone(),
        copied: 0,
        skipped: 0,
        mounted: 0,
        bytes: 0,
    };
    let top = if root.is_index() && opts.all {
        if !dst.caps().index {
            return Err(CopyError::Unsupported {
                reference: dst.describe(),
                reason: "holds a single image, not a multi-platform index".to_string(),
            });
        }
        copy_index_children(src, dst, &root, opts.format, progress, &mut report, 0)?
    } else {
        let m = resolve_platform(src, root, opts.platform.as_ref())?;
        let m = match opts.format {
            Some(to) => convert_manifest(&m, to)?,
            None => m,
        };
        copy_manifest_blobs(src, dst, &m, progress, &mut report)?;
        m
    };
    dst.commit(&top)?;
    progress.manifest_done(&top);
    report.digest = top.digest.clone();
    report.media_type = top.media_type.clone();
    Ok(report)
}

/// Copy everything an index references; returns the index to write (its own bytes, or a
/// rewritten one when a format conversion changed it or its children).
fn copy_index_children(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    index: &RawManifest,
    format: Option<MediaFlavor>,
    progress: &dyn Progress,
    report: &mut CopyReport,
    depth: usize,
) -> Result<RawManifest, CopyError> {
    if depth > 8 {
        return Err(CopyError::Unsupported {
            reference: src.describe(),
            reason: "indexes nested more than 8 deep".to_string(),
        });
    }
    let parsed = index.parse_index()?;
    let mut replaced: Vec<(String, RawManifest)> = Vec::new();
    for desc in parsed.manifests() {
        let mt = media_type_str(desc);
        if !media::is_manifest(&mt) && !media::is_index(&mt) {
            // Some other blob referenced from an index: copy it as is.
            copy_blob(src, dst, desc, &BlobKind::Other, progress, report)?;
            continue;
        }
        let child = src.manifest(desc)?;
        let written = if child.is_index() {
            copy_index_children(src, dst, &child, format, progress, report, depth + 1)?
        } else {
            let c = match format {
                Some(to) => convert_manifest(&child, to)?,
                None => child.clone(),
            };
            copy_manifest_blobs(src, dst, &c, progress, report)?;
            c
        };
        dst.put_manifest(&written)?;
        progress.manifest_done(&written);
        if written.digest != child.digest {
            replaced.push((child.digest.to_string(), written));
        }
    }
    let target = format.map(|f| match f {
        MediaFlavor::Oci => media::OCI_INDEX,
        MediaFlavor::Docker => media::DOCKER_MANIFEST_LIST,
    });
    if replaced.is_empty() && target.is_none_or(|t| t == index.media_type) {
        return Ok(index.clone());
    }
    let mut v: Value = serde_json::from_slice(&index.bytes).map_err(|source| ImageError::Json {
        what: "index",
        digest: index.digest.clone(),
        source,
    })?;
    if let Some(t) = target {
        v["mediaType"] = json!(t);
    }
    if let Some(list) = v.get_mut("manifests").and_then(Value::as_array_mut) {
        for entry in list.iter_mut() {
            let Some(old) = entry
                .get("digest")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            if let Some((_, new)) = replaced.iter().find(|(d, _)| *d == old) {
                entry["digest"] = json!(new.digest.to_string());
                entry["size"] = json!(new.size());
                entry["mediaType"] = json!(new.media_type);
            }
        }
    }
    Ok(RawManifest::new(to_canonical_vec(&v)?, None)?)
}

/// Copy the config and layers (or artifact blobs) of one image manifest; the manifest itself
/// is left to the caller.
pub(crate) fn copy_manifest_blobs(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    m: &RawManifest,
    progress: &dyn Progress,
    report: &mut CopyReport,
) -> Result<(), CopyError> {
    let manifest = m.parse_image()?;
    let config = manifest.config();
    let config_mt = media_type_str(config);
    let is_image = media::is_config(&config_mt);
    if !is_image && !dst.caps().artifacts {
        return Err(CopyError::Unsupported {
            reference: dst.describe(),
            reason: format!(
                "manifest {} is not a container image (config media type {config_mt})",
                m.digest
            ),
        });
    }
    if is_image && config.size() > MAX_CONFIG_SIZE {
        return Err(CopyError::Unsupported {
            reference: src.describe(),
            reason: format!(
                "config {} is {} bytes, over the {MAX_CONFIG_SIZE}-byte limit",
                config.digest(),
                config.size()
            ),
        });
    }
    let (config_kind, layer_kind) = if is_image {
        (BlobKind::Config, BlobKind::Layer)
    } else {
        (BlobKind::Other, BlobKind::Other)
    };
    let blobs: Vec<(&Descriptor, &BlobKind)> = std::iter::once((config, &config_kind))
        .chain(manifest.layers().iter().map(|l| (l, &layer_kind)))
        .collect();
    if dst.batches_blobs() && !src.blob_path_is_scratch() {
        return copy_blobs_batched(src, dst, &blobs, progress, report);
    }
    for (desc, kind) in blobs {
        copy_blob(src, dst, desc, kind, progress, report)?;
    }
    Ok(())
}

/// Blob transfers of one manifest a batching destination (a registry) runs at once.
pub const PARALLEL_BLOBS: usize = 4;

/// Copy the blobs of one manifest into a destination that transfers batches concurrently.
/// Each blob is checked (present, mountable) and its source file verified in order; the ones
/// left are handed over together, and all are done before the caller writes the manifest.
/// Blobs the source has no file for are copied one at a time as usual.
fn copy_blobs_batched(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    blobs: &[(&Descriptor, &BlobKind)],
    progress: &dyn Progress,
    report: &mut CopyReport,
) -> Result<(), CopyError> {
    let mut batch: Vec<(Descriptor, BlobKind, PathBuf)> = Vec::new();
    for &(desc, kind) in blobs {
        let Some(path) = src.blob_path(desc) else {
            copy_blob(src, dst, desc, kind, progress, report)?;
            continue;
        };
        progress.blob_start(desc, blob_what(kind));
        if batch.iter().any(|(d, _, _)| d.digest() == desc.digest()) {
            report.skipped += 1;
            progress.blob_done(desc, true);
            continue;
        }
        if skip_if_present(src, dst, desc, progress, report)? {
            continue;
        }
        let digest = Digest::from_oci(desc.digest())?;
        let reference = src.describe();
        let blob_err = |source| CopyError::Blob {
            reference: reference.clone(),
            digest: digest.clone(),
            source,
        };
        let raw = src.blob(desc)?;
        let verifying = VerifyingReader::new(raw, &digest, desc.size()).map_err(blob_err)?;
        let mut counting = CountingReader {
            inner: verifying,
            progress,
            count: 0,
        };
        io::copy(&mut counting, &mut io::sink()).map_err(blob_err)?;
        report.bytes += counting.count;
        batch.push((desc.clone(), kind.clone(), path));
    }
    if batch.is_empty() {
        return Ok(());
    }
    let done: Vec<Descriptor> = batch.iter().map(|(d, _, _)| d.clone()).collect();
    dst.put_blobs_from_paths(batch)?;
    for desc in &done {
        report.copied += 1;
        progress.blob_done(desc, false);
    }
    Ok(())
}

fn blob_what(kind: &BlobKind) -> &'static str {
    match kind {
        BlobKind::Config => "config",
        BlobKind::Layer => "layer",
        BlobKind::Other => "blob",
    }
}

/// Whether a blob must be transferred.
#[derive(PartialEq, Eq)]
enum Presence {
    /// The destination has it.
    Had,
    /// The destination linked it from the source's repository.
    Mounted,
    /// It must be copied.
    Missing,
}

/// Does the destination have the blob, or can it mount it from the source's repository?
fn presence(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    desc: &Descriptor,
) -> Result<Presence, CopyError> {
    if dst.has_blob(desc)? {
        return Ok(Presence::Had);
    }
    if let Some(origin) = src.mount_origin() {
        if dst.try_mount(desc, &origin)? {
            return Ok(Presence::Mounted);
        }
    }
    Ok(Presence::Missing)
}

/// Count a blob that was not transferred; false when it must be.
fn skip_if_present(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    desc: &Descriptor,
    progress: &dyn Progress,
    report: &mut CopyReport,
) -> Result<bool, CopyError> {
    match presence(src, dst, desc)? {
        Presence::Had => report.skipped += 1,
        Presence::Mounted => report.mounted += 1,
        Presence::Missing => return Ok(false),
    }
    progress.blob_done(desc, true);
    Ok(true)
}

/// Read a whole blob (a config) from a source, verified against its descriptor; blobs over
/// [`MAX_CONFIG_SIZE`] are refused before anything is read.
pub fn read_verified(src: &mut dyn ImageSource, desc: &Descriptor) -> Result<Vec<u8>, CopyError> {
    let digest = Digest::from_oci(desc.digest())?;
    let reference = src.describe();
    if desc.size() > MAX_CONFIG_SIZE {
        return Err(CopyError::Unsupported {
            reference,
            reason: format!(
                "config {digest} is {} bytes, over the {MAX_CONFIG_SIZE}-byte limit",
                desc.size()
            ),
        });
    }
    let raw = src.blob(desc)?;
    let mut r =
        VerifyingReader::new(raw, &digest, desc.size()).map_err(|source| CopyError::Blob {
            reference: reference.clone(),
            digest: digest.clone(),
            source,
        })?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|source| CopyError::Blob {
        reference,
        digest,
        source,
    })?;
    Ok(out)
}

/// Remembers the first read error of the source stream, so that a failure the destination
/// reports while reading it (a corrupt source blob) can be named after the source.
struct ErrorTap<R> {
    inner: R,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R: Read> Read for ErrorTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if self.failed.is_none() {
                self.failed = Some((e.kind(), e.to_string()));
            }
        })
    }
}

struct CountingReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
    count: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        self.progress.blob_bytes(n as u64);
        Ok(n)
    }
}

fn copy_blob(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    desc: &Descriptor,
    kind: &BlobKind,
    progress: &dyn Progress,
    report: &mut CopyReport,
) -> Result<(), CopyError> {
    progress.blob_start(desc, blob_what(kind));
    if skip_if_present(src, dst, desc, progress, report)? {
        return Ok(());
    }
    let digest = Digest::from_oci(desc.digest())?;
    let reference = src.describe();
    let path = src.blob_path(desc);
    let scratch = src.blob_path_is_scratch();
    let raw = src.blob(desc)?;
    let verifying =
        VerifyingReader::new(raw, &digest, desc.size()).map_err(|source| CopyError::Blob {
            reference: reference.clone(),
            digest: digest.clone(),
            source,
        })?;
    let mut counting = CountingReader {
        inner: ErrorTap {
            inner: verifying,
            failed: None,
        },
        progress,
        count: 0,
    };
    let blob_err = |source| CopyError::Blob {
        reference: reference.clone(),
        digest: digest.clone(),
        source,
    };
    if let (true, Some(p)) = (scratch, path.as_deref()) {
        // A private temporary file (a download): verify it by reading it once, then let the
        // destination take it over; copy it only when that is not possible. `counting` keeps
        // the source's file alive until then.
        io::copy(&mut counting, &mut io::sink()).map_err(blob_err)?;
        if !dst.adopt_blob(desc, p)? {
            let file = std::fs::File::open(p).map_err(blob_err)?;
            let mut again = VerifyingReader::new(io::BufReader::new(file), &digest, desc.size())
                .map_err(blob_err)?;
            dst.put_blob(desc, kind, &mut again, Some(p))?;
            io::copy(&mut again, &mut io::sink()).map_err(blob_err)?;
        }
        report.copied += 1;
        report.bytes += counting.count;
        progress.blob_done(desc, false);
        return Ok(());
    }
    if let Err(e) = dst.put_blob(desc, kind, &mut counting, path.as_deref()) {
        // The source stream failed (corrupt or unreadable): name the source, not the
        // destination that was reading it.
        return Err(match counting.inner.failed.take() {
            Some((kind, message)) => blob_err(io::Error::new(kind, message)),
            None => e,
        });
    }
    // Make sure the whole stream was read and verified even if the destination stopped early.
    io::copy(&mut counting, &mut io::sink()).map_err(|source| CopyError::Blob {
        reference: reference.clone(),
        digest: digest.clone(),
        source,
    })?;
    report.copied += 1;
    report.bytes += counting.count;
    progress.blob_done(desc, false);
    Ok(())
}
