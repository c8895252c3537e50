//! The copy engine: move an image from any transport to any other.
//!
//! A source ([`ImageSource`]) hands out the top manifest, child manifests and blob streams; a
//! destination ([`ImageDest`]) says whether it already has a blob, takes verified streams and
//! finally commits the top manifest under its tag. [`copy_image`] walks the manifest: config
//! first, then layers bottom-up, each blob streamed through a [`VerifyingReader`] so nothing
//! unverified is committed, blobs the destination has are skipped, and manifests are passed on
//! as their raw bytes so digests are preserved. A destination that says it
//! [batches](ImageDest::batches_blobs) (a registry) gets the blobs of one manifest that the
//! source has as files in one [`ImageDest::put_blobs_from_paths`] call, after each was checked
//! and verified in order, and transfers them concurrently ([`PARALLEL_BLOBS`]); the manifest
//! is written only once all of them are done. An index is copied whole with
//! [`CopyOptions::all`]; otherwise one platform is chosen and its manifest becomes the top.
//!
//! The only conversion done unasked is the one a destination requires: a docker archive
//! stores layers as uncompressed tars (checked against the config's diffIDs), which it does
//! itself when given a compressed stream. [`CopyOptions::format`] asks for manifests in OCI or
//! Docker media types ([`convert_manifest`]); blobs are never rewritten. A registry
//! destination mounts blobs from a source repository on the same registry instead of copying.
//!
//! Local transports live here: OCI layouts, oci-archive, docker-archive and hoist's content
//! store ([`StoreSource`]/[`StoreDest`], by store ref). [`open_local_source`] and
//! [`open_local_dest`] map an [`ImageRef`] to one of the file transports; registries are in
//! [`super::remote`].

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;
use serde_json::{json, Value};

use super::archive::{self, ArchiveError, DockerArchiveWriter, TarIndex, TarSink};
use super::digest::{digest_bytes, Digest, DigestError};
use super::image::{
    diff_ids, media_type_str, parse_config, select_platform, ImageError, Platform, RawManifest,
    VerifyingReader,
};
use super::json::{to_canonical_vec, JsonError};
use super::layout::{
    resolve_in_index, LayoutError, OciLayout, LAYOUT_FILE_CONTENT, MAX_CONFIG_SIZE,
    MAX_MANIFEST_SIZE, REF_NAME,
};
use super::media::{self, layer_compression, layer_media_type, LayerCompression, MediaFlavor};
use super::reference::{ImageRef, Reference};
use super::store::{Expected, Store, StoreError};

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// An OCI layout operation failed.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// An archive operation failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A manifest or config is invalid.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A digest is invalid.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// JSON could not be written.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A blob failed verification or its stream broke.
    #[error("{reference}: blob {digest}: {source}")]
    Blob {
        /// The source.
        reference: String,
        /// The blob.
        digest: Digest,
        /// What happened.
        #[source]
        source: io::Error,
    },
    /// The destination cannot hold what the source has.
    #[error("{reference}: {reason}")]
    Unsupported {
        /// The destination (or source).
        reference: String,
        /// Why.
        reason: String,
    },
    /// The local content store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A registry operation failed.
    #[error("{reference}: {message}")]
    Registry {
        /// The registry reference.
        reference: String,
        /// The registry's answer.
        message: String,
        /// What to try, when the kind of failure suggests something.
        hint: Option<&'static str>,
    },
}

impl CopyError {
    /// A short hint for the user, when one helps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CopyError::Layout(LayoutError::Ambiguous { .. })
            | CopyError::Layout(LayoutError::TagNotFound { .. }) => {
                Some("name the image with oci:DIR:TAG (see the tags listed)")
            }
            CopyError::Layout(LayoutError::NotEmpty(_)) => {
                Some("write into an empty or missing directory, or an existing OCI layout")
            }
            CopyError::Layout(LayoutError::NotALayout(_)) => {
                Some("an OCI layout directory has an oci-layout file and an index.json")
            }
            CopyError::Image(ImageError::NoPlatform { .. }) => {
                Some("pick one of the available platforms with --platform, or copy all with --all")
            }
            CopyError::Blob { .. } | CopyError::Layout(LayoutError::Verify { .. }) => {
                Some("the content does not match its digest; the source may be corrupted")
            }
            CopyError::Archive(ArchiveError::DiffId { .. }) => {
                Some("the image config's rootfs.diff_ids do not describe its layers")
            }
            CopyError::Registry { hint, .. } => *hint,
            _ => None,
        }
    }
}

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

