//! `.dockerignore` matching with Docker's exact semantics (moby/patternmatcher and its
//! `ignorefile` reader), shared by `hoist lint` and `hoist build`; also the Go
//! `path/filepath.Match` syntax that COPY wildcards and `--exclude` patterns use.
//!
//! Reading: a UTF-8 BOM on the first line is dropped, lines starting with `#` are comments,
//! whitespace is trimmed, `!` marks an exception, the pattern is cleaned like Go's
//! `filepath.Clean` and a leading `/` removed. Matching: `*` and `?` never cross `/`, `**`
//! spans any number of directories (a leading `**` also matches at the root), `[...]` classes
//! and `\` escapes as in Go. A pattern excludes a path when it matches the path or one of its
//! parent directories; the last pattern that matches decides, so `!` can re-include a file
//! inside an excluded directory.
//!
//! Written by hand: the `ignore`/`globset` crates implement gitignore semantics, which differ
//! from Docker's (anchoring, `**` suffix/prefix rules, parent matching), and we need to name the
//! pattern that excluded a path.

use std::path::{Path, PathBuf};

use regex::Regex;

/// Errors reading or compiling ignore patterns.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// The ignore file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The ignore file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A pattern is malformed (Go's `filepath.ErrBadPattern`).
    #[error("{origin}: invalid pattern {pattern:?}: {reason}; fix or remove it")]
    BadPattern {
        /// Where the pattern comes from (`path:line` or `--exclude`).
        origin: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
}

/// One compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The cleaned pattern without its `!`.
    cleaned: String,
    /// The pattern as written in the file (for error messages and reports).
    original: String,
    exclusion: bool,
    kind: MatchKindC,
}

#[derive(Clone, Debug)]
enum MatchKindC {
    Exact,
    Prefix,
    Suffix,
    Regex(Regex),
}

impl Pattern {
    /// Compile one pattern (already read from a file: trimmed, `!` and cleaning as Docker does).
    pub fn new(raw: &str, origin: &str) -> Result<Option<Pattern>, IgnoreError> {
        let original = raw.to_string();
        let p = raw.trim();
        if p.is_empty() {
            return Ok(None);
        }
        let p = clean(p);
        let (exclusion, p) = match p.strip_prefix('!') {
            Some("") => {
                return Err(bad(origin, raw, "a lone `!` is not a pattern"));
            }
            Some(rest) => (true, rest.to_string()),
            None => (false, p),
        };
        if let Err(reason) = validate_go_pattern(&p) {
            return Err(bad(origin, raw, reason));
        }
        let kind = compile(&p).map_err(|e| bad(origin, raw, &e))?;
        Ok(Some(Pattern {
            cleaned: p,
            original,
            exclusion,
            kind,
        }))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// True for a `!` exception.
    pub fn is_exception(&self) -> bool {
        self.exclusion
    }

    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            MatchKindC::Exact => path == self.cleaned,
            MatchKindC::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            MatchKindC::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || (suffix.starts_with('/') && path == &suffix[1..])
            }
            MatchKindC::Regex(re) => re.is_match(path),
        }
    }

    /// The pattern matches `path` or one of its parent directories.
    fn matches_or_parent(&self, path: &str) -> bool {
        self.matches(path)
            || path
                .match_indices('/')
                .any(|(i, _)| i > 0 && self.matches(&path[..i]))
    }
}

fn bad(origin: &str, pattern: &str, reason: &str) -> IgnoreError {
    IgnoreError::BadPattern {
        origin: origin.to_string(),
        pattern: pattern.to_string(),
        reason: reason.to_string(),
    }
}

/// Compile a cleaned pattern the way patternmatcher does (exact / prefix `x**` / suffix `**x`
/// / regular expression).
fn compile(p: &str) -> Result<MatchKindC, String> {
    #[derive(PartialEq)]
    enum T {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut t = T::Exact;
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        if ch == '*' {
            if chars.get(i) == Some(&'*') {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if t == T::Exact {
                        t = T::Prefix;
                    } else {
                        re.push_str(".*");
                        t = T::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    t = T::Regex;
                }
                if first {
                    t = T::Suffix;
                }
            } else {
                re.push_str("[^/]*");
                t = T::Regex;
            }
        } else if ch == '?' {
            re.push_str("[^/]");
            t = T::Regex;
        } else if ".+()|{}$".contains(ch) {
            re.push('\\');
            re.push(ch);
        } else if ch == '\\' {
            if let Some(&next) = chars.get(i) {
                i += 1;
                re.push_str(&regex::escape(&next.to_string()));
                t = T::Regex;
            } else {
                re.push_str("\\\\");
            }
        } else if ch == '[' || ch == ']' {
            re.push(ch);
            t = T::Regex;
        } else {
            re.push(ch);
        }
        first = false;
    }
    Ok(match t {
        T::Exact => MatchKindC::Exact,
        T::Prefix => MatchKindC::Prefix,
        T::Suffix => MatchKindC::Suffix,
        T::Regex => {
            re.push('$');
            MatchKindC::Regex(Regex::new(&re).map_err(|e| e.to_string())?)
        }
    })
}

