//! DL3027: `apt` used in a RUN instead of `apt-get`/`apt-cache`.
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3027",
        name: "apt-in-scripts",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Do not use apt; use apt-get or apt-cache",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if c.is_named(&["apt"]) {
            d.report(
                c.name_span(cx),
                "Do not use apt as it is meant to be a end-user tool, use apt-get or apt-cache instead",
            )
            .with_help("`apt` has no stable command-line interface; `apt-get` and `apt-cache` do");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_apt() {
        assert_eq!(
            positions(
                "DL3027",
                "FROM debian:12\nRUN apt update && apt install -y vim\n"
            ),
            vec![(2, 5), (2, 19)]
        );
        assert_eq!(
            positions(
                "DL3027",
                "FROM debian:12\nRUN <<EOF\n/usr/bin/apt install -y vim\nEOF\n"
            ),
            vec![(3, 1)]
        );
    }

    #[test]
    fn accepts_apt_get() {
        for src in [
            "FROM debian:12\nRUN apt-get update && apt-cache policy vim\n",
            "FROM debian:12\nRUN echo apt\n",
            "FROM debian:12\nRUN [\"apt\", \"update\"]\n",
        ] {
            assert!(positions("DL3027", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3027",
                "FROM debian:12\nRUN <<EOF\nset -e\napt install -y vim\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions("DL3027", "FROM debian:12\nRUN sh -c 'apt install -y vim'\n"),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3027",
                "FROM debian:12\nRUN true \\\n  || (apt install -y vim)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3027",
                "FROM debian:12\nRUN echo start; apt install -y vim; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3027",
            "FROM debian:12\nRUN echo \"apt install -y vim\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3027",
            "FROM debian:12\nRUN <<EOF\necho 'apt install -y vim'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3027", "FROM debian:12\nRUN # apt install -y vim\n").is_empty());
    }
}
