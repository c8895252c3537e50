//! Lint configuration: `.hoist.toml` and `.hadolint.yaml` discovery, hadolint's environment
//! variables and CLI overrides, resolved into one [`LintOptions`] per linted file.
//!
//! By concern: [`model`] is the one serde model both file formats are read into (an option is
//! one field there), [`env`](mod@env) maps hadolint's variables onto the model's keys, [`merge`] layers
//! them, [`discovery`] finds the files. A new option is one field (with its doc) of
//! [`ConfigLayer`], which both file formats read; its resolved value is a field of
//! [`LintOptions`], and [`Accumulator::apply`] says how layers combine it (and a hadolint
//! variable, if any, is one row of [`env::ENV_VARS`]).
//!
//! Each source (a config file, the environment, the command line) is read into a
//! [`ConfigLayer`]; layers are applied in order on top of [`LintOptions::default`]: the discovered
//! (or `--config`) file, then the environment, then the command line. Lists (ignored codes,
//! enabled rules, trusted registries) accumulate; scalar settings and per-key maps (level
//! overrides, label schema, build args) are replaced by later layers.
//!
//! Discovery ([`Resolver`]): for each linted file, walk upward from its directory to the
//! filesystem root; the nearest directory holding `.hoist.toml`, `.hadolint.yaml` or
//! `.hadolint.yml` wins. When both a hadolint file and `.hoist.toml` are there, the hadolint file
//! is applied first and the hoist file on top. Results are cached per directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use thiserror::Error;

use super::Severity;

pub mod discovery;
pub mod env;
pub mod merge;
pub mod model;

pub use discovery::{load_dir, load_file, Resolver};
pub use env::env_layer;
pub use merge::Accumulator;
pub use model::{
    parse_hadolint_yaml, parse_label_requirement, parse_toml, split_list, ConfigLayer,
};

/// How a rule's level is overridden.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Set(Severity),
    /// Do not report this rule.
    Ignore,
}

impl Level {
    /// Parses `error|warning|info|style|ignore` (case-insensitive).
    pub fn parse(s: &str) -> Option<Level> {
        if s.trim().eq_ignore_ascii_case("ignore") {
            return Some(Level::Ignore);
        }
        Severity::parse(s.trim()).map(Level::Set)
    }
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
    /// BuildKit mode (`hoist lint --buildkit`, `hoist build --check=buildkit`): only BuildKit's
    /// build checks run, under their BuildKit names, with BuildKit's defaults (every check but
    /// the experimental ones), as the `# check=` directive and `BUILDKIT_DOCKERFILE_CHECK`
    /// configure them.
    pub buildkit: bool,
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
            buildkit: false,
        }
    }
}

/// Label types a `label-schema` may name.
pub const LABEL_TYPES: &[&str] = &["text", "url", "email", "rfc3339", "semver", "spdx", "hash"];

/// Names of the configuration files, in the order they are applied when both are present.
pub const HADOLINT_FILES: &[&str] = &[".hadolint.yaml", ".hadolint.yml"];
pub const HOIST_FILE: &str = ".hoist.toml";

/// A configuration problem. Every variant names where the bad value came from.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: invalid TOML: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{}: invalid YAML: {message}", path.display())]
    Yaml { path: PathBuf, message: String },
    #[error("{}: unknown key `{key}`", path.display())]
    UnknownKey { path: PathBuf, key: String },
    #[error("{}: `{key}`: {message}", path.display())]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{}: cannot tell the config format from the file name", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("{flag}: {message}")]
    Flag { flag: String, message: String },
}

impl ConfigError {
    /// A suggestion for fixing the problem.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Missing { .. } => {
                Some("check the path given to --config (or HADOLINT_CONFIG)".into())
            }
            ConfigError::Read { .. } => Some("check that the file exists and is readable".into()),
            ConfigError::Toml { .. } | ConfigError::Yaml { .. } => {
                Some("fix the syntax error at the position shown".into())
            }
            ConfigError::UnknownKey { .. } => {
                Some(format!("known keys: {}", model::known_keys_text()))
            }
            ConfigError::Invalid { key, .. } => Some(match key.as_str() {
                "failure-threshold" => "use one of error, warning, info, style, none".into(),
                k if k.starts_with("override") => {
                    "levels are error, warning, info, style, ignore".into()
                }
                k if k.starts_with("label-schema") => {
                    format!("label types are {}", LABEL_TYPES.join(", "))
                }
                _ => "see the documented type of this key".into(),
            }),
            ConfigError::UnknownFormat { .. } => {
                Some("name it `*.toml` (hoist format) or `*.yaml`/`*.yml` (hadolint format)".into())
            }
            ConfigError::Env { .. } => Some("fix or unset the variable".into()),
            ConfigError::Flag { .. } => Some("see `hoist lint --help`".into()),
        }
    }
}

