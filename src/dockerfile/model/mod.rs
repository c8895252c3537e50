//! The meaning of a Dockerfile, computed once for given build args and platforms: its stages
//! (name, base, `--platform`, instruction range), the edges between them (`FROM <stage>`,
//! `COPY --from`, `RUN --mount from=`), `--target` resolution and the stages a target needs in
//! dependency order (with cycle detection), the SHELL in force and the ARG/ENV variables in
//! scope at each instruction. `hoist lint` reads it; `hoist build` plans from it.
//!
//! Instructions other than ARG before the first FROM belong to no stage (BuildKit rejects such a
//! file, and so does `hoist build`); the model names them the prelude ([`Model::prelude`]), and
//! an ENV there is in scope for the prelude instructions after it, so lint can check them as
//! hadolint does, like the body of a stage.
//!
//! ```
//! use hoist::dockerfile::{parse, model::{Model, ModelOptions, Origin}};
//!
//! let df = parse("ARG V=3.20\nFROM alpine:$V AS build\nRUN make\n\
//!                 FROM scratch\nCOPY --from=build /out /\n");
//! let model = Model::new(&df, &ModelOptions::default());
//! let target = model.resolve_target(None).unwrap(); // the last stage
//! for i in model.plan(target).unwrap() {             // dependencies first
//!     let stage = &model.stages()[i];
//!     match &stage.origin {
//!         Origin::Image(r) => println!("stage {i}: pull {r}"),
//!         Origin::Stage(s) => println!("stage {i}: continue from stage {s}"),
//!         Origin::Scratch => println!("stage {i}: empty root"),
//!         Origin::Unresolved => println!("stage {i}: FROM did not expand"),
//!     }
//!     for ins in stage.body() {
//!         let _vars = model.vars_at(ins);   // ARG/ENV in scope
//!         let _shell = model.shell_at(ins); // SHELL in force
//!     }
//! }
//! assert_eq!(model.plan(target).unwrap(), vec![0, 1]);
//! assert_eq!(model.stages()[0].origin, Origin::Image("alpine:3.20".into()));
//! ```

mod graph;
pub mod scripts;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

pub use graph::ModelError;
pub use scripts::{is_posix_shell, run_scripts, RunScript};

use super::ast::{Dockerfile, InstructionKind, Keyword};
use super::expand::Lexer;
use super::flags::parse_mount;
use super::scope::{self, lexer_for, Vars};
use crate::oci::image::Platform;

/// What a model is computed for: the build args and the platforms that set the automatic
/// `BUILDPLATFORM`/`TARGETPLATFORM` ARGs (both default to the host's).
#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// `--build-arg NAME=VALUE` values.
    pub build_args: BTreeMap<String, String>,
    /// The platform the build runs on.
    pub build_platform: Platform,
    /// The platform the build produces.
    pub target_platform: Platform,
    /// `--target` (sets `TARGETSTAGE`; the last stage when `None`).
    pub target: Option<String>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        let host = Platform::host();
        ModelOptions {
            build_args: BTreeMap::new(),
            build_platform: host.clone(),
            target_platform: host,
            target: None,
        }
    }
}

/// What a stage starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `FROM scratch`: an empty root file system.
    Scratch,
    /// An image reference, after ARG expansion (not yet parsed or normalised).
    Image(String),
    /// An earlier stage of this file (by name, any case, or by number).
    Stage(usize),
    /// The FROM word did not expand (unset variable with `:?`, bad syntax) or expanded to nothing.
    Unresolved,
}

/// How one stage depends on another stage or an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    From,
    CopyFrom,
    MountFrom,
}

/// What a dependency points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A stage of this file.
    Stage(usize),
    /// An image reference (a `--from` that names no stage), after ARG expansion.
    Image(String),
    /// A stage number that no stage has (`--from=7` in a file with three stages).
    MissingStage(usize),
    /// The value did not expand; the raw text.
    Unresolved(String),
}

/// One edge of the stage graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The instruction holding the reference.
    pub instr: usize,
    /// Its 1-based line in the Dockerfile.
    pub line: u32,
    pub via: Via,
    pub source: Source,
}

