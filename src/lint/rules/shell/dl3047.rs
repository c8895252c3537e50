//! DL3047: `wget` without a quiet or progress option, which floods the build log.
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3047",
        name: "wget-progress",
        severity: Severity::Info,
        category: Category::Style,
        summary: "Use wget with --progress or -q",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// wget options that take a separate value.
const WGET_VALUE_FLAGS: &[&str] = &[
    "O",
    "output-document",
    "o",
    "output-file",
    "a",
    "append-output",
    "P",
    "directory-prefix",
    "t",
    "tries",
    "T",
    "timeout",
    "U",
    "user-agent",
    "e",
    "execute",
    "i",
    "input-file",
    "header",
    "user",
    "password",
    "progress",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["wget"]) {
            continue;
        }
        let flags = c.flags_with(WGET_VALUE_FLAGS);
        let quiet = flags.iter().any(|f| {
            [
                "progress",
                "q",
                "quiet",
                "o",
                "output-file",
                "a",
                "append-output",
                "no-verbose",
            ]
            .contains(&f.name.as_str())
        }) || c.has_arg("-nv");
        if !quiet {
            d.report(
                c.name_span(cx),
                "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_noisy_wget() {
        assert_eq!(
            positions("DL3047", "FROM debian:12\nRUN wget -O /tmp/x https://x/y\n"),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3047",
                "FROM debian:12\nRUN set -e; \\\n  wget https://x/y | tar x\n"
            ),
            vec![(3, 3)]
        );
    }

    #[test]
    fn accepts_quiet_wget() {
        for src in [
            "FROM debian:12\nRUN wget -q https://x/y\n",
            "FROM debian:12\nRUN wget -qO- https://x/y\n",
            "FROM debian:12\nRUN wget -nv https://x/y\n",
            "FROM debian:12\nRUN wget --no-verbose https://x/y\n",
            "FROM debian:12\nRUN wget --progress=dot:giga https://x/y\n",
            "FROM debian:12\nRUN wget -o /tmp/log https://x/y\n",
            "FROM debian:12\nRUN curl -fsSL https://x/y\n",
        ] {
            assert!(positions("DL3047", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3047",
                "FROM debian:12\nRUN <<EOF\nset -e\nwget https://x/y\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions("DL3047", "FROM debian:12\nRUN sh -c 'wget https://x/y'\n"),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3047",
                "FROM debian:12\nRUN true \\\n  || (wget https://x/y)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3047",
                "FROM debian:12\nRUN echo start; wget https://x/y; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions("DL3047", "FROM debian:12\nRUN echo \"wget https://x/y\"\n").is_empty());
        assert!(positions(
            "DL3047",
            "FROM debian:12\nRUN <<EOF\necho 'wget https://x/y'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3047", "FROM debian:12\nRUN # wget https://x/y\n").is_empty());
    }
}
