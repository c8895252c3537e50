//! DL3008: `apt-get install` of packages without a pinned version.
use crate::lint::rules::packages::pm::{is_apt_get_install, APT_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3008",
        name: "apt-get-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin versions in apt-get install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const MESSAGE: &str = "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`";

/// `pkg=version`, `pkg/release` and local `.deb` files count as pinned.
fn pinned(p: &str) -> bool {
    p.contains('=') || p.contains('/') || p.ends_with(".deb")
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !is_apt_get_install(&c) {
            continue;
        }
        let unpinned: Vec<_> = c
            .operands(APT_VALUE_FLAGS)
            .into_iter()
            .filter(|w| !is_unknown(w) && !pinned(&w.value))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(c.word_span(cx, first), MESSAGE)
                .with_help(format!("unpinned: {}", names.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned_packages() {
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nRUN apt-get update && apt-get install -y curl=7.88 wget\n"
            ),
            vec![(2, 52)]
        );
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nRUN apt-get install -y \\\n    curl\n"
            ),
            vec![(3, 5)]
        );
        // Heredoc bodies, `sh -c` strings and subshells are looked at too.
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nRUN <<EOF\nset -e\napt-get install -y vim\nEOF\n"
            ),
            vec![(4, 20)]
        );
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nRUN (apt-get install -y vim) || true\n"
            ),
            vec![(2, 25)]
        );
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nRUN sudo apt-get install -y vim\n"
            ),
            vec![(2, 29)]
        );
    }

    #[test]
    fn accepts_pins_and_unknowns() {
        for src in [
            "FROM debian:12\nRUN apt-get install -y curl=7.88.1-10\n",
            "FROM debian:12\nRUN apt-get install -y -t bookworm-backports foo=1 bar/bookworm\n",
            "FROM debian:12\nRUN apt-get install -y ./local.deb\n",
            "FROM debian:12\nRUN apt-get install -y $PACKAGES\n",
            "FROM debian:12\nRUN apt-get update; apt-get upgrade -y\n",
            "FROM debian:12\nRUN [\"apt-get\", \"install\", \"vim\"]\n",
            "FROM debian:12\nRUN echo apt-get install vim\n",
        ] {
            assert!(positions("DL3008", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(positions("DL3008", "FROM debian:12\nRUN <<EOF\nset -e\napt-get install -y --no-install-recommends vim\nEOF\n"), vec![(4, 44)]);
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nRUN sh -c 'apt-get install -y --no-install-recommends vim'\n"
            ),
            vec![(2, 55)]
        );
        assert_eq!(positions("DL3008", "FROM debian:12\nRUN true \\\n  || (apt-get install -y --no-install-recommends vim)\n"), vec![(3, 50)]);
        assert_eq!(positions("DL3008", "FROM debian:12\nRUN echo start; apt-get install -y --no-install-recommends vim; echo done\n"), vec![(2, 60)]);
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3008",
            "FROM debian:12\nRUN echo \"apt-get install -y --no-install-recommends vim\"\n"
        )
        .is_empty());
        assert!(positions("DL3008", "FROM debian:12\nRUN <<EOF\necho 'apt-get install -y --no-install-recommends vim'\nEOF\n").is_empty());
        assert!(positions(
            "DL3008",
            "FROM debian:12\nRUN # apt-get install -y --no-install-recommends vim\n"
        )
        .is_empty());
    }

    #[test]
    fn onbuild() {
        // The RUN of an ONBUILD trigger is checked too.
        assert_eq!(
            positions(
                "DL3008",
                "FROM debian:12\nONBUILD RUN apt-get install -y vim\n"
            ),
            vec![(2, 32)]
        );
    }
}
