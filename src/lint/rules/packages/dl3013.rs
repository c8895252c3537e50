//! DL3013: `pip install` (or `pipx install`) of packages without a pinned version.
use crate::lint::rules::packages::pm::{pip_install, PIP_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3013",
        name: "pip-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin versions in pip install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

const MESSAGE: &str = "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`";

const VCS: &[&str] = &["git+", "git:", "hg+", "svn+", "svn:", "bzr+"];

fn pinned(p: &str) -> bool {
    let vcs = VCS.iter().any(|s| p.starts_with(s));
    ["==", ">=", "<=", ">", "<", "!=", "~=", "==="]
        .iter()
        .any(|s| p.contains(s))
        || (vcs && p.contains('@'))
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || p.ends_with(".zip")
        || (!vcs && p.contains('/'))
        || p == "."
        || p.starts_with("./")
}

/// pipx options that take a value.
const PIPX_VALUE_FLAGS: &[&str] = &[
    "python",
    "index-url",
    "pip-args",
    "suffix",
    "preinstall",
    "editable",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if c.is_named(&["pipx"]) && c.subcommand(PIPX_VALUE_FLAGS) == Some("install") {
            let unpinned: Vec<_> = c
                .operands(PIPX_VALUE_FLAGS)
                .into_iter()
                .filter(|w| !is_unknown(w) && !pinned(&w.value))
                .collect();
            if let Some(first) = unpinned.first() {
                d.report(c.word_span(cx, first), MESSAGE)
                    .with_help("pin it: `pipx install <package>==<version>`");
            }
            continue;
        }
        let Some(pip) = pip_install(&c) else { continue };
        // Requirement files, constraints and the local project are pinned elsewhere.
        if pip.has_any_flag(&["r", "requirement", "c", "constraint"]) || pip.has_arg(".") {
            continue;
        }
        let unpinned: Vec<_> = pip
            .operands(PIP_VALUE_FLAGS)
            .into_iter()
            .filter(|w| !is_unknown(w) && !pinned(&w.value))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(c.word_span(cx, first), MESSAGE)
                .with_help(format!("unpinned: {}", names.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn pipx_and_value_flags() {
        assert_eq!(
            positions("DL3013", "FROM python:3.12\nRUN pipx install black\n"),
            vec![(2, 18)]
        );
        for src in [
            "FROM python:3.12\nRUN pipx install --python \"$(which python)\" \"poetry==1.8.5\"\n",
            "FROM python:3.12\nRUN pip install --root-user-action ignore poetry==1.8.5\n",
        ] {
            assert!(positions("DL3013", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn flags_unpinned_packages() {
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN pip install --no-cache-dir requests\n"
            ),
            vec![(2, 32)]
        );
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN python3 -m pip install flask==3.0 gunicorn\n"
            ),
            vec![(2, 39)]
        );
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN pip3 install --upgrade pip\n"
            ),
            vec![(2, 28)]
        );
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN true && \\\n  pip install -i https://x/simple foo\n"
            ),
            vec![(3, 35)]
        );
    }

    #[test]
    fn accepts_pins_requirements_and_paths() {
        for src in [
            "FROM python:3.12\nRUN pip install requests==2.31.0 'flask>=3'\n",
            "FROM python:3.12\nRUN pip install -r requirements.txt\n",
            "FROM python:3.12\nRUN pip install --requirement=requirements.txt\n",
            "FROM python:3.12\nRUN pip install -c constraints.txt foo\n",
            "FROM python:3.12\nRUN pip install .\n",
            "FROM python:3.12\nRUN pip install -e . ./pkg dist/x-1.0-py3-none-any.whl\n",
            "FROM python:3.12\nRUN pip install git+https://github.com/x/y@v1.0\n",
            "FROM python:3.12\nRUN pip install $PKGS\n",
            "FROM python:3.12\nRUN pip download foo\n",
        ] {
            assert!(positions("DL3013", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN <<EOF\nset -e\npip install --no-cache-dir flask\nEOF\n"
            ),
            vec![(4, 28)]
        );
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN sh -c 'pip install --no-cache-dir flask'\n"
            ),
            vec![(2, 39)]
        );
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN true \\\n  || (pip install --no-cache-dir flask)\n"
            ),
            vec![(3, 34)]
        );
        assert_eq!(
            positions(
                "DL3013",
                "FROM python:3.12\nRUN echo start; pip install --no-cache-dir flask; echo done\n"
            ),
            vec![(2, 44)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3013",
            "FROM python:3.12\nRUN echo \"pip install --no-cache-dir flask\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3013",
            "FROM python:3.12\nRUN <<EOF\necho 'pip install --no-cache-dir flask'\nEOF\n"
        )
        .is_empty());
        assert!(positions(
            "DL3013",
            "FROM python:3.12\nRUN # pip install --no-cache-dir flask\n"
        )
        .is_empty());
    }
}
