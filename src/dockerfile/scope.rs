//! ARG/ENV scoping with Docker's rules: the variables visible at each instruction, for the
//! [`model`](super::model) of a file.
//!
//! * Global ARGs (those before the first FROM) and the automatic platform ARGs (`TARGETPLATFORM`,
//!   `BUILDARCH`, …) are visible only to FROM lines, unless a stage redeclares them with a bare
//!   `ARG NAME`, which then takes the global value.
//! * An `ARG` inside a stage declares the name; its value is the build-arg override, else its
//!   default (expanded with the variables in scope), else the global value.
//! * `ENV` sets values (expanded when declared, quotes removed) and always wins over an `ARG` of
//!   the same name.
//! * A stage `FROM <earlier stage>` starts with that stage's ENV, not its ARGs.
//! * Before the first FROM (other instructions there make BuildKit reject the file; lint checks
//!   them like a stage), an instruction sees the global ARGs and ENVs declared before it; FROM
//!   lines never see such an ENV.
//!
//! Expansion failures never abort: the variable is left unset (ENV keeps its raw text).
//!
//! Scopes are persistent maps ([`rpds`]): each instruction's [`Vars`] shares its structure with
//! the one before it, so a file with `n` ARG/ENV lines costs `O(n log n)` time and memory rather
//! than a full copy of the map per instruction (`O(n²)`).

use std::collections::{BTreeMap, BTreeSet};

use rpds::{RedBlackTreeMapSync, RedBlackTreeSetSync};

use super::ast::{Dockerfile, InstructionKind, KeyValue};
use super::expand::{Env, Lexer};
use super::model::Stage;
pub use crate::oci::image::Platform;

/// The ARGs BuildKit defines automatically in the global scope (dockerfile2llb `defaultArgs`):
/// the platform ones, their OS versions (empty on Linux) and `TARGETSTAGE`.
pub const PLATFORM_ARGS: [&str; 11] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETOSVERSION",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDOSVERSION",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETSTAGE",
];

/// Proxy ARGs Docker predefines: usable by RUN without an `ARG` when passed as build args.
pub const PROXY_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Whether `name` is one of Docker's predefined ARGs (platform or proxy).
pub fn is_predefined_arg(name: &str) -> bool {
    PLATFORM_ARGS.contains(&name) || PROXY_ARGS.contains(&name)
}

/// The automatic platform ARGs for a build on `build` producing `target`.
/// Values are BuildKit's: the platform normalised ([`Platform::normalized`]), so 32-bit ARM
/// gives `TARGETVARIANT=v7` and arm64 an empty variant.
pub fn platform_args(build: &Platform, target: &Platform) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (prefix, p) in [
        ("BUILD", build.normalized()),
        ("TARGET", target.normalized()),
    ] {
        m.insert(format!("{prefix}PLATFORM"), p.to_string());
        m.insert(format!("{prefix}OS"), p.os.clone());
        // hoist's platforms carry no OS version (only Windows images set one).
        m.insert(format!("{prefix}OSVERSION"), String::new());
        m.insert(format!("{prefix}ARCH"), p.architecture.clone());
        m.insert(
            format!("{prefix}VARIANT"),
            p.variant.clone().unwrap_or_default(),
        );
    }
    m
}

/// BuildKit's `TARGETSTAGE`: the `--target` as given, else the last stage's name, else
/// `default` (an unnamed last stage).
pub fn target_stage(df: &Dockerfile, target: Option<&str>) -> String {
    if let Some(t) = target.filter(|t| !t.is_empty()) {
        return t.to_string();
    }
    let last = df.instructions.iter().rev().find_map(|i| match &i.kind {
        InstructionKind::From { alias, .. } => Some(alias),
        _ => None,
    });
    match last {
        Some(Some(name)) if !name.value.is_empty() => name.value.to_lowercase(),
        _ => "default".to_string(),
    }
}

/// The lexer for `df`'s escape character (`\` unless the file chose `` ` ``).
pub(crate) fn lexer_for(df: &Dockerfile) -> Lexer {
    Lexer::new(if df.escape == '`' { '`' } else { '\\' })
}

