//! The shared build cache: `--cache-to` / `--cache-from` with `type=registry,ref=R` (an OCI
//! artifact any registry stores) and `type=local,dest|src=DIR` (the same artifact in an OCI
//! layout directory, for CI cache directories).
//!
//! Layout of the artifact (learned from BuildKit's registry cache, not its format): one OCI
//! image manifest with `artifactType` [`ARTIFACT_TYPE`]; its config blob ([`CONFIG_MEDIA_TYPE`])
//! maps step keys to cache-record digests and carries each record's bytes under `bodies` (so
//! an import needs no request per record); its layers are the record blobs themselves (the
//! small JSON of [`super::cache`], for readers that predate `bodies`) followed by every layer
//! blob the records name. Export goes through
//! the copy engine, so a registry is asked (HEAD) for each blob and only missing ones are
//! uploaded. With nothing changed, a registry export costs one GET of the cache's manifest
//! (same digest: nothing is written).
//!
//! Import is lazy: `--cache-from` only reads the manifest and the key map at the start. When a
//! step's key is in the map and not in the local cache, [`CacheHook::prepare`] stores that
//! record from `bodies` (or fetches it, from an older export), and the builder's lookup hits when each layer blob it names is stored
//! or listed by the import. A layer blob is fetched (verified) only when its bytes are needed:
//! a later step that misses unpacks the rootfs, the final image must be complete in the store,
//! a `--cache-to` re-exports it. A step the build never reaches costs nothing, and cached
//! layers of a stage whose files nothing reads are never downloaded.
//!
//! `mode=max` exports every step this build used; `mode=min` only the steps whose layers are in
//! the final image (steps that changed no file are `max` only).
//!
//! Beyond BuildKit (moby/buildkit#1474): `mounts=true` also exports every `RUN
//! --mount=type=cache` directory of the store as a reproducible layer (named in the config by
//! the mount's directory name, the sha256 of its id), and an import restores the ones the
//! local store lacks, so an ephemeral runner gets its package cache back. Mounts are restored
//! when the cache is imported (a RUN may need them at any step), not lazily.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use oci_spec::image::Descriptor;
use serde_json::{json, Value};

use super::cache::entry_name;
use super::error::BuildError;
use super::output::BuildResult;
use crate::copy::{
    copy_image, open_source, CopyError, CopyOptions, ImageSource, LayoutDest, NoProgress,
    RegistryDest, RegistrySource, RemoteOptions, StoreSource,
};
use crate::oci::digest::Digest;
use crate::oci::image::{RawManifest, VerifyingReader};
use crate::oci::layer::{Compression, LayerOptions, WalkOptions};
use crate::oci::media;
use crate::oci::reference::{parse_normalized, ImageRef};
use crate::oci::store::Expected;
use crate::oci::unpack::{unpack_layer, UnpackOptions};
use crate::oci::Store;

/// `artifactType` of an exported cache.
pub const ARTIFACT_TYPE: &str = "application/vnd.hoist.build.cache.v1";
/// Media type of the key map (the artifact's config).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.hoist.build.cache.config.v1+json";
/// The tag of the cache inside a `type=local` layout directory.
pub const LOCAL_TAG: &str = "buildcache";

/// Where a cache lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheLocation {
    /// `type=registry,ref=R`.
    Registry(String),
    /// `type=local,src|dest=DIR`.
    Local(PathBuf),
}

impl CacheLocation {
    fn image_ref(&self) -> Result<ImageRef, CopyError> {
        match self {
            CacheLocation::Registry(r) => {
                parse_normalized(r)
                    .map(ImageRef::Registry)
                    .map_err(|e| CopyError::Unsupported {
                        reference: r.clone(),
                        reason: e.to_string(),
                    })
            }
            CacheLocation::Local(d) => Ok(ImageRef::OciLayout {
                dir: d.clone(),
                tag: Some(LOCAL_TAG.to_string()),
            }),
        }
    }

    fn describe(&self) -> String {
        match self {
            CacheLocation::Registry(r) => r.clone(),
            CacheLocation::Local(d) => d.display().to_string(),
        }
    }
}

/// `--cache-to` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// The final image's steps.
    Min,
    /// Every step of the build.
    Max,
}

/// One `--cache-to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheTo {
    /// Where.
    pub location: CacheLocation,
    /// min or max.
    pub mode: CacheMode,
    /// `mounts=true`: also export `RUN --mount=type=cache` directories.
    pub mounts: bool,
}

