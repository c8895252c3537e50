//! `RUN --mount`: turn each mount into a sandbox bind or tmpfs. Cache mounts are directories
//! under the store (`mounts/<sha256 of id>`), never in a layer; secrets are 0400 files in a
//! temporary directory outside every layer (or environment variables), never in a key or log;
//! bind mounts are a snapshot of their source (context after `.dockerignore`, a stage or an
//! image; read-only ones hard-link unchanged files, writable ones are a copy whose writes are
//! discarded) and the source's content digest goes into the step's key; ssh
//! mounts forward an agent socket. Also removes the empty mount points a step leaves in its
//! upper directory.

use std::fs::{self, File};
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::base::{ensure_lowers, lowers_top_first};
use super::named::{from_source, FromSource};
use super::Ctx;
use crate::build::config::{clean_path, StageState};
use crate::build::error::{BuildError, Loc};
use crate::build::fs::{plan_copy_with, CopyRequest, LayerStack, PlanOptions, SourceRoot};
use crate::build::sandbox::MountSpec;
use crate::build::SecretSource;
use crate::dockerfile::flags::{Mount, MountType, Sharing};
use crate::oci::digest::digest_bytes;

/// Mounts ready for the sandbox, and what must live as long as the step runs.
#[derive(Default)]
pub struct Prepared {
    /// For the sandbox.
    pub specs: Vec<MountSpec>,
    /// Their part of the cache key (no secret values, no cache contents).
    pub key: Vec<Value>,
    /// Extra environment (secret `env=`, `SSH_AUTH_SOCK`); never part of the key.
    pub env: Vec<(String, String)>,
    /// Absolute targets, for removing mount points afterwards.
    pub targets: Vec<String>,
    /// Temporary directories and held locks.
    pub guards: Vec<Guard>,
}

