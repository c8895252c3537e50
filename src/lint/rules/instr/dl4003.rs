//! DL4003: more than one CMD in a stage.
use crate::dockerfile::Keyword;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL4003",
        name: "multiple-cmd",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Multiple `CMD` instructions found",
        aliases: &["MultipleInstructionsDisallowed", "DS-0016"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    super::multi::report_repeats(
        cx,
        d,
        Keyword::Cmd,
        "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_second_cmd() {
        let src = "FROM a:1\nCMD [\"a\"]\nRUN x\ncmd [\"b\"]\nCMD [\"c\"]\n";
        assert_eq!(positions("DL4003", src), vec![(4, 1), (5, 1)]);
    }

    #[test]
    fn one_cmd_per_stage_is_fine() {
        let src = "FROM a:1 AS b\nCMD [\"a\"]\nFROM b\nCMD [\"b\"]\n";
        assert!(positions("DL4003", src).is_empty());
    }

    #[test]
    fn instructions_before_the_first_from_are_a_stage_of_their_own() {
        let src = "CMD [\"a\"]\nCMD [\"b\"]\nFROM a:1\nCMD [\"c\"]\n";
        assert_eq!(positions("DL4003", src), vec![(2, 1)]);
    }
}
