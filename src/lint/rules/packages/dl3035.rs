//! DL3035: `zypper dist-upgrade` in a Dockerfile.
use crate::lint::rules::packages::pm::ZYPPER_VALUE_FLAGS;
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3035",
        name: "zypper-dist-upgrade",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Do not use zypper dist-upgrade",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["zypper"]) {
            continue;
        }
        let Some(sub) = c.positional(ZYPPER_VALUE_FLAGS).into_iter().next() else {
            continue;
        };
        if sub.value == "dist-upgrade" || sub.value == "dup" {
            d.report(c.word_span(cx, sub), "Do not use `zypper dist-upgrade`.")
                .with_help("upgrade by moving to a newer base image instead");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_dist_upgrade() {
        assert_eq!(
            positions(
                "DL3035",
                "FROM opensuse/leap:15\nRUN zypper -n dist-upgrade\n"
            ),
            vec![(2, 15)]
        );
        assert_eq!(
            positions(
                "DL3035",
                "FROM opensuse/leap:15\nRUN zypper ref && zypper dup -y\n"
            ),
            vec![(2, 26)]
        );
    }

    #[test]
    fn accepts_other_commands() {
        for src in [
            "FROM opensuse/leap:15\nRUN zypper -n update\n",
            "FROM opensuse/leap:15\nRUN zypper -n in dup=1\n",
            "FROM opensuse/leap:15\nRUN echo zypper dup\n",
        ] {
            assert!(positions("DL3035", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3035",
                "FROM opensuse/leap:15\nRUN <<EOF\nset -e\nzypper -n dup\nEOF\n"
            ),
            vec![(4, 11)]
        );
        assert_eq!(
            positions(
                "DL3035",
                "FROM opensuse/leap:15\nRUN sh -c 'zypper -n dup'\n"
            ),
            vec![(2, 22)]
        );
        assert_eq!(
            positions(
                "DL3035",
                "FROM opensuse/leap:15\nRUN true \\\n  || (zypper -n dup)\n"
            ),
            vec![(3, 17)]
        );
        assert_eq!(
            positions(
                "DL3035",
                "FROM opensuse/leap:15\nRUN echo start; zypper -n dup; echo done\n"
            ),
            vec![(2, 27)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3035",
            "FROM opensuse/leap:15\nRUN echo \"zypper -n dup\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3035",
            "FROM opensuse/leap:15\nRUN <<EOF\necho 'zypper -n dup'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3035", "FROM opensuse/leap:15\nRUN # zypper -n dup\n").is_empty());
    }
}
