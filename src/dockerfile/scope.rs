//! ARG/ENV scoping: global ARGs, stages, predefined ARGs. (Being written: API fixed, body pending.)

use std::collections::BTreeMap;

use super::ast::Dockerfile;

/// One build stage: a FROM and the instructions after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stage {
    /// 0-based stage number.
    pub index: usize,
    /// Index of the FROM in [`Dockerfile::instructions`].
    pub from: usize,
    /// One past the last instruction of this stage.
    pub end: usize,
    /// `AS name`, lowercased.
    pub name: Option<String>,
    /// The FROM image after expanding global ARGs; `None` if expansion failed or left it empty.
    pub image: Option<String>,
    /// Set when the FROM names an earlier stage (`FROM builder`).
    pub base_stage: Option<usize>,
    /// `--platform` after expansion, if given.
    pub platform: Option<String>,
}

/// The stages of `df`, with FROM images resolved against the global ARGs (those before the first
/// FROM, their defaults overridden by `build_args`).
pub fn stages(df: &Dockerfile, build_args: &BTreeMap<String, String>) -> Vec<Stage> {
    let _ = (df, build_args);
    Vec::new()
}

/// The variables visible at one instruction: global ARGs (for FROM), or the stage's declared ARGs
/// (with their values: build-arg override, else default, else the global's value), ENVs set
/// earlier in the stage or inherited from a parent stage of this file, and predefined ARGs
/// (TARGETPLATFORM, BUILDPLATFORM, HTTP_PROXY, …) once declared.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    /// Name → value, for names that have a value.
    pub values: BTreeMap<String, String>,
    /// Names declared (ARG without value included) — for undefined-variable checks.
    pub declared: std::collections::BTreeSet<String>,
}

impl Vars {
    pub fn is_declared(&self, name: &str) -> bool {
        self.declared.contains(name) || self.values.contains_key(name)
    }
}

impl super::expand::Env for Vars {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// The variables in scope for every instruction of `df`, indexed like `df.instructions`
/// (the value for instruction `i` is what `i` sees, not including what `i` itself sets).
pub fn vars_per_instruction(
    df: &Dockerfile,
    stages: &[Stage],
    build_args: &BTreeMap<String, String>,
) -> Vec<Vars> {
    let _ = (stages, build_args);
    vec![Vars::default(); df.instructions.len()]
}
