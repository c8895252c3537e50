//! DL3001: commands that make no sense in a container build (`ssh`, `vim`, `service`…).
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3001",
        name: "pointless-command",
        severity: Severity::Info,
        category: Category::Correctness,
        summary: "Command that makes no sense in a container build",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const POINTLESS: &[&str] = &[
    "free", "ifconfig", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if c.is_named(POINTLESS) {
            d.report(
                c.name_span(cx),
                "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`",
            )
            .with_help(format!(
                "`{}` has no lasting effect on the image being built",
                c.name()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_pointless_commands() {
        assert_eq!(
            positions(
                "DL3001",
                "FROM debian:12\nRUN service nginx start && ps aux\n"
            ),
            vec![(2, 5), (2, 28)]
        );
        assert_eq!(
            positions(
                "DL3001",
                "FROM debian:12\nRUN <<EOF\nset -e\n  sudo mount -a\nEOF\n"
            ),
            vec![(4, 8)]
        );
    }

    #[test]
    fn accepts_other_commands() {
        for src in [
            "FROM debian:12\nRUN apt-get install -y vim=2 openssh-client=1\n",
            "FROM debian:12\nRUN echo ssh top\n",
            "FROM debian:12\nRUN [\"ps\"]\n",
            "FROM debian:12\nCMD service nginx start\n",
        ] {
            assert!(positions("DL3001", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions("DL3001", "FROM debian:12\nRUN <<EOF\nset -e\nps aux\nEOF\n"),
            vec![(4, 1)]
        );
        assert_eq!(
            positions("DL3001", "FROM debian:12\nRUN sh -c 'ps aux'\n"),
            vec![(2, 12)]
        );
        assert_eq!(
            positions("DL3001", "FROM debian:12\nRUN true \\\n  || (ps aux)\n"),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3001",
                "FROM debian:12\nRUN echo start; ps aux; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions("DL3001", "FROM debian:12\nRUN echo \"ps aux\"\n").is_empty());
        assert!(positions("DL3001", "FROM debian:12\nRUN <<EOF\necho 'ps aux'\nEOF\n").is_empty());
        assert!(positions("DL3001", "FROM debian:12\nRUN # ps aux\n").is_empty());
    }
}