/// Index of the first FROM, or the number of instructions when there is none.
pub(crate) fn first_from(df: &Dockerfile) -> usize {
    df.instructions
        .iter()
        .position(|i| matches!(i.kind, InstructionKind::From { .. }))
        .unwrap_or(df.instructions.len())
}

/// Applies one global `ARG` instruction to the global scope.
fn apply_global_arg(
    vars: &mut Vars,
    decls: &[super::ast::ArgDecl],
    lexer: &Lexer,
    build_args: &BTreeMap<String, String>,
) {
    for d in decls {
        let name = d.name.value.clone();
        if name.is_empty() {
            continue;
        }
        let value = match build_args.get(&name) {
            Some(v) => Some(v.clone()),
            None => d
                .default
                .as_ref()
                .and_then(|w| lexer.process_word(&w.value, &*vars).ok())
                .map(|e| e.value),
        };
        // Like BuildKit's buildMetaArgs, a declaration without a value (bare, or a default
        // that does not expand) leaves the value in scope alone: a bare `ARG TARGETARCH`
        // keeps the automatic value, a bare `ARG V` after `ARG V=1` keeps 1.
        if let Some(v) = value {
            vars.values.insert_mut(name.clone(), v);
        }
        vars.declared.insert_mut(name);
    }
}

/// The global scope seen by every FROM: the automatic ARGs (`automatic`, see
/// [`automatic_args`]) and the ARGs declared before the first FROM (build-arg override, else the
/// default expanded with the global ARGs declared before it).
pub fn global_args(
    df: &Dockerfile,
    build_args: &BTreeMap<String, String>,
    automatic: &Vars,
) -> Vars {
    let lexer = lexer_for(df);
    let mut vars = automatic.clone();
    for ins in &df.instructions[..first_from(df)] {
        if let InstructionKind::Arg(decls) = &ins.kind {
            apply_global_arg(&mut vars, decls, &lexer, build_args);
        }
    }
    vars
}

/// The automatic ARGs for a build on `build` producing `target` from the stage `target_stage`
/// (the `TARGETSTAGE` value, see [`target_stage`]), each overridable by
/// `build_args` (as BuildKit allows), all declared.
pub fn automatic_args(
    build: &Platform,
    target: &Platform,
    target_stage: &str,
    build_args: &BTreeMap<String, String>,
) -> Vars {
    let mut vars = Vars::default();
    let mut args = platform_args(build, target);
    args.insert("TARGETSTAGE".to_string(), target_stage.to_string());
    for (k, v) in args {
        let v = build_args.get(&k).cloned().unwrap_or(v);
        vars.declared.insert_mut(k.clone());
        vars.values.insert_mut(k, v);
    }
    vars
}

/// The variables visible at one instruction: global ARGs (for FROM), or the stage's declared ARGs
/// (with their values: build-arg override, else default, else the global's value), ENVs set
/// earlier in the stage or inherited from a parent stage of this file, and predefined ARGs
/// (TARGETPLATFORM, BUILDPLATFORM, HTTP_PROXY, …) once declared.
///
/// Both maps are persistent: cloning is `O(1)` and shares structure.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    /// Name → value, for names that have a value.
    pub values: RedBlackTreeMapSync<String, String>,
    /// Names declared (ARG without value included) — for undefined-variable checks.
    pub declared: RedBlackTreeSetSync<String>,
}

impl Vars {
    pub fn is_declared(&self, name: &str) -> bool {
        self.declared.contains(name) || self.values.contains_key(name)
    }

    /// The value of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

impl super::expand::Env for Vars {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// The running state of one stage. `vars` is the merged view handed out per instruction;
/// `envs` holds only what ENV set (inherited by child stages, and winning over ARGs).
#[derive(Clone, Debug, Default)]
struct StageScope {
    vars: Vars,
    envs: Vars,
}

impl StageScope {
    /// A stage starting from the ENVs of its parent stage (or none).
    fn from_envs(envs: Vars) -> StageScope {
        StageScope {
            vars: envs.clone(),
            envs,
        }
    }

