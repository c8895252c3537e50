//! The hand-written Dockerfile parser, faithful to BuildKit's.
//!
//! Lines are read the way BuildKit reads them: parser directives only at the very top, comment
//! lines dropped (also inside continuations), the escape character (`\` or `` ` ``) joining lines,
//! empty continuation lines skipped with a warning, and heredoc bodies read after the
//! instruction line for RUN, COPY and ADD. Each logical line keeps a map from its text back to
//! source offsets, so every word, flag and shell text gets an exact [`Span`]. Arguments are then
//! split per instruction as BuildKit's line parsers do (the [`Instruction::args`] view) and typed
//! ([`InstructionKind`]). Errors never stop the parser: they are collected with their spans.

mod json;
#[cfg(test)]
mod tests;
mod words;

use std::cell::Cell;

use super::ast::{
    ArgDecl, Command, Comment, CopyArgs, Directive, Dockerfile, Flag, Healthcheck, Heredoc,
    Instruction, InstructionKind, KeyValue, Keyword, ParseError, ParseWarning, ShellText, Word,
};
use super::dump::go_quote;
use super::span::{Pos, Span};
use json::{parse_array, JsonArray};
use words::{extract_flags, heredoc_marker, is_sep, parse_words, shell_words, split_ws};

const BOM: &str = "\u{feff}";

/// Parses Dockerfile source text. Never fails: errors are recorded in [`Dockerfile::errors`] and
/// the parser recovers at the next instruction. A leading UTF-8 BOM is skipped; CRLF is accepted.
/// Offsets in spans refer to `src` as given (BOM included).
pub fn parse(src: &str) -> Dockerfile {
    Parser::new(src).run()
}

/// Byte offsets to positions, with the same columns as [`super::span::LineIndex`] but O(1) on
/// ASCII lines and amortised linear on others (spans are mostly asked for in order).
struct Locator<'a> {
    src: &'a str,
    line_starts: Vec<u32>,
    ascii: Vec<bool>,
    /// Last non-ASCII position computed: (line index, offset, column).
    cursor: Cell<(usize, usize, u32)>,
}

impl<'a> Locator<'a> {
    fn new(src: &'a str) -> Self {
        let mut line_starts = vec![0u32];
        let mut ascii = Vec::new();
        let mut cur = true;
        for (i, &b) in src.as_bytes().iter().enumerate() {
            if b == b'\n' {
                ascii.push(cur);
                cur = true;
                line_starts.push((i + 1) as u32);
            } else if b >= 0x80 {
                cur = false;
            }
        }
        ascii.push(cur);
        Locator {
            src,
            line_starts,
            ascii,
            cursor: Cell::new((usize::MAX, 0, 1)),
        }
    }

    fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let mut start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        if line == 0 && self.src.starts_with('\u{feff}') {
            // A leading BOM is not a column.
            start = '\u{feff}'.len_utf8().min(offset);
        }
        let column = if self.ascii.get(line).copied().unwrap_or(false) {
            offset.saturating_sub(start) as u32 + 1
        } else {
            let mut end = offset;
            while end > start && !self.src.is_char_boundary(end) {
                end -= 1;
            }
            let (cl, co, cc) = self.cursor.get();
            let (from, base) = if cl == line && co >= start && co <= end {
                (co, cc)
            } else {
                (start, 1)
            };
            let col = base + self.src.get(from..end).map_or(0, |t| t.chars().count()) as u32;
            self.cursor.set((line, end, col));
            col
        };
        Pos {
            line: line as u32 + 1,
            column,
            offset: offset as u32,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.pos(start), self.pos(end))
    }
}

/// One physical line: content `start..end` (line terminator and trailing `\r`s excluded) and
/// where the next line starts.
#[derive(Clone, Copy, Debug)]
struct PhysLine {
    start: usize,
    end: usize,
    next: usize,
}

/// BuildKit reads lines with Go's `bufio.Scanner` and its default 64 KiB token limit: a longer
/// line (terminator included) makes the parse fail.
const MAX_LINE: usize = 64 * 1024;

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// The first line longer than [`MAX_LINE`]: (start, content end).
    too_long: Option<(usize, usize)>,
}

