//! DL3052: a `url` label of the label schema whose value is not a URL.
use super::typed::TypedLabel;
use super::util::is_url;
use crate::lint::{Category, Rule, RuleMeta, Severity};

static TYPED: TypedLabel = TypedLabel {
    ty: "url",
    valid: is_url,
    message: "is not a valid URL.",
    help: "use an absolute URL such as https://example.com/project",
};

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
    check: |cx, d| TYPED.check(cx, d),
};

#[cfg(test)]
mod tests {
    #[test]
    fn reports_invalid_values_of_its_schema_type_only() {
        let (bad, good) = ("\"not a url\"", "https://example.com/x");
        super::super::typed::assert_typed_rule(super::RULE.meta.code, &super::TYPED, bad, good);
    }
}
