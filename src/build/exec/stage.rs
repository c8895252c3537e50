//! One stage: its base, the base's ONBUILD triggers, then each instruction in order, with a
//! progress step for FROM, RUN, COPY, ADD and WORKDIR (the instructions that touch the
//! filesystem, like buildx shows them).

use std::os::unix::fs::{chown, DirBuilderExt};
use std::path::Path;
use std::time::Instant;

use super::base::{self, ensure_lowers, lowers_top_first};
use super::layer::{commit_dir_owned, try_cache};
use super::rootless::Owners;
use super::{copy, run, Ctx};
use crate::build::cache::step_key;
use crate::build::config::{apply_meta, history, set_workdir, StageState, Step};
use crate::build::error::{BuildError, Loc};
use crate::build::fs::{lookup_user, FileKind, LayerStack};
use crate::build::plan::BaseRef;
use crate::build::progress::Event;
use crate::dockerfile::{self, Instruction, InstructionKind};
use crate::oci::unpack::is_root;

fn is_fs_step(ins: &Instruction) -> bool {
    matches!(
        ins.kind,
        InstructionKind::Run(_)
            | InstructionKind::Copy(_)
            | InstructionKind::Add(_)
            | InstructionKind::Workdir(_)
    )
}

/// Progress bookkeeping of one stage.
pub struct StepCounter {
    /// Stage name.
    pub stage: String,
    /// Steps so far.
    pub index: usize,
    /// Steps in the stage.
    pub total: usize,
}

/// Run stage `i` of the plan to its final state.
pub fn run_stage(ctx: &Ctx, i: usize) -> Result<StageState, BuildError> {
    let sp = ctx
        .plan
        .stages
        .get(i)
        .cloned()
        .ok_or(BuildError::Cancelled)?;
    let instructions = ctx
        .plan
        .df
        .instructions
        .get(sp.from..sp.end)
        .unwrap_or_default();
    let Some((from_ins, body)) = instructions.split_first() else {
        return Err(BuildError::Cancelled);
    };
    let mut counter = StepCounter {
        stage: sp.display_name(),
        index: 1,
        total: 1 + body.iter().filter(|i| is_fs_step(i)).count(),
    };
    let from_loc = ctx.plan.loc(from_ins);
    let id = ctx.next_id();
    let started = Instant::now();
    let base_text = match &sp.base {
        BaseRef::Scratch => "scratch".to_string(),
        BaseRef::Stage(s) => ctx
            .plan
            .stages
            .get(*s)
            .map(|s| s.display_name())
            .unwrap_or_default(),
        BaseRef::Image(r) => r.clone(),
        BaseRef::Context(n) => format!("{n} (--build-context)"),
    };
    ctx.progress.event(Event::Start {
        id,
        stage: counter.stage.clone(),
        index: 1,
        total: counter.total,
        text: format!("FROM {base_text}"),
    });
    let mut state = match &sp.base {
        BaseRef::Scratch => base::scratch(ctx, &sp.platform),
        BaseRef::Stage(s) => {
            let parent = ctx.stage_result(*s).ok_or(BuildError::Cancelled)?;
            base::from_stage(ctx, &parent, &sp.platform)
        }
        BaseRef::Image(r) => {
            let img = base::image(ctx, &from_loc, r, &sp.platform).inspect_err(|e| {
                ctx.progress.event(Event::Error {
                    id,
                    message: e.to_string(),
                })
            })?;
            base::from_image(ctx, &img, &sp.platform)
        }
        BaseRef::Context(n) => {
            super::named::base_state(ctx, &from_loc, n, &sp.platform, ctx.no_cache_for(i))
                .inspect_err(|e| {
                    ctx.progress.event(Event::Error {
                        id,
                        message: e.to_string(),
                    })
                })?
        }
    };
    ctx.progress.event(Event::Done {
        id,
        seconds: started.elapsed().as_secs_f64(),
    });
    // ONBUILD triggers of the base run first, then are cleared from the new image.
    let triggers = std::mem::take(&mut state.config.config.on_build);
    for t in &triggers {
        let df = dockerfile::parse(t);
        if let Some(e) = df.errors.first() {
            return Err(BuildError::Parse {
                loc: from_loc.clone(),
                message: format!("ONBUILD trigger {t:?} of the base image: {}", e.message),
            });
        }
        for ins in &df.instructions {
            let step = Step {
                ins,
                loc: &from_loc,
                source: t,
            };
            dispatch(ctx, i, &mut state, step, &mut counter, true)?;
        }
    }
    for ins in body {
        if ctx.cancelled() {
            return Err(BuildError::Cancelled);
        }
        let loc = ctx.plan.loc(ins);
        let step = Step {
            ins,
            loc: &loc,
            source: &ctx.plan.source,
        };
        dispatch(ctx, i, &mut state, step, &mut counter, false)?;
    }
    Ok(state)
}

