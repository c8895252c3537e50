//! DL3046: `useradd` with a high UID and without `-l`, which makes a huge lastlog file.
use crate::lint::rules::shell::cmd::run_commands;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3046",
        name: "useradd-high-uid",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "useradd without -l and with a high UID",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// useradd options that take a value.
const USERADD_VALUE_FLAGS: &[&str] = &[
    "b",
    "base-dir",
    "c",
    "comment",
    "d",
    "home-dir",
    "e",
    "expiredate",
    "f",
    "inactive",
    "g",
    "gid",
    "G",
    "groups",
    "k",
    "skel",
    "K",
    "key",
    "p",
    "password",
    "R",
    "root",
    "P",
    "prefix",
    "s",
    "shell",
    "u",
    "uid",
    "Z",
    "selinux-user",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["useradd"]) {
            continue;
        }
        let flags = c.flags_with(USERADD_VALUE_FLAGS);
        if flags
            .iter()
            .any(|f| f.name == "l" || f.name == "no-log-init")
        {
            continue;
        }
        for f in flags.iter().filter(|f| f.name == "u" || f.name == "uid") {
            let (value, word) = match &f.inline_value {
                Some(v) => (v.clone(), c.words.get(f.index)),
                None => match c.words.get(f.index + 1) {
                    Some(w) => (w.value.clone(), Some(w)),
                    None => continue,
                },
            };
            // Only literal UIDs of six digits or more (hadolint: longer than five characters).
            let literal = value.chars().all(|ch| ch.is_ascii_digit());
            if let (true, true, Some(w)) = (literal, value.len() > 5, word) {
                d.report(
                    c.word_span(cx, w),
                    "`useradd` without flag `-l` and high UID will result in excessively large Image.",
                )
                .with_help("add `-l` (`--no-log-init`) so the sparse lastlog/faillog files are not written");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_high_uid() {
        assert_eq!(
            positions("DL3046", "FROM debian:12\nRUN useradd -u 123456 app\n"),
            vec![(2, 16)]
        );
        assert_eq!(
            positions(
                "DL3046",
                "FROM debian:12\nRUN groupadd g && \\\n  useradd --uid=1000000 -m app\n"
            ),
            vec![(3, 11)]
        );
    }

    #[test]
    fn accepts_low_uid_or_l() {
        for src in [
            "FROM debian:12\nRUN useradd -u 1000 app\n",
            "FROM debian:12\nRUN useradd -l -u 123456 app\n",
            "FROM debian:12\nRUN useradd --no-log-init --uid 123456 app\n",
            "FROM debian:12\nRUN useradd -lmu 123456 app\n",
            "FROM debian:12\nRUN useradd -u $UID app\n",
            "FROM debian:12\nRUN adduser -u 123456 app\n",
        ] {
            assert!(positions("DL3046", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3046",
                "FROM debian:12\nRUN <<EOF\nset -e\nuseradd -u 1234567 app\nEOF\n"
            ),
            vec![(4, 12)]
        );
        assert_eq!(
            positions(
                "DL3046",
                "FROM debian:12\nRUN sh -c 'useradd -u 1234567 app'\n"
            ),
            vec![(2, 23)]
        );
        assert_eq!(
            positions(
                "DL3046",
                "FROM debian:12\nRUN true \\\n  || (useradd -u 1234567 app)\n"
            ),
            vec![(3, 18)]
        );
        assert_eq!(
            positions(
                "DL3046",
                "FROM debian:12\nRUN echo start; useradd -u 1234567 app; echo done\n"
            ),
            vec![(2, 28)]
        );
        // Quoted text and comments are not commands.
        assert!(positions(
            "DL3046",
            "FROM debian:12\nRUN echo \"useradd -u 1234567 app\"\n"
        )
        .is_empty());
        assert!(positions(
            "DL3046",
            "FROM debian:12\nRUN <<EOF\necho 'useradd -u 1234567 app'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3046", "FROM debian:12\nRUN # useradd -u 1234567 app\n").is_empty());
    }
}
