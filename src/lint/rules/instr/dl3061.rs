//! DL3061: an instruction other than ARG before the first FROM.
use crate::dockerfile::Keyword;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3061",
        name: "instruction-before-from",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        match ins.keyword {
            Keyword::From => break,
            // Unknown words (template placeholders, typos) are the parser's business.
            Keyword::Arg | Keyword::Unknown => {}
            _ => {
                d.report(
                    ins.keyword_word.span,
                    "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
                )
                .with_help("only ARG may come before the first FROM");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_instructions_before_from() {
        let src = "LABEL a=b\nENV x=1\nFROM a:1\nLABEL c=d\n";
        assert_eq!(positions("DL3061", src), vec![(1, 1), (2, 1)]);
    }

    #[test]
    fn accepts_args_and_comments_first() {
        assert!(positions(
            "DL3061",
            "# syntax=docker/dockerfile:1\n# hi\nARG x=1\nFROM a:$x\nRUN y\n"
        )
        .is_empty());
        assert!(positions("DL3061", "{{ if x then ( -}}\nFROM a:1\n").is_empty());
    }
}
