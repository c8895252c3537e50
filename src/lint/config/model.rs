//! The configuration model: [`ConfigLayer`], one serde struct that both `.hoist.toml` and
//! `.hadolint.yaml` are read into, so that an option is one field (with its doc) here.
//!
//! Both formats are first read into a neutral JSON value; the top-level keys are then checked
//! against the model's own field names (hadolint's spellings are renamed first for the YAML
//! dialect), and the model is deserialized from that value with `serde_path_to_error`, so an
//! invalid value is reported with its key path (`override.DL3006`).
//!
//! YAML is read with `serde-saphyr`: `serde_yaml` is deprecated and unmaintained, and its
//! maintained forks (`serde_yaml_ng`, `serde_norway`) still sit on `unsafe-libyaml`, a
//! machine translation of libyaml to unsafe Rust. `serde-saphyr` is actively maintained, written
//! in safe Rust (`#![forbid(unsafe_code)]`), panic-free on malformed input, and has a release
//! within hoist's minimum Rust version.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{ConfigError, Level, Threshold, LABEL_TYPES};
use crate::lint::Severity;

/// One source of settings (a config file, the environment or the command line). `None`/empty
/// means "not set here". The serde names (kebab-case) are the `.hoist.toml` keys; the YAML
/// dialect accepts them too, plus hadolint's spellings ([`HADOLINT_SPELLINGS`]).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigLayer {
    /// Codes (or aliases) not to report (hadolint `ignored`).
    #[serde(default, deserialize_with = "strings")]
    pub ignore: Vec<String>,
    /// Opt-in rules to turn on, by code or alias.
    #[serde(default, deserialize_with = "strings")]
    pub enable: Vec<String>,
    /// Findings at or above this level make the exit code 1; `none` never fails.
    #[serde(default, deserialize_with = "threshold")]
    pub failure_threshold: Option<Threshold>,
    /// Registries base images may come from (hadolint `trustedRegistries`); empty = any.
    #[serde(default, deserialize_with = "strings")]
    pub trusted_registries: Vec<String>,
    /// Labels not in the schema are reported (hadolint `strict-labels`).
    #[serde(default, deserialize_with = "flag")]
    pub strict_labels: Option<bool>,
    /// Inline `# hadolint ignore=` / `# hoist ignore=` pragmas are not honoured.
    #[serde(default, deserialize_with = "flag")]
    pub disable_ignore_pragma: Option<bool>,
    /// Always exit 0 (hadolint `no-fail`).
    #[serde(default, deserialize_with = "flag")]
    pub no_fail: Option<bool>,
    /// Run ShellCheck over RUN bodies.
    #[serde(default, deserialize_with = "flag")]
    pub shellcheck: Option<bool>,
    /// Level overrides in the order given: `CODE = "level"` (hoist) or `level: [CODE, …]`
    /// (hadolint); both shapes are read in both formats.
    #[serde(default, rename = "override", deserialize_with = "overrides")]
    pub levels: Vec<(String, Level)>,
    /// Required labels and their types (hadolint `label-schema`): a map `name: type`, or a
    /// `name:type,…` string as in `HADOLINT_REQUIRE_LABELS`.
    #[serde(default, deserialize_with = "label_schema")]
    pub label_schema: BTreeMap<String, String>,
    /// `--build-arg` values, overriding ARG defaults.
    #[serde(default, deserialize_with = "scalar_map")]
    pub build_args: BTreeMap<String, String>,
    /// The build context directory (command line only).
    #[serde(skip)]
    pub context_dir: Option<PathBuf>,
    /// Problems that did not stop reading the layer (unknown `.hadolint.yaml` keys), each
    /// naming the file and key.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// hadolint's spellings of model keys, accepted in the YAML dialect: (hadolint key, model key).
pub const HADOLINT_SPELLINGS: &[(&str, &str)] = &[
    ("ignored", "ignore"),
    ("trustedRegistries", "trusted-registries"),
    ("failureThreshold", "failure-threshold"),
    ("strictLabels", "strict-labels"),
    ("disableIgnorePragma", "disable-ignore-pragma"),
    ("noFail", "no-fail"),
    ("labelSchema", "label-schema"),
];

/// hadolint keys about output only: the command line decides these, so the YAML dialect accepts
/// and skips them.
pub const OUTPUT_ONLY_KEYS: &[&str] = &[
    "format",
    "output-format",
    "outputFormat",
    "no-color",
    "noColor",
    "verbose",
];

/// Top-level tables of `.hoist.toml` that belong to other commands (`[scan]` is `hoist scan`'s
/// allow-list); the linter skips them.
pub const OTHER_COMMAND_TABLES: &[&str] = &["scan"];

