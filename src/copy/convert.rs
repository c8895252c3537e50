//! Manifest format conversion (OCI ⇄ Docker schema 2 media types) for `--format`: the
//! manifest gets new bytes and a new digest, the blobs it names stay the same.

use serde_json::{json, Value};

use super::error::CopyError;
use crate::oci::image::{ImageError, RawManifest};
use crate::oci::json::to_canonical_vec;
use crate::oci::media::{self, layer_compression, layer_media_type, LayerCompression, MediaFlavor};

/// Rewrite an image manifest's media types (manifest, config, layers) into `to`; the blobs
/// stay the same, the manifest gets new bytes and a new digest. Manifests already in that
/// format, and artifacts (whose config is not an image config), are returned unchanged.
pub fn convert_manifest(m: &RawManifest, to: MediaFlavor) -> Result<RawManifest, CopyError> {
    let (manifest_mt, config_mt) = match to {
        MediaFlavor::Oci => (media::OCI_MANIFEST, media::OCI_CONFIG),
        MediaFlavor::Docker => (media::DOCKER_MANIFEST, media::DOCKER_CONFIG),
    };
    if m.is_index() || m.media_type == manifest_mt {
        return Ok(m.clone());
    }
    let mut v: Value = serde_json::from_slice(&m.bytes).map_err(|source| ImageError::Json {
        what: "manifest",
        digest: m.digest.clone(),
        source,
    })?;
    let cur_config = v
        .get("config")
        .and_then(|c| c.get("mediaType"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !media::is_config(cur_config) {
        return Ok(m.clone());
    }
    v["mediaType"] = json!(manifest_mt);
    v["config"]["mediaType"] = json!(config_mt);
    if let Some(layers) = v.get_mut("layers").and_then(Value::as_array_mut) {
        for layer in layers.iter_mut() {
            let mt = layer
                .get("mediaType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let new = convert_layer_type(&mt, to).ok_or_else(|| CopyError::Unsupported {
                reference: m.digest.to_string(),
                reason: format!("layer media type {mt} has no equivalent in the requested format"),
            })?;
            layer["mediaType"] = json!(new);
        }
    }
    Ok(RawManifest::new(to_canonical_vec(&v)?, None)?)
}

const OCI_NONDIST_GZIP: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

fn convert_layer_type(mt: &str, to: MediaFlavor) -> Option<&'static str> {
    match (mt, to) {
        (media::DOCKER_LAYER_FOREIGN_GZIP, MediaFlavor::Oci) => Some(OCI_NONDIST_GZIP),
        (OCI_NONDIST_GZIP, MediaFlavor::Docker) => Some(media::DOCKER_LAYER_FOREIGN_GZIP),
        (_, MediaFlavor::Docker) if layer_compression(mt) == Some(LayerCompression::Zstd) => None,
        _ => layer_compression(mt).map(|c| layer_media_type(c, to)),
    }
}
