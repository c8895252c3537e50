//! DL3037: `zypper install` of packages without a pinned version.
use crate::lint::rules::packages::pm::{zypper_sub, ZYPPER_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3037",
        name: "zypper-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Specify version with zypper install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn pinned(p: &str) -> bool {
    p.contains(['=', '<', '>']) || p.ends_with(".rpm")
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !matches!(zypper_sub(&c), Some("install" | "in")) {
            continue;
        }
        let unpinned: Vec<_> = c
            .operands(ZYPPER_VALUE_FLAGS)
            .into_iter()
            .filter(|w| !is_unknown(w) && !pinned(&w.value))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(
                c.word_span(cx, first),
                "Specify version with `zypper install -y <package>=<version>`.",
            )
            .with_help(format!("unpinned: {}", names.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned() {
        assert_eq!(
            positions(
                "DL3037",
                "FROM opensuse/leap:15\nRUN zypper -n in vim=9.0 git\n"
            ),
            vec![(2, 26)]
        );
    }

    #[test]
    fn accepts_pins() {
        for src in [
            "FROM opensuse/leap:15\nRUN zypper -n in vim=9.0 'git>=2.40' /tmp/x.rpm\n",
            "FROM opensuse/leap:15\nRUN zypper -n in $PKGS\n",
            "FROM opensuse/leap:15\nRUN zypper -n rm git\n",
        ] {
            assert!(positions("DL3037", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3037",
                "FROM opensuse/leap:15\nRUN <<EOF\nset -e\nzypper -n in vim\nEOF\n"
            ),
            vec![(4, 14)]
        );
        assert_eq!(
            positions(
                "DL3037",
                "FROM opensuse/leap:15\nRUN sh -c 'zypper -n in vim'\n"
            ),
            vec![(2, 25)]
        );
        assert_eq!(
            positions(
                "DL3037",
                "FROM opensuse/leap:15\nRUN true \\\n  || (zypper -n in vim)\n"
            ),
            vec![(3, 20)]
        );
        assert_eq!(
            positions(
                "DL3037",
                "FROM opensuse/leap:15\nRUN echo start; zypper -n in vim; echo done\n"
            ),
            vec![(2, 30)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3037",
            "FROM opensuse/leap:15\nRUN echo \"zypper -n in vim\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3037",
            "FROM opensuse/leap:15\nRUN <<EOF\necho 'zypper -n in vim'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3037", "FROM opensuse/leap:15\nRUN # zypper -n in vim\n").is_empty());
    }
}