/// The failure threshold as configured: a level, or `none` (never fail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    Level(Severity),
    /// Never fail because of findings.
    Never,
}

impl Threshold {
    /// Parses `error|warning|info|style|none` (hadolint's `ignore` is read as `none`).
    pub fn parse(s: &str) -> Option<Threshold> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("ignore") {
            return Some(Threshold::Never);
        }
        Severity::parse(t).map(Threshold::Level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn p() -> &'static Path {
        Path::new("x/.hoist.toml")
    }

    #[test]
    fn toml_full() {
        let l = parse_toml(
            p(),
            r#"
ignore = ["DL3006", "DL3008"]
enable = ["DL1001"]
failure-threshold = "warning"
trusted-registries = ["docker.io"]
strict-labels = true
disable-ignore-pragma = true
no-fail = false
shellcheck = true
[override]
DL3007 = "error"
DL4000 = "ignore"
[label-schema]
maintainer = "email"
[build-args]
VERSION = "1.2"
N = 3
"#,
        )
        .unwrap();
        assert_eq!(l.ignore, vec!["DL3006", "DL3008"]);
        assert_eq!(
            l.failure_threshold,
            Some(Threshold::Level(Severity::Warning))
        );
        assert_eq!(l.levels[1], ("DL4000".to_string(), Level::Ignore));
        assert_eq!(l.build_args["N"], "3");
        let mut acc = Accumulator::new();
        acc.apply(&l);
        let o = acc.finish();
        assert_eq!(o.failure_threshold, Severity::Warning);
        assert!(o.strict_labels && o.disable_ignore_pragma && o.shellcheck && !o.no_fail);
        assert_eq!(o.label_schema["maintainer"], "email");
        assert_eq!(o.build_args.unwrap()["VERSION"], "1.2");
    }

    #[test]
    fn toml_unknown_key_is_named() {
        let e = parse_toml(p(), "ignored = []\n").unwrap_err();
        assert!(matches!(&e, ConfigError::UnknownKey { key, .. } if key == "ignored"));
        assert!(e.to_string().contains("x/.hoist.toml"), "{e}");
        assert!(e.hint().is_some());
    }