/// `transport:path[:tag]`, as the user would write the reference.
fn transport_name(transport: &str, path: &Path, tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{transport}:{}:{t}", path.display()),
        None => format!("{transport}:{}", path.display()),
    }
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
    let root = src.root()?;
    let mut report = CopyReport {
        digest: root.digest.clone(),
        media_type: root.media_type.clone(),
        copied: 0,
        skipped: 0,
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

/// Rewrite an image manifest's media types (manifest, config, layers) into `to`; the blobs
/// stay the same, the manifest gets new bytes and a new digest. Manifests already in that
/// format, and artifacts (whose config is not an image config), are returned unchanged.
pub fn convert_manifest(m: &RawManifest, to: MediaFlavor) -> Result<RawManifest, CopyError> {
    let (manifest_mt, config_mt) = match to {
        MediaFlavor::Oci => (media::OCI_MANIFEST, media::OCI_CONFIG),
        MediaFlavor::Docker => (media::DOCKER_MANIFEST, media::DOCKER_CONFIG),
    };
    if m.is_index() || m.media_type == manifest_mt {
        return Ok(m.clone());
    }
    let mut v: Value = serde_json::from_slice(&m.bytes).map_err(|source| ImageError::Json {
        what: "manifest",
        digest: m.digest.clone(),
        source,
    })?;
    let cur_config = v
        .get("config")
        .and_then(|c| c.get("mediaType"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !media::is_config(cur_config) {
        return Ok(m.clone());
    }
    v["mediaType"] = json!(manifest_mt);
    v["config"]["mediaType"] = json!(config_mt);
    if let Some(layers) = v.get_mut("layers").and_then(Value::as_array_mut) {
        for layer in layers.iter_mut() {
            let mt = layer
                .get("mediaType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let new = convert_layer_type(&mt, to).ok_or_else(|| CopyError::Unsupported {
                reference: m.digest.to_string(),
                reason: format!("layer media type {mt} has no equivalent in the requested format"),
            })?;
            layer["mediaType"] = json!(new);
        }
    }
    Ok(RawManifest::new(to_canonical_vec(&v)?, None)?)
}

const OCI_NONDIST_GZIP: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

fn convert_layer_type(mt: &str, to: MediaFlavor) -> Option<&'static str> {
    match (mt, to) {
        (media::DOCKER_LAYER_FOREIGN_GZIP, MediaFlavor::Oci) => Some(OCI_NONDIST_GZIP),
        (OCI_NONDIST_GZIP, MediaFlavor::Docker) => Some(media::DOCKER_LAYER_FOREIGN_GZIP),
        (_, MediaFlavor::Docker) if layer_compression(mt) == Some(LayerCompression::Zstd) => None,
        _ => layer_compression(mt).map(|c| layer_media_type(c, to)),
    }
}

fn copy_manifest_blobs(
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
        let queued = batch.iter().any(|(d, _, _)| d.digest() == desc.digest());
        if queued || already_there(src, dst, desc)? {
            report.skipped += 1;
            progress.blob_done(desc, true);
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

/// True when the destination has the blob or could mount it from the source's repository.
fn already_there(
    src: &mut dyn ImageSource,
    dst: &mut dyn ImageDest,
    desc: &Descriptor,
) -> Result<bool, CopyError> {
    if dst.has_blob(desc)? {
        return Ok(true);
    }
    if let Some(origin) = src.mount_origin() {
        if dst.try_mount(desc, &origin)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Read a whole blob (a config) from a source, verified against its descriptor.
pub fn read_verified(src: &mut dyn ImageSource, desc: &Descriptor) -> Result<Vec<u8>, CopyError> {
    let digest = Digest::from_oci(desc.digest())?;
    let reference = src.describe();
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
    if already_there(src, dst, desc)? {
        report.skipped += 1;
        progress.blob_done(desc, true);
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
        inner: verifying,
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
    dst.put_blob(desc, kind, &mut counting, path.as_deref())?;
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

// ---------------------------------------------------------------------------------------------
// OCI layout

/// An OCI layout as a source.
pub struct LayoutSource {
    layout: OciLayout,
    tag: Option<String>,
}

impl LayoutSource {
    /// Open `dir` and read the image tagged `tag` (or the only one).
    pub fn open(dir: &Path, tag: Option<&str>) -> Result<LayoutSource, CopyError> {
        Ok(LayoutSource {
            layout: OciLayout::open(dir)?,
            tag: tag.map(str::to_string),
        })
    }

    /// The layout.
    pub fn layout(&self) -> &OciLayout {
        &self.layout
    }
}

impl ImageSource for LayoutSource {
    fn describe(&self) -> String {
        transport_name("oci", self.layout.root(), self.tag.as_deref())
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        let desc = self.layout.resolve(self.tag.as_deref())?;
        Ok(self.layout.read_manifest(&desc)?)
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        Ok(self.layout.read_manifest(desc)?)
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let path = self.layout.blob_path(&d);
        match std::fs::File::open(&path) {
            Ok(f) => Ok(Box::new(io::BufReader::new(f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d,
            }
            .into()),
            Err(source) => Err(LayoutError::Io { path, source }.into()),
        }
    }

    fn blob_path(&mut self, desc: &Descriptor) -> Option<PathBuf> {
        let d = Digest::from_oci(desc.digest()).ok()?;
        Some(self.layout.blob_path(&d))
    }
}

/// An OCI layout as a destination (created when missing).
pub struct LayoutDest {
    layout: OciLayout,
    tag: Option<String>,
}

impl LayoutDest {
    /// Open or create `dir`; the image will be tagged `tag`.
    pub fn create(dir: &Path, tag: Option<&str>) -> Result<LayoutDest, CopyError> {
        Ok(LayoutDest {
            layout: OciLayout::create(dir)?,
            tag: tag.map(str::to_string),
        })
    }
}

impl ImageDest for LayoutDest {
    fn describe(&self) -> String {
        transport_name("oci", self.layout.root(), self.tag.as_deref())
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: true,
            artifacts: true,
        }
    }

    fn has_blob(&mut self, desc: &Descriptor) -> Result<bool, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        Ok(self.layout.has_blob(&d, Some(desc.size())))
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        _kind: &BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.layout.write_blob(data, Some((&d, desc.size())))?;
        Ok(())
    }

    fn adopt_blob(&mut self, desc: &Descriptor, path: &Path) -> Result<bool, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        if self.layout.has_blob(&d, Some(desc.size())) {
            return Ok(true);
        }
        let dest = self.layout.blob_path(&d);
        let Some(dir) = dest.parent() else {
            return Ok(false);
        };
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CopyError::from(LayoutError::Io { path, source })
        };
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        // A hard link appears whole or not at all, so the blob path never holds partial
        // bytes; it fails across file systems (then the blob is copied).
        match std::fs::hard_link(path, &dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Ok(self.layout.has_blob(&d, Some(desc.size())));
            }
            Err(_) => return Ok(false),
        }
        std::fs::File::open(&dest)
            .and_then(|f| f.sync_all())
            .map_err(io_err(&dest))?;
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io_err(dir))?;
        Ok(true)
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.layout.write_blob_bytes(&m.bytes)?;
        Ok(())
    }

    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        self.layout.write_blob_bytes(&root.bytes)?;
        self.layout
            .set_ref(&root.descriptor()?, self.tag.as_deref())?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// oci-archive

/// An `oci-archive:` tar as a source (read in place, not extracted).
pub struct OciArchiveSource {
    file: PathBuf,
    tag: Option<String>,
    tar: TarIndex,
}

impl OciArchiveSource {
    /// Open the archive; the image is the one tagged `tag` (or the only one).
    pub fn open(file: &Path, tag: Option<&str>) -> Result<OciArchiveSource, CopyError> {
        let tar = TarIndex::open(file)?;
        if !tar.contains("oci-layout") || !tar.contains("index.json") {
            return Err(LayoutError::NotALayout(file.to_path_buf()).into());
        }
        Ok(OciArchiveSource {
            file: file.to_path_buf(),
            tag: tag.map(str::to_string),
            tar,
        })
    }

    fn member(d: &Digest) -> String {
        format!("blobs/{}/{}", d.algorithm().as_str(), d.hex())
    }

    fn read_manifest_desc(&self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        if desc.size() > MAX_MANIFEST_SIZE {
            return Err(LayoutError::TooLarge {
                where_: self.describe(),
                digest: d,
                size: desc.size(),
                max: MAX_MANIFEST_SIZE,
            }
            .into());
        }
        let name = Self::member(&d);
        if !self.tar.contains(&name) {
            return Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d,
            }
            .into());
        }
        let r = self.tar.open_member(&name)?;
        let mut v = VerifyingReader::new(r, &d, desc.size()).map_err(|source| CopyError::Blob {
            reference: self.describe(),
            digest: d.clone(),
            source,
        })?;
        let mut bytes = Vec::new();
        v.read_to_end(&mut bytes)
            .map_err(|source| CopyError::Blob {
                reference: self.describe(),
                digest: d.clone(),
                source,
            })?;
        Ok(RawManifest::new(bytes, Some(&media_type_str(desc)))?)
    }
}

impl ImageSource for OciArchiveSource {
    fn describe(&self) -> String {
        transport_name("oci-archive", &self.file, self.tag.as_deref())
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        let bytes = self.tar.read_member("index.json", MAX_MANIFEST_SIZE)?;
        let index = serde_json::from_slice(&bytes).map_err(|e| LayoutError::Malformed {
            path: self.file.join("index.json"),
            reason: e.to_string(),
        })?;
        let desc = resolve_in_index(&index, self.tag.as_deref(), &self.describe())?;
        self.read_manifest_desc(&desc)
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        self.read_manifest_desc(desc)
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let name = Self::member(&d);
        if !self.tar.contains(&name) {
            return Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d,
            }
            .into());
        }
        Ok(Box::new(self.tar.open_member(&name)?))
    }
}

