//! hoist's content store (`oci::Store`) as copy source and destination, on the shared
//! content-addressed mechanism ([`super::cas`]), and the two operations the builder needs:
//! [`pull_to_store`] (any image, one platform, into the store, verified) and
//! [`StoreSource::from_manifest`] (a built image, its blobs in the store, as a source for any
//! destination).

use std::io::{self, Read};
use std::path::PathBuf;

use oci_spec::image::{Descriptor, ImageConfiguration};

use super::cas::{BlobRead, BlobWrite, CasDest, CasSource, Described, RootManifest};
use super::engine::{copy_image, read_verified, CopyOptions, ImageSource, Progress};
use super::error::CopyError;
use crate::oci::digest::Digest;
use crate::oci::image::{parse_config, Platform, RawManifest};
use crate::oci::store::{Expected, Store};

/// Where a store source or destination is named.
pub struct StoreBlobs {
    store: Store,
    /// The store ref naming the image (`refs/<name>`).
    name: Option<String>,
    /// A manifest held in memory and served as the root (not written to the store).
    manifest: Option<RawManifest>,
}

/// An image in hoist's content store, named by a store ref or given as a manifest.
pub type StoreSource = CasSource<StoreBlobs>;
/// hoist's content store as a destination; the top manifest gets the store ref, if any.
pub type StoreDest = CasDest<StoreBlobs>;

impl StoreSource {
    /// Read the image the store ref `name` points at.
    pub fn new(store: Store, name: &str) -> StoreSource {
        CasSource {
            blobs: StoreBlobs {
                store,
                name: Some(name.to_string()),
                manifest: None,
            },
        }
    }

    /// Read the image `manifest` describes, its blobs (config, layers, or an index's children)
    /// taken from `store`; the manifest itself need not be in the store.
    pub fn from_manifest(store: Store, manifest: RawManifest) -> StoreSource {
        CasSource {
            blobs: StoreBlobs {
                store,
                name: None,
                manifest: Some(manifest),
            },
        }
    }
}

impl StoreDest {
    /// Write into `store`, pointing the ref `name` (if any) at the copied image.
    pub fn new(store: Store, name: Option<&str>) -> StoreDest {
        CasDest {
            blobs: StoreBlobs {
                store,
                name: name.map(str::to_string),
                manifest: None,
            },
        }
    }
}

impl StoreBlobs {
    fn held(&self, d: &Digest) -> Option<&RawManifest> {
        self.manifest.as_ref().filter(|m| m.digest == *d)
    }
}

impl BlobRead for StoreBlobs {
    fn root(&self) -> Result<RootManifest, CopyError> {
        if let Some(m) = &self.manifest {
            return Ok(RootManifest {
                digest: m.digest.clone(),
                media_type: Some(m.media_type.clone()),
            });
        }
        let name = self.name.as_deref().unwrap_or_default();
        let digest = self
            .store
            .get_ref(name)?
            .ok_or_else(|| CopyError::Unsupported {
                reference: self.describe(),
                reason: "no such ref in the store".to_string(),
            })?;
        Ok(RootManifest {
            digest,
            media_type: None,
        })
    }

    fn blob_size(&self, d: &Digest) -> Result<Option<u64>, CopyError> {
        if let Some(m) = self.held(d) {
            return Ok(Some(m.size()));
        }
        if !self.store.has_blob(d) {
            return Ok(None);
        }
        Ok(Some(self.store.blob_size(d)?))
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + '_>, CopyError> {
        if let Some(m) = self.held(d) {
            return Ok(Box::new(m.bytes.as_slice()));
        }
        Ok(Box::new(io::BufReader::new(self.store.open_blob(d)?)))
    }

    fn blob_file(&self, d: &Digest) -> Option<PathBuf> {
        if self.held(d).is_some() {
            return None;
        }
        Some(self.store.blob_path(d))
    }
}

impl BlobWrite for StoreBlobs {
    fn has_blob(&self, d: &Digest, size: u64) -> Result<bool, CopyError> {
        Ok(self.store.has_blob(d) && self.store.blob_size(d)? == size)
    }

    fn write_blob(&mut self, d: &Digest, size: u64, data: &mut dyn Read) -> Result<(), CopyError> {
        let expected = Expected {
            digest: d.clone(),
            size: Some(size),
        };
        self.store.put_blob(data, Some(&expected))?;
        Ok(())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), CopyError> {
        self.store.put_bytes(bytes)?;
        Ok(())
    }

    fn set_root(&mut self, root: &RawManifest) -> Result<(), CopyError> {
        if let Some(name) = &self.name {
            self.store.set_ref(name, &root.digest)?;
        }
        Ok(())
    }
}

/// An image pulled into the content store for one platform.
#[derive(Debug, Clone)]
pub struct PulledImage {
    /// The platform's image manifest (its digest is `manifest.digest`), stored in the store.
    pub manifest: RawManifest,
    /// The config blob's descriptor.
    pub config_descriptor: Descriptor,
    /// The parsed config (verified against its digest).
    pub config: ImageConfiguration,
    /// The layers, bottom first; each blob is in the store (unpack with `Store::unpack_layer`).
    pub layers: Vec<Descriptor>,
}

/// Copy the image `src` names into `store` for `platform` (default: the host's): the blobs
/// are verified on the way in, blobs already in the store are not fetched again. Returns the
/// platform's manifest, its parsed config and its layer descriptors. `ref_name`, if given, is
/// pointed at the manifest.
pub fn pull_to_store(
    src: &mut dyn ImageSource,
    store: &Store,
    platform: Option<&Platform>,
    ref_name: Option<&str>,
    progress: &dyn Progress,
) -> Result<PulledImage, CopyError> {
    let mut dst = StoreDest::new(store.clone(), ref_name);
    let opts = CopyOptions {
        platform: platform.cloned(),
        all: false,
        format: None,
    };
    let report = copy_image(src, &mut dst, &opts, progress)?;
    let manifest = RawManifest::new(store.read_blob(&report.digest)?, Some(&report.media_type))?;
    if manifest.digest != report.digest {
        return Err(CopyError::Blob {
            reference: format!("store:{}", report.digest),
            digest: report.digest,
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the stored manifest hashes to {}", manifest.digest),
            ),
        });
    }
    let mut stored = StoreSource::from_manifest(store.clone(), manifest.clone());
    let image = manifest.parse_image()?;
    let config_descriptor = image.config().clone();
    let config = parse_config(&read_verified(&mut stored, &config_descriptor)?)?;
    Ok(PulledImage {
        layers: image.layers().clone(),
        manifest,
        config_descriptor,
        config,
    })
}

impl Described for StoreBlobs {
    fn describe(&self) -> String {
        match (&self.name, &self.manifest) {
            (Some(n), _) => format!("store:{n}"),
            (None, Some(m)) => format!("store:{}", m.digest),
            (None, None) => "store:".to_string(),
        }
    }
}
