//! What every rule sees: the parsed file, its [`Model`] (stages, edges, variables in scope at
//! each instruction, the SHELL in force) and the parsed shell scripts of RUN instructions.
//! Computed once per file; the Dockerfile meaning itself comes from [`crate::dockerfile::model`].

use std::path::Path;

use crate::dockerfile::model::{run_scripts, Model, ModelOptions, Stage, DEFAULT_SHELL};
use crate::dockerfile::scope::Vars;
use crate::dockerfile::{Dockerfile, Instruction, InstructionKind, LineIndex, Span};
use crate::lint::config::LintOptions;

pub use crate::dockerfile::model::{is_posix_shell, RunScript};

/// Everything rules need about one file.
pub struct Context<'a> {
    /// The file's name as given on the command line (`-` for stdin).
    pub path: &'a Path,
    pub source: &'a str,
    pub df: &'a Dockerfile,
    pub index: LineIndex,
    pub options: &'a LintOptions,
    /// Stages, edges, scopes and shells of the file.
    pub model: Model,
    /// Variables visible at each instruction (indexed like `df.instructions`); the model's
    /// scopes, shared (persistent maps, no copies).
    pub vars: Vec<Vars>,
    /// Parsed shell scripts of each RUN (empty for other instructions and exec form).
    pub scripts: Vec<Vec<RunScript>>,
    /// Parsed shell scripts of the RUN inside each `ONBUILD RUN …` (empty for other
    /// instructions). The trigger runs in a child build whose SHELL is unknown; the default
    /// `/bin/sh -c` is assumed.
    pub onbuild_scripts: Vec<Vec<RunScript>>,
}

impl<'a> Context<'a> {
    pub fn new(
        path: &'a Path,
        source: &'a str,
        df: &'a Dockerfile,
        options: &'a LintOptions,
    ) -> Self {
        let index = LineIndex::new(source);
        let mut model_options = ModelOptions::default();
        if let Some(args) = &options.build_args {
            model_options.build_args.clone_from(args);
        }
        let model = Model::new(df, &model_options);
        let vars = (0..df.instructions.len())
            .filter_map(|i| model.vars_at(i).cloned())
            .collect();
        let default_shell: Vec<String> = DEFAULT_SHELL.iter().map(|s| s.to_string()).collect();
        let scripts = df
            .instructions
            .iter()
            .enumerate()
            .map(|(i, ins)| run_scripts(source, ins, model.shell_at(i).unwrap_or(&default_shell)))
            .collect();
        let onbuild_scripts = df
            .instructions
            .iter()
            .map(|ins| match &ins.kind {
                InstructionKind::Onbuild(inner) => run_scripts(source, inner, &default_shell),
                _ => Vec::new(),
            })
            .collect();
        Context {
            path,
            source,
            df,
            index,
            options,
            model,
            vars,
            scripts,
            onbuild_scripts,
        }
    }

    /// The span of the source byte range `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        self.index.span(self.source, start, end)
    }

    /// The span in the Dockerfile of bytes `start..end` of a script of instruction `instr`.
    pub fn script_span(&self, script: &RunScript, start: usize, end: usize) -> Span {
        let s = script.source_offset(start);
        let e = script.source_offset(end.max(start + 1) - 1) + 1;
        self.span(s, e.max(s))
    }

    /// Expands `word` with the variables in scope at instruction `instr`. `None` if expansion fails.
    pub fn expand(&self, instr: usize, word: &str) -> Option<String> {
        self.model.expand(instr, word)
    }

    /// The last stage (the image that is built by default), if any.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.model.final_stage()
    }

    /// The stages of the file.
    pub fn stages(&self) -> &[Stage] {
        self.model.stages()
    }

    /// The stage number of instruction `instr` (`None` before the first FROM).
    pub fn stage_of(&self, instr: usize) -> Option<usize> {
        self.model.stage_of(instr)
    }

    /// The SHELL in force at `instr`.
    pub fn shell_at(&self, instr: usize) -> Option<&[String]> {
        self.model.shell_at(instr)
    }

    /// Instructions with their indices.
    pub fn instructions(&self) -> impl Iterator<Item = (usize, &'a Instruction)> {
        self.df.instructions.iter().enumerate()
    }

    /// Whether the SHELL in force at `instr` is a POSIX-like shell (not PowerShell or cmd).
    pub fn posix_shell_at(&self, instr: usize) -> bool {
        self.shell_at(instr)
            .and_then(|s| s.first())
            .is_some_and(|p| is_posix_shell(p))
    }
}