impl Scanner<'_> {
    fn next_line(&mut self) -> Option<PhysLine> {
        let bytes = self.src.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let mut start = self.pos;
        if start == 0 && self.src.starts_with(BOM) {
            start = BOM.len();
        }
        let (content_end, next) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        let mut end = content_end;
        while end > start && matches!(bytes[end - 1], b'\r' | b'\n') {
            end -= 1;
        }
        if next - self.pos > MAX_LINE && self.too_long.is_none() {
            self.too_long = Some((start, end));
        }
        self.pos = next;
        Some(PhysLine { start, end, next })
    }
}

/// A logical line: physical line pieces joined, with a map back to source offsets.
struct Logical {
    text: String,
    /// `(offset in text, offset in source)` for each joined piece.
    chunks: Vec<(u32, u32)>,
    /// Source offset used when the text is empty.
    origin: usize,
}

impl Logical {
    fn new(origin: usize) -> Self {
        Logical {
            text: String::new(),
            chunks: Vec::new(),
            origin,
        }
    }

    fn push(&mut self, src: &str, start: usize, end: usize) {
        if let Some(piece) = src.get(start..end).filter(|p| !p.is_empty()) {
            self.chunks.push((self.text.len() as u32, start as u32));
            self.text.push_str(piece);
        }
    }

    fn chunk_index(&self, t: usize) -> Option<usize> {
        match self.chunks.binary_search_by(|c| (c.0 as usize).cmp(&t)) {
            Ok(i) => Some(i),
            Err(0) => None,
            Err(i) => Some(i - 1),
        }
    }

    /// Source offset of text offset `t`.
    fn src_at(&self, t: usize) -> usize {
        match self.chunk_index(t).and_then(|i| self.chunks.get(i)) {
            Some(&(to, so)) => so as usize + (t - to as usize),
            None => self.origin + t,
        }
    }

    /// Source offset just after the text range `s..e` (its last byte's offset plus one).
    fn src_end(&self, s: usize, e: usize) -> usize {
        if e <= s {
            self.src_at(s)
        } else {
            self.src_at(e - 1) + 1
        }
    }

    /// The chunks of the text range `a..b`, rebased so that `a` is text offset 0.
    fn chunks_for(&self, a: usize, b: usize) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        if a >= b {
            return out;
        }
        out.push((0, self.src_at(a) as u32));
        let first = self.chunk_index(a).map_or(0, |i| i + 1);
        for &(to, so) in self.chunks.iter().skip(first) {
            if to as usize >= b {
                break;
            }
            out.push((to - a as u32, so));
        }
        out
    }
}

/// Result of BuildKit's "maybe JSON" argument readers.
struct MaybeJson {
    words: Vec<Word>,
    json: bool,
    /// A JSON array with non-string elements (an error was recorded).
    bad: bool,
}

struct Parser<'a> {
    src: &'a str,
    loc: Locator<'a>,
    scan: Scanner<'a>,
    escape: char,
    directives_done: bool,
    df: Dockerfile,
    /// How many `ONBUILD`s the instruction being parsed is inside.
    onbuild_depth: usize,
}

/// `ONBUILD ONBUILD …` is parsed (and rejected) this many levels deep; the rest of a longer chain
/// is kept as words, so a chain of any length cannot overflow the stack.
const MAX_ONBUILD_DEPTH: usize = 8;

