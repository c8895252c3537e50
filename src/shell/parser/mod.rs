//! The shell grammar, by recursive descent over the lexer's tokens: lists (`;`, `&`, newlines),
//! and-or lists, pipelines, simple commands with assignments and redirections, subshells, brace
//! groups, `if`/`for`/`while`/`until`/`case`, function definitions, here-document bodies, and
//! nested scripts (`$(…)`, backticks, `sh -c '…'`).
//!
//! Tolerance: every construct accepts missing parts; a closing keyword or `)` that no open
//! construct expects is skipped; nesting past [`MAX_DEPTH`] is skipped without recursion. Every
//! loop consumes at least one token per turn, so parsing is linear and always ends.

use super::command;
use super::lexer::{find_byte, Kind, Kw, Op, Tok};
use super::{Command, Pipeline, RedirOp, Redirect, Script, Word};

mod compound;

/// Nesting cap for substitutions, compound commands and nested scripts.
pub(super) const MAX_DEPTH: usize = 40;

/// Tokens that close an open construct (bit set in [`Parser::closers`]).
pub(super) const RPAREN: u32 = 1;
const THEN: u32 = 1 << 1;
const ELIF: u32 = 1 << 2;
const ELSE: u32 = 1 << 3;
const FI: u32 = 1 << 4;
const DO: u32 = 1 << 5;
const DONE: u32 = 1 << 6;
const ESAC: u32 = 1 << 7;
const RBRACE: u32 = 1 << 8;
const DSEMI: u32 = 1 << 9;

fn closer_bit(k: Kind) -> u32 {
    match k {
        Kind::Op(Op::RParen) => RPAREN,
        Kind::Op(Op::DSemi) => DSEMI,
        Kind::Word(Some(kw)) => match kw {
            Kw::Then => THEN,
            Kw::Elif => ELIF,
            Kw::Else => ELSE,
            Kw::Fi => FI,
            Kw::Do => DO,
            Kw::Done => DONE,
            Kw::Esac => ESAC,
            Kw::RBrace => RBRACE,
            _ => 0,
        },
        _ => 0,
    }
}

/// `NAME=…`, `NAME+=…` or `NAME[…]=…` as written (no quote before the `=`).
fn is_assignment(raw: &str) -> bool {
    let b = raw.as_bytes();
    if !b
        .first()
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
    {
        return false;
    }
    let mut i = 1;
    while b
        .get(i)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
    {
        i += 1;
    }
    if b.get(i) == Some(&b'[') {
        match find_byte(b, i, b']') {
            Some(j) => i = j + 1,
            None => return false,
        }
    }
    if b.get(i) == Some(&b'+') {
        i += 1;
    }
    b.get(i) == Some(&b'=')
}

/// A here-document whose body starts after the next newline.
struct PendingHeredoc {
    delim: String,
    strip_tabs: bool,
}

/// Parser state saved when entering a nested construct.
pub(super) struct Saved {
    closers: u32,
    cond: bool,
    nest: usize,
    subshell: usize,
    depth: usize,
}

pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) peeked: Option<Tok>,
    /// Tokens consumed so far (progress check).
    consumed: u64,
    /// End offset of the last consumed token.
    last_end: usize,
    /// Recursion depth (bounded by [`MAX_DEPTH`]).
    pub(super) depth: usize,
    /// Structural nesting (compound bodies, subshells, substitutions, nested scripts).
    nest: usize,
    /// Number of enclosing subshell-like contexts.
    subshell: usize,
    /// Closing tokens some open construct is waiting for.
    pub(super) closers: u32,
    /// Inside `[[ … ]]`: operators are words.
    pub(super) cond: bool,
    /// Parsing a string run by another shell (`sh -c`).
    in_string: bool,
    heredocs: Vec<PendingHeredoc>,
    commands: Vec<Command>,
    pipelines: Vec<Pipeline>,
    /// Index of this parser's first pipeline in the whole script.
    pipeline_base: usize,
}

/// Parses a whole script.
pub(super) fn parse_script(text: &str) -> Script {
    let mut p = Parser::new(text, 0, 0);
    p.parse_all();
    let mut commands = p.commands;
    commands.sort_by_key(|c| c.start);
    Script {
        commands,
        pipelines: p.pipelines,
    }
}

