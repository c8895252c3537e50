//! What every rule sees: the parsed file, its stages, the variables in scope at each instruction,
//! the SHELL in force, and the parsed shell scripts of RUN instructions. Computed once per file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::dockerfile::scope::{self, Stage, Vars};
use crate::dockerfile::{
    expand::Lexer, Command, Dockerfile, Heredoc, Instruction, InstructionKind, LineIndex, Span,
};
use crate::lint::config::LintOptions;
use crate::shell;

/// Where a shell script came from, to map its byte offsets back to the Dockerfile.
#[derive(Clone, Debug)]
pub struct RunScript {
    pub script: shell::Script,
    /// The script text that was parsed.
    pub text: String,
    /// `(offset in text, offset in source)` chunks, ascending, as in [`crate::dockerfile::ShellText`].
    chunks: Vec<(u32, u32)>,
    /// True for a heredoc body, false for the shell-form text.
    pub from_heredoc: bool,
}

impl RunScript {
    /// Source byte offset of a byte offset in [`RunScript::text`].
    pub fn source_offset(&self, text_offset: usize) -> usize {
        let t = text_offset as u32;
        let i = match self.chunks.binary_search_by(|c| c.0.cmp(&t)) {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        };
        match self.chunks.get(i) {
            Some(&(to, so)) => (so + t.saturating_sub(to)) as usize,
            None => text_offset,
        }
    }
}

/// Everything rules need about one file.
pub struct Context<'a> {
    /// The file's name as given on the command line (`-` for stdin).
    pub path: &'a Path,
    pub source: &'a str,
    pub df: &'a Dockerfile,
    pub index: LineIndex,
    pub options: &'a LintOptions,
    pub stages: Vec<Stage>,
    /// Variables visible at each instruction (indexed like `df.instructions`).
    pub vars: Vec<Vars>,
    /// The SHELL in force at each instruction (indexed like `df.instructions`).
    pub shells: Vec<Vec<String>>,
    /// Parsed shell scripts of each RUN (empty for other instructions and exec form).
    pub scripts: Vec<Vec<RunScript>>,
    /// Stage number of each instruction (`None` before the first FROM).
    pub stage_of: Vec<Option<usize>>,
    /// Parsed shell scripts of the RUN inside each `ONBUILD RUN …` (empty for other
    /// instructions). The trigger runs in a child build whose SHELL is unknown; the default
    /// `/bin/sh -c` is assumed.
    pub onbuild_scripts: Vec<Vec<RunScript>>,
}

/// Shells whose scripts are POSIX-like and parsed for shell-aware rules.
pub fn is_posix_shell(program: &str) -> bool {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    matches!(
        base,
        "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh" | "busybox"
    )
}

impl<'a> Context<'a> {
    pub fn new(
        path: &'a Path,
        source: &'a str,
        df: &'a Dockerfile,
        options: &'a LintOptions,
    ) -> Self {
        let index = LineIndex::new(source);
        let empty = BTreeMap::new();
        let build_args = options.build_args.as_ref().unwrap_or(&empty);
        let stages = scope::stages(df, build_args);
        let vars = scope::vars_per_instruction(df, &stages, build_args);
        let n = df.instructions.len();
        let mut stage_of = vec![None; n];
        for s in &stages {
            for slot in stage_of.iter_mut().take(s.end.min(n)).skip(s.from) {
                *slot = Some(s.index);
            }
        }
        let default_shell = vec!["/bin/sh".to_string(), "-c".to_string()];
        let mut shells = Vec::with_capacity(n);
        let mut current = default_shell.clone();
        let mut stage_shells: Vec<Vec<String>> = Vec::new();
        for (i, ins) in df.instructions.iter().enumerate() {
            if let InstructionKind::From { .. } = ins.kind {
                // A stage built FROM an earlier stage inherits its SHELL.
                current = stage_of[i]
                    .and_then(|s| stages.get(s))
                    .and_then(|s| s.base_stage)
                    .and_then(|b| stage_shells.get(b).cloned())
                    .unwrap_or_else(|| default_shell.clone());
            }
            shells.push(current.clone());
            if let InstructionKind::Shell(words) = &ins.kind {
                current = words.iter().map(|w| w.value.clone()).collect();
            }
            if let Some(s) = stage_of[i] {
                if stage_shells.len() <= s {
                    stage_shells.resize(s + 1, default_shell.clone());
                }
                stage_shells[s] = current.clone();
            }
        }
        let scripts = df
            .instructions
            .iter()
            .zip(&shells)
            .map(|(ins, sh)| run_scripts(source, ins, sh))
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
            stages,
            vars,
            shells,
            scripts,
            stage_of,
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
        let lexer = Lexer::new(self.df.escape);
        let vars = self.vars.get(instr)?;
        lexer.process_word(word, vars).ok().map(|e| e.value)
    }

