//! The shell lexer: words (quotes, escapes, `$…` expansions, backticks), control operators and
//! redirection operators, with byte offsets. Command substitutions met inside a word are parsed on
//! the spot as nested scripts, so their commands are found and the word's end is exact.

use super::parser::{Parser, MAX_DEPTH, RPAREN};
use super::{RedirOp, Word};

/// A control operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    AndIf,
    OrIf,
    Semi,
    /// `;;`, `;&` or `;;&` (end of a `case` item).
    DSemi,
    Pipe,
    PipeAmp,
    Amp,
    LParen,
    RParen,
    Newline,
}

/// A token.
#[derive(Debug)]
pub(super) enum Tok {
    Word(Word),
    Op {
        op: Op,
        start: usize,
        end: usize,
    },
    Redir {
        op: RedirOp,
        fd: Option<u32>,
        start: usize,
        end: usize,
    },
    Eof,
}

/// Reserved words, recognised only in command position and when written unquoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kw {
    If,
    Then,
    Elif,
    Else,
    Fi,
    For,
    Select,
    In,
    Do,
    Done,
    While,
    Until,
    Case,
    Esac,
    LBrace,
    RBrace,
    Bang,
    Function,
    DBrClose,
}

impl Kw {
    fn of(word: &Word) -> Option<Kw> {
        if word.quoted || word.raw != word.value {
            return None;
        }
        Some(match word.value.as_str() {
            "if" => Kw::If,
            "then" => Kw::Then,
            "elif" => Kw::Elif,
            "else" => Kw::Else,
            "fi" => Kw::Fi,
            "for" => Kw::For,
            "select" => Kw::Select,
            "in" => Kw::In,
            "do" => Kw::Do,
            "done" => Kw::Done,
            "while" => Kw::While,
            "until" => Kw::Until,
            "case" => Kw::Case,
            "esac" => Kw::Esac,
            "{" => Kw::LBrace,
            "}" => Kw::RBrace,
            "!" => Kw::Bang,
            "function" => Kw::Function,
            "]]" => Kw::DBrClose,
            _ => return None,
        })
    }
}

/// What a token is, without its payload (cheap to copy while deciding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Eof,
    Op(Op),
    Redir,
    Word(Option<Kw>),
}

impl Tok {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Tok::Word(w) => Kind::Word(Kw::of(w)),
            Tok::Op { op, .. } => Kind::Op(*op),
            Tok::Redir { .. } => Kind::Redir,
            Tok::Eof => Kind::Eof,
        }
    }

    pub(super) fn start(&self) -> Option<usize> {
        match self {
            Tok::Word(w) => Some(w.start),
            Tok::Op { start, .. } | Tok::Redir { start, .. } => Some(*start),
            Tok::Eof => None,
        }
    }
}

/// The word being built.
#[derive(Default)]
pub(super) struct Acc {
    pub value: String,
    pub quoted: bool,
    pub dynamic: bool,
}

/// Bytes that end a run of ordinary word characters.
fn is_special(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b';'
            | b'&'
            | b'|'
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'\\'
            | b'\''
            | b'"'
            | b'$'
            | b'`'
    )
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `raw` is `NAME=` or `NAME+=` (the start of an array assignment when followed by `(`).
fn is_assign_prefix(raw: &str) -> bool {
    let name = raw
        .strip_suffix("+=")
        .or_else(|| raw.strip_suffix('='))
        .unwrap_or("");
    let b = name.as_bytes();
    b.first().is_some_and(|&c| is_name_start(c)) && b.iter().all(|&c| is_name_char(c))
}

