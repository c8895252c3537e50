//! Lint configuration: `.hoist.toml` and `.hadolint.yaml` discovery, hadolint's environment
//! variables and CLI overrides, resolved into one [`LintOptions`] per linted file.
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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use thiserror::Error;

use super::{registry, Severity};

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

/// Label types a `label-schema` may name.
pub const LABEL_TYPES: &[&str] = &["text", "url", "email", "rfc3339", "semver", "spdx", "hash"];

/// Names of the configuration files, in the order they are applied when both are present.
pub const HADOLINT_FILES: &[&str] = &[".hadolint.yaml", ".hadolint.yml"];
pub const HOIST_FILE: &str = ".hoist.toml";

/// A configuration problem. Every variant names where the bad value came from.
#[derive(Debug, Error)]
pub enum ConfigError {
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
        let keys = "known keys: ignore, enable, failure-threshold, trusted-registries, \
                    strict-labels, disable-ignore-pragma, no-fail, shellcheck, [override], \
                    [label-schema], [build-args]";
        match self {
            ConfigError::Read { .. } => Some("check that the file exists and is readable".into()),
            ConfigError::Toml { .. } | ConfigError::Yaml { .. } => {
                Some("fix the syntax error at the position shown".into())
            }
            ConfigError::UnknownKey { .. } => Some(keys.into()),
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

/// One source of settings. `None`/empty means "not set here".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigLayer {
    pub ignore: Vec<String>,
    pub enable: Vec<String>,
    pub failure_threshold: Option<Threshold>,
    pub trusted_registries: Vec<String>,
    pub strict_labels: Option<bool>,
    pub disable_ignore_pragma: Option<bool>,
    pub no_fail: Option<bool>,
    pub shellcheck: Option<bool>,
    /// Level overrides in the order given.
    pub levels: Vec<(String, Level)>,
    pub label_schema: BTreeMap<String, String>,
    pub build_args: BTreeMap<String, String>,
    pub context_dir: Option<PathBuf>,
}

/// True when two codes designate the same rule (or the same code without a rule).
fn same_code(a: &str, b: &str) -> bool {
    match (registry::find(a), registry::find(b)) {
        (Some(x), Some(y)) => std::ptr::eq(x, y),
        _ => registry::normalize_code(a) == registry::normalize_code(b),
    }
}

/// Options being built from layers; `none` thresholds are kept apart from `no_fail`.
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    options: LintOptions,
    never_fail: bool,
    no_fail: bool,
}

impl Accumulator {
    pub fn new() -> Self {
        Accumulator::default()
    }

    /// Applies `layer` on top of what is there.
    pub fn apply(&mut self, layer: &ConfigLayer) {
        let o = &mut self.options;
        for c in &layer.ignore {
            o.enabled.retain(|e| !same_code(e, c));
            o.ignored.push(c.clone());
        }
        for c in &layer.enable {
            o.ignored.retain(|e| !same_code(e, c));
            o.enabled.push(c.clone());
        }
        match layer.failure_threshold {
            Some(Threshold::Level(s)) => {
                o.failure_threshold = s;
                self.never_fail = false;
            }
            Some(Threshold::Never) => self.never_fail = true,
            None => {}
        }
        for r in &layer.trusted_registries {
            if !o.trusted_registries.contains(r) {
                o.trusted_registries.push(r.clone());
            }
        }
        if let Some(b) = layer.strict_labels {
            o.strict_labels = b;
        }
        if let Some(b) = layer.disable_ignore_pragma {
            o.disable_ignore_pragma = b;
        }
        if let Some(b) = layer.no_fail {
            self.no_fail = b;
        }
        if let Some(b) = layer.shellcheck {
            o.shellcheck = b;
        }
        for (code, level) in &layer.levels {
            o.levels.retain(|k, _| !same_code(k, code));
            o.levels.insert(code.clone(), *level);
            if *level != Level::Ignore {
                // An explicit level turns an opt-in rule on, as in hadolint.
                o.ignored.retain(|e| !same_code(e, code));
                if !o.enabled.iter().any(|e| same_code(e, code)) {
                    o.enabled.push(code.clone());
                }
            }
        }
        for (k, v) in &layer.label_schema {
            o.label_schema.insert(k.clone(), v.clone());
        }
        if !layer.build_args.is_empty() {
            let args = o.build_args.get_or_insert_with(BTreeMap::new);
            for (k, v) in &layer.build_args {
                args.insert(k.clone(), v.clone());
            }
        }
        if let Some(d) = &layer.context_dir {
            o.context_dir = Some(d.clone());
        }
    }

