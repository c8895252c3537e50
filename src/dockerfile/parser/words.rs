//! Word-level lexing of one logical instruction line, with BuildKit's rules: the leading
//! `--flag[=value]` words, quote-preserving words of ENV/LABEL/ARG, whitespace-separated
//! arguments, and the shell-style words scanned for heredoc markers (`<<EOF`, `<<-'EOF'`, …).
//! Every function returns byte ranges into the text it was given, so callers can map them back to
//! the source.

/// BuildKit's `[\t\v\f\r ]` separator class (splitting the keyword and whitespace-separated
/// arguments).
pub(crate) fn is_sep(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// One `--flag` word before the arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawFlag {
    /// Byte range of the whole word.
    pub start: usize,
    pub end: usize,
    /// The word with quotes and backslash escapes processed (BuildKit's flag string).
    pub text: String,
    /// Byte offset where the raw value starts (just after the first `=`), if any.
    pub value_start: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

fn char_at(s: &str, pos: usize) -> char {
    s.get(pos..).and_then(|r| r.chars().next()).unwrap_or('\0')
}

/// Extracts leading `--name[=value]` words. Returns the offset where the arguments start and the
/// flags. A bare `--` word ends the flags and is dropped. The escape character here is always
/// `\`, whatever the `# escape=` directive says, as in BuildKit.
pub(crate) fn extract_flags(s: &str) -> (usize, Vec<RawFlag>) {
    let b = s.as_bytes();
    let len = s.len();
    let mut flags = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut start = 0;
    let mut value_start = None;
    let mut pos = 0;
    fn push(
        flags: &mut Vec<RawFlag>,
        word: &str,
        start: usize,
        end: usize,
        value_start: Option<usize>,
    ) {
        flags.push(RawFlag {
            start,
            end,
            text: word.to_string(),
            value_start,
        })
    }
    loop {
        if phase == Phase::Spaces {
            if pos >= len {
                return (len, flags);
            }
            let ch = char_at(s, pos);
            if ch.is_whitespace() {
                pos += ch.len_utf8();
                continue;
            }
            if !(ch == '-' && b.get(pos + 1) == Some(&b'-')) {
                return (pos, flags);
            }
            phase = Phase::Word;
            start = pos;
        }
        if pos >= len {
            if word != "--" && (blank_ok || !word.is_empty()) {
                push(&mut flags, &word, start, len, value_start);
            }
            return (len, flags);
        }
        let mut ch = char_at(s, pos);
        if phase == Phase::Word {
            if ch.is_whitespace() {
                if word == "--" {
                    return (pos, flags);
                }
                if blank_ok || !word.is_empty() {
                    push(&mut flags, &word, start, pos, value_start);
                }
                phase = Phase::Spaces;
                word.clear();
                blank_ok = false;
                value_start = None;
                pos += ch.len_utf8();
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            if ch == '\\' {
                if pos + 1 == len {
                    pos += 1;
                    continue;
                }
                pos += 1;
                ch = char_at(s, pos);
            }
        } else {
            if ch == quote {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            if ch == '\\' {
                if pos + 1 == len {
                    phase = Phase::Word;
                    pos += 1;
                    continue;
                }
                pos += 1;
                ch = char_at(s, pos);
            }
        }
        if ch == '=' && value_start.is_none() {
            value_start = Some(pos + 1);
        }
        word.push(ch);
        pos += ch.len_utf8();
    }
}

/// A word of ENV/LABEL/ARG: byte range and BuildKit's value (quotes and escapes kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawWord {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// BuildKit's `parseWords`: splits on whitespace outside quotes, keeping quotes and escape
/// characters in the words (an escape character at the very end is dropped).
pub(crate) fn parse_words(s: &str, escape: char) -> Vec<RawWord> {
    let len = s.len();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut sb = String::new();
    let mut start = 0;
    let mut pos = 0;
    loop {
        if pos >= len {
            if phase != Phase::Spaces && (blank_ok || !sb.is_empty()) {
                words.push(RawWord {
                    start,
                    end: len,
                    text: std::mem::take(&mut sb),
                });
            }
            return words;
        }
        let mut ch = char_at(s, pos);
        let mut w = ch.len_utf8();
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                pos += w;
                continue;
            }
            phase = Phase::Word;
            start = pos;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !sb.is_empty() {
                    words.push(RawWord {
                        start,
                        end: pos,
                        text: std::mem::take(&mut sb),
                    });
                }
                sb.clear();
                blank_ok = false;
                pos += w;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if pos + w == len {
                    pos += w;
                    continue;
                }
                sb.push(ch);
                pos += w;
                ch = char_at(s, pos);
                w = ch.len_utf8();
            }
            sb.push(ch);
            pos += w;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if pos + w == len {
                phase = Phase::Word;
                pos += w;
                continue;
            }
            sb.push(ch);
            pos += w;
            ch = char_at(s, pos);
            w = ch.len_utf8();
        }
        sb.push(ch);
        pos += w;
    }
}

