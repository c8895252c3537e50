//! DL3055: a `hash` label of the label schema whose value is not a git hash.
use super::typed::TypedLabel;
use super::util::is_git_hash;
use crate::lint::{Category, Rule, RuleMeta, Severity};

static TYPED: TypedLabel = TypedLabel {
    ty: "hash",
    valid: is_git_hash,
    message: "is not a valid git hash.",
    help: "use a full (40) or short (7) lower-case commit hash",
};

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
    check: |cx, d| TYPED.check(cx, d),
};

#[cfg(test)]
mod tests {
    #[test]
    fn reports_invalid_values_of_its_schema_type_only() {
        let (bad, good) = ("xyz", "abcdef1");
        super::super::typed::assert_typed_rule(super::RULE.meta.code, &super::TYPED, bad, good);
    }
}
