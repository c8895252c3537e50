//! HO1006 (BuildKit UndefinedArgInFrom): FROM uses a variable no global ARG declares.
use super::util::{global_args, suggest, PREDEFINED_PLATFORM_ARGS};
use crate::dockerfile::InstructionKind;
use crate::lint::rules::instr::util::var_refs;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1006",
        name: "undefined-arg-in-from",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "FROM command must use declared ARGs",
        aliases: &["UndefinedArgInFrom"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let globals = global_args(cx);
    for (_, ins) in cx.instructions() {
        let InstructionKind::From { image, .. } = &ins.kind else {
            continue;
        };
        let mut words = vec![(image.value.as_str(), image.span.start.offset as usize)];
        if let Some(f) = ins.flag("platform") {
            if let (Some(v), Some(vs)) = (f.value.as_deref(), f.value_span) {
                words.push((v, vs.start.offset as usize));
            }
        }
        for (text, base) in words {
            for r in var_refs(text, cx.df.escape) {
                if globals.contains(&r.name) || PREDEFINED_PLATFORM_ARGS.contains(&r.name.as_str())
                {
                    continue;
                }
                let mut msg = format!("FROM argument '{}' is not declared", r.name);
                let candidates = globals
                    .iter()
                    .map(String::as_str)
                    .chain(PREDEFINED_PLATFORM_ARGS.iter().copied());
                if let Some(s) = suggest(&r.name, candidates) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                d.report(cx.span(base + r.start, base + r.end), msg)
                    .with_help(format!("declare `ARG {}` before the first FROM", r.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_undeclared_from_args() {
        assert_eq!(positions("HO1006", "FROM alpine:$TAG\n"), vec![(1, 13)]);
        let f = findings_of("HO1006", "ARG VERSION=1\nFROM alpine:${VERSON}\n");
        assert_eq!(
            f[0].message,
            "FROM argument 'VERSON' is not declared (did you mean VERSION?)"
        );
        // An ARG inside a stage is not global.
        assert_eq!(
            positions("HO1006", "FROM a:1\nARG T\nFROM b:$T\n"),
            vec![(3, 8)]
        );
    }

    #[test]
    fn accepts_declared_and_predefined_args() {
        let src = "ARG TAG\nARG BASE=alpine\nFROM --platform=$BUILDPLATFORM ${BASE}:$TAG\nFROM --platform=${TARGETPLATFORM} b:1\n";
        assert!(positions("HO1006", src).is_empty());
    }
}
