//! New layers and the cache around them: look a step up by key, or turn the directory a step
//! produced into a layer blob (reproducible settings), adopt that directory as the store's
//! unpacked layer, and record the step in the cache once everything is stored.

use std::path::Path;

use super::rootless::{self, Owners};
use super::Ctx;
use crate::build::cache::{self, CacheRecord};
use crate::build::config::StageState;
use crate::build::error::{BuildError, Loc};
use crate::build::fs::StreamedLayer;
use crate::build::sandbox;
use crate::oci::assemble::{History, LayerRef};
use crate::oci::layer::{Compression, LayerOptions, WalkOptions};
use crate::oci::media::MediaFlavor;

/// Layer settings of this build. Thread counts are fixed so the bytes never depend on the
/// machine: gzip block mode and zstd with workers give the same output for any count ≥ 1.
pub fn layer_options(ctx: &Ctx) -> LayerOptions {
    let threads = std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(1))
        .unwrap_or(1)
        .max(1);
    LayerOptions {
        compression: ctx.opts.compression,
        source_date_epoch: Some(ctx.epoch),
        zstd_workers: if matches!(ctx.opts.compression, Compression::Zstd { .. }) {
            threads
        } else {
            0
        },
        gzip_threads: if matches!(ctx.opts.compression, Compression::Gzip { .. }) {
            threads
        } else {
            0
        },
    }
}

/// Apply a cache hit for `key` to `state`; false on a miss (or when the stage ignores the
/// cache).
pub fn try_cache(
    ctx: &Ctx,
    state: &mut StageState,
    key: &str,
    no_cache: bool,
) -> Result<bool, BuildError> {
    // `--no-cache` ignores earlier builds, not a step this build ran for another platform.
    if no_cache && !ctx.opts.in_flight.built_here(key) {
        return Ok(false);
    }
    if let Some(hook) = &ctx.opts.cache_hook {
        hook.prepare(&ctx.store, key)?;
    }
    let found = match &ctx.opts.cache_hook {
        Some(hook) => cache::lookup_lazy(&ctx.store, key, &|d| hook.has_remote(d))?,
        None => cache::lookup(&ctx.store, key)?,
    };
    let Some(rec) = found else {
        return Ok(false);
    };
    if let Some(hook) = &ctx.opts.cache_hook {
        hook.used(key);
    }
    apply_record(state, rec);
    state.key = key.to_string();
    Ok(true)
}

/// Like [`try_cache`] for an alias key (see [`record_alias`]): on a hit the stage continues
/// under the key the alias names, exactly as if that key had been looked up.
pub fn try_alias(
    ctx: &Ctx,
    state: &mut StageState,
    alias: &str,
    no_cache: bool,
) -> Result<bool, BuildError> {
    if no_cache {
        return Ok(false);
    }
    if let Some(hook) = &ctx.opts.cache_hook {
        hook.prepare(&ctx.store, alias)?;
    }
    let Some(key) = cache::lookup_alias(&ctx.store, alias)? else {
        return Ok(false);
    };
    if !try_cache(ctx, state, &key, no_cache)? {
        return Ok(false);
    }
    if let Some(hook) = &ctx.opts.cache_hook {
        hook.used(alias);
    }
    Ok(true)
}

/// Record `alias` as another name of the step `key` (recorded already).
pub fn record_alias(ctx: &Ctx, alias: &str, key: &str) -> Result<(), BuildError> {
    cache::record_alias(&ctx.store, alias, key)?;
    if let Some(hook) = &ctx.opts.cache_hook {
        hook.used(alias);
    }
    Ok(())
}

fn apply_record(state: &mut StageState, rec: CacheRecord) {
    let complete = state.lowers.len() == state.layers.len();
    if rec.layers.is_empty() {
        state.config.push_empty(rec.history);
        return;
    }
    for l in rec.layers {
        state
            .config
            .push_layer(l.diff_id.clone(), rec.history.clone());
        state.layers.push(l);
    }
    if !complete {
        state.lowers.clear();
    }
}

/// Make sure each of `layers` has its blob in the store: blobs of lazily imported cache hits
/// are fetched from the `--cache-from` that lists them.
pub fn fetch_layers(ctx: &Ctx, layers: &[LayerRef]) -> Result<(), BuildError> {
    let Some(hook) = &ctx.opts.cache_hook else {
        return Ok(());
    };
    for l in layers {
        hook.fetch_blob(&ctx.store, &l.digest)?;
    }
    Ok(())
}