    /// The resolved options.
    pub fn finish(mut self) -> LintOptions {
        self.options.no_fail = self.no_fail || self.never_fail;
        self.options
    }
}

// ---------------------------------------------------------------------------------------------
// .hoist.toml

/// Parses the text of a `.hoist.toml` (`path` is only used in errors).
pub fn parse_toml(path: &Path, text: &str) -> Result<ConfigLayer, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Toml {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        message,
    };
    let mut layer = ConfigLayer::default();
    for (key, value) in &table {
        match key.as_str() {
            "ignore" => {
                layer.ignore = toml_strings(value)
                    .ok_or_else(|| invalid(key, "expected a list of rule codes".into()))?
            }
            "enable" => {
                layer.enable = toml_strings(value)
                    .ok_or_else(|| invalid(key, "expected a list of rule codes".into()))?
            }
            "trusted-registries" => {
                layer.trusted_registries = toml_strings(value)
                    .ok_or_else(|| invalid(key, "expected a list of registry names".into()))?
            }
            "failure-threshold" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| invalid(key, "expected a string".into()))?;
                layer.failure_threshold = Some(
                    Threshold::parse(s)
                        .ok_or_else(|| invalid(key, format!("unknown level `{s}`")))?,
                );
            }
            "strict-labels" | "disable-ignore-pragma" | "no-fail" | "shellcheck" => {
                let b = value
                    .as_bool()
                    .ok_or_else(|| invalid(key, "expected true or false".into()))?;
                match key.as_str() {
                    "strict-labels" => layer.strict_labels = Some(b),
                    "disable-ignore-pragma" => layer.disable_ignore_pragma = Some(b),
                    "no-fail" => layer.no_fail = Some(b),
                    _ => layer.shellcheck = Some(b),
                }
            }
            "override" => {
                let t = value
                    .as_table()
                    .ok_or_else(|| invalid(key, "expected a table of CODE = \"level\"".into()))?;
                for (code, lv) in t {
                    let k = format!("override.{code}");
                    let s = lv
                        .as_str()
                        .ok_or_else(|| invalid(&k, "expected a string".into()))?;
                    let level = Level::parse(s)
                        .ok_or_else(|| invalid(&k, format!("unknown level `{s}`")))?;
                    layer.levels.push((code.clone(), level));
                }
            }
            "label-schema" => {
                let t = value
                    .as_table()
                    .ok_or_else(|| invalid(key, "expected a table of label = \"type\"".into()))?;
                for (name, ty) in t {
                    let k = format!("label-schema.{name}");
                    let s = ty
                        .as_str()
                        .ok_or_else(|| invalid(&k, "expected a string".into()))?;
                    layer.label_schema.insert(
                        name.clone(),
                        label_type(s)
                            .ok_or_else(|| invalid(&k, format!("unknown label type `{s}`")))?,
                    );
                }
            }
            "build-args" => {
                let t = value
                    .as_table()
                    .ok_or_else(|| invalid(key, "expected a table of NAME = \"value\"".into()))?;
                for (name, v) in t {
                    let s = match v {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::Float(f) => f.to_string(),
                        toml::Value::Boolean(b) => b.to_string(),
                        _ => {
                            return Err(invalid(
                                &format!("build-args.{name}"),
                                "expected a string".into(),
                            ))
                        }
                    };
                    layer.build_args.insert(name.clone(), s);
                }
            }
            _ => {
                return Err(ConfigError::UnknownKey {
                    path: path.to_path_buf(),
                    key: key.clone(),
                })
            }
        }
    }
    Ok(layer)
}

fn toml_strings(v: &toml::Value) -> Option<Vec<String>> {
    match v {
        toml::Value::String(s) => Some(split_list(s)),
        toml::Value::Array(items) => {
            let mut out = Vec::new();
            for i in items {
                out.push(i.as_str()?.trim().to_string());
            }
            Some(out.into_iter().filter(|s| !s.is_empty()).collect())
        }
        _ => None,
    }
}

