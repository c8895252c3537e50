//! HO1010 (BuildKit InvalidDefaultArgInFrom): with the ARG defaults, FROM names no valid image.
use super::util::is_valid_reference;
use crate::dockerfile::InstructionKind;
use crate::lint::rules::instr::util::{stages, unquote, var_refs};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1010",
        name: "invalid-default-arg-in-from",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Default value for global ARG results in an empty or invalid base image name",
        aliases: &["InvalidDefaultArgInFrom"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    for (i, ins) in cx.instructions() {
        let InstructionKind::From { image, .. } = &ins.kind else {
            continue;
        };
        let raw = unquote(&image.value);
        if var_refs(raw, cx.df.escape).is_empty() {
            continue;
        }
        let Some(value) = cx.expand(i, raw) else {
            continue;
        };
        let lower = value.to_ascii_lowercase();
        if st
            .iter()
            .any(|s| s.from < i && s.name.as_deref() == Some(lower.as_str()))
        {
            continue;
        }
        if value.is_empty() || !is_valid_reference(&value) {
            d.report(
                image.span,
                format!("Default value for ARG {raw} results in empty or invalid base image name"),
            )
            .with_help("give the ARG a default that makes a valid image reference");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_empty_or_invalid_defaults() {
        assert_eq!(
            positions("HO1010", "ARG TAG\nFROM busybox:${TAG}\n"),
            vec![(2, 6)]
        );
        assert_eq!(positions("HO1010", "ARG BASE\nFROM $BASE\n"), vec![(2, 6)]);
    }

    #[test]
    fn accepts_valid_defaults() {
        let src = "ARG TAG=latest\nARG BASE=alpine\nFROM busybox:${TAG}\nFROM ${BASE}:3 AS b\nFROM ${BASE:-alpine}\nFROM debian:12\n";
        assert!(positions("HO1010", src).is_empty());
    }
}
