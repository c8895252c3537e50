//! DL3060: `yarn install` in a RUN that does not run `yarn cache clean` afterwards.
use crate::lint::rules::packages::pm::{installs_without_clean, stage_is_kept};
use crate::lint::rules::shell::cmd::Argv;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3060",
        name: "yarn-cache-not-cleaned",
        severity: Severity::Info,
        category: Category::Packages,
        summary: "`yarn cache clean` missing after `yarn install`",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn yarn_sub<'a>(c: &Argv<'a>) -> Vec<&'a str> {
    if !c.is_named(&["yarn"]) {
        return Vec::new();
    }
    c.positional(&["cwd", "modules-folder", "cache-folder"])
        .into_iter()
        .map(|w| w.value.as_str())
        .collect()
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let found = installs_without_clean(
        cx,
        |c| yarn_sub(c).first() == Some(&"install"),
        |c| yarn_sub(c).starts_with(&["cache", "clean"]),
        &[
            "/usr/local/share/.cache/yarn",
            "/root/.cache/yarn",
            "/root/.yarn",
        ],
    );
    // A stage that no image is built from takes its cache nowhere (hadolint's view too); an
    // ONBUILD trigger runs in the child image, which is kept.
    let kept = |i: usize| {
        stage_is_kept(cx, i)
            || cx
                .df
                .instructions
                .get(i)
                .is_some_and(|ins| ins.keyword == crate::dockerfile::Keyword::Onbuild)
    };
    for c in found.into_iter().filter(|c| kept(c.instr)) {
        d.report(
            c.name_span(cx),
            "`yarn cache clean` missing after `yarn install` was run.",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_clean() {
        assert_eq!(
            positions(
                "DL3060",
                "FROM node:20\nRUN yarn install --frozen-lockfile\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3060",
                "FROM node:20\nRUN <<EOF\nyarn cache clean\nyarn install\nEOF\n"
            ),
            vec![(4, 1)]
        );
    }

    #[test]
    fn accepts_clean() {
        for src in [
            "FROM node:20\nRUN yarn install && yarn cache clean\n",
            "FROM node:20 AS deps\nRUN yarn install\nFROM scratch\nRUN hey\n",
            "FROM node:20\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install\n",
            "FROM node:20\nRUN yarn build\n",
        ] {
            assert!(positions("DL3060", src).is_empty(), "{src}");
        }
    }
}
