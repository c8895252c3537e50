//! The typed Dockerfile AST shared by `hoist lint` and `hoist build`.
//!
//! The parser keeps two views of each instruction: the BuildKit view ([`Instruction::args`], the
//! same list of strings BuildKit's parser produces, used for conformance dumps) and a typed view
//! ([`InstructionKind`]) that rules and the builder use. Every word, flag and heredoc keeps its
//! [`Span`]. Nothing here is expanded: variable expansion is done by [`crate::dockerfile::expand`]
//! when a consumer needs values.

use serde::Serialize;

use super::span::Span;

/// A parsed Dockerfile.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Dockerfile {
    /// Parser directives (`# syntax=`, `# escape=`, `# check=`) from the top of the file.
    pub directives: Vec<Directive>,
    /// The escape character in force: `\` or `` ` ``.
    pub escape: char,
    pub instructions: Vec<Instruction>,
    /// Every comment line, in order (including those inside continuations), for pragmas.
    pub comments: Vec<Comment>,
    /// Parse errors; the parser recovers at the next instruction after each.
    pub errors: Vec<ParseError>,
    /// Warnings BuildKit would print while parsing (e.g. empty continuation lines).
    pub warnings: Vec<ParseWarning>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Directive {
    /// Lowercased directive name: `syntax`, `escape`, `check`.
    pub name: String,
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comment {
    /// The text after `#`, with surrounding whitespace trimmed.
    pub text: String,
    /// Span of the whole comment, from `#` to end of line.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
    /// True when BuildKit's parser accepts the line and only its instruction-level checks
    /// (argument counts, unknown instructions and flags, variable expansion) reject it.
    #[serde(skip)]
    pub instruction_level: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParseWarning {
    /// Stable identifier, e.g. `empty-continuation`.
    pub kind: String,
    pub message: String,
    pub span: Span,
}

/// A piece of source text: the raw (unexpanded) value and where it is.
/// For JSON (exec-form) arguments `value` is the decoded string and `span` covers the literal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Word {
    pub value: String,
    pub span: Span,
}

/// Instruction keywords. `Unknown` keeps instructions BuildKit would reject at build time
/// (the parser itself accepts any word, as BuildKit's does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    Stopsignal,
    Healthcheck,
    Shell,
    Unknown,
}

impl Keyword {
    pub fn from_word(word: &str) -> Keyword {
        match word.to_ascii_lowercase().as_str() {
            "from" => Keyword::From,
            "run" => Keyword::Run,
            "cmd" => Keyword::Cmd,
            "label" => Keyword::Label,
            "maintainer" => Keyword::Maintainer,
            "expose" => Keyword::Expose,
            "env" => Keyword::Env,
            "add" => Keyword::Add,
            "copy" => Keyword::Copy,
            "entrypoint" => Keyword::Entrypoint,
            "volume" => Keyword::Volume,
            "user" => Keyword::User,
            "workdir" => Keyword::Workdir,
            "arg" => Keyword::Arg,
            "onbuild" => Keyword::Onbuild,
            "stopsignal" => Keyword::Stopsignal,
            "healthcheck" => Keyword::Healthcheck,
            "shell" => Keyword::Shell,
            _ => Keyword::Unknown,
        }
    }

    /// Upper-case name (`Unknown` has none).
    pub fn as_str(&self) -> &'static str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Expose => "EXPOSE",
            Keyword::Env => "ENV",
            Keyword::Add => "ADD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Volume => "VOLUME",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Arg => "ARG",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Shell => "SHELL",
            Keyword::Unknown => "",
        }
    }
}

/// A `--name[=value]` flag as written before an instruction's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// Name without the leading `--`.
    pub name: String,
    /// Value after `=`, raw; `None` for a bare `--name`.
    pub value: Option<String>,
    /// The whole flag, `--` included.
    pub span: Span,
    /// The value's span, when there is a value.
    pub value_span: Option<Span>,
}

/// Shell-form text of RUN/CMD/ENTRYPOINT/HEALTHCHECK CMD, with continuations joined the way
/// BuildKit joins them, and a map back to source offsets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ShellText {
    pub text: String,
    /// Covers the text in the source.
    pub span: Span,
    /// Contiguous chunks: `(offset in text, offset in source)`, ascending. A text offset maps to
    /// the source offset of the last chunk starting at or before it plus the distance into it.
    pub chunks: Vec<(u32, u32)>,
}

impl ShellText {
    /// The source byte offset of byte `text_offset` of [`ShellText::text`].
    pub fn source_offset(&self, text_offset: usize) -> usize {
        let t = text_offset as u32;
        let i = match self.chunks.binary_search_by(|c| c.0.cmp(&t)) {
            Ok(i) => i,
            Err(0) => return self.span.start.offset as usize + text_offset,
            Err(i) => i - 1,
        };
        let (to, so) = self.chunks[i];
        (so + (t - to)) as usize
    }
}

