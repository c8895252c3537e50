//! DL3043: ONBUILD triggering ONBUILD, FROM or MAINTAINER.
use crate::dockerfile::{InstructionKind, Keyword};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3043",
        name: "onbuild-forbidden-trigger",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::Onbuild(inner) = &ins.kind else {
            continue;
        };
        if matches!(
            inner.keyword,
            Keyword::Onbuild | Keyword::From | Keyword::Maintainer
        ) {
            d.report(
                inner.keyword_word.span,
                "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
            )
            .with_help("the builder rejects these triggers when the image is used as a base");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_forbidden_triggers() {
        let src = "FROM a:1\nONBUILD FROM x\nONBUILD ONBUILD RUN x\nONBUILD MAINTAINER me\n";
        assert_eq!(positions("DL3043", src), vec![(2, 9), (3, 9), (4, 9)]);
    }

    #[test]
    fn accepts_other_triggers() {
        assert!(positions("DL3043", "FROM a:1\nONBUILD RUN x\nONBUILD COPY a /b\n").is_empty());
    }
}
