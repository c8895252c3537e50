//! HO1001 (BuildKit StageNameCasing): a stage name with upper-case letters.
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1001",
        name: "stage-name-casing",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Stage names should be lowercase",
        aliases: &["StageNameCasing"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        if let InstructionKind::From {
            alias: Some(name), ..
        } = &ins.kind
        {
            if name.value != name.value.to_lowercase() {
                d.report(
                    name.span,
                    format!("Stage name '{}' should be lowercase", name.value),
                )
                .with_help("stage names are matched case-insensitively; write them in lower case");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_uppercase_stage_names() {
        assert_eq!(positions("HO1001", "FROM a:1 AS Builder\n"), vec![(1, 13)]);
    }

    #[test]
    fn accepts_lowercase_names() {
        assert!(positions("HO1001", "FROM a:1 AS builder-2\nFROM b:1\n").is_empty());
    }
}
