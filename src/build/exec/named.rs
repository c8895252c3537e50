//! Named build contexts (`--build-context`) at run time: checked once when the build starts,
//! then used as a stage's base, a `COPY --from` source or a `RUN --mount=from=` source.
//!
//! A directory is read like the main context, with its own `.dockerignore` (BuildKit loads
//! only that file for a named local context, never a `<Dockerfile>.dockerignore`); its content
//! digest goes into the keys of the steps that read it. An image context is fetched for the
//! stage's platform like any base image.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use super::base::{self, from_image, image};
use super::layer::{commit_dir_owned, try_cache};
use super::mounts::plan_options;
use super::rootless::Owners;
use super::Ctx;
use crate::build::cache::step_key;
use crate::build::config::{history, StageState};
use crate::build::contexts::{context_name, NamedContext};
use crate::build::error::{BuildError, Loc};
use crate::build::fs::{plan_copy_with, CopyRequest, DockerIgnore, SourceRoot};
use crate::dockerfile::scope::Platform;
use crate::oci::layout::OciLayout;
use crate::oci::media::descriptor_digest;

/// A checked named context.
#[derive(Debug)]
pub enum Loaded {
    /// A local directory and its `.dockerignore`.
    Dir(LocalContext),
    /// An image reference hoist can fetch (an `oci-layout://` value becomes `oci:DIR:TAG`).
    Image(String),
}

/// A local directory context.
#[derive(Debug)]
pub struct LocalContext {
    /// The directory.
    pub dir: PathBuf,
    /// Its `.dockerignore`.
    pub ignore: DockerIgnore,
}

/// Check every `--build-context` of the build: directories exist and their `.dockerignore`
/// parses, OCI layouts hold the tag or digest asked for. Errors name the flag.
pub fn load(
    contexts: &BTreeMap<String, NamedContext>,
) -> Result<BTreeMap<String, Loaded>, BuildError> {
    let mut out = BTreeMap::new();
    for (name, c) in contexts {
        let fail = |message: String| BuildError::Context {
            name: name.clone(),
            value: c.to_string(),
            message,
        };
        let loaded = match c {
            NamedContext::Dir(dir) => {
                match std::fs::metadata(dir) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => return Err(fail("not a directory".into())),
                    Err(e) => return Err(fail(format!("cannot read the directory: {e}"))),
                }
                let ignore = DockerIgnore::load(dir, None).map_err(|e| fail(e.to_string()))?;
                Loaded::Dir(LocalContext {
                    dir: dir.clone(),
                    ignore,
                })
            }
            NamedContext::Image(r) => Loaded::Image(r.clone()),
            NamedContext::OciLayout { dir, tag, digest } => {
                let shown = dir.display().to_string();
                if shown.contains(':') {
                    return Err(fail(
                        "a layout path containing ':' cannot be named with a tag; rename or \
                         link the directory"
                            .into(),
                    ));
                }
                let layout = OciLayout::open(dir).map_err(|e| fail(e.to_string()))?;
                let tags = layout.tags().map_err(|e| fail(e.to_string()))?;
                let named = |t: &str| {
                    tags.iter()
                        .find(|(n, _)| n == t)
                        .and_then(|(_, d)| descriptor_digest(d).ok())
                };
                let image = match (tag, digest) {
                    (Some(t), None) => match named(t) {
                        Some(_) => format!("oci:{shown}:{t}"),
                        None => return Err(fail(format!("the layout has no image tagged {t:?}"))),
                    },
                    (Some(t), Some(d)) => match named(t) {
                        Some(found) if found == *d => format!("oci:{shown}:{t}"),
                        Some(found) => {
                            return Err(fail(format!("tag {t:?} names {found}, not {d}")))
                        }
                        None => return Err(fail(format!("the layout has no image tagged {t:?}"))),
                    },
                    // BuildKit reads any manifest of the layout by digest, tagged or not.
                    (None, Some(d)) => {
                        layout
                            .resolve(Some(&format!("@{d}")))
                            .map_err(|e| fail(e.to_string()))?;
                        format!("oci:{shown}@{d}")
                    }
                    (None, None) => return Err(fail("a tag or a digest is needed".into())),
                };
                Loaded::Image(image)
            }
        };
        out.insert(name.clone(), loaded);
    }
    Ok(out)
}

/// What a `COPY --from` / `RUN --mount=from=` word reads.
pub enum FromSource<'a> {
    /// A stage's result or an image (a named image context included).
    State(Box<StageState>),
    /// A named directory context.
    Dir(&'a LocalContext),
}

/// Resolve `word` as BuildKit does: a stage (by name or number; a stage a context replaced
/// has that context as its result), else a named context, else an image reference.
pub fn from_source<'a>(
    ctx: &'a Ctx,
    loc: &Loc,
    word: &str,
    platform: &Platform,
) -> Result<FromSource<'a>, BuildError> {
    if let Some(i) = ctx.plan.find_stage(word) {
        let st = ctx.stage_result(i).ok_or(BuildError::Cancelled)?;
        return Ok(FromSource::State(Box::new((*st).clone())));
    }
    let reference = match context_name(word).and_then(|n| ctx.named.get(&n)) {
        Some(Loaded::Dir(d)) => return Ok(FromSource::Dir(d)),
        Some(Loaded::Image(r)) => r.as_str(),
        None => word,
    };
    let img = image(ctx, loc, reference, platform)?;
    Ok(FromSource::State(Box::new(from_image(ctx, &img, platform))))
}

/// The starting state of a stage whose base is the named context `name`: the image's, or
/// for a directory an empty image with the directory's files as one layer.
pub fn base_state(
    ctx: &Ctx,
    loc: &Loc,
    name: &str,
    platform: &Platform,
    no_cache: bool,
) -> Result<StageState, BuildError> {
    let local = match ctx.named.get(name) {
        Some(Loaded::Image(r)) => {
            let img = image(ctx, loc, r, platform)?;
            return Ok(from_image(ctx, &img, platform));
        }
        Some(Loaded::Dir(d)) => d,
        None => {
            return Err(BuildError::Flag {
                loc: loc.clone(),
                message: format!("no --build-context named {name:?}"),
            })
        }
    };
    let mut state = base::scratch(ctx, platform);
    let sources = vec![".".to_string()];
    let req = CopyRequest::snapshot(&sources);
    let root = SourceRoot::Context {
        dir: &local.dir,
        ignore: &local.ignore,
    };
    let fail = |e: crate::build::fs::FsError| BuildError::Context {
        name: name.to_string(),
        value: local.dir.display().to_string(),
        message: e.to_string(),
    };
    let plan = plan_copy_with(&root, None, &req, &plan_options(ctx)).map_err(fail)?;
    let key = step_key(
        &state.key,
        &json!({"op": "context", "name": name, "content": plan.digest().to_string()}),
    );
    if !try_cache(ctx, &mut state, &key, no_cache)? {
        let out = ctx.store.temp_dir("context-")?;
        plan.materialize(out.path()).map_err(fail)?;
        commit_dir_owned(
            ctx,
            &mut state,
            out.path(),
            false,
            history(format!("context {name}"), ctx.epoch),
            &key,
            Some((&Owners::of_plan(&plan), loc)),
        )?;
    }
    state.key = key;
    Ok(state)
}
