//! COPY and ADD: flags, variable expansion, heredoc sources, the source root (context with
//! `.dockerignore`, a stage, or an image), planning through [`crate::build::fs`] (whose
//! content digest goes into the cache key), and the new layer.

use serde_json::json;

use super::base::{ensure_lowers, lowers_top_first, root_key};
use super::layer::{commit_dir_owned, commit_streamed, record_alias, try_alias, try_cache};
use super::mounts::{plan_options, state_platform};
use super::named::{from_source, FromSource};
use super::rootless::Owners;
use super::Ctx;
use crate::build::cache::{link_keys, step_key};
use crate::build::config::{history, StageState, Step};
use crate::build::error::BuildError;
use crate::build::fs::{
    lookup_chown, numeric_chown, parse_chmod, plan_copy_with, AddOptions, CopyPlan, CopyRequest,
    DockerIgnore, FsError, LayerStack, SourceRoot,
};
use crate::dockerfile::expand::Lexer;
use crate::dockerfile::{CopyArgs, Instruction, InstructionKind};
use crate::oci::unpack::is_root;

/// Run a COPY (or ADD when `add`); true when it came from the cache.
pub fn copy_step(
    ctx: &Ctx,
    state: &mut StageState,
    step: Step,
    args: &CopyArgs,
    add: bool,
    no_cache: bool,
) -> Result<bool, BuildError> {
    let ins = step.ins;
    let loc = step.loc.clone();
    let what = if add { "ADD" } else { "COPY" };
    let flag_err = |message: String| BuildError::Flag {
        loc: loc.clone(),
        message,
    };
    let fs_err = |e: FsError| BuildError::Copy {
        loc: loc.clone(),
        message: super::rootless::explain_denied(&ctx.store, &e).unwrap_or_else(|| e.to_string()),
    };
    let lexer = ctx.plan.lexer();
    let vars = state.vars();
    let ex = |w: &str| crate::build::plan::expand(&lexer, &loc, w, &vars);
    let mut from = None;
    let mut chown = None;
    let mut chmod = None;
    let mut link = false;
    let mut parents = false;
    let mut excludes = Vec::new();
    let mut checksum = None;
    let mut unpack = true;
    let mut shown_flags = Vec::new();
    for f in &ins.flags {
        let value = f.value.as_deref().unwrap_or_default();
        let bool_flag =
            || crate::dockerfile::flags::flag_bool(f).map_err(|e| flag_err(e.to_string()));
        match f.name.as_str() {
            "from" => from = Some(ex(value)?),
            "chown" => chown = Some(ex(value)?),
            "chmod" => chmod = Some(ex(value)?),
            "link" => link = bool_flag()?,
            "parents" => parents = bool_flag()?,
            "exclude" => excludes.push(ex(value)?),
            "checksum" if add => checksum = Some(ex(value)?),
            "unpack" if add => unpack = bool_flag()?,
            other => {
                return Err(flag_err(format!("unknown flag --{other} for {what}")));
            }
        }
        shown_flags.push(
            step.source
                .get(f.span.range())
                .unwrap_or_default()
                .to_string(),
        );
    }
    // Sources: heredocs (`<<EOF`) or words to expand.
    let mut heredoc_dir = None;
    let mut sources = Vec::new();
    let mut heredoc_count = 0;
    for w in &args.sources {
        let name = w.value.strip_prefix("<<").map(|n| {
            n.trim_start_matches('-')
                .trim_matches(|c| c == '"' || c == '\'')
        });
        match name.and_then(|n| ins.heredocs.iter().find(|h| h.name == n)) {
            Some(h) => {
                let dir = match &heredoc_dir {
                    Some(d) => d,
                    None => heredoc_dir.insert(ctx.store.temp_dir("heredoc-copy-")?),
                };
                let body = if h.expand {
                    // BuildKit's ExpandRaw: quotes are plain text, escapes apply.
                    let raw = Lexer {
                        skip_quotes: true,
                        raw_escapes: false,
                        ..lexer.clone()
                    };
                    crate::build::plan::expand(&raw, &loc, &h.body, &vars)?
                } else {
                    h.body.clone()
                };
                let file = dir.path().join(&h.name);
                std::fs::write(&file, body).map_err(BuildError::io(&file))?;
                std::fs::set_permissions(
                    &file,
                    std::os::unix::fs::PermissionsExt::from_mode(0o644),
                )
                .map_err(BuildError::io(&file))?;
                sources.push(h.name.clone());
                heredoc_count += 1;
            }
            None => sources.push(ex(&w.value)?),
        }
    }
    if heredoc_count > 0 && (heredoc_count != sources.len() || from.is_some()) {
        return Err(flag_err(format!(
            "{what}: heredoc sources cannot be mixed with other sources or --from"
        )));
    }
    let dest = ex(&args.dest.value)?;
    let workdir = state.workdir();
    // The --from source (a stage or an image), nothing unpacked yet.
    let mut from_dir = None;
    let mut from_state = match &from {
        Some(f) if heredoc_dir.is_none() => {
            match from_source(ctx, &loc, f, &state_platform(ctx, state))? {
                FromSource::State(s) => Some(*s),
                FromSource::Dir(d) => {
                    from_dir = Some(d);
                    None
                }
            }
        }
        _ => None,
    };
    // What the step asks for, as written (expanded); each key below adds what names its input.
    let request = json!({
        "op": what,
        "sources": sources,
        "dest": dest,
        "workdir": workdir,
        "from": from,
        "chmod": chmod,
        "link": link,
        "parents": parents,
        "excludes": excludes,
        "checksum": checksum,
        "unpack": unpack,
    });
    // The --from source's layer diff IDs name its files exactly: a step seen before with the same ones (and
    // the same request on the same parent) hits by this alias without unpacking or hashing
    // the source; the content key below stays the one the chain continues with.
    // Not for `--link`: its record key is not the key later steps chain from.
    let alias = from_state.as_ref().filter(|_| !link).map(|st| {
        let layers: Vec<String> = st.layers.iter().map(|l| l.diff_id.to_string()).collect();
        step_key(
            &state.key,
            &extended(
                &request,
                json!({"alias": "from-layers", "fromLayers": layers, "chown": chown}),
            ),
        )
    });
    if let Some(a) = &alias {
        if try_alias(ctx, state, a, no_cache)? {
            return Ok(true);
        }
    }
    let chmod_parsed = match &chmod {
        Some(c) => Some(parse_chmod(c).map_err(fs_err)?),
        None => None,
    };
    // A numeric --chown needs nothing from the image; a name is looked up in its files.
    let numeric_ids = match &chown {
        Some(spec) => numeric_chown(spec).map_err(fs_err)?,
        None => None,
    };
    // The source root.
    let empty_ignore = DockerIgnore::parse("");
    let from_view;
    let root = if let Some(d) = &heredoc_dir {
        SourceRoot::Context {
            dir: d.path(),
            ignore: &empty_ignore,
        }
    } else if let Some(st) = from_state.as_mut() {
        ensure_lowers(ctx, st)?;
        let name = from.as_deref().unwrap_or_default();
        from_view = LayerStack::new(lowers_top_first(st)).named(format!("stage {name}"));
        SourceRoot::Layers(&from_view)
    } else if let Some(d) = from_dir {
        SourceRoot::Context {
            dir: &d.dir,
            ignore: &d.ignore,
        }
    } else {
        SourceRoot::Context {
            dir: &ctx.opts.context,
            ignore: &ctx.ignore,
        }
    };
    let req = CopyRequest {
        sources: &sources,
        dest: &dest,
        workdir: &workdir,
        chown: numeric_ids,
        chmod: chmod_parsed.as_ref(),
        parents,
        excludes: &excludes,
        link,
        add: add.then_some(AddOptions {
            checksum: checksum.as_deref(),
            unpack,
        }),
    };
    // The parent's files only matter through its key: the key names them exactly. So the
    // step is keyed by a plan made without them (the sources' content and the request) and
    // the parent is unpacked only when the step runs. Not for `--link` (its key leaves the
    // parent out, so a --chown name is resolved first) nor for URLs (fetched once, below).
    let keyed_without_parent = !link && !sources.iter().any(|s| crate::build::fs::is_url(s));
    let mut plan = None;
    let mut opts = plan_options(ctx);
    let (key, chain_key) = if keyed_without_parent {
        let p = plan_copy_with(&root, None, &req, &opts).map_err(fs_err)?;
        let key = step_key(
            &state.key,
            &extended(
                &request,
                json!({"keyedBy": "sources", "chown": chown, "content": p.digest().to_string()}),
            ),
        );
        opts.known = Some(p.known_hashes());
        (key.clone(), key)
    } else {
        let p = plan_with_parent(ctx, state, &root, &req, chown.as_deref(), &opts)
            .map_err(|e| e.at(&loc))?;
        let step_json = extended(
            &request,
            json!({"chown": p.1, "content": p.0.digest().to_string()}),
        );
        plan = Some(p.0);
        // `--link`: the layer does not depend on the parent, so neither does its record's key.
        if link {
            let root = root_key(ctx, "link", &state_platform(ctx, state));
            link_keys(&state.key, &root, &step_json)
        } else {
            let key = step_key(&state.key, &step_json);
            (key.clone(), key)
        }
    };
    let mut shown = vec![what.to_string()];
    shown.extend(shown_flags);
    shown.extend(sources.iter().cloned());
    shown.push(dest.clone());
    let created_by = format!("{} # buildkit", shown.join(" "));
    let _claim = ctx.opts.in_flight.claim(&key);
    if try_cache(ctx, state, &key, no_cache)? {
        if let Some(a) = &alias {
            record_alias(ctx, a, &key)?;
        }
        state.key = chain_key;
        return Ok(true);
    }
    let plan = match plan {
        Some(p) => p,
        None => {
            plan_with_parent(ctx, state, &root, &req, chown.as_deref(), &opts)
                .map_err(|e| e.at(&loc))?
                .0
        }
    };
    let root_builder = is_root() && crate::build::sandbox::current_map().is_none();
    let streamed = (!tree_needed_later(ctx, ins))
        .then(|| plan.stream_entries(unix_now(), root_builder))
        .flatten();
    if let Some(layer) = streamed {
        commit_streamed(ctx, state, &layer, history(created_by, ctx.epoch), &key)?;
    } else {
        let out = ctx.store.temp_dir("copy-")?;
        plan.materialize(out.path()).map_err(fs_err)?;
        commit_dir_owned(
            ctx,
            state,
            out.path(),
            false,
            history(created_by, ctx.epoch),
            &key,
            Some((&Owners::of_plan(&plan), &loc)),
        )?;
    }
    if let Some(a) = &alias {
        record_alias(ctx, a, &key)?;
    }
    state.key = chain_key;
    Ok(false)
}

