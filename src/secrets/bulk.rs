//! The secret patterns over large byte buffers (files of image layers, text or binary).
//!
//! [`super::scan_with`] lower-cases the whole text and searches each pattern's keywords one by
//! one: right for a Dockerfile line, far too slow for gigabytes of layer data. [`BulkScanner`]
//! applies the same patterns, keywords and acceptance rules ([`Pattern::accepts`]) in one pass:
//! an ASCII case-insensitive Aho-Corasick automaton finds the keyword occurrences, and each
//! pattern's byte regex then runs only on the regions around its own keywords' occurrences
//! (from [`BACK`] bytes before to [`FORWARD`] bytes after). Every built-in pattern's match
//! contains one of its keywords within a few dozen bytes of its start, so the regions hold
//! every match the whole-buffer search would find; a secret longer than [`FORWARD`] bytes is
//! reported cut at the region end.

use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{finish, patterns, Pattern, SecretMatch};

/// How far before a keyword occurrence a match may start.
pub const BACK: usize = 256;
/// How far after a keyword occurrence a match may end.
pub const FORWARD: usize = 1024;

/// The patterns and their keyword automaton.
pub struct BulkScanner {
    patterns: &'static [Pattern],
    automaton: Option<AhoCorasick>,
    /// For each keyword of the automaton, the indices of the patterns that list it.
    owners: Vec<Vec<usize>>,
}

/// The built-in patterns, ready for bulk scanning.
static BUILT_IN: LazyLock<BulkScanner> = LazyLock::new(|| BulkScanner::new(patterns()));

/// The bulk scanner of the built-in patterns.
pub fn built_in() -> &'static BulkScanner {
    &BUILT_IN
}

impl BulkScanner {
    /// A scanner over `patterns`. Should the automaton fail to build (it cannot for keyword
    /// lists of this size), every pattern runs over the whole buffer instead.
    pub fn new(patterns: &'static [Pattern]) -> BulkScanner {
        let mut keywords: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            for k in &p.keywords {
                match keywords.iter().position(|x| x == k) {
                    Some(j) => owners.get_mut(j).into_iter().for_each(|o| o.push(i)),
                    None => {
                        keywords.push(k);
                        owners.push(vec![i]);
                    }
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&keywords)
            .ok();
        BulkScanner {
            patterns,
            automaton,
            owners,
        }
    }

    /// Finds secrets in `data`, sorted by start; offsets are byte offsets into `data`. The
    /// same matches as [`super::scan_with`] over the same text (see the module doc for the
    /// region bound).
    pub fn scan(&self, data: &[u8]) -> Vec<SecretMatch> {
        let Some(ac) = &self.automaton else {
            let all = vec![vec![(0, data.len())]; self.patterns.len()];
            return self.run(data, &all);
        };
        // Per pattern, the merged regions around its keywords' occurrences.
        let mut regions: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.patterns.len()];
        let mut any = false;
        // Non-overlapping search (fast, prefiltered): no keyword of the built-in patterns
        // overlaps another's occurrence in a way that would hide a region.
        for m in ac.find_iter(data) {
            let Some(owners) = self.owners.get(m.pattern().as_usize()) else {
                continue;
            };
            any = true;
            let start = m.start().saturating_sub(BACK);
            let end = m.end().saturating_add(FORWARD).min(data.len());
            for &i in owners {
                let Some(list) = regions.get_mut(i) else {
                    continue;
                };
                match list.last_mut() {
                    Some(last) if start <= last.1 => last.1 = last.1.max(end),
                    _ => list.push((start, end)),
                }
            }
        }
        if !any {
            return Vec::new();
        }
        self.run(data, &regions)
    }

    fn run(&self, data: &[u8], regions: &[Vec<(usize, usize)>]) -> Vec<SecretMatch> {
        let mut out = Vec::new();
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        for (p, list) in self.patterns.iter().zip(regions) {
            if list.is_empty() {
                continue;
            }
            let Some(re) = p.bytes_regex() else { continue };
            for &(rs, re_end) in list {
                // The haystack runs from the buffer start so that look-behind (`\b`) at the
                // region start sees the real preceding byte; the search starts at the region.
                let Some(hay) = data.get(..re_end) else {
                    continue;
                };
                let mut at = rs;
                while at <= re_end {
                    let Some(caps) = re.captures_at(hay, at) else {
                        break;
                    };
                    let Some(whole) = caps.get(0) else { break };
                    at = whole.end().max(whole.start() + 1);
                    let Some(m) = caps.name("secret").or(Some(whole)) else {
                        continue;
                    };
                    let value = String::from_utf8_lossy(m.as_bytes());
                    if !p.accepts(&value) {
                        continue;
                    }
                    let (start, end) = (m.start(), m.end());
                    if !seen.insert((start, end)) {
                        continue;
                    }
                    out.push(SecretMatch {
                        rule_id: p.id.clone(),
                        description: p.description.clone(),
                        start,
                        end,
                    });
                }
            }
        }
        finish(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::scan;

    fn key(m: &SecretMatch) -> (String, usize, usize) {
        (m.rule_id.clone(), m.start, m.end)
    }

    #[test]
    fn agrees_with_the_text_scanner() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        for text in [
            format!("TOKEN={gh}"),
            "key AKIAZ7QRSTUVWXYZ2345 end".to_string(),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc".to_string(),
            "DB_PASSWORD=S3cr3tP4ss!x and --api-key=9f8e7d6c5b4a3210".to_string(),
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9vLm3Tq8".to_string(),
            "postgres://admin:Zq9!xT4wP2@db.internal/app".to_string(),
            "\"type\": \"service_account\",".to_string(),
            "PASSWORD=${DB_PASSWORD} password=changeme123 AKIAIOSFODNN7EXAMPLE".to_string(),
            "nothing to see".to_string(),
        ] {
            let a: Vec<_> = scan(&text).iter().map(key).collect();
            let b: Vec<_> = built_in().scan(text.as_bytes()).iter().map(key).collect();
            assert_eq!(a, b, "{text}");
        }
    }

    #[test]
    fn finds_secrets_inside_binary_data_at_their_byte_offsets() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let mut data: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        data.extend_from_slice(b"\xff\xfe\0");
        let at = data.len();
        data.extend_from_slice(gh.as_bytes());
        data.extend_from_slice(b"\0\x80\x81");
        data.extend((0..100_000u32).map(|i| (i * 31 % 256) as u8));
        let found = built_in().scan(&data);
        let hits: Vec<_> = found
            .iter()
            .filter(|m| m.rule_id == "github-token")
            .map(|m| (m.start, m.end))
            .collect();
        assert_eq!(hits, vec![(at, at + gh.len())]);
    }

    #[test]
    fn a_word_before_the_region_does_not_fake_a_boundary() {
        // Many word bytes, then an AWS key id glued to them: no `\b` before `AKIA`.
        let mut text = "x".repeat(3000);
        text.push_str("AKIAZ7QRSTUVWXYZ2345 end");
        assert!(scan(&text).is_empty());
        assert!(built_in().scan(text.as_bytes()).is_empty());
    }
}
