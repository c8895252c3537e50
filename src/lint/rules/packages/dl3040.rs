//! DL3040: `dnf install` (or `upgrade`, `reinstall` and their short aliases) in a RUN that does
//! not run `dnf clean all` afterwards.
use crate::lint::rules::packages::pm::{installs_without_clean, is_rm_of, rpm_sub};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3040",
        name: "dnf-missing-clean",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "`dnf clean all` missing after dnf install",
        aliases: &[
            "DS-0019",
            "purge-dnf-package-cache",
            "DS-0027",
            "purge-microdnf-package-cache",
        ],
        opt_in: false,
    },
    check,
};

/// dnf subcommands that fill the package cache, with dnf's aliases (as hadolint lists them).
const INSTALLS: &[&str] = &[
    "install",
    "in",
    "upgrade",
    "up",
    "upgrade-minimal",
    "up-min",
    "reinstall",
    "rei",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for tool in ["dnf", "microdnf"] {
        let found = installs_without_clean(
            cx,
            |c| rpm_sub(c, &[tool], INSTALLS),
            |c| {
                (rpm_sub(c, &[tool], &["clean"]) && c.has_arg("all"))
                    || is_rm_of(c, "/var/cache/yum")
                    || is_rm_of(c, "/var/cache/dnf")
                    || is_rm_of(c, "/var/cache/libdnf5")
            },
            &[
                "/var/cache/dnf",
                "/var/cache/yum",
                "/var/cache/libdnf5",
                ".cache/libdnf5",
            ],
        );
        for c in found {
            d.report(
                c.name_span(cx),
                "`dnf clean all` missing after dnf command.",
            )
            .with_help(format!("end the RUN with `{tool} clean all`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_clean() {
        assert_eq!(
            positions(
                "DL3040",
                "FROM fedora:40\nRUN dnf install -y httpd-2.4.58\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3040",
                "FROM fedora:40\nRUN microdnf install -y x-1.0 && dnf clean all\n"
            ),
            vec![(2, 5)]
        );
        for sub in ["in", "up", "upgrade-minimal", "up-min", "rei"] {
            let src = format!("FROM fedora:42\nRUN dnf -y {sub} x-1.0\n");
            assert_eq!(positions("DL3040", &src), vec![(2, 5)], "{sub}");
        }
    }

    #[test]
    fn accepts_clean() {
        for src in [
            "FROM fedora:40\nRUN dnf install -y httpd-2.4.58 && dnf clean all\n",
            "FROM fedora:40\nRUN dnf install -y httpd-2.4.58 && rm -rf /var/cache/dnf\n",
            "FROM fedora:40\nRUN microdnf install -y x-1.0 && microdnf clean all\n",
            "FROM fedora:40\nRUN --mount=type=cache,target=/var/cache/dnf dnf install -y x-1.0\n",
            "FROM fedora:42\nRUN --mount=type=tmpfs,target=/var/cache/libdnf5 dnf in -y x-1.0\n",
            "FROM fedora:42\nRUN --mount=type=cache,target=/root/.cache/libdnf5 dnf up -y\n",
            "FROM fedora:42\nRUN dnf rei -y x-1.0 && rm -rf /var/cache/libdnf5\n",
        ] {
            assert!(positions("DL3040", src).is_empty(), "{src}");
        }
    }
}
