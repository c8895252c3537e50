//! DL3019: `apk add` without `--no-cache`.
use crate::lint::rules::packages::pm::{mounts_any, APK_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::{run_commands, run_instruction};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3019",
        name: "apk-missing-no-cache",
        severity: Severity::Info,
        category: Category::Packages,
        summary: "Use the --no-cache switch with apk add",
        aliases: &["DS-0025", "purge-apk-package-cache"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["apk"])
            || c.subcommand(APK_VALUE_FLAGS) != Some("add")
            || c.has_flag("no-cache")
            // Nothing is downloaded, so nothing is cached.
            || c.has_flag("no-network")
        {
            continue;
        }
        // A cache mount keeps the index out of the layer.
        let ins = run_instruction(cx, c.instr);
        if mounts_any(
            ins,
            &["cache", "tmpfs"],
            &["/var/cache/apk", "/etc/apk/cache"],
        ) {
            continue;
        }
        d.report(
            c.name_span(cx),
            "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_missing_no_cache() {
        assert_eq!(
            positions(
                "DL3019",
                "FROM alpine:3.20\nRUN apk update && apk add curl=8\n"
            ),
            vec![(2, 19)]
        );
        assert_eq!(
            positions(
                "DL3019",
                "FROM alpine:3.20\nRUN set -x \\\n  && apk add --virtual .d gcc=1\n"
            ),
            vec![(3, 6)]
        );
    }

    #[test]
    fn accepts_no_cache_and_cache_mounts() {
        for src in [
            "FROM alpine:3.20\nRUN apk add --no-cache curl=8\n",
            "FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl=8\n",
            "FROM alpine:3.20\nRUN --mount=type=cache,target=/etc/apk/cache apk add curl=8\n",
            "FROM alpine:3.20\nRUN apk del curl\n",
            "FROM alpine:3.20\nRUN scanelf x | xargs -rt apk add --no-network --virtual .rundeps\n",
        ] {
            assert!(positions("DL3019", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3019",
                "FROM alpine:3.20\nRUN <<EOF\nset -e\napk add curl=8\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions("DL3019", "FROM alpine:3.20\nRUN sh -c 'apk add curl=8'\n"),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3019",
                "FROM alpine:3.20\nRUN true \\\n  || (apk add curl=8)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3019",
                "FROM alpine:3.20\nRUN echo start; apk add curl=8; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions("DL3019", "FROM alpine:3.20\nRUN echo \"apk add curl=8\"\n").is_empty());
        assert!(positions(
            "DL3019",
            "FROM alpine:3.20\nRUN <<EOF\necho 'apk add curl=8'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3019", "FROM alpine:3.20\nRUN # apk add curl=8\n").is_empty());
    }

    #[test]
    fn onbuild() {
        // The RUN of an ONBUILD trigger is checked too.
        assert_eq!(
            positions("DL3019", "FROM alpine:3.20\nONBUILD RUN apk add curl=8\n"),
            vec![(2, 13)]
        );
        assert!(positions("DL3019", "FROM alpine:3.20\nONBUILD RUN --mount=type=cache,target=/var/cache/apk apk add curl=8\n").is_empty());
    }
}
