//! DL3063 (hadolint's code; BuildKit ReservedStageName, hoist's HO1005 before): a stage named
//! `scratch` or `context`. The file keeps its old name so the buildkit group's layout is stable.
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3063",
        name: "reserved-stage-name",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Reserved words should not be used as stage names",
        aliases: &["HO1005", "ReservedStageName"],
        opt_in: false,
    },
    check,
};

const RESERVED: &[&str] = &["scratch", "context"];

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        if let InstructionKind::From {
            alias: Some(name), ..
        } = &ins.kind
        {
            let lower = name.value.to_ascii_lowercase();
            if let Some(r) = RESERVED.iter().find(|r| **r == lower) {
                d.report(name.span, format!("Stage name should not use the same name as reserved stage \"{r}\""))
                    .with_help("`scratch` is the empty image and `context` the build context; pick another name");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_reserved_names() {
        assert_eq!(
            positions("DL3063", "FROM a:1 AS scratch\nFROM b:1 AS Context\n"),
            vec![(1, 13), (2, 13)]
        );
    }

    #[test]
    fn accepts_other_names() {
        assert!(positions("DL3063", "FROM scratch AS base\nFROM base AS ctx\n").is_empty());
    }
}
