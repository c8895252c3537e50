//! The build cache: step keys and cache records in the content store.
//!
//! A step's key is the sha256 of its parent's key and a canonical JSON description of the step
//! (the normalised instruction, the ARG/ENV values it uses, COPY/ADD content digests, heredoc
//! bodies, bind-mount source digests — never secrets or cache-mount contents). The chain starts
//! at a root key naming the base (image manifest digest, `scratch` or the parent stage's key),
//! the platform and the layer settings (compression, `SOURCE_DATE_EPOCH`), so every input that
//! can change a layer's bytes is in the key.
//!
//! A record is a small JSON blob (`application/vnd.hoist.build.cache.v1+json`) holding the layer
//! descriptors the step produced (with their diff IDs, also under `rootfs.diff_ids` so `prune`
//! keeps the unpacked layers) and its history entry; `cache/build-<key>` in the store points at
//! it. Records are plain blobs plus a name → digest map, so they can be exported to and
//! imported from a registry or a directory as they are. A record is written only after the
//! step succeeded and its layer blob is in the store (fsynced); the record itself is not
//! fsynced but checked against its digest on every lookup, so a crash can only lose it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::BuildError;
use crate::oci::assemble::{History, LayerRef};
use crate::oci::digest::{digest_bytes, Digest};
use crate::oci::json::to_canonical_vec;
use crate::oci::Store;

/// Media type of a cache record.
pub const RECORD_MEDIA_TYPE: &str = "application/vnd.hoist.build.cache.v1+json";

/// Prefix of cache entry names in the store.
pub const ENTRY_PREFIX: &str = "build-";

/// What a cached step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRecord {
    /// Layers it added (zero or one for Dockerfile steps).
    pub layers: Vec<LayerRef>,
    /// Its history entry.
    pub history: History,
}

#[derive(Serialize, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: Digest,
    size: u64,
}

#[derive(Serialize, Deserialize)]
struct RootFs {
    diff_ids: Vec<Digest>,
}

#[derive(Serialize, Deserialize)]
struct Doc {
    #[serde(rename = "mediaType")]
    media_type: String,
    layers: Vec<Descriptor>,
    rootfs: RootFs,
    history: History,
}

/// The key of a step: `parent` chained with the canonical JSON of `step`.
pub fn step_key(parent: &str, step: &Value) -> String {
    let body = to_canonical_vec(step).unwrap_or_default();
    let mut bytes = Vec::with_capacity(parent.len() + 1 + body.len());
    bytes.extend_from_slice(parent.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    digest_bytes(&bytes).hex().to_string()
}

/// The keys of a `COPY --link` step. BuildKit makes a linked layer independent of what is below
/// it, so the step is looked up and recorded under a key that chains from `root` (the platform
/// and layer settings, no base and no earlier step) and the copy's own description; a new base
/// or an earlier change then re-uses the same layer. The steps after it still depend on
/// everything below: they chain from the second key, `parent` chained with the first.
/// Returns (the record's key, the key later steps chain from).
pub fn link_keys(parent: &str, root: &str, step: &Value) -> (String, String) {
    let layer = step_key(root, step);
    let chain = step_key(parent, &serde_json::json!({"op": "link", "layer": layer}));
    (layer, chain)
}

/// The store entry name for a key.
pub fn entry_name(key: &str) -> String {
    format!("{ENTRY_PREFIX}{key}")
}

/// Look a step up. A record whose blobs are missing from the store counts as a miss.
pub fn lookup(store: &Store, key: &str) -> Result<Option<CacheRecord>, BuildError> {
    lookup_lazy(store, key, &|_| false)
}

/// [`lookup`], also accepting layer blobs that are not stored yet but `remote` says can be
/// fetched when needed (a lazily imported `--cache-from`).
pub fn lookup_lazy(
    store: &Store,
    key: &str,
    remote: &dyn Fn(&Digest) -> bool,
) -> Result<Option<CacheRecord>, BuildError> {
    let Some(d) = store.get_cache_lenient(&entry_name(key))? else {
        return Ok(None);
    };
    let Some(bytes) = store.get_small_verified(&d)? else {
        return Ok(None);
    };
    let Ok(doc) = serde_json::from_slice::<Doc>(&bytes) else {
        return Ok(None);
    };
    if doc.media_type != RECORD_MEDIA_TYPE || doc.layers.len() != doc.rootfs.diff_ids.len() {
        return Ok(None);
    }
    let mut layers = Vec::new();
    for (l, diff_id) in doc.layers.into_iter().zip(doc.rootfs.diff_ids) {
        if !store.has_blob(&l.digest) && !remote(&l.digest) {
            return Ok(None);
        }
        layers.push(LayerRef {
            media_type: l.media_type,
            digest: l.digest,
            size: l.size,
            diff_id,
        });
    }
    Ok(Some(CacheRecord {
        layers,
        history: doc.history,
    }))
}

/// Media type of an alias record: another key of a recorded step (`{"aliasOf": KEY}`).
pub const ALIAS_MEDIA_TYPE: &str = "application/vnd.hoist.build.cache.alias.v1+json";

#[derive(Serialize, Deserialize)]
struct AliasDoc {
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(rename = "aliasOf")]
    alias_of: String,
}

