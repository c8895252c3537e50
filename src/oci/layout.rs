//! OCI image layout directories (`oci:DIR[:TAG]`): read and write.
//!
//! A layout is a directory with an `oci-layout` file (`{"imageLayoutVersion":"1.0.0"}`), an
//! `index.json` whose entries name their tags with the `org.opencontainers.image.ref.name`
//! annotation, and content-addressed blobs under `blobs/sha256/<hex>`.
//!
//! Writes are atomic: a blob is streamed to a temporary file under `blobs/` while being hashed,
//! checked against the expected digest and size, synced and renamed into place; `index.json` is
//! replaced the same way under an advisory lock on the `oci-layout` file so concurrent hoist
//! processes do not lose each other's tags. Reads verify digests as the bytes stream.
//! `index.json` is edited as generic JSON so fields hoist does not know survive a re-tag, and is
//! written with the canonical JSON writer.
//!
//! A layout on disk is data, not pointers: `oci-layout`, `index.json` and blobs are opened as
//! regular files only ([`super::fsafe`]), so a blob that is a symlink, FIFO or device is refused
//! with its digest and path. A new layout is staged in a temporary directory next to its
//! destination and renamed into place ([`OciLayout::stage`], [`StagedLayout::publish`]):
//! concurrent creators all succeed (the later ones merge into the first one's layout) and a
//! failed writer leaves nothing. Temporaries are locked while in use; stale ones of killed
//! writers are removed by the next writer ([`super::scratch`]).

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex};
use serde_json::{json, Value};

use super::digest::{Digest, DigestError, Sha256Writer};
use super::fsafe::{self, OpenError};
use super::image::{media_type_str, ImageError, RawManifest, VerifyingReader};
use super::json::{to_canonical_vec, JsonError};
use super::scratch;

/// The annotation holding a manifest's tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Content of the `oci-layout` file hoist writes.
pub const LAYOUT_FILE_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
/// Largest manifest/index accepted (registries use the same 4 MiB limit).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;
/// Largest config blob read into memory.
pub const MAX_CONFIG_SIZE: u64 = 64 << 20;