fn label_type(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_lowercase();
    LABEL_TYPES.contains(&t.as_str()).then_some(t)
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// .hadolint.yaml

/// Parses the text of a hadolint config file (`path` is only used in errors). Output-only keys
/// (`format`, `output-format`, `no-color`, `verbose`) and keys hadolint does not know are
/// accepted and ignored, as hadolint does.
pub fn parse_hadolint_yaml(path: &Path, text: &str) -> Result<ConfigLayer, ConfigError> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| ConfigError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut layer = ConfigLayer::default();
    let map = match value {
        serde_yaml::Value::Null => return Ok(layer),
        serde_yaml::Value::Mapping(m) => m,
        _ => {
            return Err(ConfigError::Yaml {
                path: path.to_path_buf(),
                message: "the top level must be a mapping of keys".into(),
            })
        }
    };
    let invalid = |key: &str, message: &str| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        message: message.to_string(),
    };
    for (k, v) in &map {
        let Some(key) = k.as_str() else { continue };
        if v.is_null() {
            continue;
        }
        match key {
            "ignored" => {
                layer.ignore =
                    yaml_strings(v).ok_or_else(|| invalid(key, "expected a list of rule codes"))?
            }
            "trustedRegistries" | "trusted-registries" => {
                layer.trusted_registries = yaml_strings(v)
                    .ok_or_else(|| invalid(key, "expected a list of registry names"))?
            }
            "failure-threshold" | "failureThreshold" => {
                let s = yaml_scalar(v).ok_or_else(|| invalid(key, "expected a level"))?;
                layer.failure_threshold = Some(
                    Threshold::parse(&s)
                        .ok_or_else(|| invalid(key, &format!("unknown level `{s}`")))?,
                );
            }
            "strict-labels" | "strictLabels" => {
                layer.strict_labels =
                    Some(yaml_bool(v).ok_or_else(|| invalid(key, "expected true or false"))?)
            }
            "disable-ignore-pragma" | "disableIgnorePragma" => {
                layer.disable_ignore_pragma =
                    Some(yaml_bool(v).ok_or_else(|| invalid(key, "expected true or false"))?)
            }
            "no-fail" | "noFail" => {
                layer.no_fail =
                    Some(yaml_bool(v).ok_or_else(|| invalid(key, "expected true or false"))?)
            }
            "override" => {
                let m = v
                    .as_mapping()
                    .ok_or_else(|| invalid(key, "expected error/warning/info/style lists"))?;
                for (lk, codes) in m {
                    let Some(lname) = lk.as_str() else { continue };
                    let k = format!("override.{lname}");
                    let level =
                        Severity::parse(lname).ok_or_else(|| invalid(&k, "unknown level"))?;
                    if codes.is_null() {
                        continue;
                    }
                    for c in yaml_strings(codes)
                        .ok_or_else(|| invalid(&k, "expected a list of rule codes"))?
                    {
                        layer.levels.push((c, Level::Set(level)));
                    }
                }
            }
            "label-schema" | "labelSchema" => {
                let m = v
                    .as_mapping()
                    .ok_or_else(|| invalid(key, "expected a mapping of label: type"))?;
                for (name, ty) in m {
                    let Some(name) = yaml_scalar(name) else {
                        continue;
                    };
                    let k = format!("label-schema.{name}");
                    let s = yaml_scalar(ty).ok_or_else(|| invalid(&k, "expected a type name"))?;
                    let t = label_type(&s)
                        .ok_or_else(|| invalid(&k, &format!("unknown label type `{s}`")))?;
                    layer.label_schema.insert(name, t);
                }
            }
            // Output-only settings: the command line decides these.
            _ => {}
        }
    }
    Ok(layer)
}

fn yaml_scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn yaml_bool(v: &serde_yaml::Value) -> Option<bool> {
    match v {
        serde_yaml::Value::Bool(b) => Some(*b),
        serde_yaml::Value::String(s) => parse_truthy(s),
        _ => None,
    }
}

fn yaml_strings(v: &serde_yaml::Value) -> Option<Vec<String>> {
    match v {
        serde_yaml::Value::Sequence(items) => {
            let mut out = Vec::new();
            for i in items {
                out.push(yaml_scalar(i)?.trim().to_string());
            }
            Some(out.into_iter().filter(|s| !s.is_empty()).collect())
        }
        serde_yaml::Value::String(s) => Some(split_list(s)),
        _ => None,
    }
}