/// An `oci-archive:` tar as a destination: written to a temporary file next to it and moved
/// into place on commit (an existing archive is replaced).
pub struct OciArchiveDest {
    file: PathBuf,
    tag: Option<String>,
    sink: Option<TarSink>,
    written: HashSet<Digest>,
}

impl OciArchiveDest {
    /// Start writing `file`.
    pub fn create(file: &Path, tag: Option<&str>) -> Result<OciArchiveDest, CopyError> {
        let mut sink = TarSink::create(file)?;
        sink.append_bytes("oci-layout", LAYOUT_FILE_CONTENT)?;
        Ok(OciArchiveDest {
            file: file.to_path_buf(),
            tag: tag.map(str::to_string),
            sink: Some(sink),
            written: HashSet::new(),
        })
    }

    fn sink(&mut self) -> Result<&mut TarSink, CopyError> {
        let reference = self.describe();
        self.sink.as_mut().ok_or(CopyError::Unsupported {
            reference,
            reason: "archive already committed".to_string(),
        })
    }

    fn put_bytes(&mut self, bytes: &[u8]) -> Result<(), CopyError> {
        let d = digest_bytes(bytes);
        if self.written.contains(&d) {
            return Ok(());
        }
        let name = format!("blobs/sha256/{}", d.hex());
        self.sink()?.append_bytes(&name, bytes)?;
        self.written.insert(d);
        Ok(())
    }
}

