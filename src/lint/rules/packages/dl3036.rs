//! DL3036: `zypper install` in a RUN that does not run `zypper clean` afterwards.
use crate::lint::rules::packages::pm::{installs_without_clean, is_rm_of, zypper_sub};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3036",
        name: "zypper-missing-clean",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "`zypper clean` missing after zypper install",
        aliases: &["DS-0020", "purge-zipper-cache"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let found = installs_without_clean(
        cx,
        |c| matches!(zypper_sub(c), Some("install" | "in")),
        |c| matches!(zypper_sub(c), Some("clean" | "cc")) || is_rm_of(c, "/var/cache/zypp"),
        &["/var/cache/zypp"],
    );
    for c in found {
        d.report(c.name_span(cx), "`zypper clean` missing after zypper use.")
            .with_help("end the RUN with `zypper clean`");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_clean() {
        assert_eq!(
            positions("DL3036", "FROM opensuse/leap:15\nRUN zypper -n in vim=9\n"),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3036",
                "FROM opensuse/leap:15\nRUN zypper cc && \\\n  zypper -n install vim=9\n"
            ),
            vec![(3, 3)]
        );
    }

    #[test]
    fn accepts_clean() {
        for src in [
            "FROM opensuse/leap:15\nRUN zypper -n in vim=9 && zypper clean -a\n",
            "FROM opensuse/leap:15\nRUN zypper -n in vim=9; zypper cc\n",
            "FROM opensuse/leap:15\nRUN zypper -n in vim=9; rm -rf /var/cache/zypp/*\n",
            "FROM opensuse/leap:15\nRUN --mount=type=cache,target=/var/cache/zypp zypper -n in vim=9\n",
        ] {
            assert!(positions("DL3036", src).is_empty(), "{src}");
        }
    }
}
