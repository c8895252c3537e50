//! DL3053: a `rfc3339` label of the label schema whose value is not an RFC 3339 time.
use super::util::{check_typed, is_rfc3339};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3053",
        name: "label-not-rfc3339",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label is not a valid RFC3339 time",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    check_typed(
        cx,
        d,
        "rfc3339",
        is_rfc3339,
        |l| format!("Label `{l}` is not a valid time format - must conform to RFC3339."),
        "write a time such as 2024-05-01T12:00:00Z",
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "rfc3339".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3053", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_invalid_values() {
        assert_eq!(run("FROM a:1\nLABEL x=2020-01-02\n"), vec![(2, 9)]);
    }

    #[test]
    fn accepts_valid_unknown_and_other_labels() {
        assert!(run(
            "FROM a:1\nLABEL x=2020-01-02T03:04:05Z\nLABEL other=2020-01-02\nLABEL x=$V\n"
        )
        .is_empty());
        let plain = crate::lint::testing::findings_of("DL3053", "FROM a:1\nLABEL x=2020-01-02\n");
        assert!(plain.is_empty(), "no schema, no finding");
    }
}
