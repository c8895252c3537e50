//! Planning a build: parse the Dockerfile and take from its model
//! ([`crate::dockerfile::model`]) the global ARGs, the stages, their dependencies (`FROM
//! stage`, `COPY --from`, `RUN --mount=from=`), the target and the stages it needs in
//! dependency order — as typed errors for an unknown target, an unknown stage and a cycle.

use std::collections::{BTreeMap, BTreeSet};

use super::contexts::context_name;
use super::error::{BuildError, Loc};
use crate::dockerfile::expand::{Env, Lexer};
use crate::dockerfile::flags::parse_platform;
use crate::dockerfile::model::{Model, ModelError, ModelOptions, Origin, Source};
use crate::dockerfile::{self, Dockerfile, Instruction, InstructionKind};
use crate::oci::image::Platform;

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseRef {
    /// `FROM scratch`.
    Scratch,
    /// `FROM <earlier stage>`.
    Stage(usize),
    /// `FROM <image reference>` (expanded).
    Image(String),
    /// A `--build-context` (by normalised name): it replaces a stage of that name, or a FROM
    /// image of that name.
    Context(String),
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
    /// Images its `COPY --from` / `ADD --from` / `RUN --mount=from=` read (expanded
    /// references that name no stage), in order, each once.
    pub images: Vec<String>,
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
#[derive(Debug, Clone)]
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
    /// The `--build-context` names (normalised).
    pub contexts: BTreeSet<String>,
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

/// BuildKit (dockerfile2llb): a named context whose name is a stage's name replaces the whole
/// stage (its instructions do not run); otherwise one named like the FROM image replaces the
/// image. A FROM of an earlier stage stays that stage (which may itself be replaced).
fn apply_context(sp: &mut StagePlan, contexts: &BTreeSet<String>) {
    let by_name = sp.name.as_deref().filter(|n| contexts.contains(*n));
    let hit = match (by_name, &sp.base) {
        (Some(n), _) => Some(n.to_string()),
        (None, BaseRef::Image(r)) => context_name(r).filter(|n| contexts.contains(n)),
        _ => None,
    };
    let Some(name) = hit else { return };
    if by_name.is_some() {
        sp.end = sp.from + 1;
        sp.deps.clear();
        sp.images.clear();
    }
    sp.base = BaseRef::Context(name);
}

/// The stages the target needs once contexts replaced stages, dependencies first (each
/// stage's dependencies in index order); a cycle that remains is an error naming it.
fn order_after_contexts(stages: &[StagePlan], target: usize) -> Result<Vec<usize>, BuildError> {
    fn visit(
        stages: &[StagePlan],
        s: usize,
        path: &mut Vec<usize>,
        done: &mut BTreeSet<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), BuildError> {
        if done.contains(&s) {
            return Ok(());
        }
        if let Some(at) = path.iter().position(|p| *p == s) {
            let name = |i: &usize| {
                stages
                    .get(*i)
                    .map_or_else(|| i.to_string(), StagePlan::display_name)
            };
            let mut cycle: Vec<String> = path
                .get(at..)
                .unwrap_or_default()
                .iter()
                .map(name)
                .collect();
            cycle.push(name(&s));
            return Err(BuildError::Cycle { stages: cycle });
        }
        path.push(s);
        for d in stages
            .get(s)
            .map(|sp| sp.deps.as_slice())
            .unwrap_or_default()
        {
            visit(stages, *d, path, done, out)?;
        }
        path.pop();
        done.insert(s);
        out.push(s);
        Ok(())
    }
    let mut out = Vec::new();
    visit(
        stages,
        target,
        &mut Vec::new(),
        &mut BTreeSet::new(),
        &mut out,
    )?;
    Ok(out)
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

/// Plan a build: the stage graph, target and order come from the Dockerfile model
/// ([`crate::dockerfile::model`]), shared with `hoist lint`.
pub fn plan(input: &PlanInput) -> Result<Plan, BuildError> {
    let df = dockerfile::parse(&input.text);
    let loc = |line: u32| Loc {
        file: input.name.clone(),
        line,
    };
    if let Some(e) = df.errors.first() {
        return Err(BuildError::Parse {
            loc: loc(e.span.start.line),
            message: e.message.clone(),
        });
    }
    // Unknown flags and substitution syntax errors fail the build up front, as in BuildKit.
    let flag_errors = dockerfile::flags::unknown_flag_errors(&df);
    let expansion = dockerfile::expand_check::expansion_errors(&df, &input.text);
    if let Some(e) = flag_errors.first().or(expansion.first()) {
        return Err(BuildError::Parse {
            loc: loc(e.span.start.line),
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
    for ins in &df.instructions {
        match ins.kind {
            InstructionKind::From { .. } => break,
            InstructionKind::Arg(_) => {}
            _ => {
                return Err(BuildError::Parse {
                    loc: loc(ins.span.start.line),
                    message: format!(
                        "{} before the first FROM: only ARG may come before FROM",
                        ins.keyword_word.value
                    ),
                })
            }
        }
    }
    let build_platform = Platform::host();
    let target_platform = input.target_platform.clone();
    let model = Model::new(
        &df,
        &ModelOptions {
            build_args: input.build_args.clone(),
            build_platform: build_platform.clone(),
            target_platform: target_platform.clone(),
            target: input.target.clone(),
        },
    );
    let model_err = |e: ModelError| match e {
        ModelError::NoStages => BuildError::NoStage {
            file: input.name.clone(),
        },
        ModelError::UnknownTarget { target, known } => BuildError::UnknownTarget {
            target,
            available: known
                .split(", ")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        },
        ModelError::Cycle { cycle } => BuildError::Cycle { stages: cycle },
        ModelError::UnknownStage { line, .. } | ModelError::Unresolved { line, .. } => {
            BuildError::Parse {
                loc: loc(line),
                message: e.to_string(),
            }
        }
    };
    let target = model
        .resolve_target(input.target.as_deref())
        .map_err(model_err)?;
    // With named contexts, a replaced stage's own dependencies are gone: the model's order
    // (and its cycle check) is recomputed below on what remains.
    let order = match model.plan(target) {
        Ok(o) => o,
        Err(ModelError::Cycle { .. }) if !input.contexts.is_empty() => Vec::new(),
        Err(e) => return Err(model_err(e)),
    };
    let mut stages: Vec<StagePlan> = Vec::new();
    for st in model.stages() {
        let base = match &st.origin {
            Origin::Scratch => BaseRef::Scratch,
            Origin::Stage(s) => BaseRef::Stage(*s),
            Origin::Image(r) => BaseRef::Image(r.clone()),
            Origin::Unresolved => BaseRef::Image(String::new()),
        };
        let platform = match &st.platform {
            Some(v) => parse_platform(v).map_err(|e| BuildError::Flag {
                loc: loc(st.line),
                message: e.to_string(),
            })?,
            None => target_platform.clone(),
        };
        if let Some(n) = &st.name {
            if stages.iter().any(|s| s.name.as_deref() == Some(n.as_str())) {
                return Err(BuildError::Parse {
                    loc: loc(st.line),
                    message: format!("duplicate stage name {n:?}"),
                });
            }
        }
        let deps: BTreeSet<usize> = st.stage_deps().collect();
        let mut images: Vec<String> = Vec::new();
        for d in &st.deps {
            if let Source::Image(r) = &d.source {
                if !images.contains(r) {
                    images.push(r.clone());
                }
            }
        }
        let mut sp = StagePlan {
            index: st.index,
            name: st.name.clone(),
            from: st.from,
            end: st.end,
            base,
            platform,
            deps: deps.into_iter().collect(),
            images,
        };
        apply_context(&mut sp, &input.contexts);
        stages.push(sp);
    }
    let order = if input.contexts.is_empty() {
        order
    } else {
        order_after_contexts(&stages, target)?
    };
    let globals = model
        .global_vars()
        .values
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str, target: Option<&str>) -> PlanInput {
        PlanInput {
            text: text.to_string(),
            name: "Dockerfile".to_string(),
            build_args: BTreeMap::new(),
            target: target.map(str::to_string),
            target_platform: "linux/amd64".parse().unwrap(),
            contexts: BTreeSet::new(),
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
    fn named_contexts_replace_stages_and_images() {
        let df = "FROM docker.io/library/base:latest AS deps\nRUN x\nFROM scratch AS gen\nCOPY --from=deps / /\nFROM gen\nCOPY --from=tools / /\n";
        let mut i = input(df, None);
        let p = plan(&i).unwrap();
        assert_eq!(p.order, vec![0, 1, 2]);
        // A context named like the FROM image replaces the image, not the stage's steps.
        i.contexts.insert("base".to_string());
        let p = plan(&i).unwrap();
        assert_eq!(p.stages[0].base, BaseRef::Context("base".to_string()));
        assert_eq!(p.stages[0].end, 2);
        // A context named like a stage replaces the whole stage and what it needed.
        i.contexts.insert("gen".to_string());
        let p = plan(&i).unwrap();
        assert_eq!(p.stages[1].base, BaseRef::Context("gen".to_string()));
        assert_eq!(p.stages[1].end, p.stages[1].from + 1);
        assert_eq!(p.order, vec![1, 2]);
    }

    #[test]
    fn a_replaced_stage_breaks_a_cycle() {
        let df = "FROM scratch AS one\nCOPY --from=two / /\nFROM one AS two\nFROM two\n";
        let mut i = input(df, None);
        let e = plan(&i).unwrap_err();
        assert!(e.to_string().contains("two -> one -> two"), "{e}");
        i.contexts.insert("two".to_string());
        let p = plan(&i).unwrap();
        assert_eq!(p.order, vec![1, 2]);
        // A cycle the context does not touch is still one.
        i.contexts = ["other".to_string()].into();
        let e = plan(&i).unwrap_err();
        assert!(matches!(e, BuildError::Cycle { .. }), "{e}");
        let df =
            "FROM scratch AS a\nCOPY --from=b / /\nFROM scratch AS b\nCOPY --from=a / /\nFROM b\n";
        let mut i = input(df, None);
        i.contexts.insert("x".to_string());
        let e = plan(&i).unwrap_err();
        assert!(e.to_string().contains("b -> a -> b"), "{e}");
    }

    #[test]
    fn platform_args_and_syntax_note() {
        let df = "# syntax=docker/dockerfile:1\nFROM example.com/img:$TARGETARCH\n";
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
