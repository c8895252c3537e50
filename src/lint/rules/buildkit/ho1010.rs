//! HO1010 (BuildKit InvalidDefaultArgInFrom): with the ARG defaults, FROM names no valid image.
use super::util::is_valid_reference;
use crate::dockerfile::model::{Model, ModelOptions};
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
    // With `--build-arg` values the context's model has them; judge on a model without.
    let given = cx
        .options
        .build_args
        .as_ref()
        .is_some_and(|a| !a.is_empty());
    let defaults = given.then(|| Model::new(cx.df, &ModelOptions::default()));
    for (i, ins) in cx.instructions() {
        let InstructionKind::From { image, .. } = &ins.kind else {
            continue;
        };
        let raw = unquote(&image.value);
        if var_refs(raw, cx.df.escape).is_empty() {
            continue;
        }
        // Judged on the defaults: `--build-arg` values do not count (as in BuildKit).
        let value = match &defaults {
            Some(m) => m.expand(i, raw),
            None => cx.expand(i, raw),
        };
        let Some(value) = value else {
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
