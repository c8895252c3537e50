//! hadolint's environment variables, read into a [`ConfigLayer`] through the same model as the
//! config files: each variable names the model key it sets ([`ENV_VARS`]).

use serde_json::{Map, Value};

use super::model::{from_json, ConfigLayer};
use super::ConfigError;

/// The variables read, each with the model key it sets (a dotted key sets an entry of a table:
/// `override.error` lists the codes reported as errors). Several variables may set the same
/// list; their values are joined.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("HADOLINT_FAILURE_THRESHOLD", "failure-threshold"),
    ("HADOLINT_IGNORE", "ignore"),
    ("HADOLINT_TRUSTED_REGISTRIES", "trusted-registries"),
    ("HADOLINT_ALLOWED_REGISTRIES", "trusted-registries"),
    ("HADOLINT_NOFAIL", "no-fail"),
    ("HADOLINT_STRICT_LABELS", "strict-labels"),
    ("HADOLINT_DISABLE_IGNORE_PRAGMA", "disable-ignore-pragma"),
    ("HADOLINT_OVERRIDE_ERROR", "override.error"),
    ("HADOLINT_OVERRIDE_WARNING", "override.warning"),
    ("HADOLINT_OVERRIDE_INFO", "override.info"),
    ("HADOLINT_OVERRIDE_STYLE", "override.style"),
    ("HADOLINT_REQUIRE_LABELS", "label-schema"),
];

/// Reads hadolint's environment variables ([`ENV_VARS`]) through `lookup` (use
/// [`std::env::var`] in practice). An empty `HADOLINT_FAILURE_THRESHOLD` counts as unset.
pub fn env_layer(lookup: &dyn Fn(&str) -> Option<String>) -> Result<ConfigLayer, ConfigError> {
    let mut map = Map::new();
    let mut set = Vec::new();
    for (var, key) in ENV_VARS {
        let Some(value) = lookup(var) else { continue };
        if *key == "failure-threshold" && value.trim().is_empty() {
            continue;
        }
        let (top, sub) = match key.split_once('.') {
            Some((t, s)) => (t, Some(s)),
            None => (*key, None),
        };
        let slot = match sub {
            None => map.entry(top).or_insert(Value::Null),
            Some(s) => {
                let table = map.entry(top).or_insert_with(|| Value::Object(Map::new()));
                match table {
                    Value::Object(t) => t.entry(s).or_insert(Value::Null),
                    other => other,
                }
            }
        };
        *slot = match slot.take() {
            Value::String(prev) => Value::String(format!("{prev},{value}")),
            _ => Value::String(value),
        };
        set.push((*var, *key));
    }
    from_json(map).map_err(|(path, message)| {
        // The variable that set the bad key (or, for a table, the table entry).
        let var = set
            .iter()
            .find(|(_, k)| *k == path)
            .or_else(|| {
                set.iter()
                    .find(|(_, k)| k.split('.').next() == path.split('.').next())
            })
            .map(|(v, _)| v.to_string())
            .unwrap_or(path);
        ConfigError::Env { var, message }
    })
}
