//! HO1007 (BuildKit WorkdirRelativePath): the first WORKDIR of a stage is relative, so it
//! depends on the base image's working directory.
use crate::dockerfile::{InstructionKind, Keyword};
use crate::lint::rules::instr::dl3045::stage_sets_workdir;
use crate::lint::rules::instr::util::{is_windows_abs, stage_body, stages, unquote, var_refs};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1007",
        name: "workdir-relative-path",
        severity: Severity::Warning,
        category: Category::Correctness,
        summary: "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
        aliases: &["WorkdirRelativePath"],
        opt_in: false,
    },
    check,
};

fn check(cx: &Context, d: &mut Diagnostics) {
    let st = stages(cx);
    for (k, s) in st.iter().enumerate() {
        if s.base
            .is_some_and(|b| b < k && stage_sets_workdir(cx, &st, b))
        {
            continue;
        }
        for (i, ins) in stage_body(cx, s) {
            if ins.keyword != Keyword::Workdir {
                continue;
            }
            if let InstructionKind::Workdir(path) = &ins.kind {
                let raw = unquote(&path.value);
                // A variable we cannot resolve (e.g. from the base image's ENV) is left alone.
                let vars = cx.vars.get(i);
                let resolvable = var_refs(raw, cx.df.escape)
                    .iter()
                    .all(|r| vars.is_some_and(|v| v.values.contains_key(&r.name)));
                let value = if resolvable { cx.expand(i, raw) } else { None };
                if let Some(v) = value {
                    let v = unquote(&v).to_string();
                    if !v.is_empty()
                        && !v.starts_with('/')
                        && !v.starts_with('\\')
                        && !is_windows_abs(&v)
                    {
                        d.report(
                            path.span,
                            format!("Relative workdir \"{v}\" can have unexpected results if the base image changes"),
                        )
                        .with_help("make the first WORKDIR of the stage absolute");
                    }
                }
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_first_relative_workdir_of_a_stage() {
        assert_eq!(
            positions("HO1007", "FROM a:1\nWORKDIR app\nWORKDIR sub\n"),
            vec![(2, 9)]
        );
        assert_eq!(
            positions("HO1007", "FROM a:1 AS b\nRUN x\nFROM b\nWORKDIR rel\n"),
            vec![(4, 9)]
        );
    }

    #[test]
    fn accepts_relative_after_absolute() {
        let src = "FROM a:1 AS b\nWORKDIR /app\nWORKDIR sub\nFROM b\nWORKDIR more\nFROM c:1\nWORKDIR $HOME/x\n";
        assert!(positions("HO1007", src).is_empty());
    }
}
