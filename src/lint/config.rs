//! Lint configuration: `.hoist.toml` and `.hadolint.yaml` discovery and CLI overrides.
//! (Being written: the resolved options struct is fixed.)

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Severity;

/// How a rule's level is overridden.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Set(Severity),
    /// Do not report this rule.
    Ignore,
}

/// Resolved options for linting one file.
#[derive(Clone, Debug)]
pub struct LintOptions {
    /// `--build-arg` values, overriding ARG defaults when resolving FROM and other references.
    pub build_args: Option<BTreeMap<String, String>>,
    /// Registries base images may come from (hadolint `trustedRegistries`); empty = any.
    pub trusted_registries: Vec<String>,
    /// Required labels and their types (hadolint `label-schema`): name → `text`, `url`, `email`,
    /// `rfc3339`, `semver`, `spdx`, `hash`.
    pub label_schema: BTreeMap<String, String>,
    /// Labels not in the schema are reported (hadolint `strict-labels`).
    pub strict_labels: bool,
    /// The build context directory, for checks of what `COPY`/`ADD` would pick up.
    pub context_dir: Option<PathBuf>,
    /// Codes (or aliases) not to report.
    pub ignored: Vec<String>,
    /// Opt-in rules turned on, by code or alias.
    pub enabled: Vec<String>,
    /// Level overrides by code or alias (hadolint `override`).
    pub levels: BTreeMap<String, Level>,
    /// Findings at or above this level make the exit code 1.
    pub failure_threshold: Severity,
    /// Inline `# hadolint ignore=` / `# hoist ignore=` pragmas are not honoured.
    pub disable_ignore_pragma: bool,
    /// Always exit 0 (hadolint `no-fail`).
    pub no_fail: bool,
    /// Run ShellCheck over RUN bodies.
    pub shellcheck: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            build_args: None,
            trusted_registries: Vec::new(),
            label_schema: BTreeMap::new(),
            strict_labels: false,
            context_dir: None,
            ignored: Vec::new(),
            enabled: Vec::new(),
            levels: BTreeMap::new(),
            failure_threshold: Severity::Info,
            disable_ignore_pragma: false,
            no_fail: false,
            shellcheck: false,
        }
    }
}
