//! DL3018: `apk add` of packages without a pinned version.
use super::pm::{PinRule, APK_VALUE_FLAGS};
use crate::lint::{Category, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3018",
        name: "apk-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin versions in apk add",
        aliases: &[],
        opt_in: false,
    },
    check: |cx, d| PIN.check(cx, d),
};

fn pinned(p: &str) -> bool {
    p.contains(['=', '~', '<', '>']) || p.ends_with(".apk")
}

static PIN: PinRule = PinRule {
    is_install: |c| c.is_named(&["apk"]) && c.subcommand(APK_VALUE_FLAGS) == Some("add"),
    value_flags: APK_VALUE_FLAGS,
    pinned,
    message:
        "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`",
};

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned_packages() {
        assert_eq!(
            positions(
                "DL3018",
                "FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.0-r0 git\n"
            ),
            vec![(2, 38)]
        );
        assert_eq!(
            positions(
                "DL3018",
                "FROM alpine:3.20\nRUN apk add --no-cache --virtual .deps \\\n  gcc\n"
            ),
            vec![(3, 3)]
        );
    }

    #[test]
    fn accepts_pins() {
        for src in [
            "FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.0-r0 'git>2' bash~5.2\n",
            "FROM alpine:3.20\nRUN apk add --no-cache -t .deps gcc=13.2.1-r0\n",
            "FROM alpine:3.20\nRUN apk add --allow-untrusted /tmp/x.apk\n",
            "FROM alpine:3.20\nRUN apk add --no-cache -X https://repo/main $pkgs\n",
            "FROM alpine:3.20\nRUN apk del curl\n",
        ] {
            assert!(positions("DL3018", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        super::super::pm::assert_pin_shell_forms(
            "DL3018",
            "alpine:3.20",
            "apk add --no-cache curl",
        );
    }
}
