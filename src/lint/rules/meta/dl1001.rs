//! DL1001: inline ignore pragmas are used (an opt-in policy rule).

use crate::lint::suppress::{comment_lines, parse_pragma, Scope};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL1001",
        name: "inline-ignore-pragma",
        // hadolint ships this rule at its `ignore` level, i.e. off; hoist makes it opt-in and
        // reports at `warning` once enabled.
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Please refrain from using inline ignore pragmas",
        aliases: &[],
        opt_in: true,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for c in comment_lines(cx).iter().flatten() {
        let Some(p) = parse_pragma(c.text(cx.source)) else {
            continue;
        };
        if p.scope != Scope::Inline {
            continue;
        }
        d.report(
            cx.span(c.start, c.end),
            "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`",
        )
        .with_help("fix the finding, or ignore the rule for the project in `.hoist.toml`");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::{findings_of, positions};

    #[test]
    fn flags_inline_pragmas() {
        let src = "FROM debian:12\n  # hadolint ignore=DL3008\nRUN apt-get install -y foo\n# hoist ignore=DL3003 reason\nRUN cd /tmp\n#trivy:ignore:DS002\nUSER root\n";
        assert_eq!(positions("DL1001", src), vec![(2, 3), (4, 1), (6, 1)]);
    }

    #[test]
    fn ignores_other_comments_and_file_level_pragmas() {
        let src = "# syntax=docker/dockerfile:1\n# hadolint global ignore=DL3006\n# hoist stage ignore=DL3008\n# a comment mentioning hadolint\nFROM debian\n";
        assert!(positions("DL1001", src).is_empty());
    }

    #[test]
    fn off_by_default() {
        use crate::lint::{config::LintOptions, engine::lint_source};
        let src = "FROM debian:12\n# hadolint ignore=DL3008\nRUN true\n";
        let report = lint_source(
            std::path::Path::new("Dockerfile"),
            src,
            &LintOptions::default(),
        );
        assert!(report.findings.iter().all(|f| f.code != "DL1001"));
        assert_eq!(findings_of("DL1001", src).len(), 1);
    }

    #[test]
    fn pragma_text_inside_a_heredoc_is_not_flagged() {
        let src =
            "FROM debian:12\nRUN <<EOF\n# hadolint ignore=DL3008\napt-get install -y foo\nEOF\n";
        assert!(positions("DL1001", src).is_empty());
    }
}
