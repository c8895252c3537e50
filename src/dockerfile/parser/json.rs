//! The JSON (exec-form) array reader used by RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME and
//! HEALTHCHECK CMD.
//!
//! It follows the rules BuildKit inherits from Go's `encoding/json`: the whole text must be one
//! valid JSON value (JSON whitespace around it, nesting depth at most 10000); a valid array whose
//! elements are not all strings is an error, while invalid JSON makes the caller fall back to the
//! shell form. It works without recursion so deeply nested input cannot overflow the stack.

/// Go's `encoding/json` nesting limit.
const MAX_DEPTH: usize = 10_000;

/// One string element: byte range of the literal (quotes included) and the decoded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JsonString {
    pub start: usize,
    pub end: usize,
    pub value: String,
}

/// What a piece of text is, read as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JsonArray {
    /// The text does not start with `[` (after leading whitespace).
    NotArray,
    /// Starts with `[` but is not valid JSON.
    Invalid,
    /// Valid JSON array, but some element is not a string.
    NotStrings,
    /// A valid array of strings.
    Strings(Vec<JsonString>),
}

fn ws(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = s.get(i) {
        i += 1;
    }
    i
}

fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let digits = s.get(i..i + 4)?;
    let mut v = 0u32;
    for d in digits {
        v = v * 16 + (*d as char).to_digit(16)?;
    }
    Some(v)
}