/// The command of RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "lowercase")]
pub enum Command {
    /// JSON array form: `["executable", "arg"]`.
    Exec { args: Vec<Word>, span: Span },
    /// Shell form: run with the stage's SHELL.
    Shell(ShellText),
}

impl Command {
    pub fn is_exec(&self) -> bool {
        matches!(self, Command::Exec { .. })
    }
    pub fn span(&self) -> Span {
        match self {
            Command::Exec { span, .. } => *span,
            Command::Shell(s) => s.span,
        }
    }
}

/// A heredoc attached to an instruction (`<<EOF` … `EOF`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The delimiter word, unquoted.
    pub name: String,
    /// False when the delimiter was quoted: the body is not expanded.
    pub expand: bool,
    /// `<<-`: leading tabs were stripped from body lines.
    pub chomp: bool,
    /// Body text (tabs stripped for `<<-`), ending with a newline per line; no terminator line.
    pub body: String,
    /// Span of the `<<EOF` marker in the instruction line.
    pub marker_span: Span,
    /// Span of the body lines (not the terminator).
    pub body_span: Span,
    /// Span of the terminator line; `None` when EOF came first (an error is also recorded).
    pub terminator_span: Option<Span>,
}

/// `KEY=value` of ENV and LABEL (and `ENV KEY value` legacy form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: Word,
    /// Raw value as written (quotes kept, unexpanded).
    pub value: Word,
    /// Written in the legacy `ENV key value` form (no `=`).
    pub legacy: bool,
}

/// One `ARG name[=default]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArgDecl {
    pub name: Word,
    /// Raw default value as written (quotes kept, unexpanded).
    pub default: Option<Word>,
}

/// COPY and ADD arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyArgs {
    /// All source words (heredoc markers included as written).
    pub sources: Vec<Word>,
    pub dest: Word,
    /// Written in JSON array form.
    pub json: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    None,
    /// `HEALTHCHECK [options] CMD command`.
    Cmd(Command),
    /// Anything else (BuildKit keeps it; the build rejects it).
    Other { kind: Word, rest: Vec<Word> },
    /// `HEALTHCHECK` with no arguments.
    Empty,
}

/// Typed arguments, one variant per instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InstructionKind {
    From {
        /// The image reference, raw (may contain `$VARS`).
        image: Word,
        /// `AS name`, raw as written.
        alias: Option<Word>,
    },
    Run(Command),
    Cmd(Command),
    Entrypoint(Command),
    Shell(Vec<Word>),
    Healthcheck(Healthcheck),
    Label(Vec<KeyValue>),
    Env(Vec<KeyValue>),
    Arg(Vec<ArgDecl>),
    Maintainer(Word),
    Expose(Vec<Word>),
    Add(CopyArgs),
    Copy(CopyArgs),
    Volume {
        paths: Vec<Word>,
        json: bool,
    },
    User(Word),
    Workdir(Word),
    Stopsignal(Word),
    Onbuild(Box<Instruction>),
    /// An unknown keyword or an instruction whose arguments could not be typed (an error is
    /// recorded in [`Dockerfile::errors`] when that is invalid).
    Other(Vec<Word>),
}

/// One instruction with its flags, arguments and heredocs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Instruction {
    pub keyword: Keyword,
    /// The keyword as written (original casing).
    pub keyword_word: Word,
    pub flags: Vec<Flag>,
    pub kind: InstructionKind,
    pub heredocs: Vec<Heredoc>,
    /// BuildKit's view: the node's argument strings (after flags), as its AST dump shows them.
    pub args: Vec<String>,
    /// BuildKit's `json` attribute: the arguments were a JSON array.
    pub json: bool,
    /// The whole instruction, from the keyword to the end of its last line or heredoc terminator.
    pub span: Span,
    /// The arguments after the flags, up to the end of the instruction line(s) (not heredocs).
    pub args_span: Span,
}

impl Instruction {
    /// The first flag named `name` (without `--`).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// All flags named `name`, e.g. every `--mount`.
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// The command of RUN/CMD/ENTRYPOINT/HEALTHCHECK CMD.
    pub fn command(&self) -> Option<&Command> {
        match &self.kind {
            InstructionKind::Run(c) | InstructionKind::Cmd(c) | InstructionKind::Entrypoint(c) => {
                Some(c)
            }
            InstructionKind::Healthcheck(Healthcheck::Cmd(c)) => Some(c),
            _ => None,
        }
    }
}