/// The model's keys, as serde names them (read from the derived implementation itself).
pub fn model_keys() -> &'static [&'static str] {
    struct Capture(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Capture {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(de::Error::custom("fields captured"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut c = Capture(None);
    let _ = ConfigLayer::deserialize(&mut c);
    c.0.unwrap_or(&[])
}

/// The config file dialects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    /// `.hoist.toml`: the model's keys only; an unknown key is an error.
    Hoist,
    /// `.hadolint.yaml`: also hadolint's spellings and output-only keys; an unknown key is a
    /// warning, as hadolint accepts the file.
    Hadolint,
}

/// Parses the text of a `.hoist.toml` (`path` is only used in errors).
pub fn parse_toml(path: &Path, text: &str) -> Result<ConfigLayer, ConfigError> {
    let value: serde_json::Value = toml::from_str(text).map_err(|e| ConfigError::Toml {
        path: path.to_path_buf(),
        message: e.to_string().trim().to_string(),
    })?;
    from_value(path, value, Dialect::Hoist)
}

/// Parses the text of a hadolint config file (`path` is only used in errors). Output-only keys
/// (`format`, `output-format`, `no-color`, `verbose`) are skipped; other unknown keys are kept
/// as warnings in [`ConfigLayer::warnings`] (hadolint accepts such a file, but a typo must not
/// go unnoticed). Keys set to null count as not set.
pub fn parse_hadolint_yaml(path: &Path, text: &str) -> Result<ConfigLayer, ConfigError> {
    let value: Option<serde_json::Value> =
        serde_saphyr::from_str(text).map_err(|e| ConfigError::Yaml {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
    match value {
        None | Some(serde_json::Value::Null) => Ok(ConfigLayer::default()),
        Some(v) => from_value(path, v, Dialect::Hadolint),
    }
}

/// Deserializes the model from a JSON object whose keys are the model's; an error comes with
/// the key path of the bad value (`override.DL3006`).
pub(super) fn from_json(
    map: serde_json::Map<String, serde_json::Value>,
) -> Result<ConfigLayer, (String, String)> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(serde_json::Value::Object(map), &mut track);
    ConfigLayer::deserialize(de).map_err(|e| (track.path().to_string(), e.to_string()))
}

fn from_value(
    path: &Path,
    value: serde_json::Value,
    dialect: Dialect,
) -> Result<ConfigLayer, ConfigError> {
    let serde_json::Value::Object(map) = value else {
        // TOML's top level is always a table.
        return Err(ConfigError::Yaml {
            path: path.to_path_buf(),
            message: "the top level must be a mapping of keys".into(),
        });
    };
    let known = model_keys();
    let mut kept = serde_json::Map::new();
    let mut warnings = Vec::new();
    for (key, v) in map {
        let key = match dialect {
            Dialect::Hoist if OTHER_COMMAND_TABLES.contains(&key.as_str()) => continue,
            Dialect::Hoist => key,
            Dialect::Hadolint => {
                if v.is_null() || OUTPUT_ONLY_KEYS.contains(&key.as_str()) {
                    continue;
                }
                HADOLINT_SPELLINGS
                    .iter()
                    .find(|(h, _)| *h == key)
                    .map(|(_, m)| m.to_string())
                    .unwrap_or(key)
            }
        };
        if known.contains(&key.as_str()) {
            kept.insert(key, v);
        } else if dialect == Dialect::Hoist {
            return Err(ConfigError::UnknownKey {
                path: path.to_path_buf(),
                key,
            });
        } else {
            warnings.push(format!(
                "{}: unknown key `{key}` is ignored (known keys: {})",
                path.display(),
                known_keys_text()
            ));
        }
    }
    let mut layer = from_json(kept).map_err(|(key, message)| ConfigError::Invalid {
        path: path.to_path_buf(),
        key,
        message,
    })?;
    warnings.extend(code_warnings(&layer, &path.display().to_string()));
    layer.warnings = warnings;
    Ok(layer)
}

/// Warnings for the rule codes of `layer` (ignore, enable, override) that name nothing hoist
/// knows, and a notice for DL3063, whose meaning changed. `origin` says where the layer came
/// from (a file path, "the command line").
pub fn code_warnings(layer: &ConfigLayer, origin: &str) -> Vec<String> {
    let codes = layer
        .ignore
        .iter()
        .chain(&layer.enable)
        .chain(layer.levels.iter().map(|(c, _)| c));
    let mut out = Vec::new();
    for code in codes {
        if !crate::lint::suppress::known_code(code) {
            out.push(format!(
                "{origin}: unknown rule code `{code}` is ignored (see `hoist rules`)"
            ));
        } else if code.trim().eq_ignore_ascii_case("DL3063") {
            out.push(format!(
                "{origin}: DL3063 is hadolint's rule \"stage name is a reserved word\"; the rule \
                 \"final stage never sets a non-root USER\" that hoist called DL3063 is now HO5003"
            ));
        }
    }
    out
}

/// The model's keys for messages, tables in brackets.
pub fn known_keys_text() -> String {
    model_keys()
        .iter()
        .map(|k| match *k {
            "override" | "label-schema" | "build-args" => format!("[{k}]"),
            _ => k.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// A label type name, lower-cased, if it is one of [`LABEL_TYPES`].
pub(super) fn label_type(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_lowercase();
    LABEL_TYPES.contains(&t.as_str()).then_some(t)
}

/// hadolint's truthy/falsy words for boolean settings.
pub(super) fn parse_truthy(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "on" | "true" => Some(true),
        "0" | "n" | "no" | "off" | "false" | "" => Some(false),
        _ => None,
    }
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
// Value shapes shared by the fields

/// A scalar (string, number or boolean) as text.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of strings: a sequence of strings, or one comma-separated string.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of names or a comma-separated string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(split_list(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                let s = s.trim();
                if !s.is_empty() {
                    out.push(s.to_string());
                }
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

fn threshold<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Threshold>, D::Error> {
    let Scalar(s) = Scalar::deserialize(d)?;
    Threshold::parse(&s).map(Some).ok_or_else(|| {
        de::Error::custom(format!(
            "unknown level `{s}` (use one of error, warning, info, style, none)"
        ))
    })
}

/// A boolean: `true`/`false`, or one of hadolint's truthy words (`yes`, `1`, `off`…).
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<bool>, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<bool>, E> {
            parse_truthy(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("expected true or false, got `{v}`")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<bool>, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// One value of a table: null, a scalar as text, or a list of scalars.
enum Entry {
    Null,
    Scalar(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Entry, E> {
                Ok(Entry::Null)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Entry, E> {
                Ok(Entry::Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Entry, E> {
                Ok(Entry::Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Entry, E> {
                Ok(Entry::Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Entry, E> {
                Ok(Entry::Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Entry, E> {
                Ok(Entry::Scalar(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Entry, A::Error> {
                strings(de::value::SeqAccessDeserializer::new(seq)).map(Entry::List)
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks one table entry (key, value) into items.
type CheckFn<T> = fn(&str, Entry) -> Result<Vec<T>, String>;
/// Reads one item of a comma-separated string.
type TextFn<T> = fn(&str) -> Result<T, String>;

/// Reads one table entry, so that an invalid value is reported at its key path.
struct Checked<T> {
    key: String,
    check: CheckFn<T>,
}

impl<'de, T> de::DeserializeSeed<'de> for Checked<T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        let entry = Entry::deserialize(d)?;
        (self.check)(&self.key, entry).map_err(de::Error::custom)
    }
}

/// A table read in the order given, each entry through `check`; or, where `text` is given, one
/// comma-separated string of items read by `text`.
fn table<'de, D, T>(
    d: D,
    expecting: &'static str,
    check: CheckFn<T>,
    text: Option<TextFn<T>>,
) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
{
    struct V<T> {
        expecting: &'static str,
        check: CheckFn<T>,
        text: Option<TextFn<T>>,
    }
    impl<'de, T> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
            let Some(text) = self.text else {
                return Err(E::invalid_type(de::Unexpected::Str(v), &self));
            };
            split_list(v)
                .iter()
                .map(|item| text(item))
                .collect::<Result<_, _>>()
                .map_err(E::custom)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(Scalar(key)) = map.next_key()? {
                out.extend(map.next_value_seed(Checked {
                    key,
                    check: self.check,
                })?);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V {
        expecting,
        check,
        text,
    })
}

/// `override`: `CODE = "level"` entries, or `level: [CODE, …]` entries (a level key is one of
/// error, warning, info, style; its codes may also be one comma-separated string).
fn overrides<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Level)>, D::Error> {
    table(
        d,
        "a table of CODE = \"level\" or level: [CODE, …]",
        |key, entry| match (Severity::parse(key), entry) {
            (_, Entry::Null) => Ok(Vec::new()),
            (Some(sev), Entry::List(codes)) => {
                Ok(codes.into_iter().map(|c| (c, Level::Set(sev))).collect())
            }
            (Some(sev), Entry::Scalar(codes)) => Ok(split_list(&codes)
                .into_iter()
                .map(|c| (c, Level::Set(sev)))
                .collect()),
            (None, Entry::Scalar(level)) => match Level::parse(&level) {
                Some(l) => Ok(vec![(key.to_string(), l)]),
                None => Err(format!(
                    "unknown level `{level}` (levels are error, warning, info, style, ignore)"
                )),
            },
            (None, Entry::List(_)) => Err(format!(
                "`{key}` is not a level (error, warning, info, style) to list codes under"
            )),
        },
        None,
    )
}

fn label_schema<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let pairs = table(
        d,
        "a table of label = \"type\"",
        |name, entry| match entry {
            Entry::Null => Ok(Vec::new()),
            Entry::Scalar(ty) => match label_type(&ty) {
                Some(t) => Ok(vec![(name.to_string(), t)]),
                None => Err(format!(
                    "unknown label type `{ty}` (label types are {})",
                    LABEL_TYPES.join(", ")
                )),
            },
            Entry::List(_) => Err("expected a label type".into()),
        },
        Some(parse_label_requirement),
    )?;
    Ok(pairs.into_iter().collect())
}

fn scalar_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let pairs = table(
        d,
        "a table of NAME = \"value\"",
        |name, entry| match entry {
            Entry::Null => Ok(Vec::new()),
            Entry::Scalar(v) => Ok(vec![(name.to_string(), v)]),
            Entry::List(_) => Err("expected a string".into()),
        },
        None,
    )?;
    Ok(pairs.into_iter().collect())
}
