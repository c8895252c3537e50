//! The builder's one door to the copy engine: fetch a base image (any transport) into the
//! store, and copy a built image from the store to an OCI layout. Kept in one small module
//! so a move of the copy engine only touches this file.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;

use crate::oci::copy::{
    copy_image, open_local_source, CopyError, CopyOptions, ImageSource, LayoutDest, NoProgress,
    StoreDest,
};
use crate::oci::digest::Digest;
use crate::oci::image::{media_type_str, Platform, RawManifest};
use crate::oci::reference::ImageRef;
use crate::oci::remote::{RegistrySource, RemoteOptions};
use crate::oci::Store;

/// Copy the image `reference` (for `platform`) into `store`; returns its manifest digest.
pub fn fetch_image(
    store: &Store,
    reference: &str,
    platform: &Platform,
    remote: &RemoteOptions,
) -> Result<Digest, CopyError> {
    let r = ImageRef::parse(reference).map_err(|e| CopyError::Unsupported {
        reference: reference.to_string(),
        reason: e.to_string(),
    })?;
    let mut src: Box<dyn ImageSource> = match &r {
        ImageRef::Registry(reg) => Box::new(RegistrySource::open(reg, remote)?),
        local => open_local_source(local)?,
    };
    let mut dst = StoreDest::new(store.clone(), None);
    let opts = CopyOptions {
        platform: Some(platform.clone()),
        all: false,
        format: None,
    };
    Ok(copy_image(src.as_mut(), &mut dst, &opts, &NoProgress)?.digest)
}

/// An image in the store named by its manifest digest.
pub struct DigestSource {
    store: Store,
    digest: Digest,
}

impl DigestSource {
    /// The image whose manifest is `digest`.
    pub fn new(store: Store, digest: Digest) -> DigestSource {
        DigestSource { store, digest }
    }

    fn read(&self, d: &Digest, hint: Option<&str>) -> Result<RawManifest, CopyError> {
        Ok(RawManifest::new(self.store.read_blob(d)?, hint)?)
    }
}

impl ImageSource for DigestSource {
    fn describe(&self) -> String {
        format!("store:{}", self.digest)
    }
    fn root(&mut self) -> Result<RawManifest, CopyError> {
        self.read(&self.digest, None)
    }
    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        self.read(&d, Some(&media_type_str(desc)))
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

/// Write the store image `digest` into the OCI layout `dir` (created if needed), tagged `tag`.
pub fn write_layout(
    store: &Store,
    digest: &Digest,
    dir: &Path,
    tag: Option<&str>,
) -> Result<(), CopyError> {
    let mut src = DigestSource::new(store.clone(), digest.clone());
    let mut dst = LayoutDest::create(dir, tag)?;
    let opts = CopyOptions {
        all: true,
        ..CopyOptions::default()
    };
    copy_image(&mut src, &mut dst, &opts, &NoProgress)?;
    Ok(())
}
