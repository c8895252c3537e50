//! Secret detection shared by the lint rule HO3001 and the image layer scanner.
//!
//! The patterns are data: `rules/secrets.toml`, embedded at build time and compiled once on first
//! use. [`scan`] runs a cheap case-insensitive keyword prefilter per pattern, then the pattern's
//! regex, then drops placeholders (`${TOKEN}`, `changeme`, `<password>`…) and values below the
//! pattern's entropy threshold. [`redact`] shortens a secret for display, [`redact_text`]
//! rewrites every secret of a text that way. [`bulk`] applies the same patterns to large byte
//! buffers (layer files); [`files`] names the files that hold secrets, [`names`] the variables.

pub mod bulk;
pub mod files;
pub mod names;

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;

/// The embedded pattern file.
const PATTERNS_TOML: &str = include_str!("../../rules/secrets.toml");

/// Errors loading a pattern file.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("invalid secret pattern file: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("pattern `{id}`: invalid regex: {source}")]
    Regex {
        id: String,
        #[source]
        source: regex::Error,
    },
    #[error("pattern `{0}` has no keywords")]
    NoKeywords(String),
}

#[derive(Debug, Deserialize)]
struct PatternFile {
    pattern: Vec<PatternDef>,
}

#[derive(Debug, Deserialize)]
struct PatternDef {
    id: String,
    description: String,
    keywords: Vec<String>,
    regex: String,
    entropy: Option<f64>,
    min_length: Option<usize>,
    #[serde(default)]
    mixed: bool,
}

/// One pattern. Its regex is compiled on first use: compiling all of them costs several
/// milliseconds, more than linting a file, and most texts never pass a pattern's keyword filter.
#[derive(Debug)]
pub struct Pattern {
    pub id: String,
    pub description: String,
    /// Lower-cased keywords.
    pub keywords: Vec<String>,
    /// The regex source, as in the pattern file.
    pub source: String,
    regex: OnceLock<Option<Regex>>,
    /// The same source compiled for byte buffers (used by [`bulk`]).
    bytes_regex: OnceLock<Option<regex::bytes::Regex>>,
    pub entropy: Option<f64>,
    pub min_length: Option<usize>,
    /// The secret must mix at least two character classes.
    pub mixed: bool,
}

/// A secret found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretMatch {
    /// The pattern's id, e.g. `github-token`.
    pub rule_id: String,
    /// What was found, e.g. `GitHub token`.
    pub description: String,
    /// Byte range of the secret in the scanned text.
    pub start: usize,
    pub end: usize,
}

impl Pattern {
    /// The compiled regex (`None` only if the source does not compile, which [`load`] rules out).
    pub fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }

    /// The regex compiled for bytes (`None` only if the source does not compile).
    pub fn bytes_regex(&self) -> Option<&regex::bytes::Regex> {
        self.bytes_regex
            .get_or_init(|| regex::bytes::Regex::new(&self.source).ok())
            .as_ref()
    }

    /// Whether a candidate `value` this pattern's regex matched is reported: long enough,
    /// random enough, not an identifier (for `mixed` patterns) and not a placeholder.
    pub fn accepts(&self, value: &str) -> bool {
        if self.min_length.is_some_and(|n| value.chars().count() < n) {
            return false;
        }
        !(self.entropy.is_some_and(|e| entropy(value) < e)
            || (self.mixed && (char_classes(value) < 2 || is_identifier(value)))
            || is_placeholder(value))
    }
}

/// Parses and compiles a pattern file in the `rules/secrets.toml` format; every regex is checked.
pub fn load(toml_text: &str) -> Result<Vec<Pattern>, SecretsError> {
    let patterns = load_lazy(toml_text)?;
    for p in &patterns {
        Regex::new(&p.source).map_err(|source| SecretsError::Regex {
            id: p.id.clone(),
            source,
        })?;
    }
    Ok(patterns)
}

/// As [`load`], compiling each regex only when it is first needed.
fn load_lazy(toml_text: &str) -> Result<Vec<Pattern>, SecretsError> {
    let file: PatternFile = toml::from_str(toml_text)?;
    file.pattern
        .into_iter()
        .map(|d| {
            if d.keywords.is_empty() {
                return Err(SecretsError::NoKeywords(d.id));
            }
            Ok(Pattern {
                keywords: d.keywords.iter().map(|k| k.to_lowercase()).collect(),
                id: d.id,
                description: d.description,
                source: d.regex,
                regex: OnceLock::new(),
                bytes_regex: OnceLock::new(),
                entropy: d.entropy,
                min_length: d.min_length,
                mixed: d.mixed,
            })
        })
        .collect()
}

