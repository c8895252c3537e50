//! DL3021: COPY of several sources to a destination that is not a directory (no trailing `/`).
use super::util::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3021",
        name: "copy-multiple-sources-dest-slash",
        severity: Severity::Error,
        category: Category::Correctness,
        summary: "COPY with more than 2 arguments requires the last argument to end with /",
        aliases: &["DS-0011"],
        opt_in: false,
    },
    check,
};

fn ends_like_dir(s: &str) -> bool {
    s.ends_with('/') || s.ends_with('\\')
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (i, ins) in cx.instructions() {
        let InstructionKind::Copy(args) = &ins.kind else {
            continue;
        };
        if args.sources.len() < 2 {
            continue;
        }
        let dest = unquote(&args.dest.value);
        if dest.is_empty() || ends_like_dir(dest) {
            continue;
        }
        if dest.contains('$') {
            match cx.expand(i, dest) {
                Some(v) if !v.contains('$') && !v.is_empty() && !ends_like_dir(&v) => {}
                _ => continue,
            }
        }
        d.report(
            args.dest.span,
            "COPY with more than 2 arguments requires the last argument to end with /",
        )
        .with_help(format!("write the destination as `{dest}/`"));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_multi_source_copy_without_slash() {
        assert_eq!(positions("DL3021", "FROM a:1\nCOPY a b c\n"), vec![(2, 10)]);
        assert_eq!(
            positions("DL3021", "FROM a:1\nCOPY [\"a\", \"b\", \"c\"]\n"),
            vec![(2, 17)]
        );
    }

    #[test]
    fn accepts_slash_single_source_and_unknown_variables() {
        let src = "FROM a:1\nCOPY a b c/\nCOPY a b\nCOPY a b \"c/\"\nCOPY a b $DEST\n";
        assert!(positions("DL3021", src).is_empty());
    }
}