/// hadolint's truthy/falsy words for boolean environment variables.
fn parse_truthy(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "on" | "true" => Some(true),
        "0" | "n" | "no" | "off" | "false" | "" => Some(false),
        _ => None,
    }
}

/// Loads one config file, its format chosen by its name: `*.toml` is hoist's format,
/// `*.yaml`/`*.yml` hadolint's.
pub fn load_file(path: &Path) -> Result<ConfigLayer, ConfigError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_toml = name.ends_with(".toml");
    let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if !is_toml && !is_yaml {
        return Err(ConfigError::UnknownFormat {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if is_toml {
        parse_toml(path, &text)
    } else {
        parse_hadolint_yaml(path, &text)
    }
}

// ---------------------------------------------------------------------------------------------
// Environment

/// Reads hadolint's environment variables through `lookup` (use [`std::env::var`] in practice):
/// `HADOLINT_FAILURE_THRESHOLD`, `HADOLINT_IGNORE`, `HADOLINT_TRUSTED_REGISTRIES` (and hadolint's
/// spelling `HADOLINT_ALLOWED_REGISTRIES`), `HADOLINT_NOFAIL`, `HADOLINT_STRICT_LABELS`,
/// `HADOLINT_DISABLE_IGNORE_PRAGMA`, `HADOLINT_OVERRIDE_{ERROR,WARNING,INFO,STYLE}` and
/// `HADOLINT_REQUIRE_LABELS` (`name:type,…`).
pub fn env_layer(lookup: &dyn Fn(&str) -> Option<String>) -> Result<ConfigLayer, ConfigError> {
    let mut layer = ConfigLayer::default();
    let env_err = |var: &str, message: String| ConfigError::Env {
        var: var.to_string(),
        message,
    };
    let boolean = |var: &str| -> Result<Option<bool>, ConfigError> {
        match lookup(var) {
            None => Ok(None),
            Some(v) => parse_truthy(&v)
                .map(Some)
                .ok_or_else(|| env_err(var, format!("expected true or false, got `{v}`"))),
        }
    };
    if let Some(v) = lookup("HADOLINT_FAILURE_THRESHOLD").filter(|v| !v.trim().is_empty()) {
        layer.failure_threshold = Some(Threshold::parse(&v).ok_or_else(|| {
            env_err("HADOLINT_FAILURE_THRESHOLD", format!("unknown level `{v}`"))
        })?);
    }
    if let Some(v) = lookup("HADOLINT_IGNORE") {
        layer.ignore = split_list(&v);
    }
    for var in ["HADOLINT_TRUSTED_REGISTRIES", "HADOLINT_ALLOWED_REGISTRIES"] {
        if let Some(v) = lookup(var) {
            layer.trusted_registries.extend(split_list(&v));
        }
    }
    layer.no_fail = boolean("HADOLINT_NOFAIL")?;
    layer.strict_labels = boolean("HADOLINT_STRICT_LABELS")?;
    layer.disable_ignore_pragma = boolean("HADOLINT_DISABLE_IGNORE_PRAGMA")?;
    for (var, sev) in [
        ("HADOLINT_OVERRIDE_ERROR", Severity::Error),
        ("HADOLINT_OVERRIDE_WARNING", Severity::Warning),
        ("HADOLINT_OVERRIDE_INFO", Severity::Info),
        ("HADOLINT_OVERRIDE_STYLE", Severity::Style),
    ] {
        if let Some(v) = lookup(var) {
            for c in split_list(&v) {
                layer.levels.push((c, Level::Set(sev)));
            }
        }
    }
    if let Some(v) = lookup("HADOLINT_REQUIRE_LABELS") {
        for item in split_list(&v) {
            let (name, ty) = parse_label_requirement(&item)
                .map_err(|m| env_err("HADOLINT_REQUIRE_LABELS", m))?;
            layer.label_schema.insert(name, ty);
        }
    }
    Ok(layer)
}

/// Parses `name:type` (hadolint's `--require-label`).
pub fn parse_label_requirement(s: &str) -> Result<(String, String), String> {
    let (name, ty) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not NAME:TYPE"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{s}` has an empty label name"));
    }
    let ty = label_type(ty).ok_or_else(|| {
        format!(
            "`{ty}` is not a label type (one of {})",
            LABEL_TYPES.join(", ")
        )
    })?;
    Ok((name.to_string(), ty))
}

