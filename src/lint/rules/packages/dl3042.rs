//! DL3042: `pip install` that keeps pip's download cache in the image.
use crate::lint::rules::packages::pm::{mounts_any, pip_install};
use crate::lint::rules::shell::cmd::{run_commands, run_instruction};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3042",
        name: "pip-cache-dir",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Avoid use of cache directory with pip; use --no-cache-dir",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const TRUTHY: &[&str] = &[
    "1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES",
];

/// `PIP_NO_CACHE_DIR=<truthy>` appears in `text` (an assignment, `export` or `env` in the RUN).
fn sets_no_cache_dir(text: &str) -> bool {
    text.match_indices("PIP_NO_CACHE_DIR=").any(|(i, m)| {
        let value = &text[i + m.len()..];
        let value = value.trim_start_matches(['"', '\'']);
        TRUTHY.iter().any(|t| value.starts_with(t))
    })
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        let Some(pip) = pip_install(&c) else { continue };
        if pip.has_arg("--no-cache-dir") || pip.has_flag("no-cache-dir") {
            continue;
        }
        let env_set = cx
            .vars
            .get(c.instr)
            .and_then(|v| v.values.get("PIP_NO_CACHE_DIR"))
            .is_some_and(|v| TRUTHY.contains(&v.trim_matches(['"', '\''])));
        let run_set = cx
            .scripts
            .get(c.instr)
            .is_some_and(|s| s.iter().any(|s| sets_no_cache_dir(&s.text)));
        // A cache mount keeps the cache out of the layer (and is the faster choice).
        let ins = run_instruction(cx, c.instr);
        let mounted = ins.is_some_and(|ins| {
            ins.flags_named("mount").any(|f| {
                f.value
                    .as_deref()
                    .is_some_and(|v| v.contains("type=cache") && v.contains(".cache/pip"))
            })
        }) || mounts_any(ins, &["cache", "tmpfs"], &["/root/.cache"]);
        if env_set || run_set || mounted {
            continue;
        }
        d.report(
            c.name_span(cx),
            "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`",
        )
        .with_help("add `--no-cache-dir`, set `ENV PIP_NO_CACHE_DIR=1`, or mount a cache at /root/.cache/pip");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_cached_installs() {
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nRUN pip install -r requirements.txt\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nRUN set -e; python -m pip install foo==1\n"
            ),
            vec![(2, 13)]
        );
        // ENV in another stage does not apply.
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12 AS a\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12\nRUN pip install foo==1\n"
            ),
            vec![(4, 5)]
        );
    }

    #[test]
    fn accepts_no_cache() {
        for src in [
            "FROM python:3.12\nRUN pip install --no-cache-dir foo==1\n",
            "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install foo==1\n",
            "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=true pip install foo==1\n",
            "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install foo==1\n",
            "FROM python:3.12\nRUN pipenv install\n",
            "FROM python:3.12\nRUN pip3 --version\n",
        ] {
            assert!(positions("DL3042", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nRUN <<EOF\nset -e\npip install foo==1\nEOF\n"
            ),
            vec![(4, 1)]
        );
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nRUN sh -c 'pip install foo==1'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nRUN true \\\n  || (pip install foo==1)\n"
            ),
            vec![(3, 7)]
        );
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nRUN echo start; pip install foo==1; echo done\n"
            ),
            vec![(2, 17)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3042",
            "FROM python:3.12\nRUN echo \"pip install foo==1\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3042",
            "FROM python:3.12\nRUN <<EOF\necho 'pip install foo==1'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3042", "FROM python:3.12\nRUN # pip install foo==1\n").is_empty());
    }

    #[test]
    fn env_from_arg_and_parent_stage() {
        for src in [
            "FROM python:3.12\nARG PIP_NO_CACHE_DIR=1\nRUN pip install foo==1\n",
            "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=on\nFROM base\nRUN pip install foo==1\n",
            "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=1 && pip install foo==1\n",
        ] {
            assert!(positions("DL3042", src).is_empty(), "{src}");
        }
        assert_eq!(
            positions(
                "DL3042",
                "FROM python:3.12\nENV PIP_NO_CACHE_DIR=false\nRUN pip install foo==1\n"
            ),
            vec![(3, 5)]
        );
    }
}
