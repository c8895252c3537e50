//! DL3057: the image built has no HEALTHCHECK (opt-in).
use super::util::{stage_body, stages};
use crate::dockerfile::Keyword;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3057",
        name: "healthcheck-missing",
        severity: Severity::Info,
        category: Category::Security,
        summary: "`HEALTHCHECK` instruction missing.",
        aliases: &["DS-0026"],
        opt_in: true,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    let Some(last) = st.len().checked_sub(1) else {
        return;
    };
    // The final stage, or a stage of this file it is built from, must declare one.
    let mut cur = Some(last);
    let mut hops = 0;
    while let Some(c) = cur {
        let Some(s) = st.get(c) else { break };
        if stage_body(cx, s).any(|(_, ins)| ins.keyword == Keyword::Healthcheck) {
            return;
        }
        cur = s.base.filter(|b| *b < c);
        hops += 1;
        if hops > st.len() {
            break;
        }
    }
    if let Some(from) = cx.df.instructions.get(st[last].from) {
        d.report(from.keyword_word.span, "`HEALTHCHECK` instruction missing.")
            .with_help(
                "add `HEALTHCHECK CMD …` so the runtime can tell when the container is unhealthy",
            );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_final_stage_without_healthcheck() {
        assert_eq!(
            positions(
                "DL3057",
                "FROM a:1 AS b\nHEALTHCHECK NONE\nFROM c:1\nRUN x\n"
            ),
            vec![(3, 1)]
        );
    }

    #[test]
    fn accepts_healthcheck_in_final_or_parent_stage() {
        assert!(positions("DL3057", "FROM a:1\nHEALTHCHECK CMD x\n").is_empty());
        assert!(positions("DL3057", "FROM a:1 AS b\nHEALTHCHECK CMD x\nFROM b\n").is_empty());
    }
}
