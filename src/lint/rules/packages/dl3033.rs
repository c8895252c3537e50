//! DL3033: `yum install` of packages without a pinned version.
use crate::lint::rules::packages::pm::{rpm_install_operands, rpm_sub, rpm_word_pinned};
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3033",
        name: "yum-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Specify version with yum install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !rpm_sub(&c, &["yum"], &["install"]) {
            continue;
        }
        let (module, operands) = rpm_install_operands(&c);
        let unpinned: Vec<_> = operands
            .into_iter()
            .filter(|w| !rpm_word_pinned(cx, c.instr, w, module))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(
                c.word_span(cx, first),
                "Specify version with `yum install -y <package>-<version>`.",
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
                "DL3033",
                "FROM centos:7\nRUN yum install -y httpd-2.4.6 python3-devel\n"
            ),
            vec![(2, 32)]
        );
        assert_eq!(
            positions(
                "DL3033",
                "FROM centos:7\nRUN yum module install -y nodejs\n"
            ),
            vec![(2, 27)]
        );
    }

    #[test]
    fn accepts_pins() {
        for src in [
            "FROM centos:7\nRUN yum install -y httpd-2.4.6-99.el7 python3-devel-3.6.8\n",
            "FROM centos:7\nRUN yum install -y /tmp/x.rpm $EXTRA\n",
            "FROM centos:7\nRUN yum module install -y nodejs:18\n",
            "FROM centos:7\nRUN yum remove -y httpd\n",
        ] {
            assert!(positions("DL3033", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3033",
                "FROM centos:7\nRUN <<EOF\nset -e\nyum install -y httpd\nEOF\n"
            ),
            vec![(4, 16)]
        );
        assert_eq!(
            positions(
                "DL3033",
                "FROM centos:7\nRUN sh -c 'yum install -y httpd'\n"
            ),
            vec![(2, 27)]
        );
        assert_eq!(
            positions(
                "DL3033",
                "FROM centos:7\nRUN true \\\n  || (yum install -y httpd)\n"
            ),
            vec![(3, 22)]
        );
        assert_eq!(
            positions(
                "DL3033",
                "FROM centos:7\nRUN echo start; yum install -y httpd; echo done\n"
            ),
            vec![(2, 32)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3033",
            "FROM centos:7\nRUN echo \"yum install -y httpd\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3033",
            "FROM centos:7\nRUN <<EOF\necho 'yum install -y httpd'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3033", "FROM centos:7\nRUN # yum install -y httpd\n").is_empty());
    }
}