    /// Declares ARG `name` with `value`; an ENV of the same name keeps its value.
    fn set_arg(&mut self, name: String, value: Option<String>) {
        if !self.envs.values.contains_key(&name) {
            match value {
                Some(v) => self.vars.values.insert_mut(name.clone(), v),
                None => {
                    self.vars.values.remove_mut(&name);
                }
            }
        }
        self.vars.declared.insert_mut(name);
    }

    /// Applies one ENV: every pair is expanded with the variables from before the instruction.
    fn apply_env(&mut self, pairs: &[KeyValue], lexer: &Lexer) {
        let env = self.vars.clone();
        for kv in pairs {
            let key = lexer
                .process_word(&kv.key.value, &env)
                .map(|e| e.value)
                .unwrap_or_else(|_| kv.key.value.clone());
            if key.is_empty() {
                continue;
            }
            let value = lexer
                .process_word(&kv.value.value, &env)
                .map(|e| e.value)
                .unwrap_or_else(|_| kv.value.value.clone());
            self.set_env(key, value);
        }
    }

    fn set_env(&mut self, name: String, value: String) {
        self.vars.values.insert_mut(name.clone(), value.clone());
        self.vars.declared.insert_mut(name.clone());
        self.envs.values.insert_mut(name.clone(), value);
        self.envs.declared.insert_mut(name);
    }
}

/// The variables in scope for every instruction of `df`, indexed like `df.instructions`
/// (the value for instruction `i` is what `i` sees, not including what `i` itself sets).
/// `automatic` are the platform ARGs ([`automatic_args`]); `stages` give each stage's parent.
pub fn vars_per_instruction(
    df: &Dockerfile,
    stages: &[Stage],
    build_args: &BTreeMap<String, String>,
    automatic: &Vars,
) -> Vec<Vars> {
    let lexer = lexer_for(df);
    let n = df.instructions.len();
    let first = first_from(df);
    let mut out = Vec::with_capacity(n);

    // Before the first FROM: the global scope as it grows. An ENV there (a file BuildKit
    // rejects, which lint checks like a stage: the model's prelude) sets values for the
    // instructions after it, never for FROM lines.
    let mut global = automatic.clone();
    let mut prelude = StageScope {
        vars: automatic.clone(),
        envs: Vars::default(),
    };
    for ins in &df.instructions[..first] {
        out.push(prelude.vars.clone());
        match &ins.kind {
            InstructionKind::Arg(decls) => {
                apply_global_arg(&mut global, decls, &lexer, build_args);
                for d in decls.iter().filter(|d| !d.name.value.is_empty()) {
                    let name = d.name.value.clone();
                    let value = global.get(&name).map(str::to_string);
                    prelude.set_arg(name, value);
                }
            }
            InstructionKind::Env(pairs) => prelude.apply_env(pairs, &lexer),
            _ => {}
        }
    }

    // Final ENVs of each stage, for stages built FROM an earlier one.
    let mut final_envs: Vec<Option<Vars>> = vec![None; stages.len()];
    let mut scope = StageScope::default();
    let mut current_stage: Option<usize> = None;
    for (i, ins) in df.instructions.iter().enumerate().skip(first) {
        if matches!(ins.kind, InstructionKind::From { .. }) {
            if let Some(slot) = current_stage.and_then(|s| final_envs.get_mut(s)) {
                *slot = Some(scope.envs.clone());
            }
            let stage = stages.iter().find(|s| s.from == i);
            current_stage = stage.map(|s| s.index);
            let inherited = stage
                .and_then(|s| s.base)
                .and_then(|b| final_envs.get(b).cloned().flatten());
            scope = StageScope::from_envs(inherited.unwrap_or_default());
            out.push(global.clone());
            continue;
        }
        out.push(scope.vars.clone());
        match &ins.kind {
            InstructionKind::Arg(decls) => {
                for d in decls {
                    let name = d.name.value.clone();
                    if name.is_empty() {
                        continue;
                    }
                    let value = if let Some(v) = build_args.get(&name) {
                        Some(v.clone())
                    } else if let Some(default) = &d.default {
                        lexer
                            .process_word(&default.value, &scope.vars)
                            .ok()
                            .map(|e| e.value)
                    } else {
                        global.lookup(&name).map(str::to_string)
                    };
                    scope.set_arg(name, value);
                }
            }
            InstructionKind::Env(pairs) => scope.apply_env(pairs, &lexer),
            _ => {}
        }
    }
    out
}

/// The names declared anywhere in `vars` that have no value (bare `ARG NAME`).
pub fn valueless(vars: &Vars) -> BTreeSet<&str> {
    vars.declared
        .iter()
        .filter(|k| !vars.values.contains_key(k.as_str()))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::ast::{ArgDecl, Flag, Instruction, KeyValue, Keyword, Word};
    use crate::dockerfile::model::{Model, ModelOptions, Stage};
    use crate::dockerfile::Span;

    fn model_of(d: &Dockerfile, build_args: BTreeMap<String, String>) -> Model {
        let options = ModelOptions {
            build_args,
            ..ModelOptions::default()
        };
        Model::new(d, &options)
    }

    fn w(s: &str) -> Word {
        Word {
            value: s.to_string(),
            span: Span::default(),
        }
    }

    /// Builds an instruction from a one-line form; values must not contain spaces.
    fn ins(line: &str) -> Instruction {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let kw = Keyword::from_word(words.remove(0));
        let mut flags = Vec::new();
        while let Some(f) = words.first().and_then(|x| x.strip_prefix("--")) {
            let (name, value) = match f.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (f.to_string(), None),
            };
            flags.push(Flag {
                name,
                value,
                span: Span::default(),
                value_span: None,
            });
            words.remove(0);
        }
        let kind = match kw {
            Keyword::From => InstructionKind::From {
                image: w(words[0]),
                alias: words.get(2).map(|a| w(a)),
            },
            Keyword::Arg => InstructionKind::Arg(
                words
                    .iter()
                    .map(|x| match x.split_once('=') {
                        Some((n, d)) => ArgDecl {
                            name: w(n),
                            default: Some(w(d)),
                        },
                        None => ArgDecl {
                            name: w(x),
                            default: None,
                        },
                    })
                    .collect(),
            ),
            Keyword::Env => InstructionKind::Env(
                words
                    .iter()
                    .map(|x| {
                        let (k, v) = x.split_once('=').unwrap_or((x, ""));
                        KeyValue {
                            key: w(k),
                            value: w(v),
                            legacy: false,
                        }
                    })
                    .collect(),
            ),
            _ => InstructionKind::Other(words.iter().map(|x| w(x)).collect()),
        };
        Instruction {
            keyword: kw,
            keyword_word: w(kw.as_str()),
            flags,
            kind,
            heredocs: Vec::new(),
            args: Vec::new(),
            json: false,
            span: Span::default(),
            args_span: Span::default(),
        }
    }