/// `base` (a JSON object) with the fields of `more` added.
fn extended(base: &serde_json::Value, more: serde_json::Value) -> serde_json::Value {
    let mut v = base.clone();
    if let (Some(o), serde_json::Value::Object(m)) = (v.as_object_mut(), more) {
        o.extend(m);
    }
    v
}

/// Why planning against the parent failed: the build's own error, or the planner's (placed at
/// the step by [`PlanError::at`]).
enum PlanError {
    Build(BuildError),
    Fs(FsError),
}

impl From<BuildError> for PlanError {
    fn from(e: BuildError) -> Self {
        PlanError::Build(e)
    }
}

impl PlanError {
    fn at(self, loc: &crate::build::error::Loc) -> BuildError {
        match self {
            PlanError::Build(e) => e,
            PlanError::Fs(e) => BuildError::Copy {
                loc: loc.clone(),
                message: e.to_string(),
            },
        }
    }
}

/// Plan `req` onto the parent's files (unpacked here when needed): the destination resolved
/// through its symlinks and directories, and a `--chown` name (`chown`) looked up in its
/// `/etc/passwd` and `/etc/group`. Returns the plan and the owner it gave.
fn plan_with_parent(
    ctx: &Ctx,
    state: &mut StageState,
    root: &SourceRoot,
    req: &CopyRequest,
    chown: Option<&str>,
    opts: &crate::build::fs::PlanOptions,
) -> Result<(CopyPlan, Option<(u32, u32)>), PlanError> {
    let needs_view = !req.link || (chown.is_some() && req.chown.is_none());
    if !needs_view {
        let p = plan_copy_with(root, None, req, opts).map_err(PlanError::Fs)?;
        return Ok((p, req.chown));
    }
    ensure_lowers(ctx, state)?;
    let view = LayerStack::new(lowers_top_first(state));
    let ids = match (chown, req.chown) {
        (_, Some(ids)) => Some(ids),
        (Some(spec), None) => Some(lookup_chown(&view, spec).map_err(PlanError::Fs)?),
        (None, None) => None,
    };
    let req = CopyRequest { chown: ids, ..*req };
    let p =
        plan_copy_with(root, (!req.link).then_some(&view), &req, opts).map_err(PlanError::Fs)?;
    Ok((p, ids))
}

