//! DL3056: a `semver` label of the label schema whose value is not a semantic version.
use super::util::{check_typed, is_semver};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3056",
        name: "label-not-semver",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label does not conform to semantic versioning",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    check_typed(
        cx,
        d,
        "semver",
        is_semver,
        |l| format!("Label `{l}` does not conform to semantic versioning."),
        "use MAJOR.MINOR.PATCH, e.g. 1.4.0",
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "semver".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3056", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_invalid_values() {
        assert_eq!(run("FROM a:1\nLABEL x=1.2\n"), vec![(2, 9)]);
    }

    #[test]
    fn accepts_valid_unknown_and_other_labels() {
        assert!(run("FROM a:1\nLABEL x=1.2.3-rc.1\nLABEL other=1.2\nLABEL x=$V\n").is_empty());
        let plain = crate::lint::testing::findings_of("DL3056", "FROM a:1\nLABEL x=1.2\n");
        assert!(plain.is_empty(), "no schema, no finding");
    }
}
