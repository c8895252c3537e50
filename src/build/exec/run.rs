//! RUN: the command line (shell or exec form, SHELL, heredocs — several per line, or a
//! single one with a shebang executed as a file), its environment and user, its mounts and
//! network, the cache key, the sandbox run with streamed output, and the new layer from the
//! sandbox's upper directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use super::base::{ensure_lowers, lowers_top_first};
use super::layer::commit_dir;
use super::mounts::{self, missing_mount_points, remove_mount_points, Guard};
use super::{layer::try_cache, Ctx};
use crate::build::cache::step_key;
use crate::build::config::{history, StageState, Step};
use crate::build::error::BuildError;
use crate::build::fs::{lookup_user, LayerStack};
use crate::build::progress::Event;
use crate::build::sandbox::{self, MountSpec, NetworkMode, OutputStream, RunSpec, UserIds};
use crate::build::Network;
use crate::dockerfile::flags::{parse_mount_with, parse_network, parse_security, Security};
use crate::dockerfile::{Command, Heredoc};

/// The PATH BuildKit gives a RUN when the image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Lines of output kept for an error message.
const TAIL: usize = 10;

/// Where heredoc scripts with a shebang are mounted; the mount point is removed from the
/// step's changes afterwards, so it never reaches a layer.
const PIPES: &str = "/.hoist-heredocs";

/// The argv of a RUN and heredoc files it needs (name, body).
fn argv_of(
    cmd: &Command,
    heredocs: &[Heredoc],
    shell: &[String],
) -> (Vec<String>, Vec<(String, String)>) {
    match cmd {
        Command::Exec { args, .. } => (args.iter().map(|w| w.value.clone()).collect(), Vec::new()),
        Command::Shell(t) => {
            let text = t.text.trim();
            if let [h] = heredocs {
                let marker = text.trim_start_matches("<<").trim_start_matches('-');
                let unquoted = marker.trim_matches(|c| c == '"' || c == '\'');
                if unquoted == h.name {
                    if h.body.starts_with("#!") {
                        let path = format!("{PIPES}/{}", h.name);
                        return (vec![path], vec![(h.name.clone(), h.body.clone())]);
                    }
                    let mut v = shell.to_vec();
                    v.push(h.body.clone());
                    return (v, Vec::new());
                }
            }
            let mut script = t.text.clone();
            for h in heredocs {
                script.push('\n');
                script.push_str(&h.body);
                script.push_str(&h.name);
            }
            if !heredocs.is_empty() {
                script.push('\n');
            }
            let mut v = shell.to_vec();
            v.push(script);
            (v, Vec::new())
        }
    }
}

