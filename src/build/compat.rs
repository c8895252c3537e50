//! The builder's one door to the copy engine ([`crate::copy`]): fetch a base image (any
//! transport) into the store, and copy a built image from the store to an OCI layout. Kept in
//! one small module so a change of the copy engine only touches this file.

use std::path::Path;

use crate::copy::{
    copy_image, pull_image, CopyError, CopyOptions, LayoutDest, NoProgress, RemoteOptions,
    StoreSource,
};
use crate::oci::digest::Digest;
use crate::oci::image::{Platform, RawManifest};
use crate::oci::reference::ImageRef;
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
    let pulled = pull_image(&r, remote, store, Some(platform), None, &NoProgress)?;
    Ok(pulled.manifest.digest)
}

/// The image in the store whose manifest is `digest`, as a copy source.
pub fn store_source(store: &Store, digest: &Digest) -> Result<StoreSource, CopyError> {
    let manifest = RawManifest::new(store.read_blob(digest)?, None)?;
    Ok(StoreSource::from_manifest(store.clone(), manifest))
}

/// Write the store image (or index) `digest` into the OCI layout `dir` (created if needed),
/// tagged `tag`, with every platform.
pub fn write_layout(
    store: &Store,
    digest: &Digest,
    dir: &Path,
    tag: Option<&str>,
) -> Result<(), CopyError> {
    let mut src = store_source(store, digest)?;
    let mut dst = LayoutDest::create(dir, tag)?;
    let opts = CopyOptions {
        all: true,
        ..CopyOptions::default()
    };
    copy_image(&mut src, &mut dst, &opts, &NoProgress)?;
    Ok(())
}