impl ImageDest for OciArchiveDest {
    fn describe(&self) -> String {
        transport_name("oci-archive", &self.file, self.tag.as_deref())
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: true,
            artifacts: true,
        }
    }

    fn has_blob(&mut self, desc: &Descriptor) -> Result<bool, CopyError> {
        Ok(self.written.contains(&Digest::from_oci(desc.digest())?))
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        _kind: &BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let name = format!("blobs/{}/{}", d.algorithm().as_str(), d.hex());
        self.sink()?.append(&name, desc.size(), data)?;
        self.written.insert(d);
        Ok(())
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.put_bytes(&m.bytes)
    }

    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        self.put_bytes(&root.bytes)?;
        let mut entry = json!({
            "mediaType": root.media_type,
            "digest": root.digest.to_string(),
            "size": root.size(),
        });
        if let Some(t) = &self.tag {
            entry["annotations"] = json!({ REF_NAME: t });
        }
        let index = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": [entry],
        });
        let bytes = to_canonical_vec(&index)?;
        let mut sink = self.sink.take().ok_or(CopyError::Unsupported {
            reference: self.describe(),
            reason: "archive already committed".to_string(),
        })?;
        sink.append_bytes("index.json", &bytes)?;
        sink.finish()?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// docker-archive

/// A `docker save` archive as a source. The image is presented as a Docker schema 2 manifest
/// built from `manifest.json` (written with the canonical JSON writer, so the same archive
/// always gives the same manifest digest); its config keeps its bytes and digest.
pub struct DockerArchiveSource {
    file: PathBuf,
    name: Option<String>,
    tar: TarIndex,
    manifest: RawManifest,
    /// Blob digest -> member name.
    members: Vec<(Digest, String)>,
}