/// The byte range of `w`'s value inside the text when it is a verbatim slice of it (a plain
/// word, or a single quoted string without escapes).
fn exact_range(w: &Word) -> Option<(usize, usize)> {
    let raw = w.raw.as_str();
    if raw == w.value {
        return Some((w.start, w.end));
    }
    let q = raw.chars().next().filter(|&q| q == '\'' || q == '"')?;
    let inner = raw.get(1..)?;
    if inner.strip_suffix(q) == Some(w.value.as_str()) && inner.len() > w.value.len() {
        return Some((w.start + 1, w.end - 1));
    }
    if inner == w.value {
        return Some((w.start + 1, w.end));
    }
    None
}

fn remap_word(w: &mut Word, start: usize, end: usize) {
    w.start = start;
    w.end = end;
}

/// Moves every offset of `c` to `start..end` (a nested script whose text is not a slice of ours).
fn remap_command(c: &mut Command, start: usize, end: usize) {
    c.start = start;
    c.end = end;
    for w in c
        .words
        .iter_mut()
        .chain(c.assignments.iter_mut())
        .chain(c.prefix.iter_mut())
    {
        remap_word(w, start, end);
    }
    for r in &mut c.redirects {
        r.start = start;
        r.end = end;
        if let Some(w) = &mut r.target {
            remap_word(w, start, end);
        }
    }
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, pos: usize, pipeline_base: usize) -> Self {
        Parser {
            src,
            b: src.as_bytes(),
            pos,
            peeked: None,
            consumed: 0,
            last_end: pos,
            depth: 0,
            nest: 0,
            subshell: 0,
            closers: 0,
            cond: false,
            in_string: false,
            heredocs: Vec::new(),
            commands: Vec::new(),
            pipelines: Vec::new(),
            pipeline_base,
        }
    }

    /// Enters a nested construct (one level deeper; a subshell when `subshell`).
    pub(super) fn enter(&mut self, subshell: bool) -> Saved {
        let saved = Saved {
            closers: self.closers,
            cond: self.cond,
            nest: self.nest,
            subshell: self.subshell,
            depth: self.depth,
        };
        self.depth += 1;
        self.nest += 1;
        if subshell {
            self.subshell += 1;
        }
        self.cond = false;
        saved
    }

    pub(super) fn leave(&mut self, s: Saved) {
        self.closers = s.closers;
        self.cond = s.cond;
        self.nest = s.nest;
        self.subshell = s.subshell;
        self.depth = s.depth;
    }

    pub(super) fn peek_kind(&mut self) -> Kind {
        if self.peeked.is_none() {
            let t = self.lex();
            self.peeked = Some(t);
        }
        self.peeked.as_ref().map_or(Kind::Eof, Tok::kind)
    }

    fn peek_start(&mut self) -> Option<usize> {
        self.peek_kind();
        self.peeked.as_ref().and_then(Tok::start)
    }

    pub(super) fn bump(&mut self) -> Tok {
        self.peek_kind();
        let t = self.peeked.take().unwrap_or(Tok::Eof);
        match &t {
            Tok::Eof => {}
            Tok::Word(w) => self.last_end = w.end,
            Tok::Op { end, .. } | Tok::Redir { end, .. } => self.last_end = *end,
        }
        self.consumed += 1;
        t
    }

    fn skip_newlines(&mut self) {
        while self.peek_kind() == Kind::Op(Op::Newline) {
            self.bump();
        }
    }

    /// Skips the bodies of here-documents whose operator was on the line just ended.
    pub(super) fn skip_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.heredocs);
        for h in pending {
            while self.pos < self.b.len() {
                let line_end = find_byte(self.b, self.pos, b'\n').unwrap_or(self.b.len());
                let mut line = self.slice(self.pos, line_end);
                line = line.strip_suffix('\r').unwrap_or(line);
                if h.strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                self.pos = (line_end + 1).min(self.b.len());
                if line == h.delim {
                    break;
                }
            }
        }
    }

    /// Parses to the end of the text.
    fn parse_all(&mut self) {
        loop {
            self.parse_list();
            if self.peek_kind() == Kind::Eof {
                return;
            }
            self.bump();
        }
    }

    /// A list of and-or lists, up to the end or a token in [`Parser::closers`] (not consumed).
    pub(super) fn parse_list(&mut self) {
        loop {
            let k = self.peek_kind();
            match k {
                Kind::Eof => return,
                Kind::Op(Op::Newline | Op::Semi | Op::Amp) => {
                    self.bump();
                }
                _ => {
                    let bit = closer_bit(k);
                    if bit != 0 {
                        if self.closers & bit != 0 {
                            return;
                        }
                        // A closer nothing waits for: skip it.
                        self.bump();
                        continue;
                    }
                    let before = self.consumed;
                    self.parse_and_or();
                    if self.consumed == before {
                        self.bump();
                    }
                }
            }
        }
    }

    fn parse_and_or(&mut self) {
        loop {
            self.parse_pipeline();
            match self.peek_kind() {
                Kind::Op(Op::AndIf | Op::OrIf) => {
                    self.bump();
                    self.skip_newlines();
                }
                _ => return,
            }
        }
    }

    fn parse_pipeline(&mut self) {
        let local = self.pipelines.len();
        let id = self.pipeline_base + local;
        let start = self.peek_start().unwrap_or(self.pos);
        self.pipelines.push(Pipeline {
            start,
            end: start,
            elements: 0,
            negated: false,
            nested: self.nest > 0,
        });
        let mut negated = false;
        while self.peek_kind() == Kind::Word(Some(Kw::Bang)) {
            self.bump();
            negated = true;
        }
        let mut elements = 0;
        let mut direct = Vec::new();
        let mut end = start;
        loop {
            let before = self.consumed;
            if let Some(idx) = self.parse_command(id) {
                direct.push(idx);
            }
            if self.consumed != before {
                elements += 1;
                end = self.last_end;
            }
            match self.peek_kind() {
                Kind::Op(Op::Pipe | Op::PipeAmp) => {
                    self.bump();
                    self.skip_newlines();
                }
                _ => break,
            }
        }
        if elements > 1 {
            for &i in &direct {
                if let Some(c) = self.commands.get_mut(i) {
                    c.piped = true;
                }
            }
        }
        if let Some(p) = self.pipelines.get_mut(local) {
            p.elements = elements;
            p.end = end.max(start);
            p.negated = negated;
        }
    }

    /// One element of a pipeline. Returns the index of the simple command it pushed, if any.
    fn parse_command(&mut self, id: usize) -> Option<usize> {
        let k = self.peek_kind();
        if closer_bit(k) != 0 {
            return None;
        }
        match k {
            Kind::Word(Some(kw)) if self.depth < MAX_DEPTH => {
                match kw {
                    Kw::If => self.parse_if(),
                    Kw::For | Kw::Select => self.parse_for(),
                    Kw::While | Kw::Until => self.parse_while(),
                    Kw::Case => self.parse_case(),
                    Kw::LBrace => self.parse_group(),
                    Kw::Function => self.parse_function_kw(),
                    _ => return self.parse_simple(id),
                }
                self.parse_trailing_redirects();
                None
            }
            Kind::Op(Op::LParen) => {
                self.parse_subshell();
                self.parse_trailing_redirects();
                None
            }
            Kind::Word(_) | Kind::Redir => self.parse_simple(id),
            _ => None,
        }
    }

    fn parse_redirect(&mut self) -> Redirect {
        let Tok::Redir { op, fd, start, end } = self.bump() else {
            return Redirect::default();
        };
        let mut r = Redirect {
            fd,
            op,
            target: None,
            start,
            end,
        };
        if matches!(self.peek_kind(), Kind::Word(_)) {
            if let Tok::Word(w) = self.bump() {
                r.end = w.end;
                if matches!(op, RedirOp::Heredoc | RedirOp::HeredocStrip) {
                    self.heredocs.push(PendingHeredoc {
                        delim: w.value.clone(),
                        strip_tabs: op == RedirOp::HeredocStrip,
                    });
                }
                r.target = Some(w);
            }
        }
        r
    }

    /// A simple command (or a function definition `name() body`).
    fn parse_simple(&mut self, id: usize) -> Option<usize> {
        let mark = self.commands.len();
        let mut cmd = Command::default();
        let mut start = None;
        let mut end = 0;
        loop {
            match self.peek_kind() {
                Kind::Word(_) => {
                    let Tok::Word(w) = self.bump() else {
                        break;
                    };
                    start.get_or_insert(w.start);
                    end = w.end;
                    if cmd.words.is_empty() && is_assignment(&w.raw) {
                        cmd.assignments.push(w);
                        continue;
                    }
                    let first = cmd.words.is_empty();
                    let dbracket = first && !w.quoted && w.raw == "[[";
                    cmd.words.push(w);
                    if dbracket {
                        end = self.parse_cond(&mut cmd).max(end);
                    } else if first
                        && cmd.assignments.is_empty()
                        && self.peek_kind() == Kind::Op(Op::LParen)
                    {
                        // `name() body`: a function definition; the name is not a command.
                        self.bump();
                        if self.peek_kind() == Kind::Op(Op::RParen) {
                            self.bump();
                        }
                        self.parse_function_body();
                        return None;
                    }
                }
                Kind::Redir => {
                    let r = self.parse_redirect();
                    start.get_or_insert(r.start);
                    end = r.end;
                    cmd.redirects.push(r);
                }
                _ => break,
            }
        }
        let start = start?;
        if cmd.words.is_empty() && cmd.assignments.is_empty() {
            return None;
        }
        cmd.start = start;
        cmd.end = end;
        cmd.pipeline = id;
        cmd.nested = self.nest > 0;
        cmd.depth = self.nest;
        cmd.in_subshell = self.subshell > 0;
        cmd.in_string = self.in_string;
        command::strip_wrappers(&mut cmd);
        let script = command::inline_script(&cmd).cloned();
        let idx = self.commands.len();
        self.commands.push(cmd);
        if let Some(w) = script {
            self.nested_script(&w, mark, idx);
        }
        Some(idx)
    }

    /// The words of `[[ … ]]` after `[[`, up to and including `]]`. Returns the end offset.
    fn parse_cond(&mut self, cmd: &mut Command) -> usize {
        let mut end = 0;
        self.cond = true;
        while let Kind::Word(kw) = self.peek_kind() {
            if let Tok::Word(w) = self.bump() {
                end = w.end;
                cmd.words.push(w);
            }
            if kw == Some(Kw::DBrClose) {
                break;
            }
        }
        self.cond = false;
        end
    }

    /// Parses the script string of `sh -c '…'` (word `w` of command `idx`) as nested commands.
    fn nested_script(&mut self, w: &Word, mark: usize, idx: usize) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        let before = self.commands.len();
        let exact = exact_range(w);
        match exact {
            Some((s, e)) => {
                let src = self.src.get(..e).unwrap_or("");
                self.run_child(src, s, None, true, true);
            }
            None => {
                let text = w.value.clone();
                self.run_child(&text, 0, Some((w.start, w.end)), true, true);
            }
        }
        // Substitutions in a double-quoted string are run by the outer shell and were already
        // found while lexing the word: drop their copies.
        let outer: Vec<(usize, Vec<&str>)> = self
            .commands
            .get(mark..idx)
            .unwrap_or(&[])
            .iter()
            .filter(|c| c.start >= w.start && c.start < w.end)
            .map(|c| (c.start, c.words.iter().map(|w| w.value.as_str()).collect()))
            .collect();
        if outer.is_empty() {
            return;
        }
        let keep: Vec<bool> = self
            .commands
            .get(before..)
            .unwrap_or(&[])
            .iter()
            .map(|c| {
                let words: Vec<&str> = c.words.iter().map(|w| w.value.as_str()).collect();
                !outer.iter().any(|(s, ws)| {
                    if exact.is_some() {
                        *s == c.start
                    } else {
                        *ws == words
                    }
                })
            })
            .collect();
        let tail = self.commands.split_off(before.min(self.commands.len()));
        self.commands.extend(
            tail.into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(c, _)| c),
        );
    }

    /// Parses `text` from `start` as a nested script and adds its commands. With `remap`, every
    /// offset becomes that range (the text is not a slice of ours). `in_string`: the text is a
    /// string run by another shell.
    pub(super) fn run_child(
        &mut self,
        text: &str,
        start: usize,
        remap: Option<(usize, usize)>,
        subshell: bool,
        in_string: bool,
    ) {
        let base = self.pipeline_base + self.pipelines.len();
        let mut child = Parser::new(text, start, base);
        child.depth = self.depth + 1;
        child.nest = self.nest + 1;
        child.subshell = self.subshell + usize::from(subshell);
        child.in_string = self.in_string || in_string;
        child.parse_all();
        let mut cmds = child.commands;
        cmds.sort_by_key(|c| c.start);
        let mut pipes = child.pipelines;
        if let Some((s, e)) = remap {
            for c in &mut cmds {
                remap_command(c, s, e);
            }
            for p in &mut pipes {
                p.start = s;
                p.end = e;
            }
        }
        self.pipelines.append(&mut pipes);
        self.commands.append(&mut cmds);
    }
}
