//! OCI image layouts (`oci:DIR[:TAG]`) as copy source and destination, on the shared
//! content-addressed mechanism ([`super::cas`]).

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::cas::{
    link_blob, transport_name, BlobRead, BlobWrite, CasDest, CasSource, Described, RootManifest,
};
use super::error::CopyError;
use crate::oci::digest::Digest;
use crate::oci::image::{media_type_str, RawManifest};
use crate::oci::layout::{LayoutError, OciLayout};

/// The blobs of a layout and the tag that names the image.
pub struct LayoutBlobs {
    layout: OciLayout,
    tag: Option<String>,
}

/// An OCI layout as a source.
pub type LayoutSource = CasSource<LayoutBlobs>;
/// An OCI layout as a destination (created when missing).
pub type LayoutDest = CasDest<LayoutBlobs>;

impl LayoutSource {
    /// Open `dir` and read the image tagged `tag` (or the only one).
    pub fn open(dir: &Path, tag: Option<&str>) -> Result<LayoutSource, CopyError> {
        Ok(CasSource {
            blobs: LayoutBlobs {
                layout: OciLayout::open(dir)?,
                tag: tag.map(str::to_string),
            },
        })
    }

    /// The layout.
    pub fn layout(&self) -> &OciLayout {
        &self.blobs.layout
    }
}

impl LayoutDest {
    /// Open or create `dir`; the image will be tagged `tag`.
    pub fn create(dir: &Path, tag: Option<&str>) -> Result<LayoutDest, CopyError> {
        Ok(CasDest {
            blobs: LayoutBlobs {
                layout: OciLayout::create(dir)?,
                tag: tag.map(str::to_string),
            },
        })
    }
}

impl BlobRead for LayoutBlobs {
    fn root(&self) -> Result<RootManifest, CopyError> {
        let desc = self.layout.resolve(self.tag.as_deref())?;
        Ok(RootManifest {
            digest: Digest::from_oci(desc.digest())?,
            media_type: Some(media_type_str(&desc)),
        })
    }

    fn blob_size(&self, d: &Digest) -> Result<Option<u64>, CopyError> {
        let path = self.layout.blob_path(d);
        match std::fs::metadata(&path) {
            Ok(md) if md.is_file() => Ok(Some(md.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LayoutError::Io { path, source }.into()),
        }
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, CopyError> {
        let path = self.layout.blob_path(d);
        match std::fs::File::open(&path) {
            Ok(f) => Ok(Box::new(io::BufReader::new(f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d.clone(),
            }
            .into()),
            Err(source) => Err(LayoutError::Io { path, source }.into()),
        }
    }

    fn blob_file(&self, d: &Digest) -> Option<PathBuf> {
        Some(self.layout.blob_path(d))
    }
}

impl BlobWrite for LayoutBlobs {
    fn has_blob(&self, d: &Digest, size: u64) -> Result<bool, CopyError> {
        Ok(self.layout.has_blob(d, Some(size)))
    }

    fn write_blob(&mut self, d: &Digest, size: u64, data: &mut dyn Read) -> Result<(), CopyError> {
        self.layout.write_blob(data, Some((d, size)))?;
        Ok(())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), CopyError> {
        self.layout.write_blob_bytes(bytes)?;
        Ok(())
    }

    fn adopt_blob(&mut self, d: &Digest, size: u64, path: &Path) -> Result<bool, CopyError> {
        if self.layout.has_blob(d, Some(size)) {
            return Ok(true);
        }
        Ok(link_blob(path, &self.layout.blob_path(d))? && self.layout.has_blob(d, Some(size)))
    }

    fn set_root(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        self.layout
            .set_ref(&root.descriptor()?, self.tag.as_deref())?;
        Ok(())
    }
}

impl Described for LayoutBlobs {
    fn describe(&self) -> String {
        transport_name("oci", self.layout.root(), self.tag.as_deref())
    }
}
