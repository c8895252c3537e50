//! Media types and descriptor helpers.
//!
//! Constants for the OCI image spec and Docker schema 2 media types hoist reads and writes,
//! plus small helpers around `oci_spec::image::Descriptor` (oci-spec is used for the typed
//! manifest/index/config structures; see `json.rs` for how they are serialized).

use oci_spec::image::{Descriptor, MediaType};

use super::digest::{Digest, DigestError};

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI empty descriptor (artifacts).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// Uncompressed OCI layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// gzip-compressed OCI layer.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// zstd-compressed OCI layer.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Docker schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker gzip layer.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker uncompressed layer (seen in `docker save` style archives).
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// Docker foreign (non-distributable) gzip layer.
pub const DOCKER_LAYER_FOREIGN_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerCompression {
    /// Plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

/// Which family of media types to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MediaFlavor {
    /// OCI image spec (the default).
    #[default]
    Oci,
    /// Docker schema 2.
    Docker,
}

/// The media type of a layer with the given compression. Docker schema 2 has no zstd type,
/// so zstd always uses the OCI one.
pub fn layer_media_type(compression: LayerCompression, flavor: MediaFlavor) -> &'static str {
    match (flavor, compression) {
        (MediaFlavor::Oci, LayerCompression::None) => OCI_LAYER_TAR,
        (MediaFlavor::Oci, LayerCompression::Gzip) => OCI_LAYER_GZIP,
        (_, LayerCompression::Zstd) => OCI_LAYER_ZSTD,
        (MediaFlavor::Docker, LayerCompression::None) => DOCKER_LAYER_TAR,
        (MediaFlavor::Docker, LayerCompression::Gzip) => DOCKER_LAYER_GZIP,
    }
}

/// The compression a layer media type declares, or `None` if it is not a layer type.
pub fn layer_compression(media_type: &str) -> Option<LayerCompression> {
    match media_type {
        OCI_LAYER_TAR
        | DOCKER_LAYER_TAR
        | "application/vnd.oci.image.layer.nondistributable.v1.tar" => Some(LayerCompression::None),
        OCI_LAYER_GZIP
        | DOCKER_LAYER_GZIP
        | DOCKER_LAYER_FOREIGN_GZIP
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" => {
            Some(LayerCompression::Gzip)
        }
        OCI_LAYER_ZSTD | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" => {
            Some(LayerCompression::Zstd)
        }
        _ => None,
    }
}

/// Guess a compression from the first bytes of a blob (gzip and zstd magic numbers).
pub fn sniff_compression(head: &[u8]) -> LayerCompression {
    if head.starts_with(&[0x1f, 0x8b]) {
        LayerCompression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        LayerCompression::Zstd
    } else {
        LayerCompression::None
    }
}

/// True for image manifests (OCI or Docker).
pub fn is_manifest(media_type: &str) -> bool {
    matches!(media_type, OCI_MANIFEST | DOCKER_MANIFEST)
}

/// True for indexes / manifest lists.
pub fn is_index(media_type: &str) -> bool {
    matches!(media_type, OCI_INDEX | DOCKER_MANIFEST_LIST)
}

/// True for image configs.
pub fn is_config(media_type: &str) -> bool {
    matches!(media_type, OCI_CONFIG | DOCKER_CONFIG)
}

/// Build a descriptor for a blob.
pub fn descriptor(media_type: &str, digest: &Digest, size: u64) -> Result<Descriptor, DigestError> {
    Ok(Descriptor::new(
        MediaType::from(media_type),
        size,
        digest.to_oci()?,
    ))
}

/// The validated digest of a descriptor.
pub fn descriptor_digest(d: &Descriptor) -> Result<Digest, DigestError> {
    Digest::from_oci(d.digest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::digest::digest_bytes;

    #[test]
    fn layer_types_round_trip() {
        for c in [
            LayerCompression::None,
            LayerCompression::Gzip,
            LayerCompression::Zstd,
        ] {
            for f in [MediaFlavor::Oci, MediaFlavor::Docker] {
                assert_eq!(layer_compression(layer_media_type(c, f)), Some(c));
            }
        }
        assert_eq!(layer_compression(OCI_MANIFEST), None);
    }

    #[test]
    fn sniff() {
        assert_eq!(sniff_compression(&[0x1f, 0x8b, 8]), LayerCompression::Gzip);
        assert_eq!(
            sniff_compression(&[0x28, 0xb5, 0x2f, 0xfd]),
            LayerCompression::Zstd
        );
        assert_eq!(sniff_compression(b"etc/"), LayerCompression::None);
        assert_eq!(sniff_compression(b""), LayerCompression::None);
    }

    #[test]
    fn descriptor_helpers() {
        let d = digest_bytes(b"abc");
        let desc = descriptor(OCI_LAYER_GZIP, &d, 3).unwrap();
        assert_eq!(desc.size(), 3);
        assert_eq!(desc.media_type().to_string(), OCI_LAYER_GZIP);
        assert_eq!(descriptor_digest(&desc).unwrap(), d);
        assert!(
            is_manifest(OCI_MANIFEST) && is_index(DOCKER_MANIFEST_LIST) && is_config(DOCKER_CONFIG)
        );
    }
}
