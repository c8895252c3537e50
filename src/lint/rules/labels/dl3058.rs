//! DL3058: a `email` label of the label schema whose value is not an email address.
use super::typed::TypedLabel;
use super::util::is_email;
use crate::lint::{Category, Rule, RuleMeta, Severity};

static TYPED: TypedLabel = TypedLabel {
    ty: "email",
    valid: is_email,
    message: "is not a valid email format - must conform to RFC5322.",
    help: "use an address such as team@example.com",
};

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
    check: |cx, d| TYPED.check(cx, d),
};

#[cfg(test)]
mod tests {
    #[test]
    fn reports_invalid_values_of_its_schema_type_only() {
        let (bad, good) = ("nope", "team@example.com");
        super::super::typed::assert_typed_rule(super::RULE.meta.code, &super::TYPED, bad, good);
    }
}
