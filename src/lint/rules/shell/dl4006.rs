//! DL4006: a pipe in a RUN whose shell does not have `pipefail` set, so a failing command on the
//! left of `|` does not fail the build.
use crate::lint::context::RunScript;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};
use crate::shell::Command;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL4006",
        name: "pipefail-missing",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Set the SHELL option -o pipefail before RUN with a pipe in it",
        aliases: &["DS-0032", "docker-pipefail"],
        opt_in: false,
    },
    check,
};

/// Shells that understand `-o pipefail`.
const PIPEFAIL_SHELLS: &[&str] = &["bash", "zsh", "ash", "ksh", "mksh"];

/// `words` (a shell's arguments) contain `-o pipefail` (or `-euxo pipefail`).
fn words_set_pipefail<'a>(mut words: impl Iterator<Item = &'a str>) -> bool {
    let mut prev_o = false;
    for w in words.by_ref() {
        if prev_o && w == "pipefail" {
            return true;
        }
        prev_o = w.starts_with('-') && !w.starts_with("--") && w.ends_with('o');
    }
    false
}

/// The SHELL in force sets pipefail.
fn shell_sets_pipefail(shell: &[String]) -> bool {
    let Some(first) = shell.first() else {
        return false;
    };
    let base = first.rsplit(['/', '\\']).next().unwrap_or(first);
    PIPEFAIL_SHELLS.contains(&base) && words_set_pipefail(shell.iter().skip(1).map(String::as_str))
}

/// A command runs inside `outer`'s byte range: `bash -o pipefail -c 'a | b'`.
fn inside(outer: &Command, inner_start: usize) -> bool {
    outer.start < inner_start && inner_start < outer.end
}

/// Pipefail is on for a pipeline starting at `offset` of `rs`: the last `set` touching pipefail
/// before it (outside subshells, whose settings do not last) enabled it, or the pipe runs inside
/// `bash -o pipefail -c '…'`.
fn protected(rs: &RunScript, offset: usize) -> bool {
    let script = &rs.script;
    let by_set = script
        .set_options()
        .iter()
        .rev()
        .find(|o| {
            o.name == "pipefail"
                && script
                    .commands
                    .get(o.command)
                    .is_some_and(|c| c.start < offset && !c.in_subshell)
        })
        .is_some_and(|o| o.enabled);
    let by_shell = script.commands.iter().any(|c| {
        c.is_named(PIPEFAIL_SHELLS)
            && inside(c, offset)
            && words_set_pipefail(c.args().iter().map(|w| w.value.as_str()))
    });
    by_set || by_shell
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, scripts) in cx.scripts.iter().enumerate() {
        if scripts.is_empty() || cx.shell_at(i).is_some_and(shell_sets_pipefail) {
            continue;
        }
        'scripts: for rs in scripts {
            let mut pipes: Vec<(usize, &crate::shell::Pipeline)> = rs
                .script
                .pipelines
                .iter()
                .enumerate()
                .filter(|(_, p)| p.elements > 1)
                .collect();
            pipes.sort_by_key(|(_, p)| p.start);
            for (index, p) in pipes {
                if protected(rs, p.start) {
                    continue;
                }
                let first = rs.script.commands.iter().find(|c| c.pipeline == index);
                let (start, end) = match first.and_then(|c| c.words.first().or(c.prefix.first())) {
                    Some(w) => (w.start, w.end),
                    None => (p.start, p.end),
                };
                d.report(
                    cx.script_span(rs, start, end),
                    "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check",
                )
                .with_help("add `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before this RUN, or start the script with `set -o pipefail`");
                // One finding per RUN.
                break 'scripts;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unprotected_pipes() {
        assert_eq!(
            positions(
                "DL4006",
                "FROM debian:12\nRUN curl -fsSL https://x | tar -xz\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL4006",
                "FROM debian:12\nRUN set -e; \\\n  x=\"$(echo a | tr a b)\"\n"
            ),
            vec![(3, 8)]
        );
        assert_eq!(
            positions(
                "DL4006",
                "FROM debian:12\nRUN <<EOF\nset -e\necho a | wc -l\nEOF\n"
            ),
            vec![(4, 1)]
        );
        // A later stage does not inherit SHELL from an unrelated stage.
        assert_eq!(
            positions(
                "DL4006",
                "FROM debian:12 AS a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\nFROM debian:12\nRUN c | d\n"
            ),
            vec![(5, 5)]
        );
        // `set -o pipefail` after the pipe, or turned off again, does not help.
        assert_eq!(
            positions("DL4006", "FROM debian:12\nRUN a | b; set -o pipefail\n"),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL4006",
                "FROM debian:12\nRUN set -o pipefail; set +o pipefail; a | b\n"
            ),
            vec![(2, 39)]
        );
    }

    #[test]
    fn accepts_pipefail() {
        for src in [
            "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\n",
            "FROM alpine:3\nSHELL [\"/bin/ash\", \"-exo\", \"pipefail\", \"-c\"]\nRUN a | b\n",
            "FROM debian:12 AS a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM a\nRUN a | b\n",
            "FROM debian:12\nRUN set -euxo pipefail; a | b\n",
            "FROM debian:12\nRUN <<EOF\nset -o pipefail\na | b\nEOF\n",
            "FROM debian:12\nRUN bash -o pipefail -c 'a | b'\n",
            "FROM debian:12\nRUN a || b && c\n",
            "FROM debian:12\nRUN [\"sh\", \"-c\", \"a | b\"]\n",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nRUN a | b\n",
        ] {
            assert!(positions("DL4006", src).is_empty(), "{src}");
        }
    }
}