    /// The last stage (the image that is built by default), if any.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// Instructions with their indices.
    pub fn instructions(&self) -> impl Iterator<Item = (usize, &'a Instruction)> {
        self.df.instructions.iter().enumerate()
    }

    /// Whether the SHELL in force at `instr` is a POSIX-like shell (not PowerShell or cmd).
    pub fn posix_shell_at(&self, instr: usize) -> bool {
        self.shells
            .get(instr)
            .and_then(|s| s.first())
            .is_some_and(|p| is_posix_shell(p))
    }
}

/// Parses the shell scripts of one RUN: its shell-form text, and heredoc bodies that are run by
/// a shell (the command is only heredoc markers, or a POSIX shell reading the heredoc, and the
/// body's shebang, if any, names a POSIX shell).
fn run_scripts(source: &str, ins: &Instruction, shell: &[String]) -> Vec<RunScript> {
    let InstructionKind::Run(cmd) = &ins.kind else {
        return Vec::new();
    };
    let Command::Shell(text) = cmd else {
        return Vec::new();
    };
    if !shell.first().is_some_and(|p| is_posix_shell(p)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let script = shell::parse(&text.text);
    let first = script
        .commands
        .first()
        .and_then(|c| c.words.first())
        .map(|w| w.value.clone());
    let heredoc_is_script = match &first {
        None => true,
        Some(name) => is_posix_shell(name),
    };
    out.push(RunScript {
        script,
        text: text.text.clone(),
        chunks: if text.chunks.is_empty() {
            vec![(0, text.span.start.offset)]
        } else {
            text.chunks.clone()
        },
        from_heredoc: false,
    });
    if heredoc_is_script {
        for h in &ins.heredocs {
            if let Some(shebang) = h.body.lines().next().filter(|l| l.starts_with("#!")) {
                let prog = shebang[2..].split_whitespace().collect::<Vec<_>>();
                let prog = match prog.as_slice() {
                    [env, p, ..] if env.ends_with("/env") => *p,
                    [p, ..] => *p,
                    [] => "sh",
                };
                if !is_posix_shell(prog) {
                    continue;
                }
            }
            out.push(RunScript {
                script: shell::parse(&h.body),
                text: h.body.clone(),
                chunks: heredoc_chunks(source, h),
                from_heredoc: true,
            });
        }
    }
    out
}

/// Offset chunks for a heredoc body: one chunk per line, so `<<-` tab stripping maps correctly.
fn heredoc_chunks(source: &str, h: &Heredoc) -> Vec<(u32, u32)> {
    let src_body = source.get(h.body_span.range()).unwrap_or("");
    let mut chunks = Vec::new();
    let mut text_off = 0usize;
    let mut src_off = h.body_span.start.offset as usize;
    let mut src_lines = src_body.split_inclusive('\n');
    for line in h.body.split_inclusive('\n') {
        let src_line = src_lines.next().unwrap_or(line);
        // The body line is the source line minus stripped leading tabs (and a CR before \n).
        let stripped = src_line
            .len()
            .saturating_sub(src_line.trim_start_matches('\t').len());
        let lead = if h.chomp { stripped } else { 0 };
        chunks.push((text_off as u32, (src_off + lead) as u32));
        text_off += line.len();
        src_off += src_line.len();
    }
    if chunks.is_empty() {
        chunks.push((0, h.body_span.start.offset));
    }
    chunks
}