fn go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            loc: Locator::new(src),
            scan: Scanner {
                src,
                pos: 0,
                too_long: None,
            },
            escape: '\\',
            directives_done: false,
            df: Dockerfile {
                escape: '\\',
                ..Default::default()
            },
            onbuild_depth: 0,
        }
    }

    /// An error BuildKit's parser itself reports.
    fn error(&mut self, message: impl Into<String>, span: Span) {
        self.df.errors.push(ParseError {
            message: message.into(),
            span,
            instruction_level: false,
        });
    }

    /// An error BuildKit reports only when it turns the parsed line into an instruction.
    fn instr_error(&mut self, message: impl Into<String>, span: Span) {
        self.df.errors.push(ParseError {
            message: message.into(),
            span,
            instruction_level: true,
        });
    }

    fn comment(&mut self, start: usize, end: usize) {
        let text = self
            .src
            .get(start + 1..end)
            .unwrap_or("")
            .trim()
            .to_string();
        let span = self.loc.span(start, end);
        self.df.comments.push(Comment { text, span });
    }

    /// BuildKit's directive scanner: `#name=value` lines at the very top; the first other line
    /// (or an unknown name) ends the scan.
    fn directive(&mut self, start: usize, end: usize) {
        if self.directives_done {
            return;
        }
        let line = self.src.get(start..end).unwrap_or("");
        let Some(rest) = line.strip_prefix('#') else {
            self.directives_done = true;
            return;
        };
        let rest = rest.trim_start();
        let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if name_len == 0 || !rest.as_bytes()[0].is_ascii_alphabetic() {
            self.directives_done = true;
            return;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        let Some(after) = rest[name_len..]
            .trim_start_matches(go_space)
            .strip_prefix('=')
        else {
            self.directives_done = true;
            return;
        };
        let lead = after.trim_start_matches(go_space);
        let value = if !lead.is_empty() {
            lead.trim_end_matches(go_space)
        } else if let Some(c) = after.chars().last() {
            // `\s*` gives back one character to the non-empty value.
            &after[after.len() - c.len_utf8()..]
        } else {
            self.directives_done = true;
            return;
        };
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.directives_done = true;
            return;
        }
        let span = self.loc.span(start, end);
        if self.df.directives.iter().any(|d| d.name == name) {
            self.error(
                format!("only one {name} parser directive can be used"),
                span,
            );
            return;
        }
        if name == "escape" {
            match value {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                _ => {
                    self.error(
                        format!("invalid escape token '{value}' does not match ` or \\"),
                        span,
                    );
                }
            }
            self.df.escape = self.escape;
        }
        self.df.directives.push(Directive {
            name,
            value: value.to_string(),
            span,
        });
    }

    /// Removes a line-continuation escape at the end of `s` (trailing spaces and tabs allowed,
    /// not when the escape is itself escaped). Returns the kept length and whether it continues.
    fn trim_continuation(&self, s: &str) -> (usize, bool) {
        let t = s.trim_end_matches([' ', '\t']);
        if let Some(before) = t.strip_suffix(self.escape) {
            if !before.ends_with(self.escape) {
                return (before.len(), true);
            }
        }
        (s.len(), false)
    }

    fn run(mut self) -> Dockerfile {
        let src = self.src;
        while let Some(l) = self.scan.next_line() {
            let raw = &src[l.start..l.end];
            let body_start = l.end - raw.trim_start().len();
            let body = &src[body_start..l.end];
            let is_comment = body.starts_with('#');
            if is_comment {
                self.comment(body_start, l.end);
            }
            self.directive(body_start, l.end);
            if is_comment || body.is_empty() {
                continue;
            }
            let mut lg = Logical::new(body_start);
            let (cut, mut cont) = self.trim_continuation(body);
            lg.push(src, body_start, body_start + cut);
            let mut last_end = l.end;
            let mut empty_line: Option<PhysLine> = None;
            while cont {
                let Some(n) = self.scan.next_line() else {
                    break;
                };
                let raw = &src[n.start..n.end];
                let t = raw.trim_start();
                if t.starts_with('#') {
                    self.comment(n.end - t.len(), n.end);
                    continue;
                }
                if t.is_empty() {
                    empty_line.get_or_insert(n);
                    continue;
                }
                let (cut, c) = self.trim_continuation(raw);
                lg.push(src, n.start, n.start + cut);
                last_end = n.end;
                cont = c;
            }
            if let Some(e) = empty_line {
                let span = self.loc.span(e.start, e.end);
                self.df.warnings.push(ParseWarning {
                    kind: "empty-continuation".to_string(),
                    message: format!("Empty continuation line found in: {}", lg.text.trim()),
                    span,
                });
            }
            if lg.text.trim().is_empty() {
                continue;
            }
            let mut ins = self.instruction(&lg, 0, lg.text.len());
            ins.span.end = self.loc.pos(last_end);
            self.heredocs(&lg, &mut ins);
            self.df.instructions.push(ins);
        }
        if let Some((start, end)) = self.scan.too_long {
            let span = self.loc.span(start, end);
            self.error(
                format!(
                    "dockerfile line greater than max allowed size of {}",
                    MAX_LINE - 1
                ),
                span,
            );
        }
        if self.df.instructions.is_empty() {
            let span = self.loc.span(0, src.len());
            self.error("file with no instructions", span);
        }
        self.df
    }

    fn span(&self, lg: &Logical, s: usize, e: usize) -> Span {
        Span::new(self.loc.pos(lg.src_at(s)), self.loc.pos(lg.src_end(s, e)))
    }

    fn word(&self, lg: &Logical, s: usize, e: usize, value: String) -> Word {
        Word {
            value,
            span: self.span(lg, s, e),
        }
    }

    fn raw_word(&self, lg: &Logical, s: usize, e: usize) -> Word {
        self.word(lg, s, e, lg.text.get(s..e).unwrap_or("").to_string())
    }

    /// Whitespace-separated words of `a..b` (BuildKit's `parseStringsWhitespaceDelimited`).
    fn ws_words(&self, lg: &Logical, a: usize, b: usize) -> Vec<Word> {
        let r = lg.text.get(a..b).unwrap_or("");
        split_ws(r, usize::MAX)
            .into_iter()
            .map(|(s, e)| self.raw_word(lg, a + s, a + e))
            .collect()
    }

    /// BuildKit's `parseMaybeJSON` (`list == false`: one shell-form word) and
    /// `parseMaybeJSONToList` (`list == true`: whitespace-separated words).
    fn maybe_json(&mut self, lg: &Logical, a: usize, b: usize, list: bool) -> MaybeJson {
        let r = lg.text.get(a..b).unwrap_or("");
        match parse_array(r) {
            JsonArray::Strings(items) => MaybeJson {
                words: items
                    .into_iter()
                    .map(|j| self.word(lg, a + j.start, a + j.end, j.value))
                    .collect(),
                json: true,
                bad: false,
            },
            JsonArray::NotStrings => {
                let span = self.span(lg, a, b);
                self.error(
                    "when using JSON array syntax, arrays must be comprised of strings only",
                    span,
                );
                MaybeJson {
                    words: Vec::new(),
                    json: false,
                    bad: true,
                }
            }
            JsonArray::NotArray | JsonArray::Invalid => {
                let words = if list {
                    self.ws_words(lg, a, b)
                } else if r.is_empty() {
                    Vec::new()
                } else {
                    vec![self.raw_word(lg, a, b)]
                };
                MaybeJson {
                    words,
                    json: false,
                    bad: false,
                }
            }
        }
    }

    fn shell_text(&self, lg: &Logical, a: usize, b: usize) -> ShellText {
        ShellText {
            text: lg.text.get(a..b).unwrap_or("").to_string(),
            span: self.span(lg, a, b),
            chunks: lg.chunks_for(a, b),
        }
    }

    fn command(&self, lg: &Logical, a: usize, b: usize, m: &MaybeJson) -> Command {
        if m.json {
            Command::Exec {
                args: m.words.clone(),
                span: self.span(lg, a, b),
            }
        } else {
            Command::Shell(self.shell_text(lg, a, b))
        }
    }

    /// Builds the instruction written in `lg.text[a..b]` (the whole logical line, or the trigger
    /// of an ONBUILD).
    fn instruction(&mut self, lg: &Logical, a: usize, b: usize) -> Instruction {
        let text = lg.text.as_str();
        let seg = text.get(a..b).unwrap_or("");
        let a = a + (seg.len() - seg.trim_start().len());
        let b = a + seg.trim().len();
        let line = text.get(a..b).unwrap_or("");
        let cmd_len = line.find(is_sep).unwrap_or(line.len());
        let keyword_word = self.raw_word(lg, a, a + cmd_len);
        let keyword = Keyword::from_word(&keyword_word.value);
        let rest_start = a
            + cmd_len
            + (line[cmd_len..].len() - line[cmd_len..].trim_start_matches(is_sep).len());

        let mut flags = Vec::new();
        let mut args_start = rest_start;
        if cmd_len < line.len() {
            let (at, raw_flags) = extract_flags(text.get(rest_start..b).unwrap_or(""));
            args_start = rest_start + at;
            for f in raw_flags {
                let body = f.text.get(2..).unwrap_or("");
                let (name, value) = match body.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (body.to_string(), None),
                };
                let value_span = f
                    .value_start
                    .map(|vs| self.span(lg, rest_start + vs, rest_start + f.end));
                flags.push(Flag {
                    name,
                    value,
                    span: self.span(lg, rest_start + f.start, rest_start + f.end),
                    value_span,
                });
            }
        }
        let seg = text.get(args_start..b).unwrap_or("");
        let aa = args_start + (seg.len() - seg.trim_start().len());
        let ab = aa + seg.trim().len();
        let r = text.get(aa..ab).unwrap_or("").to_string();
        let args_span = self.span(lg, aa, ab);
        let arg_err_span = if r.is_empty() {
            keyword_word.span
        } else {
            args_span
        };
        let name = keyword.as_str();

        let mut args: Vec<String> = Vec::new();
        let mut json = false;
        let kind = match keyword {
            Keyword::From => {
                let w = self.ws_words(lg, aa, ab);
                args = w.iter().map(|w| w.value.clone()).collect();
                let has_as = w.len() >= 3 && w[1].value.eq_ignore_ascii_case("as");
                if !(w.len() == 1 || (w.len() == 3 && has_as)) {
                    self.instr_error("FROM requires either one or three arguments", arg_err_span);
                } else if has_as && !valid_stage_name(&w[2].value.to_lowercase()) {
                    self.instr_error(
                        format!(
                            "invalid name for build stage: {}, name can't start with a number or contain symbols",
                            go_quote(&w[2].value)
                        ),
                        w[2].span,
                    );
                }
                match w.first() {
                    Some(image) => InstructionKind::From {
                        image: image.clone(),
                        alias: if has_as { w.get(2).cloned() } else { None },
                    },
                    None => InstructionKind::Other(Vec::new()),
                }
            }
            Keyword::Run | Keyword::Cmd | Keyword::Entrypoint => {
                let m = self.maybe_json(lg, aa, ab, false);
                args = m.words.iter().map(|w| w.value.clone()).collect();
                json = m.json;
                if keyword == Keyword::Run && m.words.is_empty() && !m.bad {
                    self.instr_error("RUN requires at least one argument", arg_err_span);
                }
                if m.bad {
                    InstructionKind::Other(Vec::new())
                } else {
                    let c = self.command(lg, aa, ab, &m);
                    match keyword {
                        Keyword::Run => InstructionKind::Run(c),
                        Keyword::Cmd => InstructionKind::Cmd(c),
                        _ => InstructionKind::Entrypoint(c),
                    }
                }
            }
            Keyword::Shell => {
                let m = self.maybe_json(lg, aa, ab, false);
                args = m.words.iter().map(|w| w.value.clone()).collect();
                json = m.json;
                if m.bad {
                    InstructionKind::Other(Vec::new())
                } else if m.json && !m.words.is_empty() {
                    InstructionKind::Shell(m.words)
                } else {
                    if m.words.is_empty() {
                        self.instr_error("SHELL requires at least one argument", arg_err_span);
                    } else {
                        self.instr_error(
                            "SHELL requires the arguments to be in JSON form",
                            arg_err_span,
                        );
                    }
                    InstructionKind::Other(m.words)
                }
            }
            Keyword::Healthcheck => {
                if r.is_empty() {
                    self.instr_error("HEALTHCHECK requires at least one argument", arg_err_span);
                    InstructionKind::Healthcheck(Healthcheck::Empty)
                } else {
                    let sep = r.find(char::is_whitespace).unwrap_or(r.len());
                    let next = sep + (r[sep..].len() - r[sep..].trim_start().len());
                    let typ = self.raw_word(lg, aa, aa + sep);
                    let m = self.maybe_json(lg, aa + next, ab, false);
                    args.push(typ.value.clone());
                    args.extend(m.words.iter().map(|w| w.value.clone()));
                    json = m.json;
                    if m.bad {
                        InstructionKind::Other(Vec::new())
                    } else {
                        match typ.value.to_uppercase().as_str() {
                            "NONE" => {
                                if !m.words.is_empty() {
                                    self.instr_error(
                                        "HEALTHCHECK NONE takes no arguments",
                                        args_span,
                                    );
                                }
                                InstructionKind::Healthcheck(Healthcheck::None)
                            }
                            "CMD" => {
                                if m.words.is_empty() {
                                    self.instr_error(
                                        "Missing command after HEALTHCHECK CMD",
                                        args_span,
                                    );
                                }
                                let c = self.command(lg, aa + next, ab, &m);
                                InstructionKind::Healthcheck(Healthcheck::Cmd(c))
                            }
                            _ => {
                                self.instr_error(
                                    format!(
                                        "Unknown type {} in HEALTHCHECK (try CMD)",
                                        go_quote(&typ.value.to_uppercase())
                                    ),
                                    typ.span,
                                );
                                InstructionKind::Healthcheck(Healthcheck::Other {
                                    kind: typ,
                                    rest: m.words,
                                })
                            }
                        }
                    }
                }
            }
            Keyword::Env | Keyword::Label => {
                let (kvs, a2) = self.name_values(lg, aa, ab, name, arg_err_span);
                args = a2;
                match kvs {
                    Some(kvs) if keyword == Keyword::Env => InstructionKind::Env(kvs),
                    Some(kvs) => InstructionKind::Label(kvs),
                    None => InstructionKind::Other(self.ws_words(lg, aa, ab)),
                }
            }
            Keyword::Arg => {
                let ws = parse_words(&r, self.escape);
                if ws.is_empty() {
                    self.instr_error("ARG requires at least one argument", arg_err_span);
                    InstructionKind::Other(Vec::new())
                } else {
                    let mut decls = Vec::new();
                    for w in ws {
                        args.push(w.text.clone());
                        let (s, e) = (aa + w.start, aa + w.end);
                        match w.text.find('=') {
                            Some(eq) => {
                                let name = self.word(lg, s, s + eq, w.text[..eq].to_string());
                                if eq == 0 {
                                    self.instr_error("ARG names can not be blank", name.span);
                                }
                                let default =
                                    self.word(lg, s + eq + 1, e, w.text[eq + 1..].to_string());
                                decls.push(ArgDecl {
                                    name,
                                    default: Some(default),
                                });
                            }
                            None => decls.push(ArgDecl {
                                name: self.word(lg, s, e, w.text),
                                default: None,
                            }),
                        }
                    }
                    InstructionKind::Arg(decls)
                }
            }
            Keyword::Maintainer | Keyword::User | Keyword::Workdir | Keyword::Stopsignal => {
                if r.is_empty() {
                    self.instr_error(
                        format!("{name} requires exactly one argument"),
                        arg_err_span,
                    );
                    InstructionKind::Other(Vec::new())
                } else {
                    args.push(r.clone());
                    let w = self.raw_word(lg, aa, ab);
                    match keyword {
                        Keyword::Maintainer => InstructionKind::Maintainer(w),
                        Keyword::User => InstructionKind::User(w),
                        Keyword::Workdir => InstructionKind::Workdir(w),
                        _ => InstructionKind::Stopsignal(w),
                    }
                }
            }
            Keyword::Expose => {
                let w = self.ws_words(lg, aa, ab);
                args = w.iter().map(|w| w.value.clone()).collect();
                if w.is_empty() {
                    self.instr_error("EXPOSE requires at least one argument", arg_err_span);
                    InstructionKind::Other(w)
                } else {
                    InstructionKind::Expose(w)
                }
            }
            Keyword::Add | Keyword::Copy => {
                let m = self.maybe_json(lg, aa, ab, true);
                args = m.words.iter().map(|w| w.value.clone()).collect();
                json = m.json;
                if m.bad {
                    InstructionKind::Other(Vec::new())
                } else if m.words.len() < 2 {
                    self.instr_error(
                        format!("{name} requires at least two arguments, but only one was provided. Destination could not be determined"),
                        arg_err_span,
                    );
                    InstructionKind::Other(m.words)
                } else {
                    let mut sources = m.words;
                    let dest = sources.pop().unwrap_or_default();
                    if matches!(heredoc_marker(&dest.value), Ok(Some(_))) {
                        self.instr_error(
                            format!("{name} cannot accept a heredoc as a destination"),
                            dest.span,
                        );
                    }
                    let ca = CopyArgs {
                        sources,
                        dest,
                        json,
                    };
                    if keyword == Keyword::Add {
                        InstructionKind::Add(ca)
                    } else {
                        InstructionKind::Copy(ca)
                    }
                }
            }
            Keyword::Volume => {
                let m = self.maybe_json(lg, aa, ab, true);
                args = m.words.iter().map(|w| w.value.clone()).collect();
                json = m.json;
                if m.bad {
                    InstructionKind::Other(Vec::new())
                } else if m.words.is_empty() {
                    self.instr_error("VOLUME requires at least one argument", arg_err_span);
                    InstructionKind::Other(Vec::new())
                } else {
                    for w in &m.words {
                        if w.value.trim().is_empty() {
                            self.instr_error("VOLUME specified can not be an empty string", w.span);
                        }
                    }
                    InstructionKind::Volume {
                        paths: m.words,
                        json,
                    }
                }
            }
            Keyword::Onbuild => {
                if r.is_empty() {
                    self.instr_error("ONBUILD requires at least one argument", arg_err_span);
                    InstructionKind::Other(Vec::new())
                } else if self.onbuild_depth >= MAX_ONBUILD_DEPTH {
                    self.error(
                        format!("ONBUILD nested more than {MAX_ONBUILD_DEPTH} levels deep"),
                        args_span,
                    );
                    let words = self.ws_words(lg, aa, ab);
                    args.extend(words.iter().map(|w| w.value.clone()));
                    InstructionKind::Other(words)
                } else {
                    self.onbuild_depth += 1;
                    let inner = self.instruction(lg, aa, ab);
                    self.onbuild_depth -= 1;
                    let trigger = inner.keyword_word.value.to_uppercase();
                    match trigger.as_str() {
                        "ONBUILD" => self.instr_error(
                            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                            inner.keyword_word.span,
                        ),
                        "FROM" | "MAINTAINER" => self.instr_error(
                            format!("{trigger} isn't allowed as an ONBUILD trigger"),
                            inner.keyword_word.span,
                        ),
                        _ => {}
                    }
                    args.push(inner.keyword_word.value.clone());
                    args.extend(inner.args.iter().cloned());
                    InstructionKind::Onbuild(Box::new(inner))
                }
            }
            Keyword::Unknown => {
                let mut msg = format!("unknown instruction: {}", keyword_word.value);
                if let Some(s) = suggest_keyword(&keyword_word.value) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                self.instr_error(msg, keyword_word.span);
                args.push(String::new());
                InstructionKind::Other(self.ws_words(lg, aa, ab))
            }
        };

        Instruction {
            keyword,
            span: self.span(lg, a, b),
            keyword_word,
            flags,
            kind,
            heredocs: Vec::new(),
            args,
            json,
            args_span,
        }
    }

    /// ENV and LABEL (BuildKit's `parseNameVal` plus the instruction checks). Returns the typed
    /// pairs (`None` on error) and BuildKit's argument strings.
    fn name_values(
        &mut self,
        lg: &Logical,
        aa: usize,
        ab: usize,
        name: &str,
        err_span: Span,
    ) -> (Option<Vec<KeyValue>>, Vec<String>) {
        let r = lg.text.get(aa..ab).unwrap_or("");
        let ws = parse_words(r, self.escape);
        let Some(first) = ws.first() else {
            self.instr_error(format!("{name} requires at least one argument"), err_span);
            return (None, Vec::new());
        };
        if !first.text.contains('=') {
            let parts = split_ws(r, 2);
            let (Some(&(ks, ke)), Some(&(vs, ve))) = (parts.first(), parts.get(1)) else {
                self.error(format!("{name} must have two arguments"), err_span);
                return (None, Vec::new());
            };
            let key = self.raw_word(lg, aa + ks, aa + ke);
            let value = self.raw_word(lg, aa + vs, aa + ve);
            let args = vec![key.value.clone(), value.value.clone(), String::new()];
            return (
                Some(vec![KeyValue {
                    key,
                    value,
                    legacy: true,
                }]),
                args,
            );
        }
        let mut kvs = Vec::new();
        let mut args = Vec::new();
        for w in ws {
            let (s, e) = (aa + w.start, aa + w.end);
            let Some(eq) = w.text.find('=') else {
                let span = self.span(lg, s, e);
                self.error(
                    format!(
                        "Syntax error - can't find = in {}. Must be of the form: name=value",
                        go_quote(&w.text)
                    ),
                    span,
                );
                return (None, Vec::new());
            };
            let key = self.word(lg, s, s + eq, w.text[..eq].to_string());
            if eq == 0 {
                self.error(format!("{name} names can not be blank"), key.span);
            }
            let value = self.word(lg, s + eq + 1, e, w.text[eq + 1..].to_string());
            args.push(key.value.clone());
            args.push(value.value.clone());
            args.push("=".to_string());
            kvs.push(KeyValue {
                key,
                value,
                legacy: false,
            });
        }
        (Some(kvs), args)
    }

    /// Reads the heredoc bodies announced on the instruction line (RUN, COPY, ADD, also as an
    /// ONBUILD trigger; not in JSON form).
    fn heredocs(&mut self, lg: &Logical, ins: &mut Instruction) {
        let (kw, json) = match &ins.kind {
            InstructionKind::Onbuild(inner) => (inner.keyword, inner.json),
            _ => (ins.keyword, ins.json),
        };
        if json
            || !matches!(kw, Keyword::Run | Keyword::Copy | Keyword::Add)
            || !lg.text.contains("<<")
        {
            return;
        }
        let src = self.src;
        for (s, e) in shell_words(&lg.text).unwrap_or_default() {
            let word = lg.text.get(s..e).unwrap_or("");
            if !word.contains("<<") {
                continue;
            }
            let marker = match heredoc_marker(word) {
                Ok(Some(m)) => m,
                Ok(None) => continue,
                Err(msg) => {
                    let span = self.span(lg, s, e);
                    self.error(msg, span);
                    continue;
                }
            };
            let marker_span = self.span(lg, s, e);
            let body_start = self.scan.pos.min(src.len());
            let mut body = String::new();
            let mut terminator = None;
            let mut body_end = body_start;
            while let Some(n) = self.scan.next_line() {
                let content = &src[n.start..n.end];
                let candidate = if marker.chomp {
                    content.trim_start_matches('\t')
                } else {
                    content
                };
                if candidate == marker.name {
                    terminator = Some(n);
                    break;
                }
                body.push_str(if marker.chomp {
                    content.trim_start_matches('\t')
                } else {
                    content
                });
                if n.next > n.end {
                    body.push('\n');
                }
                body_end = n.next;
            }
            let terminator_span = match terminator {
                Some(t) => {
                    body_end = t.start;
                    ins.span.end = self.loc.pos(t.end);
                    Some(self.loc.span(t.start, t.end))
                }
                None => {
                    self.error("unterminated heredoc", marker_span);
                    ins.span.end = self.loc.pos(src.len());
                    None
                }
            };
            let h = Heredoc {
                name: marker.name,
                expand: marker.expand,
                chomp: marker.chomp,
                body,
                marker_span,
                body_span: self.loc.span(body_start, body_end),
                terminator_span,
            };
            if let InstructionKind::Onbuild(inner) = &mut ins.kind {
                inner.heredocs.push(h.clone());
            }
            ins.heredocs.push(h);
        }
    }
}

/// BuildKit's stage name rule: `^[a-z][a-z0-9-_.]*$` (checked on the lowercased name).
fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// BuildKit's suggestion for an unknown instruction: the keyword at edit distance below 3
/// (closest first, ties to the alphabetically first), in the case style of what was written.
fn suggest_keyword(word: &str) -> Option<String> {
    const KEYWORDS: [&str; 18] = [
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    ];
    let lower = word.to_lowercase();
    if lower.chars().count() > 64 {
        return None;
    }
    let mut best: Option<(&str, usize)> = None;
    for k in KEYWORDS {
        let d = levenshtein(&lower, k);
        if d < best.map_or(3, |b| b.1) {
            best = Some((k, d));
        }
    }
    let (k, _) = best?;
    Some(if word == lower {
        k.to_string()
    } else if word == word.to_uppercase() {
        k.to_uppercase()
    } else {
        k.to_string()
    })
}

/// Edit distance in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
