//! POSIX shell parsing of RUN bodies, for the shell-aware lint rules (and later the builder).
//!
//! Hand-written on purpose: lint needs a parser that never fails on partial or templated shell
//! (`%%PLACEHOLDER%%`, unbalanced quotes, `$(` left open), that keeps byte offsets into the text so
//! findings land on the right line:column of the Dockerfile, and that is fast enough to parse every
//! RUN of a file in microseconds. The available crates either reject such input or parse bash in
//! full with no tolerance for errors. This parser is tolerant: unknown syntax degrades to words.
//! (Being written.)

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

/// A simple command: `VAR=x name arg…` with its position in the script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// Leading `NAME=value` assignments.
    pub assignments: Vec<Word>,
    /// The command name and its arguments (`words[0]` is the name). Redirections are not words.
    pub words: Vec<Word>,
    /// Byte range of the whole command in the parsed text.
    pub start: usize,
    pub end: usize,
    /// Index of the pipeline this command belongs to (commands of one pipeline share it).
    pub pipeline: usize,
    /// The pipeline has more than one command (`a | b`).
    pub piped: bool,
    /// Found inside a subshell, command substitution, `sh -c` string, or compound command body.
    pub nested: bool,
}

/// The commands of a script, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub commands: Vec<Command>,
}

/// Parses shell text. Never fails.
pub fn parse(text: &str) -> Script {
    let _ = text;
    Script::default()
}
