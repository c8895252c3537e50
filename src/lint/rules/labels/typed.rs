//! The one mechanism behind the typed-label rules (DL3052–DL3058): a [`TypedLabel`] names a
//! label-schema type, its validator, message and examples; each rule file declares one and
//! checks and tests through it.

use super::util::{label_pairs, schema_labels};
use crate::lint::{Context, Diagnostics};

/// A label type of the label schema, and how a rule reports values that are not of it.
pub(crate) struct TypedLabel {
    /// The schema type name (`url`, `rfc3339`, …).
    pub ty: &'static str,
    /// True for a valid value.
    pub valid: fn(&str) -> bool,
    /// The finding's message after "Label `NAME` ", e.g. "is not a valid URL.".
    pub message: &'static str,
    pub help: &'static str,
}

impl TypedLabel {
    /// Reports every schema label of this type whose (known, non-empty) value is not valid.
    pub fn check(&self, cx: &Context, d: &mut Diagnostics) {
        let names: Vec<&String> = schema_labels(cx, self.ty).collect();
        if names.is_empty() {
            return;
        }
        for p in label_pairs(cx) {
            if !names.iter().any(|n| **n == p.key) {
                continue;
            }
            if let Some(v) = &p.value {
                if !v.is_empty() && !(self.valid)(v) {
                    d.report(
                        p.kv.value.span,
                        format!("Label `{}` {}", p.key, self.message),
                    )
                    .with_help(self.help.to_string());
                }
            }
        }
    }
}

/// The shared tests of a typed-label rule, run from each rule's own file with its own examples:
/// the bad example is reported at the value, the good one is not, nor a label outside the
/// schema, nor a value only known at build time, nor anything without a schema. `bad` and
/// `good` are values as written in a LABEL instruction.
#[cfg(test)]
pub(crate) fn assert_typed_rule(code: &str, t: &TypedLabel, bad: &str, good: &str) {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::{findings_of, findings_with};

    let options = LintOptions {
        label_schema: BTreeMap::from([("x".to_string(), t.ty.to_string())]),
        ..LintOptions::default()
    };
    let run = |src: &str| -> Vec<(u32, u32)> {
        findings_with(code, src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    };
    let fine = format!("FROM a:1\nLABEL x={good}\nLABEL other={bad}\nLABEL x=$V\n");
    let bad = format!("FROM a:1\nLABEL x={bad}\n");
    assert_eq!(run(&bad), vec![(2, 9)], "{code}: {bad}");
    assert!(run(&fine).is_empty(), "{code}: {fine}");
    assert!(
        findings_of(code, &bad).is_empty(),
        "{code}: no schema, no finding"
    );
    let found = findings_with(code, &bad, &options);
    assert!(
        found
            .iter()
            .all(|f| f.message == format!("Label `x` {}", t.message)),
        "{code}: message"
    );
}