fn is_empty_dir(dir: &Path) -> Result<bool, BuildError> {
    Ok(std::fs::read_dir(dir)
        .map_err(BuildError::io(dir))?
        .next()
        .is_none())
}

/// Finish a step whose changes are in `dir` (a directory under the store's `tmp/`, moved
/// away when adopted): write
/// them as a layer (none if `dir` is empty), adopt `dir` as the unpacked layer, push layer and
/// history onto `state`, and record the step under `key`. `overlay` says `dir` is an overlay
/// upper (whiteouts as 0/0 devices, opaque xattrs).
pub fn commit_dir(
    ctx: &Ctx,
    state: &mut StageState,
    dir: &Path,
    overlay: bool,
    history: History,
    key: &str,
) -> Result<(), BuildError> {
    commit_dir_owned(ctx, state, dir, overlay, history, key, None)
}

/// [`commit_dir`] for a directory the builder wrote itself: `owned` gives the owners it meant
/// (and the step's location), which a builder without privileges could not set on disk (see
/// [`rootless`]).
pub fn commit_dir_owned(
    ctx: &Ctx,
    state: &mut StageState,
    dir: &Path,
    overlay: bool,
    history: History,
    key: &str,
    owned: Option<(&Owners, &Loc)>,
) -> Result<(), BuildError> {
    let rec = if is_empty_dir(dir)? {
        CacheRecord {
            layers: Vec::new(),
            history,
        }
    } else {
        let walk = WalkOptions {
            xattrs: true,
            overlay_whiteouts: overlay,
        };
        let none = Owners::none();
        let owners = owned.map_or(&none, |(o, _)| o);
        let map = sandbox::current_map();
        let info = if owned.is_none() && rootless::needs_helper() {
            // A RUN step's files may be private to subordinate ids: read them as container root.
            rootless::write_layer(&ctx.store, dir, &layer_options(ctx), &walk)?
        } else {
            ctx.store
                .write_dir_layer_owned(dir, &layer_options(ctx), &walk, &|rel, uid, gid| {
                    rootless::layer_owner(map, owners, rel, uid, gid)
                })?
        };
        let layer = LayerRef::from_info(&info, MediaFlavor::Oci);
        if let Some((o, loc)) = owned {
            if ctx.store.unpacked_layer(&layer.diff_id).is_none() {
                rootless::apply(dir, o, loc)?;
            }
        }
        // The caller's temporary directory removes `dir` if it was not adopted.
        let unpacked = ctx.store.adopt_layer(&layer.diff_id, dir)?;
        let complete = state.lowers.len() == state.layers.len();
        if complete {
            state.lowers.push(unpacked);
        }
        CacheRecord {
            layers: vec![layer],
            history,
        }
    };
    push_record(ctx, state, rec, key)
}

/// Finish a COPY whose layer is written straight from its sources (`layer`, see
/// [`StreamedLayer`]): the blob is stored, nothing is unpacked (a later step that needs the
/// files extracts the blob, as for a cache hit), and the step is recorded under `key`.
pub fn commit_streamed(
    ctx: &Ctx,
    state: &mut StageState,
    layer: &StreamedLayer,
    history: History,
    key: &str,
) -> Result<(), BuildError> {
    let info = ctx
        .store
        .write_layer_with(&layer_options(ctx), &mut |w| layer.write_entries(w))?;
    let rec = CacheRecord {
        layers: vec![LayerRef::from_info(&info, MediaFlavor::Oci)],
        history,
    };
    push_record(ctx, state, rec, key)
}

/// Record `rec` under `key` and push its layers (whose unpacked trees, if any, the caller
/// pushed onto `state.lowers` already) and history onto `state`.
fn push_record(
    ctx: &Ctx,
    state: &mut StageState,
    rec: CacheRecord,
    key: &str,
) -> Result<(), BuildError> {
    cache::record(&ctx.store, key, &rec)?;
    ctx.opts.in_flight.mark_built(key);
    if let Some(hook) = &ctx.opts.cache_hook {
        hook.used(key);
    }
    let complete = state.lowers.len() == state.layers.len() + rec.layers.len();
    for l in &rec.layers {
        state
            .config
            .push_layer(l.diff_id.clone(), rec.history.clone());
        state.layers.push(l.clone());
    }
    if rec.layers.is_empty() {
        state.config.push_empty(rec.history);
    }
    if !complete {
        state.lowers.clear();
    }
    state.key = key.to_string();
    Ok(())
}