/// Something kept alive for the duration of a step.
pub enum Guard {
    /// A temporary directory.
    Dir(#[allow(dead_code)] tempfile::TempDir),
    /// A held lock.
    Lock(#[allow(dead_code)] File),
}

fn target_of(m: &Mount, workdir: &str, default: impl FnOnce() -> String) -> String {
    match &m.target {
        Some(t) if t.starts_with('/') => clean_path(t),
        Some(t) => clean_path(&format!("{workdir}/{t}")),
        None => default(),
    }
}

/// Prepare `mounts` of a RUN in `state` (whose lowers are unpacked as needed).
pub fn prepare(
    ctx: &Ctx,
    state: &StageState,
    loc: &Loc,
    mounts: &[Mount],
) -> Result<Prepared, BuildError> {
    let mut p = Prepared::default();
    let workdir = state.workdir();
    let flag_err = |message: String| BuildError::Flag {
        loc: loc.clone(),
        message,
    };
    for m in mounts {
        match m.kind {
            MountType::Cache => {
                let target = target_of(m, &workdir, String::new);
                if target.is_empty() {
                    return Err(flag_err("a cache mount needs target=".to_string()));
                }
                let mut id = m.id.clone().unwrap_or_else(|| target.clone());
                // Like BuildKit, a cache made with uid/gid/mode is keyed by the id and that base
                // directory: each ownership gets its own cache, made with it.
                if m.uid.is_some() || m.gid.is_some() || m.mode.is_some() {
                    id = format!(
                        "{id}:uid={},gid={},mode={:o}",
                        m.uid.unwrap_or(0),
                        m.gid.unwrap_or(0),
                        m.mode.unwrap_or(0o755)
                    );
                }
                let dir = ctx
                    .store
                    .root()
                    .join("mounts")
                    .join(digest_bytes(id.as_bytes()).hex());
                let mut source = dir.join("data");
                if !source.exists() {
                    fs::create_dir_all(&dir).map_err(BuildError::io(&dir))?;
                    let tmp = tempfile::Builder::new()
                        .prefix("new-")
                        .tempdir_in(&dir)
                        .map_err(BuildError::io(&dir))?;
                    let mode = m.mode.unwrap_or(0o755);
                    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
                        .map_err(BuildError::io(tmp.path()))?;
                    chown(
                        tmp.path(),
                        Some(m.uid.unwrap_or(0)),
                        Some(m.gid.unwrap_or(0)),
                    )
                    .map_err(BuildError::io(tmp.path()))?;
                    let fresh = tmp.keep();
                    if fs::rename(&fresh, &source).is_err() {
                        // Another build created it first.
                        let _ = fs::remove_dir(&fresh);
                    }
                }
                let sharing = m.sharing.unwrap_or(Sharing::Shared);
                let lock_path = dir.join("lock");
                match sharing {
                    Sharing::Shared => {}
                    Sharing::Locked | Sharing::Private => {
                        let f = File::create(&lock_path).map_err(BuildError::io(&lock_path))?;
                        let op = if sharing == Sharing::Locked {
                            rustix::fs::FlockOperation::LockExclusive
                        } else {
                            rustix::fs::FlockOperation::NonBlockingLockExclusive
                        };
                        match rustix::fs::flock(&f, op) {
                            Ok(()) => p.guards.push(Guard::Lock(f)),
                            Err(_) if sharing == Sharing::Private => {
                                // In use: this step gets its own empty directory.
                                let t = ctx.store.temp_dir("cache-private-")?;
                                source = t.path().to_path_buf();
                                p.guards.push(Guard::Dir(t));
                            }
                            Err(e) => return Err(BuildError::io(&lock_path)(e.into())),
                        }
                    }
                }
                p.key
                    .push(json!({"type": "cache", "target": target, "id": id,
                    "sharing": format!("{sharing:?}"), "ro": m.read_only}));
                p.specs.push(MountSpec::Bind {
                    source,
                    target: target.clone(),
                    readonly: m.read_only,
                });
                p.targets.push(target);
            }
            MountType::Secret => {
                let id = m
                    .id
                    .clone()
                    .or_else(|| {
                        m.target
                            .as_deref()
                            .and_then(|t| t.rsplit('/').next())
                            .map(str::to_string)
                    })
                    .ok_or_else(|| flag_err("a secret mount needs id= or target=".to_string()))?;
                let value = match ctx.opts.secrets.get(&id) {
                    Some(SecretSource::File(f)) => {
                        Some(fs::read(f).map_err(|e| BuildError::Secret {
                            id: id.clone(),
                            message: format!("cannot read {}: {e}", f.display()),
                        })?)
                    }
                    Some(SecretSource::Env(v)) => Some(
                        std::env::var_os(v)
                            .map(|s| s.into_encoded_bytes())
                            .ok_or_else(|| BuildError::Secret {
                                id: id.clone(),
                                message: format!("environment variable {v} is not set"),
                            })?,
                    ),
                    None if m.required => {
                        return Err(BuildError::Secret {
                            id,
                            message: format!(
                                "{loc}: required by RUN --mount but not given; pass --secret id=ID,src=FILE"
                            ),
                        })
                    }
                    None => None,
                };
                let Some(value) = value else { continue };
                p.key
                    .push(json!({"type": "secret", "id": id, "target": m.target, "env": m.env}));
                if let Some(var) = &m.env {
                    p.env
                        .push((var.clone(), String::from_utf8_lossy(&value).into_owned()));
                    if m.target.is_none() {
                        continue;
                    }
                }
                let target = target_of(m, &workdir, || format!("/run/secrets/{id}"));
                let dir = tempfile::Builder::new()
                    .prefix("hoist-secret-")
                    .tempdir()
                    .map_err(BuildError::io(std::env::temp_dir()))?;
                let file = dir.path().join("secret");
                fs::write(&file, &value).map_err(BuildError::io(&file))?;
                fs::set_permissions(&file, fs::Permissions::from_mode(m.mode.unwrap_or(0o400)))
                    .map_err(BuildError::io(&file))?;
                chown(&file, Some(m.uid.unwrap_or(0)), Some(m.gid.unwrap_or(0)))
                    .map_err(BuildError::io(&file))?;
                p.specs.push(MountSpec::Bind {
                    source: file,
                    target: target.clone(),
                    readonly: true,
                });
                p.targets.push(target);
                p.guards.push(Guard::Dir(dir));
            }
            MountType::Bind => {
                let target = target_of(m, &workdir, String::new);
                if target.is_empty() {
                    return Err(flag_err("a bind mount needs target=".to_string()));
                }
                let (source, digest) = bind_source(ctx, state, loc, m, &mut p)?;
                p.key
                    .push(json!({"type": "bind", "target": target, "from": m.from,
                    "source": m.source, "ro": m.read_only, "digest": digest}));
                p.specs.push(MountSpec::Bind {
                    source,
                    target: target.clone(),
                    readonly: m.read_only,
                });
                p.targets.push(target);
            }
            MountType::Tmpfs => {
                let target = target_of(m, &workdir, String::new);
                if target.is_empty() {
                    return Err(flag_err("a tmpfs mount needs target=".to_string()));
                }
                p.key
                    .push(json!({"type": "tmpfs", "target": target, "size": m.size}));
                p.specs.push(MountSpec::Tmpfs {
                    target: target.clone(),
                    size: m.size,
                });
                p.targets.push(target);
            }
            MountType::Ssh => {
                let id = m.id.clone().unwrap_or_else(|| "default".to_string());
                let Some(sock) = ctx.opts.ssh.get(&id) else {
                    if m.required {
                        return Err(flag_err(format!(
                            "ssh agent {id:?} required by RUN --mount=type=ssh but not given; pass --ssh {id}"
                        )));
                    }
                    continue;
                };
                let target = target_of(m, &workdir, || "/run/buildkit/ssh_agent.0".to_string());
                p.key
                    .push(json!({"type": "ssh", "id": id, "target": target}));
                p.env.push(("SSH_AUTH_SOCK".to_string(), target.clone()));
                p.specs.push(MountSpec::Bind {
                    source: sock.clone(),
                    target: target.clone(),
                    readonly: false,
                });
                p.targets.push(target);
            }
        }
    }
    Ok(p)
}

/// A private copy of a bind mount's source and its content digest.
fn bind_source(
    ctx: &Ctx,
    state: &StageState,
    loc: &Loc,
    m: &Mount,
    p: &mut Prepared,
) -> Result<(PathBuf, String), BuildError> {
    let source = m.source.clone().unwrap_or_else(|| "/".to_string());
    let copy_err = |e: crate::build::fs::FsError| BuildError::Copy {
        loc: loc.clone(),
        message: format!(
            "RUN --mount=type=bind source {source:?}: {}",
            super::rootless::explain_denied(&ctx.store, &e).unwrap_or_else(|| e.to_string())
        ),
    };
    // The directory read when the source is the build context or a named directory context;
    // the layers read when it is a stage or an image.
    let mut context_root = (ctx.opts.context.as_path(), &ctx.ignore);
    let mut view = None;
    if let Some(f) = m.from.as_deref() {
        match from_source(ctx, loc, f, &state_platform(ctx, state))? {
            FromSource::Dir(d) => context_root = (d.dir.as_path(), &d.ignore),
            FromSource::State(mut from_state) => {
                ensure_lowers(ctx, &mut from_state)?;
                view = Some(LayerStack::new(lowers_top_first(&from_state)));
            }
        }
    }
    let root = match &view {
        Some(v) => SourceRoot::Layers(v),
        None => SourceRoot::Context {
            dir: context_root.0,
            ignore: context_root.1,
        },
    };
    let sources = vec![source.clone()];
    let req = CopyRequest::snapshot(&sources);
    let plan = plan_copy_with(&root, None, &req, &plan_options(ctx)).map_err(copy_err)?;
    let dir = ctx.store.temp_dir("bind-")?;
    if m.read_only {
        // Nothing writes through a read-only bind: link unchanged files instead of copying.
        plan.materialize_readonly(dir.path()).map_err(copy_err)?;
    } else {
        plan.materialize(dir.path()).map_err(copy_err)?;
    }
    let digest = plan.digest().to_string();
    // A single file source lands as /<name>; bind that file.
    let host = match view {
        None => {
            let meta = fs::symlink_metadata(context_root.0.join(source.trim_start_matches('/')));
            match meta {
                Ok(md) if !md.is_dir() => dir.path().join(base_name(&source)),
                _ => dir.path().to_path_buf(),
            }
        }
        Some(_) => {
            let single = dir.path().join(base_name(&source));
            if !base_name(&source).is_empty()
                && fs::symlink_metadata(&single).is_ok_and(|md| !md.is_dir())
            {
                single
            } else {
                dir.path().to_path_buf()
            }
        }
    };
    p.guards.push(Guard::Dir(dir));
    Ok((host, digest))
}

fn base_name(p: &str) -> &str {
    p.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// The platform of a stage's image (the target platform when the config has none).
pub fn state_platform(ctx: &Ctx, state: &StageState) -> crate::dockerfile::scope::Platform {
    if state.config.os.is_empty() || state.config.architecture.is_empty() {
        return ctx.plan.target_platform.clone();
    }
    crate::dockerfile::scope::Platform {
        os: state.config.os.clone(),
        architecture: state.config.architecture.clone(),
        variant: state.config.variant.clone(),
    }
}

/// Options for COPY planning in this build (stat cache under the store).
pub fn plan_options(ctx: &Ctx) -> PlanOptions {
    PlanOptions {
        hash_cache: Some(ctx.store.root().join("ctxcache")),
        known: None,
    }
}

/// The first component of each target that did not exist in `view` before the step.
pub fn missing_mount_points(view: &LayerStack, targets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for t in targets {
        let mut path = String::new();
        for comp in t.split('/').filter(|c| !c.is_empty()) {
            path.push('/');
            path.push_str(comp);
            if !matches!(view.lstat(&path), Ok(Some(_))) {
                out.push(path.clone());
                break;
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Remove mount points the sandbox created in `upper` (empty files, trees of empty dirs).
pub fn remove_mount_points(upper: &Path, missing: &[String]) {
    fn only_empty(p: &Path) -> bool {
        match fs::symlink_metadata(p) {
            Ok(md) if md.is_dir() => fs::read_dir(p)
                .map(|rd| rd.flatten().all(|e| only_empty(&e.path())))
                .unwrap_or(false),
            Ok(md) => md.is_file() && md.len() == 0,
            Err(_) => false,
        }
    }
    for m in missing {
        let p = upper.join(m.trim_start_matches('/'));
        if only_empty(&p) {
            let _ = crate::oci::unpack::remove_tree(&p);
        }
    }
}
