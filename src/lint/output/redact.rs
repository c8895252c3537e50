//! What no output format may show: secret values and unbounded text. [`sanitize`] rewrites the
//! findings every format renders — messages and help with every secret redacted and long texts
//! clipped in the middle; a fix whose text holds a secret is left out of the report (`--fix`
//! still applies it to the file). [`Masks`] tells the tty excerpt which source bytes to hide.

use std::collections::HashMap;

use crate::lint::{FileReport, Finding};
use crate::secrets;

/// The longest message or help text shown, in characters; longer ones keep their start and end.
pub(super) const MAX_TEXT: usize = 400;

/// Codes whose span is a secret value (a token, a password, a credential word): their spans are
/// hidden in excerpts even where the patterns alone would not find the secret (a `curl -u` word,
/// a value split over continuation lines).
const SECRET_VALUE_CODES: &[&str] = &["HO3001", "HO3002"];

/// The findings of `reports` as every format may show them.
pub(super) fn sanitize(reports: &[FileReport]) -> Vec<FileReport> {
    let mut cleaner = Cleaner::default();
    reports
        .iter()
        .map(|r| FileReport {
            path: r.path.clone(),
            source: r.source.clone(),
            findings: r.findings.iter().map(|f| cleaner.finding(f)).collect(),
        })
        .collect()
}

/// Redacts and clips texts, once per distinct text (thousands of findings share a help text or
/// a message).
#[derive(Default)]
struct Cleaner {
    cache: HashMap<String, String>,
}

impl Cleaner {
    /// `s` with every secret redacted.
    fn redacted(&mut self, s: &str) -> &str {
        if !self.cache.contains_key(s) {
            self.cache.insert(s.to_string(), secrets::redact_text(s));
        }
        self.cache.get(s).map_or("", String::as_str)
    }

    /// `s` redacted (first, so that clipping cannot leave half a secret), then clipped.
    fn clean(&mut self, s: &str) -> String {
        clip(self.redacted(s))
    }

    /// Whether `s` holds a secret.
    fn has_secret(&mut self, s: &str) -> bool {
        self.redacted(s) != s
    }

    fn finding(&mut self, f: &Finding) -> Finding {
        let fix = f.fix.as_ref().filter(|fix| {
            !self.has_secret(&fix.description)
                && !fix.edits.iter().any(|e| self.has_secret(&e.replacement))
        });
        Finding {
            code: f.code.clone(),
            level: f.level,
            category: f.category,
            message: self.clean(&f.message),
            span: f.span,
            help: f.help.as_deref().map(|h| self.clean(h)),
            fix: fix.cloned(),
        }
    }
}

/// `s` cut to about [`MAX_TEXT`] characters: its start and its end, with the count of what was
/// left out between them.
fn clip(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_TEXT {
        return s.to_string();
    }
    let head_n = MAX_TEXT * 2 / 3;
    let tail_n = MAX_TEXT / 4;
    let head: String = s.chars().take(head_n).collect();
    let tail: String = s.chars().skip(n - tail_n).collect();
    format!(
        "{head}… [{} characters not shown] …{tail}",
        n - head_n - tail_n
    )
}

/// The byte range `start..end` of `source` minus the leading characters a redacted form shows.
fn hidden_part(source: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let secret = source.get(start..end)?;
    let keep = secrets::shown_chars(secret.chars().count());
    let kept: usize = secret.chars().take(keep).map(char::len_utf8).sum();
    (start + kept < end).then_some((start + kept, end))
}

/// Sorts and merges byte ranges into disjoint ones.
fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The source bytes of one report that excerpts must not show, found per line on first use.
pub(super) struct Masks<'a> {
    source: &'a str,
    /// Hidden parts of the spans of [`SECRET_VALUE_CODES`] findings: sorted, disjoint.
    spans: Vec<(usize, usize)>,
    /// Per line start: the hidden ranges of that line, sorted and disjoint.
    lines: HashMap<usize, Vec<(usize, usize)>>,
}