impl DockerArchiveSource {
    /// Open `file` and select the image named `names` (any spelling of one `repo:tag`), or the
    /// only image when `names` is empty.
    pub fn open(file: &Path, names: &[String]) -> Result<DockerArchiveSource, CopyError> {
        let tar = TarIndex::open(file)?;
        let entries = archive::read_docker_manifest(&tar, file)?;
        let entry = archive::select_docker_entry(&entries, names, file)?.clone();
        let config_bytes = tar.read_member(&entry.config, MAX_CONFIG_SIZE)?;
        let config_digest = digest_bytes(&config_bytes);
        let ids = diff_ids(&parse_config(&config_bytes)?)?;
        if ids.len() != entry.layers.len() {
            return Err(ArchiveError::Manifest {
                path: file.to_path_buf(),
                reason: format!(
                    "the config lists {} diffIDs but manifest.json {} layers",
                    ids.len(),
                    entry.layers.len()
                ),
            }
            .into());
        }
        let mut members = vec![(config_digest.clone(), entry.config.clone())];
        let mut layers = Vec::new();
        for (member, diff_id) in entry.layers.iter().zip(ids) {
            let size = tar
                .size(member)
                .ok_or_else(|| ArchiveError::MissingMember {
                    path: file.to_path_buf(),
                    member: member.clone(),
                })?;
            let compression = archive::sniff_member(&tar, member)?;
            let digest = if compression == LayerCompression::None {
                // An uncompressed layer's digest is its diffID (verified when streamed).
                diff_id
            } else {
                let mut w = super::digest::Sha256Writer::sink();
                io::copy(&mut tar.open_member(member)?, &mut w).map_err(|source| {
                    ArchiveError::Io {
                        path: file.to_path_buf(),
                        source,
                    }
                })?;
                w.finish().1
            };
            layers.push(json!({
                "mediaType": archive::docker_layer_media_type(compression),
                "digest": digest.to_string(),
                "size": size,
            }));
            members.push((digest, member.clone()));
        }
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::DOCKER_MANIFEST,
            "config": {
                "mediaType": media::DOCKER_CONFIG,
                "digest": config_digest.to_string(),
                "size": config_bytes.len(),
            },
            "layers": layers,
        });
        let manifest = RawManifest::new(to_canonical_vec(&manifest)?, None)?;
        Ok(DockerArchiveSource {
            file: file.to_path_buf(),
            name: names.first().cloned(),
            tar,
            manifest,
            members,
        })
    }

    /// The `RepoTags` of every image in an archive.
    pub fn list_tags(file: &Path) -> Result<Vec<String>, CopyError> {
        let tar = TarIndex::open(file)?;
        Ok(archive::read_docker_manifest(&tar, file)?
            .into_iter()
            .flat_map(|e| e.repo_tags)
            .collect())
    }
}

