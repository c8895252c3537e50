//! DL3032: `yum install` in a RUN that does not run `yum clean all` afterwards.
use crate::lint::rules::packages::pm::{installs_without_clean, is_rm_of, rpm_sub};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3032",
        name: "yum-missing-clean",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "`yum clean all` missing after yum install",
        aliases: &["DS-0015", "purge-yum-package-cache"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let found = installs_without_clean(
        cx,
        |c| rpm_sub(c, &["yum"], &["install", "groupinstall", "localinstall"]),
        |c| (rpm_sub(c, &["yum"], &["clean"]) && c.has_arg("all")) || is_rm_of(c, "/var/cache/yum"),
        &["/var/cache/yum"],
    );
    for c in found {
        d.report(
            c.name_span(cx),
            "`yum clean all` missing after yum command.",
        )
        .with_help("end the RUN with `yum clean all`");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_clean() {
        assert_eq!(
            positions("DL3032", "FROM centos:7\nRUN yum install -y httpd-2.4\n"),
            vec![(2, 5)]
        );
        // A clean before the install does not count.
        assert_eq!(
            positions(
                "DL3032",
                "FROM centos:7\nRUN yum clean all; \\\n  yum install -y httpd-2.4\n"
            ),
            vec![(3, 3)]
        );
    }

    #[test]
    fn accepts_clean() {
        for src in [
            "FROM centos:7\nRUN yum install -y httpd-2.4 && yum clean all\n",
            "FROM centos:7\nRUN yum install -y httpd-2.4 && rm -rf /var/cache/yum\n",
            "FROM centos:7\nRUN --mount=type=cache,target=/var/cache/yum yum install -y httpd-2.4\n",
            "FROM centos:7\nRUN <<EOF\nyum install -y httpd-2.4\nyum clean all\nEOF\n",
        ] {
            assert!(positions("DL3032", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn templated_and_nested() {
        // `{{ … }}` template placeholders may hide the missing part; nested scripts count.
        assert!(positions(
            "DL3032",
            "FROM centos:7\nRUN yum install -y httpd-2.4.6 && {{ clean_yum }}\n"
        )
        .is_empty());
        assert!(positions(
            "DL3032",
            "FROM centos:7\nRUN sh -c 'yum install -y httpd-2.4.6'; yum clean all\n"
        )
        .is_empty());
        assert!(positions(
            "DL3032",
            "FROM centos:7\nRUN yum install -y httpd-2.4.6 || yum clean all\n"
        )
        .is_empty());
    }
}