    fn df(lines: &[&str]) -> Dockerfile {
        Dockerfile {
            escape: '\\',
            instructions: lines.iter().map(|l| ins(l)).collect(),
            ..Default::default()
        }
    }

    fn run(d: &Dockerfile, build: &[(&str, &str)]) -> (Vec<Stage>, Vec<Vars>) {
        let ba: BTreeMap<String, String> = build
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let m = model_of(d, ba);
        let vars: Vec<Vars> = (0..d.instructions.len())
            .filter_map(|i| m.vars_at(i).cloned())
            .collect();
        assert_eq!(vars.len(), d.instructions.len());
        (m.stages().to_vec(), vars)
    }

    fn val<'a>(v: &'a Vars, k: &str) -> Option<&'a str> {
        v.values.get(k).map(String::as_str)
    }

    #[test]
    fn global_args_only_in_from() {
        let d = df(&["ARG V=1", "FROM img:$V", "RUN x"]);
        let (st, vars) = run(&d, &[]);
        assert_eq!(st[0].image.as_deref(), Some("img:1"));
        assert_eq!(val(&vars[1], "V"), Some("1"));
        assert_eq!(val(&vars[2], "V"), None);
        assert!(!vars[2].is_declared("V"));
    }

    #[test]
    fn redeclared_global_takes_its_value() {
        let d = df(&["ARG V=1", "FROM img", "ARG V", "RUN x", "FROM img", "RUN y"]);
        let (_, vars) = run(&d, &[]);
        assert_eq!(val(&vars[3], "V"), Some("1"));
        assert_eq!(val(&vars[5], "V"), None, "ARG scope ends with the stage");
        // A redeclaration with its own default uses the default.
        let d = df(&["ARG V=1", "FROM img", "ARG V=2", "RUN x"]);
        let (_, vars) = run(&d, &[]);
        assert_eq!(val(&vars[3], "V"), Some("2"));
    }

    #[test]
    fn bare_arg_is_declared_without_value() {
        let d = df(&["FROM img", "ARG NOPE", "RUN x"]);
        let (_, vars) = run(&d, &[]);
        assert!(vars[2].is_declared("NOPE"));
        assert_eq!(val(&vars[2], "NOPE"), None);
        assert!(valueless(&vars[2]).contains("NOPE"));
        assert!(
            !vars[1].is_declared("NOPE"),
            "an instruction does not see its own ARG"
        );
    }

    #[test]
    fn env_overrides_arg_either_order() {
        let d = df(&[
            "FROM img",
            "ARG A=arg",
            "ENV A=env",
            "RUN x",
            "ARG A=again",
            "RUN y",
        ]);
        let (_, vars) = run(&d, &[]);
        assert_eq!(val(&vars[3], "A"), Some("env"));
        assert_eq!(val(&vars[5], "A"), Some("env"));
    }

    #[test]
    fn env_values_expand_and_lose_quotes() {
        let d = df(&[
            "FROM img",
            "ARG B=base",
            "ENV P=${B}/bin Q=\"quoted\" R=$P",
            "RUN x",
        ]);
        let (_, vars) = run(&d, &[]);
        assert_eq!(val(&vars[3], "P"), Some("base/bin"));
        assert_eq!(val(&vars[3], "Q"), Some("quoted"));
        // Pairs of one ENV see the variables from before the instruction only.
        assert_eq!(val(&vars[3], "R"), Some(""));
    }

    #[test]
    fn arg_defaults_expand_sequentially() {
        let d = df(&["FROM img", "ENV E=e", "ARG A=${E}1 B=${A}2", "RUN x"]);
        let (_, vars) = run(&d, &[]);
        assert_eq!(val(&vars[3], "A"), Some("e1"));
        assert_eq!(val(&vars[3], "B"), Some("e12"));
    }

    #[test]
    fn child_stage_inherits_env_not_args() {
        let d = df(&[
            "FROM img AS Builder",
            "ARG A=1",
            "ENV E=2",
            "FROM builder",
            "RUN x",
            "FROM other",
            "RUN y",
        ]);
        let (st, vars) = run(&d, &[]);
        assert_eq!(st[0].name.as_deref(), Some("builder"));
        assert_eq!(st[1].base, Some(0));
        assert_eq!(st[2].base, None);
        assert_eq!(val(&vars[4], "E"), Some("2"));
        assert_eq!(val(&vars[4], "A"), None);
        assert_eq!(val(&vars[6], "E"), None);
    }

    #[test]
    fn build_args_override() {
        let d = df(&["ARG V=1", "FROM img:$V", "ARG V", "ARG W=def", "RUN x"]);
        let (st, vars) = run(&d, &[("V", "9"), ("W", "w"), ("UNUSED", "u")]);
        assert_eq!(st[0].image.as_deref(), Some("img:9"));
        assert_eq!(val(&vars[4], "V"), Some("9"));
        assert_eq!(val(&vars[4], "W"), Some("w"));
        assert!(!vars[4].is_declared("UNUSED"));
    }

    #[test]
    fn predefined_platform_args() {
        let d = df(&[
            "FROM --platform=$BUILDPLATFORM img AS b",
            "RUN x",
            "ARG TARGETARCH",
            "RUN y",
        ]);
        let (st, vars) = run(&d, &[]);
        let host = Platform::host();
        assert_eq!(st[0].platform, Some(host.to_string()));
        assert_eq!(val(&vars[0], "TARGETOS"), Some(host.os.as_str()));
        assert!(!vars[1].is_declared("TARGETARCH"));
        assert_eq!(
            val(&vars[3], "TARGETARCH"),
            Some(host.architecture.as_str())
        );
        let (st, vars) = run(
            &d,
            &[("BUILDPLATFORM", "linux/arm64"), ("TARGETARCH", "s390x")],
        );
        assert_eq!(st[0].platform.as_deref(), Some("linux/arm64"));
        assert_eq!(val(&vars[3], "TARGETARCH"), Some("s390x"));
        assert!(is_predefined_arg("https_proxy"));
        assert!(is_predefined_arg("TARGETVARIANT"));
        assert!(!is_predefined_arg("PATH"));
    }

    #[test]
    fn from_with_defaults_and_global_chain() {
        let d = df(&[
            "ARG BASE=debian",
            "ARG VERSION=${BASE}-12",
            "ARG EMPTY",
            "FROM ${BASE}:${VERSION}",
            "FROM $EMPTY",
            "FROM ${BASE:?}",
        ]);
        let (st, vars) = run(&d, &[]);
        assert_eq!(st.len(), 3);
        assert_eq!(st[0].image.as_deref(), Some("debian:debian-12"));
        assert_eq!(st[1].image, None, "empty expansion");
        assert_eq!(st[2].image.as_deref(), Some("debian"));
        assert_eq!((st[0].from, st[0].end), (3, 4));
        assert_eq!((st[2].from, st[2].end), (5, 6));
        // Each global ARG sees the ones before it only.
        assert!(!vars[0].is_declared("BASE"));
        assert_eq!(val(&vars[1], "BASE"), Some("debian"));
        assert!(vars[3].is_declared("EMPTY"));
        let (st, _) = run(&d, &[("BASE", "alpine")]);
        assert_eq!(st[0].image.as_deref(), Some("alpine:alpine-12"));
    }

    #[test]
    fn stage_by_index_and_bad_expansion() {
        let d = df(&["FROM a AS one", "FROM 0", "FROM 5", "FROM ${X:?boom}"]);
        let (st, vars) = run(&d, &[]);
        assert_eq!(st[1].base, Some(0));
        assert_eq!(st[2].base, None);
        assert_eq!(st[3].image, None);
        assert_eq!(st[3].base, None);
        assert_eq!(vars.len(), 4);
    }

    #[test]
    fn find_stage_by_name_or_index() {
        let d = df(&["FROM a AS one", "FROM b AS Two", "FROM c"]);
        let m = model_of(&d, BTreeMap::new());
        assert_eq!(m.find_stage("ONE", 3), Some(0));
        assert_eq!(m.find_stage("two", 3), Some(1));
        assert_eq!(m.find_stage("two", 1), None, "only earlier stages count");
        assert_eq!(m.find_stage("2", 3), Some(2));
        assert_eq!(m.find_stage("2", 2), None);
        assert_eq!(m.find_stage("", 3), None);
        assert_eq!(m.find_stage("nope", 3), None);
        assert_eq!(m.find_stage("0", 99), Some(0));
    }

    #[test]
    fn failed_expansion_leaves_values_raw_or_absent() {
        let d = df(&["FROM img", "ARG A=${X:?no}", "ENV E=${Y:?no}", "RUN x"]);
        let (_, vars) = run(&d, &[]);
        assert!(vars[3].is_declared("A"));
        assert_eq!(val(&vars[3], "A"), None);
        assert_eq!(val(&vars[3], "E"), Some("${Y:?no}"));
    }

    #[test]
    fn no_from_and_empty_file() {
        let (st, vars) = run(&df(&[]), &[]);
        assert!(st.is_empty() && vars.is_empty());
        let (st, vars) = run(&df(&["ARG A=1", "RUN x"]), &[]);
        assert!(st.is_empty());
        assert_eq!(val(&vars[1], "A"), Some("1"));
    }

    #[test]
    fn platform_args_are_buildkits() {
        let arm: Platform = "linux/arm".parse().unwrap();
        let arm64: Platform = "linux/arm64/v8".parse().unwrap();
        let m = platform_args(&arm64, &arm);
        assert_eq!(m["BUILDPLATFORM"], "linux/arm64");
        assert_eq!(m["BUILDVARIANT"], "");
        assert_eq!(m["TARGETPLATFORM"], "linux/arm/v7");
        assert_eq!(m["TARGETARCH"], "arm");
        assert_eq!(m["TARGETVARIANT"], "v7");
        assert_eq!(m["TARGETOSVERSION"], "");
        assert_eq!(m["BUILDOSVERSION"], "");
        let host = Platform::host();
        if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            assert_eq!(host.to_string(), "linux/amd64");
        }
    }

    /// Scoping over text parsed by the real parser.
    mod parsed {
        use super::super::*;
        use crate::dockerfile::model::Stage;
        use crate::dockerfile::parse;

        fn vars_of(src: &str, build: &[(&str, &str)]) -> (Vec<Stage>, Vec<Vars>) {
            let df = parse(src);
            assert!(df.errors.is_empty(), "{:?}", df.errors);
            let ba: BTreeMap<String, String> = build
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let m = super::model_of(&df, ba);
            let vars = (0..df.instructions.len())
                .filter_map(|i| m.vars_at(i).cloned())
                .collect();
            (m.stages().to_vec(), vars)
        }

        fn get<'a>(v: &'a Vars, k: &str) -> Option<&'a str> {
            v.values.get(k).map(String::as_str)
        }

        #[test]
        fn quoted_values_and_multi_stage() {
            let src = "ARG BASE=alpine\nARG TAG=\"3.20\"\nFROM ${BASE}:${TAG} AS Build\n\
                       ARG TAG\nENV GREETING=\"hello world\" PATH=/opt/bin:$PATH\n\
                       ENV LEGACY value with spaces\nRUN echo\nFROM build AS final\n\
                       RUN echo\nFROM --platform=$BUILDPLATFORM scratch\nRUN x\n";
            let (st, vars) = vars_of(src, &[]);
            assert_eq!(st.len(), 3);
            assert_eq!(st[0].image.as_deref(), Some("alpine:3.20"));
            assert_eq!(st[0].name.as_deref(), Some("build"));
            assert_eq!(st[1].base, Some(0));
            assert_eq!(st[2].platform, Some(Platform::host().to_string()));
            assert_eq!(st[2].image.as_deref(), Some("scratch"));
            let run1 = &vars[6];
            assert_eq!(get(run1, "TAG"), Some("3.20"));
            assert_eq!(get(run1, "GREETING"), Some("hello world"));
            assert_eq!(get(run1, "PATH"), Some("/opt/bin:"));
            assert_eq!(get(run1, "LEGACY"), Some("value with spaces"));
            assert_eq!(get(run1, "BASE"), None);
            let run2 = &vars[8];
            assert_eq!(get(run2, "GREETING"), Some("hello world"));
            assert_eq!(get(run2, "TAG"), None, "ARGs are not inherited");
            assert!(!vars[10].is_declared("GREETING"));
        }

        #[test]
        fn backtick_escape_file() {
            let src = "# escape=`\nFROM img\nENV A=x`$B C=\"q`\"q\"\nRUN x\n";
            let (_, vars) = vars_of(src, &[]);
            assert_eq!(get(&vars[2], "A"), Some("x$B"));
            assert_eq!(get(&vars[2], "C"), Some("q\"q"));
        }

        #[test]
        fn build_args_and_arg_defaults() {
            let src = "ARG V=1\nFROM img:$V\nARG V\nARG W=\"${V}-w\"\nRUN x\n";
            let (st, vars) = vars_of(src, &[]);
            assert_eq!(st[0].image.as_deref(), Some("img:1"));
            assert_eq!(get(&vars[4], "W"), Some("1-w"));
            let (st, vars) = vars_of(src, &[("V", "2")]);
            assert_eq!(st[0].image.as_deref(), Some("img:2"));
            assert_eq!(get(&vars[4], "W"), Some("2-w"));
        }
    }
}
