//! DL3002: the final image explicitly runs as root (its last USER is `root` or `0`).
use super::users::{effective_user, is_root};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3002",
        name: "last-user-root",
        severity: Severity::Warning,
        category: Category::User,
        summary: "Last USER should not be root",
        aliases: &["DS-0002"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let Some(last) = cx.stages().last() else {
        return;
    };
    let Some(user) = effective_user(cx, last.index) else {
        return;
    };
    // An unresolvable `USER ${UID}` is not reported.
    let Some(value) = &user.value else { return };
    if is_root(value) {
        d.report(user.span, "Last USER should not be root")
            .with_help("switch to an unprivileged user at the end, e.g. `USER 10001` or a user created with `useradd`");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_explicit_root_in_final_stage() {
        assert_eq!(
            positions("DL3002", "FROM debian:12\nUSER root\n"),
            vec![(2, 6)]
        );
        assert_eq!(
            positions("DL3002", "FROM debian:12\nUSER 0:0\n"),
            vec![(2, 6)]
        );
        assert_eq!(
            positions(
                "DL3002",
                "FROM debian:12\nUSER app\nRUN x\nUSER root:root\n"
            ),
            vec![(4, 6)]
        );
        assert_eq!(
            positions("DL3002", "FROM debian:12\nARG U=root\nUSER ${U}\n"),
            vec![(3, 6)]
        );
        // Inherited from the stage the final one is built on.
        assert_eq!(
            positions(
                "DL3002",
                "FROM debian:12 AS base\nUSER root\nFROM base\nRUN x\n"
            ),
            vec![(2, 6)]
        );
    }

    #[test]
    fn ignores_non_root_and_build_stages() {
        assert!(positions("DL3002", "FROM debian:12\n").is_empty());
        assert!(positions("DL3002", "FROM debian:12\nUSER root\nRUN x\nUSER app\n").is_empty());
        assert!(positions(
            "DL3002",
            "FROM debian:12 AS b\nUSER root\nFROM debian:12\nUSER 1000\n"
        )
        .is_empty());
        assert!(positions("DL3002", "FROM debian:12 AS b\nUSER root\nFROM debian:12\n").is_empty());
        assert!(positions("DL3002", "FROM debian:12\nARG UID\nUSER ${UID}\n").is_empty());
        assert!(positions("DL3002", "FROM debian:12\nUSER rootless\n").is_empty());
    }
}
