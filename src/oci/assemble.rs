//! Image assembly: turn an image config and a list of layers into the config blob, the image
//! manifest and (for several platforms) an image index, all as canonical JSON.
//!
//! The config type ([`ImageConfig`]) is hoist's own rather than `oci-spec`'s because the
//! builder needs Docker's extensions (`Healthcheck`, `OnBuild`, `Shell`, `empty_layer`
//! history) and because fields hoist does not know must survive a round trip from a base
//! image (`extra` maps). Nothing here touches storage: callers write the returned bytes to a
//! store, layout or registry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::digest::{digest_bytes, Digest};
use super::json::{to_canonical_vec, JsonError};
use super::layer::LayerInfo;
use super::media::{self, MediaFlavor};

/// Why an image could not be assembled or a config not read.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// Serialising failed.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A config blob is not a valid image config.
    #[error("image config {digest}: {source}")]
    BadConfig {
        /// The config's digest.
        digest: Digest,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The config's diff IDs and the layers disagree.
    #[error("image has {layers} layers but its config lists {diff_ids} diff IDs")]
    LayerCount {
        /// Layers given.
        layers: usize,
        /// Diff IDs in the config.
        diff_ids: usize,
    },
}

/// A health check, as Docker stores it (durations in nanoseconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthConfig {
    /// `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", script]`.
    #[serde(rename = "Test", default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Time between checks (ns).
    #[serde(rename = "Interval", default, skip_serializing_if = "is_zero")]
    pub interval: u64,
    /// Time a check may take (ns).
    #[serde(rename = "Timeout", default, skip_serializing_if = "is_zero")]
    pub timeout: u64,
    /// Start period (ns).
    #[serde(rename = "StartPeriod", default, skip_serializing_if = "is_zero")]
    pub start_period: u64,
    /// Interval during the start period (ns).
    #[serde(rename = "StartInterval", default, skip_serializing_if = "is_zero")]
    pub start_interval: u64,
    /// Failures before unhealthy.
    #[serde(rename = "Retries", default, skip_serializing_if = "is_zero")]
    pub retries: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The runtime part of an image config (`config` in the JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// `USER`.
    #[serde(rename = "User", default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// `EXPOSE`: `"80/tcp"` → `{}`.
    #[serde(
        rename = "ExposedPorts",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exposed_ports: BTreeMap<String, Value>,
    /// `ENV` as `KEY=value`, in order.
    #[serde(rename = "Env", default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// `ENTRYPOINT`.
    #[serde(
        rename = "Entrypoint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`.
    #[serde(rename = "Cmd", default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// `VOLUME`.
    #[serde(
        rename = "Volumes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, Value>,
    /// `WORKDIR`.
    #[serde(
        rename = "WorkingDir",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    /// `LABEL`.
    #[serde(rename = "Labels", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `STOPSIGNAL`.
    #[serde(
        rename = "StopSignal",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    /// `HEALTHCHECK`.
    #[serde(
        rename = "Healthcheck",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub healthcheck: Option<HealthConfig>,
    /// `ONBUILD` triggers, as written after `ONBUILD`.
    #[serde(rename = "OnBuild", default, skip_serializing_if = "Vec::is_empty")]
    pub on_build: Vec<String>,
    /// `SHELL`.
    #[serde(rename = "Shell", default, skip_serializing_if = "Vec::is_empty")]
    pub shell: Vec<String>,
    /// Fields hoist does not interpret, kept from the base image.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction, e.g. `RUN /bin/sh -c make # buildkit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Free text; BuildKit writes `buildkit.dockerfile.v0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True when the step made no layer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
    /// `MAINTAINER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// `rootfs` of a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Diff IDs, bottom layer first.
    pub diff_ids: Vec<Digest>,
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            kind: "layers".to_string(),
            diff_ids: Vec::new(),
        }
    }
}