impl<'a> Masks<'a> {
    pub(super) fn new(report: &'a FileReport) -> Masks<'a> {
        let source = report.source.as_str();
        let spans = report
            .findings
            .iter()
            .filter(|f| SECRET_VALUE_CODES.contains(&f.code.as_ref()))
            .filter_map(|f| hidden_part(source, f.span.range().start, f.span.range().end))
            .collect();
        Masks {
            source,
            spans: merge(spans),
            lines: HashMap::new(),
        }
    }

    /// The hidden ranges (absolute byte offsets) of the line `start..end`.
    pub(super) fn line(&mut self, start: usize, end: usize) -> &[(usize, usize)] {
        let (source, spans) = (self.source, &self.spans);
        self.lines.entry(start).or_insert_with(|| {
            let text = source.get(start..end).unwrap_or("");
            let mut ranges: Vec<(usize, usize)> = secrets::scan(text)
                .iter()
                .filter_map(|m| hidden_part(source, start + m.start, start + m.end))
                .collect();
            let first = spans.partition_point(|r| r.1 <= start);
            ranges.extend(
                spans
                    .get(first..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|r| r.0 < end)
                    .map(|&(s, e)| (s.max(start), e.min(end))),
            );
            merge(ranges)
        })
    }
}

/// The ones of the sorted, disjoint `ranges` that meet the byte range `start..end`.
pub(super) fn within(ranges: &[(usize, usize)], start: usize, end: usize) -> &[(usize, usize)] {
    let first = ranges.partition_point(|r| r.1 <= start);
    let rest = ranges.get(first..).unwrap_or(&[]);
    &rest[..rest.partition_point(|r| r.0 < end)]
}

/// Whether byte `offset` is inside one of `ranges`.
pub(super) fn is_hidden(ranges: &[(usize, usize)], offset: usize) -> bool {
    ranges.iter().any(|r| r.0 <= offset && offset < r.1)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::dockerfile::Span;
    use crate::lint::{Category, Severity};

    const GH: &str = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

    fn report(source: &str, findings: Vec<Finding>) -> FileReport {
        FileReport {
            path: PathBuf::from("Dockerfile"),
            source: source.to_string(),
            findings,
        }
    }

    fn finding(code: &'static str, message: &str, start: usize, end: usize) -> Finding {
        let mut span = Span::default();
        span.start.offset = start as u32;
        span.end.offset = end as u32;
        Finding {
            code: code.into(),
            level: Severity::Error,
            category: Category::Secrets,
            message: message.to_string(),
            span,
            help: None,
            fix: None,
        }
    }

    #[test]
    fn messages_are_redacted_and_clipped() {
        let f = finding(
            "HO1013",
            &format!("found '{GH}' and {}", "x".repeat(5000)),
            0,
            0,
        );
        let clean = sanitize(&[report("", vec![f])]);
        let m = &clean[0].findings[0].message;
        assert!(!m.contains(&GH[4..]), "{m}");
        assert!(m.chars().count() < MAX_TEXT + 60, "{}", m.len());
        assert!(m.contains("characters not shown"), "{m}");
    }

    #[test]
    fn lines_hide_pattern_secrets_and_secret_spans() {
        let source = format!("RUN echo {GH} && curl -u bob:Pw4x7q h\n");
        let cred = source.find("bob:").unwrap();
        let r = report(
            &source,
            vec![finding("HO3002", "Possible credentials", cred, cred + 10)],
        );
        let mut masks = Masks::new(&r);
        let hidden = masks.line(0, source.len() - 1).to_vec();
        assert_eq!(within(&hidden, 0, 5), &[] as &[(usize, usize)]);
        assert_eq!(within(&hidden, 0, source.len()), &hidden[..]);
        let gh = source.find(GH).unwrap();
        assert!(!is_hidden(&hidden, gh + 3), "the first characters stay");
        assert!(is_hidden(&hidden, gh + 4) && is_hidden(&hidden, gh + GH.len() - 1));
        assert!(!is_hidden(&hidden, gh + GH.len()));
        assert!(is_hidden(&hidden, cred + 2) && is_hidden(&hidden, cred + 9));
        assert!(!is_hidden(&hidden, 0));
    }
}
