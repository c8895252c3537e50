//! Runs the rules on one file: parse, build the [`Context`], run every enabled rule, add parse
//! errors, unknown flags and substitution syntax errors (which fail a BuildKit build) as
//! DL1000, run ShellCheck when asked, then apply suppression pragmas and level overrides.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::config::{Level, LintOptions};
use super::{
    check_config, registry, shellcheck, suppress, Category, Context, Diagnostics, Finding, Severity,
};
use crate::dockerfile::{self, Dockerfile};

/// The result of linting one file.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub source: String,
    pub findings: Vec<Finding>,
}

impl FileReport {
    /// True when a finding is at or above the threshold.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.level <= threshold)
    }
}

/// Whether a rule runs under these options and the file's BuildKit check configuration
/// (`experimental`: BuildKit's experimental checks some `check=` enables somewhere in the file).
fn rule_runs(rule: &super::Rule, options: &LintOptions, experimental: &[&str]) -> bool {
    let bk = rule
        .meta
        .aliases
        .iter()
        .find_map(|a| suppress::buildkit_name(a));
    match bk {
        None if options.buildkit => false,
        Some(name) if check_config::EXPERIMENTAL_CHECKS.contains(&name) => {
            experimental.contains(&name) || rule_enabled(rule, options)
        }
        // BuildKit runs every non-experimental check by default.
        Some(_) if options.buildkit => !configured_off(rule, options),
        _ => rule_enabled(rule, options),
    }
}

/// Whether the options turn the rule off (`ignore`, or level `ignore`).
fn configured_off(rule: &super::Rule, options: &LintOptions) -> bool {
    options.ignored.iter().any(|c| registry::matches(rule, c))
        || matches!(
            options
                .levels
                .iter()
                .find(|(c, _)| registry::matches(rule, c)),
            Some((_, Level::Ignore))
        )
}

/// Whether a rule runs under these options.
pub fn rule_enabled(rule: &super::Rule, options: &LintOptions) -> bool {
    if configured_off(rule, options) {
        return false;
    }
    !rule.meta.opt_in || options.enabled.iter().any(|c| registry::matches(rule, c))
}

/// `FROM --platform=` values that expand (with the ARG defaults and build arguments) to an
/// empty or malformed platform, which fail a BuildKit build.
fn platform_errors(cx: &Context) -> Vec<(crate::dockerfile::Span, String)> {
    let mut out = Vec::new();
    for (i, ins) in cx.instructions() {
        if !matches!(ins.kind, crate::dockerfile::InstructionKind::From { .. }) {
            continue;
        }
        let Some(flag) = ins.flag("platform") else {
            continue;
        };
        let (Some(raw), Some(span)) = (flag.value.as_deref(), flag.value_span) else {
            continue;
        };
        if !raw.contains('$') {
            continue;
        }
        let Some(value) = cx.expand(i, raw) else {
            continue;
        };
        if value.is_empty() {
            out.push((span, format!("empty platform value from expression {raw}")));
        } else if let Err(e) = dockerfile::flags::parse_platform(&value) {
            out.push((span, format!("failed to parse platform {raw}: {e}")));
        }
    }
    out
}

/// Lints `source` (the contents of `path`).
pub fn lint_source(path: &Path, source: &str, options: &LintOptions) -> FileReport {
    let df = dockerfile::parse(source);
    let findings = lint_parsed(path, source, &df, options);
    FileReport {
        path: path.to_path_buf(),
        source: source.to_string(),
        findings,
    }
}

/// Lints an already parsed file.
pub fn lint_parsed(
    path: &Path,
    source: &str,
    df: &Dockerfile,
    options: &LintOptions,
) -> Vec<Finding> {
    let mut diags = Diagnostics::new();
    let expansion = dockerfile::expand_check::expansion_errors(df, source);
    let flags = dockerfile::flags::unknown_flag_errors(df);
    for e in df.errors.iter().chain(&flags).chain(&expansion) {
        diags.push(Finding {
            code: Cow::Borrowed("DL1000"),
            level: Severity::Error,
            category: Category::Syntax,
            message: e.message.clone(),
            span: e.span,
            help: None,
            fix: None,
        });
    }
    let cx = Context::new(path, source, df, options);
    for (span, message) in platform_errors(&cx) {
        diags.push(Finding {
            code: Cow::Borrowed("DL1000"),
            level: Severity::Error,
            category: Category::Syntax,
            message,
            span,
            help: Some("declare the ARG (or fix its name) so --platform names a platform".into()),
            fix: None,
        });
    }
    let experimental = check_config::experimental_anywhere(&cx);
    for rule in registry::all() {
        if !rule_runs(rule, options, &experimental) {
            continue;
        }
        diags.current = Some(&rule.meta);
        (rule.check)(&cx, &mut diags);
    }
    diags.current = None;
    if options.shellcheck {
        shellcheck::run(&cx, &mut diags);
    }
    let mut findings = suppress::apply(&cx, diags.findings);
    if options.buildkit {
        findings.retain_mut(|f| match suppress::buildkit_name(&f.code) {
            Some(name) => {
                f.code = Cow::Borrowed(name);
                true
            }
            None => f.code == "DL1000",
        });
    }
    for f in &mut findings {
        if let Some((_, Level::Set(sev))) = options
            .levels
            .iter()
            .find(|(c, _)| registry::code_matches(&f.code, c))
        {
            f.level = *sev;
        }
    }
    findings.retain(|f| {
        !options
            .ignored
            .iter()
            .any(|c| registry::code_matches(&f.code, c))
            && !options
                .levels
                .iter()
                .any(|(c, l)| *l == Level::Ignore && registry::code_matches(&f.code, c))
    });
    findings.sort_by(|a, b| {
        (a.span.start, &a.code, &a.message).cmp(&(b.span.start, &b.code, &b.message))
    });
    findings.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    findings
}