/// One build stage: a FROM and the instructions after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// 0-based stage number.
    pub index: usize,
    /// Index of the FROM in [`Dockerfile::instructions`].
    pub from: usize,
    /// 1-based line of the FROM.
    pub line: u32,
    /// One past the last instruction of this stage.
    pub end: usize,
    /// `AS name`, lowercased.
    pub name: Option<String>,
    /// The FROM word after expanding global ARGs; `None` if expansion failed or left it empty.
    pub image: Option<String>,
    /// What the stage starts from.
    pub origin: Origin,
    /// The earlier stage this one is built FROM (`origin` is `Origin::Stage`), if any.
    pub base: Option<usize>,
    /// `--platform` after expansion, if given.
    pub platform: Option<String>,
    /// `COPY --from` and `RUN --mount from=` references, in instruction order (the FROM edge
    /// is [`Stage::base`]).
    pub deps: Vec<Dependency>,
}

impl Stage {
    /// Indices of the stage's instructions after its FROM.
    pub fn body(&self) -> Range<usize> {
        self.from + 1..self.end.max(self.from + 1)
    }

    /// Indices of the stage's instructions, FROM included.
    pub fn range(&self) -> Range<usize> {
        self.from..self.end
    }

    /// The stages this one needs: its base stage, then the stages its `--from`s name.
    pub fn stage_deps(&self) -> impl Iterator<Item = usize> + '_ {
        self.base
            .into_iter()
            .chain(self.deps.iter().filter_map(|d| match d.source {
                Source::Stage(s) => Some(s),
                _ => None,
            }))
    }
}

/// The model of one Dockerfile; see the module documentation.
#[derive(Clone, Debug)]
pub struct Model {
    stages: Vec<Stage>,
    stage_of: Vec<Option<usize>>,
    vars: Vec<Vars>,
    shells: Vec<Arc<[String]>>,
    global: Vars,
    global_arg_names: Vec<String>,
    prelude: Option<Range<usize>>,
    /// The file's escape character, for expansions.
    escape: char,
}

/// The shell RUN uses when no SHELL instruction set one.
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

impl Model {
    /// Computes the model of `df` for `options`.
    pub fn new(df: &Dockerfile, options: &ModelOptions) -> Model {
        let automatic = scope::automatic_args(
            &options.build_platform,
            &options.target_platform,
            &scope::target_stage(df, options.target.as_deref()),
            &options.build_args,
        );
        let global = scope::global_args(df, &options.build_args, &automatic);
        let mut stages = stages(df, &global);
        let vars = scope::vars_per_instruction(df, &stages, &options.build_args, &automatic);
        let n = df.instructions.len();
        let mut stage_of = vec![None; n];
        for s in &stages {
            for slot in stage_of.iter_mut().take(s.end.min(n)).skip(s.from) {
                *slot = Some(s.index);
            }
        }
        add_deps(df, &mut stages, &vars);
        let shells = shells(df, &stages, &stage_of);
        let global_arg_names = df
            .instructions
            .iter()
            .take_while(|ins| ins.keyword != Keyword::From)
            .filter_map(|ins| match &ins.kind {
                InstructionKind::Arg(decls) => Some(decls.iter().map(|d| d.name.value.clone())),
                _ => None,
            })
            .flatten()
            .collect();
        let first = stages.first().map_or(n, |s| s.from);
        let prelude = df
            .instructions
            .get(..first)
            .is_some_and(|before| {
                before
                    .iter()
                    .any(|ins| !matches!(ins.keyword, Keyword::Arg | Keyword::Unknown))
            })
            .then_some(0..first);
        Model {
            stages,
            stage_of,
            vars,
            shells,
            global,
            global_arg_names,
            prelude,
            escape: df.escape,
        }
    }

    /// The stages in file order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The last stage (the image built without `--target`), if any.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The stage number of instruction `instr` (`None` before the first FROM).
    pub fn stage_of(&self, instr: usize) -> Option<usize> {
        self.stage_of.get(instr).copied().flatten()
    }