/// Go's `filepath.Clean` on a `/`-separated path (`""` → `"."`).
pub fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Check a pattern against Go's `filepath.Match` grammar (unclosed `[`, bad ranges, a trailing
/// `\`), which Docker uses to reject malformed patterns.
pub fn validate_go_pattern(p: &str) -> Result<(), &'static str> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if i + 1 >= b.len() {
                    return Err("trailing backslash");
                }
                i += 2;
            }
            b'[' => {
                i = class_end(b, i + 1)?;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Validate a character class starting after `[`; returns the index after its `]`.
fn class_end(b: &[u8], mut i: usize) -> Result<usize, &'static str> {
    if i < b.len() && b[i] == b'^' {
        i += 1;
    }
    let mut n = 0;
    loop {
        if i >= b.len() {
            return Err("unclosed character class");
        }
        if b[i] == b']' && n > 0 {
            return Ok(i + 1);
        }
        let (_, next) = class_char(b, i)?;
        i = next;
        if i < b.len() && b[i] == b'-' {
            let (_, next) = class_char(b, i + 1)?;
            i = next;
        }
        n += 1;
    }
}

/// One (possibly escaped) character of a class; Go rejects `-`, `]` and end of input here.
fn class_char(b: &[u8], i: usize) -> Result<(char, usize), &'static str> {
    let Some(&c) = b.get(i) else {
        return Err("unclosed character class");
    };
    if c == b'-' || c == b']' {
        return Err("bad character range");
    }
    let (i, c) = if c == b'\\' {
        match b.get(i + 1) {
            Some(_) => (i + 1, b[i + 1]),
            None => return Err("trailing backslash"),
        }
    } else {
        (i, c)
    };
    // Decode one UTF-8 character starting at i.
    let s = std::str::from_utf8(&b[i..]).map_err(|_| "invalid UTF-8")?;
    let ch = s.chars().next().unwrap_or(c as char);
    Ok((ch, i + ch.len_utf8()))
}

/// Go's `filepath.Match(pattern, name)` for one path: `*` and `?` do not match `/`.
pub fn go_match(pattern: &str, name: &str) -> Result<bool, &'static str> {
    validate_go_pattern(pattern)?;
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    Ok(match_here(&p, &n))
}

fn match_here(p: &[char], n: &[char]) -> bool {
    let (mut pi, mut ni) = (0usize, 0usize);
    let (mut star_p, mut star_n) = (usize::MAX, 0usize);
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star_p = pi;
                    star_n = ni;
                    pi += 1;
                    continue;
                }
                '?' if ni < n.len() && n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if ni < n.len() && n[ni] != '/' => {
                    if let Some((ok, next)) = match_class(p, pi + 1, n[ni]) {
                        if ok {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    }
                }
                '\\' if pi + 1 < p.len() && ni < n.len() && p[pi + 1] == n[ni] => {
                    pi += 2;
                    ni += 1;
                    continue;
                }
                c if c != '*'
                    && c != '?'
                    && c != '['
                    && c != '\\'
                    && ni < n.len()
                    && c == n[ni] =>
                {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        } else if ni == n.len() {
            return true;
        }
        // Backtrack: let the last `*` eat one more character (never a `/`).
        if star_p != usize::MAX && star_n < n.len() && n[star_n] != '/' {
            star_n += 1;
            pi = star_p + 1;
            ni = star_n;
            continue;
        }
        return false;
    }
}

/// Match `c` against the class starting after `[` at `i`; returns (matched, index after `]`).
fn match_class(p: &[char], mut i: usize, c: char) -> Option<(bool, usize)> {
    let negated = p.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut n = 0;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && n > 0 {
            return Some((matched != negated, i + 1));
        }
        let (lo, next) = class_lit(p, i)?;
        i = next;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            let (h, next) = class_lit(p, i + 1)?;
            hi = h;
            i = next;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
        n += 1;
    }
}

