//! The image config side of a stage: its running state ([`StageState`]: config, layers,
//! declared ARGs, cache chain key) and the instructions that only change the config (ENV,
//! ARG, LABEL, EXPOSE, VOLUME, CMD, ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, USER, SHELL,
//! MAINTAINER, ONBUILD, and WORKDIR's config part), with Docker-compatible history entries.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::error::{BuildError, Loc};
use super::plan::{expand, Plan};
use crate::dockerfile::expand::Env;
use crate::dockerfile::flags::parse_healthcheck_flags;
use crate::dockerfile::{Command, Healthcheck, Instruction, InstructionKind};
use crate::oci::assemble::{rfc3339, HealthConfig, History, ImageConfig, LayerRef};

/// BuildKit's history comment for Dockerfile steps.
pub const HISTORY_COMMENT: &str = "buildkit.dockerfile.v0";

/// The default shell of a Linux image.
pub fn default_shell() -> Vec<String> {
    vec!["/bin/sh".to_string(), "-c".to_string()]
}

/// A stage as it is being built.
#[derive(Debug, Clone)]
pub struct StageState {
    /// The image config so far.
    pub config: ImageConfig,
    /// Its layers, bottom first (aligned with `config.rootfs.diff_ids`).
    pub layers: Vec<LayerRef>,
    /// Unpacked directories of `layers` once needed (bottom first); empty until then.
    pub lowers: Vec<PathBuf>,
    /// ARGs declared in this stage (`None`: declared without a value).
    pub args: BTreeMap<String, Option<String>>,
    /// Whether CMD was set in this stage (ENTRYPOINT resets an inherited CMD only).
    pub cmd_set: bool,
    /// Cache key of the last step (the chain).
    pub key: String,
}

/// Variables for expansion: the stage's ARG values overlaid by the image's ENV (ENV wins).
#[derive(Debug, Clone, Default)]
pub struct Vars(pub BTreeMap<String, String>);

impl Env for Vars {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl StageState {
    /// A fresh state over `config` and `layers` with chain key `key`.
    pub fn new(config: ImageConfig, layers: Vec<LayerRef>, key: String) -> StageState {
        StageState {
            config,
            layers,
            lowers: Vec::new(),
            args: BTreeMap::new(),
            cmd_set: false,
            key,
        }
    }

    /// Variables visible to the next instruction.
    pub fn vars(&self) -> Vars {
        let mut m: BTreeMap<String, String> = self
            .args
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
            .collect();
        for kv in &self.config.config.env {
            let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
            m.insert(k.to_string(), v.to_string());
        }
        Vars(m)
    }

    /// ARGs with values that are not overridden by an ENV of the same name, as RUN sees them.
    pub fn arg_env(&self) -> Vec<(String, String)> {
        self.args
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .filter(|(k, _)| self.config.env_get(k).is_none())
            .collect()
    }

    /// The current working directory (`/` when unset).
    pub fn workdir(&self) -> String {
        if self.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            self.config.config.working_dir.clone()
        }
    }

    /// The shell for shell-form commands.
    pub fn shell(&self) -> Vec<String> {
        if self.config.config.shell.is_empty() {
            default_shell()
        } else {
            self.config.config.shell.clone()
        }
    }
}

/// A history entry for a step, with BuildKit's comment and the build's time.
pub fn history(created_by: String, epoch: i64) -> History {
    History {
        created: Some(rfc3339(epoch)),
        created_by: Some(created_by),
        comment: Some(HISTORY_COMMENT.to_string()),
        empty_layer: false,
        author: None,
    }
}

/// The command's argv: exec form as written, shell form wrapped in the stage's shell.
pub fn command_argv(cmd: &Command, shell: &[String]) -> Vec<String> {
    match cmd {
        Command::Exec { args, .. } => args.iter().map(|w| w.value.clone()).collect(),
        Command::Shell(t) => {
            let mut v = shell.to_vec();
            v.push(t.text.clone());
            v
        }
    }
}

/// An instruction with where it is: its location for messages and the text its spans index
/// (the Dockerfile, or an ONBUILD trigger of the base image).
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The instruction.
    pub ins: &'a Instruction,
    /// Its location.
    pub loc: &'a Loc,
    /// The text its spans index into.
    pub source: &'a str,
}

impl Step<'_> {
    /// The source text of an instruction of this document.
    pub fn text_of(&self, ins: &Instruction) -> String {
        self.source
            .get(ins.span.range())
            .unwrap_or_default()
            .to_string()
    }
}

