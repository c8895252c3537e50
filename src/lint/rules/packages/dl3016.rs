//! DL3016: `npm install` of packages without a pinned version.
use super::pm::PinRule;
use crate::lint::{Category, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3016",
        name: "npm-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin versions in npm install",
        aliases: &[],
        opt_in: false,
    },
    check: |cx, d| PIN.check(cx, d),
};

/// npm options that take a separate value.
const NPM_VALUE_FLAGS: &[&str] = &[
    "prefix",
    "registry",
    "loglevel",
    "cache",
    "userconfig",
    "tag",
    "w",
    "workspace",
];

fn pinned(p: &str) -> bool {
    if ["git://", "git+ssh://", "git+http://", "git+https://"]
        .iter()
        .any(|g| p.starts_with(g))
    {
        return p.contains('#');
    }
    if [".tar", ".tar.gz", ".tgz"].iter().any(|s| p.ends_with(s))
        || ["/", "./", "../", "~/", "file:"]
            .iter()
            .any(|s| p.starts_with(s))
    {
        return true;
    }
    // `@scope/name@1.2`: the version `@` comes after the scope.
    let rest = match p.strip_prefix('@') {
        Some(scoped) => scoped.split_once('/').map(|(_, n)| n).unwrap_or(""),
        None => p,
    };
    rest.contains('@')
}

static PIN: PinRule = PinRule {
    // `i` and `add` are npm's aliases of `install`.
    is_install: |c| {
        c.is_named(&["npm"])
            && matches!(c.subcommand(NPM_VALUE_FLAGS), Some("install" | "i" | "add"))
    },
    value_flags: NPM_VALUE_FLAGS,
    pinned,
    message: "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`",
};

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned_packages() {
        assert_eq!(
            positions(
                "DL3016",
                "FROM node:20\nRUN npm install -g typescript@5.4 @angular/cli\n"
            ),
            vec![(2, 35)]
        );
        assert_eq!(
            positions(
                "DL3016",
                "FROM node:20\nRUN cd app && npm install express\n"
            ),
            vec![(2, 27)]
        );
        assert_eq!(
            positions("DL3016", "FROM node:20\nRUN npm i -D jest\n"),
            vec![(2, 14)]
        );
    }

    #[test]
    fn accepts_pins_paths_and_bare_install() {
        for src in [
            "FROM node:20\nRUN npm install\n",
            "FROM node:20\nRUN npm install --loglevel verbose sax@0.1.1\n",
            "FROM node:20\nRUN npm install --production\n",
            "FROM node:20\nRUN npm install express@4.19.2 @types/node@20\n",
            "FROM node:20\nRUN npm install ./pkg ../x /abs pkg.tgz\n",
            "FROM node:20\nRUN npm install git+https://github.com/a/b.git#v1.0.0\n",
            "FROM node:20\nRUN npm install --prefix /opt/app lodash@4\n",
            "FROM node:20\nRUN npm ci\n",
            "FROM node:20\nRUN npm i\n",
        ] {
            assert!(positions("DL3016", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        super::super::pm::assert_pin_shell_forms("DL3016", "node:20", "npm install express");
    }
}
