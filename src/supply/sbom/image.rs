//! Images as file trees: the image is copied into the content store (`copy::pull_to_store`,
//! blobs verified, those already stored not fetched again) and its layers unpacked once each
//! in overlay form (`Store::unpack_layer`); a warm run only reads the manifest and config. The result is a
//! [`LayersTree`] over those directories plus the digests that name the subject and layers.

use std::path::PathBuf;

use thiserror::Error;

use super::tree::LayersTree;
use crate::copy::{pull_to_store, CopyError, ImageSource, NoProgress};
use crate::oci::digest::{Digest, DigestError};
use crate::oci::image::{diff_ids, media_type_str, ImageError, Platform};
use crate::oci::media;
use crate::oci::store::{Store, StoreError};

/// Loading an image's layers failed.
#[derive(Debug, Error)]
pub enum LoadError {
    /// Reading from the source or copying into the store failed.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// Unpacking a layer in the store failed.
    #[error("content store: {0}")]
    Store(#[from] StoreError),
    /// The config is malformed.
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

/// Pulls the platform's image of `src` into `store` (blobs already there are not fetched
/// again) and unpacks each layer once.
pub fn load(
    src: &mut dyn ImageSource,
    platform: Option<&Platform>,
    store: &Store,
) -> Result<LoadedImage, LoadError> {
    let reference = src.describe();
    let pulled = pull_to_store(src, store, platform, None, &NoProgress)?;
    let config_mt = media_type_str(&pulled.config_descriptor);
    if !media::is_config(&config_mt) {
        return Err(LoadError::NotImage {
            reference,
            reason: format!(
                "{} is not a container image (config {config_mt})",
                pulled.manifest.digest
            ),
        });
    }
    let ids = diff_ids(&pulled.config).map_err(|source| LoadError::Image {
        reference: reference.clone(),
        source,
    })?;
    if ids.len() != pulled.layers.len() {
        return Err(LoadError::NotImage {
            reference,
            reason: format!(
                "the config lists {} diffIDs for {} layers",
                ids.len(),
                pulled.layers.len()
            ),
        });
    }
    let mut layer_dirs = Vec::with_capacity(ids.len());
    for (layer, diff_id) in pulled.layers.iter().zip(&ids) {
        if let Some(dir) = store.unpacked_layer(diff_id) {
            layer_dirs.push(dir);
            continue;
        }
        let digest = Digest::from_oci(layer.digest()).map_err(|source| LoadError::Digest {
            reference: reference.clone(),
            source,
        })?;
        layer_dirs.push(store.unpack_layer(&digest, diff_id)?);
    }
    Ok(LoadedImage {
        manifest_digest: pulled.manifest.digest.clone(),
        diff_ids: ids,
        layer_dirs,
    })
}
