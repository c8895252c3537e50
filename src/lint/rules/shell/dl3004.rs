//! DL3004: `sudo` in a RUN.
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3004",
        name: "sudo-in-run",
        severity: Severity::Error,
        category: Category::Security,
        summary: "Do not use sudo",
        aliases: &["DS-0010", "no-sudo-run"],
        opt_in: false,
    },
    check,
};

fn is_sudo(v: &str) -> bool {
    v.rsplit('/').next() == Some("sudo")
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        let word = c
            .wrappers
            .iter()
            .copied()
            .find(|w| is_sudo(&w.value))
            .or_else(|| c.name_word().filter(|w| is_sudo(&w.value)));
        if let Some(w) = word {
            d.report(
                c.word_span(cx, w),
                "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root",
            )
            .with_help("RUN already runs as the current USER; switch with USER, or use gosu/su-exec at runtime");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_sudo() {
        assert_eq!(
            positions(
                "DL3004",
                "FROM debian:12\nRUN sudo apt-get update && sudo -E make install\n"
            ),
            vec![(2, 5), (2, 28)]
        );
        assert_eq!(
            positions("DL3004", "FROM debian:12\nRUN sh -c 'sudo ls'\n"),
            vec![(2, 12)]
        );
        assert_eq!(
            positions("DL3004", "FROM debian:12\nRUN sudo -l\n"),
            vec![(2, 5)]
        );
    }

    #[test]
    fn accepts_no_sudo() {
        for src in [
            "FROM debian:12\nRUN apt-get install -y sudo=1.9\n",
            "FROM debian:12\nRUN echo sudo\n",
            "FROM debian:12\nRUN gosu nobody true\n",
        ] {
            assert!(positions("DL3004", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3004",
                "FROM debian:12\nRUN <<EOF\nset -e\nsudo make install\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions("DL3004", "FROM debian:12\nRUN sh -c 'sudo make install'\n"),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3004",
                "FROM debian:12\nRUN true \\\n  || (sudo make install)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3004",
                "FROM debian:12\nRUN echo start; sudo make install; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions("DL3004", "FROM debian:12\nRUN echo \"sudo make install\"\n").is_empty());
        assert!(positions(
            "DL3004",
            "FROM debian:12\nRUN <<EOF\necho 'sudo make install'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3004", "FROM debian:12\nRUN # sudo make install\n").is_empty());
    }
}