fn fields(s: &str, flag: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for f in s.split(',') {
        match f.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            _ => {
                return Err(format!(
                    "{flag} {s:?}: expected KEY=VALUE fields, got {f:?}"
                ))
            }
        }
    }
    Ok(out)
}

fn location(
    s: &str,
    flag: &str,
    f: &mut BTreeMap<String, String>,
    dir_key: &str,
) -> Result<CacheLocation, String> {
    match f.remove("type").as_deref() {
        Some("registry") => f
            .remove("ref")
            .map(CacheLocation::Registry)
            .ok_or_else(|| format!("{flag} {s:?}: type=registry needs ref=HOST/REPO:TAG")),
        Some("local") => f
            .remove(dir_key)
            .map(|d| CacheLocation::Local(PathBuf::from(d)))
            .ok_or_else(|| format!("{flag} {s:?}: type=local needs {dir_key}=DIR")),
        Some(t) => Err(format!(
            "{flag} {s:?}: unknown type {t:?} (registry or local)"
        )),
        None => Err(format!("{flag} {s:?}: missing type=")),
    }
}

fn no_rest(s: &str, flag: &str, f: &BTreeMap<String, String>) -> Result<(), String> {
    match f.keys().next() {
        Some(k) => Err(format!("{flag} {s:?}: unknown field {k:?}")),
        None => Ok(()),
    }
}

/// Parse `--cache-to type=registry,ref=R[,mode=min|max]` / `type=local,dest=DIR[,mode=…]`.
pub fn parse_cache_to(s: &str) -> Result<CacheTo, String> {
    let mut f = fields(s, "--cache-to")?;
    let location = location(s, "--cache-to", &mut f, "dest")?;
    let mode = match f.remove("mode").as_deref() {
        None | Some("min") => CacheMode::Min,
        Some("max") => CacheMode::Max,
        Some(m) => return Err(format!("--cache-to {s:?}: mode={m:?} is not min or max")),
    };
    let mounts = match f.remove("mounts").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(m) => {
            return Err(format!(
                "--cache-to {s:?}: mounts={m:?} is not true or false"
            ))
        }
    };
    no_rest(s, "--cache-to", &f)?;
    Ok(CacheTo {
        location,
        mode,
        mounts,
    })
}

/// Parse `--cache-from type=registry,ref=R` / `type=local,src=DIR`.
pub fn parse_cache_from(s: &str) -> Result<CacheLocation, String> {
    let mut f = fields(s, "--cache-from")?;
    let location = location(s, "--cache-from", &mut f, "src")?;
    no_rest(s, "--cache-from", &f)?;
    Ok(location)
}

/// An imported cache: where it is and its key map.
struct Imported {
    location: CacheLocation,
    records: BTreeMap<String, Digest>,
    /// Record bodies the key map carried inline (checked), by digest.
    bodies: BTreeMap<Digest, Vec<u8>>,
    /// Descriptors of every blob in the artifact, by digest.
    blobs: BTreeMap<Digest, Descriptor>,
}

#[derive(Default)]
struct HookState {
    imported: Vec<Imported>,
    /// Keys this build used (hit or recorded), in order.
    used: Vec<String>,
}

/// The builder's link to shared caches: imports (`--cache-from`) consulted before each local
/// lookup, and the keys the build used, for `--cache-to`. Cheap to clone (shared state).
#[derive(Clone, Default)]
pub struct CacheHook {
    inner: Arc<Mutex<HookState>>,
    remote: RemoteOptions,
}

impl std::fmt::Debug for CacheHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheHook")
    }
}

fn cache_err(location: &CacheLocation) -> impl FnOnce(CopyError) -> BuildError + '_ {
    move |e| BuildError::Output {
        dest: format!("cache {}", location.describe()),
        source: Box::new(e),
    }
}

fn desc_of(v: &Value) -> Option<Descriptor> {
    let d: Digest = v.get("digest")?.as_str()?.parse().ok()?;
    media::descriptor(v.get("mediaType")?.as_str()?, &d, v.get("size")?.as_u64()?).ok()
}

