//! DL4005: `ln` replacing `/bin/sh`; SHELL changes the shell of RUN.
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL4005",
        name: "ln-bin-sh",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Use SHELL to change the default shell",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const LN_VALUE_FLAGS: &[&str] = &["S", "suffix", "t", "target-directory"];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["ln"]) {
            continue;
        }
        // The link name is the last operand (`ln -sf /bin/bash /bin/sh`).
        let operands = c.positional(LN_VALUE_FLAGS);
        let Some(last) = operands.last() else {
            continue;
        };
        if operands.len() >= 2 && last.value == "/bin/sh" {
            d.report(
                c.word_span(cx, last),
                "Use SHELL to change the default shell",
            )
            .with_help("use `SHELL [\"/bin/bash\", \"-c\"]` instead of replacing /bin/sh");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_relinking_sh() {
        assert_eq!(
            positions("DL4005", "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n"),
            vec![(2, 22)]
        );
        assert_eq!(
            positions(
                "DL4005",
                "FROM debian:12\nRUN rm /bin/sh && \\\n  ln -s bash /bin/sh\n"
            ),
            vec![(3, 14)]
        );
    }

    #[test]
    fn accepts_other_links() {
        for src in [
            "FROM debian:12\nRUN ln -s /bin/sh /usr/local/bin/sh\n",
            "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\nRUN ln -s /usr/bin/python3 /usr/bin/python\n",
            "FROM debian:12\nRUN echo ln -s /bin/bash /bin/sh\n",
        ] {
            assert!(positions("DL4005", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL4005",
                "FROM debian:12\nRUN <<EOF\nset -e\nln -sf /bin/bash /bin/sh\nEOF\n"
            ),
            vec![(4, 18)]
        );
        assert_eq!(
            positions(
                "DL4005",
                "FROM debian:12\nRUN sh -c 'ln -sf /bin/bash /bin/sh'\n"
            ),
            vec![(2, 29)]
        );
        assert_eq!(
            positions(
                "DL4005",
                "FROM debian:12\nRUN true \\\n  || (ln -sf /bin/bash /bin/sh)\n"
            ),
            vec![(3, 24)]
        );
        assert_eq!(
            positions(
                "DL4005",
                "FROM debian:12\nRUN echo start; ln -sf /bin/bash /bin/sh; echo done\n"
            ),
            vec![(2, 34)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL4005",
            "FROM debian:12\nRUN echo \"ln -sf /bin/bash /bin/sh\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL4005",
            "FROM debian:12\nRUN <<EOF\necho 'ln -sf /bin/bash /bin/sh'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL4005", "FROM debian:12\nRUN # ln -sf /bin/bash /bin/sh\n").is_empty());
    }
}
