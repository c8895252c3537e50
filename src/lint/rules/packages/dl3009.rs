//! DL3009: `apt-get update` (or `apt`/`aptitude update`) in a RUN that does not delete the
//! package lists afterwards.
use crate::lint::rules::packages::pm::{
    apt_subcommand, is_rm_of, mounts_any, stage_is_kept, APT_VALUE_FLAGS,
};
use crate::lint::rules::shell::cmd::{commands_of, is_templated, run_instruction, runs};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3009",
        name: "apt-lists-not-deleted",
        severity: Severity::Info,
        category: Category::Packages,
        summary: "Delete the apt-get lists after installing something",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const LISTS: &str = "/var/lib/apt/lists";

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, scripts, onbuild) in runs(cx) {
        if is_templated(scripts) {
            continue;
        }
        let cmds = commands_of(i, scripts);
        let Some(update) = cmds.iter().find(|c| {
            apt_subcommand(c, true) == Some("update")
                || (c.is_named(&["aptitude"]) && c.subcommand(APT_VALUE_FLAGS) == Some("update"))
        }) else {
            continue;
        };
        let cleaned = cmds.iter().any(|c| {
            is_rm_of(c, LISTS)
                || is_rm_of(c, "/var/lib/apt")
                || apt_subcommand(c, true) == Some("dist-clean")
        });
        let ins = run_instruction(cx, i);
        // Lists kept in a cache or tmpfs mount never reach the layer. A mount of all of
        // /var/lib/apt is the cache-mount recipe that also deletes docker-clean, which then
        // leaves the downloaded .deb files in /var/cache/apt: it counts only together with a
        // mount there (as hadolint has it).
        let mounted = mounts_any(ins, &["cache", "tmpfs"], &[LISTS])
            || (mounts_any(ins, &["cache", "tmpfs"], &["/var/lib/apt"])
                && mounts_any(ins, &["cache", "tmpfs"], &["/var/cache/apt"]));
        // An ONBUILD trigger runs in the child image, which is kept.
        if cleaned || mounted || !(onbuild || stage_is_kept(cx, i)) {
            continue;
        }
        d.report(
            update.name_span(cx),
            "Delete the apt-get lists after installing something.",
        )
        .with_help("end the RUN with `rm -rf /var/lib/apt/lists/*`, or mount a cache at /var/lib/apt/lists (or at both /var/lib/apt and /var/cache/apt)");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_update_without_cleanup() {
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12\nRUN apt-get update && apt-get install -y vim\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12\nRUN set -e; \\\n  apt-get update; apt-get install -y vim\n"
            ),
            vec![(3, 3)]
        );
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y vim\nEOF\n"
            ),
            vec![(3, 1)]
        );
        // A stage used as the base of another stage is kept.
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12 AS base\nRUN apt-get update\nFROM base\nRUN true\n"
            ),
            vec![(2, 5)]
        );
    }

    #[test]
    fn aptitude_and_partial_apt_mounts() {
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12\nRUN aptitude update && aptitude install vim\n"
            ),
            vec![(2, 5)]
        );
        let lib_only =
            "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\n";
        assert_eq!(positions("DL3009", lib_only), vec![(2, 44)]);
        let both = "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt \\\n  --mount=type=cache,target=/var/cache/apt apt-get update\n";
        assert!(positions("DL3009", both).is_empty());
    }

    #[test]
    fn accepts_cleanup_mounts_and_discarded_stages() {
        for src in [
            "FROM debian:12\nRUN apt-get update && apt-get install -y vim && rm -rf /var/lib/apt/lists/*\n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y vim; apt-get dist-clean\n",
            "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y vim\n",
            "FROM debian:12\nRUN --mount=type=tmpfs,target=/var/lib/apt/lists/ apt-get update\n",
            "FROM debian:12 AS build\nRUN apt-get update\nFROM debian:12\nCOPY --from=build /x /x\n",
            "FROM debian:12\nRUN apt-get install -y ./x.deb\n",
            "FROM debian:12\nRUN [\"apt-get\", \"update\"]\n",
        ] {
            assert!(positions("DL3009", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn templated_and_nested() {
        // `{{ … }}` template placeholders may hide the missing part; nested scripts count.
        assert!(positions("DL3009", "FROM debian:12\nRUN apt-get update; \\\n  apt-get install -y vim=1; \\\n  {{ clean_apt }}\n").is_empty());
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12\nRUN sh -c 'apt-get update && apt-get install -y vim=1'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(
            positions("DL3009", "FROM debian:12\nRUN true || (apt-get update)\n"),
            vec![(2, 14)]
        );
    }

    #[test]
    fn onbuild() {
        // The RUN of an ONBUILD trigger is checked too.
        assert_eq!(
            positions(
                "DL3009",
                "FROM debian:12 AS a\nONBUILD RUN apt-get update\nFROM debian:12\nRUN true\n"
            ),
            vec![(2, 13)]
        );
        assert!(positions("DL3009", "FROM debian:12\nONBUILD RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n").is_empty());
    }
}
