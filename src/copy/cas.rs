//! The one mechanism behind the content-addressed transports (OCI layout, oci-archive,
//! hoist's content store): each says how to find, open and write a blob by digest and where
//! its top manifest is named ([`BlobRead`], [`BlobWrite`]); [`CasSource`] and [`CasDest`]
//! turn that into a copy source and destination, so reading manifests (size limit,
//! verification), skipping present blobs and committing work the same way for all of them.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;

use super::engine::{BlobKind, DestCaps, ImageDest, ImageSource};
use super::error::CopyError;
use crate::oci::digest::Digest;
use crate::oci::image::{media_type_str, RawManifest, VerifyingReader};
use crate::oci::layout::{LayoutError, MAX_MANIFEST_SIZE};

/// `transport:path[:tag]`, as the user would write the reference.
pub(crate) fn transport_name(transport: &str, path: &Path, tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{transport}:{}:{t}", path.display()),
        None => format!("{transport}:{}", path.display()),
    }
}

/// The manifest a transport's name points at.
pub struct RootManifest {
    /// Its digest.
    pub digest: Digest,
    /// Its media type when the pointer records it (the document's own field is used otherwise).
    pub media_type: Option<String>,
}

/// A transport's name as the user writes it, for messages.
pub trait Described {
    /// The reference, for messages.
    fn describe(&self) -> String;
}

/// Read side of a content-addressed blob store.
pub trait BlobRead: Described {
    /// The top manifest the reference names.
    fn root(&self) -> Result<RootManifest, CopyError>;
    /// Size of a blob, `None` when it is missing.
    fn blob_size(&self, d: &Digest) -> Result<Option<u64>, CopyError>;
    /// Open a blob (the caller verifies it).
    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, CopyError>;
    /// A file holding exactly the blob, when there is one.
    fn blob_file(&self, _d: &Digest) -> Option<PathBuf> {
        None
    }
}

/// Write side of a content-addressed blob store.
pub trait BlobWrite: Described {
    /// True when the blob is there with this size.
    fn has_blob(&self, d: &Digest, size: u64) -> Result<bool, CopyError>;
    /// Store a blob; `data` must hash to `d` and be `size` bytes (checked by the store or by
    /// the engine's verifying reader).
    fn write_blob(&mut self, d: &Digest, size: u64, data: &mut dyn Read) -> Result<(), CopyError>;
    /// Store a small blob held in memory (manifests), under its own digest.
    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), CopyError>;
    /// Take a verified scratch file as the blob without copying it; false when not possible.
    fn adopt_blob(&mut self, _d: &Digest, _size: u64, _path: &Path) -> Result<bool, CopyError> {
        Ok(false)
    }
    /// Point the destination's name at the top manifest (already written).
    fn set_root(&mut self, root: &RawManifest) -> Result<(), CopyError>;
    /// A directory on the destination's file system where a source may spool downloads, so
    /// they can be linked into place instead of copied across file systems.
    fn scratch_dir(&self) -> Option<PathBuf> {
        None
    }
}

/// A copy source over any [`BlobRead`].
pub struct CasSource<B> {
    pub(crate) blobs: B,
}

impl<B: BlobRead> CasSource<B> {
    /// Read a manifest or index by digest, size-limited and verified.
    fn read_manifest(
        &self,
        d: &Digest,
        size: Option<u64>,
        media_type: Option<&str>,
    ) -> Result<RawManifest, CopyError> {
        let actual = self
            .blobs
            .blob_size(d)?
            .ok_or_else(|| LayoutError::MissingBlob {
                where_: Described::describe(&self.blobs),
                digest: d.clone(),
            })?;
        let size = size.unwrap_or(actual);
        if size > MAX_MANIFEST_SIZE {
            return Err(LayoutError::TooLarge {
                where_: Described::describe(&self.blobs),
                digest: d.clone(),
                size,
                max: MAX_MANIFEST_SIZE,
            }
            .into());
        }
        let blob_err = |source| CopyError::Blob {
            reference: Described::describe(&self.blobs),
            digest: d.clone(),
            source,
        };
        let raw = self.blobs.open_blob(d)?;
        let mut r = VerifyingReader::new(raw, d, size).map_err(blob_err)?;
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes).map_err(blob_err)?;
        Ok(RawManifest::new(bytes, media_type)?)
    }
}

impl<B: BlobRead> ImageSource for CasSource<B> {
    fn describe(&self) -> String {
        Described::describe(&self.blobs)
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        let root = self.blobs.root()?;
        self.read_manifest(&root.digest, None, root.media_type.as_deref())
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.read_manifest(&d, Some(desc.size()), Some(&media_type_str(desc)))
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        if self.blobs.blob_size(&d)?.is_none() {
            return Err(LayoutError::MissingBlob {
                where_: Described::describe(&self.blobs),
                digest: d,
            }
            .into());
        }
        self.blobs.open_blob(&d)
    }

    fn blob_path(&mut self, desc: &Descriptor) -> Option<PathBuf> {
        let d = Digest::from_oci(desc.digest()).ok()?;
        self.blobs.blob_file(&d)
    }
}

/// A copy destination over any [`BlobWrite`]; holds indexes and artifacts.
pub struct CasDest<B> {
    pub(crate) blobs: B,
}

impl<B: BlobWrite> ImageDest for CasDest<B> {
    fn describe(&self) -> String {
        Described::describe(&self.blobs)
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: true,
            artifacts: true,
        }
    }

    fn has_blob(&mut self, desc: &Descriptor) -> Result<bool, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.blobs.has_blob(&d, desc.size())
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        _kind: &BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.blobs.write_blob(&d, desc.size(), data)
    }

    fn adopt_blob(&mut self, desc: &Descriptor, path: &Path) -> Result<bool, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.blobs.adopt_blob(&d, desc.size(), path)
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        self.blobs.write_bytes(&m.bytes)
    }

    fn commit(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        self.blobs.write_bytes(&root.bytes)?;
        self.blobs.set_root(root)
    }

    fn scratch_dir(&self) -> Option<PathBuf> {
        self.blobs.scratch_dir()
    }
}

/// Link a verified scratch file into place as `dest` (a blob path), syncing it and its
/// directory. False when linking is not possible (another file system): copy instead.
pub(crate) fn link_blob(path: &Path, dest: &Path) -> Result<bool, CopyError> {
    let Some(dir) = dest.parent() else {
        return Ok(false);
    };
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CopyError::from(LayoutError::Io { path, source })
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    // A hard link appears whole or not at all, so the blob path never holds partial bytes.
    match std::fs::hard_link(path, dest) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(true),
        Err(_) => return Ok(false),
    }
    // The scratch file was private (0600); as a blob of an output it follows the umask.
    crate::oci::fsafe::set_output_mode(dest).map_err(io_err(dest))?;
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dest))?;
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dir))?;
    Ok(true)
}