fn class_lit(p: &[char], i: usize) -> Option<(char, usize)> {
    match p.get(i)? {
        '\\' => Some((*p.get(i + 1)?, i + 2)),
        c => Some((*c, i + 1)),
    }
}

/// A list of Docker patterns (a `.dockerignore`, or `COPY --exclude` flags).
#[derive(Clone, Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    /// Where the patterns were read from, if a file.
    source: Option<PathBuf>,
}

impl DockerIgnore {
    /// Read the ignore file of a build: `<Dockerfile>.dockerignore` next to the Dockerfile
    /// wins over `<context>/.dockerignore`; neither present → no patterns. A malformed pattern
    /// is an error naming the file and line (Docker refuses to build with it too).
    pub fn load(context: &Path, dockerfile: Option<&Path>) -> Result<DockerIgnore, IgnoreError> {
        match find_file(context, dockerfile)? {
            Some((path, text)) => {
                let mut di = DockerIgnore::try_parse(&text, &path.display().to_string())?;
                di.source = Some(path);
                Ok(di)
            }
            None => Ok(DockerIgnore::default()),
        }
    }

    /// Like [`load`](DockerIgnore::load), but malformed patterns are skipped and an unreadable
    /// file means no patterns (for linting, where the build reports those errors).
    pub fn load_lenient(context: &Path, dockerfile: Option<&Path>) -> DockerIgnore {
        match find_file(context, dockerfile) {
            Ok(Some((path, text))) => {
                let mut di = DockerIgnore::parse(&text);
                di.source = Some(path);
                di
            }
            _ => DockerIgnore::default(),
        }
    }

    /// Parse the text of an ignore file, skipping malformed patterns (use [`try_parse`] to get
    /// an error for them).
    ///
    /// [`try_parse`]: DockerIgnore::try_parse
    pub fn parse(text: &str) -> DockerIgnore {
        let mut patterns = Vec::new();
        for (_, line) in lines(text) {
            if let Ok(Some(p)) = Pattern::new(&line, "") {
                patterns.push(p);
            }
        }
        DockerIgnore {
            patterns,
            source: None,
        }
    }

    /// Parse the text of an ignore file; `origin` (a file name) is used in error messages.
    pub fn try_parse(text: &str, origin: &str) -> Result<DockerIgnore, IgnoreError> {
        let mut patterns = Vec::new();
        for (no, line) in lines(text) {
            if let Some(p) = Pattern::new(&line, &format!("{origin}:{no}"))? {
                patterns.push(p);
            }
        }
        Ok(DockerIgnore {
            patterns,
            source: None,
        })
    }

    /// Patterns given directly (`COPY --exclude=…`), each cleaned like an ignore-file line.
    pub fn from_patterns(patterns: &[String], origin: &str) -> Result<DockerIgnore, IgnoreError> {
        let mut out = Vec::new();
        for p in patterns {
            let line = normalize_line(p);
            if let Some(p) = Pattern::new(&line, origin)? {
                out.push(p);
            }
        }
        Ok(DockerIgnore {
            patterns: out,
            source: None,
        })
    }

    /// The file the patterns came from, when loaded from one.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// True when there are no patterns.
    /// The patterns, in file order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// True when some pattern is a `!` exception (an excluded directory may then still
    /// contain included files).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// `Some(pattern that excluded it)` when `rel_path` (relative to the context,
    /// `/`-separated) is excluded, `None` when it is included. The context root itself is
    /// never excluded.
    pub fn matches(&self, rel_path: &str) -> Option<&str> {
        let path = clean(rel_path.trim_start_matches('/'));
        if path == "." {
            return None;
        }
        let mut decided: Option<&Pattern> = None;
        for p in &self.patterns {
            // An inclusion only matters when not yet excluded, an exception only when excluded.
            if p.exclusion != decided.is_some() {
                continue;
            }
            if p.matches_or_parent(&path) {
                decided = if p.exclusion { None } else { Some(p) };
            }
        }
        decided.map(|p| p.as_str())
    }

    /// Whether `rel_path` is excluded.
    pub fn is_excluded(&self, rel_path: &str) -> bool {
        self.matches(rel_path).is_some()
    }
}

/// The ignore file that applies and its text, if any.
fn find_file(
    context: &Path,
    dockerfile: Option<&Path>,
) -> Result<Option<(PathBuf, String)>, IgnoreError> {
    let specific = dockerfile.and_then(|df| {
        df.file_name().map(|n| {
            let mut name = n.to_os_string();
            name.push(".dockerignore");
            df.with_file_name(name)
        })
    });
    for candidate in specific.into_iter().chain([context.join(".dockerignore")]) {
        match std::fs::read(&candidate) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                return Ok(Some((candidate, text)));
            }
            // Missing, or a path through a non-directory: no file here.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(20) => {}
            Err(source) => {
                return Err(IgnoreError::Read {
                    path: candidate,
                    source,
                })
            }
        }
    }
    Ok(None)
}

