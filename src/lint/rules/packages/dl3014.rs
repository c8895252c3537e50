//! DL3014: `apt-get install` without `-y`.
use crate::lint::rules::packages::pm::{insert_after, is_apt_get_install, APT_VALUE_FLAGS};
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3014",
        name: "apt-get-missing-yes",
        severity: Severity::Warning,
        category: Category::Packages,
        summary: "Use the -y switch with apt-get install",
        aliases: &["DS-0021", "use-apt-auto-confirm"],
        opt_in: false,
    },
    check,
};

fn assumes_yes(c: &crate::lint::rules::shell::cmd::Argv) -> bool {
    let flags = c.flags_with(APT_VALUE_FLAGS);
    // `-qq`, `-q -q`, `--quiet --quiet`, `-q=2` and `--quiet=2` all mean quiet level 2, which
    // implies `-y`.
    let quiet = flags
        .iter()
        .filter(|f| f.name == "q" || f.name == "quiet")
        .count()
        + c.args()
            .iter()
            .filter_map(|w| {
                let v = w.value.as_str();
                v.strip_prefix("-q=").or_else(|| v.strip_prefix("--quiet="))
            })
            .filter_map(|n| n.parse::<usize>().ok())
            .map(|n| n.saturating_sub(1))
            .sum::<usize>();
    flags
        .iter()
        .any(|f| ["y", "yes", "assume-yes", "force-yes"].contains(&f.name.as_str()))
        || quiet >= 2
        || c.flag_value_texts(&["o", "option"]).iter().any(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("apt::get::assume-yes=") && !v.ends_with("=false") && !v.ends_with("=0")
        })
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !is_apt_get_install(&c) || assumes_yes(&c) {
            continue;
        }
        let span = c.name_span(cx);
        let install = c
            .positional(APT_VALUE_FLAGS)
            .into_iter()
            .find(|w| w.value == "install");
        let f = d.report(
            span,
            "Use the `-y` switch to avoid manual input `apt-get -y install <package>`",
        );
        if let Some(fix) = install.and_then(|w| insert_after(cx, &c, w, "-y", "add `-y`")) {
            f.with_fix(fix);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_missing_yes() {
        assert_eq!(
            positions(
                "DL3014",
                "FROM debian:12\nRUN apt-get update && apt-get install vim=1\n"
            ),
            vec![(2, 23)]
        );
        assert_eq!(
            positions("DL3014", "FROM debian:12\nRUN apt-get -q install vim=1\n"),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3014",
                "FROM debian:12\nRUN sh -c 'apt-get install vim=1'\n"
            ),
            vec![(2, 12)]
        );
        let f = findings_of("DL3014", "FROM debian:12\nRUN apt-get install vim=1\n");
        let fix = f[0].fix.as_ref().map(|x| x.edits[0].clone());
        assert_eq!(
            fix.map(|e| (e.start, e.replacement)),
            Some((34, " -y".to_string()))
        );
        // Inside a string with escapes the fix is either exact or not offered.
        let src = "FROM debian:12\nRUN su -c \"echo \\\"x\\\" && apt-get install vim=1\" root\n";
        let f = findings_of("DL3014", src);
        assert_eq!(f.len(), 1);
        if let Some(fix) = &f[0].fix {
            let e = &fix.edits[0];
            let fixed = format!("{}{}{}", &src[..e.start], e.replacement, &src[e.end..]);
            assert!(fixed.contains("apt-get install -y vim=1"), "{fixed}");
        }
    }

    #[test]
    fn accepts_yes_spellings() {
        for src in [
            "FROM debian:12\nRUN apt-get install -y vim=1\n",
            "FROM debian:12\nRUN apt-get -yq install vim=1\n",
            "FROM debian:12\nRUN apt-get install --yes vim=1\n",
            "FROM debian:12\nRUN apt-get install --assume-yes vim=1\n",
            "FROM debian:12\nRUN apt-get -qq install vim=1\n",
            "FROM debian:12\nRUN apt-get install -q=2 vim=1\n",
            "FROM debian:12\nRUN apt-get install --quiet --quiet vim=1\n",
            "FROM debian:12\nRUN apt-get -o APT::Get::Assume-Yes=true install vim=1\n",
            "FROM debian:12\nRUN apt-get update || \\\n  apt-get remove vim\n",
        ] {
            assert!(positions("DL3014", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(positions("DL3014", "FROM debian:12\nRUN <<EOF\nset -e\napt-get install --no-install-recommends vim=1\nEOF\n"), vec![(4, 1)]);
        assert_eq!(
            positions(
                "DL3014",
                "FROM debian:12\nRUN sh -c 'apt-get install --no-install-recommends vim=1'\n"
            ),
            vec![(2, 12)]
        );
        assert_eq!(positions("DL3014", "FROM debian:12\nRUN true \\\n  || (apt-get install --no-install-recommends vim=1)\n"), vec![(3, 7)]);
        assert_eq!(positions("DL3014", "FROM debian:12\nRUN echo start; apt-get install --no-install-recommends vim=1; echo done\n"), vec![(2, 17)]);
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3014",
            "FROM debian:12\nRUN echo \"apt-get install --no-install-recommends vim=1\"\n"
        )
        .is_empty());
        assert!(positions("DL3014", "FROM debian:12\nRUN <<EOF\necho 'apt-get install --no-install-recommends vim=1'\nEOF\n").is_empty());
        assert!(positions(
            "DL3014",
            "FROM debian:12\nRUN # apt-get install --no-install-recommends vim=1\n"
        )
        .is_empty());
    }
}