/// Splits on runs of `[\t\v\f\r ]` (BuildKit's `reWhitespace`); returns the pieces' ranges.
/// At most `limit` pieces (the last one takes the rest), like Go's `Split(s, n)`.
pub(crate) fn split_ws(s: &str, limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if s.is_empty() {
        return out;
    }
    let mut piece_start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if out.len() + 1 == limit {
            break;
        }
        if is_sep(c) {
            let mut j = i + c.len_utf8();
            while let Some(&(k, d)) = iter.peek() {
                if !is_sep(d) {
                    break;
                }
                j = k + d.len_utf8();
                iter.next();
            }
            out.push((piece_start, i));
            piece_start = j;
        }
    }
    out.push((piece_start, s.len()));
    out
}

/// Shell-style word ranges of a line, quotes and escapes kept raw (the words BuildKit scans for
/// heredoc markers). `${...}` stays in one word. `None` when the line does not lex (an
/// unterminated quote or `${`): BuildKit then finds no heredoc in it.
pub(crate) fn shell_words(s: &str) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push((st, i));
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        match c {
            '\\' => {
                chars.next();
            }
            '\'' => {
                chars.by_ref().find(|&(_, d)| d == '\'')?;
            }
            '"' => loop {
                match chars.next()?.1 {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            },
            // BuildKit's lexer keeps blanks after `<<` in the word: `<<  EOF` is one marker.
            '<' if chars.peek().map(|p| p.1) == Some('<') => {
                chars.next();
                while chars.next_if(|&(_, d)| d == ' ' || d == '\t').is_some() {}
            }
            '$' if chars.peek().map(|p| p.1) == Some('{') => {
                let mut depth = 0usize;
                loop {
                    match chars.next()?.1 {
                        '{' => depth += 1,
                        '}' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    Some(out)
}

/// A heredoc marker read from one word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Marker {
    pub name: String,
    pub expand: bool,
    pub chomp: bool,
}

/// Matches BuildKit's `^(\d*)<<(-?)([^<]*)$` on a word and reads the delimiter (quotes removed;
/// quoted delimiters mean no expansion). `Err` for an unterminated quote in the delimiter.
pub(crate) fn heredoc_marker(word: &str) -> Result<Option<Marker>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(rest) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    // `\s*` between the operator and the delimiter.
    let rest = rest.trim_start_matches(['\t', '\n', '\u{c}', '\r', ' ']);
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    // Unquote as one shell word.
    let mut name = String::new();
    let mut quoted = false;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(d) = chars.next() {
                    name.push(d);
                }
            }
            '\'' => {
                quoted = true;
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == '\'' {
                        closed = true;
                        break;
                    }
                    name.push(d);
                }
                if !closed {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    );
                }
            }
            '"' => {
                quoted = true;
                let mut closed = false;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            if let Some(e) = chars.next() {
                                name.push(e);
                            }
                        }
                        _ => name.push(d),
                    }
                }
                if !closed {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    );
                }
            }
            c if c.is_whitespace() => return Ok(None),
            _ => name.push(c),
        }
    }
    if name.is_empty() {
        return Ok(None);
    }
    Ok(Some(Marker {
        name,
        expand: !quoted,
        chomp,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[RawFlag]) -> Vec<&str> {
        v.iter().map(|f| f.text.as_str()).collect()
    }

    #[test]
    fn flags() {
        let s = "--user=me --doit=true foo /tmp/";
        let (at, f) = extract_flags(s);
        assert_eq!(&s[at..], "foo /tmp/");
        assert_eq!(texts(&f), vec!["--user=me", "--doit=true"]);
        assert_eq!((f[0].start, f[0].end, f[0].value_start), (0, 9, Some(7)));

        let s = "--doit=true -- foo";
        let (at, f) = extract_flags(s);
        assert_eq!(s[at..].trim(), "foo");
        assert_eq!(texts(&f), vec!["--doit=true"]);

        let (at, f) = extract_flags("--a=\"x y\" -b");
        assert_eq!(at, 10);
        assert_eq!(texts(&f), vec!["--a=x y"]);

        let (at, f) = extract_flags("--doit --");
        assert_eq!(at, 9);
        assert_eq!(texts(&f), vec!["--doit"]);
        assert_eq!(extract_flags("echo --x").0, 0);
    }

    #[test]
    fn words_keep_quotes() {
        let w: Vec<_> = parse_words(r#"abc="123 456" def x\ y"#, '\\')
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(w, vec!["abc=\"123 456\"", "def", "x\\ y"]);
        let w = parse_words("a=b\\", '\\');
        assert_eq!(w[0].text, "a=b");
        assert_eq!(w[0].end, 4);
    }

    #[test]
    fn split() {
        let s = "a \t b\u{b}c";
        let parts: Vec<_> = split_ws(s, usize::MAX)
            .into_iter()
            .map(|(a, b)| &s[a..b])
            .collect();
        assert_eq!(parts, vec!["a", "b", "c"]);
        let s = "k  v  w";
        let parts: Vec<_> = split_ws(s, 2).into_iter().map(|(a, b)| &s[a..b]).collect();
        assert_eq!(parts, vec!["k", "v  w"]);
        assert!(split_ws("", 2).is_empty());
    }

    #[test]
    fn markers() {
        let m = heredoc_marker("<<EOF").unwrap().unwrap();
        assert_eq!((m.name.as_str(), m.expand, m.chomp), ("EOF", true, false));
        let m = heredoc_marker("<<-'EOF'").unwrap().unwrap();
        assert_eq!((m.name.as_str(), m.expand, m.chomp), ("EOF", false, true));
        let m = heredoc_marker("2<<\"E O\"").unwrap().unwrap();
        assert_eq!((m.name.as_str(), m.expand), ("E O", false));
        assert_eq!(heredoc_marker("<<").unwrap(), None);
        assert_eq!(heredoc_marker("a<<EOF").unwrap(), None);
        assert_eq!(heredoc_marker("<<<EOF").unwrap(), None);
        assert!(heredoc_marker("<<\"EOF").is_err());
        let s = r#"RUN cat <<"A B" x'y z' ${a b}"#;
        let w: Vec<_> = shell_words(s)
            .unwrap_or_default()
            .into_iter()
            .map(|(a, b)| &s[a..b])
            .collect();
        assert_eq!(w, vec!["RUN", "cat", "<<\"A B\"", "x'y z'", "${a b}"]);
        assert_eq!(shell_words("RUN cat <<EOF \"x"), None);
        assert_eq!(shell_words("RUN cat <<EOF 'x"), None);
        assert_eq!(shell_words("RUN ${x <<EOF"), None);
        // Blanks after `<<` stay in the marker word (not after `<<-`).
        let s = "RUN <<  EOF > f << -X <<- Y 2<<Z";
        let w: Vec<_> = shell_words(s)
            .unwrap_or_default()
            .into_iter()
            .map(|(a, b)| &s[a..b])
            .collect();
        assert_eq!(
            w,
            vec!["RUN", "<<  EOF", ">", "f", "<< -X", "<<-", "Y", "2<<Z"]
        );
        let names: Vec<_> = w
            .iter()
            .filter_map(|w| heredoc_marker(w).ok().flatten())
            .map(|m| (m.name, m.chomp))
            .collect();
        assert_eq!(
            names,
            vec![
                ("EOF".to_string(), false),
                ("-X".to_string(), false),
                ("Z".to_string(), false)
            ]
        );
    }
}