/// An image config (OCI image config with Docker's extensions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `MAINTAINER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// GOARCH-style architecture.
    #[serde(default)]
    pub architecture: String,
    /// GOOS-style OS.
    #[serde(default)]
    pub os: String,
    /// CPU variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Runtime settings.
    #[serde(default)]
    pub config: RunConfig,
    /// Layers.
    #[serde(default)]
    pub rootfs: RootFs,
    /// One entry per instruction (empty ones flagged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Fields hoist does not interpret, kept from the base image.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ImageConfig {
    /// A config for an empty (`scratch`) image on `os/architecture[/variant]`.
    pub fn scratch(os: &str, architecture: &str, variant: Option<&str>) -> ImageConfig {
        ImageConfig {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.filter(|v| !v.is_empty()).map(str::to_string),
            ..ImageConfig::default()
        }
    }

    /// Parse a config blob (its digest is only used in the error message).
    pub fn from_bytes(bytes: &[u8], digest: &Digest) -> Result<ImageConfig, AssembleError> {
        serde_json::from_slice(bytes).map_err(|source| AssembleError::BadConfig {
            digest: digest.clone(),
            source,
        })
    }

    /// Canonical JSON bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AssembleError> {
        Ok(to_canonical_vec(self)?)
    }

    /// Append a layer and its history entry.
    pub fn push_layer(&mut self, diff_id: Digest, mut history: History) {
        history.empty_layer = false;
        self.rootfs.diff_ids.push(diff_id);
        self.history.push(history);
    }

    /// Append a history entry for a step that made no layer.
    pub fn push_empty(&mut self, mut history: History) {
        history.empty_layer = true;
        self.history.push(history);
    }

    /// The value of `KEY` in `Env`.
    pub fn env_get(&self, key: &str) -> Option<&str> {
        self.config.env.iter().rev().find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
            (k == key).then_some(v)
        })
    }

    /// Set `KEY=value` in `Env`, replacing an earlier value in place (Docker's order).
    pub fn env_set(&mut self, key: &str, value: &str) {
        let entry = format!("{key}={value}");
        for kv in &mut self.config.env {
            let k = kv.split_once('=').map(|(k, _)| k).unwrap_or(kv.as_str());
            if k == key {
                *kv = entry;
                return;
            }
        }
        self.config.env.push(entry);
    }
}

/// A layer as the manifest and config see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    /// Media type of the blob.
    pub media_type: String,
    /// Digest of the (compressed) blob.
    pub digest: Digest,
    /// Blob size in bytes.
    pub size: u64,
    /// Digest of the uncompressed tar.
    pub diff_id: Digest,
}

impl LayerRef {
    /// The layer a [`LayerInfo`] describes, with media types of `flavor`.
    pub fn from_info(info: &LayerInfo, flavor: MediaFlavor) -> LayerRef {
        LayerRef {
            media_type: info.media_type(flavor).to_string(),
            digest: info.digest.clone(),
            size: info.size,
            diff_id: info.diff_id.clone(),
        }
    }
}

/// A serialised blob: bytes and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Canonical JSON.
    pub bytes: Vec<u8>,
    /// sha256 of `bytes`.
    pub digest: Digest,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Blob {
        let digest = digest_bytes(&bytes);
        Blob { bytes, digest }
    }
}

/// A single-platform image ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    /// The config blob.
    pub config: Blob,
    /// The manifest.
    pub manifest: Blob,
    /// The manifest's media type.
    pub media_type: &'static str,
}

fn descriptor_json(media_type: &str, digest: &Digest, size: u64) -> Value {
    serde_json::json!({"mediaType": media_type, "digest": digest.to_string(), "size": size})
}

/// Serialise `config` and build the manifest over `layers` (bottom first; their diff IDs must
/// be the config's). `flavor` picks OCI or Docker schema 2 media types for config and manifest.
pub fn assemble(
    config: &ImageConfig,
    layers: &[LayerRef],
    annotations: &BTreeMap<String, String>,
    flavor: MediaFlavor,
) -> Result<Assembled, AssembleError> {
    if layers.len() != config.rootfs.diff_ids.len()
        || layers
            .iter()
            .zip(&config.rootfs.diff_ids)
            .any(|(l, d)| &l.diff_id != d)
    {
        return Err(AssembleError::LayerCount {
            layers: layers.len(),
            diff_ids: config.rootfs.diff_ids.len(),
        });
    }
    let config_blob = Blob::new(config.to_bytes()?);
    let (manifest_type, config_type) = match flavor {
        MediaFlavor::Oci => (media::OCI_MANIFEST, media::OCI_CONFIG),
        MediaFlavor::Docker => (media::DOCKER_MANIFEST, media::DOCKER_CONFIG),
    };
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": descriptor_json(config_type, &config_blob.digest, config_blob.bytes.len() as u64),
        "layers": layers.iter().map(|l| descriptor_json(&l.media_type, &l.digest, l.size)).collect::<Vec<_>>(),
    });
    if !annotations.is_empty() {
        manifest["annotations"] = serde_json::to_value(annotations).map_err(JsonError::from)?;
    }
    let manifest = Blob::new(to_canonical_vec(&manifest)?);
    Ok(Assembled {
        config: config_blob,
        manifest,
        media_type: manifest_type,
    })
}

/// One entry of an index: a manifest and its platform.
#[derive(Debug, Clone)]
pub struct IndexEntry<'a> {
    /// The manifest's media type.
    pub media_type: &'a str,
    /// The manifest's digest.
    pub digest: &'a Digest,
    /// The manifest's size.
    pub size: u64,
    /// `os`.
    pub os: &'a str,
    /// `architecture`.
    pub architecture: &'a str,
    /// `variant`, if any.
    pub variant: Option<&'a str>,
}

