//! DL3067: `COPY --from=stage / /`, copying a whole filesystem.
use super::util::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3067",
        name: "copy-entire-filesystem",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Do not copy an entire filesystem from another stage",
        aliases: &[],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let InstructionKind::Copy(args) = &ins.kind else {
            continue;
        };
        if ins.flag("from").is_none() {
            continue;
        }
        if unquote(&args.dest.value) == "/" && args.sources.iter().any(|s| unquote(&s.value) == "/")
        {
            d.report(
                ins.args_span,
                "Do not copy an entire filesystem from another stage",
            )
            .with_help("copy only the directories the final image needs");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_root_to_root_copy() {
        assert_eq!(
            positions("DL3067", "FROM a:1 AS b\nFROM c:1\nCOPY --from=b / /\n"),
            vec![(3, 15)]
        );
    }

    #[test]
    fn accepts_partial_copies() {
        let src = "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /usr /usr\nCOPY / /\nCOPY --from=b / /rootfs/\n";
        assert!(positions("DL3067", src).is_empty());
    }
}
