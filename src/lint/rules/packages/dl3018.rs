//! DL3018: `apk add` of packages without a pinned version.
use crate::lint::rules::packages::pm::APK_VALUE_FLAGS;
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

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
    check,
};

fn pinned(p: &str) -> bool {
    p.contains(['=', '~', '<', '>']) || p.ends_with(".apk")
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["apk"]) || c.subcommand(APK_VALUE_FLAGS) != Some("add") {
            continue;
        }
        let unpinned: Vec<_> = c
            .operands(APK_VALUE_FLAGS)
            .into_iter()
            .filter(|w| !is_unknown(w) && !pinned(&w.value))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(
                c.word_span(cx, first),
                "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`",
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
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3018",
                "FROM alpine:3.20\nRUN <<EOF\nset -e\napk add --no-cache curl\nEOF\n"
            ),
            vec![(4, 20)]
        );
        assert_eq!(
            positions(
                "DL3018",
                "FROM alpine:3.20\nRUN sh -c 'apk add --no-cache curl'\n"
            ),
            vec![(2, 31)]
        );
        assert_eq!(
            positions(
                "DL3018",
                "FROM alpine:3.20\nRUN true \\\n  || (apk add --no-cache curl)\n"
            ),
            vec![(3, 26)]
        );
        assert_eq!(
            positions(
                "DL3018",
                "FROM alpine:3.20\nRUN echo start; apk add --no-cache curl; echo done\n"
            ),
            vec![(2, 36)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3018",
            "FROM alpine:3.20\nRUN echo \"apk add --no-cache curl\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3018",
            "FROM alpine:3.20\nRUN <<EOF\necho 'apk add --no-cache curl'\nEOF\n"
        )
        .is_empty());
        assert!(positions(
            "DL3018",
            "FROM alpine:3.20\nRUN # apk add --no-cache curl\n"
        )
        .is_empty());
    }
}
