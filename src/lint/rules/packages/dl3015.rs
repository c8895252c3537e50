//! DL3015: `apt-get install` without `--no-install-recommends`.
use crate::lint::rules::packages::pm::is_apt_get_install;
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3015",
        name: "apt-get-recommends",
        severity: Severity::Info,
        category: Category::Packages,
        summary: "Avoid additional packages by specifying --no-install-recommends",
        aliases: &["DS-0029", "use-apt-no-install-recommends"],
        opt_in: false,
    },
    check,
};

fn disables_recommends(c: &crate::lint::rules::shell::cmd::Argv) -> bool {
    c.has_flag("no-install-recommends")
        || c.flag_value_texts(&["o", "option"])
            .iter()
            .chain(c.args().iter().map(|w| &w.value))
            .any(|v| {
                let v = v.to_ascii_lowercase();
                v == "apt::install-recommends=false" || v == "apt::install-recommends=0"
            })
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if is_apt_get_install(&c) && !disables_recommends(&c) {
            d.report(
                c.name_span(cx),
                "Avoid additional packages by specifying `--no-install-recommends`",
            )
            .with_help("add `--no-install-recommends` and list the packages you need");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_option() {
        assert_eq!(
            positions(
                "DL3015",
                "FROM debian:12\nRUN apt-get update && apt-get install -y vim\n"
            ),
            vec![(2, 23)]
        );
        assert_eq!(
            positions(
                "DL3015",
                "FROM debian:12\nRUN <<EOF\n  apt-get install -y vim\nEOF\n"
            ),
            vec![(3, 3)]
        );
    }

    #[test]
    fn accepts_disabled_recommends() {
        for src in [
            "FROM debian:12\nRUN apt-get install -y --no-install-recommends vim\n",
            "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y vim\n",
            "FROM debian:12\nRUN apt-get install -y -o APT::Install-Recommends=0 vim\n",
            "FROM debian:12\nRUN apt install -y vim\n",
            "FROM debian:12\nRUN apt-get update\n",
        ] {
            assert!(positions("DL3015", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3015",
                "FROM debian:12\nRUN <<EOF\nset -e\napt-get install -y vim=1\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions(
                "DL3015",
                "FROM debian:12\nRUN sh -c 'apt-get install -y vim=1'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3015",
                "FROM debian:12\nRUN true \\\n  || (apt-get install -y vim=1)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3015",
                "FROM debian:12\nRUN echo start; apt-get install -y vim=1; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3015",
            "FROM debian:12\nRUN echo \"apt-get install -y vim=1\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3015",
            "FROM debian:12\nRUN <<EOF\necho 'apt-get install -y vim=1'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3015", "FROM debian:12\nRUN # apt-get install -y vim=1\n").is_empty());
    }
}
