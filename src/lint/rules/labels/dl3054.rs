//! DL3054: a `spdx` label of the label schema whose value is not an SPDX license.
use super::typed::TypedLabel;
use super::util::is_spdx;
use crate::lint::{Category, Rule, RuleMeta, Severity};

static TYPED: TypedLabel = TypedLabel {
    ty: "spdx",
    valid: is_spdx,
    message: "is not a valid SPDX identifier.",
    help: "use an SPDX license identifier or expression such as Apache-2.0 OR MIT",
};

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
    check: |cx, d| TYPED.check(cx, d),
};

#[cfg(test)]
mod tests {
    #[test]
    fn reports_invalid_values_of_its_schema_type_only() {
        let (bad, good) = ("FOO", "\"Apache-2.0 OR MIT\"");
        super::super::typed::assert_typed_rule(super::RULE.meta.code, &super::TYPED, bad, good);
    }
}
