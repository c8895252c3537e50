//! DL3054: a `spdx` label of the label schema whose value is not an SPDX license.
use super::util::{check_typed, is_spdx};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3054",
        name: "label-not-spdx",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label is not a valid SPDX identifier",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    check_typed(
        cx,
        d,
        "spdx",
        is_spdx,
        |l| format!("Label `{l}` is not a valid SPDX identifier."),
        "use an SPDX license identifier or expression such as Apache-2.0 OR MIT",
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::findings_with;

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "spdx".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3054", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_invalid_values() {
        assert_eq!(run("FROM a:1\nLABEL x=FOO\n"), vec![(2, 9)]);
    }

    #[test]
    fn accepts_valid_unknown_and_other_labels() {
        assert!(
            run("FROM a:1\nLABEL x=\"Apache-2.0 OR MIT\"\nLABEL other=FOO\nLABEL x=$V\n")
                .is_empty()
        );
        let plain = crate::lint::testing::findings_of("DL3054", "FROM a:1\nLABEL x=FOO\n");
        assert!(plain.is_empty(), "no schema, no finding");
    }
}
