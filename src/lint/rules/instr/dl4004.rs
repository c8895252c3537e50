//! DL4004: more than one ENTRYPOINT in a stage.
use crate::dockerfile::Keyword;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL4004",
        name: "multiple-entrypoint",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Multiple `ENTRYPOINT` instructions found",
        aliases: &["MultipleInstructionsDisallowed", "DS-0007"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    super::multi::report_repeats(
        cx,
        d,
        Keyword::Entrypoint,
        "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_second_entrypoint() {
        let src = "FROM a:1\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n";
        assert_eq!(positions("DL4004", src), vec![(3, 1)]);
    }

    #[test]
    fn one_entrypoint_per_stage_is_fine() {
        let src = "FROM a:1\nENTRYPOINT [\"a\"]\nFROM b:1\nENTRYPOINT [\"b\"]\nCMD [\"x\"]\n";
        assert!(positions("DL4004", src).is_empty());
    }
}
