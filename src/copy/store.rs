//! hoist's content store (`oci::Store`) as copy source and destination, on the shared
//! content-addressed mechanism ([`super::cas`]), and the two operations the builder needs:
//! [`pull_to_store`] / [`pull_image`] (any image, one platform, into the store, verified) and
//! [`StoreSource::from_manifest`] (a built image, its blobs in the store, as a source for any
//! destination).

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageConfiguration};

use super::cas::{BlobRead, BlobWrite, CasDest, CasSource, Described, RootManifest};
use super::engine::{copy_image, read_verified, CopyOptions, ImageSource, Progress};
use super::error::CopyError;
use super::open::open_source;
use super::registry::RemoteOptions;
use crate::oci::digest::Digest;
use crate::oci::image::{parse_config, Platform, RawManifest};
use crate::oci::reference::ImageRef;
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

    fn adopt_blob(&mut self, d: &Digest, size: u64, path: &Path) -> Result<bool, CopyError> {
        Ok(self.store.adopt_blob(d, size, path)?)
    }

    fn scratch_dir(&self) -> Option<PathBuf> {
        Some(self.store.tmp_dir())
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

/// Open `reference` (a registry, `oci:`, `oci-archive:` or `docker-archive:`) and
/// [`pull_to_store`] it.
pub fn pull_image(
    reference: &ImageRef,
    remote: &RemoteOptions,
    store: &Store,
    platform: Option<&Platform>,
    ref_name: Option<&str>,
    progress: &dyn Progress,
) -> Result<PulledImage, CopyError> {
    let mut src = open_source(reference, remote)?;
    pull_to_store(src.as_mut(), store, platform, ref_name, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::engine::CopyOptions as Opts;
    use crate::copy::engine::NoProgress;
    use crate::copy::layout::LayoutDest;
    use crate::copy::memory::MemorySource;
    use crate::oci::digest::digest_bytes;
    use crate::oci::media;

    fn desc(mt: &str, b: &[u8]) -> serde_json::Value {
        serde_json::json!({"mediaType": mt, "digest": digest_bytes(b).to_string(), "size": b.len()})
    }

    /// An index with one image per architecture; returns it and every blob.
    fn index(arches: &[&str]) -> (RawManifest, Vec<Vec<u8>>) {
        let mut blobs = Vec::new();
        let mut entries = Vec::new();
        for arch in arches {
            let layer = format!("layer for {arch}").into_bytes();
            let config = serde_json::to_vec(&serde_json::json!({
                "architecture": arch, "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [digest_bytes(&layer).to_string()]},
            }))
            .unwrap_or_default();
            let manifest = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
                "config": desc(media::OCI_CONFIG, &config),
                "layers": [desc(media::OCI_LAYER_TAR, &layer)],
            }))
            .unwrap_or_default();
            let mut e = desc(media::OCI_MANIFEST, &manifest);
            e["platform"] = serde_json::json!({"architecture": arch, "os": "linux"});
            entries.push(e);
            blobs.extend([layer, config, manifest]);
        }
        let idx = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": entries,
        }))
        .unwrap_or_default();
        (
            RawManifest::new(idx, None).unwrap_or_else(|e| panic!("{e}")),
            blobs,
        )
    }

    #[test]
    fn pulls_one_platform_into_the_store_and_pushes_it_back_out() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(dir.path().join("store")).unwrap_or_else(|e| panic!("{e}"));
        let (idx, blobs) = index(&["amd64", "arm64"]);
        let mut src = MemorySource::new(idx, blobs);
        let arm: Platform = "linux/arm64".parse().unwrap_or_else(|e| panic!("{e}"));
        let pulled = pull_to_store(&mut src, &store, Some(&arm), Some("base"), &NoProgress)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pulled.config.architecture().to_string(), "arm64");
        assert_eq!(pulled.layers.len(), 1);
        let layer = Digest::from_oci(pulled.layers[0].digest()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.read_blob(&layer).ok(),
            Some(b"layer for arm64".to_vec())
        );
        assert!(!store.has_blob(&digest_bytes(b"layer for amd64")));
        assert_eq!(
            store.get_ref("base").ok().flatten(),
            Some(pulled.manifest.digest.clone())
        );

        // The stored image, named by its manifest only, copies out to any destination.
        let out = dir.path().join("layout");
        let mut from = StoreSource::from_manifest(store.clone(), pulled.manifest.clone());
        assert_eq!(
            from.root().ok().map(|m| m.digest),
            Some(pulled.manifest.digest.clone())
        );
        let mut to = LayoutDest::create(&out, Some("v1")).unwrap_or_else(|e| panic!("{e}"));
        let rep = copy_image(&mut from, &mut to, &Opts::default(), &NoProgress)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (rep.digest, rep.copied),
            (pulled.manifest.digest.clone(), 2)
        );

        // Any reference pulls the same way: the layout just written, into a second store.
        let store2 = Store::open(dir.path().join("store2")).unwrap_or_else(|e| panic!("{e}"));
        let layout_ref = ImageRef::OciLayout {
            dir: out.clone(),
            tag: Some("v1".into()),
        };
        let again = pull_image(
            &layout_ref,
            &RemoteOptions::default(),
            &store2,
            None,
            None,
            &NoProgress,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.manifest.digest, pulled.manifest.digest);
        assert!(store2.has_blob(&layer));

        // A manifest whose blobs are not in the store fails naming the blob.
        let (other, _) = index(&["s390x"]);
        let mut missing = StoreSource::from_manifest(store.clone(), other);
        let mut to =
            LayoutDest::create(&dir.path().join("l2"), None).unwrap_or_else(|e| panic!("{e}"));
        let err = copy_image(
            &mut missing,
            &mut to,
            &Opts {
                all: true,
                ..Opts::default()
            },
            &NoProgress,
        )
        .err();
        assert!(err.is_some_and(|e| e.to_string().contains("sha256:")));
    }
}