impl CacheHook {
    /// A hook reaching registries with `remote`.
    pub fn new(remote: RemoteOptions) -> CacheHook {
        CacheHook {
            inner: Arc::default(),
            remote,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HookState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Read the key map of the cache at `location`, and restore the cache-mount directories it
    /// carries that `store` lacks (a mount's content is needed as soon as a step using it runs).
    /// A cache that does not exist yet (first run) is not an error: it returns false.
    pub fn import(&self, store: &Store, location: &CacheLocation) -> Result<bool, BuildError> {
        let r = location.image_ref().map_err(cache_err(location))?;
        let mut src = match open_source(&r, &self.remote) {
            Ok(s) => s,
            Err(_) if matches!(location, CacheLocation::Local(d) if !d.exists()) => {
                return Ok(false)
            }
            Err(e) => return Err(cache_err(location)(e)),
        };
        let root = match src.root() {
            Ok(m) => m,
            Err(e) if e.status() == Some(404) => return Ok(false),
            Err(e) => return Err(cache_err(location)(e)),
        };
        let manifest = root
            .parse_image()
            .map_err(|e| cache_err(location)(e.into()))?;
        if manifest.config().media_type().to_string() != CONFIG_MEDIA_TYPE {
            return Err(cache_err(location)(CopyError::Unsupported {
                reference: location.describe(),
                reason: "not a hoist build cache (config media type differs)".to_string(),
            }));
        }
        let config = crate::copy::read_verified(src.as_mut(), manifest.config())
            .map_err(cache_err(location))?;
        let v: Value = serde_json::from_slice(&config).map_err(|e| {
            cache_err(location)(CopyError::Unsupported {
                reference: location.describe(),
                reason: format!("cache config: {e}"),
            })
        })?;
        let mut records = BTreeMap::new();
        if let Some(m) = v.get("records").and_then(Value::as_object) {
            for (k, d) in m {
                if let Some(d) = d.as_str().and_then(|d| d.parse().ok()) {
                    records.insert(k.clone(), d);
                }
            }
        }
        // Record bodies carried in the config (exports since they were added): no fetch per
        // record. Each is checked against the digest it is filed under.
        let mut bodies = BTreeMap::new();
        if let Some(m) = v.get("bodies").and_then(Value::as_object) {
            for (d, body) in m {
                let (Ok(d), Some(body)) = (d.parse::<Digest>(), body.as_str()) else {
                    continue;
                };
                if crate::oci::digest::digest_bytes(body.as_bytes()) == d {
                    bodies.insert(d, body.as_bytes().to_vec());
                }
            }
        }
        let mut blobs = BTreeMap::new();
        for l in manifest.layers() {
            if let Ok(d) = Digest::from_oci(l.digest()) {
                blobs.insert(d, l.clone());
            }
        }
        if let Some(m) = v.get("mounts").and_then(Value::as_object) {
            let mut wanted = Vec::new();
            for (name, entry) in m {
                let d = entry["digest"]
                    .as_str()
                    .and_then(|d| d.parse::<Digest>().ok());
                if let Some(desc) = d.and_then(|d| blobs.get(&d)) {
                    wanted.push((name.clone(), desc.clone()));
                }
            }
            import_mounts(store, src.as_mut(), &wanted).map_err(cache_err(location))?;
        }
        self.state().imported.push(Imported {
            location: location.clone(),
            records,
            bodies,
            blobs,
        });
        Ok(true)
    }

    /// Before the builder looks `key` up locally: when the local cache lacks it and an
    /// imported cache has it, fetch its record (a small JSON blob) into `store`. The layer
    /// blobs the record names are not fetched here: [`fetch_blob`](Self::fetch_blob) gets
    /// each one when its bytes are first needed.
    pub fn prepare(&self, store: &Store, key: &str) -> Result<(), BuildError> {
        if let Some(d) = store.get_cache_lenient(&entry_name(key))? {
            if store.get_small_verified(&d)?.is_some() {
                return Ok(());
            }
        }
        let found = {
            let st = self.state();
            st.imported.iter().find_map(|i| {
                i.records
                    .get(key)
                    .map(|d| (d.clone(), i.bodies.get(d).cloned()))
            })
        };
        let Some((rec, body)) = found else {
            return Ok(());
        };
        let body = match body {
            Some(b) => b,
            None => match self.fetch_small(&rec)? {
                Some(b) => b,
                None => return Ok(()),
            },
        };
        super::cache::put_record(store, key, &body)?;
        Ok(())
    }

    /// The bytes of the small blob `d` (a record an older export did not carry inline),
    /// fetched from the imported cache that lists it and checked. None when none lists it.
    fn fetch_small(&self, d: &Digest) -> Result<Option<Vec<u8>>, BuildError> {
        self.with_listed(d, &mut |src, desc| crate::copy::read_verified(src, desc))
    }

    /// Run `f` on a source of the imported cache that lists the blob `d` and its descriptor
    /// (one open source, registry client and token, per thread and location). None when no
    /// import lists `d`.
    fn with_listed<T>(
        &self,
        d: &Digest,
        f: &mut dyn FnMut(&mut dyn ImageSource, &Descriptor) -> Result<T, CopyError>,
    ) -> Result<Option<T>, BuildError> {
        let found = {
            let st = self.state();
            st.imported.iter().find_map(|i| {
                i.blobs
                    .get(d)
                    .map(|desc| (i.location.clone(), desc.clone()))
            })
        };
        let Some((location, desc)) = found else {
            return Ok(None);
        };
        let mut run = || -> Result<T, CopyError> {
            OPEN.with(|cell| {
                let mut open = cell.borrow_mut();
                let reuse = matches!(&*open, Some((l, _)) if *l == location);
                let src = match &mut *open {
                    Some((_, src)) if reuse => src,
                    slot => {
                        let r = location.image_ref()?;
                        &mut slot
                            .insert((location.clone(), open_source(&r, &self.remote)?))
                            .1
                    }
                };
                f(src.as_mut(), &desc)
            })
        };
        run().map(Some).map_err(cache_err(&location))
    }

    /// Whether an imported cache lists the blob `d` (so [`fetch_blob`](Self::fetch_blob) can
    /// get it).
    pub fn has_remote(&self, d: &Digest) -> bool {
        self.state()
            .imported
            .iter()
            .any(|i| i.blobs.contains_key(d))
    }

    /// Make sure the blob `d` is in `store`, fetching it (verified) from the imported cache
    /// that lists it. False when it is neither stored nor listed.
    pub fn fetch_blob(&self, store: &Store, d: &Digest) -> Result<bool, BuildError> {
        if store.has_blob(d) {
            return Ok(true);
        }
        let stored = self.with_listed(d, &mut |src, desc| {
            // A registry download lands in a scratch file in the store's tmp/, verified as it
            // arrived: the store takes that file over (one write, one hash).
            src.spool_in(&store.tmp_dir());
            if src.blob_path_is_scratch() {
                if let Some(p) = src.blob_path(desc) {
                    if store.adopt_blob(d, desc.size(), &p)? {
                        return Ok(());
                    }
                }
            }
            let reader = src.blob(desc)?;
            store.put_blob(
                reader,
                Some(&Expected {
                    digest: d.clone(),
                    size: Some(desc.size()),
                }),
            )?;
            Ok(())
        })?;
        Ok(stored.is_some())
    }

    /// The builder used `key` (a hit, or a step it recorded).
    pub fn used(&self, key: &str) {
        let mut st = self.state();
        if !st.used.iter().any(|k| k == key) {
            st.used.push(key.to_string());
        }
    }

    /// Export the steps of this build (per `to.mode`) whose image is `result`.
    pub fn export(
        &self,
        store: &Store,
        result: &BuildResult,
        to: &CacheTo,
    ) -> Result<(), BuildError> {
        let final_layers = image_layers(store, &result.digest)?;
        let used = self.state().used.clone();
        let mut records = ExportedRecords::default();
        let mut layer_descs: BTreeMap<Digest, Descriptor> = BTreeMap::new();
        for key in used {
            let Some(rec) = store.get_cache_lenient(&entry_name(&key))? else {
                continue;
            };
            let Some(bytes) = store.get_small_verified(&rec)? else {
                continue;
            };
            if let Some(target) = super::cache::alias_target(&bytes) {
                // An alias goes wherever the step it names goes.
                if records.keys.contains_key(&target) {
                    records.add(key, &rec, &bytes, to)?;
                }
                continue;
            }
            let doc: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let layers: Vec<Descriptor> = doc["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(desc_of)
                .collect();
            let in_final = !layers.is_empty()
                && layers
                    .iter()
                    .all(|l| Digest::from_oci(l.digest()).is_ok_and(|d| final_layers.contains(&d)));
            if to.mode == CacheMode::Min && !in_final {
                continue;
            }
            // Layers of lazily imported hits are fetched now (or this step is left out).
            let mut complete = true;
            for l in &layers {
                match Digest::from_oci(l.digest()) {
                    Ok(d) if self.fetch_blob(store, &d)? => {}
                    _ => complete = false,
                }
            }
            if !complete {
                continue;
            }
            records.add(key, &rec, &bytes, to)?;
            for l in layers {
                if let Ok(d) = Digest::from_oci(l.digest()) {
                    layer_descs.entry(d).or_insert(l);
                }
            }
        }
        let mut mounts = BTreeMap::new();
        if to.mounts {
            for (name, desc, diff_id) in export_mounts(store)? {
                mounts.insert(
                    name,
                    json!({"digest": desc.digest().to_string(), "diffID": diff_id.to_string()}),
                );
                if let Ok(d) = Digest::from_oci(desc.digest()) {
                    layer_descs.entry(d).or_insert(desc);
                }
            }
        }
        let config = crate::oci::json::to_canonical_vec(
            &json!({ "records": records.keys, "bodies": records.bodies, "mounts": mounts }),
        )
        .map_err(|e| cache_err(&to.location)(e.into()))?;
        let config_info = store.put_bytes(&config)?;
        let config_desc =
            media::descriptor(CONFIG_MEDIA_TYPE, &config_info.digest, config.len() as u64)
                .map_err(|e| cache_err(&to.location)(e.into()))?;
        let layers: Vec<Descriptor> = records
            .descs
            .into_iter()
            .chain(layer_descs.into_values())
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": config_desc,
            "layers": layers,
        });
        let bytes = crate::oci::json::to_canonical_vec(&manifest)
            .map_err(|e| cache_err(&to.location)(e.into()))?;
        let raw = RawManifest::new(bytes, Some(media::OCI_MANIFEST))
            .map_err(|e| cache_err(&to.location)(e.into()))?;
        let digest = raw.digest.clone();
        let mut src = StoreSource::from_manifest(store.clone(), raw);
        let err = cache_err(&to.location);
        let mut run = || -> Result<(), CopyError> {
            match &to.location {
                CacheLocation::Registry(r) => {
                    let reference = parse_normalized(r).map_err(|e| CopyError::Unsupported {
                        reference: r.clone(),
                        reason: e.to_string(),
                    })?;
                    // Nothing changed (the tag already names these exact bytes): one GET.
                    let current = RegistrySource::open(&reference, &self.remote)
                        .and_then(|mut s| s.root())
                        .ok();
                    if current.is_some_and(|m| m.digest == digest) {
                        return Ok(());
                    }
                    let mut dst = RegistryDest::open(&reference, &self.remote)?;
                    copy_image(&mut src, &mut dst, &CopyOptions::default(), &NoProgress)?;
                }
                CacheLocation::Local(dir) => {
                    let mut dst = LayoutDest::create(dir, Some(LOCAL_TAG))?;
                    copy_image(&mut src, &mut dst, &CopyOptions::default(), &NoProgress)?;
                }
            }
            Ok(())
        };
        run().map_err(err)
    }
}

/// The step records of an export: key map, record bodies (by digest) and record blobs.
#[derive(Default)]
struct ExportedRecords {
    keys: BTreeMap<String, Value>,
    bodies: BTreeMap<String, Value>,
    descs: Vec<Descriptor>,
}

impl ExportedRecords {
    /// Put the record blob `rec` (`bytes`) of `key` into the key map, bodies and blob list.
    fn add(
        &mut self,
        key: String,
        rec: &Digest,
        bytes: &[u8],
        to: &CacheTo,
    ) -> Result<(), BuildError> {
        self.keys.insert(key, json!(rec.to_string()));
        if let Ok(text) = std::str::from_utf8(bytes) {
            self.bodies.insert(rec.to_string(), json!(text));
        }
        if !self
            .descs
            .iter()
            .any(|d| d.digest().to_string() == rec.to_string())
        {
            self.descs.push(
                media::descriptor(super::cache::RECORD_MEDIA_TYPE, rec, bytes.len() as u64)
                    .map_err(|e| cache_err(&to.location)(e.into()))?,
            );
        }
        Ok(())
    }
}

thread_local! {
    /// The source lazy fetches of this thread read from (sources are not `Send`).
    static OPEN: std::cell::RefCell<Option<(CacheLocation, Box<dyn ImageSource>)>> =
        const { std::cell::RefCell::new(None) };
}

/// Where the builder keeps `RUN --mount=type=cache` directories: `mounts/<sha256 of id>/data`.
fn mounts_root(store: &Store) -> PathBuf {
    store.root().join("mounts")
}

/// Every cache-mount directory of `store` as a reproducible layer blob in the store (same
/// content, same digest: an unchanged mount is never uploaded again): (name, descriptor,
/// diffID), sorted by name.
fn export_mounts(store: &Store) -> Result<Vec<(String, Descriptor, Digest)>, BuildError> {
    let root = mounts_root(store);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Ok(out);
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect();
    names.sort();
    for name in names {
        let data = root.join(&name).join("data");
        if !data.is_dir() {
            continue;
        }
        let opts = LayerOptions {
            compression: Compression::Gzip { level: 6 },
            source_date_epoch: Some(0),
            ..LayerOptions::default()
        };
        let walk = WalkOptions {
            xattrs: false,
            overlay_whiteouts: false,
        };
        let info = store.write_dir_layer(&data, &opts, &walk)?;
        let desc =
            media::descriptor(media::OCI_LAYER_GZIP, &info.digest, info.size).map_err(|e| {
                BuildError::Output {
                    dest: data.display().to_string(),
                    source: Box::new(e.into()),
                }
            })?;
        out.push((name, desc, info.diff_id));
    }
    Ok(out)
}

/// Unpack each wanted mount (name, layer) that `store` does not have yet.
fn import_mounts(
    store: &Store,
    src: &mut dyn ImageSource,
    wanted: &[(String, Descriptor)],
) -> Result<(), CopyError> {
    for (name, desc) in wanted {
        if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let dir = mounts_root(store).join(name);
        if dir.join("data").exists() {
            continue;
        }
        let io_err = |source: std::io::Error| CopyError::Blob {
            reference: format!("cache mount {name}"),
            digest: Digest::from_oci(desc.digest())
                .unwrap_or_else(|_| crate::oci::digest::digest_bytes(b"")),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io_err)?;
        let tmp = tempfile::Builder::new()
            .prefix("new-")
            .tempdir_in(&dir)
            .map_err(io_err)?;
        let d = Digest::from_oci(desc.digest())?;
        let reader = VerifyingReader::new(src.blob(desc)?, &d, desc.size()).map_err(io_err)?;
        unpack_layer(reader, tmp.path(), &UnpackOptions::default()).map_err(|e| {
            CopyError::Unsupported {
                reference: format!("cache mount {name}"),
                reason: e.to_string(),
            }
        })?;
        std::fs::set_permissions(
            tmp.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .map_err(io_err)?;
        let fresh = tmp.keep();
        if std::fs::rename(&fresh, dir.join("data")).is_err() {
            // Another build created it first.
            let _ = crate::oci::unpack::remove_tree(&fresh);
        }
    }
    Ok(())
}

/// The layer digests of the store image `digest` (every platform of an index).
fn image_layers(store: &Store, digest: &Digest) -> Result<BTreeSet<Digest>, BuildError> {
    let mut out = BTreeSet::new();
    let m = RawManifest::new(store.read_blob(digest)?, None).map_err(|e| BuildError::Output {
        dest: "cache export".to_string(),
        source: Box::new(e.into()),
    })?;
    let v: Value = serde_json::from_slice(&m.bytes).unwrap_or(Value::Null);
    if m.is_index() {
        for c in v["manifests"].as_array().into_iter().flatten() {
            if let Some(d) = c["digest"].as_str().and_then(|d| d.parse::<Digest>().ok()) {
                if store.has_blob(&d) {
                    out.extend(image_layers(store, &d)?);
                }
            }
        }
    } else {
        for l in v["layers"].as_array().into_iter().flatten() {
            if let Some(d) = l["digest"].as_str().and_then(|d| d.parse().ok()) {
                out.insert(d);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_flags_parse_like_buildx() {
        assert_eq!(
            parse_cache_to("type=registry,ref=h/r:c,mode=max"),
            Ok(CacheTo {
                location: CacheLocation::Registry("h/r:c".into()),
                mode: CacheMode::Max,
                mounts: false,
            })
        );
        assert_eq!(
            parse_cache_to("type=local,dest=d"),
            Ok(CacheTo {
                location: CacheLocation::Local("d".into()),
                mode: CacheMode::Min,
                mounts: false,
            })
        );
        assert_eq!(
            parse_cache_from("type=local,src=d"),
            Ok(CacheLocation::Local("d".into()))
        );
        for bad in [
            "type=registry",
            "type=local,src=d",
            "type=gha",
            "ref=x",
            "type=registry,ref=x,mode=all",
            "type=registry,ref=x,mounts=yes",
        ] {
            assert!(parse_cache_to(bad).is_err(), "{bad}");
        }
        assert!(parse_cache_from("type=local,dest=d").is_err());
        assert!(parse_cache_to("type=local,dest=d,mounts=true").is_ok_and(|c| c.mounts));
    }
}
