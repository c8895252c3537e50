//! DL3012: more than one HEALTHCHECK in a stage.
use crate::dockerfile::Keyword;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3012",
        name: "multiple-healthcheck",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Multiple `HEALTHCHECK` instructions",
        aliases: &["MultipleInstructionsDisallowed", "DS-0023"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    super::multi::report_repeats(
        cx,
        d,
        Keyword::Healthcheck,
        "Multiple `HEALTHCHECK` instructions",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_second_healthcheck_in_a_stage() {
        let src = "FROM a:1\nHEALTHCHECK NONE\nHEALTHCHECK CMD x\n";
        assert_eq!(positions("DL3012", src), vec![(3, 1)]);
    }

    #[test]
    fn one_per_stage_is_fine() {
        let src = "FROM a:1\nHEALTHCHECK CMD x\nFROM b:1\nHEALTHCHECK CMD y\n";
        assert!(positions("DL3012", src).is_empty());
    }
}
