//! DL3056: a `semver` label of the label schema whose value is not a semantic version.
use super::typed::TypedLabel;
use super::util::is_semver;
use crate::lint::{Category, Rule, RuleMeta, Severity};

static TYPED: TypedLabel = TypedLabel {
    ty: "semver",
    valid: is_semver,
    message: "does not conform to semantic versioning.",
    help: "use MAJOR.MINOR.PATCH, e.g. 1.4.0",
};

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
    check: |cx, d| TYPED.check(cx, d),
};

#[cfg(test)]
mod tests {
    #[test]
    fn reports_invalid_values_of_its_schema_type_only() {
        let (bad, good) = ("1.2", "1.2.3-rc.1");
        super::super::typed::assert_typed_rule(super::RULE.meta.code, &super::TYPED, bad, good);
    }
}