/// Record `alias` as another key of the recorded step `key`: a step whose inputs can be named
/// more cheaply than by hashing its content (COPY --from by the source's layer diff IDs) is
/// looked up by the alias first, and the build continues under `key`.
pub fn record_alias(store: &Store, alias: &str, key: &str) -> Result<(), BuildError> {
    let doc = AliasDoc {
        media_type: ALIAS_MEDIA_TYPE.to_string(),
        alias_of: key.to_string(),
    };
    let bytes = to_canonical_vec(&doc).map_err(crate::oci::assemble::AssembleError::from)?;
    put_record(store, alias, &bytes)?;
    Ok(())
}

/// The key an alias names, if `alias` is recorded as one.
pub fn lookup_alias(store: &Store, alias: &str) -> Result<Option<String>, BuildError> {
    let Some(d) = store.get_cache_lenient(&entry_name(alias))? else {
        return Ok(None);
    };
    Ok(store
        .get_small_verified(&d)?
        .and_then(|bytes| alias_target(&bytes)))
}

/// The key an alias record's bytes name (None: not an alias record).
pub fn alias_target(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<AliasDoc>(bytes)
        .ok()
        .filter(|d| d.media_type == ALIAS_MEDIA_TYPE)
        .map(|d| d.alias_of)
}

/// Record a finished step (its layer blobs must already be in the store).
pub fn record(store: &Store, key: &str, rec: &CacheRecord) -> Result<Digest, BuildError> {
    let doc = Doc {
        media_type: RECORD_MEDIA_TYPE.to_string(),
        layers: rec
            .layers
            .iter()
            .map(|l| Descriptor {
                media_type: l.media_type.clone(),
                digest: l.digest.clone(),
                size: l.size,
            })
            .collect(),
        rootfs: RootFs {
            diff_ids: rec.layers.iter().map(|l| l.diff_id.clone()).collect(),
        },
        history: rec.history.clone(),
    };
    let bytes = to_canonical_vec(&doc).map_err(crate::oci::assemble::AssembleError::from)?;
    put_record(store, key, &bytes)
}

/// Store the record (or alias) `bytes` of `key` and point its entry at it. Both are written
/// without fsync: every lookup checks the record against its digest, so a crash costs at
/// most the step running again (its layer blobs, written before, are durable).
pub fn put_record(store: &Store, key: &str, bytes: &[u8]) -> Result<Digest, BuildError> {
    let d = digest_bytes(bytes);
    store.put_small_volatile(bytes, &d)?;
    store.set_cache_volatile(&entry_name(key), &d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_chain_and_records_round_trip() {
        let a = step_key("root", &json!({"op": "run", "argv": ["sh"]}));
        assert_eq!(a, step_key("root", &json!({"argv": ["sh"], "op": "run"})));
        assert_ne!(a, step_key("root2", &json!({"op": "run", "argv": ["sh"]})));
        // A linked step's record key ignores the parent; the chain key does not.
        let step = json!({"op": "COPY", "link": true});
        let (l1, c1) = link_keys("parent-1", "root", &step);
        let (l2, c2) = link_keys("parent-2", "root", &step);
        assert_eq!(l1, l2);
        assert_ne!(c1, c2);
        assert_ne!(l1, link_keys("parent-1", "root-arm64", &step).0);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(lookup(&store, &a).unwrap().is_none());
        let blob = store.put_bytes(b"layer").unwrap();
        let rec = CacheRecord {
            layers: vec![LayerRef {
                media_type: crate::oci::media::OCI_LAYER_GZIP.to_string(),
                digest: blob.digest.clone(),
                size: 5,
                diff_id: digest_bytes(b"x"),
            }],
            history: History {
                created_by: Some("RUN x".into()),
                ..History::default()
            },
        };
        record(&store, &a, &rec).unwrap();
        assert_eq!(lookup(&store, &a).unwrap(), Some(rec));
        // prune keeps what a record references
        let report = store.prune().unwrap();
        assert!(!report.blobs_removed.contains(&blob.digest));
    }
}