/// Run a RUN step; true when it came from the cache.
pub fn run_step(
    ctx: &Ctx,
    state: &mut StageState,
    step: Step,
    cmd: &Command,
    id: usize,
    stage: &str,
    no_cache: bool,
) -> Result<bool, BuildError> {
    let ins = step.ins;
    let loc = step.loc.clone();
    let flag_err = |message: String| BuildError::Flag {
        loc: loc.clone(),
        message,
    };
    let vars = state.vars();
    let lexer = ctx.plan.lexer();
    let mut mount_flags = Vec::new();
    let mut network = ctx.opts.network;
    for f in &ins.flags {
        let value = f.value.as_deref().unwrap_or_default();
        match f.name.as_str() {
            "mount" => {
                let expander = |w: &str| lexer.process_word(w, &vars).map(|e| e.value);
                mount_flags.push(
                    parse_mount_with(value, Some(&expander))
                        .map_err(|e| flag_err(e.to_string()))?,
                );
            }
            "network" => {
                network = match parse_network(value).map_err(|e| flag_err(e.to_string()))? {
                    crate::dockerfile::flags::Network::Default => ctx.opts.network,
                    crate::dockerfile::flags::Network::None => Network::None,
                    crate::dockerfile::flags::Network::Host => Network::Host,
                }
            }
            "security" => {
                if parse_security(value).map_err(|e| flag_err(e.to_string()))? == Security::Insecure
                {
                    return Err(flag_err(
                        "RUN --security=insecure is not supported by hoist".to_string(),
                    ));
                }
            }
            other => return Err(flag_err(format!("unknown flag --{other} for RUN"))),
        }
    }
    let (argv, heredoc_files) = argv_of(cmd, &ins.heredocs, &state.shell());
    let mut env: BTreeMap<String, String> = state.arg_env().into_iter().collect();
    for kv in &state.config.config.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
        env.insert(k.to_string(), v.to_string());
    }
    env.entry("PATH".to_string())
        .or_insert_with(|| DEFAULT_PATH.to_string());
    let user = state.config.config.user.clone();
    let cwd = state.workdir();
    let mut prepared = mounts::prepare(ctx, state, &loc, &mount_flags)?;
    let key = step_key(
        &state.key,
        &json!({
            "op": "run",
            "argv": argv,
            "env": env,
            "user": user,
            "cwd": cwd,
            "network": format!("{network:?}"),
            "mounts": prepared.key,
            "heredocs": heredoc_files,
        }),
    );
    let args = state.arg_env();
    let shown_args = if args.is_empty() {
        String::new()
    } else {
        let kv: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("|{} {} ", kv.len(), kv.join(" "))
    };
    let created_by = format!("RUN {shown_args}{} # buildkit", argv.join(" "));
    // Held until the layer is committed: the same step of another platform waits, then hits.
    let _claim = ctx.opts.in_flight.claim(&key);
    if try_cache(ctx, state, &key, no_cache)? {
        return Ok(true);
    }
    ensure_lowers(ctx, state)?;
    let lowers = lowers_top_first(state);
    let view = LayerStack::new(lowers.clone());
    let mut ids = if user.is_empty() {
        UserIds {
            uid: 0,
            gid: 0,
            additional_gids: Vec::new(),
        }
    } else {
        let ids = lookup_user(&view, &user).map_err(|e| BuildError::User {
            loc: loc.clone(),
            user: user.clone(),
            message: e.to_string(),
        })?;
        UserIds {
            uid: ids.uid,
            gid: ids.gid,
            additional_gids: ids.additional_gids,
        }
    };
    // Like BuildKit (executor/oci ensureAdditionalGids): the primary gid leads the
    // supplementary groups, so `id -G` lists it as it does under `docker build`.
    if !ids.additional_gids.contains(&ids.gid) {
        ids.additional_gids.insert(0, ids.gid);
    }
    if !heredoc_files.is_empty() {
        let dir = ctx.store.temp_dir("heredoc-")?;
        for (name, body) in &heredoc_files {
            let f = dir.path().join(name);
            std::fs::write(&f, body).map_err(BuildError::io(&f))?;
            std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .map_err(BuildError::io(&f))?;
            let target = format!("{PIPES}/{name}");
            prepared.specs.push(MountSpec::Bind {
                source: f,
                target: target.clone(),
                readonly: true,
            });
            prepared.targets.push(target);
        }
        prepared.guards.push(Guard::Dir(dir));
    }
    let platform = mounts::state_platform(ctx, state);
    if let Some(message) = foreign_without_emulator(&platform.architecture) {
        return Err(BuildError::Sandbox {
            loc,
            stage: stage.to_string(),
            message,
        });
    }
    let missing = missing_mount_points(&view, &prepared.targets);
    let isolation = ctx.isolation().map_err(|message| BuildError::Sandbox {
        loc: loc.clone(),
        stage: stage.to_string(),
        message,
    })?;
    let tmp = ctx.store.temp_dir("run-")?;
    let upper: PathBuf = tmp.path().join("upper");
    let work: PathBuf = tmp.path().join("work");
    for d in [&upper, &work] {
        std::fs::create_dir(d).map_err(BuildError::io(d))?;
    }
    let mut full_env: Vec<(String, String)> = env.into_iter().collect();
    full_env.extend(prepared.env.iter().cloned());
    let spec = RunSpec {
        lowers,
        upper: upper.clone(),
        work,
        argv: argv.clone(),
        env: full_env,
        cwd,
        user: ids,
        hostname: "buildkitsandbox".to_string(),
        network: match network {
            Network::Default => NetworkMode::Default,
            Network::None => NetworkMode::None,
            Network::Host => NetworkMode::Host,
        },
        mounts: prepared.specs.clone(),
        isolation,
    };
    let mut tail: Vec<String> = Vec::new();
    let mut partial: Vec<u8> = Vec::new();
    let emit = |line: &[u8], tail: &mut Vec<String>| {
        let s = String::from_utf8_lossy(line)
            .trim_end_matches('\r')
            .to_string();
        tail.push(s.clone());
        if tail.len() > TAIL {
            tail.remove(0);
        }
        ctx.progress.event(Event::Output { id, line: s });
    };
    let outcome = sandbox::run(&spec, &mut |_stream: OutputStream, bytes: &[u8]| {
        partial.extend_from_slice(bytes);
        while let Some(pos) = partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = partial.drain(..=pos).collect();
            emit(line.get(..pos).unwrap_or_default(), &mut tail);
        }
    })
    .map_err(|e| BuildError::Sandbox {
        loc: loc.clone(),
        stage: stage.to_string(),
        message: e.to_string(),
    })?;
    if !partial.is_empty() {
        let rest = std::mem::take(&mut partial);
        emit(&rest, &mut tail);
    }
    drop(prepared);
    if outcome.exit_code != 0 {
        let shown = match cmd {
            Command::Shell(t) => t.text.trim().to_string(),
            Command::Exec { .. } => crate::build::config::json_list(&argv),
        };
        return Err(BuildError::RunFailed {
            loc,
            stage: stage.to_string(),
            command: shown,
            exit_code: outcome.exit_code,
            last_lines: tail,
        });
    }
    remove_mount_points(&upper, &missing);
    commit_dir(
        ctx,
        state,
        &upper,
        true,
        history(created_by, ctx.epoch),
        &key,
    )?;
    drop(tmp);
    Ok(false)
}

