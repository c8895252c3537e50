//! Images as file trees: the image's layers are copied into the content store
//! (`oci::Store`, verified against their digests) and unpacked once each in overlay form
//! (`Store::unpack_layer`); a warm run only reads the manifest and config. The result is a
//! [`LayersTree`] over those directories plus the digests that name the subject and layers.

use std::path::PathBuf;

use thiserror::Error;

use super::tree::LayersTree;
use crate::oci::copy::{read_verified, resolve_platform, CopyError, ImageSource};
use crate::oci::digest::{Digest, DigestError};
use crate::oci::image::{diff_ids, media_type_str, parse_config, ImageError, Platform};
use crate::oci::media;
use crate::oci::store::{Expected, Store, StoreError};

/// Loading an image's layers failed.
#[derive(Debug, Error)]
pub enum LoadError {
    /// Reading from the source failed.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// The store failed (disk, verification).
    #[error("content store: {0}")]
    Store(#[from] StoreError),
    /// The manifest or config is malformed.
    #[error("{reference}: {source}")]
    Image {
        /// The reference.
        reference: String,
        /// The error.
        #[source]
        source: ImageError,
    },
    /// A digest in the manifest is malformed.
    #[error("{reference}: {source}")]
    Digest {
        /// The reference.
        reference: String,
        /// The error.
        #[source]
        source: DigestError,
    },
    /// The manifest is not a container image, or config and manifest disagree.
    #[error("{reference}: {reason}")]
    NotImage {
        /// The reference.
        reference: String,
        /// Why.
        reason: String,
    },
}

/// An image ready to be cataloged.
pub struct LoadedImage {
    /// Digest of the image manifest.
    pub manifest_digest: Digest,
    /// Layer diffIDs, bottom first.
    pub diff_ids: Vec<Digest>,
    /// Unpacked layer directories, bottom first.
    pub layer_dirs: Vec<PathBuf>,
}

impl LoadedImage {
    /// The merged view over the layers.
    pub fn tree(&self) -> LayersTree {
        LayersTree::new(self.layer_dirs.iter().rev().cloned().collect())
    }
}

/// Resolves the platform's image in `src`, stores and unpacks its layers in `store`.
pub fn load(
    src: &mut dyn ImageSource,
    platform: Option<&Platform>,
    store: &Store,
) -> Result<LoadedImage, LoadError> {
    let reference = src.describe();
    let image_err = |source| LoadError::Image {
        reference: reference.clone(),
        source,
    };
    let root = src.root()?;
    let m = resolve_platform(src, root, platform)?;
    let image = m.parse_image().map_err(image_err)?;
    let config = image.config();
    let config_mt = media_type_str(config);
    if !media::is_config(&config_mt) {
        return Err(LoadError::NotImage {
            reference,
            reason: format!("{} is not a container image (config {config_mt})", m.digest),
        });
    }
    let config_bytes = read_verified(src, config)?;
    let ids = parse_config(&config_bytes)
        .and_then(|c| diff_ids(&c))
        .map_err(image_err)?;
    if ids.len() != image.layers().len() {
        return Err(LoadError::NotImage {
            reference,
            reason: format!(
                "the config lists {} diffIDs for {} layers",
                ids.len(),
                image.layers().len()
            ),
        });
    }
    let mut layer_dirs = Vec::with_capacity(ids.len());
    for (layer, diff_id) in image.layers().iter().zip(&ids) {
        if let Some(dir) = store.unpacked_layer(diff_id) {
            layer_dirs.push(dir);
            continue;
        }
        let digest = Digest::from_oci(layer.digest()).map_err(|source| LoadError::Digest {
            reference: reference.clone(),
            source,
        })?;
        if !store.has_blob(&digest) {
            let expected = Expected {
                digest: digest.clone(),
                size: Some(layer.size()),
            };
            let reader = src.blob(layer)?;
            store.put_blob(reader, Some(&expected))?;
        }
        layer_dirs.push(store.unpack_layer(&digest, diff_id)?);
    }
    Ok(LoadedImage {
        manifest_digest: m.digest.clone(),
        diff_ids: ids,
        layer_dirs,
    })
}
