//! The variable engine shared by lint and build: a re-implementation of BuildKit's Dockerfile
//! shell lexer. It removes quotes, applies the escape character (`\` or `` ` ``), expands `$NAME`,
//! `${NAME}` and the `${NAME<modifier>...}` forms BuildKit knows (`:-`, `-`, `:+`, `+`, `:?`, `?`,
//! `#`, `##`, `%`, `%%`, `/`, `//`), and splits the result into words the way BuildKit does for
//! instructions that take several words. It also records which variable names were found and which
//! were not, for the undefined-variable check.
//!
//! The lexer never panics: any input either expands or yields an [`ExpandError`] with the byte
//! offset (in the input word) where the problem was seen. `${…}` substitutions nest by recursion,
//! so nesting deeper than [`MAX_NESTING`] levels is an error at the `$` that goes one level too
//! deep (BuildKit has no limit; no real Dockerfile comes near it, and an unbounded depth lets one
//! line overflow the stack).

use std::collections::{BTreeMap, HashMap};

/// How deeply `${…}` substitutions may nest inside one another.
pub const MAX_NESTING: usize = 256;

/// Where variable values come from.
pub trait Env {
    /// The value of `name`, or `None` when unset. (Set-but-empty is `Some("")`.)
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Env for HashMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Env for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Env for [(String, String)] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An environment with no variables at all.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyEnv;

impl Env for EmptyEnv {
    fn lookup(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// The result of expanding one word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    pub value: String,
    /// Variables that were referenced and set.
    pub matched: Vec<String>,
    /// Variables that were referenced and unset.
    pub unmatched: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExpandError {
    pub message: String,
    /// Byte offset in the word where the problem is.
    pub offset: usize,
}

impl ExpandError {
    fn new(message: impl Into<String>, offset: usize) -> Self {
        ExpandError {
            message: message.into(),
            offset,
        }
    }
}

/// Everything one pass of the lexer produces, including the variable names it looked up even
/// when expansion failed part-way (BuildKit reports unmatched names in that case too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Processed {
    /// The expanded word (empty when `error` is set).
    pub value: String,
    /// The expanded text split into words (empty when `error` is set).
    pub words: Vec<String>,
    /// Names referenced and set, in first-seen order, without duplicates.
    pub matched: Vec<String>,
    /// Names referenced and unset, in first-seen order, without duplicates.
    pub unmatched: Vec<String>,
    pub error: Option<ExpandError>,
}

/// BuildKit's shell lexer: quoting, escapes and `$` expansion for one escape character.
#[derive(Clone, Debug)]
pub struct Lexer {
    pub escape: char,
    /// Quotes are ordinary characters: kept, with `$` expanded inside them (BuildKit's
    /// SkipProcessQuotes, used for the bodies of expanding heredocs).
    pub skip_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
}

impl Lexer {
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            skip_quotes: false,
            raw_escapes: false,
        }
    }

    /// Expands one word (no word splitting).
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<Expansion, ExpandError> {
        let p = self.process(word, env);
        match p.error {
            Some(e) => Err(e),
            None => Ok(Expansion {
                value: p.value,
                matched: p.matched,
                unmatched: p.unmatched,
            }),
        }
    }

    /// Expands and splits into words, as BuildKit does for exec-less lists.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ExpandError> {
        let p = self.process(word, env);
        match p.error {
            Some(e) => Err(e),
            None => Ok(p.words),
        }
    }

    /// One full pass over `word`: the expanded value, its words, the names looked up, and the
    /// error if expansion failed.
    pub fn process(&self, word: &str, env: &dyn Env) -> Processed {
        let mut run = Run {
            lexer: self,
            src: word,
            pos: 0,
            env,
            matched: Vec::new(),
            unmatched: Vec::new(),
            depth: 0,
        };
        let outcome = run.stop_on(None, self.raw_escapes);
        let (value, words, error) = match outcome {
            Ok((value, words)) => (value, words, None),
            Err(e) => (String::new(), Vec::new(), Some(e)),
        };
        Processed {
            value,
            words,
            matched: run.matched,
            unmatched: run.unmatched,
            error,
        }
    }
}