impl<'a> IndexEntry<'a> {
    /// The entry for an assembled image.
    pub fn of(image: &'a Assembled, config: &'a ImageConfig) -> IndexEntry<'a> {
        IndexEntry {
            media_type: image.media_type,
            digest: &image.manifest.digest,
            size: image.manifest.bytes.len() as u64,
            os: &config.os,
            architecture: &config.architecture,
            variant: config.variant.as_deref(),
        }
    }
}

/// An OCI image index over several single-platform images.
pub fn index(
    entries: &[IndexEntry],
    annotations: &BTreeMap<String, String>,
) -> Result<Blob, AssembleError> {
    let manifests: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut d = descriptor_json(e.media_type, e.digest, e.size);
            let mut p = serde_json::json!({"os": e.os, "architecture": e.architecture});
            if let Some(v) = e.variant.filter(|v| !v.is_empty()) {
                p["variant"] = Value::String(v.to_string());
            }
            d["platform"] = p;
            d
        })
        .collect();
    let mut idx = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": manifests,
    });
    if !annotations.is_empty() {
        idx["annotations"] = serde_json::to_value(annotations).map_err(JsonError::from)?;
    }
    Ok(Blob::new(to_canonical_vec(&idx)?))
}

/// RFC 3339 UTC time (`1970-01-01T00:00:00Z`) for seconds since the epoch.
/// Hand-written (a few lines of civil-calendar arithmetic) to avoid a date crate for one format.
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Digest {
        digest_bytes(&[n])
    }

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn manifest_and_config_are_canonical_and_consistent() {
        let mut cfg = ImageConfig::scratch("linux", "amd64", None);
        cfg.created = Some(rfc3339(0));
        cfg.env_set("PATH", "/bin");
        cfg.env_set("A", "1");
        cfg.env_set("PATH", "/usr/bin");
        assert_eq!(cfg.config.env, vec!["PATH=/usr/bin", "A=1"]);
        assert_eq!(cfg.env_get("A"), Some("1"));
        let layer = LayerRef {
            media_type: media::OCI_LAYER_GZIP.to_string(),
            digest: d(1),
            size: 10,
            diff_id: d(2),
        };
        cfg.push_layer(
            d(2),
            History {
                created_by: Some("COPY x /".into()),
                ..History::default()
            },
        );
        cfg.push_empty(History {
            created_by: Some("ENV A=1".into()),
            ..History::default()
        });
        let mut ann = BTreeMap::new();
        ann.insert("b".to_string(), "2".to_string());
        let a = assemble(&cfg, std::slice::from_ref(&layer), &ann, MediaFlavor::Oci).unwrap();
        let m: Value = serde_json::from_slice(&a.manifest.bytes).unwrap();
        assert_eq!(m["config"]["digest"], a.config.digest.to_string());
        assert_eq!(m["layers"][0]["digest"], d(1).to_string());
        assert_eq!(m["annotations"]["b"], "2");
        let c: Value = serde_json::from_slice(&a.config.bytes).unwrap();
        assert_eq!(c["rootfs"]["diff_ids"][0], d(2).to_string());
        assert_eq!(c["history"][1]["empty_layer"], true);
        assert!(c["history"][0].get("empty_layer").is_none());
        // Canonical: serialising again gives the same bytes; round trip keeps everything.
        let back = ImageConfig::from_bytes(&a.config.bytes, &a.config.digest).unwrap();
        assert_eq!(back.to_bytes().unwrap(), a.config.bytes);
        // Mismatched layers are refused.
        assert!(assemble(&cfg, &[], &ann, MediaFlavor::Oci).is_err());
    }

    #[test]
    fn unknown_fields_survive() {
        let raw = br#"{"architecture":"arm64","os":"linux","config":{"Env":["A=1"],"ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":[]},"moby.buildkit.buildinfo.v1":"x"}"#;
        let cfg = ImageConfig::from_bytes(raw, &d(0)).unwrap();
        let out: Value = serde_json::from_slice(&cfg.to_bytes().unwrap()).unwrap();
        assert_eq!(out["config"]["ArgsEscaped"], true);
        assert_eq!(out["moby.buildkit.buildinfo.v1"], "x");
    }

    #[test]
    fn index_lists_platforms() {
        let cfg = ImageConfig::scratch("linux", "arm", Some("v7"));
        let a = assemble(&cfg, &[], &BTreeMap::new(), MediaFlavor::Oci).unwrap();
        let idx = index(&[IndexEntry::of(&a, &cfg)], &BTreeMap::new()).unwrap();
        let v: Value = serde_json::from_slice(&idx.bytes).unwrap();
        assert_eq!(v["manifests"][0]["platform"]["variant"], "v7");
        assert_eq!(v["manifests"][0]["digest"], a.manifest.digest.to_string());
    }
}