fn dispatch(
    ctx: &Ctx,
    stage: usize,
    state: &mut StageState,
    step: Step,
    counter: &mut StepCounter,
    trigger: bool,
) -> Result<(), BuildError> {
    let ins = step.ins;
    if !is_fs_step(ins) {
        if let InstructionKind::From { .. } = ins.kind {
            return Err(BuildError::Unsupported {
                loc: step.loc.clone(),
                message: "FROM cannot be an ONBUILD trigger".to_string(),
            });
        }
        if apply_meta(&ctx.plan, state, step, ctx.epoch)? {
            return Ok(());
        }
        return Err(BuildError::Unsupported {
            loc: step.loc.clone(),
            message: format!("unknown instruction {:?}", ins.keyword_word.value),
        });
    }
    if !trigger {
        counter.index += 1;
    }
    let id = ctx.next_id();
    let text = step.text_of(ins);
    let first_line = text.lines().next().unwrap_or_default().trim().to_string();
    ctx.progress.event(Event::Start {
        id,
        stage: counter.stage.clone(),
        index: counter.index,
        total: counter.total,
        text: if trigger {
            format!("ONBUILD {first_line}")
        } else {
            first_line
        },
    });
    let started = Instant::now();
    let no_cache = ctx.no_cache_for(stage);
    let res = match &ins.kind {
        InstructionKind::Run(cmd) => {
            run::run_step(ctx, state, step, cmd, id, &counter.stage, no_cache)
        }
        InstructionKind::Copy(args) => copy::copy_step(ctx, state, step, args, false, no_cache),
        InstructionKind::Add(args) => copy::copy_step(ctx, state, step, args, true, no_cache),
        InstructionKind::Workdir(w) => workdir_step(ctx, state, step.loc, &w.value, no_cache),
        _ => Ok(false),
    };
    match res {
        Ok(true) => ctx.progress.event(Event::Cached { id }),
        Ok(false) => ctx.progress.event(Event::Done {
            id,
            seconds: started.elapsed().as_secs_f64(),
        }),
        Err(e) => {
            ctx.progress.event(Event::Error {
                id,
                message: match &e {
                    BuildError::RunFailed { exit_code, .. } => {
                        format!("process did not complete successfully: exit code {exit_code}")
                    }
                    e => e.to_string(),
                },
            });
            return Err(e);
        }
    }
    Ok(())
}

/// WORKDIR: set it, and create the directory (as BuildKit does) when the image lacks it, owned
/// by the current USER. Returns true on a cache hit.
fn workdir_step(
    ctx: &Ctx,
    state: &mut StageState,
    loc: &Loc,
    word: &str,
    no_cache: bool,
) -> Result<bool, BuildError> {
    let dir = set_workdir(&ctx.plan, state, loc, word)?;
    let user = state.config.config.user.clone();
    let key = step_key(
        &state.key,
        &serde_json::json!({"op": "workdir", "dir": dir, "user": user}),
    );
    if try_cache(ctx, state, &key, no_cache)? {
        return Ok(true);
    }
    ensure_lowers(ctx, state)?;
    let view = LayerStack::new(lowers_top_first(state));
    let fs_err = |e: crate::build::fs::FsError| BuildError::Copy {
        loc: loc.clone(),
        message: format!("WORKDIR {dir}: {e}"),
    };
    let resolved = view.resolve(&dir).map_err(fs_err)?;
    let tmp = ctx.store.temp_dir("workdir-")?;
    let mut owners = Owners::none();
    if view.lstat(&resolved).map_err(fs_err)?.is_none() {
        let (uid, gid) = if user.is_empty() {
            (0, 0)
        } else {
            let ids = lookup_user(&view, &user).map_err(|e| BuildError::User {
                loc: loc.clone(),
                user: user.clone(),
                message: e.to_string(),
            })?;
            (ids.uid, ids.gid)
        };
        let mut path = String::new();
        for comp in resolved.split('/').filter(|c| !c.is_empty()) {
            path.push('/');
            path.push_str(comp);
            let host = tmp.path().join(path.trim_start_matches('/'));
            let (mode, owner) = match view.lstat(&path).map_err(fs_err)? {
                Some(m) if m.kind == FileKind::Dir => (m.mode, (m.uid, m.gid)),
                Some(_) => {
                    return Err(BuildError::Copy {
                        loc: loc.clone(),
                        message: format!("WORKDIR {dir}: {path} exists and is not a directory"),
                    })
                }
                None => (0o755, (uid, gid)),
            };
            std::fs::DirBuilder::new()
                .mode(mode)
                .create(&host)
                .map_err(BuildError::io(&host))?;
            std::fs::set_permissions(&host, std::os::unix::fs::PermissionsExt::from_mode(mode))
                .map_err(BuildError::io(&host))?;
            owners.set(Path::new(path.trim_start_matches('/')), owner.0, owner.1);
            if let Err(e) = chown(&host, Some(owner.0), Some(owner.1)) {
                // Without privileges only our own ids are possible; the owners are set in
                // the layer and through a user namespace instead.
                if is_root() || e.kind() != std::io::ErrorKind::PermissionDenied {
                    return Err(BuildError::io(&host)(e));
                }
            }
        }
    }
    commit_dir_owned(
        ctx,
        state,
        tmp.path(),
        false,
        history(format!("WORKDIR {dir}"), ctx.epoch),
        &key,
        Some((&owners, loc)),
    )?;
    Ok(false)
}