/// Accumulates BuildKit-style words: characters produced by `$` expansion split on white space,
/// quoted and escaped characters never do.
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        for ch in s.chars() {
            self.add_char(ch);
        }
    }

    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

/// POSIX special parameters: never set in a Dockerfile, but recognised as names.
fn is_special_param(ch: char) -> bool {
    matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

struct Run<'a> {
    lexer: &'a Lexer,
    src: &'a str,
    pos: usize,
    env: &'a dyn Env,
    matched: Vec<String>,
    unmatched: Vec<String>,
    /// How many `${` the current position is inside.
    depth: usize,
}

type Stopped = (String, Vec<String>);

impl Run<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.pos += ch.len_utf8();
        Some(ch)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn get_env(&mut self, name: &str) -> Option<String> {
        match self.env.lookup(name) {
            Some(v) => {
                if !self.matched.iter().any(|m| m == name) {
                    self.matched.push(name.to_string());
                }
                Some(v.to_string())
            }
            None => {
                if !self.unmatched.iter().any(|m| m == name) {
                    self.unmatched.push(name.to_string());
                }
                None
            }
        }
    }

    /// Reads until `stop` (consumed) or the end of input (`stop == None`).
    fn stop_on(&mut self, stop: Option<char>, raw_escapes: bool) -> Result<Stopped, ExpandError> {
        let mut result = String::new();
        let mut words = Words::default();
        let escape = self.lexer.escape;
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.bump();
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let s = self.dollar()?;
                    result.push_str(&s);
                    words.add_string(&s);
                }
                '\'' if !self.lexer.skip_quotes => {
                    let s = self.single_quote()?;
                    result.push_str(&s);
                    words.add_raw_string(&s);
                }
                '"' if !self.lexer.skip_quotes => {
                    let s = self.double_quote(raw_escapes)?;
                    result.push_str(&s);
                    words.add_raw_string(&s);
                }
                _ => {
                    self.bump();
                    if ch == escape {
                        if raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        // An escape at the very end is dropped.
                        let Some(next) = self.bump() else { break };
                        words.add_raw_char(next);
                        result.push(next);
                    } else {
                        words.add_char(ch);
                        result.push(ch);
                    }
                }
            }
        }
        if let Some(stop) = stop {
            return Err(ExpandError::new(
                format!("unexpected end of statement while looking for matching {stop}"),
                self.src.len(),
            ));
        }
        Ok((result, words.finish()))
    }

    fn single_quote(&mut self) -> Result<String, ExpandError> {
        let start = self.pos;
        let mut out = String::new();
        self.bump();
        loop {
            match self.bump() {
                None => {
                    return Err(ExpandError::new(
                        "unexpected end of statement while looking for matching single-quote",
                        start,
                    ))
                }
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    fn double_quote(&mut self, raw_escapes: bool) -> Result<String, ExpandError> {
        let start = self.pos;
        let mut out = String::new();
        let escape = self.lexer.escape;
        self.bump();
        loop {
            match self.peek() {
                None => {
                    return Err(ExpandError::new(
                        "unexpected end of statement while looking for matching double-quote",
                        start,
                    ))
                }
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('$') => {
                    let s = self.dollar()?;
                    out.push_str(&s);
                }
                Some(mut ch) => {
                    self.bump();
                    if ch == escape {
                        if raw_escapes {
                            out.push(ch);
                        }
                        match self.peek() {
                            // A trailing escape is dropped; the missing quote errors next.
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == escape => {
                                self.bump();
                                ch = n;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    /// Reads a variable name after `$` or `${`. Digits form a positional name; one special
    /// character forms a special-parameter name.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                while let Some(d) = self.peek() {
                    if !d.is_numeric() {
                        break;
                    }
                    self.bump();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && is_special_param(ch) {
                self.bump();
                name.push(ch);
                return name;
            }
            if !ch.is_alphabetic() && !ch.is_numeric() && ch != '_' {
                break;
            }
            self.bump();
            name.push(ch);
        }
        name
    }

    fn dollar(&mut self) -> Result<String, ExpandError> {
        let dollar_at = self.pos;
        self.bump();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(self.get_env(&name).unwrap_or_default());
        }
        if self.depth >= MAX_NESTING {
            return Err(ExpandError::new(
                format!(
                    "variable substitutions nested more than {MAX_NESTING} levels deep; \
                     flatten them into separate ARG or ENV steps"
                ),
                dollar_at,
            ));
        }
        self.depth += 1;
        let out = self.braced(dollar_at);
        self.depth -= 1;
        out
    }

    /// `${…}` after the `$` at `dollar_at`, with the position just after the `$`.
    fn braced(&mut self, dollar_at: usize) -> Result<String, ExpandError> {
        self.bump();
        match self.peek() {
            None => {
                return Err(ExpandError::new(
                    "syntax error: missing '}'",
                    self.src.len(),
                ))
            }
            Some('{' | '}' | ':') => {
                return Err(ExpandError::new(
                    "syntax error: bad substitution",
                    dollar_at,
                ))
            }
            Some(_) => {}
        }
        let name = self.name();
        let modifier_at = self.pos;
        let first = self.bump();
        match first {
            Some('}') => Ok(self.get_env(&name).unwrap_or_default()),
            Some(c @ (':' | '+' | '-' | '?' | '#' | '%')) => {
                let null_is_unset = c == ':';
                let (op, op_text) = if null_is_unset {
                    let second = self.bump();
                    let mut t = String::from(":");
                    if let Some(s) = second {
                        t.push(s);
                    }
                    (second, t)
                } else {
                    (Some(c), c.to_string())
                };
                let raw = matches!(op, Some('#' | '%'));
                let (word, _) = self.nested('}', raw)?;
                let value = self.get_env(&name);
                match op {
                    Some('-') => Ok(match value {
                        Some(v) if !(null_is_unset && v.is_empty()) => v,
                        _ => word,
                    }),
                    Some('+') => Ok(match value {
                        Some(v) if !(null_is_unset && v.is_empty()) => word,
                        _ => String::new(),
                    }),
                    Some('?') => match value {
                        None => Err(ExpandError::new(
                            format!(
                                "{name}: {}",
                                if word.is_empty() {
                                    "is not allowed to be unset"
                                } else {
                                    &word
                                }
                            ),
                            dollar_at,
                        )),
                        Some(v) if null_is_unset && v.is_empty() => Err(ExpandError::new(
                            format!(
                                "{name}: {}",
                                if word.is_empty() {
                                    "is not allowed to be empty"
                                } else {
                                    &word
                                }
                            ),
                            dollar_at,
                        )),
                        Some(v) => Ok(v),
                    },
                    Some(o @ ('%' | '#')) => {
                        let (pattern, greedy) = match word.strip_prefix(o) {
                            Some(rest) => (rest, true),
                            None => (word.as_str(), false),
                        };
                        let value = value.unwrap_or_default();
                        let out = if o == '%' {
                            trim_suffix(pattern, &value, greedy)
                        } else {
                            trim_prefix(pattern, &value, greedy)
                        };
                        out.map_err(|m| ExpandError::new(m, modifier_at))
                    }
                    _ => Err(ExpandError::new(
                        format!("unsupported modifier ({op_text}) in substitution"),
                        modifier_at,
                    )),
                }
            }
            Some('/') => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.bump();
                }
                let pattern = match self.stop_on(Some('/'), true) {
                    Ok((p, _)) => p,
                    Err(e) => {
                        if self.at_end() {
                            return Err(ExpandError::new(
                                "syntax error: missing '/' in ${}",
                                self.src.len(),
                            ));
                        }
                        return Err(e);
                    }
                };
                let (replacement, _) = self.nested('}', true)?;
                let value = self.get_env(&name).unwrap_or_default();
                let re = shell_pattern_regex(&pattern, true, false).map_err(|m| {
                    ExpandError::new(
                        format!("invalid pattern ({pattern}) in substitution: {m}"),
                        modifier_at,
                    )
                })?;
                if replace_all {
                    Ok(re.replace_all(&value, replacement.as_str()).into_owned())
                } else {
                    Ok(match re.find(&value) {
                        Some(m) => {
                            let mut out = String::with_capacity(value.len() + replacement.len());
                            out.push_str(&value[..m.start()]);
                            out.push_str(&replacement);
                            out.push_str(&value[m.end()..]);
                            out
                        }
                        None => value,
                    })
                }
            }
            None => Err(ExpandError::new(
                "syntax error: missing '}'",
                self.src.len(),
            )),
            Some(other) => Err(ExpandError::new(
                format!("unsupported modifier ({other}) in substitution"),
                modifier_at,
            )),
        }
    }

    /// The word inside `${name<op>...}` up to the closing `stop`; running off the end is reported
    /// as a missing `}` whatever the inner error was, as BuildKit does.
    fn nested(&mut self, stop: char, raw_escapes: bool) -> Result<Stopped, ExpandError> {
        match self.stop_on(Some(stop), raw_escapes) {
            Ok(r) => Ok(r),
            Err(e) => {
                if self.at_end() {
                    Err(ExpandError::new(
                        "syntax error: missing '}'",
                        self.src.len(),
                    ))
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Converts a shell glob (`*` any string, `?` one character, `\` escapes `*`, `?`, `\`; `\}` and
/// `\/` stand for `}` and `/`) into a regular expression. Bracket expressions are not supported,
/// as in BuildKit. `greedy` picks the longest match for `*`; `anchored` matches at the start only.
fn shell_pattern_regex(
    pattern: &str,
    greedy: bool,
    anchored: bool,
) -> Result<regex::Regex, String> {
    let mut out = String::with_capacity(pattern.len() + 4);
    if anchored {
        out.push('^');
    }
    let star = if greedy { ".*" } else { ".*?" };
    let mut chars = pattern.chars().peekable();
    let mut buf = [0u8; 4];
    while let Some(tok) = chars.next() {
        match tok {
            '*' => out.push_str(star),
            '?' => out.push('.'),
            '\\' => {
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(c @ ('*' | '?' | '\\')) => {
                        out.push('\\');
                        out.push(c);
                    }
                    Some(c) => return Err(format!("invalid escape '\\{c}'")),
                    None => return Err("invalid escape '\\' at end of pattern".to_string()),
                }
            }
            c => out.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
    }
    regex::Regex::new(&out).map_err(|e| e.to_string())
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let re = shell_pattern_regex(pattern, greedy, true)
        .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
    Ok(match re.find(value) {
        Some(m) => value[m.end()..].to_string(),
        None => value.to_string(),
    })
}

/// Reverses a pattern but keeps each `\x` escape pair in order.
fn reverse_pattern(pattern: &str) -> String {
    let mut tokens: Vec<String> = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let mut t = String::from(c);
        if c == '\\' {
            if let Some(n) = chars.next() {
                t.push(n);
            }
        }
        tokens.push(t);
    }
    tokens.into_iter().rev().collect()
}

/// Removes the shortest (or, `greedy`, longest) suffix of `value` matching `pattern`; done by
/// matching the reversed pattern at the start of the reversed value.
fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let rev_value: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reverse_pattern(pattern), &rev_value, greedy)?;
    Ok(trimmed.chars().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn word(input: &str, e: &HashMap<String, String>) -> Result<String, ExpandError> {
        Lexer::new('\\').process_word(input, e).map(|x| x.value)
    }

    #[test]
    fn plain_and_quotes() {
        let e = env(&[("A", "x y")]);
        assert_eq!(word("abc", &e).unwrap(), "abc");
        assert_eq!(word("'a$A'", &e).unwrap(), "a$A");
        assert_eq!(word("\"a$A\"", &e).unwrap(), "ax y");
        assert_eq!(word("a\\$A", &e).unwrap(), "a$A");
        assert!(word("'abc", &e).is_err());
        assert!(word("\"abc", &e).is_err());
    }

    #[test]
    fn backtick_escape() {
        let e = env(&[("A", "v")]);
        let lx = Lexer::new('`');
        assert_eq!(lx.process_word("a`$A", &e).unwrap().value, "a$A");
        assert_eq!(lx.process_word("C:\\$A", &e).unwrap().value, "C:\\v");
        assert_eq!(lx.process_word("\"q`\"x\"", &e).unwrap().value, "q\"x");
    }

    #[test]
    fn nesting_is_bounded() {
        let e = env(&[]);
        let nest = |n: usize| format!("{}x{}", "${a:-".repeat(n), "}".repeat(n));
        assert_eq!(word(&nest(MAX_NESTING), &e).unwrap(), "x");
        let err = word(&nest(100_000), &e).unwrap_err();
        assert!(err.message.contains("nested more than"), "{}", err.message);
        assert_eq!(err.offset, MAX_NESTING * "${a:-".len());
        // Inside quotes and replacement patterns too.
        let quoted = format!("\"{}\"", nest(100_000));
        assert!(word(&quoted, &e).is_err());
        let replace = format!("{}x{}", "${a/b/".repeat(100_000), "}".repeat(100_000));
        assert!(word(&replace, &e).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn modifiers() {
        let e = env(&[("SET", "val"), ("EMPTY", "")]);
        assert_eq!(word("${SET:-d}", &e).unwrap(), "val");
        assert_eq!(word("${EMPTY:-d}", &e).unwrap(), "d");
        assert_eq!(word("${EMPTY-d}", &e).unwrap(), "");
        assert_eq!(word("${NOPE-d}", &e).unwrap(), "d");
        assert_eq!(word("${SET:+w}", &e).unwrap(), "w");
        assert_eq!(word("${EMPTY:+w}", &e).unwrap(), "");
        assert_eq!(word("${EMPTY+w}", &e).unwrap(), "w");
        assert_eq!(word("${NOPE+w}", &e).unwrap(), "");
        assert_eq!(word("${EMPTY?m}", &e).unwrap(), "");
        let err = word("${EMPTY:?must be set}", &e).unwrap_err();
        assert_eq!(err.message, "EMPTY: must be set");
        assert_eq!(err.offset, 0);
        let err = word("ab${NOPE?}", &e).unwrap_err();
        assert_eq!(err.message, "NOPE: is not allowed to be unset");
        assert_eq!(err.offset, 2);
        assert!(word("${SET=x}", &e).is_err());
        assert!(word("${SET:=x}", &e).is_err());
    }

    #[test]
    fn trims() {
        let e = env(&[("F", "dir/sub/file.tar.gz")]);
        assert_eq!(word("${F#*/}", &e).unwrap(), "sub/file.tar.gz");
        assert_eq!(word("${F##*/}", &e).unwrap(), "file.tar.gz");
        assert_eq!(word("${F%.*}", &e).unwrap(), "dir/sub/file.tar");
        assert_eq!(word("${F%%.*}", &e).unwrap(), "dir/sub/file");
        assert_eq!(word("${F%x}", &e).unwrap(), "dir/sub/file.tar.gz");
        assert_eq!(word("${F#d?r}", &e).unwrap(), "/sub/file.tar.gz");
        let e = env(&[("X", "a***yy*")]);
        assert_eq!(word("${X%%\\**\\*}", &e).unwrap(), "a");
        let e = env(&[("X", "()[]{}^$.*?|\\x")]);
        assert_eq!(word("${X#()[]{\\}^$.\\*\\?|\\\\}", &e).unwrap(), "x");
        assert!(word("${X#\\x}", &e).is_err());
        let e = env(&[("FOO", "xxyy")]);
        assert_eq!(word("${FOO#*x*y}", &e).unwrap(), "y");
        assert_eq!(word("${FOO#*}", &e).unwrap(), "xxyy");
        assert_eq!(word("${FOO##*x}", &e).unwrap(), "yy");
        assert_eq!(word("${FOO##}", &e).unwrap(), "xxyy");
        assert_eq!(word("${FOO%}", &e).unwrap(), "xxyy");
        assert_eq!(word("${FOO%y*}", &e).unwrap(), "xxy");
        assert_eq!(word("${FOO%%y*}", &e).unwrap(), "xx");
        assert_eq!(word("${ABC:-.}${FOO%x}${ABC:-.}", &e).unwrap(), ".xxyy.");
        let e = env(&[("FOO", "???y")]);
        assert_eq!(word("${FOO#?\\?}", &e).unwrap(), "?y");
        let e = env(&[("FOO", "xx**")]);
        assert_eq!(word("${FOO%%\\**}", &e).unwrap(), "xx");
        let e = env(&[("FOO", "héllo wörld")]);
        assert_eq!(word("${FOO#h?}", &e).unwrap(), "llo wörld");
        assert_eq!(word("${FOO%ö*}", &e).unwrap(), "héllo w");
    }

    #[test]
    fn release_name_pattern() {
        let e = env(&[
            ("VERSION", "v1.2.3"),
            ("TARGETOS", "linux"),
            ("TARGETARCH", "arm"),
            ("TARGETVARIANT", "v7"),
        ]);
        let w = "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
        let x = Lexer::new('\\').process_word(w, &e).unwrap();
        assert_eq!(x.value, "something-v1.2.3.linux-arm-v7.tar.gz");
        assert_eq!(x.matched.len(), 4);
        let e = env(&[
            ("VERSION", "v1"),
            ("TARGETOS", "linux"),
            ("TARGETARCH", "amd64"),
        ]);
        let x = Lexer::new('\\').process_word(w, &e).unwrap();
        assert_eq!(x.value, "something-v1.linux-amd64.tar.gz");
        assert_eq!(x.unmatched, vec!["TARGETVARIANT"]);
    }

    #[test]
    fn replace() {
        let e = env(&[("F", "/a/foo/b/c.txt"), ("N", "/?/"), ("R", "/")]);
        assert_eq!(word("${F/$N/$R}", &e).unwrap(), "/foo/b/c.txt");
        assert_eq!(word("${F//$N/$R}", &e).unwrap(), "/foo/c.txt");
        let e = env(&[("F", "/tmp/foo.txt")]);
        assert_eq!(word("${F//\\//\\/}", &e).unwrap(), "\\/tmp\\/foo.txt");
        let e = env(&[("F", "xxyy")]);
        assert!(word("${F//ww}", &e).is_err());
        assert!(word("${F//}", &e).is_err());
        assert_eq!(word("${F///}", &e).unwrap(), "xxyy");
        assert_eq!(word("${F/x/}", &e).unwrap(), "xyy");
        assert_eq!(word("${F/$NONE/ww}", &e).unwrap(), "wwxxyy");
    }

    #[test]
    fn matches_are_tracked() {
        let e = env(&[("FOO", "xxx"), ("BAR", "")]);
        let x = Lexer::new('\\')
            .process_word("${FOO-a} ${BAR-b} ${BAZ-c} $BAZ", &e)
            .unwrap();
        assert_eq!(x.value, "xxx  c ");
        assert_eq!(x.matched, vec!["FOO", "BAR"]);
        assert_eq!(x.unmatched, vec!["BAZ"]);
        // Names looked up before an error are still reported.
        let p = Lexer::new('\\').process("$A ${B:?}", &e);
        assert!(p.error.is_some());
        assert_eq!(p.unmatched, vec!["A", "B"]);
    }

    #[test]
    fn word_splitting() {
        let e = env(&[("S", " a  b ")]);
        let lx = Lexer::new('\\');
        assert_eq!(
            lx.process_words("x${S}y", &e).unwrap(),
            ["x", "a", "b", "y"]
        );
        assert_eq!(lx.process_words("x\"${S}\"y", &e).unwrap(), ["x a  b y"]);
        assert_eq!(lx.process_words("a\\ b c", &e).unwrap(), ["a b", "c"]);
        assert_eq!(lx.process_words("  ", &e).unwrap(), Vec::<String>::new());
        assert_eq!(lx.process_words("\"\" a", &e).unwrap(), ["a"]);
    }

    #[test]
    fn raw_modes() {
        let e = env(&[("A", "v")]);
        let lx = Lexer {
            escape: '\\',
            skip_quotes: true,
            raw_escapes: true,
        };
        assert_eq!(
            lx.process_word("'x' \"$A\" \\y", &e).unwrap().value,
            "'x' \"v\" \\y"
        );
        // BuildKit's heredoc mode: quotes are plain, `$` expands inside them, escapes apply.
        let heredoc = Lexer {
            escape: '\\',
            skip_quotes: true,
            raw_escapes: false,
        };
        assert_eq!(
            heredoc
                .process_word("'$A' \"$A\" \\$ \\\\ \\\n", &e)
                .unwrap()
                .value,
            "'v' \"v\" $ \\ \n"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let e = env(&[("한", "국"), ("A", "é")]);
        let inputs = [
            "",
            "$",
            "${",
            "${:-}",
            "${A",
            "${A:",
            "${A:-",
            "${A/",
            "${A//",
            "${A/x",
            "${A#",
            "${A%%",
            "'",
            "\"",
            "\\",
            "`",
            "$$$",
            "${}",
            "${{}}",
            "${A:?",
            "$한",
            "${한}",
            "${A#é}",
            "${A%é}",
            "${A/é/ü}",
            "\"\\",
            "\"$",
            "\"${",
            "${A-\"}",
            "${A-'}",
            "😀$😀",
            "${😀}",
            "${A:😀}",
            "$\u{0301}",
            "${A/[/]}",
            "${A#[}",
            "${A%\\}",
            "\\\\\\",
        ];
        for input in inputs {
            for escape in ['\\', '`'] {
                let lx = Lexer::new(escape);
                let p = lx.process(input, &e);
                if let Some(err) = &p.error {
                    assert!(err.offset <= input.len(), "{input:?}: {err:?}");
                }
                let _ = lx.process_words(input, &e);
            }
        }
        // Every prefix of a tricky word (on char boundaries) must be handled.
        let tricky = "a${B:-'x}y'}\"$C${D//\\//é}\"\\`";
        for (i, _) in tricky.char_indices() {
            let _ = Lexer::new('\\').process(&tricky[..i], &e);
        }
        assert_eq!(word("$", &e).unwrap(), "$");
        assert!(word("${", &e).is_err());
        assert!(word("${:-}", &e).is_err());
        assert_eq!(word("$한", &e).unwrap(), "국");
    }

    #[test]
    fn random_words_never_panic() {
        let alphabet: Vec<char> = "${}:-+?#%/\\`'\"aB_1 é*.[]=!@0\n".chars().collect();
        let e = env(&[("a", "x*y"), ("B", ""), ("aB", "é/é")]);
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 16) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            for escape in ['\\', '`'] {
                let p = Lexer::new(escape).process(&s, &e);
                if let Some(err) = p.error {
                    assert!(err.offset <= s.len(), "{s:?}: {err:?}");
                    assert!(s.is_char_boundary(err.offset), "{s:?}: {err:?}");
                }
            }
        }
    }

    #[test]
    fn error_offsets() {
        let e = env(&[]);
        assert_eq!(word("ab${}", &e).unwrap_err().offset, 2);
        assert_eq!(word("ab'cd", &e).unwrap_err().offset, 2);
        assert_eq!(word("ab${x", &e).unwrap_err().offset, 5);
        assert_eq!(word("${x:y}", &e).unwrap_err().offset, 3);
    }

    #[test]
    fn pattern_helpers() {
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern("ab\\"), "\\ba");
        assert_eq!(reverse_pattern("\\\\b"), "b\\\\");
        let re = shell_pattern_regex("(()[]{\\}^$.\\*\\?|\\\\", true, true).unwrap();
        assert!(re.is_match("(()[]{}^$.*?|\\"));
        assert!(shell_pattern_regex("\\", true, true).is_err());
        assert!(shell_pattern_regex("\\x", true, true).is_err());
    }
}