/// The embedded patterns; `load` over the same text is unit-tested, so every regex compiles.
static PATTERNS: LazyLock<Result<Vec<Pattern>, SecretsError>> =
    LazyLock::new(|| load_lazy(PATTERNS_TOML));

/// The built-in patterns (empty if the embedded file were invalid; a unit test guards that).
pub fn patterns() -> &'static [Pattern] {
    match &*PATTERNS {
        Ok(p) => p,
        Err(_) => &[],
    }
}

/// Shannon entropy of `s` in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// How many of the classes lower-case, upper-case, digit and other a string uses.
fn char_classes(s: &str) -> usize {
    let lower = s.chars().any(|c| c.is_lowercase());
    let upper = s.chars().any(|c| c.is_uppercase());
    let digit = s.chars().any(|c| c.is_ascii_digit());
    let other = s.chars().any(|c| !c.is_alphanumeric());
    [lower, upper, digit, other].iter().filter(|&&b| b).count()
}

/// Whether a candidate secret is a placeholder, a variable reference or a path rather than a
/// value.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    let lower = v.to_ascii_lowercase();
    if v.is_empty()
        || v.contains('$')
        || v.contains("{{")
        || v.contains("%%")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("file:")
    {
        return true;
    }
    const WORDS: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "xxx",
        "example",
        "dummy",
        "placeholder",
        "your_",
        "your-",
        "yourpassword",
        "redacted",
        "***",
        "...",
        "sample",
        "fake",
        "notasecret",
        "not-a-secret",
        "replace",
        "insert",
        "todo",
        "test1234",
        "password",
        "secret_here",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    // One character repeated (`aaaaaaaa`, `00000000`).
    let mut chars = v.chars();
    let first = chars.next();
    first.is_some_and(|f| chars.all(|c| c == f))
}

/// A lower-case identifier such as `my-app-secret-tls` or `db.primary_host`.
fn is_identifier(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_lowercase() || matches!(c, '-' | '_' | '.'))
}

/// Finds secrets in `text` with the built-in patterns. Matches are sorted by start; overlapping
/// matches of different patterns are all kept except exact duplicates of a range.
pub fn scan(text: &str) -> Vec<SecretMatch> {
    let patterns = patterns();
    if text.len() < LARGE_TEXT {
        return scan_with(patterns, text);
    }
    match &*KEYWORDS {
        Some(k) => {
            let present = k.present(text, patterns.len());
            run_patterns(patterns, text, |i| present.get(i).copied().unwrap_or(true))
        }
        None => scan_with(patterns, text),
    }
}

/// From this size on, [`scan`] finds the keywords of every pattern in one pass.
const LARGE_TEXT: usize = 16 * 1024;

/// All keywords of the built-in patterns in one ASCII case-insensitive automaton: one pass
/// over a long text instead of one search per keyword (a 10 MB line).
struct Keywords {
    automaton: aho_corasick::AhoCorasick,
    /// For each keyword, the patterns that list it.
    owners: Vec<Vec<usize>>,
}

impl Keywords {
    fn new(patterns: &[Pattern]) -> Option<Keywords> {
        let mut keywords: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            for k in &p.keywords {
                keywords.push(k);
                owners.push(vec![i]);
            }
        }
        let automaton = aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(&keywords)
            .ok()?;
        Some(Keywords { automaton, owners })
    }

    /// For each pattern, whether one of its keywords occurs in `text`. A text whose lower-case
    /// form changes length (a few non-ASCII letters) runs every pattern, as [`scan_with`] does.
    fn present(&self, text: &str, n: usize) -> Vec<bool> {
        if !text.is_ascii() && text.to_lowercase().len() != text.len() {
            return vec![true; n];
        }
        let mut present = vec![false; n];
        for m in self.automaton.find_overlapping_iter(text) {
            for &i in self
                .owners
                .get(m.pattern().as_usize())
                .into_iter()
                .flatten()
            {
                if let Some(p) = present.get_mut(i) {
                    *p = true;
                }
            }
        }
        present
    }
}