/// The end (exclusive) of a balanced parenthesised region starting at the `(` at `open`,
/// skipping quoted text. Iterative: used for arithmetic and past the nesting cap.
pub(super) fn skip_parens(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while let Some(&c) = b.get(i) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'\\' => i += 1,
            b'\'' => {
                i = find_byte(b, i + 1, b'\'').unwrap_or(b.len());
            }
            b'"' => {
                let mut j = i + 1;
                while let Some(&d) = b.get(j) {
                    match d {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The end (exclusive) of `${…}` starting at the `$` at `dollar`, without recursion.
fn skip_braces_flat(b: &[u8], dollar: usize) -> usize {
    let mut depth = 0usize;
    let mut i = dollar + 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

pub(super) fn find_byte(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|p| p + from)
}

impl<'a> Parser<'a> {
    /// The text of `start..end`, or `""` when out of range.
    pub(super) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// Skips blanks, line continuations and a comment (a `#` at the start of a token).
    fn skip_blanks(&mut self) {
        loop {
            match self.byte(self.pos) {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\n') if self.cond => self.pos += 1,
                Some(b'\\') if self.byte(self.pos + 1) == Some(b'\n') => self.pos += 2,
                Some(b'\\')
                    if self.byte(self.pos + 1) == Some(b'\r')
                        && self.byte(self.pos + 2) == Some(b'\n') =>
                {
                    self.pos += 3
                }
                Some(b'#') => {
                    self.pos = find_byte(self.b, self.pos, b'\n').unwrap_or(self.b.len());
                }
                _ => return,
            }
        }
    }

    /// Reads the next token.
    pub(super) fn lex(&mut self) -> Tok {
        self.skip_blanks();
        let p = self.pos;
        let Some(c) = self.byte(p) else {
            return Tok::Eof;
        };
        let next = self.byte(p + 1);
        if self.cond {
            // Inside `[[ … ]]` these operators are words of the test expression.
            let n = match (c, next) {
                (b'&', Some(b'&')) | (b'|', Some(b'|')) => 2,
                (b'<' | b'>', Some(b'(')) => 0,
                (b'<' | b'>' | b'(' | b')' | b'|', _) => 1,
                _ => 0,
            };
            if n > 0 {
                self.pos += n;
                let text = self.slice(p, p + n);
                return Tok::Word(Word {
                    raw: text.to_string(),
                    value: text.to_string(),
                    start: p,
                    end: p + n,
                    quoted: false,
                    dynamic: false,
                });
            }
        }
        let op = |parser: &mut Parser, op: Op, n: usize| {
            parser.pos = p + n;
            Tok::Op {
                op,
                start: p,
                end: p + n,
            }
        };
        match c {
            b'\n' => {
                let t = op(self, Op::Newline, 1);
                self.skip_heredoc_bodies();
                t
            }
            b';' => match (next, self.byte(p + 2)) {
                (Some(b';'), Some(b'&')) => op(self, Op::DSemi, 3),
                (Some(b';'), _) | (Some(b'&'), _) => op(self, Op::DSemi, 2),
                _ => op(self, Op::Semi, 1),
            },
            b'&' => match next {
                Some(b'&') => op(self, Op::AndIf, 2),
                Some(b'>') => self.lex_redir(p, None),
                _ => op(self, Op::Amp, 1),
            },
            b'|' => match next {
                Some(b'|') => op(self, Op::OrIf, 2),
                Some(b'&') => op(self, Op::PipeAmp, 2),
                _ => op(self, Op::Pipe, 1),
            },
            b'(' => op(self, Op::LParen, 1),
            b')' => op(self, Op::RParen, 1),
            b'<' | b'>' => {
                if next == Some(b'(') {
                    Tok::Word(self.scan_word())
                } else {
                    self.lex_redir(p, None)
                }
            }
            b'0'..=b'9' => {
                let mut q = p;
                while self.byte(q).is_some_and(|d| d.is_ascii_digit()) {
                    q += 1;
                }
                let redir =
                    matches!(self.byte(q), Some(b'<' | b'>')) && self.byte(q + 1) != Some(b'(');
                if redir {
                    let fd = self.slice(p, q).parse::<u32>().ok();
                    self.pos = q;
                    self.lex_redir(p, fd)
                } else {
                    Tok::Word(self.scan_word())
                }
            }
            _ => Tok::Word(self.scan_word()),
        }
    }

    /// A redirection operator at `self.pos` (after any descriptor number, which began at `start`).
    fn lex_redir(&mut self, start: usize, fd: Option<u32>) -> Tok {
        let rest = self.b.get(self.pos..).unwrap_or(&[]);
        let (op, n) = if rest.starts_with(b"&>>") {
            (RedirOp::AppendOutErr, 3)
        } else if rest.starts_with(b"&>") {
            (RedirOp::OutErr, 2)
        } else if rest.starts_with(b"<<<") {
            (RedirOp::HereString, 3)
        } else if rest.starts_with(b"<<-") {
            (RedirOp::HeredocStrip, 3)
        } else if rest.starts_with(b"<<") {
            (RedirOp::Heredoc, 2)
        } else if rest.starts_with(b"<>") {
            (RedirOp::ReadWrite, 2)
        } else if rest.starts_with(b"<&") {
            (RedirOp::DupIn, 2)
        } else if rest.starts_with(b"<") {
            (RedirOp::In, 1)
        } else if rest.starts_with(b">>") {
            (RedirOp::Append, 2)
        } else if rest.starts_with(b">|") {
            (RedirOp::Clobber, 2)
        } else if rest.starts_with(b">&") {
            (RedirOp::DupOut, 2)
        } else {
            (RedirOp::Out, 1)
        };
        self.pos += n;
        Tok::Redir {
            op,
            fd,
            start,
            end: self.pos,
        }
    }

    /// Scans a word starting at `self.pos`.
    pub(super) fn scan_word(&mut self) -> Word {
        let start = self.pos;
        let mut acc = Acc::default();
        while let Some(c) = self.byte(self.pos) {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                b'<' | b'>' => {
                    if self.pos == start && self.byte(self.pos + 1) == Some(b'(') {
                        // Process substitution `<(…)` / `>(…)`.
                        self.pos += 2;
                        self.command_subst(start + 1);
                        acc.value.push_str(self.slice(start, self.pos));
                        acc.dynamic = true;
                    } else {
                        break;
                    }
                }
                b'(' => {
                    if is_assign_prefix(self.slice(start, self.pos)) {
                        // Array assignment `a=(x y)`: kept as one word.
                        let s = self.pos;
                        self.pos = skip_parens(self.b, s);
                        acc.value.push_str(self.slice(s, self.pos));
                    } else {
                        break;
                    }
                }
                b'\\' => self.scan_escape(&mut acc),
                b'\'' => {
                    acc.quoted = true;
                    let s = self.pos + 1;
                    let close = find_byte(self.b, s, b'\'');
                    let e = close.unwrap_or(self.b.len());
                    acc.value.push_str(self.slice(s, e));
                    self.pos = close.map_or(e, |c| c + 1);
                }
                b'"' => self.scan_dquote(&mut acc),
                b'$' => self.scan_dollar(&mut acc, false),
                b'`' => self.scan_backtick(&mut acc),
                _ => {
                    let s = self.pos;
                    while self.byte(self.pos).is_some_and(|c| !is_special(c)) {
                        self.pos += 1;
                    }
                    acc.value.push_str(self.slice(s, self.pos));
                }
            }
        }
        if self.pos == start {
            // Cannot happen through `lex`, but guarantee progress on any byte.
            let ch = self.src.get(start..).and_then(|s| s.chars().next());
            let n = ch.map_or(1, char::len_utf8);
            self.pos = (start + n).min(self.b.len()).max(start + 1);
            acc.value.push_str(self.slice(start, self.pos));
        }
        Word {
            raw: self.slice(start, self.pos).to_string(),
            value: acc.value,
            start,
            end: self.pos,
            quoted: acc.quoted,
            dynamic: acc.dynamic,
        }
    }

    /// A backslash outside quotes: escapes the next character or continues the line.
    fn scan_escape(&mut self, acc: &mut Acc) {
        match self.byte(self.pos + 1) {
            Some(b'\n') => self.pos += 2,
            Some(b'\r') if self.byte(self.pos + 2) == Some(b'\n') => self.pos += 3,
            Some(_) => {
                let ch = self.src.get(self.pos + 1..).and_then(|s| s.chars().next());
                match ch {
                    Some(ch) => {
                        acc.value.push(ch);
                        acc.quoted = true;
                        self.pos += 1 + ch.len_utf8();
                    }
                    None => {
                        acc.value.push('\\');
                        self.pos += 1;
                    }
                }
            }
            None => {
                acc.value.push('\\');
                self.pos += 1;
            }
        }
    }

    /// A double-quoted string at `self.pos` (unterminated: runs to the end of the text).
    fn scan_dquote(&mut self, acc: &mut Acc) {
        acc.quoted = true;
        self.pos += 1;
        while let Some(c) = self.byte(self.pos) {
            match c {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => match self.byte(self.pos + 1) {
                    Some(b'\n') => self.pos += 2,
                    Some(b'\r') if self.byte(self.pos + 2) == Some(b'\n') => self.pos += 3,
                    Some(d @ (b'$' | b'`' | b'"' | b'\\')) => {
                        acc.value.push(char::from(d));
                        self.pos += 2;
                    }
                    _ => {
                        acc.value.push('\\');
                        self.pos += 1;
                    }
                },
                b'$' => self.scan_dollar(acc, true),
                b'`' => self.scan_backtick(acc),
                _ => {
                    let s = self.pos;
                    while self
                        .byte(self.pos)
                        .is_some_and(|c| !matches!(c, b'"' | b'\\' | b'$' | b'`'))
                    {
                        self.pos += 1;
                    }
                    acc.value.push_str(self.slice(s, self.pos));
                }
            }
        }
    }

    /// `$…` at `self.pos`: a parameter, `${…}`, `$(…)`, `$((…))`, `$'…'`, `$"…"` or a lone `$`.
    fn scan_dollar(&mut self, acc: &mut Acc, in_dquote: bool) {
        let s = self.pos;
        match self.byte(s + 1) {
            Some(b'(') => {
                if self.byte(s + 2) == Some(b'(') {
                    self.pos = skip_parens(self.b, s + 1);
                } else {
                    self.pos = s + 2;
                    self.command_subst(s + 1);
                }
                acc.dynamic = true;
                acc.value.push_str(self.slice(s, self.pos));
            }
            Some(b'{') => {
                self.skip_braced(in_dquote);
                acc.dynamic = true;
                acc.value.push_str(self.slice(s, self.pos));
            }
            Some(b'\'') if !in_dquote => self.scan_ansi_c(acc),
            Some(b'"') if !in_dquote => {
                self.pos += 1;
                self.scan_dquote(acc);
            }
            Some(c) if is_name_start(c) => {
                self.pos = s + 1;
                while self.byte(self.pos).is_some_and(is_name_char) {
                    self.pos += 1;
                }
                acc.dynamic = true;
                acc.value.push_str(self.slice(s, self.pos));
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.pos = s + 2;
                acc.dynamic = true;
                acc.value.push_str(self.slice(s, self.pos));
            }
            _ => {
                acc.value.push('$');
                self.pos = s + 1;
            }
        }
    }

    /// `$'…'` (bash ANSI-C quoting): the common escapes are resolved.
    fn scan_ansi_c(&mut self, acc: &mut Acc) {
        acc.quoted = true;
        self.pos += 2;
        while let Some(c) = self.byte(self.pos) {
            match c {
                b'\'' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => {
                    let (ch, n) = match self.byte(self.pos + 1) {
                        Some(b'n') => ('\n', 2),
                        Some(b't') => ('\t', 2),
                        Some(b'r') => ('\r', 2),
                        Some(b'\\') => ('\\', 2),
                        Some(b'\'') => ('\'', 2),
                        Some(b'"') => ('"', 2),
                        _ => ('\\', 1),
                    };
                    acc.value.push(ch);
                    self.pos += n;
                }
                _ => {
                    let s = self.pos;
                    while self
                        .byte(self.pos)
                        .is_some_and(|c| c != b'\'' && c != b'\\')
                    {
                        self.pos += 1;
                    }
                    acc.value.push_str(self.slice(s, self.pos));
                }
            }
        }
    }

    /// `${…}` at `self.pos`, with nested expansions and quotes.
    fn skip_braced(&mut self, in_dquote: bool) {
        let s = self.pos;
        if self.depth >= MAX_DEPTH {
            self.pos = skip_braces_flat(self.b, s);
            return;
        }
        self.depth += 1;
        self.pos = s + 2;
        while let Some(c) = self.byte(self.pos) {
            match c {
                b'}' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => self.pos = (self.pos + 2).min(self.b.len()),
                b'\'' if !in_dquote => {
                    self.pos =
                        find_byte(self.b, self.pos + 1, b'\'').map_or(self.b.len(), |c| c + 1);
                }
                b'"' => self.scan_dquote(&mut Acc::default()),
                b'$' => self.scan_dollar(&mut Acc::default(), in_dquote),
                b'`' => self.scan_backtick(&mut Acc::default()),
                _ => self.pos += 1,
            }
        }
        self.depth -= 1;
    }

    /// A backticked command substitution at `self.pos`: its inside is parsed as a nested script.
    fn scan_backtick(&mut self, acc: &mut Acc) {
        let s = self.pos;
        let mut i = s + 1;
        let mut escaped = false;
        while let Some(c) = self.byte(i) {
            match c {
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b'`' => break,
                _ => i += 1,
            }
        }
        let close = i.min(self.b.len());
        let end = if close < self.b.len() {
            close + 1
        } else {
            close
        };
        self.pos = end;
        acc.dynamic = true;
        acc.value.push_str(self.slice(s, end));
        if self.depth >= MAX_DEPTH {
            return;
        }
        if escaped {
            // `\``, `\\` and `\$` are unescaped before the inside is parsed; offsets then map to
            // the whole substitution.
            let inner = self.slice(s + 1, close);
            let mut text = String::with_capacity(inner.len());
            let mut chars = inner.chars().peekable();
            while let Some(ch) = chars.next() {
                if ch == '\\' {
                    if let Some(&n) = chars.peek() {
                        if matches!(n, '`' | '\\' | '$') {
                            text.push(n);
                            chars.next();
                            continue;
                        }
                    }
                }
                text.push(ch);
            }
            self.run_child(&text, 0, Some((s, end)), true, false);
        } else {
            let src = self.src.get(..close).unwrap_or("");
            self.run_child(src, s + 1, None, true, false);
        }
    }

    /// A command substitution whose `$(` or `<(` ends just before `self.pos`; `open` is the
    /// offset of its `(`. Parses the inside and consumes the closing `)`.
    pub(super) fn command_subst(&mut self, open: usize) {
        if self.depth >= MAX_DEPTH {
            self.pos = skip_parens(self.b, open);
            return;
        }
        let saved = self.enter(true);
        self.closers = RPAREN;
        self.parse_list();
        if self.peek_kind() == super::lexer::Kind::Op(Op::RParen) {
            self.bump();
        }
        self.peeked = None;
        self.leave(saved);
    }
}
