//! DL3058: a `email` label of the label schema whose value is not an email address.
use super::util::{check_typed, is_email};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3058",
        name: "label-not-email",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label is not a valid email",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    check_typed(
        cx,
        d,
        "email",
        is_email,
        |l| format!("Label `{l}` is not a valid email format - must conform to RFC5322."),
        "use an address such as team@example.com",
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "email".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3058", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_invalid_values() {
        assert_eq!(run("FROM a:1\nLABEL x=nope\n"), vec![(2, 9)]);
    }

    #[test]
    fn accepts_valid_unknown_and_other_labels() {
        assert!(
            run("FROM a:1\nLABEL x=team@example.com\nLABEL other=nope\nLABEL x=$V\n").is_empty()
        );
        let plain = crate::lint::testing::findings_of("DL3058", "FROM a:1\nLABEL x=nope\n");
        assert!(plain.is_empty(), "no schema, no finding");
    }
}