impl ImageSource for DockerArchiveSource {
    fn describe(&self) -> String {
        transport_name("docker-archive", &self.file, self.name.as_deref())
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        Ok(self.manifest.clone())
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        if d == self.manifest.digest {
            return Ok(self.manifest.clone());
        }
        Err(LayoutError::MissingBlob {
            where_: self.describe(),
            digest: d,
        }
        .into())
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let Some((_, member)) = self.members.iter().find(|(m, _)| *m == d) else {
            return Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d,
            }
            .into());
        };
        Ok(Box::new(self.tar.open_member(member)?))
    }
}

/// A `docker load`-able archive as a destination (one image; an existing file is replaced).
pub struct DockerArchiveDest {
    file: PathBuf,
    tags: Vec<String>,
    writer: Option<DockerArchiveWriter>,
    config_seen: bool,
}

impl DockerArchiveDest {
    /// Start writing `file`; `tags` go to `RepoTags` (`repo:tag`, Docker's short form).
    pub fn create(file: &Path, tags: Vec<String>) -> Result<DockerArchiveDest, CopyError> {
        Ok(DockerArchiveDest {
            file: file.to_path_buf(),
            tags,
            writer: Some(DockerArchiveWriter::create(file)?),
            config_seen: false,
        })
    }

    fn writer(&mut self) -> Result<&mut DockerArchiveWriter, CopyError> {
        let reference = self.describe();
        self.writer.as_mut().ok_or(CopyError::Unsupported {
            reference,
            reason: "archive already committed".to_string(),
        })
    }
}

impl ImageDest for DockerArchiveDest {
    fn describe(&self) -> String {
        transport_name(
            "docker-archive",
            &self.file,
            self.tags.first().map(String::as_str),
        )
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: false,
            artifacts: false,
        }
    }

    fn has_blob(&mut self, _desc: &Descriptor) -> Result<bool, CopyError> {
        Ok(false)
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        kind: &BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let reference = self.describe();
        match kind {
            BlobKind::Config => {
                let mut bytes = Vec::new();
                data.take(MAX_CONFIG_SIZE)
                    .read_to_end(&mut bytes)
                    .map_err(|source| CopyError::Blob {
                        reference,
                        digest: d.clone(),
                        source,
                    })?;
                let ids = diff_ids(&parse_config(&bytes)?)?;
                self.writer()?.put_config(&d, &bytes, ids)?;
                self.config_seen = true;
                Ok(())
            }
            BlobKind::Layer if self.config_seen => {
                let mt = media_type_str(desc);
                let compression = layer_compression(&mt).ok_or_else(|| CopyError::Unsupported {
                    reference: reference.clone(),
                    reason: format!("layer {d} has media type {mt}, which docker load cannot read"),
                })?;
                if compression == LayerCompression::None {
                    self.writer()?.put_tar_layer_sized(&d, desc.size(), data)?;
                } else {
                    self.writer()?.put_layer(&d, compression, data)?;
                }
                Ok(())
            }
            _ => Err(CopyError::Unsupported {
                reference,
                reason: format!("blob {d} is not part of a container image"),
            }),
        }
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        Err(CopyError::Unsupported {
            reference: self.describe(),
            reason: format!("cannot hold index child manifest {}", m.digest),
        })
    }

    fn commit(&mut self, _root: &RawManifest) -> Result<(), CopyError> {
        let reference = self.describe();
        let w = self.writer.take().ok_or(CopyError::Unsupported {
            reference,
            reason: "archive already committed".to_string(),
        })?;
        w.finish(&self.tags)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Local content store

/// An image in hoist's content store, named by a store ref (`refs/<name>` → manifest digest).
pub struct StoreSource {
    store: Store,
    name: String,
}

impl StoreSource {
    /// Read the image the store ref `name` points at.
    pub fn new(store: Store, name: &str) -> StoreSource {
        StoreSource {
            store,
            name: name.to_string(),
        }
    }

    fn read_manifest(&self, d: &Digest, hint: Option<&str>) -> Result<RawManifest, CopyError> {
        let size = self.store.blob_size(d)?;
        if size > MAX_MANIFEST_SIZE {
            return Err(LayoutError::TooLarge {
                where_: self.describe(),
                digest: d.clone(),
                size,
                max: MAX_MANIFEST_SIZE,
            }
            .into());
        }
        let bytes = self.store.read_blob(d)?;
        let m = RawManifest::new(bytes, hint)?;
        if m.digest != *d {
            return Err(CopyError::Blob {
                reference: self.describe(),
                digest: d.clone(),
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("content is {}", m.digest),
                ),
            });
        }
        Ok(m)
    }
}

