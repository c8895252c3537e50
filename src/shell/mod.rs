//! POSIX shell parsing of RUN bodies, for the shell-aware lint rules (and later the builder).
//!
//! Hand-written on purpose: lint needs a parser that never fails on partial or templated shell
//! (`%%PLACEHOLDER%%`, unbalanced quotes, `$(` left open), that keeps byte offsets into the text so
//! findings land on the right line:column of the Dockerfile, and that is fast enough to parse every
//! RUN of a file in microseconds. The available crates either reject such input or parse bash in
//! full with no tolerance for errors. This parser is tolerant: unknown syntax degrades to words.
//!
//! Layout: [`lexer`] turns bytes into words, operators and redirections; [`parser`] is the
//! recursive-descent grammar (lists, pipelines, compound commands, here-documents, nested
//! scripts); [`command`] holds the helpers rules use on a parsed [`Command`] (wrappers such as
//! `sudo`, flags, positional arguments, `sh -c` detection).

mod command;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use command::SetOption;

/// A word of a simple command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The word as written (quotes and escapes kept).
    pub raw: String,
    /// The word with quotes removed and escapes resolved; expansions (`$X`, `$(...)`) are kept as
    /// written. Equal to `raw` for plain words.
    pub value: String,
    /// Byte offsets into the parsed text: `start..end` covers `raw`.
    pub start: usize,
    pub end: usize,
    /// Any part was quoted.
    pub quoted: bool,
    /// Contains an unquoted or double-quoted expansion (`$X`, `${X}`, `$(…)`, backticks).
    pub dynamic: bool,
}

impl Word {
    /// The unquoted value.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The value contains no expansion: it is known before the script runs.
    pub fn is_literal(&self) -> bool {
        !self.dynamic
    }
}

/// The operator of a redirection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    #[default]
    In,
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `>|`
    Clobber,
    /// `<>`
    ReadWrite,
    /// `<&`
    DupIn,
    /// `>&`
    DupOut,
    /// `&>` (stdout and stderr)
    OutErr,
    /// `&>>`
    AppendOutErr,
    /// `<<` here-document
    Heredoc,
    /// `<<-` here-document with leading tabs stripped
    HeredocStrip,
    /// `<<<` here-string
    HereString,
}

impl RedirOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirOp::In => "<",
            RedirOp::Out => ">",
            RedirOp::Append => ">>",
            RedirOp::Clobber => ">|",
            RedirOp::ReadWrite => "<>",
            RedirOp::DupIn => "<&",
            RedirOp::DupOut => ">&",
            RedirOp::OutErr => "&>",
            RedirOp::AppendOutErr => "&>>",
            RedirOp::Heredoc => "<<",
            RedirOp::HeredocStrip => "<<-",
            RedirOp::HereString => "<<<",
        }
    }
}

/// A redirection of a simple command (`2>&1`, `> file`, `<<EOF`). Not part of the words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redirect {
    /// The explicit file descriptor (`2` in `2>&1`).
    pub fd: Option<u32>,
    pub op: RedirOp,
    /// The target word (file, descriptor, here-document delimiter). `None` when missing.
    pub target: Option<Word>,
    /// Byte range of the operator and its target.
    pub start: usize,
    pub end: usize,
}

/// A simple command: `VAR=x name arg…` with its position in the script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// Leading `NAME=value` assignments.
    pub assignments: Vec<Word>,
    /// The command name and its arguments (`words[0]` is the name). Redirections are not words.
    /// Wrapper commands (`sudo`, `env`, `nice`, …) are moved to [`Command::prefix`], so this is
    /// the effective command.
    pub words: Vec<Word>,
    /// Byte range of the whole command in the parsed text.
    pub start: usize,
    pub end: usize,
    /// Index of the pipeline this command belongs to (commands of one pipeline share it); also
    /// an index into [`Script::pipelines`].
    pub pipeline: usize,
    /// The pipeline has more than one command (`a | b`).
    pub piped: bool,
    /// Found inside a subshell, command substitution, `sh -c` string, or compound command body.
    pub nested: bool,
    /// Wrapper words removed from the front: `sudo -E` in `sudo -E apt-get install x`.
    pub prefix: Vec<Word>,
    /// Redirections, in order.
    pub redirects: Vec<Redirect>,
    /// Nesting depth: 0 at the top level, +1 per subshell, substitution, compound body or
    /// `sh -c` string.
    pub depth: usize,
    /// Runs in a subshell (`( … )`, `$( … )`, backticks, process substitution, `sh -c`), so
    /// `cd` or `set` there does not affect the rest of the script.
    pub in_subshell: bool,
    /// Parsed from a string that another shell runs (`sh -c '…'`, `su -c "…"`, `eval '…'`).
    pub in_string: bool,
}

/// A pipeline: one or more commands joined by `|` or `|&`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// Byte range in the parsed text.
    pub start: usize,
    pub end: usize,
    /// Number of elements (simple or compound commands).
    pub elements: usize,
    /// Starts with `!`.
    pub negated: bool,
    /// Inside a subshell, substitution, compound body or `sh -c` string.
    pub nested: bool,
}

/// The commands of a script, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub commands: Vec<Command>,
    /// Every pipeline, indexed by [`Command::pipeline`].
    pub pipelines: Vec<Pipeline>,
}

/// Parses shell text. Never fails.
pub fn parse(text: &str) -> Script {
    parser::parse_script(text)
}
