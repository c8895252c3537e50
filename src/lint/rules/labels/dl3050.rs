//! DL3050: with `strict-labels`, a label that the label schema does not list.
use super::util::label_pairs;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3050",
        name: "label-superfluous",
        severity: Severity::Info,
        category: Category::Labels,
        summary: "Superfluous label(s) present.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    if !cx.options.strict_labels {
        return;
    }
    for p in label_pairs(cx) {
        if !cx.options.label_schema.contains_key(&p.key) {
            d.report(
                p.kv.key.span,
                format!("Superfluous label `{}` present.", p.key),
            )
            .with_help("strict-labels is on: add the label to the label schema or remove it");
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
            label_schema: BTreeMap::from([("maintainer".to_string(), "text".to_string())]),
            strict_labels: true,
            ..LintOptions::default()
        };
        findings_with("DL3050", src, &options)
            .iter()
            .map(|f| (f.span.start.line, f.span.start.column))
            .collect()
    }

    #[test]
    fn flags_labels_outside_the_schema() {
        assert_eq!(
            run("FROM a:1\nLABEL maintainer=me extra=1\n"),
            vec![(2, 21)]
        );
    }

    #[test]
    fn accepts_schema_labels_and_non_strict_mode() {
        assert!(run("FROM a:1\nLABEL maintainer=me\n").is_empty());
        assert!(positions("DL3050", "FROM a:1\nLABEL extra=1\n").is_empty());
    }
}
