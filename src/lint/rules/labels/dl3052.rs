//! DL3052: a `url` label of the label schema whose value is not a URL.
use super::util::{check_typed, is_url};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3052",
        name: "label-not-url",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label is not a valid URL",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    check_typed(
        cx,
        d,
        "url",
        is_url,
        |l| format!("Label `{l}` is not a valid URL."),
        "use an absolute URL such as https://example.com/project",
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "url".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3052", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_invalid_values() {
        assert_eq!(run("FROM a:1\nLABEL x=\"not a url\"\n"), vec![(2, 9)]);
    }

    #[test]
    fn accepts_valid_unknown_and_other_labels() {
        assert!(run(
            "FROM a:1\nLABEL x=https://example.com/x\nLABEL other=\"not a url\"\nLABEL x=$V\n"
        )
        .is_empty());
        let plain =
            crate::lint::testing::findings_of("DL3052", "FROM a:1\nLABEL x=\"not a url\"\n");
        assert!(plain.is_empty(), "no schema, no finding");
    }
}
