//! Planning a build: parse the Dockerfile, resolve global ARGs and platforms, find the stages,
//! their dependencies (`FROM stage`, `COPY --from`, `RUN --mount=from=`), the target, and the
//! stages it needs in dependency order — with typed errors for an unknown target, an unknown
//! stage and a dependency cycle.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{BuildError, Loc};
use crate::dockerfile::expand::{Env, Lexer};
use crate::dockerfile::scope::{platform_args, Platform};
use crate::dockerfile::{self, Dockerfile, Instruction, InstructionKind};

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseRef {
    /// `FROM scratch`.
    Scratch,
    /// `FROM <earlier stage>`.
    Stage(usize),
    /// `FROM <image reference>` (expanded).
    Image(String),
}

/// One stage of the plan.
#[derive(Debug, Clone)]
pub struct StagePlan {
    /// 0-based stage number.
    pub index: usize,
    /// `AS name`, lowercased.
    pub name: Option<String>,
    /// Index of its FROM in the Dockerfile's instructions.
    pub from: usize,
    /// One past its last instruction.
    pub end: usize,
    /// Its base.
    pub base: BaseRef,
    /// The platform it builds for (`FROM --platform`, else the target platform).
    pub platform: Platform,
    /// Stages it needs before it can run (base, `--from`, mount sources), sorted.
    pub deps: Vec<usize>,
}

impl StagePlan {
    /// `name` or the stage number, for messages.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

/// Inputs of planning.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// Dockerfile text.
    pub text: String,
    /// Its name for messages (`Dockerfile`, `app/Dockerfile`).
    pub name: String,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// `--target`.
    pub target: Option<String>,
    /// The platform the image is built for.
    pub target_platform: Platform,
}

/// A planned build.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The parsed file.
    pub df: Dockerfile,
    /// Its text (spans index into it).
    pub source: String,
    /// Its name for messages.
    pub name: String,
    /// Every stage of the file.
    pub stages: Vec<StagePlan>,
    /// The stage whose result is the image.
    pub target: usize,
    /// The stages the target needs (itself included), dependencies first.
    pub order: Vec<usize>,
    /// The global scope (platform ARGs and ARGs before the first FROM).
    pub globals: BTreeMap<String, String>,
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// The platform the build runs on.
    pub build_platform: Platform,
    /// The platform built for.
    pub target_platform: Platform,
    /// Notes for the user (e.g. an ignored `# syntax=`).
    pub notes: Vec<String>,
}

impl Plan {
    /// `Dockerfile:LINE` of an instruction.
    pub fn loc(&self, ins: &Instruction) -> Loc {
        Loc {
            file: self.name.clone(),
            line: ins.span.start.line,
        }
    }

    /// The lexer for the file's escape character.
    pub fn lexer(&self) -> Lexer {
        Lexer::new(if self.df.escape == '`' { '`' } else { '\\' })
    }

    /// Find a stage by name (any case) or number among all stages; `None` when it names none.
    pub fn find_stage(&self, reference: &str) -> Option<usize> {
        find_stage(&self.stages, reference, self.stages.len())
    }
}

fn find_stage(stages: &[StagePlan], reference: &str, before: usize) -> Option<usize> {
    let lower = reference.to_lowercase();
    if let Some(s) = stages
        .iter()
        .take(before)
        .rev()
        .find(|s| s.name.as_deref() == Some(lower.as_str()))
    {
        return Some(s.index);
    }
    if !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_digit()) {
        return reference.parse::<usize>().ok().filter(|&n| n < before);
    }
    None
}

/// Expand a word with `env`; errors name the instruction's line.
pub fn expand(lexer: &Lexer, loc: &Loc, word: &str, env: &dyn Env) -> Result<String, BuildError> {
    lexer
        .process_word(word, env)
        .map(|e| e.value)
        .map_err(|e| BuildError::Expand {
            loc: loc.clone(),
            word: word.to_string(),
            message: e.message,
        })
}

