//! DL3028: `gem install` of gems without a pinned version.
use crate::lint::rules::shell::cmd::{is_unknown, run_commands};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3028",
        name: "gem-unpinned",
        severity: Severity::Warning,
        category: Category::Pinning,
        summary: "Pin versions in gem install",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// gem options that take a separate value.
const GEM_VALUE_FLAGS: &[&str] = &[
    "v",
    "version",
    "i",
    "install-dir",
    "n",
    "bindir",
    "s",
    "source",
    "p",
    "http-proxy",
    "platform",
    "g",
    "file",
    "document",
];

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in run_commands(cx) {
        if !c.is_named(&["gem"])
            || !matches!(c.subcommand(GEM_VALUE_FLAGS), Some("install" | "i"))
            || c.has_any_flag(&["v", "version"])
        {
            continue;
        }
        // Words after `--` are build flags passed to the gems' extconf, not gems.
        let end = c
            .args()
            .iter()
            .position(|w| w.value == "--")
            .map_or(usize::MAX, |i| c.args()[i].start);
        let unpinned: Vec<_> = c
            .operands(GEM_VALUE_FLAGS)
            .into_iter()
            .filter(|w| w.start < end)
            .filter(|w| !is_unknown(w) && !w.value.contains(':') && !w.value.ends_with(".gem"))
            .collect();
        if let Some(first) = unpinned.first() {
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            d.report(
                c.word_span(cx, first),
                "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`",
            )
            .with_help(format!("unpinned: {}", names.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_unpinned_gems() {
        assert_eq!(
            positions(
                "DL3028",
                "FROM ruby:3\nRUN gem install rails:7.1.0 bundler\n"
            ),
            vec![(2, 29)]
        );
        assert_eq!(
            positions("DL3028", "FROM ruby:3\nRUN gem i --no-document rake\n"),
            vec![(2, 25)]
        );
    }

    #[test]
    fn build_flags_after_double_dash_are_not_gems() {
        assert!(positions(
            "DL3028",
            "FROM ruby:3\nRUN gem install bundler:2.0.1 -- --use-system-libraries true\n"
        )
        .is_empty());
        assert_eq!(
            positions("DL3028", "FROM ruby:3\nRUN gem install rake -- --with-x\n"),
            vec![(2, 17)]
        );
    }

    #[test]
    fn accepts_pins() {
        for src in [
            "FROM ruby:3\nRUN gem install bundler:2.5.6\n",
            "FROM ruby:3\nRUN gem install bundler -v 2.5.6\n",
            "FROM ruby:3\nRUN gem install bundler --version=2.5.6\n",
            "FROM ruby:3\nRUN gem install ./local.gem\n",
            "FROM ruby:3\nRUN gem update --system\n",
        ] {
            assert!(positions("DL3028", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn shell_forms() {
        // Heredoc body, `sh -c` string, subshell after `||` on a continuation line, `;` list.
        assert_eq!(
            positions(
                "DL3028",
                "FROM ruby:3\nRUN <<EOF\nset -e\ngem install rake\nEOF\n"
            ),
            vec![(4, 13)]
        );
        assert_eq!(
            positions("DL3028", "FROM ruby:3\nRUN sh -c 'gem install rake'\n"),
            vec![(2, 24)]
        );
        assert_eq!(
            positions(
                "DL3028",
                "FROM ruby:3\nRUN true \\\n  || (gem install rake)\n"
            ),
            vec![(3, 19)]
        );
        assert_eq!(
            positions(
                "DL3028",
                "FROM ruby:3\nRUN echo start; gem install rake; echo done\n"
            ),
            vec![(2, 29)]
        );
        // Quoted text and comments are not commands.
        assert!(positions("DL3028", "FROM ruby:3\nRUN echo \"gem install rake\"\n").is_empty());
        assert!(positions(
            "DL3028",
            "FROM ruby:3\nRUN <<EOF\necho 'gem install rake'\nEOF\n"
        )
        .is_empty());
        assert!(positions("DL3028", "FROM ruby:3\nRUN # gem install rake\n").is_empty());
    }
}