    /// The stage instruction `instr` belongs to.
    pub fn stage_at(&self, instr: usize) -> Option<&Stage> {
        self.stage_of(instr).and_then(|s| self.stages.get(s))
    }

    /// The variables instruction `instr` sees (not including what it sets itself).
    pub fn vars_at(&self, instr: usize) -> Option<&Vars> {
        self.vars.get(instr)
    }

    /// The global scope FROM lines see: automatic platform ARGs and the ARGs before the first
    /// FROM.
    pub fn global_vars(&self) -> &Vars {
        &self.global
    }

    /// The names of the ARGs declared before the first FROM, in file order (automatic platform
    /// ARGs not included).
    pub fn global_arg_names(&self) -> &[String] {
        &self.global_arg_names
    }

    /// The instructions before the first FROM (all of them in a file without FROM), when one of
    /// them is neither an ARG nor an unknown word: the instructions of no stage, which make
    /// BuildKit reject the file (lint's DL3061). `None` for a file that starts with FROM or ARGs.
    pub fn prelude(&self) -> Option<Range<usize>> {
        self.prelude.clone()
    }

    /// The SHELL in force at `instr` (`/bin/sh -c` unless a SHELL of the stage, or of the stage
    /// it is built FROM, changed it).
    pub fn shell_at(&self, instr: usize) -> Option<&[String]> {
        self.shells.get(instr).map(|s| &s[..])
    }

    /// The stage `reference` (a name in any case, or a number) names among stages `0..before`:
    /// how `FROM` resolves.
    pub fn find_stage(&self, reference: &str, before: usize) -> Option<usize> {
        find_stage(&self.stages, reference, before)
    }

    /// What an expanded `--from` value names: a stage (by name anywhere in the file, or by
    /// number), else an image.
    pub fn resolve_from(&self, value: &str) -> Source {
        from_source(&self.stages, Some(value.to_string()), value)
    }

    /// Expands `word` with the variables in scope at `instr`; `None` if expansion fails.
    pub fn expand(&self, instr: usize, word: &str) -> Option<String> {
        let vars = self.vars_at(instr)?;
        Lexer::new(self.escape)
            .process_word(word, vars)
            .ok()
            .map(|e| e.value)
    }
}

/// See [`Model::find_stage`].
fn find_stage(stages: &[Stage], reference: &str, before: usize) -> Option<usize> {
    let earlier = stages.get(..before.min(stages.len()))?;
    let lower = reference.to_lowercase();
    if let Some(s) = earlier
        .iter()
        .rev()
        .find(|s| s.name.as_deref() == Some(lower.as_str()))
    {
        return Some(s.index);
    }
    stage_number(reference).filter(|&n| n < earlier.len())
}

/// `reference` as a stage number, when it is all digits.
fn stage_number(reference: &str) -> Option<usize> {
    if reference.is_empty() || !reference.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    reference.parse().ok()
}

/// The stages of `df`, FROM words and `--platform` expanded with the global scope.
fn stages(df: &Dockerfile, global: &Vars) -> Vec<Stage> {
    let lexer = lexer_for(df);
    let mut out: Vec<Stage> = Vec::new();
    for (i, ins) in df.instructions.iter().enumerate() {
        let InstructionKind::From { image, alias } = &ins.kind else {
            continue;
        };
        if let Some(prev) = out.last_mut() {
            prev.end = i;
        }
        let expanded = lexer
            .process_word(&image.value, global)
            .ok()
            .map(|e| e.value)
            .filter(|v| !v.is_empty());
        let origin = match expanded.as_deref() {
            None => Origin::Unresolved,
            Some(img) => match find_stage(&out, img, out.len()) {
                Some(s) => Origin::Stage(s),
                None if img == "scratch" => Origin::Scratch,
                None => Origin::Image(img.to_string()),
            },
        };
        let platform = ins
            .flag("platform")
            .and_then(|f| f.value.as_deref())
            .and_then(|v| lexer.process_word(v, global).ok())
            .map(|e| e.value);
        out.push(Stage {
            index: out.len(),
            from: i,
            line: ins.span.start.line,
            end: df.instructions.len(),
            name: alias
                .as_ref()
                .map(|a| a.value.to_lowercase())
                .filter(|n| !n.is_empty()),
            image: expanded,
            base: match origin {
                Origin::Stage(s) => Some(s),
                _ => None,
            },
            origin,
            platform,
            deps: Vec::new(),
        });
    }
    out
}

