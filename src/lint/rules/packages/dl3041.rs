//! DL3041: `dnf install` of packages without a pinned version.
use crate::lint::rules::packages::pm::{rpm_install_operands, rpm_sub, rpm_word_pinned};
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3041",
        name: "dnf-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Specify version with dnf install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !rpm_sub(&c, &["dnf", "microdnf"], &["install"]) {
            continue;
        }
        let (module, operands) = rpm_install_operands(&c);
        // Group specs (`@core`) name no single package.
        let unpinned: Vec<_> = operands
            .into_iter()
            .filter(|w| !w.value.starts_with('@') && !rpm_word_pinned(cx, c.instr, w, module))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(
                c.word_span(cx, first),
                "Specify version with `dnf install -y <package>-<version>`.",
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
                "DL3041",
                "FROM fedora:40\nRUN dnf install -y httpd-2.4.58 python3-devel\n"
            ),
            vec![(2, 33)]
        );
        assert_eq!(
            positions(
                "DL3041",
                "FROM fedora:40\nRUN dnf -y module install nodejs\n"
            ),
            vec![(2, 27)]
        );
    }

    #[test]
    fn accepts_pins() {
        for src in [
            "FROM fedora:40\nRUN dnf install -y httpd-2.4.58-1.fc40 python3-devel-3.12.1\n",
            "FROM fedora:40\nRUN dnf install -y /tmp/x.rpm $EXTRA @core\n",
            "FROM fedora:40\nRUN dnf -y module install nodejs:18\n",
            "FROM fedora:40\nRUN dnf remove -y httpd\n",
        ] {
            assert!(positions("DL3041", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3041",
                "FROM fedora:40\nRUN <<EOF\nset -e\ndnf install -y httpd\nEOF\n"
            ),
            vec![(4, 16)]
        );
        assert_eq!(
            positions(
                "DL3041",
                "FROM fedora:40\nRUN sh -c 'dnf install -y httpd'\n"
            ),
            vec![(2, 27)]
        );
        assert_eq!(
            positions(
                "DL3041",
                "FROM fedora:40\nRUN true \\\n  || (dnf install -y httpd)\n"
            ),
            vec![(3, 22)]
        );
        assert_eq!(
            positions(
                "DL3041",
                "FROM fedora:40\nRUN echo start; dnf install -y httpd; echo done\n"
            ),
            vec![(2, 32)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3041",
            "FROM fedora:40\nRUN echo \"dnf install -y httpd\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3041",
            "FROM fedora:40\nRUN <<EOF\necho 'dnf install -y httpd'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3041", "FROM fedora:40\nRUN # dnf install -y httpd\n").is_empty());
    }
}