/// Reads the string literal starting at `i` (on the opening quote). Returns the index after the
/// closing quote and the decoded value.
fn scan_string(text: &str, i: usize) -> Option<(usize, String)> {
    let s = text.as_bytes();
    let mut out = String::new();
    let mut i = i + 1;
    let mut run = i;
    loop {
        let b = *s.get(i)?;
        match b {
            b'"' => {
                out.push_str(text.get(run..i)?);
                return Some((i + 1, out));
            }
            b'\\' => {
                out.push_str(text.get(run..i)?);
                let e = *s.get(i + 1)?;
                i += 2;
                match e {
                    b'"' => out.push('"'),
                    b'\\' => out.push('\\'),
                    b'/' => out.push('/'),
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let hi = hex4(s, i)?;
                        i += 4;
                        if (0xD800..0xE000).contains(&hi) {
                            // A surrogate: combine with a following low surrogate if there is
                            // one, otherwise it decodes to U+FFFD.
                            let lo = if s.get(i) == Some(&b'\\') && s.get(i + 1) == Some(&b'u') {
                                hex4(s, i + 2)
                            } else {
                                None
                            };
                            match lo {
                                Some(lo)
                                    if (0xD800..0xDC00).contains(&hi)
                                        && (0xDC00..0xE000).contains(&lo) =>
                                {
                                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                    i += 6;
                                }
                                _ => out.push('\u{FFFD}'),
                            }
                        } else {
                            out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                        }
                    }
                    _ => return None,
                }
                run = i;
            }
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

fn scan_number(s: &[u8], mut i: usize) -> Option<usize> {
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    match s.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => {
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return None,
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = s.get(i) {
            i += 1;
        }
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    Some(i)
}

fn literal(s: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (s.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// Reads an object key and its colon; returns the index after the colon.
fn object_key(text: &str, i: usize) -> Option<usize> {
    let s = text.as_bytes();
    let i = ws(s, i);
    if s.get(i) != Some(&b'"') {
        return None;
    }
    let (i, _) = scan_string(text, i)?;
    let i = ws(s, i);
    (s.get(i) == Some(&b':')).then_some(i + 1)
}

/// Skips one JSON value starting at `i` (whitespace allowed before it), nested `depth` deep.
/// Returns the index after it, or `None` when the text is not valid JSON there.
fn skip_value(text: &str, i: usize, depth: usize) -> Option<usize> {
    let s = text.as_bytes();
    // Closing byte of each open container.
    let mut stack: Vec<u8> = Vec::new();
    let mut i = i;
    'value: loop {
        i = ws(s, i);
        match *s.get(i)? {
            b'"' => i = scan_string(text, i)?.0,
            open @ (b'[' | b'{') => {
                let close = if open == b'[' { b']' } else { b'}' };
                if depth + stack.len() + 1 > MAX_DEPTH {
                    return None;
                }
                i = ws(s, i + 1);
                if s.get(i) == Some(&close) {
                    i += 1;
                } else {
                    stack.push(close);
                    if close == b'}' {
                        i = object_key(text, i)?;
                    }
                    continue 'value;
                }
            }
            b't' => i = literal(s, i, b"true")?,
            b'f' => i = literal(s, i, b"false")?,
            b'n' => i = literal(s, i, b"null")?,
            b'-' | b'0'..=b'9' => i = scan_number(s, i)?,
            _ => return None,
        }
        // After a value: separators and closing brackets.
        loop {
            let Some(&close) = stack.last() else {
                return Some(i);
            };
            i = ws(s, i);
            let b = *s.get(i)?;
            if b == b',' {
                i += 1;
                if close == b'}' {
                    i = object_key(text, i)?;
                }
                continue 'value;
            } else if b == close {
                i += 1;
                stack.pop();
            } else {
                return None;
            }
        }
    }
}

/// Reads `text` as BuildKit's `parseJSON` does.
pub(crate) fn parse_array(text: &str) -> JsonArray {
    let lead = text.len() - text.trim_start().len();
    let s = text.as_bytes();
    if s.get(lead) != Some(&b'[') {
        return JsonArray::NotArray;
    }
    let mut out = Vec::new();
    let mut all_strings = true;
    let mut i = ws(s, lead + 1);
    if s.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            i = ws(s, i);
            if s.get(i) == Some(&b'"') {
                let Some((end, value)) = scan_string(text, i) else {
                    return JsonArray::Invalid;
                };
                out.push(JsonString {
                    start: i,
                    end,
                    value,
                });
                i = end;
            } else {
                match skip_value(text, i, 1) {
                    Some(end) => i = end,
                    None => return JsonArray::Invalid,
                }
                all_strings = false;
            }
            i = ws(s, i);
            match s.get(i) {
                Some(b',') => i += 1,
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => return JsonArray::Invalid,
            }
        }
    }
    if ws(s, i) != s.len() {
        return JsonArray::Invalid;
    }
    if all_strings {
        JsonArray::Strings(out)
    } else {
        JsonArray::NotStrings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(t: &str) -> Vec<String> {
        match parse_array(t) {
            JsonArray::Strings(v) => v.into_iter().map(|s| s.value).collect(),
            other => panic!("{t}: {other:?}"),
        }
    }

    #[test]
    fn arrays_of_strings() {
        assert_eq!(strings("[]"), Vec::<String>::new());
        assert_eq!(strings(" [ \"a\" ,\t\"b\" ] "), vec!["a", "b"]);
        assert_eq!(
            strings(r#"["\" \\ \/ \b \f \n \r \t \u0000 \u2665 \ud83d\ude00 \ud800"]"#),
            vec!["\" \\ / \u{8} \u{c} \n \r \t \0 ♥ 😀 \u{FFFD}"]
        );
        assert_eq!(strings("[\"é\"]"), vec!["é"]);
    }

    #[test]
    fn invalid_and_non_strings() {
        assert_eq!(parse_array("echo ["), JsonArray::NotArray);
        assert_eq!(parse_array("['a']"), JsonArray::Invalid);
        assert_eq!(parse_array("[\"a\""), JsonArray::Invalid);
        assert_eq!(parse_array("[\"a\",]"), JsonArray::Invalid);
        assert_eq!(parse_array("[\"a\"] x"), JsonArray::Invalid);
        assert_eq!(parse_array("[\"a\tb\"]"), JsonArray::Invalid);
        assert_eq!(parse_array("[01]"), JsonArray::Invalid);
        assert_eq!(parse_array("[\"a\", [\"b\"]]"), JsonArray::NotStrings);
        assert_eq!(
            parse_array("[1, -2.5e3, true, null, {\"a\": [1, {}]}]"),
            JsonArray::NotStrings
        );
        assert_eq!(parse_array("[{\"a\" 1}]"), JsonArray::Invalid);
        let deep = "[".repeat(20_000) + &"]".repeat(20_000);
        assert_eq!(parse_array(&deep), JsonArray::Invalid);
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(parse_array(&ok), JsonArray::NotStrings);
    }
}