/// Whether the files of the layer `ins` makes are needed on disk later in this build: by a
/// later step of its stage that touches the filesystem (RUN, COPY, ADD, WORKDIR), or by
/// another stage built on it, copying from it or mounting it. Steps not in the Dockerfile
/// (ONBUILD triggers) count as needed. When not needed, the layer is written straight from
/// the sources and only unpacked if something asks for it after all.
fn tree_needed_later(ctx: &Ctx, ins: &Instruction) -> bool {
    let all = &ctx.plan.df.instructions;
    let Some(at) = all.iter().position(|i| std::ptr::eq(i, ins)) else {
        return true;
    };
    let Some(stage) = ctx.plan.stages.iter().find(|s| s.from < at && at < s.end) else {
        return true;
    };
    let later_fs = all
        .get(at + 1..stage.end)
        .unwrap_or_default()
        .iter()
        .any(|i| {
            matches!(
                i.kind,
                InstructionKind::Run(_)
                    | InstructionKind::Copy(_)
                    | InstructionKind::Add(_)
                    | InstructionKind::Workdir(_)
            )
        });
    later_fs
        || ctx
            .plan
            .stages
            .iter()
            .any(|s| s.index != stage.index && s.deps.contains(&stage.index))
}

/// Seconds since the epoch now (what a file created now gets as its mtime).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
