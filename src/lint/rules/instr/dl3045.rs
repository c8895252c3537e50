//! DL3045: COPY to a relative destination in a stage (or before the first FROM) where no WORKDIR
//! was set.
use super::util::{bodies, instructions_in, is_windows_abs, stage_body, stages, unquote};
use crate::dockerfile::model::Stage;
use crate::dockerfile::{InstructionKind, Keyword};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL3045",
        name: "copy-relative-without-workdir",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "`COPY` to a relative destination without `WORKDIR` set.",
        aliases: &[],
        opt_in: false,
    },
    check,
};

/// Whether stage `k` (or a stage of this file it is built FROM) sets a WORKDIR anywhere.
pub(crate) fn stage_sets_workdir(cx: &Context, st: &[Stage], k: usize) -> bool {
    let mut cur = Some(k);
    let mut hops = 0;
    while let Some(c) = cur {
        let Some(s) = st.get(c) else { break };
        if stage_body(cx, s).any(|(_, ins)| ins.keyword == Keyword::Workdir) {
            return true;
        }
        cur = s.base.filter(|b| *b < c);
        hops += 1;
        if hops > st.len() {
            break;
        }
    }
    false
}

fn is_absolute_dest(dest: &str) -> bool {
    dest.starts_with('/') || dest.starts_with('\\') || dest.starts_with('$') || is_windows_abs(dest)
}

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    for (stage, range) in bodies(cx) {
        let inherited = stage.is_some_and(|s| {
            s.base
                .is_some_and(|b| b < s.index && stage_sets_workdir(cx, &st, b))
        });
        if inherited {
            continue;
        }
        for (_, ins) in instructions_in(cx, range) {
            if ins.keyword == Keyword::Workdir {
                break;
            }
            let InstructionKind::Copy(args) = &ins.kind else {
                continue;
            };
            let dest = unquote(&args.dest.value);
            if dest.is_empty() || is_absolute_dest(dest) {
                continue;
            }
            d.report(
                args.dest.span,
                "`COPY` to a relative destination without `WORKDIR` set.",
            )
            .with_help("set `WORKDIR /some/dir` first, or copy to an absolute path");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_relative_destinations_before_workdir() {
        let src = "FROM a:1\nCOPY a b\nCOPY a ./\nWORKDIR /app\nCOPY a b\n";
        assert_eq!(positions("DL3045", src), vec![(2, 8), (3, 8)]);
    }

    #[test]
    fn workdir_is_inherited_from_parent_stage() {
        let src = "FROM a:1 AS base\nWORKDIR /app\nFROM base\nCOPY a b\nFROM a:1\nCOPY a b\n";
        assert_eq!(positions("DL3045", src), vec![(6, 8)]);
    }

    #[test]
    fn checks_instructions_before_the_first_from_as_a_stage() {
        let src = "COPY a b\nWORKDIR /app\nCOPY a c\nFROM a:1\nCOPY a d\n";
        assert_eq!(positions("DL3045", src), vec![(1, 8), (5, 8)]);
    }

    #[test]
    fn accepts_absolute_and_variable_destinations() {
        let src = "FROM a:1\nCOPY a /b\nCOPY a \"/x\"\nCOPY a $DEST\nCOPY a c:\\\\x\nCOPY a C:/x\n";
        assert!(positions("DL3045", src).is_empty());
    }
}