/// What a `--from` value names: a stage of the file (by name anywhere in the file, or by
/// number), else an image.
fn from_source(stages: &[Stage], value: Option<String>, raw: &str) -> Source {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Source::Unresolved(raw.to_string());
    };
    let lower = v.to_lowercase();
    if let Some(s) = stages
        .iter()
        .find(|s| s.name.as_deref() == Some(lower.as_str()))
    {
        return Source::Stage(s.index);
    }
    match stage_number(&v) {
        Some(n) if n < stages.len() => Source::Stage(n),
        Some(n) => Source::MissingStage(n),
        None => Source::Image(v),
    }
}

/// Fills each stage's `deps` from its `COPY --from` and `RUN --mount from=` flags, expanded with
/// the variables in scope at the instruction.
fn add_deps(df: &Dockerfile, stages: &mut [Stage], vars: &[Vars]) {
    let lexer = lexer_for(df);
    let expand = |i: usize, raw: &str| {
        vars.get(i)
            .and_then(|v| lexer.process_word(raw, v).ok())
            .map(|e| e.value)
    };
    let mut found: Vec<(usize, Dependency)> = Vec::new();
    for st in stages.iter() {
        for i in st.body() {
            let Some(ins) = df.instructions.get(i) else {
                continue;
            };
            match &ins.kind {
                InstructionKind::Copy(_) | InstructionKind::Add(_) => {
                    let Some(raw) = ins.flag("from").and_then(|f| f.value.as_deref()) else {
                        continue;
                    };
                    let source = from_source(stages, expand(i, raw), raw);
                    found.push((
                        st.index,
                        Dependency {
                            instr: i,
                            line: ins.span.start.line,
                            via: Via::CopyFrom,
                            source,
                        },
                    ));
                }
                InstructionKind::Run(_) => {
                    for flag in ins.flags_named("mount") {
                        let Some(v) = &flag.value else { continue };
                        let Ok(mount) = parse_mount(v) else { continue };
                        let Some(raw) = mount.from else { continue };
                        let source = from_source(stages, expand(i, &raw), &raw);
                        found.push((
                            st.index,
                            Dependency {
                                instr: i,
                                line: ins.span.start.line,
                                via: Via::MountFrom,
                                source,
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    for (s, d) in found {
        if let Some(st) = stages.get_mut(s) {
            st.deps.push(d);
        }
    }
}

/// The SHELL in force at each instruction; a stage built FROM an earlier stage inherits the
/// SHELL that stage ended with. One shared value per SHELL change.
fn shells(df: &Dockerfile, stages: &[Stage], stage_of: &[Option<usize>]) -> Vec<Arc<[String]>> {
    let default: Arc<[String]> = DEFAULT_SHELL.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::with_capacity(df.instructions.len());
    let mut current = default.clone();
    let mut stage_shells: Vec<Arc<[String]>> = vec![default.clone(); stages.len()];
    for (i, ins) in df.instructions.iter().enumerate() {
        let stage = stage_of.get(i).copied().flatten();
        if let InstructionKind::From { .. } = ins.kind {
            current = stage
                .and_then(|s| stages.get(s))
                .and_then(|s| s.base)
                .and_then(|b| stage_shells.get(b).cloned())
                .unwrap_or_else(|| default.clone());
        }
        out.push(current.clone());
        if let InstructionKind::Shell(words) = &ins.kind {
            current = words.iter().map(|w| w.value.clone()).collect();
        }
        if let Some(slot) = stage.and_then(|s| stage_shells.get_mut(s)) {
            *slot = current.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests;
