//! DL3023: `COPY --from` naming the stage it is in.
use super::util::{stage_index, stages, unquote};
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3023",
        name: "copy-from-own-stage",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "`COPY --from` cannot reference its own `FROM` alias",
        aliases: &["DS-0006"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    for (i, ins) in cx.instructions() {
        if !matches!(ins.kind, InstructionKind::Copy(_)) {
            continue;
        }
        let (Some(flag), Some(cur)) = (ins.flag("from"), stage_index(&st, i)) else {
            continue;
        };
        let v = unquote(flag.value.as_deref().unwrap_or("")).to_ascii_lowercase();
        let own = match v.parse::<usize>() {
            Ok(n) => n == cur,
            Err(_) => st.get(cur).and_then(|s| s.name.as_deref()) == Some(v.as_str()),
        };
        if own && !v.is_empty() {
            d.report(
                flag.span,
                "`COPY --from` cannot reference its own `FROM` alias",
            )
            .with_help("a stage cannot copy from itself; name an earlier stage");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_copy_from_own_stage() {
        let src =
            "FROM a:1 AS x\nCOPY --from=x a /b\nCOPY --from=X a /b\nFROM b:1\nCOPY --from=1 a /b\n";
        assert_eq!(positions("DL3023", src), vec![(2, 6), (3, 6), (5, 6)]);
    }

    #[test]
    fn accepts_other_stages() {
        let src = "FROM a:1 AS x\nFROM b:1 AS y\nCOPY --from=x a /b\nCOPY --from=0 a /b\n";
        assert!(positions("DL3023", src).is_empty());
    }
}
