//! DL4001: both `wget` and `curl` used in one stage.
use crate::lint::rules::shell::cmd::commands_of;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL4001",
        name: "wget-and-curl",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Either use wget or curl, but not both",
        aliases: &["DS-0014", "standardise-remote-get"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    // Tools seen so far in the current stage: (curl, wget).
    let mut seen = (false, false);
    let mut stage = None;
    for (i, scripts) in cx.scripts.iter().enumerate() {
        let s = cx.stage_of(i);
        if s != stage {
            stage = s;
            seen = (false, false);
        }
        let cmds = commands_of(i, scripts);
        let first = cmds.iter().find(|c| c.is_named(&["curl", "wget"]));
        let Some(first) = first else { continue };
        seen.0 |= cmds.iter().any(|c| c.is_named(&["curl"]));
        seen.1 |= cmds.iter().any(|c| c.is_named(&["wget"]));
        // Every RUN that downloads once both tools are in use is reported.
        if seen.0 && seen.1 {
            d.report(first.name_span(cx), "Either use Wget or Curl but not both.")
                .with_help("pick one download tool per stage so only one is installed");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_both_tools() {
        assert_eq!(
            positions(
                "DL4001",
                "FROM debian:12\nRUN curl -fsSLO https://x/a\nRUN wget -q https://x/b\nRUN curl -fsSLO https://x/c\n"
            ),
            vec![(3, 5), (4, 5)]
        );
        assert_eq!(
            positions(
                "DL4001",
                "FROM debian:12\nRUN <<EOF\ncurl -fsSLO https://x/a\nwget -q https://x/b\nEOF\n"
            ),
            vec![(3, 1)]
        );
    }

    #[test]
    fn stages_are_separate() {
        for src in [
            "FROM debian:12 AS a\nRUN curl -fsSLO https://x/a\nFROM debian:12\nRUN wget -q https://x/b\n",
            "FROM debian:12\nRUN apt-get install -y curl=1 wget=1\n",
            "FROM debian:12\nRUN curl -fsSLO https://x/a && curl -fsSLO https://x/b\n",
        ] {
            assert!(positions("DL4001", src).is_empty(), "{src}");
        }
    }
}
