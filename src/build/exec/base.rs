//! Stage bases: `scratch`, an earlier stage, or an image from any transport copied into the
//! store once per build (the platform's manifest), with its layers unpacked on first use.

use std::sync::Arc;

use super::Ctx;
use crate::build::cache::step_key;
use crate::build::compat::fetch_image;
use crate::build::config::StageState;
use crate::build::error::{BuildError, Loc};
use crate::dockerfile::scope::Platform;
use crate::oci::assemble::{ImageConfig, LayerRef};
use crate::oci::digest::Digest;
use crate::oci::image::{self, RawManifest};
use crate::oci::media::descriptor_digest;

/// A base image in the store.
#[derive(Debug, Clone)]
pub struct BaseImage {
    /// Its manifest digest.
    pub manifest: Digest,
    /// Its config.
    pub config: ImageConfig,
    /// Its layers.
    pub layers: Vec<LayerRef>,
}

/// The root cache key of a stage over a base identified by `base`.
pub fn root_key(ctx: &Ctx, base: &str, platform: &Platform) -> String {
    step_key(
        "hoist-build-v1",
        &serde_json::json!({
            "base": base,
            "platform": platform.to_string(),
            "compression": format!("{:?}", ctx.opts.compression),
            "epoch": ctx.epoch,
        }),
    )
}

/// Fetch (once per build) the image `reference` for `platform`.
pub fn image(
    ctx: &Ctx,
    loc: &Loc,
    reference: &str,
    platform: &Platform,
) -> Result<Arc<BaseImage>, BuildError> {
    let memo = format!("{reference}@{platform}");
    if let Some(b) = ctx.images.lock().ok().and_then(|m| m.get(&memo).cloned()) {
        return Ok(b);
    }
    let bad = |message: String| BuildError::BadBase {
        loc: loc.clone(),
        image: reference.to_string(),
        message,
    };
    let digest = fetch_image(&ctx.store, reference, platform, &ctx.opts.remote).map_err(|e| {
        BuildError::Base {
            loc: loc.clone(),
            image: reference.to_string(),
            source: Box::new(e),
        }
    })?;
    let raw =
        RawManifest::new(ctx.store.read_blob(&digest)?, None).map_err(|e| bad(e.to_string()))?;
    let m = raw.parse_image().map_err(|e| bad(e.to_string()))?;
    let cfg_digest = descriptor_digest(m.config()).map_err(|e| bad(e.to_string()))?;
    let config = ImageConfig::from_bytes(&ctx.store.read_blob(&cfg_digest)?, &cfg_digest)?;
    if config.rootfs.diff_ids.len() != m.layers().len() {
        return Err(bad(format!(
            "the manifest has {} layers but the config lists {} diff IDs",
            m.layers().len(),
            config.rootfs.diff_ids.len()
        )));
    }
    let mut layers = Vec::new();
    for (desc, diff_id) in m.layers().iter().zip(&config.rootfs.diff_ids) {
        layers.push(LayerRef {
            media_type: image::media_type_str(desc),
            digest: descriptor_digest(desc).map_err(|e| bad(e.to_string()))?,
            size: desc.size(),
            diff_id: diff_id.clone(),
        });
    }
    let b = Arc::new(BaseImage {
        manifest: digest,
        config,
        layers,
    });
    if let Ok(mut m) = ctx.images.lock() {
        m.insert(memo, b.clone());
    }
    Ok(b)
}

/// Like BuildKit (dockerfile2llb "make sure that PATH is always set"): a stage whose base sets
/// no PATH gets the default one in its config, so the image runs its commands by name.
fn ensure_path(config: &mut ImageConfig) {
    let has_path = config.config.env.iter().any(|kv| kv.starts_with("PATH="));
    if !has_path && config.os != "windows" {
        config
            .config
            .env
            .push(format!("PATH={}", super::run::DEFAULT_PATH));
    }
}

/// The starting state of a stage over an image.
pub fn from_image(ctx: &Ctx, b: &BaseImage, platform: &Platform) -> StageState {
    let mut config = b.config.clone();
    if config.os.is_empty() {
        config.os = platform.os.clone();
        config.architecture = platform.architecture.clone();
        config.variant = platform.variant.clone();
    }
    ensure_path(&mut config);
    StageState::new(
        config,
        b.layers.clone(),
        root_key(ctx, &b.manifest.to_string(), platform),
    )
}

/// The starting state of a `scratch` stage.
pub fn scratch(ctx: &Ctx, platform: &Platform) -> StageState {
    let mut config = ImageConfig::scratch(
        &platform.os,
        &platform.architecture,
        platform.variant.as_deref(),
    );
    ensure_path(&mut config);
    StageState::new(config, Vec::new(), root_key(ctx, "scratch", platform))
}

/// The starting state of a stage built on an earlier stage's result.
pub fn from_stage(ctx: &Ctx, parent: &StageState, platform: &Platform) -> StageState {
    let mut s = StageState::new(
        parent.config.clone(),
        parent.layers.clone(),
        root_key(ctx, &format!("stage:{}", parent.key), platform),
    );
    s.lowers = parent.lowers.clone();
    s
}

/// Make sure every layer of `state` is unpacked in the store; fills `state.lowers`.
pub fn ensure_lowers(ctx: &Ctx, state: &mut StageState) -> Result<(), BuildError> {
    if state.lowers.len() == state.layers.len() {
        return Ok(());
    }
    let mut lowers = Vec::with_capacity(state.layers.len());
    // A builder without privileges has the helper give base-layer entries their owners.
    let fix = super::rootless::owner_fix();
    for l in &state.layers {
        let p = match ctx.store.unpacked_layer_for(&l.diff_id, fix) {
            Some(p) => p,
            None => {
                super::layer::fetch_layers(ctx, std::slice::from_ref(l))?;
                ctx.store.unpack_layer_with(&l.digest, &l.diff_id, fix)?
            }
        };
        lowers.push(p);
    }
    state.lowers = lowers;
    Ok(())
}

/// The lowers of `state`, topmost first (the sandbox's and `LayerStack`'s order).
pub fn lowers_top_first(state: &StageState) -> Vec<std::path::PathBuf> {
    state.lowers.iter().rev().cloned().collect()
}