/// Plan a build.
pub fn plan(input: &PlanInput) -> Result<Plan, BuildError> {
    let df = dockerfile::parse(&input.text);
    if let Some(e) = df.errors.first() {
        return Err(BuildError::Parse {
            loc: Loc {
                file: input.name.clone(),
                line: e.span.start.line,
            },
            message: e.message.clone(),
        });
    }
    let mut notes = Vec::new();
    for d in &df.directives {
        if d.name == "syntax" {
            notes.push(format!(
                "# syntax={} is ignored: hoist builds with its own Dockerfile frontend",
                d.value
            ));
        }
    }
    let lexer = Lexer::new(if df.escape == '`' { '`' } else { '\\' });
    let build_platform = Platform::host();
    let target_platform = input.target_platform.clone();
    let first_from = df
        .instructions
        .iter()
        .position(|i| matches!(i.kind, InstructionKind::From { .. }))
        .ok_or_else(|| BuildError::NoStage {
            file: input.name.clone(),
        })?;
    // Global scope: platform ARGs, then ARGs before the first FROM.
    let mut globals = platform_args(&build_platform, &target_platform);
    for ins in &df.instructions[..first_from] {
        let loc = Loc {
            file: input.name.clone(),
            line: ins.span.start.line,
        };
        match &ins.kind {
            InstructionKind::Arg(decls) => {
                for d in decls {
                    let name = d.name.value.clone();
                    let value = match (input.build_args.get(&name), &d.default) {
                        (Some(v), _) => Some(v.clone()),
                        (None, Some(w)) => Some(expand(&lexer, &loc, &w.value, &globals)?),
                        (None, None) => None,
                    };
                    match value {
                        Some(v) => {
                            globals.insert(name, v);
                        }
                        None => {
                            if !name.starts_with("BUILD") && !name.starts_with("TARGET") {
                                globals.remove(&name);
                            }
                        }
                    }
                }
            }
            _ => {
                return Err(BuildError::Parse {
                    loc,
                    message: format!(
                        "{} before the first FROM: only ARG may come before FROM",
                        ins.keyword_word.value
                    ),
                })
            }
        }
    }
    // Stages.
    let mut stages: Vec<StagePlan> = Vec::new();
    for (i, ins) in df.instructions.iter().enumerate().skip(first_from) {
        let InstructionKind::From { image, alias } = &ins.kind else {
            continue;
        };
        let loc = Loc {
            file: input.name.clone(),
            line: ins.span.start.line,
        };
        if let Some(prev) = stages.last_mut() {
            prev.end = i;
        }
        let image = expand(&lexer, &loc, &image.value, &globals)?;
        if image.is_empty() {
            return Err(BuildError::Parse {
                loc,
                message: "FROM names no image (the expanded reference is empty)".to_string(),
            });
        }
        let base = if image.eq_ignore_ascii_case("scratch") {
            BaseRef::Scratch
        } else if let Some(s) = find_stage(&stages, &image, stages.len())
            .filter(|_| !image.bytes().all(|b| b.is_ascii_digit()))
        {
            BaseRef::Stage(s)
        } else {
            BaseRef::Image(image)
        };
        let platform = match ins.flag("platform").and_then(|f| f.value.as_deref()) {
            Some(v) => {
                let v = expand(&lexer, &loc, v, &globals)?;
                crate::dockerfile::flags::parse_platform(&v).map_err(|e| BuildError::Flag {
                    loc: loc.clone(),
                    message: e.to_string(),
                })?
            }
            None => target_platform.clone(),
        };
        let name = alias
            .as_ref()
            .map(|a| a.value.to_lowercase())
            .filter(|n| !n.is_empty());
        if let Some(n) = &name {
            if stages.iter().any(|s| s.name.as_deref() == Some(n.as_str())) {
                return Err(BuildError::Parse {
                    loc,
                    message: format!("duplicate stage name {n:?}"),
                });
            }
        }
        let mut deps = BTreeSet::new();
        if let BaseRef::Stage(s) = &base {
            deps.insert(*s);
        }
        stages.push(StagePlan {
            index: stages.len(),
            name,
            from: i,
            end: df.instructions.len(),
            base,
            platform,
            deps: deps.into_iter().collect(),
        });
    }
    // `--from` and mount sources may name any stage (BuildKit resolves names over the file).
    let mut extra: Vec<Vec<usize>> = vec![Vec::new(); stages.len()];
    for s in &stages {
        for ins in &df.instructions[s.from + 1..s.end] {
            for r in stage_refs(ins) {
                let loc = Loc {
                    file: input.name.clone(),
                    line: ins.span.start.line,
                };
                let r = expand(&lexer, &loc, &r, &globals)?;
                if let Some(t) = find_stage(&stages, &r, stages.len()) {
                    if t == s.index {
                        return Err(BuildError::Cycle {
                            stages: vec![s.display_name(), s.display_name()],
                        });
                    }
                    if let Some(v) = extra.get_mut(s.index) {
                        v.push(t);
                    }
                }
            }
        }
    }
    for (s, more) in stages.iter_mut().zip(extra) {
        let mut all: BTreeSet<usize> = s.deps.iter().copied().collect();
        all.extend(more);
        s.deps = all.into_iter().collect();
    }
    let target = match &input.target {
        None => stages.len() - 1,
        Some(t) => stages
            .iter()
            .find(|s| s.name.as_deref() == Some(t.to_lowercase().as_str()))
            .map(|s| s.index)
            .ok_or_else(|| BuildError::UnknownTarget {
                target: t.clone(),
                available: stages.iter().filter_map(|s| s.name.clone()).collect(),
            })?,
    };
    let order = topo_order(&stages, target)?;
    Ok(Plan {
        df,
        source: input.text.clone(),
        name: input.name.clone(),
        stages,
        target,
        order,
        globals,
        build_args: input.build_args.clone(),
        build_platform,
        target_platform,
        notes,
    })
}

