//! DL3055: a `hash` label of the label schema whose value is not a git hash.
use super::util::{check_typed, is_git_hash};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3055",
        name: "label-not-git-hash",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label is not a valid git hash",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    check_typed(
        cx,
        d,
        "hash",
        is_git_hash,
        |l| format!("Label `{l}` is not a valid git hash."),
        "use a full (40) or short (7) lower-case commit hash",
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "hash".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3055", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_invalid_values() {
        assert_eq!(run("FROM a:1\nLABEL x=xyz\n"), vec![(2, 9)]);
    }

    #[test]
    fn accepts_valid_unknown_and_other_labels() {
        assert!(run("FROM a:1\nLABEL x=abcdef1\nLABEL other=xyz\nLABEL x=$V\n").is_empty());
        let plain = crate::lint::testing::findings_of("DL3055", "FROM a:1\nLABEL x=xyz\n");
        assert!(plain.is_empty(), "no schema, no finding");
    }
}