static KEYWORDS: LazyLock<Option<Keywords>> = LazyLock::new(|| Keywords::new(patterns()));

/// As [`scan`], with explicit patterns.
pub fn scan_with(patterns: &[Pattern], text: &str) -> Vec<SecretMatch> {
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths for a few non-ASCII characters; keywords are only a
    // prefilter, so a text whose length changed is simply scanned without it.
    let prefilter = lower.len() == text.len();
    run_patterns(patterns, text, |i| {
        !prefilter
            || patterns
                .get(i)
                .is_some_and(|p| p.keywords.iter().any(|k| lower.contains(k.as_str())))
    })
}

/// Runs the regex of each pattern `wanted` picks (by index) over `text`.
fn run_patterns(
    patterns: &[Pattern],
    text: &str,
    wanted: impl Fn(usize) -> bool,
) -> Vec<SecretMatch> {
    let mut out: Vec<SecretMatch> = Vec::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for (i, p) in patterns.iter().enumerate() {
        if !wanted(i) {
            continue;
        }
        let Some(regex) = p.regex() else { continue };
        for caps in regex.captures_iter(text) {
            let Some(m) = caps.name("secret").or_else(|| caps.get(0)) else {
                continue;
            };
            if !p.accepts(m.as_str()) {
                continue;
            }
            if !seen.insert((m.start(), m.end())) {
                continue;
            }
            out.push(SecretMatch {
                rule_id: p.id.clone(),
                description: p.description.clone(),
                start: m.start(),
                end: m.end(),
            });
        }
    }
    finish(&mut out);
    out
}

/// Sorts matches by position and drops generic matches that overlap a specific one (they add
/// nothing). `O(n log n)`: a line with a hundred thousand matches stays fast.
pub(crate) fn finish(out: &mut Vec<SecretMatch>) {
    out.sort_by_key(|m| (m.start, m.end));
    // The specific matches, by start, with the largest end among each prefix.
    let mut starts: Vec<usize> = Vec::new();
    let mut max_end: Vec<usize> = Vec::new();
    for m in out.iter().filter(|m| m.rule_id != GENERIC) {
        starts.push(m.start);
        max_end.push(max_end.last().copied().unwrap_or(0).max(m.end));
    }
    out.retain(|m| {
        if m.rule_id != GENERIC {
            return true;
        }
        // Specific matches starting before `m` ends overlap it when one ends after `m` starts.
        let before = starts.partition_point(|&s| s < m.end);
        before == 0 || max_end.get(before - 1).is_none_or(|&e| e <= m.start)
    });
}

/// The id of the catch-all `password=…` pattern.
const GENERIC: &str = "generic-secret-assignment";

/// How many leading characters of a secret of `n` characters a redacted form shows.
pub fn shown_chars(n: usize) -> usize {
    if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    }
}

/// A display form of a secret: its first few characters and its length, never the whole value.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let shown = shown_chars(n);
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}… ({n} characters)")
}

