//! DL3051: a label of the label schema set to an empty value.
use super::util::label_pairs;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3051",
        name: "label-empty",
        severity: Severity::Warning,
        category: Category::Labels,
        summary: "Label is empty.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    if cx.options.label_schema.is_empty() {
        return;
    }
    for p in label_pairs(cx) {
        if cx.options.label_schema.contains_key(&p.key) && p.value.as_deref() == Some("") {
            d.report(
                p.kv.key.span.cover(&p.kv.value.span),
                format!("label `{}` is empty.", p.key),
            )
            .with_help("give the label a value or remove it");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::lint::config::LintOptions;
    use crate::lint::testing::{findings_with, positions};

    fn run(src: &str) -> Vec<(u32, u32)> {
        let options = LintOptions {
            label_schema: BTreeMap::from([("x".to_string(), "text".to_string())]),
            ..LintOptions::default()
        };
        findings_with("DL3051", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_empty_schema_labels() {
        assert_eq!(
            run("FROM a:1\nLABEL x=\"\"\nLABEL y=1 x=\n"),
            vec![(2, 7), (3, 11)]
        );
    }

    #[test]
    fn accepts_values_and_other_labels() {
        assert!(run("FROM a:1\nLABEL x=1 other=\"\"\n").is_empty());
        assert!(positions("DL3051", "FROM a:1\nLABEL x=\"\"\n").is_empty());
    }
}