    #[test]
    fn toml_bad_values() {
        assert!(matches!(
            parse_toml(p(), "failure-threshold = \"fatal\"\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse_toml(p(), "[override]\nDL3006 = \"loud\"\n"),
            Err(ConfigError::Invalid { key, .. }) if key == "override.DL3006"
        ));
        assert!(matches!(
            parse_toml(p(), "no-fail = \"maybe\"\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse_toml(p(), "ignore = [1]\n"),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            parse_toml(p(), "ignore = [\n"),
            Err(ConfigError::Toml { .. })
        ));
        assert!(matches!(
            parse_toml(p(), "[label-schema]\na = \"colour\"\n"),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn yaml_hadolint_keys() {
        let l = parse_hadolint_yaml(
            Path::new(".hadolint.yaml"),
            "ignored:\n  - DL3006\noverride:\n  error: [DL3008]\n  info:\ntrustedRegistries:\n  - quay.io\nfailure-threshold: error\nlabel-schema:\n  author: text\nstrict-labels: true\nno-color: true\nformat: json\nverbose: true\n",
        )
        .unwrap();
        assert_eq!(l.ignore, vec!["DL3006"]);
        assert_eq!(
            l.levels,
            vec![("DL3008".to_string(), Level::Set(Severity::Error))]
        );
        assert_eq!(l.trusted_registries, vec!["quay.io"]);
        assert_eq!(l.failure_threshold, Some(Threshold::Level(Severity::Error)));
        assert_eq!(l.strict_labels, Some(true));
        assert!(parse_hadolint_yaml(Path::new("h.yaml"), "").unwrap() == ConfigLayer::default());
        assert!(matches!(
            parse_hadolint_yaml(Path::new("h.yaml"), "- a\n"),
            Err(ConfigError::Yaml { .. })
        ));
    }

    #[test]
    fn threshold_none_means_no_fail_until_a_level_is_set_again() {
        let mut acc = Accumulator::new();
        acc.apply(&ConfigLayer {
            failure_threshold: Some(Threshold::Never),
            ..Default::default()
        });
        assert!(acc.clone().finish().no_fail);
        acc.apply(&ConfigLayer {
            failure_threshold: Some(Threshold::Level(Severity::Error)),
            ..Default::default()
        });
        let o = acc.finish();
        assert!(!o.no_fail);
        assert_eq!(o.failure_threshold, Severity::Error);
    }

    #[test]
    fn later_enable_undoes_ignore_and_levels_replace() {
        let mut acc = Accumulator::new();
        acc.apply(&ConfigLayer {
            ignore: vec!["DL3006".into()],
            levels: vec![("DL3008".into(), Level::Set(Severity::Error))],
            ..Default::default()
        });
        acc.apply(&ConfigLayer {
            enable: vec!["dl3006".into()],
            levels: vec![("dl3008".into(), Level::Set(Severity::Style))],
            ..Default::default()
        });
        let o = acc.finish();
        assert!(o.ignored.is_empty());
        assert_eq!(o.levels.len(), 1);
        assert_eq!(o.levels.get("dl3008"), Some(&Level::Set(Severity::Style)));
    }

    #[test]
    fn env_vars() {
        let env = |k: &str| -> Option<String> {
            match k {
                "HADOLINT_FAILURE_THRESHOLD" => Some("error".into()),
                "HADOLINT_IGNORE" => Some("DL3006, DL3008".into()),
                "HADOLINT_TRUSTED_REGISTRIES" => Some("docker.io".into()),
                "HADOLINT_ALLOWED_REGISTRIES" => Some("quay.io".into()),
                "HADOLINT_DISABLE_IGNORE_PRAGMA" => Some("on".into()),
                "HADOLINT_OVERRIDE_ERROR" => Some("DL3006,DL3009".into()),
                "HADOLINT_NOFAIL" => Some("yes".into()),
                "HADOLINT_STRICT_LABELS" => Some("0".into()),
                "HADOLINT_OVERRIDE_STYLE" => Some("DL3007".into()),
                "HADOLINT_REQUIRE_LABELS" => Some("maintainer:text,url:url".into()),
                _ => None,
            }
        };
        let l = env_layer(&env).unwrap();
        assert_eq!(l.failure_threshold, Some(Threshold::Level(Severity::Error)));
        assert_eq!(l.ignore, vec!["DL3006", "DL3008"]);
        assert_eq!(l.trusted_registries, vec!["docker.io", "quay.io"]);
        assert_eq!(l.no_fail, Some(true));
        assert_eq!(l.strict_labels, Some(false));
        assert_eq!(l.disable_ignore_pragma, Some(true));
        let mut levels: Vec<String> = l.levels.iter().map(|(c, l)| format!("{c}={l:?}")).collect();
        levels.sort();
        assert_eq!(
            levels,
            [
                "DL3006=Set(Error)",
                "DL3007=Set(Style)",
                "DL3009=Set(Error)"
            ]
        );
        assert_eq!(l.label_schema.len(), 2);
        let bad = |k: &str| (k == "HADOLINT_NOFAIL").then(|| "maybe".to_string());
        assert!(
            matches!(env_layer(&bad), Err(ConfigError::Env { var, .. }) if var == "HADOLINT_NOFAIL")
        );
        let bad = |k: &str| (k == "HADOLINT_REQUIRE_LABELS").then(|| "a:colour".to_string());
        assert!(
            matches!(env_layer(&bad), Err(ConfigError::Env { var, .. }) if var == "HADOLINT_REQUIRE_LABELS")
        );
    }

    #[test]
    fn label_requirements() {
        assert_eq!(
            parse_label_requirement("org.opencontainers.image.url:url").unwrap(),
            (
                "org.opencontainers.image.url".to_string(),
                "url".to_string()
            )
        );
        assert!(parse_label_requirement("maintainer").is_err());
        assert!(parse_label_requirement(":text").is_err());
        assert!(parse_label_requirement("a:colour").is_err());
    }
}
