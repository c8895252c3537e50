//! `hoist lint`: rules over the shared Dockerfile AST.
//!
//! Rules live one per file under `rules` (private; reached through [`registry`]), each with a `rules/<CODE>.md` document whose examples
//! are tested. [`registry`] is the single list of rules. [`lint_source`] runs them on one file and
//! applies suppression pragmas and configuration; [`output`] renders findings.

pub mod check_config;
pub mod config;
pub mod context;
pub mod engine;
pub mod fix;
pub mod output;
pub mod registry;
mod rules;
pub use crate::secrets;
pub mod shellcheck;
pub mod suppress;

use std::borrow::Cow;

use serde::Serialize;

use crate::dockerfile::Span;

pub use context::Context;
pub use engine::{lint_source, FileReport};

/// Finding levels, hadolint's names. Ordered from most to least severe.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Style,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Style => "style",
        }
    }

    /// Parses hadolint's level names (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            "style" => Some(Severity::Style),
            _ => None,
        }
    }
}

/// A small fixed set of rule categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The file does not parse.
    Syntax,
    /// Base images and packages without pinned versions.
    Pinning,
    /// Which user the container runs as.
    User,
    /// Shell-form CMD/ENTRYPOINT and related signal handling.
    ShellForm,
    /// Secrets leaking into the image or its history.
    Secrets,
    /// Package manager hygiene (caches, prompts, recommends).
    Packages,
    /// Image labels and their schema.
    Labels,
    /// Instructions that are wrong or will not do what they look like.
    Correctness,
    /// Security hardening other than users and secrets.
    Security,
    /// Deprecated instructions and forms.
    Deprecated,
    /// Style and consistency.
    Style,
    /// Findings reported by ShellCheck.
    Shellcheck,
}

impl Category {
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Syntax => "syntax",
            Category::Pinning => "pinning",
            Category::User => "user",
            Category::ShellForm => "shell-form",
            Category::Secrets => "secrets",
            Category::Packages => "packages",
            Category::Labels => "labels",
            Category::Correctness => "correctness",
            Category::Security => "security",
            Category::Deprecated => "deprecated",
            Category::Style => "style",
            Category::Shellcheck => "shellcheck",
        }
    }
}

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Primary code: hadolint's DL code where one is equivalent, else an `HO` code.
    pub code: &'static str,
    /// Short kebab-case name, e.g. `base-image-unpinned`.
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line: what the rule flags.
    pub summary: &'static str,
    /// Other names accepted wherever a code is: BuildKit check names (`JSONArgsRecommended`),
    /// Trivy ids (`DS-0002`, `AVD-DS-0002`), etc.
    pub aliases: &'static [&'static str],
    /// Off unless enabled in configuration (policies such as requiring digests).
    pub opt_in: bool,
}

/// A rule: its metadata and its check.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: fn(&Context, &mut Diagnostics),
}

/// One text replacement of a fix, in byte offsets of the source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// A fix a rule offers for a finding. Only `safe` fixes are applied by `hoist lint --fix`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<Edit>,
    pub safe: bool,
}

/// One problem found in one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `DL3006`, `HO1001`, `SC2086`, `DL1000` (parse error)…
    pub code: Cow<'static, str>,
    pub level: Severity,
    pub category: Category,
    pub message: String,
    pub span: Span,
    /// What to do about it, when more than the message says.
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

/// Collects the findings of one rule run.
pub struct Diagnostics {
    pub(crate) findings: Vec<Finding>,
    pub(crate) current: Option<&'static RuleMeta>,
}

impl Diagnostics {
    pub(crate) fn new() -> Self {
        Diagnostics {
            findings: Vec::new(),
            current: None,
        }
    }

    /// Reports a finding of the rule being run, at `span`.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Finding {
        let meta = self
            .current
            .expect("Diagnostics::report called outside a rule run");
        self.findings.push(Finding {
            code: Cow::Borrowed(meta.code),
            level: meta.severity,
            category: meta.category,
            message: message.into(),
            span,
            help: None,
            fix: None,
        });
        self.findings.last_mut().expect("just pushed")
    }

    /// Adds a finding that is not from the current rule (parse errors, ShellCheck).
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }
}

impl Finding {
    pub fn with_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(&mut self, fix: Fix) -> &mut Self {
        self.fix = Some(fix);
        self
    }
}

/// Helpers for rule tests (unit tests and the `rules/*.md` example tests).
#[doc(hidden)]
pub mod testing {
    use std::path::Path;

    use super::config::LintOptions;
    use super::{engine, registry, Finding};

    /// Lints `src` with default options plus the opt-in rule `code` enabled, and returns the
    /// findings of `code` only.
    pub fn findings_of(code: &str, src: &str) -> Vec<Finding> {
        findings_with(code, src, &LintOptions::default())
    }

    /// As [`findings_of`], with explicit options (the rule is enabled on top of them).
    pub fn findings_with(code: &str, src: &str, options: &LintOptions) -> Vec<Finding> {
        let mut options = options.clone();
        options.enabled.push(code.to_string());
        let report = engine::lint_source(Path::new("Dockerfile"), src, &options);
        report
            .findings
            .into_iter()
            .filter(|f| registry::code_matches(&f.code, code))
            .collect()
    }

    /// `(line, column)` of each finding of `code` in `src`.
    pub fn positions(code: &str, src: &str) -> Vec<(u32, u32)> {
        findings_of(code, src)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }
}
