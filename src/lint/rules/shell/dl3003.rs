//! DL3003: `cd` in a RUN; WORKDIR says where commands run.
use crate::lint::rules::shell::cmd::{commands_of, in_string, runs};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3003",
        name: "cd-instead-of-workdir",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Use WORKDIR to switch to a directory",
        aliases: &["DS-0013", "use-workdir-over-cd"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, scripts, _) in runs(cx) {
        // One finding per RUN, at its first `cd`: the advice is about the instruction. A `cd`
        // inside the string of `sh -c`/`su -c` cannot be replaced by WORKDIR.
        if let Some(c) = commands_of(i, scripts)
            .into_iter()
            .find(|c| c.is_named(&["cd"]) && !in_string(c.script, c.cmd))
        {
            d.report(c.name_span(cx), "Use WORKDIR to switch to a directory.")
                .with_help("set the directory with a WORKDIR instruction before the RUN");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_cd() {
        assert_eq!(
            positions(
                "DL3003",
                "FROM debian:12\nRUN cd /src && make && cd / && rm -rf /src\n"
            ),
            vec![(2, 5)]
        );
        assert_eq!(
            positions(
                "DL3003",
                "FROM debian:12\nRUN set -e; \\\n    (cd /src; make)\n"
            ),
            vec![(3, 6)]
        );
        assert_eq!(
            positions("DL3003", "FROM debian:12\nRUN <<EOF\nmake\ncd /tmp\nEOF\n"),
            vec![(4, 1)]
        );
    }

    #[test]
    fn accepts_workdir() {
        for src in [
            "FROM debian:12\nWORKDIR /src\nRUN make\n",
            "FROM debian:12\nRUN make -C /src\n",
            "FROM debian:12\nRUN echo cd /src\n",
            "FROM debian:12\nRUN su nobody -s /bin/sh -c 'cd /tmp && make'\n",
            "FROM debian:12\nRUN [\"cd\", \"/src\"]\n",
        ] {
            assert!(positions("DL3003", src).is_empty(), "{src}");
        }
    }

    #[test]
    fn onbuild() {
        // The RUN of an ONBUILD trigger is checked too.
        assert_eq!(
            positions("DL3003", "FROM debian:12\nONBUILD RUN cd /src && make\n"),
            vec![(2, 13)]
        );
    }
}
