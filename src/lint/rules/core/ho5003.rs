//! HO5003: the final image never switches to a non-root USER.
//!
//! Once DL3063 here; that code is hadolint's "stage name is a reserved word" (see `DL3063` in the
//! buildkit group), so this rule has its own code. On by default, it looks at what the shipped
//! image runs as: the final stage, or the stage of this file it is built from.
use super::users::effective_user;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO5003",
        name: "no-user",
        severity: Severity::Warning,
        category: Category::User,
        summary: "The final stage never sets a non-root USER",
        aliases: &["DS-0002"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let Some(last) = cx.stages().last() else {
        return;
    };
    if effective_user(cx, last.index).is_some() {
        // Explicit root is DL3002's business; any other USER is fine.
        return;
    }
    let Some(ins) = cx.df.instructions.get(last.from) else {
        return;
    };
    let span = match &ins.kind {
        InstructionKind::From { image, .. } => ins.keyword_word.span.cover(&image.span),
        _ => ins.keyword_word.span,
    };
    d.report(
        span,
        "The final stage never sets a USER: the container runs as the base image's user, usually root",
    )
    .with_help("create an unprivileged user and add `USER <name>` after the steps that need root");
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_user() {
        assert_eq!(positions("HO5003", "FROM debian:12\nRUN x\n"), vec![(1, 1)]);
        assert_eq!(
            positions("HO5003", "FROM debian:12 AS b\nUSER app\nFROM debian:12\n"),
            vec![(3, 1)]
        );
    }

    #[test]
    fn accepts_a_user() {
        assert!(positions("HO5003", "FROM debian:12\nUSER app\n").is_empty());
        assert!(positions("HO5003", "FROM debian:12 AS b\nUSER app\nFROM b\nRUN x\n").is_empty());
        // Explicit root is reported by DL3002, not here.
        assert!(positions("HO5003", "FROM debian:12\nUSER root\n").is_empty());
        assert!(positions("HO5003", "FROM debian:12\nARG U\nUSER $U\n").is_empty());
    }
}