// ---------------------------------------------------------------------------------------------
// Discovery

type Discovered = Result<Option<Arc<ConfigLayer>>, Arc<ConfigError>>;

/// Resolves the options of each linted file: discovered or explicit config file, environment,
/// then command line. Safe to share between threads; discovery results are cached per directory.
pub struct Resolver {
    explicit: Option<ConfigLayer>,
    env: ConfigLayer,
    cli: ConfigLayer,
    cache: Mutex<HashMap<PathBuf, Discovered>>,
}

impl Resolver {
    /// `config_file` replaces discovery (`--config`); `env` and `cli` are applied on top.
    pub fn new(
        config_file: Option<&Path>,
        env: ConfigLayer,
        cli: ConfigLayer,
    ) -> Result<Resolver, ConfigError> {
        let explicit = config_file.map(load_file).transpose()?;
        Ok(Resolver {
            explicit,
            env,
            cli,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Options for the file at `file`; `None` is stdin, for which discovery starts at `dir`
    /// (the current directory in practice) and there is no default build context.
    pub fn options_for(
        &self,
        file: Option<&Path>,
        dir: &Path,
    ) -> Result<LintOptions, Arc<ConfigError>> {
        let start = match file {
            Some(f) => absolute(f)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| absolute(dir)),
            None => absolute(dir),
        };
        let mut acc = Accumulator::new();
        if file.is_some() {
            acc.options.context_dir = Some(start.clone());
        }
        match &self.explicit {
            Some(layer) => acc.apply(layer),
            None => {
                if let Some(layer) = self.discover(&start)? {
                    acc.apply(&layer);
                }
            }
        }
        acc.apply(&self.env);
        acc.apply(&self.cli);
        Ok(acc.finish())
    }

    /// The merged config of the nearest directory at or above `dir` that has a config file.
    fn discover(&self, dir: &Path) -> Discovered {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(dir).cloned()) {
            return hit;
        }
        let result = match load_dir(dir) {
            Ok(Some(layer)) => Ok(Some(Arc::new(layer))),
            Ok(None) => match dir.parent() {
                Some(parent) => self.discover(parent),
                None => Ok(None),
            },
            Err(e) => Err(Arc::new(e)),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(dir.to_path_buf(), result.clone());
        }
        result
    }
}

/// Loads the config files of one directory, if it has any.
pub fn load_dir(dir: &Path) -> Result<Option<ConfigLayer>, ConfigError> {
    let hadolint = HADOLINT_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file());
    let hoist = Some(dir.join(HOIST_FILE)).filter(|p| p.is_file());
    if hadolint.is_none() && hoist.is_none() {
        return Ok(None);
    }
    let mut merged = ConfigLayer::default();
    for path in hadolint.iter().chain(hoist.iter()) {
        merge_layer(&mut merged, load_file(path)?);
    }
    Ok(Some(merged))
}

/// Combines two layers of the same directory into one (`top` wins).
fn merge_layer(base: &mut ConfigLayer, top: ConfigLayer) {
    base.ignore.extend(top.ignore);
    base.enable.extend(top.enable);
    base.failure_threshold = top.failure_threshold.or(base.failure_threshold);
    base.trusted_registries.extend(top.trusted_registries);
    base.strict_labels = top.strict_labels.or(base.strict_labels);
    base.disable_ignore_pragma = top.disable_ignore_pragma.or(base.disable_ignore_pragma);
    base.no_fail = top.no_fail.or(base.no_fail);
    base.shellcheck = top.shellcheck.or(base.shellcheck);
    base.levels.extend(top.levels);
    base.label_schema.extend(top.label_schema);
    base.build_args.extend(top.build_args);
    base.context_dir = top.context_dir.or(base.context_dir.take());
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            parse_toml(p(), "no-fail = \"yes\"\n"),
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
                "HADOLINT_TRUSTED_REGISTRIES" => Some("docker.io,quay.io".into()),
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
        assert_eq!(l.disable_ignore_pragma, None);
        assert_eq!(
            l.levels,
            vec![("DL3007".to_string(), Level::Set(Severity::Style))]
        );
        assert_eq!(l.label_schema.len(), 2);
        let bad = |k: &str| (k == "HADOLINT_NOFAIL").then(|| "maybe".to_string());
        assert!(matches!(env_layer(&bad), Err(ConfigError::Env { .. })));
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
