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

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex};
use serde_json::{json, Value};

use super::digest::{Digest, DigestError, Sha256Writer};
use super::image::{media_type_str, ImageError, RawManifest, VerifyingReader};
use super::json::{to_canonical_vec, JsonError};

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
    /// Open an existing layout (it must have an `oci-layout` file).
    pub fn open(dir: &Path) -> Result<OciLayout, LayoutError> {
        let marker = dir.join("oci-layout");
        let bytes = match fs::read(&marker) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(LayoutError::NotALayout(dir.to_path_buf()))
            }
            Err(e) => return Err(io_err(&marker)(e)),
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
        Ok(OciLayout {
            root: dir.to_path_buf(),
        })
    }

    /// Open a layout for writing, creating it (and missing parents) when needed. An existing
    /// non-empty directory that is not a layout is refused.
    pub fn create(dir: &Path) -> Result<OciLayout, LayoutError> {
        if dir.join("oci-layout").exists() {
            let l = OciLayout::open(dir)?;
            fs::create_dir_all(l.blobs_dir()).map_err(io_err(&l.blobs_dir()))?;
            l.remove_stale_temps();
            return Ok(l);
        }
        match fs::read_dir(dir) {
            Ok(mut it) => {
                if it.next().is_some() {
                    return Err(LayoutError::NotEmpty(dir.to_path_buf()));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(io_err(dir))?;
            }
            Err(e) => return Err(io_err(dir)(e)),
        }
        let l = OciLayout {
            root: dir.to_path_buf(),
        };
        fs::create_dir_all(l.blobs_dir()).map_err(io_err(&l.blobs_dir()))?;
        let empty =
            json!({"schemaVersion": 2, "mediaType": super::media::OCI_INDEX, "manifests": []});
        l.write_file_atomic("index.json", &to_canonical_vec(&empty)?)?;
        // The marker goes last: a layout is only a layout once it is complete.
        l.write_file_atomic("oci-layout", LAYOUT_FILE_CONTENT)?;
        Ok(l)
    }

    /// Delete temporary files a killed writer left behind (only those untouched for a day, so
    /// a concurrent writer's files are never removed). Best effort.
    fn remove_stale_temps(&self) {
        const STALE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
        for dir in [self.root.clone(), self.root.join("blobs")] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if !e.file_name().to_string_lossy().starts_with(".tmp-") {
                    continue;
                }
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE);
                if old {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
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

    /// True when the blob exists with the given size (size is not checked when `None`).
    pub fn has_blob(&self, d: &Digest, size: Option<u64>) -> bool {
        match fs::metadata(self.blob_path(d)) {
            Ok(md) => md.is_file() && size.is_none_or(|s| s == md.len()),
            Err(_) => false,
        }
    }

    /// Open a blob for streaming; the reader fails at its end if the content does not match.
    pub fn open_blob(
        &self,
        d: &Digest,
        size: u64,
    ) -> Result<VerifyingReader<BufReader<File>>, LayoutError> {
        let path = self.blob_path(d);
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(LayoutError::MissingBlob {
                    where_: self.where_(),
                    digest: d.clone(),
                })
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
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
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-blob-")
            .tempfile_in(&blobs)
            .map_err(io_err(&blobs))?;
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
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{name}-"))
            .tempfile_in(&self.root)
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

    /// The parsed `index.json`.
    pub fn index(&self) -> Result<ImageIndex, LayoutError> {
        let path = self.index_path();
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        serde_json::from_slice(&bytes).map_err(|e| LayoutError::Malformed {
            path,
            reason: e.to_string(),
        })
    }

    /// The entry for `tag` (or the only entry).
    pub fn resolve(&self, tag: Option<&str>) -> Result<Descriptor, LayoutError> {
        resolve_in_index(&self.index()?, tag, &self.where_())
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
        let bytes = fs::read(&path).map_err(io_err(&path))?;
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