/// Clean an absolute path like Go's `path.Clean`.
pub fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Apply a config-only instruction. Returns false when `ins` is not one (RUN, COPY, ADD,
/// WORKDIR and FROM are handled by the executor).
pub fn apply_meta(
    plan: &Plan,
    state: &mut StageState,
    step: Step,
    epoch: i64,
) -> Result<bool, BuildError> {
    let ins = step.ins;
    let loc = step.loc.clone();
    let lexer = plan.lexer();
    let vars = state.vars();
    let ex = |w: &str| expand(&lexer, &loc, w, &vars);
    let created_by = match &ins.kind {
        InstructionKind::Env(pairs) => {
            let mut shown = Vec::new();
            for kv in pairs {
                let k = ex(&kv.key.value)?;
                let v = ex(&kv.value.value)?;
                if k.is_empty() {
                    return Err(BuildError::Flag {
                        loc,
                        message: "ENV names an empty variable".to_string(),
                    });
                }
                shown.push(format!("{k}={v}"));
                state.config.env_set(&k, &v);
            }
            format!("ENV {}", shown.join(" "))
        }
        InstructionKind::Label(pairs) => {
            let mut shown = Vec::new();
            for kv in pairs {
                let k = ex(&kv.key.value)?;
                let v = ex(&kv.value.value)?;
                shown.push(format!("{k}={v}"));
                state.config.config.labels.insert(k, v);
            }
            format!("LABEL {}", shown.join(" "))
        }
        InstructionKind::Arg(decls) => {
            let mut shown = Vec::new();
            for d in decls {
                let name = d.name.value.clone();
                let value = if let Some(v) = plan.build_args.get(&name) {
                    Some(v.clone())
                } else if let Some(w) = &d.default {
                    Some(ex(&w.value)?)
                } else {
                    plan.globals.get(&name).cloned()
                };
                shown.push(match &d.default {
                    Some(w) => format!("{name}={}", w.value),
                    None => name.clone(),
                });
                state.args.insert(name, value);
            }
            format!("ARG {}", shown.join(" "))
        }
        InstructionKind::Expose(words) => {
            for w in words {
                for port in
                    lexer
                        .process_words(&w.value, &vars)
                        .map_err(|e| BuildError::Expand {
                            loc: loc.clone(),
                            word: w.value.clone(),
                            message: e.message,
                        })?
                {
                    for p in expose_ports(&port).map_err(|m| BuildError::Flag {
                        loc: loc.clone(),
                        message: m,
                    })? {
                        state
                            .config
                            .config
                            .exposed_ports
                            .insert(p, Value::Object(Default::default()));
                    }
                }
            }
            let shown: Vec<String> = state
                .config
                .config
                .exposed_ports
                .keys()
                .map(|k| format!("{k}:{{}}"))
                .collect();
            format!("EXPOSE map[{}]", shown.join(" "))
        }
        InstructionKind::Volume { paths, .. } => {
            let mut shown = Vec::new();
            for w in paths {
                let v = ex(&w.value)?;
                if v.is_empty() {
                    return Err(BuildError::Flag {
                        loc,
                        message: "VOLUME specified can not be an empty string".to_string(),
                    });
                }
                shown.push(v.clone());
                state
                    .config
                    .config
                    .volumes
                    .insert(v, Value::Object(Default::default()));
            }
            format!("VOLUME [{}]", shown.join(" "))
        }
        InstructionKind::Cmd(cmd) => {
            let argv = command_argv(cmd, &state.shell());
            state.config.config.cmd = Some(argv.clone());
            state.cmd_set = true;
            format!("CMD {}", json_list(&argv))
        }
        InstructionKind::Entrypoint(cmd) => {
            let argv = command_argv(cmd, &state.shell());
            state.config.config.entrypoint = Some(argv.clone());
            if !state.cmd_set {
                state.config.config.cmd = None;
            }
            format!("ENTRYPOINT {}", json_list(&argv))
        }
        InstructionKind::Healthcheck(h) => {
            let hc = match h {
                Healthcheck::None => HealthConfig {
                    test: vec!["NONE".to_string()],
                    ..HealthConfig::default()
                },
                Healthcheck::Cmd(cmd) => {
                    let opts =
                        parse_healthcheck_flags(&ins.flags).map_err(|e| BuildError::Flag {
                            loc: loc.clone(),
                            message: e.to_string(),
                        })?;
                    let ns = |d: Option<std::time::Duration>| {
                        d.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
                            .unwrap_or(0)
                    };
                    let test = match cmd {
                        Command::Exec { args, .. } => std::iter::once("CMD".to_string())
                            .chain(args.iter().map(|w| w.value.clone()))
                            .collect(),
                        Command::Shell(t) => vec!["CMD-SHELL".to_string(), t.text.clone()],
                    };
                    HealthConfig {
                        test,
                        interval: ns(opts.interval),
                        timeout: ns(opts.timeout),
                        start_period: ns(opts.start_period),
                        start_interval: ns(opts.start_interval),
                        retries: u64::from(opts.retries.unwrap_or(0)),
                    }
                }
                Healthcheck::Other { .. } | Healthcheck::Empty => {
                    return Err(BuildError::Flag {
                        loc,
                        message: "HEALTHCHECK needs NONE or CMD <command>".to_string(),
                    })
                }
            };
            let shown = format!("HEALTHCHECK &{{{}}}", json_list(&hc.test));
            state.config.config.healthcheck = Some(hc);
            shown
        }
        InstructionKind::Stopsignal(w) => {
            let v = ex(&w.value)?;
            state.config.config.stop_signal = v.clone();
            format!("STOPSIGNAL {v}")
        }
        InstructionKind::User(w) => {
            let v = ex(&w.value)?;
            state.config.config.user = v.clone();
            format!("USER {v}")
        }
        InstructionKind::Shell(words) => {
            let v: Vec<String> = words.iter().map(|w| w.value.clone()).collect();
            if v.is_empty() {
                return Err(BuildError::Flag {
                    loc,
                    message: "SHELL requires the first argument to be a command".to_string(),
                });
            }
            state.config.config.shell = v.clone();
            format!("SHELL {}", json_list(&v))
        }
        InstructionKind::Maintainer(w) => {
            let v = ex(&w.value)?;
            state.config.author = Some(v.clone());
            format!("MAINTAINER {v}")
        }
        InstructionKind::Onbuild(inner) => {
            let text = step.text_of(inner).trim().to_string();
            if matches!(
                inner.kind,
                InstructionKind::Onbuild(_) | InstructionKind::From { .. }
            ) || text.is_empty()
            {
                return Err(BuildError::Flag {
                    loc,
                    message: "ONBUILD cannot trigger ONBUILD or FROM".to_string(),
                });
            }
            state.config.config.on_build.push(text.clone());
            format!("ONBUILD {text}")
        }
        _ => return Ok(false),
    };
    state.config.push_empty(history(created_by, epoch));
    Ok(true)
}

/// Set WORKDIR in the config (relative paths resolve against the current one); returns the
/// new absolute directory.
pub fn set_workdir(
    plan: &Plan,
    state: &mut StageState,
    loc: &Loc,
    word: &str,
) -> Result<String, BuildError> {
    let loc = loc.clone();
    let v = expand(&plan.lexer(), &loc, word, &state.vars())?;
    if v.is_empty() {
        return Err(BuildError::Flag {
            loc,
            message: "WORKDIR needs a directory".to_string(),
        });
    }
    let dir = if v.starts_with('/') {
        clean_path(&v)
    } else {
        clean_path(&format!("{}/{v}", state.workdir()))
    };
    state.config.config.working_dir = dir.clone();
    Ok(dir)
}

/// `80`, `80/udp`, `8000-8002/tcp` → `["80/tcp"]`, … (Docker's EXPOSE forms).
pub fn expose_ports(spec: &str) -> Result<Vec<String>, String> {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("EXPOSE {spec}: invalid protocol {proto:?}"));
    }
    let bad = || format!("EXPOSE {spec}: invalid port (a number 0-65535 or a range a-b)");
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (
            a.parse::<u16>().map_err(|_| bad())?,
            b.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let p = ports.parse::<u16>().map_err(|_| bad())?;
            (p, p)
        }
    };
    if hi < lo {
        return Err(bad());
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

/// `["a","b"]` like Go's `%q` list formatting in BuildKit's history.
pub fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_paths() {
        assert_eq!(expose_ports("80").unwrap(), vec!["80/tcp"]);
        assert_eq!(expose_ports("53-54/UDP").unwrap(), vec!["53/udp", "54/udp"]);
        assert!(expose_ports("x").is_err());
        assert_eq!(clean_path("/a/./b/../c/"), "/a/c");
        assert_eq!(clean_path("/../.."), "/");
    }
}
