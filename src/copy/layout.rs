//! OCI image layouts (`oci:DIR[:TAG]`) as copy source and destination, on the shared
//! content-addressed mechanism ([`super::cas`]).
//!
//! A destination that does not exist yet is built as a staged layout next to it and published
//! (renamed into place, or merged into a layout a concurrent writer created) only when the
//! image is committed, so a failed copy leaves nothing behind. Blobs are read as regular files
//! only ([`OciLayout::open_blob_file`]).

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::cas::{
    link_blob, transport_name, BlobRead, BlobWrite, CasDest, CasSource, Described, RootManifest,
};
use super::error::CopyError;
use crate::oci::digest::Digest;
use crate::oci::image::{media_type_str, RawManifest};
use crate::oci::layout::{OciLayout, StagedLayout};

/// The blobs of a layout and the tag that names the image.
pub struct LayoutBlobs {
    layout: OciLayout,
    tag: Option<String>,
    /// The layout as the user named it (differs from `layout`'s root while staged).
    dest: PathBuf,
    /// A new layout being staged, published on commit.
    staged: Option<StagedLayout>,
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
                dest: dir.to_path_buf(),
                staged: None,
            },
        })
    }

    /// The layout.
    pub fn layout(&self) -> &OciLayout {
        &self.blobs.layout
    }
}

impl LayoutDest {
    /// Open `dir`, or stage a new layout to become `dir` when the image is committed; the
    /// image will be tagged `tag`.
    pub fn create(dir: &Path, tag: Option<&str>) -> Result<LayoutDest, CopyError> {
        let (layout, staged) = match OciLayout::open_for_write(dir)? {
            Some(l) => (l, None),
            None => {
                let s = OciLayout::stage(dir)?;
                (s.layout().clone(), Some(s))
            }
        };
        Ok(CasDest {
            blobs: LayoutBlobs {
                layout,
                tag: tag.map(str::to_string),
                dest: dir.to_path_buf(),
                staged,
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
        Ok(self.layout.blob_size(d)?)
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, CopyError> {
        let f = self.layout.open_blob_file(d, None)?;
        Ok(Box::new(io::BufReader::new(f)))
    }

    fn blob_file(&self, d: &Digest) -> Option<PathBuf> {
        // Only a regular file is handed out (uploads read it by path).
        self.layout
            .has_blob(d, None)
            .then(|| self.layout.blob_path(d))
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
        if let Some(staged) = self.staged.take() {
            self.layout = staged.publish()?;
        }
        Ok(())
    }

    fn scratch_dir(&self) -> Option<PathBuf> {
        if self.staged.is_some() {
            // Not inside the staged layout: it is renamed away when published.
            return match self.dest.parent() {
                Some(p) if !p.as_os_str().is_empty() => Some(p.to_path_buf()),
                _ => Some(PathBuf::from(".")),
            };
        }
        Some(self.layout.root().join("blobs"))
    }
}

impl Described for LayoutBlobs {
    fn describe(&self) -> String {
        transport_name("oci", &self.dest, self.tag.as_deref())
    }
}