impl ImageSource for StoreSource {
    fn describe(&self) -> String {
        format!("store:{}", self.name)
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        let d = self
            .store
            .get_ref(&self.name)?
            .ok_or_else(|| CopyError::Unsupported {
                reference: self.describe(),
                reason: "no such ref in the store".to_string(),
            })?;
        self.read_manifest(&d, None)
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.read_manifest(&d, Some(&media_type_str(desc)))
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        Ok(Box::new(io::BufReader::new(self.store.open_blob(&d)?)))
    }

    fn blob_path(&mut self, desc: &Descriptor) -> Option<PathBuf> {
        let d = Digest::from_oci(desc.digest()).ok()?;
        Some(self.store.blob_path(&d))
    }
}

/// hoist's content store as a destination; the top manifest gets the store ref `name`.
pub struct StoreDest {
    store: Store,
    name: Option<String>,
}

impl StoreDest {
    /// Write into `store`, pointing the ref `name` (if any) at the copied image.
    pub fn new(store: Store, name: Option<&str>) -> StoreDest {
        StoreDest {
            store,
            name: name.map(str::to_string),
        }
    }
}

impl ImageDest for StoreDest {
    fn describe(&self) -> String {
        format!("store:{}", self.name.as_deref().unwrap_or(""))
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: true,
            artifacts: true,
        }
    }

    fn has_blob(&mut self, desc: &Descriptor) -> Result<bool, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        Ok(self.store.has_blob(&d) && self.store.blob_size(&d)? == desc.size())
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        _kind: &BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let expected = Expected {
            digest: Digest::from_oci(desc.digest())?,
            size: Some(desc.size()),
        };
        self.store.put_blob(data, Some(&expected))?;
        Ok(())
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.store.put_bytes(&m.bytes)?;
        Ok(())
    }

    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        self.store.put_bytes(&root.bytes)?;
        if let Some(name) = &self.name {
            self.store.set_ref(name, &root.digest)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Opening references

/// Open a local reference as a source. Registry references are opened by the registry module.
pub fn open_local_source(r: &ImageRef) -> Result<Box<dyn ImageSource>, CopyError> {
    match r {
        ImageRef::OciLayout { dir, tag } => Ok(Box::new(LayoutSource::open(dir, tag.as_deref())?)),
        ImageRef::OciArchive { file, tag } => {
            Ok(Box::new(OciArchiveSource::open(file, tag.as_deref())?))
        }
        ImageRef::DockerArchive { file, name } => {
            let names = name
                .as_ref()
                .map(|n| vec![n.familiar(), n.to_string()])
                .unwrap_or_default();
            Ok(Box::new(DockerArchiveSource::open(file, &names)?))
        }
        ImageRef::Registry(reg) => Err(CopyError::Unsupported {
            reference: reg.to_string(),
            reason: "not a local transport".to_string(),
        }),
    }
}

/// Open a local reference as a destination.
pub fn open_local_dest(r: &ImageRef) -> Result<Box<dyn ImageDest>, CopyError> {
    match r {
        ImageRef::OciLayout { dir, tag } => Ok(Box::new(LayoutDest::create(dir, tag.as_deref())?)),
        ImageRef::OciArchive { file, tag } => {
            Ok(Box::new(OciArchiveDest::create(file, tag.as_deref())?))
        }
        ImageRef::DockerArchive { file, name } => {
            let tags = name
                .as_ref()
                .map(|n| vec![n.familiar()])
                .unwrap_or_default();
            Ok(Box::new(DockerArchiveDest::create(file, tags)?))
        }
        ImageRef::Registry(reg) => Err(CopyError::Unsupported {
            reference: reg.to_string(),
            reason: "not a local transport".to_string(),
        }),
    }
}
