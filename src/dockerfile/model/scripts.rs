//! The parsed shell scripts of RUN instructions, with a map from script offsets back to the
//! Dockerfile source.

use crate::dockerfile::{Command, Heredoc, Instruction, InstructionKind};
use crate::shell;

/// Where a shell script came from, to map its byte offsets back to the Dockerfile.
#[derive(Clone, Debug)]
pub struct RunScript {
    pub script: shell::Script,
    /// The script text that was parsed.
    pub text: String,
    /// `(offset in text, offset in source)` chunks, ascending, as in [`crate::dockerfile::ShellText`].
    pub(crate) chunks: Vec<(u32, u32)>,
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

/// Shells whose scripts are POSIX-like and parsed for shell-aware rules.
pub fn is_posix_shell(program: &str) -> bool {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    matches!(
        base,
        "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh" | "busybox"
    )
}

/// Parses the shell scripts of one RUN: its shell-form text, and heredoc bodies that are run by
/// a shell (the command is only heredoc markers, or a POSIX shell reading the heredoc, and the
/// body's shebang, if any, names a POSIX shell).
pub fn run_scripts(source: &str, ins: &Instruction, shell: &[String]) -> Vec<RunScript> {
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