/// Lines of an ignore file as `(line number, pattern text)`, with Docker's reading rules.
fn lines(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().filter_map(|(i, line)| {
        if line.starts_with('#') {
            return None;
        }
        let l = normalize_line(line);
        (!l.is_empty()).then_some((i + 1, l))
    })
}

/// Trim, clean and drop a leading `/`, keeping a `!` prefix (ignorefile.ReadAll's rules).
fn normalize_line(line: &str) -> String {
    let p = line.trim();
    if p.is_empty() {
        return String::new();
    }
    let (invert, p) = match p.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, p),
    };
    let mut p = if p.is_empty() {
        String::new()
    } else {
        clean(p)
    };
    if p.len() > 1 && p.starts_with('/') {
        p.remove(0);
    }
    if invert {
        format!("!{p}")
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(pattern: &str, text: &str) -> bool {
        match DockerIgnore::try_parse(pattern, "t") {
            Ok(d) => d.is_excluded(text),
            Err(e) => panic!("{pattern}: {e}"),
        }
    }

    /// moby/patternmatcher TestMatches (MatchesOrParentMatches), as facts. (Its `"/"` text
    /// cases are left out: paths here are cleaned, and `/` is the context root, which is never
    /// excluded.)
    #[test]
    fn patternmatcher_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("**", "file", true),
            ("**", "file/", true),
            ("**/", "file", true),
            ("**/", "file/", true),
            ("**", "dir/file", true),
            ("**/", "dir/file", true),
            ("**", "dir/file/", true),
            ("**/", "dir/file/", true),
            ("**/**", "dir/file", true),
            ("**/**", "dir/file/", true),
            ("dir/**", "dir/file", true),
            ("dir/**", "dir/file/", true),
            ("dir/**", "dir/dir2/file", true),
            ("dir/**", "dir/dir2/file/", true),
            ("**/dir", "dir", true),
            ("**/dir", "dir/file", true),
            ("**/dir2/*", "dir/dir2/file", true),
            ("**/dir2/*", "dir/dir2/file/", true),
            ("**/dir2/**", "dir/dir2/dir3/file", true),
            ("**/dir2/**", "dir/dir2/dir3/file/", true),
            ("**file", "file", true),
            ("**file", "dir/file", true),
            ("**/file", "dir/file", true),
            ("**file", "dir/dir/file", true),
            ("**/file", "dir/dir/file", true),
            ("**/file*", "dir/dir/file", true),
            ("**/file*", "dir/dir/file.txt", true),
            ("**/file*txt", "dir/dir/file.txt", true),
            ("**/file*.txt", "dir/dir/file.txt", true),
            ("**/file*.txt*", "dir/dir/file.txt", true),
            ("**/**/*.txt", "dir/dir/file.txt", true),
            ("**/**/*.txt2", "dir/dir/file.txt", false),
            ("**/*.txt", "file.txt", true),
            ("**/**/*.txt", "file.txt", true),
            ("a**/*.txt", "a/file.txt", true),
            ("a**/*.txt", "a/dir/file.txt", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("a/*.txt", "a/dir/file.txt", false),
            ("a/*.txt", "a/file.txt", true),
            ("a/*.txt**", "a/file.txt", true),
            ("a[b-d]e", "ae", false),
            ("a[b-d]e", "ace", true),
            ("a[b-d]e", "aae", false),
            ("a[^b-d]e", "aze", true),
            (".*", ".foo", true),
            (".*", "foo", false),
            ("abc.def", "abcdef", false),
            ("abc.def", "abc.def", true),
            ("abc.def", "abcZdef", false),
            ("abc?def", "abcZdef", true),
            ("abc?def", "abcdef", false),
            ("a\\\\", "a\\", true),
            ("**/foo/bar", "foo/bar", true),
            ("**/foo/bar", "dir/foo/bar", true),
            ("**/foo/bar", "dir/dir2/foo/bar", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/def", true),
            ("abc/**", "abc/def/ghi", true),
            ("**/.foo", ".foo", true),
            ("**/.foo", "bar.foo", false),
            ("a(b)c/def", "a(b)c/def", true),
            ("a(b)c/def", "a(b)c/xyz", false),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
            (
                "dist/*.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            ("a\\*b", "a*b", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(one(p, t), *want, "pattern {p:?} text {t:?}");
        }
        let multi: &[(&str, &str, bool)] = &[
            ("**\n!util/docker/web", "util/docker/web/foo", false),
            (
                "**\n!util/docker/web\nutil/docker/web/foo",
                "util/docker/web/foo",
                true,
            ),
            (
                "**\n!dist/*.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                false,
            ),
            ("docs\n!docs/README.md", "docs/README.md", false),
            ("docs/\n!docs/README.md", "docs/README.md", false),
            ("docs/*\n!docs/README.md", "docs/README.md", false),
            ("*.go\n!fileutils.go", "fileutils.go", false),
            ("!fileutils.go\n*.go", "fileutils.go", true),
            ("*.go", ".", false),
        ];
        for (p, t, want) in multi {
            assert_eq!(one(p, t), *want, "patterns {p:?} text {t:?}");
        }
    }

    /// Go's filepath.Match table as used by patternmatcher (whole paths, parents matching).
    #[test]
    fn go_match_cases() {
        let ok: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", true),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "-", true),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
        ];
        for (p, t, want) in ok {
            assert_eq!(one(p, t), *want, "pattern {p:?} text {t:?}");
            // The single-component matcher used for COPY wildcards agrees where no parent
            // matching is involved.
            if !t.contains('/') {
                assert_eq!(go_match(p, t), Ok(*want), "go_match {p:?} {t:?}");
            }
        }
        for bad in [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "!",
        ] {
            assert!(
                DockerIgnore::try_parse(bad, "f").is_err(),
                "{bad:?} must be rejected"
            );
            assert!(go_match(bad, "a").is_err() || bad == "!", "{bad:?}");
        }
        let e = DockerIgnore::try_parse("ok\n[", ".dockerignore")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains(".dockerignore:2") && e.contains("\"[\""), "{e}");
    }

    /// ignorefile.ReadAll rules: BOM, comments, trimming, leading `/`, cleaning.
    #[test]
    fn reading_rules() {
        let d = DockerIgnore::parse(
            "\u{feff}test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n  # not a comment\n./x/../y/\n",
        );
        for (p, want) in [
            ("test1", Some("test1")),
            ("test2", Some("test2")),
            ("a/file/here/deep", Some("a/file/here")),
            ("lastfile", Some("lastfile")),
            ("y/z", Some("y")),
            ("# not a comment", Some("# not a comment")),
            ("other", None),
        ] {
            assert_eq!(d.matches(p), want, "{p}");
        }
        assert!(d.has_exceptions());
        // The context root itself is never excluded; leading `./` and `/` are cleaned.
        let all = DockerIgnore::parse("*\n");
        assert_eq!(all.matches("."), None);
        assert_eq!(all.matches("/x"), Some("*"));
        assert_eq!(all.matches("./x"), Some("*"));
    }

    /// The pattern reported is the one that excluded the path, after exceptions.
    #[test]
    fn names_the_excluding_pattern() {
        let d = DockerIgnore::parse("*.log\nbuild/\n!build/keep\n**/secret*\n");
        assert_eq!(d.matches("a.log"), Some("*.log"));
        assert_eq!(d.matches("build/out.o"), Some("build"));
        assert_eq!(d.matches("build/keep"), None);
        assert_eq!(d.matches("build/keep/x"), None);
        assert_eq!(d.matches("src/secret.txt"), Some("**/secret*"));
        assert_eq!(d.matches("build/keep/secret"), Some("**/secret*"));
    }

    #[test]
    fn dockerfile_specific_ignore_wins() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(t.path().join(".dockerignore"), "a\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(t.path().join("sub")).unwrap_or_else(|e| panic!("{e}"));
        let df = t.path().join("sub/app.Dockerfile");
        std::fs::write(&df, "FROM scratch\n").unwrap_or_else(|e| panic!("{e}"));
        let d = DockerIgnore::load(t.path(), Some(&df)).unwrap_or_else(|e| panic!("{e}"));
        assert!(d.is_excluded("a"));
        std::fs::write(t.path().join("sub/app.Dockerfile.dockerignore"), "b\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let d = DockerIgnore::load(t.path(), Some(&df)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!d.is_excluded("a") && d.is_excluded("b"));
        assert!(d
            .source()
            .is_some_and(|p| p.ends_with("app.Dockerfile.dockerignore")));
        let none =
            DockerIgnore::load(&t.path().join("sub"), None).unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_empty());
    }
}
