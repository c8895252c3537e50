//! Output formats of `hoist lint`: a human-readable terminal format and machine formats for CI
//! systems (JSON, SARIF, Checkstyle, GitLab Code Quality, GitHub workflow commands, JUnit).
//!
//! Every format renders every finding of every report, in the order given; filtering by level
//! happens before. [`OutputOptions::threshold`] is only used by formats that mark pass/fail.
//!
//! Lines and columns are 1-based and columns count characters, in every format. End columns
//! follow each format's own definition: exclusive (one past the last character) in `json`
//! (`end_column`) and `sarif` (SARIF 2.1.0 §3.30.8), inclusive in `github` (the annotation's
//! `endColumn` is the last column marked). `gnu`, `codacy`, `checkstyle` and `gitlab` give a
//! start line (and column) only; `sonarqube` gives hadolint's fixed columns 0–1.
//! Every format renders the findings as [`redact`] leaves them: no secret value and no
//! unbounded text reaches any output.

mod checkstyle;
mod codacy;
mod github;
mod gitlab;
mod gnu;
mod json;
mod junit;
mod redact;
mod sarif;
mod sonarqube;
mod tty;

use std::io::{self, Write};
use std::path::Path;

use super::{FileReport, Severity};
use crate::dockerfile::Span;

/// The output format, as chosen with `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, with source excerpts.
    #[default]
    Tty,
    /// A JSON array of findings (hadolint's field names).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// GitLab Code Quality JSON.
    #[value(alias = "codeclimate", alias = "gitlab_codeclimate")]
    Gitlab,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML.
    Junit,
    /// GNU error format, one line per finding (hadolint's `gnu`).
    Gnu,
    /// Codacy tool results (hadolint's `codacy`).
    Codacy,
    /// SonarQube generic issues (hadolint's `sonarqube`).
    Sonarqube,
}

/// Options shared by the formats.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    /// Use ANSI colours (tty format only).
    pub color: bool,
    /// Findings at or above this level count as failures (formats that mark pass/fail).
    pub threshold: Severity,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            color: false,
            threshold: Severity::Info,
        }
    }
}

/// Renders `reports` in `format` to `w`.
pub fn write(
    format: Format,
    reports: &[FileReport],
    opts: &OutputOptions,
    w: &mut dyn Write,
) -> io::Result<()> {
    let reports = &redact::sanitize(reports)[..];
    match format {
        Format::Tty => tty::write(reports, opts, w),
        Format::Json => json::write(reports, w),
        Format::Sarif => sarif::write(reports, w),
        Format::Checkstyle => checkstyle::write(reports, w),
        Format::Gitlab => gitlab::write(reports, w),
        Format::Github => github::write(reports, w),
        Format::Junit => junit::write(reports, opts, w),
        Format::Gnu => gnu::write(reports, w),
        Format::Codacy => codacy::write(reports, w),
        Format::Sonarqube => sonarqube::write(reports, w),
    }
}

/// The repository URL from the package metadata, if one is set.
fn repository_url() -> Option<&'static str> {
    let url = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    (!url.is_empty()).then_some(url)
}

/// Where the documentation of a finding code lives, when known: ShellCheck's wiki for `SC`
/// codes, `rules/<CODE>.md` in the repository for hoist's own rules.
fn help_uri(code: &str, is_rule: bool) -> Option<String> {
    if code.len() > 2 && code.starts_with("SC") && code[2..].bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("https://www.shellcheck.net/wiki/{code}"));
    }
    if !is_rule {
        return None;
    }
    repository_url().map(|u| format!("{u}/blob/main/rules/{code}.md"))
}

/// A report's path as text with forward slashes and no leading `./`.
fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// The last line a span really covers: a span ending at column 1 of a later line ends on the
/// line before (its last character is a newline).
fn last_line(span: &Span) -> u32 {
    if span.end.line > span.start.line && span.end.column <= 1 {
        span.end.line - 1
    } else {
        span.end.line.max(span.start.line)
    }
}

/// Escapes text for an XML attribute value or element content. Characters XML 1.0 cannot
/// carry are replaced by U+FFFD; tab, CR and LF become character references so that attribute
/// normalisation keeps them.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Counts of findings by level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    error: usize,
    warning: usize,
    info: usize,
    style: usize,
}

impl Counts {
    fn of(reports: &[FileReport]) -> Counts {
        let mut c = Counts::default();
        for f in reports.iter().flat_map(|r| &r.findings) {
            match f.level {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
                Severity::Style => c.style += 1,
            }
        }
        c
    }

    fn total(&self) -> usize {
        self.error + self.warning + self.info + self.style
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_escape("x\ny\u{1}"), "x&#10;y\u{FFFD}");
    }

    #[test]
    fn paths_use_forward_slashes() {
        assert_eq!(display_path(Path::new("./a/Dockerfile")), "a/Dockerfile");
        assert_eq!(display_path(Path::new("a\\b")), "a/b");
    }

    #[test]
    fn shellcheck_codes_link_to_the_wiki() {
        assert_eq!(
            help_uri("SC2086", false).as_deref(),
            Some("https://www.shellcheck.net/wiki/SC2086")
        );
        assert_eq!(help_uri("DL1000", false), None);
    }
}