/// Errors reading or writing an OCI layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The directory has no `oci-layout` file.
    #[error("{} is not an OCI image layout (no oci-layout file)", .0.display())]
    NotALayout(PathBuf),
    /// The directory exists, is not a layout and is not empty.
    #[error("{} exists and is not an OCI image layout; refusing to write into it", .0.display())]
    NotEmpty(PathBuf),
    /// `oci-layout` or `index.json` is malformed.
    #[error("{}: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No manifest has the requested tag.
    #[error("{where_}: no image tagged {tag:?} (tags: {available})")]
    TagNotFound {
        /// The layout or archive.
        where_: String,
        /// The tag.
        tag: String,
        /// Tags present.
        available: String,
    },
    /// No tag given and the index has several manifests.
    #[error("{where_}: holds {count} images; name one with :TAG (tags: {available})")]
    Ambiguous {
        /// The layout or archive.
        where_: String,
        /// Number of entries.
        count: usize,
        /// Tags present.
        available: String,
    },
    /// The index is empty.
    #[error("{0}: the index lists no images")]
    Empty(String),
    /// A blob is missing.
    #[error("{where_}: blob {digest} is missing")]
    MissingBlob {
        /// The layout or archive.
        where_: String,
        /// The blob.
        digest: Digest,
    },
    /// A blob's content does not match its digest or size.
    #[error("{where_}: blob {digest}: {source}")]
    Verify {
        /// The layout or archive.
        where_: String,
        /// The blob.
        digest: Digest,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// A manifest or config is larger than hoist reads into memory.
    #[error("{where_}: blob {digest} is {size} bytes, more than the {max}-byte limit for manifests and configs")]
    TooLarge {
        /// The layout or archive.
        where_: String,
        /// The blob.
        digest: Digest,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A file of the layout is a symlink, FIFO, device or not of its declared size.
    #[error("{where_}: {what}: {source}")]
    Refused {
        /// The layout or archive.
        where_: String,
        /// The blob (`blob sha256:…`) or file (`index.json`).
        what: String,
        /// Why it was refused, naming the path.
        #[source]
        source: OpenError,
    },
    /// A digest is invalid.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A manifest is invalid.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// JSON could not be written.
    #[error(transparent)]
    Json(#[from] JsonError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The tag of an index entry, if it has one.
pub fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations()
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .map(String::as_str)
}

/// Find the entry for `tag` (or the only entry when `tag` is `None`) in an index. `where_`
/// names the layout or archive in errors. A tag matches a ref name exactly, or, when no entry
/// matches exactly, the tag part of a single full reference such as `docker.io/library/x:TAG`.
pub fn resolve_in_index(
    index: &ImageIndex,
    tag: Option<&str>,
    where_: &str,
) -> Result<Descriptor, LayoutError> {
    let entries = index.manifests();
    let available = || {
        let tags: Vec<&str> = entries.iter().filter_map(ref_name).collect();
        if tags.is_empty() {
            "none".to_string()
        } else {
            tags.join(", ")
        }
    };
    match tag {
        None => match entries.as_slice() {
            [] => Err(LayoutError::Empty(where_.to_string())),
            [only] => Ok(only.clone()),
            many => Err(LayoutError::Ambiguous {
                where_: where_.to_string(),
                count: many.len(),
                available: available(),
            }),
        },
        Some(t) => {
            if let Some(d) = t.strip_prefix('@') {
                // A digest (`oci:DIR@sha256:…`): the entry listing it.
                return entries
                    .iter()
                    .find(|e| e.digest().to_string() == d)
                    .cloned()
                    .ok_or_else(|| LayoutError::TagNotFound {
                        where_: where_.to_string(),
                        tag: t.to_string(),
                        available: available(),
                    });
            }
            if let Some(d) = entries.iter().rev().find(|d| ref_name(d) == Some(t)) {
                return Ok(d.clone());
            }
            let suffix = format!(":{t}");
            let loose: Vec<&Descriptor> = entries
                .iter()
                .filter(|d| ref_name(d).is_some_and(|n| n.ends_with(&suffix) && n.contains('/')))
                .collect();
            match loose.as_slice() {
                [one] => Ok((*one).clone()),
                _ => Err(LayoutError::TagNotFound {
                    where_: where_.to_string(),
                    tag: t.to_string(),
                    available: available(),
                }),
            }
        }
    }
}

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
}

impl OciLayout {
    /// Open an existing layout (it must have an `oci-layout` file). `oci-layout`,
    /// `index.json` and blobs are read as regular files only, and `blobs`/`blobs/sha256` may
    /// not be symlinks: a layout on disk is data, never a pointer elsewhere.
    pub fn open(dir: &Path) -> Result<OciLayout, LayoutError> {
        let l = OciLayout {
            root: dir.to_path_buf(),
        };
        let marker = dir.join("oci-layout");
        let bytes = match fsafe::read_regular(&marker, 64 << 10) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Err(LayoutError::NotALayout(dir.to_path_buf())),
            Err(e) => return Err(l.refused("oci-layout", e)),
        };
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| LayoutError::Malformed {
            path: marker.clone(),
            reason: e.to_string(),
        })?;
        match v.get("imageLayoutVersion").and_then(Value::as_str) {
            Some(ver) if ver.starts_with("1.") => {}
            other => {
                return Err(LayoutError::Malformed {
                    path: marker,
                    reason: format!("unsupported imageLayoutVersion {other:?}"),
                })
            }
        }
        for d in [dir.join("blobs"), l.blobs_dir()] {
            fsafe::no_symlink_dir(&d).map_err(|e| l.refused("blobs directory", e))?;
        }
        Ok(l)
    }

    fn refused(&self, what: &str, source: OpenError) -> LayoutError {
        LayoutError::Refused {
            where_: self.where_(),
            what: what.to_string(),
            source,
        }
    }

    /// Open a layout for writing, creating it (and missing parents) when needed. An existing
    /// non-empty directory that is not a layout is refused. A new layout is built in a
    /// temporary directory next to `dir` and renamed into place, so concurrent creators all
    /// succeed and nobody ever sees a half-made layout.
    pub fn create(dir: &Path) -> Result<OciLayout, LayoutError> {
        if let Some(l) = OciLayout::open_for_write(dir)? {
            return Ok(l);
        }
        OciLayout::stage(dir)?.publish()
    }

    /// The layout at `dir` ready for writing when there is one; `None` when `dir` is missing
    /// or empty; an error when it is something else.
    pub fn open_for_write(dir: &Path) -> Result<Option<OciLayout>, LayoutError> {
        match fs::symlink_metadata(dir.join("oci-layout")) {
            Ok(_) => {
                let l = OciLayout::open(dir)?;
                fs::create_dir_all(l.blobs_dir()).map_err(io_err(&l.blobs_dir()))?;
                scratch::clean_stale(&l.root);
                scratch::clean_stale(&l.root.join("blobs"));
                return Ok(Some(l));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(dir)(e)),
        }
        match fs::read_dir(dir) {
            Ok(mut it) => match it.next() {
                Some(_) => Err(LayoutError::NotEmpty(dir.to_path_buf())),
                None => Ok(None),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(dir)(e)),
        }
    }

    /// A new, empty layout in a temporary directory next to `dir` (`.hoist-layout-*`, locked
    /// while alive, removed when dropped unpublished), to be filled and then
    /// [published](StagedLayout::publish) as `dir`.
    pub fn stage(dir: &Path) -> Result<StagedLayout, LayoutError> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io_err(&parent))?;
        scratch::clean_stale(&parent);
        let tmp = fsafe::temp_dir_in(&parent, ".hoist-layout-").map_err(io_err(&parent))?;
        let lock = File::open(tmp.path()).map_err(io_err(tmp.path()))?;
        scratch::lock(&lock).map_err(io_err(tmp.path()))?;
        let layout = OciLayout {
            root: tmp.path().to_path_buf(),
        };
        let blobs = layout.blobs_dir();
        fs::DirBuilder::new()
            .recursive(true)
            .create(&blobs)
            .map_err(io_err(&blobs))?;
        let empty =
            json!({"schemaVersion": 2, "mediaType": super::media::OCI_INDEX, "manifests": []});
        layout.write_file_atomic("index.json", &to_canonical_vec(&empty)?)?;
        layout.write_file_atomic("oci-layout", LAYOUT_FILE_CONTENT)?;
        Ok(StagedLayout {
            layout,
            dest: dir.to_path_buf(),
            tmp: Some(tmp),
            _lock: lock,
        })
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    fn where_(&self) -> String {
        format!("oci:{}", self.root.display())
    }

    /// Where a blob lives (for sha256 and sha512 digests).
    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(d.algorithm().as_str())
            .join(d.hex())
    }

    /// True when the blob exists as a regular file with the given size (size is not checked
    /// when `None`).
    pub fn has_blob(&self, d: &Digest, size: Option<u64>) -> bool {
        match fsafe::regular_size(&self.blob_path(d)) {
            Ok(Some(len)) => size.is_none_or(|s| s == len),
            _ => false,
        }
    }

    /// The size of a blob; `None` when it is missing, an error when it is not a regular file.
    pub fn blob_size(&self, d: &Digest) -> Result<Option<u64>, LayoutError> {
        fsafe::regular_size(&self.blob_path(d)).map_err(|e| self.refused(&format!("blob {d}"), e))
    }

    /// Open a blob's file, refusing a symlink, FIFO, device or a file not of `size` bytes.
    pub fn open_blob_file(&self, d: &Digest, size: Option<u64>) -> Result<File, LayoutError> {
        fsafe::open_regular(&self.blob_path(d), size).map_err(|e| {
            if e.is_not_found() {
                LayoutError::MissingBlob {
                    where_: self.where_(),
                    digest: d.clone(),
                }
            } else {
                self.refused(&format!("blob {d}"), e)
            }
        })
    }

    /// Open a blob for streaming; the reader fails at its end if the content does not match.
    pub fn open_blob(
        &self,
        d: &Digest,
        size: u64,
    ) -> Result<VerifyingReader<BufReader<File>>, LayoutError> {
        let f = self.open_blob_file(d, Some(size))?;
        VerifyingReader::new(BufReader::new(f), d, size).map_err(|source| LayoutError::Verify {
            where_: self.where_(),
            digest: d.clone(),
            source,
        })
    }

    /// Read a small blob (manifest, config) fully, verified, refusing anything above `max`.
    pub fn read_blob(&self, d: &Digest, size: u64, max: u64) -> Result<Vec<u8>, LayoutError> {
        if size > max {
            return Err(LayoutError::TooLarge {
                where_: self.where_(),
                digest: d.clone(),
                size,
                max,
            });
        }
        let mut r = self.open_blob(d, size)?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        r.read_to_end(&mut out)
            .map_err(|source| LayoutError::Verify {
                where_: self.where_(),
                digest: d.clone(),
                source,
            })?;
        Ok(out)
    }

    /// Stream `data` into the layout as a blob. With `expected`, the content must have that
    /// digest and size (the blob is not stored otherwise); returns the digest and size written.
    /// A blob already present is not rewritten (the stream is still drained and checked).
    pub fn write_blob(
        &self,
        data: &mut dyn Read,
        expected: Option<(&Digest, u64)>,
    ) -> Result<(Digest, u64), LayoutError> {
        let blobs = self.root.join("blobs");
        fs::create_dir_all(self.blobs_dir()).map_err(io_err(&self.blobs_dir()))?;
        let tmp = fsafe::temp_file_in(&blobs, ".tmp-blob-").map_err(io_err(&blobs))?;
        scratch::lock(tmp.as_file()).map_err(io_err(tmp.path()))?;
        let mut w = Sha256Writer::new(BufWriter::new(tmp));
        let copied = io::copy(data, &mut w);
        let (buf, digest, size) = w.finish();
        let what = expected
            .map(|(d, _)| d.clone())
            .unwrap_or_else(|| digest.clone());
        copied.map_err(|source| LayoutError::Verify {
            where_: self.where_(),
            digest: what.clone(),
            source,
        })?;
        if let Some((want, want_size)) = expected {
            if *want != digest || want_size != size {
                return Err(LayoutError::Verify {
                    where_: self.where_(),
                    digest: want.clone(),
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("content is {digest} ({size} bytes), expected {want} ({want_size} bytes)"),
                    ),
                });
            }
        }
        let tmp = buf
            .into_inner()
            .map_err(|e| io_err(&blobs)(e.into_error()))?;
        let dest = self.blob_path(&digest);
        if self.has_blob(&digest, Some(size)) {
            return Ok((digest, size));
        }
        tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
        tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
        sync_dir(&self.blobs_dir())?;
        Ok((digest, size))
    }

    /// Store bytes as a blob; returns their digest.
    pub fn write_blob_bytes(&self, bytes: &[u8]) -> Result<Digest, LayoutError> {
        let mut r = bytes;
        Ok(self.write_blob(&mut r, None)?.0)
    }

    fn write_file_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), LayoutError> {
        let mut tmp = fsafe::temp_file_in(&self.root, &format!(".tmp-{name}-"))
            .map_err(io_err(&self.root))?;
        tmp.write_all(bytes).map_err(io_err(tmp.path()))?;
        tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
        let dest = self.root.join(name);
        tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
        sync_dir(&self.root)
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    fn index_bytes(&self) -> Result<Vec<u8>, LayoutError> {
        fsafe::read_regular(&self.index_path(), MAX_CONFIG_SIZE)
            .map_err(|e| self.refused("index.json", e))
    }

    /// The parsed `index.json`.
    pub fn index(&self) -> Result<ImageIndex, LayoutError> {
        let bytes = self.index_bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| LayoutError::Malformed {
            path: self.index_path(),
            reason: e.to_string(),
        })
    }

    /// The entry for `tag` (or the only entry).
    pub fn resolve(&self, tag: Option<&str>) -> Result<Descriptor, LayoutError> {
        if let Some(d) = tag.and_then(|t| t.strip_prefix('@')) {
            return self.resolve_digest(&d.parse()?);
        }
        resolve_in_index(&self.index()?, tag, &self.where_())
    }

    /// The manifest or index `d` of the layout (`oci:DIR@DIGEST`): its entry in `index.json`,
    /// else any manifest blob the layout holds (a platform manifest inside an index, an
    /// untagged image), as BuildKit's oci-layout contexts allow.
    fn resolve_digest(&self, d: &Digest) -> Result<Descriptor, LayoutError> {
        if let Ok(m) = resolve_in_index(&self.index()?, Some(&format!("@{d}")), "") {
            return Ok(m);
        }
        let size = match fsafe::regular_size(&self.blob_path(d)) {
            Ok(Some(n)) => n,
            Ok(None) => {
                return Err(LayoutError::MissingBlob {
                    where_: self.where_(),
                    digest: d.clone(),
                })
            }
            Err(e) => return Err(self.refused(&format!("blob {d}"), e)),
        };
        let bytes = self.read_blob(d, size, MAX_MANIFEST_SIZE)?;
        let media_type = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .filter(|m| super::media::is_manifest(m) || super::media::is_index(m))
            .ok_or_else(|| LayoutError::Malformed {
                path: self.blob_path(d),
                reason: format!("{d} is not an image manifest or index with a mediaType"),
            })?;
        Ok(super::media::descriptor(&media_type, d, size)?)
    }

    /// Read and verify the manifest or index a descriptor points to.
    pub fn read_manifest(&self, desc: &Descriptor) -> Result<RawManifest, LayoutError> {
        let d = Digest::from_oci(desc.digest())?;
        let bytes = self.read_blob(&d, desc.size(), MAX_MANIFEST_SIZE)?;
        Ok(RawManifest::new(bytes, Some(&media_type_str(desc)))?)
    }

    /// `(tag, descriptor)` for every tagged entry.
    pub fn tags(&self) -> Result<Vec<(String, Descriptor)>, LayoutError> {
        Ok(self
            .index()?
            .manifests()
            .iter()
            .filter_map(|d| ref_name(d).map(|t| (t.to_string(), d.clone())))
            .collect())
    }

    /// Point `tag` at `desc` in `index.json` (removing the tag from any other entry), or add
    /// `desc` untagged when `tag` is `None` (unless an untagged entry with that digest exists).
    /// The manifest blob itself must already be in the layout.
    pub fn set_ref(&self, desc: &Descriptor, tag: Option<&str>) -> Result<(), LayoutError> {
        let _lock = self.lock()?;
        let path = self.index_path();
        let bytes = self.index_bytes()?;
        let mut index: Value =
            serde_json::from_slice(&bytes).map_err(|e| LayoutError::Malformed {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let Some(obj) = index.as_object_mut() else {
            return Err(LayoutError::Malformed {
                path,
                reason: "not a JSON object".to_string(),
            });
        };
        let manifests = obj
            .entry("manifests")
            .or_insert_with(|| Value::Array(Vec::new()));
        let Some(list) = manifests.as_array_mut() else {
            return Err(LayoutError::Malformed {
                path,
                reason: "\"manifests\" is not an array".to_string(),
            });
        };
        let digest_str = desc.digest().to_string();
        let entry_tag = |v: &Value| {
            v.get("annotations")
                .and_then(|a| a.get(REF_NAME))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match tag {
            Some(t) => list.retain(|v| entry_tag(v).as_deref() != Some(t)),
            None => {
                let present = list.iter().any(|v| {
                    entry_tag(v).is_none()
                        && v.get("digest").and_then(Value::as_str) == Some(&digest_str)
                });
                if present {
                    return Ok(());
                }
            }
        }
        let mut entry = json!({
            "mediaType": media_type_str(desc),
            "digest": digest_str,
            "size": desc.size(),
        });
        if let Some(p) = desc.platform() {
            entry["platform"] = serde_json::to_value(p).map_err(JsonError::from)?;
        }
        if let Some(t) = tag {
            entry["annotations"] = json!({ REF_NAME: t });
        }
        list.push(entry);
        obj.entry("schemaVersion").or_insert(json!(2));
        self.write_file_atomic("index.json", &to_canonical_vec(&index)?)
    }

    /// Take the layout's advisory write lock (an exclusive `flock` on `oci-layout`).
    fn lock(&self) -> Result<File, LayoutError> {
        let path = self.root.join("oci-layout");
        let f = File::open(&path).map_err(io_err(&path))?;
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| io_err(&path)(e.into()))?;
        Ok(f)
    }
}

/// A layout being built next to its destination (see [`OciLayout::stage`]); removed when
/// dropped without being published.
#[derive(Debug)]
pub struct StagedLayout {
    layout: OciLayout,
    dest: PathBuf,
    tmp: Option<tempfile::TempDir>,
    _lock: File,
}

impl StagedLayout {
    /// The staged layout, to write into.
    pub fn layout(&self) -> &OciLayout {
        &self.layout
    }

    /// Where it will be published.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Make the staged layout the layout at its destination: renamed into place when the
    /// destination is missing or empty, merged (blobs moved over, index entries added under
    /// the destination's lock) into a layout another process created there meanwhile. A
    /// destination that became anything else is refused; the staged layout is then removed.
    pub fn publish(mut self) -> Result<OciLayout, LayoutError> {
        let dest = self.dest.clone();
        for _ in 0..4 {
            match fs::rename(&self.layout.root, &dest) {
                Ok(()) => {
                    if let Some(t) = self.tmp.take() {
                        let _ = t.keep();
                    }
                    if let Some(p) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
                        sync_dir(p)?;
                    }
                    return Ok(OciLayout { root: dest });
                }
                Err(e) if matches!(e.raw_os_error(), Some(c) if c == rustix::io::Errno::NOTEMPTY.raw_os_error() || c == rustix::io::Errno::EXIST.raw_os_error()) => {
                    if let Some(existing) = OciLayout::open_for_write(&dest)? {
                        self.merge_into(&existing)?;
                        return Ok(existing);
                    }
                }
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::BUSY.raw_os_error()) => {
                    // `dest` is an empty mount point: it cannot be replaced, fill it in place.
                    let existing = OciLayout { root: dest.clone() };
                    fs::create_dir_all(existing.blobs_dir())
                        .map_err(io_err(&existing.blobs_dir()))?;
                    if !existing.root.join("oci-layout").exists() {
                        let index = self.layout.index_bytes()?;
                        existing.write_file_atomic("index.json", &index)?;
                        existing.write_file_atomic("oci-layout", LAYOUT_FILE_CONTENT)?;
                    }
                    self.merge_into(&existing)?;
                    return Ok(existing);
                }
                Err(e) => return Err(io_err(&dest)(e)),
            }
        }
        Err(LayoutError::NotEmpty(dest))
    }

    /// Move every blob into `other` and add every index entry there.
    fn merge_into(&self, other: &OciLayout) -> Result<(), LayoutError> {
        let blobs = self.layout.root.join("blobs");
        for alg in fs::read_dir(&blobs).map_err(io_err(&blobs))? {
            let alg = alg.map_err(io_err(&blobs))?;
            let dir = alg.path();
            let target_dir = other.root.join("blobs").join(alg.file_name());
            fs::create_dir_all(&target_dir).map_err(io_err(&target_dir))?;
            for b in fs::read_dir(&dir).map_err(io_err(&dir))? {
                let b = b.map_err(io_err(&dir))?;
                let target = target_dir.join(b.file_name());
                if fsafe::regular_size(&target).ok().flatten().is_some() {
                    continue;
                }
                fs::rename(b.path(), &target).map_err(io_err(&target))?;
            }
            sync_dir(&target_dir)?;
        }
        for desc in self.layout.index()?.manifests() {
            other.set_ref(desc, ref_name(desc))?;
        }
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> Result<(), LayoutError> {
    let f = File::open(dir).map_err(io_err(dir))?;
    f.sync_all().map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::digest::digest_bytes;
    use crate::oci::media;

    #[test]
    fn create_write_tag_resolve() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("lay");
        let l = OciLayout::create(&dir).unwrap();
        assert_eq!(
            fs::read(dir.join("oci-layout")).unwrap(),
            LAYOUT_FILE_CONTENT
        );
        let d = l.write_blob_bytes(b"hello").unwrap();
        assert_eq!(d, digest_bytes(b"hello"));
        assert!(l.has_blob(&d, Some(5)));
        assert!(!l.has_blob(&d, Some(6)));
        let desc = media::descriptor(media::OCI_MANIFEST, &d, 5).unwrap();
        assert!(matches!(l.resolve(None), Err(LayoutError::Empty(_))));
        l.set_ref(&desc, Some("v1")).unwrap();
        l.set_ref(&desc, Some("v2")).unwrap();
        l.set_ref(&desc, Some("v1")).unwrap();
        assert_eq!(l.tags().unwrap().len(), 2);
        assert_eq!(l.resolve(Some("v1")).unwrap().digest(), desc.digest());
        assert!(matches!(
            l.resolve(None),
            Err(LayoutError::Ambiguous { count: 2, .. })
        ));
        assert!(matches!(
            l.resolve(Some("nope")),
            Err(LayoutError::TagNotFound { .. })
        ));
        // Reopen and the data is there; no temp files left behind.
        let l2 = OciLayout::open(&dir).unwrap();
        assert_eq!(l2.read_blob(&d, 5, 100).unwrap(), b"hello");
        let leftovers: Vec<_> = fs::read_dir(dir.join("blobs"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn wrong_content_is_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        let l = OciLayout::create(tmp.path()).unwrap();
        let want = digest_bytes(b"good");
        let mut r: &[u8] = b"evil";
        assert!(matches!(
            l.write_blob(&mut r, Some((&want, 4))),
            Err(LayoutError::Verify { .. })
        ));
        assert!(!l.has_blob(&want, None));
        assert!(!l.has_blob(&digest_bytes(b"evil"), None));
        // A corrupted blob on disk is detected on read.
        let d = l.write_blob_bytes(b"data").unwrap();
        fs::write(l.blob_path(&d), b"dada").unwrap();
        assert!(matches!(
            l.read_blob(&d, 4, 100),
            Err(LayoutError::Verify { .. })
        ));
    }

    #[test]
    fn stale_temp_files_are_removed_fresh_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        OciLayout::create(tmp.path()).unwrap();
        let stale = tmp.path().join("blobs/.tmp-blob-old");
        let fresh = tmp.path().join("blobs/.tmp-blob-new");
        fs::write(&stale, b"x").unwrap();
        fs::write(&fresh, b"x").unwrap();
        let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86400);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        OciLayout::create(tmp.path()).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists());
    }

    #[test]
    fn refuses_non_layout_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("x"), b"").unwrap();
        assert!(matches!(
            OciLayout::create(tmp.path()),
            Err(LayoutError::NotEmpty(_))
        ));
        assert!(matches!(
            OciLayout::open(tmp.path()),
            Err(LayoutError::NotALayout(_))
        ));
    }

    #[test]
    fn loose_tag_matches_full_reference() {
        let d = digest_bytes(b"m");
        let mut desc = media::descriptor(media::OCI_MANIFEST, &d, 1).unwrap();
        let mut ann = std::collections::HashMap::new();
        ann.insert(
            REF_NAME.to_string(),
            "docker.io/library/alpine:3.20".to_string(),
        );
        desc.set_annotations(Some(ann));
        let index: ImageIndex = serde_json::from_value(json!({
            "schemaVersion": 2, "manifests": [serde_json::to_value(&desc).unwrap()]
        }))
        .unwrap();
        assert!(resolve_in_index(&index, Some("3.20"), "x").is_ok());
        assert!(resolve_in_index(&index, Some("3.2"), "x").is_err());
    }
}