/// Raw stage references of an instruction: `--from=` of COPY/ADD and `from=` of RUN mounts.
fn stage_refs(ins: &Instruction) -> Vec<String> {
    let mut out = Vec::new();
    match &ins.kind {
        InstructionKind::Copy(_) | InstructionKind::Add(_) => {
            if let Some(v) = ins.flag("from").and_then(|f| f.value.clone()) {
                out.push(v);
            }
        }
        InstructionKind::Run(_) => {
            for f in ins.flags_named("mount") {
                if let Some(v) = &f.value {
                    if let Ok(m) = crate::dockerfile::flags::parse_mount(v) {
                        if let Some(from) = m.from {
                            out.push(from);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// Depth-first order of the stages `target` needs, dependencies first; a cycle is an error.
fn topo_order(stages: &[StagePlan], target: usize) -> Result<Vec<usize>, BuildError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        stages: &[StagePlan],
        s: usize,
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), BuildError> {
        match marks.get(s).copied() {
            Some(Mark::Done) | None => return Ok(()),
            Some(Mark::Active) => {
                let start = path.iter().position(|&p| p == s).unwrap_or(0);
                let mut names: Vec<String> = path
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|&i| stages.get(i).map(StagePlan::display_name))
                    .collect();
                names.extend(stages.get(s).map(StagePlan::display_name));
                return Err(BuildError::Cycle { stages: names });
            }
            Some(Mark::New) => {}
        }
        if let Some(m) = marks.get_mut(s) {
            *m = Mark::Active;
        }
        path.push(s);
        if let Some(st) = stages.get(s) {
            for &d in &st.deps {
                visit(stages, d, marks, path, out)?;
            }
        }
        path.pop();
        if let Some(m) = marks.get_mut(s) {
            *m = Mark::Done;
        }
        out.push(s);
        Ok(())
    }
    let mut marks = vec![Mark::New; stages.len()];
    let mut out = Vec::new();
    visit(stages, target, &mut marks, &mut Vec::new(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str, target: Option<&str>) -> PlanInput {
        PlanInput {
            text: text.to_string(),
            name: "Dockerfile".to_string(),
            build_args: BTreeMap::new(),
            target: target.map(str::to_string),
            target_platform: Platform::parse("linux/amd64").unwrap_or_default(),
        }
    }

    #[test]
    fn only_needed_stages_in_dependency_order() {
        let df = "ARG BASE=scratch\nFROM $BASE AS a\nFROM scratch AS unused\nFROM scratch AS b\nCOPY --from=a / /\nFROM b AS final\n";
        let p = plan(&input(df, None)).unwrap();
        assert_eq!(p.order, vec![0, 2, 3]);
        assert_eq!(p.stages[0].base, BaseRef::Scratch);
        assert_eq!(p.stages[3].base, BaseRef::Stage(2));
        let p = plan(&input(df, Some("A"))).unwrap();
        assert_eq!(p.order, vec![0]);
    }

    #[test]
    fn unknown_target_lists_stages() {
        let e = plan(&input("FROM scratch AS x\n", Some("y"))).unwrap_err();
        assert!(e.to_string().contains("\"y\""), "{e}");
        assert!(e.to_string().contains('x'), "{e}");
    }

    #[test]
    fn cycle_is_reported() {
        let df = "FROM scratch AS a\nCOPY --from=b / /\nFROM scratch AS b\nCOPY --from=a / /\n";
        let e = plan(&input(df, Some("a"))).unwrap_err();
        assert!(matches!(e, BuildError::Cycle { .. }), "{e}");
        assert!(e.to_string().contains("a -> b -> a"), "{e}");
    }

    #[test]
    fn platform_args_and_syntax_note() {
        let df = "# syntax=docker/dockerfile:1\nARG TARGETARCH\nFROM example.com/img:$TARGETARCH\n";
        let p = plan(&input(df, None)).unwrap();
        assert_eq!(
            p.stages[0].base,
            BaseRef::Image("example.com/img:amd64".to_string())
        );
        assert_eq!(p.notes.len(), 1);
        let mut i = input("ARG V=1\nFROM img:$V\n", None);
        i.build_args.insert("V".to_string(), "2".to_string());
        assert_eq!(
            plan(&i).unwrap().stages[0].base,
            BaseRef::Image("img:2".to_string())
        );
    }
}
