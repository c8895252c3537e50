//! DL3034: zypper commands that may prompt, without a non-interactive switch.
use crate::lint::rules::packages::pm::{zypper_sub, ZYPPER_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3034",
        name: "zypper-missing-yes",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Non-interactive switch missing from zypper command",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const PROMPTING: &[&str] = &[
    "install",
    "in",
    "remove",
    "rm",
    "source-install",
    "si",
    "patch",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        let Some(sub) = zypper_sub(&c) else { continue };
        if !PROMPTING.contains(&sub) {
            continue;
        }
        // `-n`/`--non-interactive` is the global switch; `-y`/`--no-confirm` the per-command one.
        let flags = c.flags_with(ZYPPER_VALUE_FLAGS);
        if flags
            .iter()
            .any(|f| ["n", "non-interactive", "y", "no-confirm"].contains(&f.name.as_str()))
        {
            continue;
        }
        d.report(
            c.name_span(cx),
            "Non-interactive switch missing from `zypper` command: `zypper install -y`",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_interactive_zypper() {
        assert_eq!(
            positions(
                "DL3034",
                "FROM opensuse/leap:15\nRUN zypper install vim=9\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3034",
                "FROM opensuse/leap:15\nRUN zypper refresh && zypper rm vim\n"
            ),
            vec![(2, 23)]
        );
    }

    #[test]
    fn accepts_non_interactive() {
        for src in [
            "FROM opensuse/leap:15\nRUN zypper install -y vim=9\n",
            "FROM opensuse/leap:15\nRUN zypper -n in vim=9\n",
            "FROM opensuse/leap:15\nRUN zypper --non-interactive install vim=9\n",
            "FROM opensuse/leap:15\nRUN zypper in --no-confirm vim=9\n",
            "FROM opensuse/leap:15\nRUN zypper refresh\n",
        ] {
            assert!(positions("DL3034", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3034",
                "FROM opensuse/leap:15\nRUN <<EOF\nset -e\nzypper in vim=9\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions(
                "DL3034",
                "FROM opensuse/leap:15\nRUN sh -c 'zypper in vim=9'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3034",
                "FROM opensuse/leap:15\nRUN true \\\n  || (zypper in vim=9)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3034",
                "FROM opensuse/leap:15\nRUN echo start; zypper in vim=9; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3034",
            "FROM opensuse/leap:15\nRUN echo \"zypper in vim=9\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3034",
            "FROM opensuse/leap:15\nRUN <<EOF\necho 'zypper in vim=9'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3034", "FROM opensuse/leap:15\nRUN # zypper in vim=9\n").is_empty());
    }
}