/// `text` with every secret the built-in patterns find replaced by its [`redact`]ed form, for
/// showing text that may hold one (a history `created_by`, an ENV entry).
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in scan(text) {
        if m.start < at {
            continue;
        }
        out.push_str(text.get(at..m.start).unwrap_or_default());
        out.push_str(&format!(
            "[{}]",
            redact(text.get(m.start..m.end).unwrap_or_default())
        ));
        at = m.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        scan(text).into_iter().map(|m| m.rule_id).collect()
    }

    #[test]
    fn embedded_patterns_load() {
        assert!(PATTERNS.is_ok(), "{:?}", PATTERNS.as_ref().err());
        assert!(patterns().len() >= 15);
        // Every embedded regex compiles (the built-ins are compiled lazily at run time).
        let checked = load(PATTERNS_TOML).expect("embedded patterns compile");
        assert_eq!(checked.len(), patterns().len());
    }

    #[test]
    fn finds_known_token_shapes() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        assert_eq!(ids(&format!("TOKEN={gh}")), vec!["github-token"]);
        let m = &scan(&format!("x {gh} y"))[0];
        assert_eq!((m.start, m.end), (2, 2 + gh.len()));
        assert_eq!(
            ids("key AKIAZ7QRSTUVWXYZ2345 end"),
            vec!["aws-access-key-id"]
        );
        assert_eq!(
            ids("-----BEGIN OPENSSH PRIVATE KEY-----\nabc"),
            vec!["private-key"]
        );
        assert_eq!(ids("-----BEGIN RSA PRIVATE KEY-----"), vec!["private-key"]);
        assert_eq!(ids("glpat-Ab3De5Fg7Hj9Kl1Mn3Pq"), vec!["gitlab-token"]);
        assert_eq!(ids("xoxb-1234567890-abcdefghij"), vec!["slack-token"]);
        assert_eq!(
            ids(&format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc")),
            vec!["stripe-key"]
        );
        assert_eq!(
            ids(&format!("npm_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5")),
            vec!["npm-token"]
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(ids(jwt), vec!["jwt"]);
        assert_eq!(
            ids("\"type\": \"service_account\","),
            vec!["gcp-service-account"]
        );
        assert_eq!(
            ids(&format!("AIza{}", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q")),
            vec!["gcp-api-key"]
        );
        assert_eq!(
            ids("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9vLm3Tq8"),
            vec!["aws-secret-access-key"]
        );
    }

    #[test]
    fn generic_assignments_need_entropy_and_real_values() {
        assert_eq!(
            ids("DB_PASSWORD=S3cr3tP4ss!x"),
            vec!["generic-secret-assignment"]
        );
        assert_eq!(
            ids("--api-key=9f8e7d6c5b4a3210"),
            vec!["generic-secret-assignment"]
        );
        for quiet in [
            "PASSWORD=${DB_PASSWORD}",
            "password=$PASS",
            "password=changeme123",
            "api_key: <your-api-key>",
            "password=xxxxxxxxxx",
            "PASSWORD_FILE=/run/secrets/db",
            "password=aaaaaaaaaaa",
            "password=hunter22",
            "RUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc",
            "secretName: my-app-secret-tls",
            "password=abcdefghijk",
            "postgres://user:${DB_PASSWORD}@db/app",
            "https://example.com:8443/path",
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
            "AKIAIOSFODNN7EXAMPLE",
        ] {
            assert!(ids(quiet).is_empty(), "{quiet}: {:?}", ids(quiet));
        }
    }

    #[test]
    fn redacts() {
        assert_eq!(redact("ghp_abcdefghijklmnop"), "ghp_… (20 characters)");
        assert_eq!(redact("abc"), "… (3 characters)");
        assert!(!redact("S3cr3tP4ss").contains("cr3t"));
    }

    #[test]
    fn redacts_every_secret_of_a_text() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let text = format!("RUN |1 TOKEN={gh} /bin/sh -c make DB_PASSWORD=S3cr3tP4ss!x");
        let r = redact_text(&text);
        assert!(!r.contains(&gh) && !r.contains("S3cr3tP4ss"), "{r}");
        assert!(
            r.starts_with("RUN |1 TOKEN=[ghp_… (40 characters)] /bin/sh -c make"),
            "{r}"
        );
        assert_eq!(redact_text("no secret here"), "no secret here");
    }

    #[test]
    fn long_texts_find_what_short_ones_do() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let texts = [
            format!("TOKEN={gh} DB_PASSWORD=S3cr3tP4ss!x"),
            "AWS_SECRET_ACCESS_KEY = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9vLm3Tq8".to_string(),
            "key AKIAZ7QRSTUVWXYZ2345 end -----BEGIN RSA PRIVATE KEY-----".to_string(),
        ];
        for t in texts {
            let long = format!("{}{t}{}", " ".repeat(LARGE_TEXT), " ".repeat(10));
            let short: Vec<_> = scan(&t).into_iter().map(|m| (m.rule_id, m.start)).collect();
            let far: Vec<_> = scan(&long)
                .into_iter()
                .map(|m| (m.rule_id, m.start - LARGE_TEXT))
                .collect();
            assert!(!short.is_empty(), "{t}");
            assert_eq!(short, far, "{t}");
        }
    }

    #[test]
    fn many_generic_and_specific_matches_on_one_line() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let one = format!("TOKEN={gh} DB_PASSWORD=S3cr3tP4ss!x ");
        let text = one.repeat(2_000);
        let found = scan(&text);
        assert_eq!(found.len(), 4_000);
        assert!(found.windows(2).all(|w| w[0].start < w[1].start));
    }

    #[test]
    fn entropy_is_bits_per_char() {
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
