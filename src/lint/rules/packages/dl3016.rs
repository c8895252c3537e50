//! DL3016: `npm install` of packages without a pinned version.
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

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
    check,
};

/// npm options that take a separate value.
const NPM_VALUE_FLAGS: &[&str] = &[
    "prefix",
    "registry",
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

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        // `i` and `add` are npm's aliases of `install`.
        if !c.is_named(&["npm"])
            || !matches!(c.subcommand(NPM_VALUE_FLAGS), Some("install" | "i" | "add"))
        {
            continue;
        }
        let unpinned: Vec<_> = c
            .operands(NPM_VALUE_FLAGS)
            .into_iter()
            .filter(|w| !is_unknown(w) && !pinned(&w.value))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(
                c.word_span(cx, first),
                "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`",
            )
            .with_help(format!("unpinned: {}", names.join(", ")));
        }
    }
}

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
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3016",
                "FROM node:20\nRUN <<EOF\nset -e\nnpm install express\nEOF\n"
            ),
            vec![(4, 13)]
        );
        assert_eq!(
            positions("DL3016", "FROM node:20\nRUN sh -c 'npm install express'\n"),
            vec![(2, 24)]
        );
        assert_eq!(
            positions(
                "DL3016",
                "FROM node:20\nRUN true \\\n  || (npm install express)\n"
            ),
            vec![(3, 19)]
        );
        assert_eq!(
            positions(
                "DL3016",
                "FROM node:20\nRUN echo start; npm install express; echo done\n"
            ),
            vec![(2, 29)]
        );
        // Quoted text and comments are not commands.
        assert!(positions("DL3016", "FROM node:20\nRUN echo \"npm install express\"\n").is_empty());
        assert!(positions(
            "DL3016",
            "FROM node:20\nRUN <<EOF\necho 'npm install express'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3016", "FROM node:20\nRUN # npm install express\n").is_empty());
    }
}
