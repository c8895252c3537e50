//! DL3037: `zypper install` of packages without a pinned version.
use super::pm::{zypper_sub, PinRule, ZYPPER_VALUE_FLAGS};
use crate::lint::{Category, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3037",
        name: "zypper-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Specify version with zypper install",
        aliases: &[],
        opt_in: false,
    },
    check: |cx, d| PIN.check(cx, d),
};

fn pinned(p: &str) -> bool {
    p.contains(['=', '<', '>']) || p.ends_with(".rpm")
}

static PIN: PinRule = PinRule {
    is_install: |c| matches!(zypper_sub(c), Some("install" | "in")),
    value_flags: ZYPPER_VALUE_FLAGS,
    pinned,
    message: "Specify version with `zypper install -y <package>=<version>`.",
};

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned() {
        assert_eq!(
            positions(
                "DL3037",
                "FROM opensuse/leap:15\nRUN zypper -n in vim=9.0 git\n"
            ),
            vec![(2, 26)]
        );
    }

    #[test]
    fn accepts_pins() {
        for src in [
            "FROM opensuse/leap:15\nRUN zypper -n in vim=9.0 'git>=2.40' /tmp/x.rpm\n",
            "FROM opensuse/leap:15\nRUN zypper -n in $PKGS\n",
            "FROM opensuse/leap:15\nRUN zypper -n rm git\n",
        ] {
            assert!(positions("DL3037", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        super::super::pm::assert_pin_shell_forms("DL3037", "opensuse/leap:15", "zypper -n in vim");
    }
}
