//! DL3053: a `rfc3339` label of the label schema whose value is not an RFC 3339 time.
use super::typed::TypedLabel;
use super::util::is_rfc3339;
use crate::lint::{Category, Rule, RuleMeta, Severity};

static TYPED: TypedLabel = TypedLabel {
    ty: "rfc3339",
    valid: is_rfc3339,
    message: "is not a valid time format - must conform to RFC3339.",
    help: "write a time such as 2024-05-01T12:00:00Z",
};

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
    check: |cx, d| TYPED.check(cx, d),
};

#[cfg(test)]
mod tests {
    #[test]
    fn reports_invalid_values_of_its_schema_type_only() {
        let (bad, good) = ("2020-01-02", "2020-01-02T03:04:05Z");
        super::super::typed::assert_typed_rule(super::RULE.meta.code, &super::TYPED, bad, good);
    }
}
