//! DL3030: `yum install` without `-y`.
use crate::lint::rules::packages::pm::{rpm_sub, rpm_yes_fix};
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3030",
        name: "yum-missing-yes",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Use the -y switch with yum install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if rpm_sub(&c, &["yum"], &["install", "groupinstall", "localinstall"])
            && !c.has_any_flag(&["y", "assumeyes"])
        {
            let finding = d.report(
                c.name_span(cx),
                "Use the -y switch to avoid manual input `yum install -y <package`",
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
                "DL3030",
                "FROM centos:7\nRUN yum install httpd-2.4 && yum clean all\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3030",
                "FROM centos:7\nRUN yum module install nodejs:18\n"
            ),
            vec![(2, 5)]
        );
    }

    #[test]
    fn accepts_yes() {
        for src in [
            "FROM centos:7\nRUN yum install -y httpd-2.4\n",
            "FROM centos:7\nRUN yum -y groupinstall 'Development Tools'\n",
            "FROM centos:7\nRUN yum --assumeyes localinstall x.rpm\n",
            "FROM centos:7\nRUN yum clean all\n",
        ] {
            assert!(positions("DL3030", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3030",
                "FROM centos:7\nRUN <<EOF\nset -e\nyum install httpd-2.4\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions(
                "DL3030",
                "FROM centos:7\nRUN sh -c 'yum install httpd-2.4'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3030",
                "FROM centos:7\nRUN true \\\n  || (yum install httpd-2.4)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3030",
                "FROM centos:7\nRUN echo start; yum install httpd-2.4; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3030",
            "FROM centos:7\nRUN echo \"yum install httpd-2.4\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3030",
            "FROM centos:7\nRUN <<EOF\necho 'yum install httpd-2.4'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3030", "FROM centos:7\nRUN # yum install httpd-2.4\n").is_empty());
    }

    #[test]
    fn fix_adds_yes() {
        let src = "FROM x\nRUN yum module install nodejs:18\n";
        let f = findings_of("DL3030", src);
        let e = f[0].fix.as_ref().map(|x| x.edits[0].clone());
        let fixed = e.map(|e| format!("{}{}{}", &src[..e.start], e.replacement, &src[e.end..]));
        assert_eq!(
            fixed.as_deref(),
            Some("FROM x\nRUN yum module install -y nodejs:18\n")
        );
    }
}