/// The qemu name of a GOARCH-style architecture.
fn qemu_arch(arch: &str) -> &str {
    match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i386",
        "ppc64le" => "ppc64le",
        "loong64" => "loongarch64",
        other => other,
    }
}

/// When `arch` is not the host's and no qemu-user binfmt handler is registered for it, the
/// message saying how to fix that.
fn foreign_without_emulator(arch: &str) -> Option<String> {
    let host = crate::dockerfile::scope::Platform::host();
    if arch.is_empty() || arch == host.architecture {
        return None;
    }
    let q = qemu_arch(arch);
    let handler = std::path::Path::new("/proc/sys/fs/binfmt_misc").join(format!("qemu-{q}"));
    match std::fs::read_to_string(&handler) {
        Ok(s) if s.starts_with("enabled") => None,
        _ => Some(format!(
            "RUN for linux/{arch} on a {} host needs a qemu-user binfmt handler, and {} is not registered; install Debian's qemu-user-static (or binfmt-support + qemu-user-binfmt) so it is",
            host.architecture,
            handler.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{parse, InstructionKind};

    fn argv(src: &str) -> (Vec<String>, Vec<(String, String)>) {
        let df = parse(src);
        let ins = &df.instructions[1];
        let InstructionKind::Run(cmd) = &ins.kind else {
            panic!("not RUN")
        };
        argv_of(
            cmd,
            &ins.heredocs,
            &["/bin/sh".to_string(), "-c".to_string()],
        )
    }

    #[test]
    fn host_arch_needs_no_emulator() {
        let host = crate::dockerfile::scope::Platform::host();
        assert_eq!(foreign_without_emulator(&host.architecture), None);
        if let Some(m) = foreign_without_emulator("s390x") {
            assert!(m.contains("qemu-user-static"), "{m}");
        }
    }

    #[test]
    fn heredoc_forms() {
        let (a, f) = argv("FROM x\nRUN <<EOF\necho hi\nEOF\n");
        assert_eq!(a, vec!["/bin/sh", "-c", "echo hi\n"]);
        assert!(f.is_empty());
        let (a, f) = argv("FROM x\nRUN <<EOF\n#!/bin/sh\necho hi\nEOF\n");
        assert_eq!(a, vec!["/.hoist-heredocs/EOF"]);
        assert_eq!(f[0].1, "#!/bin/sh\necho hi\n");
        let (a, _) = argv("FROM x\nRUN cat <<A >a && cat <<B >b\n1\nA\n2\nB\n");
        assert_eq!(a[2], "cat <<A >a && cat <<B >b\n1\nA\n2\nB\n");
        let (a, _) = argv("FROM x\nRUN [\"echo\", \"$HOME\"]\n");
        assert_eq!(a, vec!["echo", "$HOME"]);
    }
}
