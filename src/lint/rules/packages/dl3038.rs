//! DL3038: `dnf install` without `-y`.
use crate::lint::rules::packages::pm::{rpm_sub, rpm_yes_fix};
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3038",
        name: "dnf-missing-yes",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Use the -y switch with dnf install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if rpm_sub(
            &c,
            &["dnf", "microdnf"],
            &["install", "groupinstall", "localinstall"],
        ) && !c.has_any_flag(&["y", "assumeyes"])
        {
            let finding = d.report(
                c.name_span(cx),
                "Use the -y switch to avoid manual input `dnf install -y <package>`.",
            );
            if let Some(fix) = rpm_yes_fix(cx, &c) {
                finding.with_fix(fix);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_missing_yes() {
        assert_eq!(
            positions(
                "DL3038",
                "FROM fedora:40\nRUN dnf install httpd-2.4.58 && dnf clean all\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3038",
                "FROM fedora:40\nRUN true; microdnf install httpd-2.4.58\n"
            ),
            vec![(2, 11)]
        );
    }

    #[test]
    fn accepts_yes() {
        for src in [
            "FROM fedora:40\nRUN dnf install -y httpd-2.4.58\n",
            "FROM fedora:40\nRUN dnf -y module install nodejs:18\n",
            "FROM fedora:40\nRUN dnf --assumeyes groupinstall 'C Development Tools'\n",
            "FROM fedora:40\nRUN dnf clean all\n",
        ] {
            assert!(positions("DL3038", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3038",
                "FROM fedora:40\nRUN <<EOF\nset -e\ndnf install httpd-2.4\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions(
                "DL3038",
                "FROM fedora:40\nRUN sh -c 'dnf install httpd-2.4'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3038",
                "FROM fedora:40\nRUN true \\\n  || (dnf install httpd-2.4)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3038",
                "FROM fedora:40\nRUN echo start; dnf install httpd-2.4; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3038",
            "FROM fedora:40\nRUN echo \"dnf install httpd-2.4\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3038",
            "FROM fedora:40\nRUN <<EOF\necho 'dnf install httpd-2.4'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3038", "FROM fedora:40\nRUN # dnf install httpd-2.4\n").is_empty());
    }

    #[test]
    fn fix_adds_yes() {
        let src = "FROM x\nRUN dnf module install nodejs:18\n";
        let f = findings_of("DL3038", src);
        let e = f[0].fix.as_ref().map(|x| x.edits[0].clone());
        let fixed = e.map(|e| format!("{}{}{}", &src[..e.start], e.replacement, &src[e.end..]));
        assert_eq!(
            fixed.as_deref(),
            Some("FROM x\nRUN dnf module install -y nodejs:18\n")
        );
    }
}
